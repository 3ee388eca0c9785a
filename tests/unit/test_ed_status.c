/* test_ed_status.c - EdgeviewStatus publication (global.json, EVE's pubsub
 * socket exchange, pushed updates, bounds) and the sums across instances
 * reported over the evStats datagram socket. */
#include "ev_test.h"

#include <errno.h>
#include <ev.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_status.h"
#include "policy.h"
#include "status.h"

#define DEBOUNCE 0.2
#define EXPIRE   1760000000u

static const struct ev_time started = {1759990000, 123456789, 0};

struct fx {
	struct ev_loop *loop;
	char *root;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->loop);
	f->root = tv_tmpdir();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tv_rmrf(f->root);
	free(f->root);
	ev_loop_destroy(f->loop);
	free(f);
	return 0;
}

static void
on_break(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

static void
run_for(struct ev_loop *loop, double secs)
{
	ev_timer t;

	ev_timer_init(&t, on_break, secs, 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static uint64_t
pubs(const struct status *st)
{
	struct status_info i;

	status_get_info(st, &i);
	return i.publications;
}

/* Runs the loop until st has published n times (or 5 s pass). */
static void
run_until_pubs(struct ev_loop *loop, const struct status *st, uint64_t n)
{
	for (int i = 0; i < 250 && pubs(st) < n; i++)
		run_for(loop, 0.02);
	assert_true(pubs(st) >= n);
}

static void
path_of(const struct fx *f, const char *rel, char *out, size_t cap)
{
	assert_ev_ok(ev_path_join(out, cap, f->root, rel));
}

static char *
read_json(const struct fx *f, size_t *len)
{
	char p[4096];
	char *text = NULL;

	path_of(f, "/run/edgeview/EdgeviewStatus/global.json", p, sizeof(p));
	assert_ev_ok(ev_file_read_capped(p, EV_MAX_STATUS_JSON, &text, len));
	return text;
}

static char *
expected_json(uint64_t exp, uint32_t dev, uint32_t app, uint32_t ext)
{
	struct ev_status s = {exp, started, dev, app, ext};
	struct ev_buf *b = ev_buf_new(EV_MAX_STATUS_JSON);
	uint8_t *p = NULL;
	size_t len;

	assert_non_null(b);
	assert_ev_ok(ev_status_encode(&s, b));
	assert_ev_ok(ev_buf_take(b, &p, &len));
	ev_buf_free(b);
	return (char *)p;
}

static void
assert_published(const struct fx *f, uint64_t exp, uint32_t dev, uint32_t app, uint32_t ext)
{
	size_t len;
	char *got = read_json(f, &len);
	char *want = expected_json(exp, dev, app, ext);

	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
	free(want);
}

static int
sub_connect(const struct fx *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	path_of(f, "/run/edgeview/EdgeviewStatus.sock", sa.sun_path, sizeof(sa.sun_path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
sub_send(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* The next message, NUL-terminated; -1 if none is waiting, 0 at EOF. */
static ssize_t
sub_recv(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);

	if (n < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return -1;
	}
	buf[n] = '\0';
	return n;
}

static void
expect_msg(int fd, const char *want)
{
	char buf[70000];

	assert_int_equal(sub_recv(fd, buf, sizeof(buf)), (ssize_t)strlen(want));
	assert_string_equal(buf, want);
}

/* "update EdgeviewStatus Z2xvYmFs <b64 json>" with json as the value. */
static void
expect_update(int fd, const char *json)
{
	struct ev_buf *b = ev_buf_new(70000);

	assert_non_null(b);
	assert_ev_ok(ev_buf_put_str(b, "update EdgeviewStatus Z2xvYmFs "));
	assert_ev_ok(ev_b64_encode(EV_B64_STD, (const uint8_t *)json, strlen(json), b));
	expect_msg(fd, ev_buf_str(b));
	ev_buf_free(b);
}

static void
expect_nothing(int fd)
{
	char buf[16];

	assert_int_equal(sub_recv(fd, buf, sizeof(buf)), -1);
}

static void
test_publish_byte_exact(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct policy_counts c = {3, 2, 1};
	struct stat sb;
	char p[4096];

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &st));
	path_of(f, "/run/edgeview/EdgeviewStatus/global.json", p, sizeof(p));
	assert_int_equal(access(p, F_OK), -1); /* debounced, not yet */
	run_until_pubs(f->loop, st, 1);
	assert_published(f, EXPIRE, 0, 0, 0);

	status_count(st, &c);
	run_until_pubs(f->loop, st, 2);
	assert_published(f, EXPIRE, 3, 2, 1);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	path_of(f, "/run/edgeview/EdgeviewStatus", p, sizeof(p));
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	path_of(f, "/run/edgeview/EdgeviewStatus.sock", p, sizeof(p));
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	status_close(st);
}

static void
test_debounce_coalesces(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct policy_counts c = {0, 0, 0};

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &st));
	/* Triggers within one debounce period make a single publication. */
	for (uint32_t i = 1; i <= 5; i++) {
		c.dev = i;
		status_count(st, &c);
		run_for(f->loop, 0.01);
	}
	run_until_pubs(f->loop, st, 1);
	run_for(f->loop, 2 * DEBOUNCE);
	assert_int_equal(pubs(st), 1);
	assert_published(f, EXPIRE, 5, 0, 0);
	status_close(st);
}

static void
test_subscriber_exchange_and_push(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct status_info info;
	struct policy_counts c = {7, 0, 4};
	char *j0 = expected_json(EXPIRE, 0, 0, 0), *j1 = expected_json(EXPIRE, 7, 0, 4);
	int fd;

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &st));
	run_until_pubs(f->loop, st, 1);
	fd = sub_connect(f);
	sub_send(fd, "request EdgeviewStatus");
	run_for(f->loop, 0.05);
	expect_msg(fd, "hello EdgeviewStatus false");
	expect_update(fd, j0);
	expect_msg(fd, "complete EdgeviewStatus");
	expect_nothing(fd);
	status_get_info(st, &info);
	assert_int_equal(info.subscribers, 1);

	status_count(st, &c);
	run_until_pubs(f->loop, st, 2);
	run_for(f->loop, 0.02);
	expect_update(fd, j1);
	expect_nothing(fd);

	/* An unchanged value is not pushed again (EVE's differ). */
	status_count(st, &c);
	run_until_pubs(f->loop, st, 3);
	run_for(f->loop, 0.02);
	expect_nothing(fd);

	/* The subscriber leaving is noticed. */
	close(fd);
	run_for(f->loop, 0.02);
	status_get_info(st, &info);
	assert_int_equal(info.subscribers, 0);
	status_close(st);
	free(j0);
	free(j1);
}

