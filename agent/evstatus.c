/* evstatus.c - when to report the Edge-View session status (see evstatus.h). */
#include "evstatus.h"

#include <ev.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"

void
ag_evstatus_tracker_init(struct ag_evstatus_tracker *t)
{
	memset(t, 0, sizeof(*t));
}

static bool
same_session(const struct ev_status *a, const struct ev_status *b)
{
	return a->expire_on == b->expire_on && a->started_on.sec == b->started_on.sec &&
	       a->started_on.nsec == b->started_on.nsec;
}

static bool
same_counts(const struct ev_status *a, const struct ev_status *b)
{
	return a->cmd_count_dev == b->cmd_count_dev && a->cmd_count_app == b->cmd_count_app &&
	       a->cmd_count_ext == b->cmd_count_ext;
}

static void
final_report(struct ag_evstatus_tracker *t, int64_t now, struct ag_evstatus_report *r)
{
	if (t->ended_at == 0)
		t->ended_at = now;
	r->final = true;
	r->st = t->cur;
	/* expire_on is a uint64 of Unix seconds (JWT exp) */
	if (t->ended_at > 0 && (uint64_t)t->ended_at < r->st.expire_on)
		r->st.expire_on = (uint64_t)t->ended_at;
	t->final_sent = true;
}

static bool
expired(const struct ev_status *st, int64_t now)
{
	return now >= 0 && st->expire_on <= (uint64_t)now;
}

void
ag_evstatus_observe(struct ag_evstatus_tracker *t, const struct ev_status *st, int64_t now,
                    struct ag_evstatus_report out[2], size_t *n)
{
	*n = 0;
	if (st == NULL) {
		if (t->have && !t->final_sent)
			final_report(t, now, &out[(*n)++]);
		return;
	}
	if (t->have && same_session(&t->cur, st)) {
		if (same_counts(&t->cur, st))
			return;
		t->cur = *st;
		if (t->final_sent) {
			final_report(t, now, &out[(*n)++]); /* the last counts, still final */
			return;
		}
	} else {
		if (t->have && !t->final_sent)
			final_report(t, now, &out[(*n)++]);
		t->have = true;
		t->final_sent = false;
		t->ended_at = 0;
		t->cur = *st;
	}
	if (expired(st, now)) {
		/* A token that is already over ends the session at its expiry. */
		t->ended_at = (int64_t)(st->expire_on > INT64_MAX ? INT64_MAX : st->expire_on);
		final_report(t, now, &out[(*n)++]);
		return;
	}
	out[*n].final = false;
	out[*n].st = *st;
	(*n)++;
}

void
ag_evstatus_end(struct ag_evstatus_tracker *t, int64_t now, struct ag_evstatus_report out[1],
                size_t *n)
{
	*n = 0;
	if (t->have && !t->final_sent)
		final_report(t, now, &out[(*n)++]);
}

void
ag_evstatus_tick(struct ag_evstatus_tracker *t, int64_t now, struct ag_evstatus_report out[1],
                 size_t *n)
{
	*n = 0;
	if (t->have && !t->final_sent && expired(&t->cur, now)) {
		t->ended_at = (int64_t)t->cur.expire_on;
		final_report(t, now, &out[(*n)++]);
	}
}

int64_t
ag_evstatus_deadline(const struct ag_evstatus_tracker *t)
{
	if (!t->have || t->final_sent)
		return 0;
	return t->cur.expire_on > INT64_MAX ? INT64_MAX : (int64_t)t->cur.expire_on;
}

