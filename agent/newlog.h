/*
 * newlog.h - device log batches for POST /id/<uuid>/newlogs (device-api.md
 * 6.2), built as EVE's newlogd builds them.
 *
 * A batch is one gzip member (RFC 1952, best compression) whose header has
 * FCOMMENT = the JSON of logs.LogBundle's metadata
 * {"devID":..,"image":..,"eveVersion":..} (Go encoding/json, empty fields
 * left out; non-ASCII written as \u escapes so the comment is plain ASCII,
 * which is Latin-1 and decodes to the same strings), MTIME = when the batch
 * was opened, OS = 255 as Go's gzip writer sets it, and whose body is one
 * logs.LogEntry per line, JSON as Go's encoding/json writes the generated
 * struct: keys severity, source, iid, content, msgid, tags, timestamp,
 * filename, function in that order, each left out when empty, tags with
 * sorted keys, and timestamp {"seconds":N,"nanos":N} (nanos left out when 0).
 *
 * Caps: a line, newline included, is at most AG_NEWLOG_MAX_LINE bytes (well
 * under the 64 KiB line limit of Adam's bufio.Scanner); content is cut (at a
 * UTF-8 boundary, "..." appended) to make it fit.  A batch is closed once
 * its compressed size reaches about AG_NEWLOG_SOFT_CAP (EVE closes at
 * 50,000) and never exceeds AG_NEWLOG_HARD_CAP (the uploader's 65,536):
 * before a line goes in, the worst case of the batch with it (bytes already
 * out plus zlib's documented deflateBound of everything not yet flushed) is
 * checked, and a sync flush makes the count exact when that worst case
 * comes near the cap.
 */
#ifndef AG_NEWLOG_H
#define AG_NEWLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ev_attr.h"
#include "ev_log.h"

struct ev_buf;

#define AG_NEWLOG_MAX_LINE   64512u /* one JSON line with its '\n' */
#define AG_NEWLOG_SOFT_CAP   50000u /* close a batch at about this many bytes */
#define AG_NEWLOG_HARD_CAP   65536u /* a batch is never bigger */
#define AG_NEWLOG_MAX_HEADER 512u   /* the FCOMMENT JSON */
#define AG_NEWLOG_MAX_FIELD  1024u  /* severity, source, iid, filename, function */
#define AG_NEWLOG_MAX_TAGS   8u
#define AG_NEWLOG_MAX_TAG    128u /* a tag's key or value */
/* A logrus "msg" is cut to this many bytes, so the content JSON around it
 * (at most 7 output bytes per input byte after two rounds of escaping)
 * always fits a line whole and stays valid JSON. */
#define AG_NEWLOG_MAX_MSG 8192u

struct ag_log_tag {
	const char *key, *value;
};

struct ag_log_entry {
	const char *severity, *source, *iid, *content; /* NULL or "" = left out */
	const struct ag_log_tag *tags;                 /* Go map: written with sorted keys */
	size_t ntags;
	int64_t ts_sec; /* timestamp */
	int32_t ts_nanos;
	const char *filename, *function;
};

/*
 * One LogEntry line (without the '\n') appended to out, with msgid, cut to
 * fit AG_NEWLOG_MAX_LINE.  EV_ERR_INVALID_ARG for nanos outside 0..999999999
 * or more than AG_NEWLOG_MAX_TAGS tags or a tag key given twice; other
 * fields longer than AG_NEWLOG_MAX_FIELD (tags: AG_NEWLOG_MAX_TAG) are cut.
 */
int ag_newlog_entry_json(const struct ag_log_entry *e, uint64_t msgid,
                         struct ev_buf *out) EV_WARN_UNUSED;

/* The FCOMMENT text for these metadata (NULL or "" fields left out).
 * EV_ERR_REPORT_FIELD if it would be longer than AG_NEWLOG_MAX_HEADER. */
int ag_newlog_header_json(const char *dev_id, const char *image, const char *eve_version,
                          struct ev_buf *out) EV_WARN_UNUSED;

