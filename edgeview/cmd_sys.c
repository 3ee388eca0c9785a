/* cmd_sys.c - the table of system, pub/ and log/ commands. */
#include "cmd.h"
#include "sys_dmesg.h"
#include "sys_file.h"
#include "sys_log.h"
#include "sys_proc.h"
#include "sys_pub.h"

const struct cmd_def cmd_table_sys[] = {
        {"ps", CMD_SYSTEM, sys_ps, "ps[/<substring>]",
         "Processes whose command line contains the substring: PID, CPU times, VMS and RSS\n"
         "bytes, CPU% over the process lifetime, MEM%, name and command line."},
        {"top", CMD_SYSTEM, sys_top, "top [-line N]",
         "A top-like snapshot: load, tasks, CPU use over 0.5 s, memory, then processes by\n"
         "CPU.  -line N prints the first N lines."},
        {"cat", CMD_SYSTEM, sys_cat, "cat/<path> [-line +-N]",
         "Print a file, e.g. cat//etc/os-release.  -line N: first N lines; -line -N: last N.\n"
         "Output is capped at 8 MiB; key files and EVE's protected directories are refused."},
        {"ls", CMD_SYSTEM, sys_ls, "ls/<path>",
         "List a file or directory (mode, mtime, size, name), e.g. ls//config; a '*' in the\n"
         "last element is a wildcard: ls//config/device*"},
        {"du", CMD_SYSTEM, sys_du, "du/<dir>",
         "Total apparent size of a directory tree (symlinks not followed), e.g. du//persist"},
        {"dmesg", CMD_SYSTEM, sys_dmesg, "dmesg [-line N]",
         "The kernel log; -line N prints the last N lines."},
        {"pub", CMD_PUBSUB, sys_pub, "pub/<agent>[/<topic-substring>][,...]",
         "EVE pubsub files of an agent, pretty-printed, e.g. pub/zedagent/config or\n"
         "pub/nim,zedrouter.  The topic substring is matched case-insensitively."},
        {"log", CMD_LOG, sys_log, "log/<pattern> [-time T] [-json] [-type app|dev] [-line N]",
         "Search the device's logs (/persist/newlog) for a pattern ('.' matches any char).\n"
         "-time 0.2-2.5: from 2.5 to 0.2 hours ago (default 0-0.5), or\n"
         "-time 2021-08-15T22:45:00Z-2021-08-15T23:15:29Z.  -json: whole entries;\n"
         "-type app|dev: app or device logs only; -line N: N lines of context."},
};
const size_t cmd_table_sys_len = sizeof(cmd_table_sys) / sizeof(cmd_table_sys[0]);