int
ag_evstatus_key(const struct ev_status *st, char *out, size_t cap)
{
	int n;

	if (st == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	n = snprintf(out, cap, "ev-%" PRIx64 "-%" PRIx32, (uint64_t)st->started_on.sec,
	             (uint32_t)st->started_on.nsec);
	return n > 0 && (size_t)n < cap ? 0 : EV_ERR_TOO_BIG;
}

static int
status_path(const char *root, char *out, size_t cap)
{
	return ev_path_join(out, cap, root != NULL ? root : "", AG_EVSTATUS_PATH);
}

int
ag_evstatus_read(const char *root, struct ev_status *out)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if ((r = status_path(root, path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_read_capped(path, EV_MAX_STATUS_JSON, &text, &len)) != 0)
		return r;
	r = ev_status_decode(text, len, out);
	free(text);
	return r;
}

/* ---- libev ---- */

struct ag_evstatus_watch {
	struct ev_loop *loop;
	char root[PATH_MAX];
	char path[PATH_MAX];
	ev_stat stat_w;
	ev_timer timer_w; /* first read, then the expiry deadline */
	ag_evstatus_cb cb;
	void *arg;
	struct ag_evstatus_tracker t;
	int last_err; /* not to log the same decode error again and again */
};

static void
deliver(struct ag_evstatus_watch *w, const struct ag_evstatus_report *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		w->cb(w->arg, &r[i]);
}

static void
arm_deadline(struct ag_evstatus_watch *w)
{
	int64_t d = ag_evstatus_deadline(&w->t), now = (int64_t)time(NULL);

	ev_timer_stop(w->loop, &w->timer_w);
	if (d == 0)
		return;
	/* libev timers run on the monotonic clock; the deadline is wall time,
	 * so re-check at most every minute in case the clock is stepped. */
	ev_timer_set(&w->timer_w, d > now ? (double)(d - now > 60 ? 60 : d - now) + 0.5 : 0.0, 0.0);
	ev_timer_start(w->loop, &w->timer_w);
}

static void
check_file(struct ag_evstatus_watch *w)
{
	struct ag_evstatus_report r[2];
	struct ev_status st;
	size_t n = 0;
	int e;

	e = ag_evstatus_read(w->root, &st);
	if (e == 0) {
		w->last_err = 0;
		ag_evstatus_observe(&w->t, &st, (int64_t)time(NULL), r, &n);
	} else if (e == EV_ERR_NOT_FOUND) {
		w->last_err = 0;
		ag_evstatus_observe(&w->t, NULL, (int64_t)time(NULL), r, &n);
	} else if (e != w->last_err) {
		/* a torn or hostile file: keep what we had */
		ev_log_warn_r(e, "%s", w->path);
		w->last_err = e;
	}
	deliver(w, r, n);
	arm_deadline(w);
}

static void
on_stat(struct ev_loop *loop, ev_stat *sw, int revents)
{
	(void)loop;
	(void)revents;
	check_file(sw->data);
}

static void
on_timer(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct ag_evstatus_watch *w = tw->data;
	struct ag_evstatus_report r[1];
	size_t n;

	(void)loop;
	(void)revents;
	if (!w->t.have) {
		check_file(w); /* the first read */
		return;
	}
	ag_evstatus_tick(&w->t, (int64_t)time(NULL), r, &n);
	deliver(w, r, n);
	arm_deadline(w);
}

int
ag_evstatus_watch_start(struct ev_loop *loop, const char *root, ag_evstatus_cb cb, void *arg,
                        struct ag_evstatus_watch **out)
{
	struct ag_evstatus_watch *w;
	size_t n;
	int r;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || cb == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if (root == NULL)
		root = "";
	if ((n = strlen(root)) >= sizeof(w->root))
		return EV_ERR_TOO_BIG;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return EV_ERR_NOMEM;
	memcpy(w->root, root, n + 1);
	if ((r = status_path(root, w->path, sizeof(w->path))) != 0) {
		free(w);
		return r;
	}
	w->loop = loop;
	w->cb = cb;
	w->arg = arg;
	ag_evstatus_tracker_init(&w->t);
	ev_stat_init(&w->stat_w, on_stat, w->path, AG_EVSTATUS_POLL_SECS);
	w->stat_w.data = w;
	ev_stat_start(loop, &w->stat_w);
	ev_timer_init(&w->timer_w, on_timer, 0.0, 0.0);
	w->timer_w.data = w;
	ev_timer_start(loop, &w->timer_w);
	*out = w;
	return 0;
}

void
ag_evstatus_watch_end(struct ag_evstatus_watch *w)
{
	struct ag_evstatus_report r[1];
	size_t n;

	if (w == NULL)
		return;
	ag_evstatus_end(&w->t, (int64_t)time(NULL), r, &n);
	deliver(w, r, n);
	arm_deadline(w);
}

void
ag_evstatus_watch_poke(struct ag_evstatus_watch *w)
{
	if (w != NULL)
		check_file(w);
}

void
ag_evstatus_watch_stop(struct ag_evstatus_watch *w)
{
	if (w == NULL)
		return;
	ev_stat_stop(w->loop, &w->stat_w);
	ev_timer_stop(w->loop, &w->timer_w);
	free(w);
}