static void
test_subscriber_before_first_publication(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	char *j0 = expected_json(EXPIRE, 0, 0, 0);
	int fd;

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &st));
	fd = sub_connect(f);
	sub_send(fd, "request EdgeviewStatus");
	run_for(f->loop, 0.02);
	assert_int_equal(pubs(st), 0);
	expect_msg(fd, "hello EdgeviewStatus false");
	expect_msg(fd, "complete EdgeviewStatus");
	expect_nothing(fd);
	run_until_pubs(f->loop, st, 1);
	run_for(f->loop, 0.02);
	expect_update(fd, j0);
	close(fd);
	status_close(st);
	free(j0);
}

static void
test_bad_request_closes_only_that_subscriber(void **state)
{
	static const char *bad[] = {
	        "request Foo",
	        "request EdgeviewStatus ",
	        "request  EdgeviewStatus",
	        "REQUEST EdgeviewStatus",
	        "request EdgeviewStatus\n",
	};
	struct fx *f = *state;
	struct status *st = NULL;
	struct status_info info;
	char buf[512];
	int good, fds[EV_ARRAY_LEN(bad)];

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &st));
	good = sub_connect(f);
	for (size_t i = 0; i < EV_ARRAY_LEN(bad); i++) {
		fds[i] = sub_connect(f);
		sub_send(fds[i], bad[i]);
	}
	run_for(f->loop, 0.02);
	sub_send(good, "request EdgeviewStatus");
	run_for(f->loop, 0.02);
	for (size_t i = 0; i < EV_ARRAY_LEN(bad); i++) {
		assert_int_equal(sub_recv(fds[i], buf, sizeof(buf)), 0); /* closed, no hello */
		close(fds[i]);
	}
	expect_msg(good, "hello EdgeviewStatus false");
	expect_msg(good, "complete EdgeviewStatus");
	status_get_info(st, &info);
	assert_int_equal(info.subscribers, 1);
	close(good);
	status_close(st);
}

