/* test_ag_spool.c - the report spool: order, caps, replacement, EVE's status rules, restarts. */
#include "ev_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_err.h"
#include "spool.h"

struct fx {
	char *dir;
	char sp_dir[4096];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tv_tmpdir();
	snprintf(f->sp_dir, sizeof(f->sp_dir), "%s/persist/agent/spool", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tv_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static struct ag_spool *
open_sp(struct fx *f, uint64_t cap, uint32_t max_entries)
{
	struct ag_spool_opts o = {cap, max_entries};
	struct ag_spool *sp = NULL;

	assert_ev_ok(ag_spool_open(f->sp_dir, &o, &sp));
	return sp;
}

static void
put(struct ag_spool *sp, const char *kind, const char *key, unsigned flags, const char *text)
{
	assert_ev_ok(ag_spool_put(sp, kind, key, flags, (const uint8_t *)text, strlen(text)));
}

/* Peek (any kind at time now), compare with want, leave it in place. */
static void
expect_head(struct ag_spool *sp, const char *kind, double now, const char *want)
{
	struct ag_spool_item it;

	assert_ev_ok(ag_spool_peek(sp, kind, now, &it));
	assert_int_equal(it.len, strlen(want));
	assert_memory_equal(it.data, want, it.len);
	ag_spool_item_free(&it);
}

/* Peek and answer with status; returns the outcome. */
static enum ag_spool_outcome
send_head(struct ag_spool *sp, const char *kind, double now, int status, char *got, size_t cap)
{
	struct ag_spool_item it;
	enum ag_spool_outcome oc;

	assert_ev_ok(ag_spool_peek(sp, kind, now, &it));
	if (got != NULL) {
		assert_true(it.len < cap);
		memcpy(got, it.data, it.len);
		got[it.len] = '\0';
	}
	assert_ev_ok(ag_spool_result(sp, &it, status, now, &oc));
	ag_spool_item_free(&it);
	return oc;
}

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_fifo_and_ack(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 0, 0);
	struct ag_spool_item it;
	char got[64];

	put(sp, "metrics", NULL, 0, "one");
	put(sp, "newlogs", "", 0, "two");
	put(sp, "metrics", NULL, 0, "three");
	assert_int_equal(ag_spool_count(sp, NULL), 3);
	assert_int_equal(ag_spool_count(sp, "metrics"), 2);
	assert_int_equal(count_files(f->sp_dir), 3);

	/* kind filter */
	expect_head(sp, "newlogs", 0, "two");
	assert_int_equal(send_head(sp, NULL, 0, 201, got, sizeof(got)), AG_SPOOL_SENT);
	assert_string_equal(got, "one");
	assert_int_equal(send_head(sp, NULL, 0, 200, got, sizeof(got)), AG_SPOOL_SENT);
	assert_string_equal(got, "two");
	assert_int_equal(send_head(sp, NULL, 0, 204, got, sizeof(got)), AG_SPOOL_SENT);
	assert_string_equal(got, "three");
	assert_ev_err(ag_spool_peek(sp, NULL, 0, &it), EV_ERR_SPOOL_EMPTY);
	assert_null(it.data);
	assert_int_equal(count_files(f->sp_dir), 0);
	ag_spool_close(sp);
}

static void
test_classify(void **state)
{
	static const struct {
		int status;
		enum ag_spool_outcome want;
	} t[] = {
	        {200, AG_SPOOL_SENT},    {201, AG_SPOOL_SENT},    {204, AG_SPOOL_SENT},
	        {304, AG_SPOOL_SENT},    {202, AG_SPOOL_STOP},    {0, AG_SPOOL_STOP},
	        {302, AG_SPOOL_STOP},    {100, AG_SPOOL_STOP},    {600, AG_SPOOL_STOP},
	        {401, AG_SPOOL_RETRY},   {403, AG_SPOOL_RETRY},   {407, AG_SPOOL_RETRY},
	        {408, AG_SPOOL_RETRY},   {429, AG_SPOOL_RETRY},   {500, AG_SPOOL_RETRY},
	        {503, AG_SPOOL_RETRY},   {599, AG_SPOOL_RETRY},   {400, AG_SPOOL_DROPPED},
	        {404, AG_SPOOL_DROPPED}, {409, AG_SPOOL_DROPPED}, {413, AG_SPOOL_DROPPED},
	        {422, AG_SPOOL_DROPPED}, {499, AG_SPOOL_DROPPED},
	};
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(t); i++)
		if (ag_spool_classify(t[i].status) != t[i].want)
			fail_msg("status %d: %d, want %d", t[i].status,
			         ag_spool_classify(t[i].status), t[i].want);
}

