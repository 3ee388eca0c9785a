/*
 * ev_newlog.h - EVE newlog records and the log/ search's time window
 * (edgeview-commands.md 5.1-5.4).
 *
 * A record is one JSON LogEntry line from a newlog file; its "content" is
 * either plain text (kernel, apps) or itself a JSON object (pillar agents).
 * Both come from files an attacker on the device might shape, so every
 * field is checked and capped.
 */
#ifndef EV_NEWLOG_H
#define EV_NEWLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ev_attr.h"

/* Longest record line parsed; longer lines are shown raw, cut. */
#define EV_NEWLOG_MAX_LINE (64u * 1024)

struct ev_newlog_entry {
	char *severity, *source, *iid, *content, *filename, *function; /* "" when absent */
	uint64_t msgid;
	int64_t ts_sec;
	int64_t ts_nanos;
	/* content parsed as a JSON object (pillar's logrus fields) */
	bool content_is_json;
	char *c_msg, *c_level, *c_obj_type, *c_source, *c_time; /* "" when absent */
};

/*
 * Parse one line (without or with its '\n').  EV_ERR_TOO_BIG,
 * EV_ERR_JSON_SYNTAX, EV_ERR_JSON_NOT_OBJECT, EV_ERR_JSON_TYPE (a field of
 * the wrong type), EV_ERR_NOMEM.  e is zeroed first and, on failure, left
 * empty.
 */
int ev_newlog_parse(const char *line, size_t len, struct ev_newlog_entry *e) EV_WARN_UNUSED;
void ev_newlog_entry_free(struct ev_newlog_entry *e);

/* The ms timestamp in a newlog gzip name: the second-to-last '.' field
 * ("dev.log.1731491932618.gz").  EV_ERR_INVALID_ARG if there is none. */
int ev_newlog_name_time(const char *name, int64_t *ms) EV_WARN_UNUSED;

/*
 * The -time window [older, newer] in Unix seconds: "<h1>-<h2>" hours ago
 * (decimal, either order) or "<RFC3339 Z>-<RFC3339 Z>" (either order,
 * clamped to now).  EV_ERR_LOG_TIME for anything else.
 */
int ev_newlog_time_range(const char *spec, time_t now, time_t *older, time_t *newer) EV_WARN_UNUSED;

/* "2006-01-02T15:04:05Z" for t (UTC) into buf (>= 21 bytes). */
void ev_newlog_rfc3339(time_t t, char *buf, size_t cap);

#endif
