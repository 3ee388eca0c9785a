/* test_ed_replay.c - replay protection of commands (edgeview/replay.c) and
 * the replay fields of the command message (lib/ev_cmd.c). */
#include "ev_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "replay.h"

#define UUID "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01"
#define HASH "T5TizYe7_dBdmLUIjzLuSGStjRkv9BUCbOPHbdjSPJ0"
#define SESS "AAAAAAAAAAAAAAAAAAAAAA"
#define NOW  1763800000000LL

static struct replay *
mk(bool strict)
{
	struct replay_cfg cfg = {60, strict, UUID, HASH};
	struct replay *rp = NULL;

	assert_ev_ok(replay_new(&cfg, &rp));
	return rp;
}

static void
fill(struct ev_cmd *c, const char *sess, int64_t seq, int64_t t)
{
	memset(c, 0, sizeof(*c));
	c->evx = 1;
	c->evx_device = (char *)UUID;
	c->evx_token = (char *)HASH;
	c->evx_session = (char *)sess;
	c->evx_seq = seq;
	c->evx_time = t;
}

static void
t_in_order(void **state)
{
	struct replay *rp = mk(false);
	struct ev_cmd c;
	bool legacy;

	(void)state;
	fill(&c, SESS, 1, NOW);
	assert_ev_ok(replay_check(rp, &c, NOW, &legacy));
	assert_false(legacy);
	fill(&c, SESS, 2, NOW + 10);
	assert_ev_ok(replay_check(rp, &c, NOW + 20, NULL));
	fill(&c, SESS, 5, NOW + 30); /* a gap is allowed */
	assert_ev_ok(replay_check(rp, &c, NOW + 40, NULL));
	assert_int_equal(replay_sessions(rp), 1);
	replay_free(rp);
}

static void
t_replays(void **state)
{
	struct replay *rp = mk(false);
	struct ev_cmd c;

	(void)state;
	fill(&c, SESS, 3, NOW);
	assert_ev_ok(replay_check(rp, &c, NOW, NULL));
	/* the same command again, on this or any later connection */
	assert_ev_err(replay_check(rp, &c, NOW + 1000, NULL), EV_ERR_REPLAY_DUP);
	fill(&c, SESS, 2, NOW);
	assert_ev_err(replay_check(rp, &c, NOW + 1000, NULL), EV_ERR_REPLAY_ORDER);
	/* once forgotten, the command is stale anyway */
	fill(&c, SESS, 3, NOW);
	assert_ev_err(replay_check(rp, &c, NOW + 62000, NULL), EV_ERR_REPLAY_STALE);
	replay_free(rp);
}

static void
t_window_and_binding(void **state)
{
	struct replay *rp = mk(false);
	struct ev_cmd c;

	(void)state;
	fill(&c, SESS, 1, NOW - 61000);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_STALE);
	fill(&c, SESS, 1, NOW + 61000);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FUTURE);
	fill(&c, SESS, 1, NOW);
	c.evx_device = (char *)"11111111-2222-3333-4444-555555555555";
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_DEVICE);
	fill(&c, SESS, 1, NOW);
	c.evx_token = (char *)"T5TizYe7_dBdmLUIjzLuSGStjRkv9BUCbOPHbdjSPJ1";
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_TOKEN);
	c.evx_token = (char *)"short";
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_TOKEN);
	/* refusals leave no state behind */
	assert_int_equal(replay_sessions(rp), 0);
	replay_free(rp);
}

static void
t_malformed(void **state)
{
	struct replay *rp = mk(false);
	struct ev_cmd c;

	(void)state;
	fill(&c, SESS, 0, NOW);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	fill(&c, SESS, -4, NOW);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	fill(&c, "AAAA", 1, NOW);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	fill(&c, "AAAAAAAAAAAAAAAAAAAA+/", 1, NOW);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	fill(&c, SESS, 1, NOW);
	c.evx = 2;
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	fill(&c, SESS, 1, NOW);
	c.evx_device = NULL;
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	fill(&c, SESS, 1, 0);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FIELDS);
	replay_free(rp);
}

static void
t_legacy(void **state)
{
	struct replay *lax = mk(false), *strict = mk(true);
	struct ev_cmd c = {0};
	bool legacy = false;

	(void)state;
	c.system = (char *)"ps";
	assert_ev_ok(replay_check(lax, &c, NOW, &legacy));
	assert_true(legacy);
	assert_ev_err(replay_check(strict, &c, NOW, &legacy), EV_ERR_REPLAY_LEGACY);
	replay_free(lax);
	replay_free(strict);
}

static void
t_full(void **state)
{
	struct replay *rp = mk(false);
	struct ev_cmd c;
	char id[23];

	(void)state;
	for (unsigned i = 0; i < EV_MAX_REPLAY_SESSIONS; i++) {
		snprintf(id, sizeof(id), "%022u", i);
		fill(&c, id, 1, NOW);
		assert_ev_ok(replay_check(rp, &c, NOW, NULL));
	}
	/* live ids are never evicted: a new one is refused instead */
	fill(&c, SESS, 1, NOW);
	assert_ev_err(replay_check(rp, &c, NOW, NULL), EV_ERR_REPLAY_FULL);
	/* a known one still works */
	fill(&c, "0000000000000000000007", 2, NOW);
	assert_ev_ok(replay_check(rp, &c, NOW, NULL));
	/* after the window, the old ones are forgotten */
	fill(&c, SESS, 1, NOW + 62000);
	assert_ev_ok(replay_check(rp, &c, NOW + 62000, NULL));
	assert_int_equal(replay_sessions(rp), 1);
	replay_free(rp);
}

static void
t_cmd_fields(void **state)
{
	struct ev_cmd c = {0}, d;
	struct ev_buf *b = ev_buf_new(EV_MAX_CMD_JSON);
	const char *json;

	(void)state;
	c.version = (char *)"0.8.8";
	c.system = (char *)"ps";
	/* without the extension: Go's exact bytes, no evx keys */
	assert_ev_ok(ev_cmd_encode(&c, b));
	assert_null(strstr(ev_buf_str(b), "evx"));
	assert_false(ev_cmd_has_evx(&c));
	ev_buf_reset(b);
	fill(&c, SESS, 7, NOW);
	c.version = (char *)"0.8.8";
	c.system = (char *)"ps";
	assert_ev_ok(ev_cmd_encode(&c, b));
	json = ev_buf_str(b);
	assert_non_null(strstr(json, "\"userinfo\":\"\",\"evx\":1,\"evxDevice\":\"" UUID
	                             "\",\"evxToken\":\"" HASH "\",\"evxSession\":\"" SESS
	                             "\",\"evxSeq\":7,\"evxTime\":1763800000000}"));
	assert_ev_ok(ev_cmd_decode(json, strlen(json), &d));
	assert_true(ev_cmd_has_evx(&d));
	assert_int_equal(d.evx_seq, 7);
	assert_int_equal(d.evx_time, NOW);
	assert_string_equal(d.evx_session, SESS);
	ev_cmd_free(&d);
	/* a wrong type is a decode error, as for any field */
	json = "{\"system\":\"ps\",\"evxSeq\":\"7\"}";
	assert_ev_err(ev_cmd_decode(json, strlen(json), &d), EV_ERR_JSON_TYPE);
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(t_in_order),
	        cmocka_unit_test(t_replays),
	        cmocka_unit_test(t_window_and_binding),
	        cmocka_unit_test(t_malformed),
	        cmocka_unit_test(t_legacy),
	        cmocka_unit_test(t_full),
	        cmocka_unit_test(t_cmd_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