static void
test_keep_and_drop_rules(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 0, 0);
	struct ag_spool_item it;
	struct ag_spool_stats st;
	char got[64];

	put(sp, "info", "dev", 0, "A");
	put(sp, "metrics", NULL, 0, "B");
	/* 503: kept, held back for a minute; B goes meanwhile */
	assert_int_equal(send_head(sp, NULL, 100, 503, got, sizeof(got)), AG_SPOOL_RETRY);
	assert_string_equal(got, "A");
	expect_head(sp, NULL, 100, "B");
	expect_head(sp, NULL, 159, "B");
	expect_head(sp, NULL, 160, "A");
	/* second refusal doubles the delay */
	assert_int_equal(send_head(sp, "info", 160, 429, NULL, 0), AG_SPOOL_RETRY);
	assert_ev_err(ag_spool_peek(sp, "info", 279, &it), EV_ERR_SPOOL_EMPTY);
	assert_ev_ok(ag_spool_peek(sp, "info", 280, &it));
	assert_int_equal(it.attempts, 2);
	ag_spool_item_free(&it);
	/* each of EVE's retriable codes keeps it */
	assert_int_equal(send_head(sp, "info", 1e6, 401, NULL, 0), AG_SPOOL_RETRY);
	assert_int_equal(send_head(sp, "info", 2e6, 403, NULL, 0), AG_SPOOL_RETRY);
	assert_int_equal(send_head(sp, "info", 3e6, 407, NULL, 0), AG_SPOOL_RETRY);
	assert_int_equal(send_head(sp, "info", 4e6, 408, NULL, 0), AG_SPOOL_RETRY);
	/* the delay is capped at 15 min */
	assert_ev_ok(ag_spool_peek(sp, "info", 4e6 + 900, &it));
	ag_spool_item_free(&it);
	/* no answer: kept, not delayed */
	assert_int_equal(send_head(sp, "metrics", 0, 0, NULL, 0), AG_SPOOL_STOP);
	expect_head(sp, "metrics", 0, "B");
	/* other 4xx: dropped */
	assert_int_equal(send_head(sp, "metrics", 0, 404, NULL, 0), AG_SPOOL_DROPPED);
	assert_int_equal(send_head(sp, "info", 5e6, 400, NULL, 0), AG_SPOOL_DROPPED);
	assert_int_equal(ag_spool_count(sp, NULL), 0);
	ag_spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_refused, 2);
	assert_int_equal(st.sent, 0);
	ag_spool_close(sp);
}

static void
test_discard_on_failure(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 0, 0);
	struct ag_spool_stats st;

	put(sp, "info", "dev", AG_SPOOL_DISCARD_ON_FAILURE, "periodic");
	assert_int_equal(send_head(sp, NULL, 0, 503, NULL, 0), AG_SPOOL_DROPPED);
	put(sp, "info", "dev", AG_SPOOL_DISCARD_ON_FAILURE, "periodic");
	assert_int_equal(send_head(sp, NULL, 0, 0, NULL, 0), AG_SPOOL_DROPPED);
	put(sp, "info", "dev", AG_SPOOL_DISCARD_ON_FAILURE, "periodic");
	assert_int_equal(send_head(sp, NULL, 0, 201, NULL, 0), AG_SPOOL_SENT);
	ag_spool_get_stats(sp, &st);
	assert_int_equal(st.discarded, 2);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.entries, 0);
	ag_spool_close(sp);
}

