/*
 * ev_log.h - levelled logging that records its call site.
 *
 *	ev_log_err_r(r, "verify envelope");
 *
 * logs "verify envelope: envelope HMAC does not match" with the file, line
 * and function of the call.  The level is set at run time; the default sink
 * writes one line per message to stderr, and a program may install its own
 * (the device's audit log, tests that capture lines).
 */
#ifndef EV_LOG_H
#define EV_LOG_H

#include <stdarg.h>

#include "ev_attr.h"

enum ev_log_level {
	EV_LOG_ERR = 0,
	EV_LOG_WARN = 1,
	EV_LOG_NOTICE = 2,
	EV_LOG_INFO = 3,
	EV_LOG_DEBUG = 4,
};

struct ev_log_site {
	const char *file;
	const char *func;
	int line;
};

typedef void (*ev_log_sink_fn)(enum ev_log_level level, const struct ev_log_site *site,
                               const char *msg, void *arg);

void ev_log_set_level(enum ev_log_level level);
enum ev_log_level ev_log_get_level(void);
/* Parse "error|warn|notice|info|debug"; returns 0 or EV_ERR_INVALID_ARG. */
int ev_log_level_parse(const char *name, enum ev_log_level *out) EV_WARN_UNUSED;
const char *ev_log_level_name(enum ev_log_level level);
/* Program name shown by the default sink. */
void ev_log_set_ident(const char *ident);
/* Show call sites on every line, not only at debug level. */
void ev_log_set_show_sites(int on);
/* The default sink (one line on stderr), for sinks that add to it. */
void ev_log_stderr(enum ev_log_level level, const struct ev_log_site *site, const char *msg,
                   void *arg);
/* NULL restores the default stderr sink. */
void ev_log_set_sink(ev_log_sink_fn fn, void *arg);

/* r is an EV_ERR_* code appended as ": <ev_strerror(r)>", or 0 for none. */
void ev_log_emit(enum ev_log_level level, const char *file, int line, const char *func, int r,
                 const char *fmt, ...) EV_PRINTF(6, 7);
void ev_log_vemit(enum ev_log_level level, const char *file, int line, const char *func, int r,
                  const char *fmt, va_list ap) EV_PRINTF(6, 0);

#define EV_LOG_(lvl, r, ...) ev_log_emit((lvl), __FILE__, __LINE__, __func__, (r), __VA_ARGS__)

#define ev_log_err(...)         EV_LOG_(EV_LOG_ERR, 0, __VA_ARGS__)
#define ev_log_warn(...)        EV_LOG_(EV_LOG_WARN, 0, __VA_ARGS__)
#define ev_log_notice(...)      EV_LOG_(EV_LOG_NOTICE, 0, __VA_ARGS__)
#define ev_log_info(...)        EV_LOG_(EV_LOG_INFO, 0, __VA_ARGS__)
#define ev_log_debug(...)       EV_LOG_(EV_LOG_DEBUG, 0, __VA_ARGS__)
#define ev_log_err_r(r, ...)    EV_LOG_(EV_LOG_ERR, (r), __VA_ARGS__)
#define ev_log_warn_r(r, ...)   EV_LOG_(EV_LOG_WARN, (r), __VA_ARGS__)
#define ev_log_notice_r(r, ...) EV_LOG_(EV_LOG_NOTICE, (r), __VA_ARGS__)
#define ev_log_info_r(r, ...)   EV_LOG_(EV_LOG_INFO, (r), __VA_ARGS__)
#define ev_log_debug_r(r, ...)  EV_LOG_(EV_LOG_DEBUG, (r), __VA_ARGS__)

#endif
