/* cmd_net.c - network commands (being written). */
#include "cmd.h"

const struct cmd_def cmd_table_net[] = {{NULL, CMD_NETWORK, NULL, NULL, NULL}};
const size_t cmd_table_net_len = 0;