static void
test_replace_in_place(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 0, 0);
	struct ag_spool_item it, it2;
	struct ag_spool_stats st;
	enum ag_spool_outcome oc;
	char got[64];

	put(sp, "info", "dev-uuid", 0, "info v1");
	put(sp, "newlogs", NULL, 0, "log 1");
	put(sp, "info", "global", 0, "ev v1");
	put(sp, "info", "dev-uuid", 0, "info v2"); /* replaces, keeps its place */
	assert_int_equal(ag_spool_count(sp, NULL), 3);
	assert_int_equal(count_files(f->sp_dir), 3);
	expect_head(sp, NULL, 0, "info v2");

	/* a newer version arrives while the older one is being sent */
	assert_ev_ok(ag_spool_peek(sp, NULL, 0, &it));
	put(sp, "info", "dev-uuid", 0, "info v3");
	assert_ev_ok(ag_spool_result(sp, &it, 201, 0, &oc));
	assert_int_equal(oc, AG_SPOOL_SENT);
	ag_spool_item_free(&it);
	expect_head(sp, NULL, 0, "info v3"); /* not lost */

	/* the same bytes again keep the retry state */
	assert_int_equal(send_head(sp, "info", 0, 503, NULL, 0), AG_SPOOL_RETRY);
	put(sp, "info", "dev-uuid", 0, "info v3");
	assert_ev_ok(ag_spool_peek(sp, "info", 30, &it2));
	assert_int_equal(it2.attempts, 0);
	assert_string_equal(it2.key, "global"); /* dev-uuid still held back */
	ag_spool_item_free(&it2);
	/* different bytes reset it */
	put(sp, "info", "dev-uuid", 0, "info v4");
	assert_int_equal(send_head(sp, "info", 30, 201, got, sizeof(got)), AG_SPOOL_SENT);
	assert_string_equal(got, "info v4");
	ag_spool_get_stats(sp, &st);
	assert_int_equal(st.replaced, 3);
	ag_spool_close(sp);
}

static void
test_cap_drops_oldest(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 1000, 0);
	struct ag_spool_stats st;
	char buf[301], got[400];
	int i;

	memset(buf, 'x', 300);
	buf[300] = '\0';
	put(sp, "info", "dev", 0, "device info");
	for (i = 0; i < 5; i++) {
		buf[0] = (char)('0' + i);
		put(sp, "newlogs", NULL, 0, buf);
	}
	ag_spool_get_stats(sp, &st);
	assert_true(st.bytes <= 1000);
	assert_int_equal(st.dropped_cap, 2);
	assert_int_equal(st.dropped_cap_bytes, 600);
	/* the keyed entry survived; logs 2, 3, 4 remain in order */
	assert_int_equal(send_head(sp, NULL, 0, 201, got, sizeof(got)), AG_SPOOL_SENT);
	assert_string_equal(got, "device info");
	for (i = 2; i < 5; i++) {
		assert_int_equal(send_head(sp, NULL, 0, 201, got, sizeof(got)), AG_SPOOL_SENT);
		assert_int_equal(got[0], '0' + i);
	}
	{
		uint8_t *big = calloc(1, 1001);

		assert_non_null(big);
		assert_ev_err(ag_spool_put(sp, "newlogs", NULL, 0, big, 1001), EV_ERR_TOO_BIG);
		free(big);
	}
	ag_spool_close(sp);

	/* an entry cap too; keyed entries go last */
	tv_rmrf(f->sp_dir);
	sp = open_sp(f, 0, 3);
	put(sp, "newlogs", NULL, 0, "l1");
	put(sp, "info", "k", 0, "i1");
	put(sp, "newlogs", NULL, 0, "l2");
	put(sp, "newlogs", NULL, 0, "l3");
	put(sp, "newlogs", NULL, 0, "l4");
	assert_int_equal(ag_spool_count(sp, NULL), 3);
	expect_head(sp, NULL, 0, "i1");
	assert_int_equal(send_head(sp, "newlogs", 0, 201, got, sizeof(got)), AG_SPOOL_SENT);
	assert_string_equal(got, "l3");
	put(sp, "info", "k", 0, "i2"); /* replacing needs no room */
	put(sp, "info", "k2", 0, "j1");
	put(sp, "info", "k3", 0, "m1"); /* l4 goes, though older keyed entries exist */
	assert_int_equal(ag_spool_count(sp, NULL), 3);
	assert_int_equal(ag_spool_count(sp, "newlogs"), 0);
	expect_head(sp, NULL, 0, "i2");
	put(sp, "info", "k4", 0, "n1"); /* only keyed left: the oldest keyed goes */
	assert_int_equal(ag_spool_count(sp, NULL), 3);
	expect_head(sp, NULL, 0, "j1");
	ag_spool_close(sp);
}

