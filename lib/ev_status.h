/*
 * ev_status.h - the EdgeviewStatus record a device publishes for zedagent
 * (edgeview-protocol.md section 11.3), the {"instID":N,"stats":{...}}
 * body instances 2..5 POST to instance 1's /evStats (section 11.2), and
 * the RFC 3339 times inside them, written and read as Go's time.Time does.
 */
#ifndef EV_STATUS_H
#define EV_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_buf;

/* What Go's time.Time carries through JSON: an instant and the UTC offset
 * it was written with (0 writes "Z"). */
struct ev_time {
	int64_t sec;        /* seconds since 1970-01-01T00:00:00Z */
	int32_t nsec;       /* 0..999999999 */
	int32_t utc_offset; /* seconds east of UTC, |offset| < 86400 */
};

/* Longest RFC3339Nano text plus its NUL: "9999-12-31T23:59:59.999999999+23:59". */
#define EV_TIME_STR_MAX 36u

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; the 400-year era
 * trick keeps it exact for any year). */
int64_t ev_days_from_civil(int64_t y, int m, int d);
/* Now, in the local time zone as Go's time.Now() is. */
int ev_time_now(struct ev_time *out) EV_WARN_UNUSED;
/* Go's time.RFC3339Nano: fraction without trailing zeros, none when zero;
 * "Z" for offset 0, else +hh:mm.  Writes a NUL-terminated string into out
 * (outlen >= EV_TIME_STR_MAX is always enough).  EV_ERR_TIME_RANGE when
 * the local year is outside 0..9999 or |offset| >= 24 h, as Go refuses. */
int ev_time_format_rfc3339nano(const struct ev_time *t, char *out, size_t outlen) EV_WARN_UNUSED;
/* RFC 3339 as Go's time.Time.UnmarshalJSON reads it when the text is
 * well formed: exactly YYYY-MM-DDTHH:MM:SS (year 0000-9999, real calendar
 * dates, seconds 00-59), an optional '.' and one or more digits (past nine
 * they are dropped, as Go does), then Z or +hh:mm / -hh:mm (hh < 24,
 * mm < 60).  Anything else is EV_ERR_TIME_FORMAT, including what Go's
 * lenient time.Parse fallback also lets through but RFC 3339 forbids (a
 * one-digit hour, a ',' before the fraction, offsets +24:00 or xx:60).
 * out is only written on success. */
int ev_time_parse_rfc3339(const char *s, size_t len, struct ev_time *out) EV_WARN_UNUSED;

struct ev_status {
	uint64_t expire_on;        /* "ExpireOn": the token's exp */
	struct ev_time started_on; /* "StartedOn": when the token was parsed */
	uint32_t cmd_count_dev;    /* "CmdCountDev" */
	uint32_t cmd_count_app;    /* "CmdCountApp" */
	uint32_t cmd_count_ext;    /* "CmdCountExt" */
};

/* {"ExpireOn":..,"StartedOn":"..","CmdCountDev":..,"CmdCountApp":..,
 * "CmdCountExt":..}, appended; EV_ERR_TIME_RANGE for a time Go cannot
 * write either.  On failure out is unchanged. */
int ev_status_encode(const struct ev_status *s, struct ev_buf *out) EV_WARN_UNUSED;
/* Go rules, len <= EV_MAX_STATUS_JSON.  A StartedOn that is null leaves
 * the time as it was (zero here); a non-string is EV_ERR_JSON_TYPE, a bad
 * time EV_ERR_TIME_FORMAT.  out is overwritten, and zeroed on failure. */
int ev_status_decode(const char *json, size_t len, struct ev_status *out) EV_WARN_UNUSED;

/* The /evStats POST body. */
struct ev_evstats {
	int64_t inst_id;        /* "instID": the reporting instance, 2..5 */
	struct ev_status stats; /* "stats" */
};

/* {"instID":N,"stats":{...}}, appended; errors as ev_status_encode(). */
int ev_evstats_encode(const struct ev_evstats *e, struct ev_buf *out) EV_WARN_UNUSED;
/* Go rules as ev_status_decode(), len <= EV_MAX_STATUS_JSON; out is
 * overwritten, and zeroed on failure. */
int ev_evstats_decode(const char *json, size_t len, struct ev_evstats *out) EV_WARN_UNUSED;
/* Instance 1 stores only reports of instances 2..EV_MAX_INSTANCES
 * (EV_ERR_INST_RANGE otherwise). */
int ev_evstats_validate(const struct ev_evstats *e) EV_WARN_UNUSED;

#endif
