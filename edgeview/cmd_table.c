/* cmd_table.c - finding a command in the per-file tables. */
#include <string.h>

#include "cmd.h"

static const struct cmd_def *
find_in(const struct cmd_def *t, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && strncmp(t[i].name, name, len) == 0)
			return &t[i];
	return NULL;
}

const struct cmd_def *
cmd_find(const char *name, size_t len)
{
	const struct cmd_def *d = find_in(cmd_table_net, cmd_table_net_len, name, len);

	return d != NULL ? d : find_in(cmd_table_sys, cmd_table_sys_len, name, len);
}
