/* test_buf.c - the capped buffer: caps, errors leave it unchanged. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"

static void
test_cap_is_mandatory(void **state)
{
	(void)state;
	assert_null(ev_buf_new(0));
	assert_null(ev_buf_new(EV_BUF_SIZE_MAX + 1));
}

static void
test_put_up_to_cap(void **state)
{
	struct ev_buf *b = ev_buf_new(10);

	(void)state;
	assert_ev_ok(ev_buf_put(b, "0123456789", 10));
	assert_int_equal(ev_buf_len(b), 10);
	assert_int_equal(ev_buf_avail(b), 0);
	assert_ev_err(ev_buf_put_u8(b, 'x'), EV_ERR_BUF_FULL);
	assert_int_equal(ev_buf_len(b), 10); /* unchanged */
	assert_string_equal(ev_buf_str(b), "0123456789");
	ev_buf_free(b);
}

static void
test_grows_past_initial(void **state)
{
	struct ev_buf *b = ev_buf_new(100000);
	char chunk[1000];

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 100; i++)
		assert_ev_ok(ev_buf_put(b, chunk, sizeof(chunk)));
	assert_int_equal(ev_buf_len(b), 100000);
	assert_ev_err(ev_buf_put(b, chunk, 1), EV_ERR_BUF_FULL);
	ev_buf_free(b);
}

static void
test_putf_over_cap_fails_cleanly(void **state)
{
	struct ev_buf *b = ev_buf_new(8);

	(void)state;
	assert_ev_ok(ev_buf_putf(b, "%d-", 42));
	assert_ev_err(ev_buf_putf(b, "%s", "too long for it"), EV_ERR_BUF_FULL);
	assert_string_equal(ev_buf_str(b), "42-");
	ev_buf_free(b);
}

static void
test_get_and_truncation(void **state)
{
	struct ev_buf *b = ev_buf_new(64);
	uint8_t v, two[2];

	(void)state;
	assert_ev_ok(ev_buf_put(b, "abc", 3));
	assert_ev_ok(ev_buf_get_u8(b, &v));
	assert_int_equal(v, 'a');
	assert_ev_err(ev_buf_get(b, two, 3), EV_ERR_TRUNCATED);
	assert_int_equal(ev_buf_len(b), 2); /* unchanged after the failed read */
	assert_ev_ok(ev_buf_get(b, two, 2));
	assert_memory_equal(two, "bc", 2);
	assert_int_equal(ev_buf_len(b), 0);
	assert_ev_err(ev_buf_consume(b, 1), EV_ERR_TRUNCATED);
	ev_buf_free(b);
}

static void
test_compaction_reuses_space(void **state)
{
	struct ev_buf *b = ev_buf_new(16);

	(void)state;
	/* Fill, drain most, refill: needs the read offset to be reclaimed. */
	for (int round = 0; round < 50; round++) {
		assert_ev_ok(ev_buf_put(b, "0123456789abcdef", 16));
		assert_ev_ok(ev_buf_consume(b, 15));
		assert_ev_ok(ev_buf_consume(b, 1));
	}
	assert_ev_ok(ev_buf_put(b, "xy", 2));
	assert_ev_ok(ev_buf_consume_end(b, 1));
	assert_string_equal(ev_buf_str(b), "x");
	assert_ev_err(ev_buf_consume_end(b, 2), EV_ERR_TRUNCATED);
	ev_buf_free(b);
}

static void
test_reserve_commit_take(void **state)
{
	struct ev_buf *b = ev_buf_new(32);
	uint8_t *p, *taken;
	size_t n;

	(void)state;
	assert_ev_ok(ev_buf_reserve(b, 5, &p));
	memcpy(p, "hello", 5);
	ev_buf_commit(b, 4);
	assert_string_equal(ev_buf_str(b), "hell");
	assert_ev_err(ev_buf_reserve(b, 29, &p), EV_ERR_BUF_FULL);
	assert_null(p);
	assert_ev_ok(ev_buf_take(b, &taken, &n));
	assert_int_equal(n, 4);
	assert_string_equal((char *)taken, "hell");
	assert_int_equal(ev_buf_len(b), 0);
	free(taken);
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cap_is_mandatory),
	        cmocka_unit_test(test_put_up_to_cap),
	        cmocka_unit_test(test_grows_past_initial),
	        cmocka_unit_test(test_putf_over_cap_fails_cleanly),
	        cmocka_unit_test(test_get_and_truncation),
	        cmocka_unit_test(test_compaction_reuses_space),
	        cmocka_unit_test(test_reserve_commit_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
