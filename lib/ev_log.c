/* ev_log.c - levelled logging with call sites and a replaceable sink. */
#include "ev_log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ev_err.h"

/* One formatted line; longer messages are cut, never overflowed. */
#define EV_LOG_LINE_MAX 2048

static enum ev_log_level log_level = EV_LOG_NOTICE;
static const char *log_ident = "edgeview";
static int log_show_sites;
static ev_log_sink_fn log_sink;
static void *log_sink_arg;

static const char *const level_names[] = {"error", "warn", "notice", "info", "debug"};

void
ev_log_set_level(enum ev_log_level level)
{
	log_level = level;
}

enum ev_log_level
ev_log_get_level(void)
{
	return log_level;
}

int
ev_log_level_parse(const char *name, enum ev_log_level *out)
{
	for (size_t i = 0; i < EV_ARRAY_LEN(level_names); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum ev_log_level)i;
			return 0;
		}
	}
	return EV_ERR_INVALID_ARG;
}

const char *
ev_log_level_name(enum ev_log_level level)
{
	if ((unsigned)level < EV_ARRAY_LEN(level_names))
		return level_names[level];
	return "?";
}

void
ev_log_set_ident(const char *ident)
{
	log_ident = ident;
}

void
ev_log_set_show_sites(int on)
{
	log_show_sites = on;
}

void
ev_log_set_sink(ev_log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
ev_log_stderr(enum ev_log_level level, const struct ev_log_site *site, const char *msg, void *arg)
{
	char ts[32];
	struct timespec now;
	struct tm tm;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (log_show_sites || level >= EV_LOG_DEBUG)
		fprintf(stderr, "%s.%03ldZ %s[%d] %s: %s (%s:%d %s)\n", ts, now.tv_nsec / 1000000,
		        log_ident, (int)getpid(), ev_log_level_name(level), msg, site->file,
		        site->line, site->func);
	else
		fprintf(stderr, "%s.%03ldZ %s[%d] %s: %s\n", ts, now.tv_nsec / 1000000, log_ident,
		        (int)getpid(), ev_log_level_name(level), msg);
}

void
ev_log_vemit(enum ev_log_level level, const char *file, int line, const char *func, int r,
             const char *fmt, va_list ap)
{
	char msg[EV_LOG_LINE_MAX];
	struct ev_log_site site = {file, func, line};
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (r != 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", ev_strerror(r));
	if (log_sink != NULL)
		log_sink(level, &site, msg, log_sink_arg);
	else
		ev_log_stderr(level, &site, msg, NULL);
}

void
ev_log_emit(enum ev_log_level level, const char *file, int line, const char *func, int r,
            const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ev_log_vemit(level, file, line, func, r, fmt, ap);
	va_end(ap);
}
