/* test_ag_evstatus.c - when a ZInfoEdgeview goes out: changes, session ends, finals. */
#include "ev_test.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_file.h"
#include "evstatus.h"

static struct ev_status
st(uint64_t exp, int64_t started, uint32_t dev, uint32_t app, uint32_t ext)
{
	struct ev_status s;

	memset(&s, 0, sizeof(s));
	s.expire_on = exp;
	s.started_on.sec = started;
	s.started_on.nsec = 123;
	s.cmd_count_dev = dev;
	s.cmd_count_app = app;
	s.cmd_count_ext = ext;
	return s;
}

static void
test_tracker(void **state)
{
	struct ag_evstatus_tracker t;
	struct ag_evstatus_report r[2];
	struct ev_status a = st(2000, 1000, 0, 0, 0), b;
	size_t n;

	(void)state;
	ag_evstatus_tracker_init(&t);
	ag_evstatus_observe(&t, NULL, 1100, r, &n);
	assert_int_equal(n, 0);
	assert_int_equal(ag_evstatus_deadline(&t), 0);

	/* a session starts */
	ag_evstatus_observe(&t, &a, 1100, r, &n);
	assert_int_equal(n, 1);
	assert_false(r[0].final);
	assert_int_equal(r[0].st.expire_on, 2000);
	assert_int_equal(ag_evstatus_deadline(&t), 2000);
	/* unchanged: nothing */
	ag_evstatus_observe(&t, &a, 1200, r, &n);
	assert_int_equal(n, 0);
	/* counts change */
	b = st(2000, 1000, 3, 1, 0);
	ag_evstatus_observe(&t, &b, 1300, r, &n);
	assert_int_equal(n, 1);
	assert_false(r[0].final);
	assert_int_equal(r[0].st.cmd_count_dev, 3);
	/* not yet expired */
	ag_evstatus_tick(&t, 1999, r, &n);
	assert_int_equal(n, 0);
	/* the token expires: final, counts frozen, expire_time the expiry */
	ag_evstatus_tick(&t, 2005, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].final);
	assert_int_equal(r[0].st.expire_on, 2000);
	assert_int_equal(r[0].st.cmd_count_dev, 3);
	assert_int_equal(r[0].st.cmd_count_app, 1);
	assert_int_equal(ag_evstatus_deadline(&t), 0);
	ag_evstatus_tick(&t, 2100, r, &n);
	assert_int_equal(n, 0);
	ag_evstatus_end(&t, 2100, r, &n);
	assert_int_equal(n, 0);
	/* edgeviewd publishes its last counts when it closes: another final */
	b.cmd_count_ext = 9;
	ag_evstatus_observe(&t, &b, 2110, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].final);
	assert_int_equal(r[0].st.cmd_count_ext, 9);
	assert_int_equal(r[0].st.expire_on, 2000);
}

static void
test_tracker_sessions(void **state)
{
	struct ag_evstatus_tracker t;
	struct ag_evstatus_report r[2];
	struct ev_status a = st(5000, 1000, 1, 0, 0), b = st(9000, 3000, 0, 0, 0);
	char k1[AG_EVSTATUS_KEY_MAX], k2[AG_EVSTATUS_KEY_MAX];
	size_t n;

	(void)state;
	ag_evstatus_tracker_init(&t);
	ag_evstatus_observe(&t, &a, 1500, r, &n);
	assert_int_equal(n, 1);
	/* a new token while the old session was running: the old one's final first */
	ag_evstatus_observe(&t, &b, 3001, r, &n);
	assert_int_equal(n, 2);
	assert_true(r[0].final);
	assert_int_equal(r[0].st.started_on.sec, 1000);
	assert_int_equal(r[0].st.expire_on, 3001); /* ended before its expiry */
	assert_int_equal(r[0].st.cmd_count_dev, 1);
	assert_false(r[1].final);
	assert_int_equal(r[1].st.started_on.sec, 3000);
	/* the sessions go to different spool slots */
	assert_ev_ok(ag_evstatus_key(&r[0].st, k1, sizeof(k1)));
	assert_ev_ok(ag_evstatus_key(&r[1].st, k2, sizeof(k2)));
	assert_string_equal(k1, "ev-3e8-7b");
	assert_string_not_equal(k1, k2);
	/* the agent stops Edge-View */
	ag_evstatus_end(&t, 4000, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].final);
	assert_int_equal(r[0].st.expire_on, 4000);
	/* the file goes away afterwards: nothing more */
	ag_evstatus_observe(&t, NULL, 4100, r, &n);
	assert_int_equal(n, 0);

	/* a file that vanishes ends a running session */
	ag_evstatus_tracker_init(&t);
	ag_evstatus_observe(&t, &a, 1500, r, &n);
	ag_evstatus_observe(&t, NULL, 1600, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].final);
	assert_int_equal(r[0].st.expire_on, 1600);

	/* first seen already expired (agent restarted late): one final */
	ag_evstatus_tracker_init(&t);
	ag_evstatus_observe(&t, &a, 6000, r, &n);
	assert_int_equal(n, 1);
	assert_true(r[0].final);
	assert_int_equal(r[0].st.expire_on, 5000);
	ag_evstatus_observe(&t, &a, 6001, r, &n);
	assert_int_equal(n, 0);
}