static void
test_subscriber_cap(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct status_info info;
	int fds[STATUS_MAX_SUBSCRIBERS + 1];
	char buf[64];

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &st));
	for (unsigned i = 0; i <= STATUS_MAX_SUBSCRIBERS; i++) {
		fds[i] = sub_connect(f);
		run_for(f->loop, 0.005);
	}
	status_get_info(st, &info);
	assert_int_equal(info.subscribers, STATUS_MAX_SUBSCRIBERS);
	assert_int_equal(sub_recv(fds[STATUS_MAX_SUBSCRIBERS], buf, sizeof(buf)), 0);
	for (unsigned i = 0; i <= STATUS_MAX_SUBSCRIBERS; i++)
		close(fds[i]);
	status_close(st);
}

static void
test_slow_subscriber_dropped(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct status_info info;
	struct policy_counts c = {0, 0, 0};
	int fd;

	/* Debounce 0: each count is published on the next loop iteration. */
	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, 0, &st));
	fd = sub_connect(f);
	sub_send(fd, "request EdgeviewStatus");
	run_for(f->loop, 0.02);
	status_get_info(st, &info);
	assert_int_equal(info.subscribers, 1);
	/* The reader never reads: the socket buffer fills, then the queue. */
	for (uint32_t i = 1; i < 100000 && info.subscribers == 1; i++) {
		c.dev = i;
		status_count(st, &c);
		ev_run(f->loop, EVRUN_NOWAIT);
		ev_run(f->loop, EVRUN_NOWAIT);
		status_get_info(st, &info);
	}
	assert_int_equal(info.subscribers, 0);
	close(fd);
	status_close(st);
}

static void
test_previous_value_served_until_publication(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	char dir[4096], p[4096];
	char *old = expected_json(EXPIRE - 100, 9, 9, 9);
	int fd;

	path_of(f, "/run/edgeview/EdgeviewStatus", dir, sizeof(dir));
	assert_ev_ok(ev_dir_ensure(dir, 0700));
	path_of(f, "/run/edgeview/EdgeviewStatus/global.json", p, sizeof(p));
	assert_ev_ok(ev_file_write_atomic(p, old, strlen(old), 0600, "tmp"));
	path_of(f, "/run/edgeview/EdgeviewStatus/restarted", p, sizeof(p));
	assert_ev_ok(ev_file_write_atomic(p, "1", 1, 0600, "tmp"));

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, 10.0, &st));
	assert_int_equal(access(p, F_OK), -1); /* the restarted marker is cleared */
	fd = sub_connect(f);
	sub_send(fd, "request EdgeviewStatus");
	run_for(f->loop, 0.02);
	expect_msg(fd, "hello EdgeviewStatus false");
	expect_update(fd, old);
	expect_msg(fd, "complete EdgeviewStatus");
	close(fd);
	status_close(st); /* the start publication was pending: made now */
	assert_published(f, EXPIRE, 0, 0, 0);
	free(old);
}