static void
test_survives_reopen(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 0, 0);
	struct ag_spool *sp2 = NULL;
	char got[64], path[8192];
	FILE *fp;
	int i;

	put(sp, "info", "dev", 0, "info v0");
	put(sp, "info", "dev", 0, "info"); /* generation 1 of entry 1 */
	put(sp, "newlogs", NULL, 0, "log a");
	put(sp, "metrics", NULL, AG_SPOOL_DISCARD_ON_FAILURE, "metric");
	put(sp, "newlogs", NULL, 0, "log b");
	assert_int_equal(send_head(sp, "newlogs", 0, 201, NULL, 0), AG_SPOOL_SENT);
	/* a second process cannot use it meanwhile */
	assert_ev_err(ag_spool_open(f->sp_dir, NULL, &sp2), EV_ERR_SPOOL_LOCKED);
	assert_null(sp2);
	ag_spool_close(sp);

	/* debris of a crash: a temporary file, and an old generation left
	 * behind by a replacement; and somebody else's file */
	snprintf(path, sizeof(path), "%s/.tmp-abc123", f->sp_dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	snprintf(path, sizeof(path), "%s/0000000000000001.00000000.0.info.dev", f->sp_dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("stale info", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/README", f->sp_dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);

	sp = open_sp(f, 0, 0);
	assert_int_equal(ag_spool_count(sp, NULL), 3);
	for (i = 0; i < 3; i++) {
		static const char *const want[] = {"info", "metric", "log b"};

		assert_int_equal(send_head(sp, NULL, 0, 201, got, sizeof(got)), AG_SPOOL_SENT);
		assert_string_equal(got, want[i]);
	}
	/* sequence numbers go on after the restart */
	put(sp, "newlogs", NULL, 0, "log c");
	assert_int_equal(count_files(f->sp_dir), 2); /* README and the new entry */
	snprintf(path, sizeof(path), "%s/.tmp-abc123", f->sp_dir);
	assert_int_equal(access(path, F_OK), -1);
	ag_spool_close(sp);
}

static void
test_bad_args(void **state)
{
	struct fx *f = *state;
	struct ag_spool *sp = open_sp(f, 0, 0);
	struct ag_spool_opts o = {0, AG_SPOOL_MAX_ENTRIES + 1};
	struct ag_spool *sp2 = NULL;

	assert_ev_err(ag_spool_put(sp, "", NULL, 0, NULL, 0), EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "Info", NULL, 0, NULL, 0), EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "info.x", NULL, 0, NULL, 0), EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "averyveryverylongkind", NULL, 0, NULL, 0),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "info", "a/b", 0, NULL, 0), EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "info", "a.b", 0, NULL, 0), EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "info", "k", 0x8, NULL, 0), EV_ERR_INVALID_ARG);
	assert_ev_err(ag_spool_put(sp, "info", "k", 0, NULL, 1), EV_ERR_INVALID_ARG);
	assert_ev_ok(ag_spool_put(sp, "info", "k", 0, NULL, 0)); /* empty payload is fine */
	assert_ev_err(ag_spool_open(f->dir, &o, &sp2), EV_ERR_INVALID_ARG);
	ag_spool_close(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_fifo_and_ack, setup, teardown),
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test_setup_teardown(test_keep_and_drop_rules, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_discard_on_failure, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_replace_in_place, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cap_drops_oldest, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