struct watch_fx {
	struct ag_evstatus_report got[8];
	size_t n;
	struct ev_loop *loop;
};

static void
on_report(void *arg, const struct ag_evstatus_report *r)
{
	struct watch_fx *w = arg;

	assert_true(w->n < 8);
	w->got[w->n++] = *r;
	ev_break(w->loop, EVBREAK_ALL);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
write_status(const char *root, const struct ev_status *s)
{
	char dir[4096], path[4200];
	struct ev_buf *b = ev_buf_new(4096);

	snprintf(dir, sizeof(dir), "%s/run/edgeview/EdgeviewStatus", root);
	assert_ev_ok(ev_dir_ensure(dir, 0700));
	snprintf(path, sizeof(path), "%s/global.json", dir);
	assert_ev_ok(ev_status_encode(s, b));
	assert_ev_ok(ev_file_write_atomic(path, ev_buf_ptr(b), ev_buf_len(b), 0600, "tmp-"));
	ev_buf_free(b);
}

static void
run_for(struct ev_loop *loop, double secs)
{
	ev_timer t;

	ev_timer_init(&t, on_timeout, secs, 0.0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static void
test_watcher(void **state)
{
	struct watch_fx w;
	struct ag_evstatus_watch *aw = NULL;
	char *root = tv_tmpdir();
	time_t now = time(NULL);
	struct ev_status s = st((uint64_t)now + 3600, (int64_t)now, 2, 0, 0), rd;
	char path[4200];
	FILE *f;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(w.loop);
	assert_ev_err(ag_evstatus_read(root, &rd), EV_ERR_NOT_FOUND);
	write_status(root, &s);
	assert_ev_ok(ag_evstatus_read(root, &rd));
	assert_int_equal(rd.cmd_count_dev, 2);

	assert_ev_ok(ag_evstatus_watch_start(w.loop, root, on_report, &w, &aw));
	assert_int_equal(w.n, 0); /* nothing from inside start */
	run_for(w.loop, 5.0);
	assert_int_equal(w.n, 1);
	assert_false(w.got[0].final);
	assert_int_equal(w.got[0].st.cmd_count_dev, 2);

	/* a change, noticed through poke (the ev_stat path is timing-dependent) */
	s.cmd_count_dev = 3;
	write_status(root, &s);
	ag_evstatus_watch_poke(aw);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.got[1].st.cmd_count_dev, 3);

	/* a torn file is ignored, the session stays */
	snprintf(path, sizeof(path), "%s/run/edgeview/EdgeviewStatus/global.json", root);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"ExpireOn\":", f);
	fclose(f);
	ag_evstatus_watch_poke(aw);
	assert_int_equal(w.n, 2);

	/* the agent stops Edge-View */
	ag_evstatus_watch_end(aw);
	assert_int_equal(w.n, 3);
	assert_true(w.got[2].final);
	assert_true(w.got[2].st.expire_on <= (uint64_t)time(NULL));
	assert_int_equal(w.got[2].st.cmd_count_dev, 3);
	ag_evstatus_watch_stop(aw);
	ev_loop_destroy(w.loop);

	/* an expiry timer: a token that ends in a second */
	memset(&w, 0, sizeof(w));
	tv_rmrf(root);
	free(root);
	root = tv_tmpdir();
	{
		struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

		w.loop = loop;
		now = time(NULL);
		s = st((uint64_t)now + 1, (int64_t)now, 1, 1, 1);
		write_status(root, &s);
		assert_ev_ok(ag_evstatus_watch_start(loop, root, on_report, &w, &aw));
		run_for(loop, 5.0);
		assert_int_equal(w.n, 1);
		assert_false(w.got[0].final);
		run_for(loop, 5.0);
		assert_int_equal(w.n, 2);
		assert_true(w.got[1].final);
		assert_int_equal(w.got[1].st.expire_on, (uint64_t)now + 1);
		ag_evstatus_watch_stop(aw);
		ev_loop_destroy(loop);
	}
	tv_rmrf(root);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tracker),
	        cmocka_unit_test(test_tracker_sessions),
	        cmocka_unit_test(test_watcher),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