static void
test_close_publishes_pending_and_removes_socket(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct policy_counts c = {1, 1, 1};
	char p[4096];

	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, 10.0, &st));
	status_count(st, &c);
	status_close(st);
	assert_published(f, EXPIRE, 1, 1, 1);
	path_of(f, "/run/edgeview/EdgeviewStatus.sock", p, sizeof(p));
	assert_int_equal(access(p, F_OK), -1);
	status_close(NULL);
}

static void
test_socket_in_use_and_stale(void **state)
{
	struct fx *f = *state;
	struct status *a = NULL, *b = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	assert_ev_ok(status_open(f->loop, f->root, 1, EXPIRE, &started, DEBOUNCE, &a));
	assert_ev_err(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &b),
	              EV_ERR_STATUS_IN_USE);
	assert_null(b);
	status_close(a);

	/* A socket file left by a crashed publisher is taken over. */
	path_of(f, "/run/edgeview/EdgeviewStatus.sock", sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(access(sa.sun_path, F_OK), 0);
	assert_ev_ok(status_open(f->loop, f->root, 0, EXPIRE, &started, DEBOUNCE, &b));
	status_close(b);
}

static void
test_invalid_args(void **state)
{
	struct fx *f = *state;
	struct status *st = (struct status *)&st;

	assert_ev_err(status_open(f->loop, f->root, 6, EXPIRE, &started, DEBOUNCE, &st),
	              EV_ERR_INST_RANGE);
	assert_null(st);
	assert_ev_err(status_open(f->loop, f->root, 0, EXPIRE, &started, -1, &st),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(status_open(NULL, f->root, 0, EXPIRE, &started, DEBOUNCE, &st),
	              EV_ERR_INVALID_ARG);
}

static void
test_aggregation(void **state)
{
	struct fx *f = *state;
	struct status *s1 = NULL, *s2 = NULL, *s3 = NULL;
	struct status_info i1, i2;
	struct policy_counts c1 = {10, 20, 30}, c2 = {1, 2, 3}, c3 = {100, 0, 0};
	size_t len;
	char *got = NULL, *want = expected_json(EXPIRE, 111, 22, 33);

	assert_ev_ok(status_open(f->loop, f->root, 1, EXPIRE, &started, DEBOUNCE, &s1));
	assert_ev_ok(status_open(f->loop, f->root, 2, EXPIRE + 5, &started, DEBOUNCE, &s2));
	assert_ev_ok(status_open(f->loop, f->root, 3, EXPIRE + 9, &started, DEBOUNCE, &s3));
	run_until_pubs(f->loop, s1, 1);
	assert_published(f, EXPIRE, 0, 0, 0);
	status_get_info(s2, &i2);
	assert_int_equal(i2.reports_sent, 0); /* no report at start */

	status_count(s1, &c1);
	status_count(s2, &c2);
	status_count(s3, &c3);
	for (int i = 0; i < 250; i++) {
		run_for(f->loop, 0.02);
		free(got);
		got = read_json(f, &len);
		if (len == strlen(want) && memcmp(got, want, len) == 0)
			break;
	}
	assert_string_equal(got, want); /* instance 1's times, summed counts */
	status_get_info(s1, &i1);
	assert_int_equal(i1.reports_ok, 2);
	assert_int_equal(i1.reports_bad, 0);
	status_get_info(s2, &i2);
	assert_int_equal(i2.reports_sent, 1);

	/* A later report replaces the stored one instead of adding to it. */
	c2.dev = 5;
	status_count(s2, &c2);
	free(want);
	want = expected_json(EXPIRE, 115, 22, 33);
	for (int i = 0; i < 250; i++) {
		run_for(f->loop, 0.02);
		free(got);
		got = read_json(f, &len);
		if (len == strlen(want) && memcmp(got, want, len) == 0)
			break;
	}
	assert_string_equal(got, want);
	status_close(s3);
	status_close(s2);
	status_close(s1);
	free(got);
	free(want);
}

static void
send_report(const struct fx *f, const void *p, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	path_of(f, "/run/edgeview/evStats.sock", sa.sun_path, sizeof(sa.sun_path));
	assert_int_equal(sendto(fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
	close(fd);
}

static void
test_bad_reports_rejected(void **state)
{
	static const char *bad[] = {
	        "{\"instID\":2,\"stats\":{\"CmdCountDev\":5",             /* truncated */
	        "{\"instID\":7,\"stats\":{\"CmdCountDev\":5}}",           /* 2..5 only */
	        "{\"instID\":1,\"stats\":{\"CmdCountDev\":5}}",           /* ourselves */
	        "{\"instID\":0,\"stats\":{\"CmdCountDev\":5}}",           /* single */
	        "{\"instID\":-2,\"stats\":{\"CmdCountDev\":5}}",          /* negative */
	        "{\"instID\":3,\"stats\":{\"CmdCountDev\":-1}}",          /* u32 range */
	        "{\"instID\":3,\"stats\":{\"CmdCountDev\":5}} x",         /* trailing */
	        "{\"instID\":3,\"stats\":{\"StartedOn\":\"yesterday\"}}", /* time */
	        "[1,2,3]",                                                /* not an object */
	        "",                                                       /* empty */
	};
	struct fx *f = *state;
	struct status *st = NULL;
	struct status_info info;
	char *big;
	char p[4096];
	struct stat before, after;

	assert_ev_ok(status_open(f->loop, f->root, 1, EXPIRE, &started, DEBOUNCE, &st));
	run_until_pubs(f->loop, st, 1);
	path_of(f, "/run/edgeview/evStats.sock", p, sizeof(p));
	assert_int_equal(stat(p, &before), 0);
	assert_true(S_ISSOCK(before.st_mode));
	assert_int_equal(before.st_mode & 0777, 0600);

	for (size_t i = 0; i < EV_ARRAY_LEN(bad); i++)
		send_report(f, bad[i], strlen(bad[i]));
	/* One byte over the cap, valid JSON but for its size. */
	big = malloc(EV_MAX_STATUS_JSON + 1);
	assert_non_null(big);
	memset(big, ' ', EV_MAX_STATUS_JSON + 1);
	memcpy(big, "{\"instID\":2}", 12);
	send_report(f, big, EV_MAX_STATUS_JSON + 1);
	free(big);
	run_for(f->loop, 3 * DEBOUNCE);

	status_get_info(st, &info);
	assert_int_equal(info.reports_bad, EV_ARRAY_LEN(bad) + 1);
	assert_int_equal(info.reports_ok, 0);
	assert_int_equal(info.publications, 1); /* nothing was triggered */
	assert_published(f, EXPIRE, 0, 0, 0);

	/* The socket still works for a good report. */
	const char *good = "{\"instID\":5,\"stats\":{\"CmdCountExt\":4}}";
	send_report(f, good, strlen(good));
	run_until_pubs(f->loop, st, 2);
	assert_published(f, EXPIRE, 0, 0, 4);
	assert_int_equal(stat(p, &after), 0);
	status_close(st);
	assert_int_equal(access(p, F_OK), -1);
}

static void
test_report_without_instance1(void **state)
{
	struct fx *f = *state;
	struct status *st = NULL;
	struct status_info info;
	struct policy_counts c = {1, 0, 0};

	/* Nobody listens: the report is dropped, the device carries on. */
	assert_ev_ok(status_open(f->loop, f->root, 4, EXPIRE, &started, DEBOUNCE, &st));
	status_count(st, &c);
	run_for(f->loop, 2 * DEBOUNCE);
	status_get_info(st, &info);
	assert_int_equal(info.reports_sent, 0);
	assert_int_equal(info.publications, 0);
	status_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_publish_byte_exact, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_debounce_coalesces, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subscriber_exchange_and_push, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subscriber_before_first_publication, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_bad_request_closes_only_that_subscriber, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_subscriber_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_slow_subscriber_dropped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_previous_value_served_until_publication, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_close_publishes_pending_and_removes_socket,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_socket_in_use_and_stale, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invalid_args, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_aggregation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_reports_rejected, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_report_without_instance1, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