/* What logrus's JSONFormatter writes for a pillar agent, which newlogd keeps
 * as the entry's content: {"file":..,"func":..,"level":..,"msg":..,
 * <fields>,"pid":..,"source":..,"time":<RFC3339Nano UTC>} with the keys
 * sorted, as Go writes a map.  file/func NULL = left out (no ReportCaller),
 * pid 0 = left out.  Extra string fields (obj_type, obj_name...) are merged
 * into the sorted order; their keys must not repeat the fixed ones.  msg is
 * cut to AG_NEWLOG_MAX_MSG bytes. */
struct ag_logrus {
	const char *level, *msg, *source, *file, *func;
	int64_t pid;
	int64_t t_sec;
	int32_t t_nsec;
	const struct ag_log_tag *fields;
	size_t nfields;
};
int ag_newlog_logrus_json(const struct ag_logrus *l, struct ev_buf *out) EV_WARN_UNUSED;

/* EVE's severity names for our levels (notice is logrus "info" in EVE). */
const char *ag_newlog_severity(enum ev_log_level level);

/* ---- batching ---- */

struct ag_newlog_batch {
	const uint8_t *data; /* one gzip member */
	size_t len;
	size_t nentries;
	uint64_t first_msgid, last_msgid;
};

/* Called with each closed batch; the data is only valid during the call.  A
 * failure keeps the batch (one) and it is offered again on the next add or
 * flush. */
typedef int (*ag_newlog_emit_fn)(void *arg, const struct ag_newlog_batch *b);

struct ag_newlog_opts {
	const char *dev_id, *image, *eve_version; /* the header; copied */
	size_t soft_cap, hard_cap;                /* 0 = AG_NEWLOG_SOFT_CAP / _HARD_CAP */
	ag_newlog_emit_fn emit;
	void *emit_arg;
	/* Shared message counter (several batchers, one device stream), or NULL
	 * for a private one starting at 1.  Each entry takes the next value. */
	uint64_t *msgid;
	enum ev_log_level min_level; /* for ag_newlog_log(): levels above it are not sent */
	const char *source;          /* for ag_newlog_log(); NULL = "eve-agent" */
};

struct ag_newlog;

int ag_newlog_new(const struct ag_newlog_opts *o, struct ag_newlog **out) EV_WARN_UNUSED;
/* Pending entries that were not flushed are lost. */
void ag_newlog_free(struct ag_newlog *nl);
/* New header metadata for batches opened from now on. */
int ag_newlog_set_meta(struct ag_newlog *nl, const char *dev_id, const char *image,
                       const char *eve_version) EV_WARN_UNUSED;
/* Add one entry (msgid from the counter); may close and emit the batch. */
int ag_newlog_add(struct ag_newlog *nl, const struct ag_log_entry *e) EV_WARN_UNUSED;
/* Close the open batch, if it has entries, and emit it. */
int ag_newlog_flush(struct ag_newlog *nl) EV_WARN_UNUSED;
/* Throw away the open batch and any batch that failed to emit. */
void ag_newlog_discard(struct ag_newlog *nl);
size_t ag_newlog_pending(const struct ag_newlog *nl);
uint64_t ag_newlog_next_msgid(const struct ag_newlog *nl);

struct ag_newlog_stats {
	uint64_t entries, batches, bytes_in, bytes_out, emit_failures, lost_batches, truncated;
	uint64_t sink_failures; /* lines ag_newlog_sink() could not add */
	size_t max_batch;
};
void ag_newlog_get_stats(const struct ag_newlog *nl, struct ag_newlog_stats *st);

/*
 * One of our own log lines as pillar agents send theirs: severity from the
 * level, source opts.source, iid our pid, content the logrus JSON,
 * filename "file:line", function.  Levels above opts.min_level are skipped
 * (returns 0).
 */
int ag_newlog_log(struct ag_newlog *nl, enum ev_log_level level, const struct ev_log_site *site,
                  const char *msg) EV_WARN_UNUSED;
/* ev_log_sink_fn over ag_newlog_log() (arg = the struct ag_newlog); lines
 * logged from inside it are not fed back. */
void ag_newlog_sink(enum ev_log_level level, const struct ev_log_site *site, const char *msg,
                    void *arg);

#endif
