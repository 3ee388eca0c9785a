/*
 * spool.h - the on-disk queue of reports waiting for the controller
 * (device-api.md 5.6 and 9.4).
 *
 * One file per queued report in one directory (by default
 * <root>/persist/agent/spool), written atomically (ev_file_write_atomic), so
 * whatever is in the directory after a crash is a complete report.  The file
 * name carries the queue position, a generation, flags, the kind and an
 * optional key:
 *
 *	<seq:16 hex>.<gen:8 hex>.<flags:1 hex>.<kind>[.<key>]
 *
 * Rules, as EVE's deferred queue has them (pkg/pillar/controllerconn):
 * - One slot per (kind, key): a report put with the key of a queued one
 *   replaces it in place (same position, next generation).  Putting the very
 *   bytes already queued changes nothing, so the retry state is kept.
 *   Reports without a key (logs, metrics) are a plain FIFO.
 * - An entry leaves the queue only when the sender says the controller took
 *   it (200, 201, 204, 304), or when the controller refused it with a 4xx
 *   that would refuse the same bytes again (anything but 401, 403, 407, 408
 *   and 429).  401/403/407/408/429 and 5xx keep it with a per-entry delay
 *   (1 min doubling to 15 min); no answer at all keeps it and tells the
 *   sender to stop this pass.  An entry flagged AG_SPOOL_DISCARD_ON_FAILURE
 *   (the periodic device info, which the next period supersedes) is dropped
 *   on any failure.
 * - A size cap in bytes (sum of the queued payloads) and an entry cap.  A put
 *   that would go over either drops the oldest entries first, those without
 *   a key before keyed ones (a keyed entry is the only copy of an object's
 *   current state; streams of logs and metrics lose the least by losing
 *   their oldest part).  Drops are counted and logged.  Below the caps
 *   nothing is lost, across restarts too.
 *
 * An advisory lock (flock on <dir>/.lock) keeps a second agent out.
 * Retry state lives in memory: after a restart every entry is due at once.
 */
#ifndef AG_SPOOL_H
#define AG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

#define AG_SPOOL_DEFAULT_CAP         (32u * 1024 * 1024) /* bytes of payload */
#define AG_SPOOL_DEFAULT_MAX_ENTRIES 16384u
#define AG_SPOOL_MAX_ENTRIES         65536u             /* hard ceiling */
#define AG_SPOOL_MAX_ITEM            (8u * 1024 * 1024) /* one report */
#define AG_SPOOL_KIND_MAX            16u                /* [a-z0-9_]{1,16} */
#define AG_SPOOL_KEY_MAX             64u                /* [A-Za-z0-9_:-]{0,64} */
#define AG_SPOOL_RETRY_MIN_SECS      60.0
#define AG_SPOOL_RETRY_MAX_SECS      900.0

/* flags of ag_spool_put() */
#define AG_SPOOL_DISCARD_ON_FAILURE 0x1u

struct ag_spool;

struct ag_spool_opts {
	uint64_t cap_bytes;   /* 0 = AG_SPOOL_DEFAULT_CAP */
	uint32_t max_entries; /* 0 = AG_SPOOL_DEFAULT_MAX_ENTRIES, <= AG_SPOOL_MAX_ENTRIES */
};

/* Open (creating it 0700 if needed) and index the directory.  Leftover
 * temporary files are removed, names that are not ours are left alone,
 * duplicate generations of one entry are resolved to the newest, and the
 * caps are applied.  opts may be NULL.  EV_ERR_SPOOL_LOCKED when another
 * process (or another open spool of this one) holds the directory. */
int ag_spool_open(const char *dir, const struct ag_spool_opts *opts,
                  struct ag_spool **out) EV_WARN_UNUSED;
void ag_spool_close(struct ag_spool *sp);

/* Queue a report (copied to disk before returning).  key NULL or "" = no
 * replacement.  EV_ERR_INVALID_ARG for a bad kind/key/flag, EV_ERR_TOO_BIG
 * when len exceeds the byte cap or AG_SPOOL_MAX_ITEM. */
int ag_spool_put(struct ag_spool *sp, const char *kind, const char *key, unsigned flags,
                 const uint8_t *data, size_t len) EV_WARN_UNUSED;

struct ag_spool_item {
	uint64_t seq;
	uint32_t gen;
	unsigned flags;
	unsigned attempts; /* refusals so far */
	char kind[AG_SPOOL_KIND_MAX + 1];
	char key[AG_SPOOL_KEY_MAX + 1];
	uint8_t *data; /* malloc'd copy; ag_spool_item_free() */
	size_t len;
};

/* The oldest entry of kind (NULL = any kind) that is not waiting out a retry
 * delay at time now (seconds on a clock that does not go backwards, the
 * same clock for every call).  EV_ERR_SPOOL_EMPTY when there is none.  An
 * entry whose file has vanished or cannot be read is dropped from the queue
 * (logged) and the next one is tried. */
int ag_spool_peek(struct ag_spool *sp, const char *kind, double now,
                  struct ag_spool_item *out) EV_WARN_UNUSED;
void ag_spool_item_free(struct ag_spool_item *it);

enum ag_spool_outcome {
	AG_SPOOL_SENT,    /* accepted: removed */
	AG_SPOOL_DROPPED, /* refused for good (or discard-on-failure): removed */
	AG_SPOOL_RETRY,   /* refused for now: kept, delayed */
	AG_SPOOL_STOP,    /* no answer: kept; stop this pass, the rest would fail too */
};

/* EVE's rule for an HTTP status (0 = no response: timeout, connection or
 * TLS failure).  Pure function. */
enum ag_spool_outcome ag_spool_classify(int http_status);
/* Record what the controller said about an item from ag_spool_peek().  If
 * the entry was replaced meanwhile, the newer generation stays queued
 * whatever the answer (the controller has not seen it).  *outcome (may be
 * NULL) says what happened.  EV_ERR_IO/EV_ERR_SYSTEM if a file could not be
 * removed (the entry is then gone from the index anyway). */
int ag_spool_result(struct ag_spool *sp, const struct ag_spool_item *it, int http_status,
                    double now, enum ag_spool_outcome *outcome) EV_WARN_UNUSED;

struct ag_spool_stats {
	uint64_t entries, bytes;         /* now queued */
	uint64_t cap_bytes, max_entries; /* the caps */
	uint64_t dropped_cap;            /* entries dropped to stay under a cap */
	uint64_t dropped_cap_bytes;
	uint64_t dropped_refused; /* 4xx that will not change */
	uint64_t discarded;       /* discard-on-failure entries that failed */
	uint64_t replaced;        /* puts that replaced a queued entry */
	uint64_t sent;
};

void ag_spool_get_stats(const struct ag_spool *sp, struct ag_spool_stats *st);
/* Queued entries of kind (NULL = all). */
size_t ag_spool_count(const struct ag_spool *sp, const char *kind);

#endif
