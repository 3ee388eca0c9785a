/*
 * sys_log.h - log/<pattern>: search EVE's newlog files (gzip and live)
 * under <root>/persist/newlog (commands spec 5), with zlib and POSIX
 * regular expressions; no zcat, no grep.
 */
#ifndef EV_SYS_LOG_H
#define EV_SYS_LOG_H

#include "cmd.h"
#include "ev_attr.h"

/* gzip files searched per query (the newest are kept). */
#define SYS_LOG_MAX_FILES 4096u
/* Most bytes one query prints; the search stops there and says so. */
#define SYS_LOG_MAX_OUTPUT (32u * 1024 * 1024)
/* -line context is clamped to this many lines each side. */
#define SYS_LOG_MAX_CONTEXT 20

/* arg is the whole pattern, commas and all. */
int sys_log(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;

#endif
