/*
 * evstatus.h - Edge-View session status for the controller (device-api.md
 * 5.5, edgeview-protocol.md 11.3): watches the EdgeviewStatus that
 * edgeviewd publishes at <root>/run/edgeview/EdgeviewStatus/global.json
 * and says when a ZInfoEdgeview should be sent.
 *
 * EVE's zedagent sends one on every new or changed status and nothing when
 * the session ends.  Here a session (identified by StartedOn and ExpireOn)
 * also gets a final report, with its counts as last published and
 * expire_time = min(token expiry, end of session), when
 * - its token expires (a timer at ExpireOn),
 * - the agent stops Edge-View (ag_evstatus_end(): token removed, remote
 *   access disabled, ...),
 * - another session's status replaces it, or the file disappears.
 * A status that changes after its final report (edgeviewd publishes its
 * last counts when it closes) gives another final report.
 *
 * The tracker is plain logic over observations; the watcher runs it on a
 * libev loop (ev_stat on the file, inotify where libev has it, and a timer
 * for the expiry).
 */
#ifndef AG_EVSTATUS_H
#define AG_EVSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_status.h"

#define AG_EVSTATUS_PATH      "/run/edgeview/EdgeviewStatus/global.json"
#define AG_EVSTATUS_POLL_SECS 5.0 /* ev_stat fallback interval */
/* Spool key of a session's ZInfoEdgeview: one slot per session, so a newer
 * status of the same session replaces the queued one while the final
 * report of an older session is not lost to the next session's first. */
#define AG_EVSTATUS_KEY_MAX 48u

struct ag_evstatus_report {
	bool final;
	struct ev_status st; /* for a final report, expire_on is min(exp, end) */
};

struct ag_evstatus_tracker {
	bool have;            /* a session is known */
	bool final_sent;      /* its final report is out */
	struct ev_status cur; /* last status seen */
	int64_t ended_at;     /* when it ended (0 = not ended) */
};

void ag_evstatus_tracker_init(struct ag_evstatus_tracker *t);
/* The status now in the file (NULL = no file).  Up to two reports come out
 * (the final of the previous session, then the new status); *n says how
 * many. */
void ag_evstatus_observe(struct ag_evstatus_tracker *t, const struct ev_status *st, int64_t now,
                         struct ag_evstatus_report out[2], size_t *n);
/* The session was stopped by the agent at time now. */
void ag_evstatus_end(struct ag_evstatus_tracker *t, int64_t now, struct ag_evstatus_report out[1],
                     size_t *n);
/* Time passes: a final report once the token has expired. */
void ag_evstatus_tick(struct ag_evstatus_tracker *t, int64_t now, struct ag_evstatus_report out[1],
                      size_t *n);
/* When ag_evstatus_tick() next has something to say (Unix seconds), or 0. */
int64_t ag_evstatus_deadline(const struct ag_evstatus_tracker *t);

/* "ev-<StartedOn seconds hex>-<nanoseconds hex>" */
int ag_evstatus_key(const struct ev_status *st, char *out, size_t cap) EV_WARN_UNUSED;

/* Read and decode <root>/run/edgeview/EdgeviewStatus/global.json.
 * EV_ERR_NOT_FOUND when absent; decode errors as ev_status_decode(). */
int ag_evstatus_read(const char *root, struct ev_status *out) EV_WARN_UNUSED;

/* ---- on a libev loop ---- */
struct ev_loop;
struct ag_evstatus_watch;
typedef void (*ag_evstatus_cb)(void *arg, const struct ag_evstatus_report *r);

/* Reads the file at once (a session already running, or an expired one,
 * is reported from the first loop iteration) and then on every change.
 * A file that does not decode is logged and ignored. */
int ag_evstatus_watch_start(struct ev_loop *loop, const char *root, ag_evstatus_cb cb, void *arg,
                            struct ag_evstatus_watch **out) EV_WARN_UNUSED;
/* The agent stopped Edge-View: report the final status now. */
void ag_evstatus_watch_end(struct ag_evstatus_watch *w);
/* Check the file now (e.g. after the agent restarted edgeviewd). */
void ag_evstatus_watch_poke(struct ag_evstatus_watch *w);
void ag_evstatus_watch_stop(struct ag_evstatus_watch *w);

#endif
