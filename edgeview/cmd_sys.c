/* cmd_sys.c - system commands (being written). */
#include "cmd.h"

const struct cmd_def cmd_table_sys[] = {{NULL, CMD_SYSTEM, NULL, NULL, NULL}};
const size_t cmd_table_sys_len = 0;
