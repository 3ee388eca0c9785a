/* test_token.c - session-token hashes against the spec vectors (15.3). */
#include "ev_test.h"

#include <string.h>

#include "ev_err.h"
#include "ev_token.h"

static void
check(const char *jwt_path, unsigned inst, const char *full_path, const char *short_path)
{
	const char *jwt = tv_str(jwt_path);
	char out[EV_TOKEN_HASH_BUF];

	assert_ev_ok(ev_token_hash(jwt, strlen(jwt), inst, EV_TOKEN_HASH_FULL, out));
	assert_string_equal(out, tv_str(full_path));
	assert_int_equal(strlen(out), EV_TOKEN_HASH_FULL_LEN);
	assert_ev_ok(ev_token_hash(jwt, strlen(jwt), inst, EV_TOKEN_HASH_SHORT, out));
	assert_string_equal(out, tv_str(short_path));
	assert_int_equal(strlen(out), EV_TOKEN_HASH_SHORT_LEN);
}

static void
test_vectors(void **state)
{
	(void)state;
	check("jwtA.token", 0, "hashA.full", "hashA.short16");
	check("jwtB.token", 0, "hashB_noinst.full", "hashB_noinst.short16");
	check("jwtB.token", 1, "hashB_inst1.full", "hashB_inst1.short16");
	check("jwtB.token", 2, "hashB_inst2.full", "hashB_inst2.short16");
}

static void
test_short_is_not_a_truncation(void **state)
{
	const char *jwt = tv_str("jwtA.token");
	char full[EV_TOKEN_HASH_BUF], shrt[EV_TOKEN_HASH_BUF];

	(void)state;
	assert_ev_ok(ev_token_hash(jwt, strlen(jwt), 0, EV_TOKEN_HASH_FULL, full));
	assert_ev_ok(ev_token_hash(jwt, strlen(jwt), 0, EV_TOKEN_HASH_SHORT, shrt));
	assert_memory_equal(full, shrt, 21);
	assert_int_not_equal(full[21], shrt[21]);
}

static void
test_limits(void **state)
{
	char out[EV_TOKEN_HASH_BUF];

	(void)state;
	assert_ev_err(ev_token_hash("a.b.c", 5, 6, EV_TOKEN_HASH_FULL, out), EV_ERR_INST_RANGE);
	assert_string_equal(out, "");
	assert_ev_err(ev_token_hash("a", EV_MAX_JWT + 1, 0, EV_TOKEN_HASH_FULL, out),
	              EV_ERR_TOO_BIG);
}

static void
test_log_prefix_hides_the_key(void **state)
{
	char p[12];

	(void)state;
	ev_token_hash_log_prefix("T5TizYe7i8s3ksHQhudO28CNRTTJ-r7MctHe5Lc6DxE", p);
	assert_string_equal(p, "T5TizYe7...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vectors),
	        cmocka_unit_test(test_short_is_not_a_truncation),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_log_prefix_hides_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
