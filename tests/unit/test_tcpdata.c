/* test_tcpdata.c - the tcpData message of TCP forwarding. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_tcpdata.h"

static const char http_get[] = "GET / HTTP/1.1\r\nHost: 10.1.0.2\r\n\r\n";

static int
decode_str(const char *json, struct ev_tcpdata *t)
{
	return ev_tcpdata_decode(json, strlen(json), t);
}

static void
assert_buf_is(struct ev_buf *b, const char *want)
{
	assert_int_equal(ev_buf_len(b), strlen(want));
	assert_memory_equal(ev_buf_ptr(b), want, strlen(want));
}

static void
test_tcp1_vector(void **state)
{
	const char *want = tv_str("tcp1_json");
	struct ev_tcpdata t = {.mapping_id = 1, .chan_num = 3}, d;
	struct ev_buf *b = ev_buf_new(1024);

	(void)state;
	assert_non_null(b);
	t.data.p = (uint8_t *)http_get;
	t.data.len = strlen(http_get);
	assert_ev_ok(ev_tcpdata_encode(&t, b));
	assert_buf_is(b, want);

	assert_ev_ok(decode_str(want, &d));
	assert_int_equal(d.version, 0);
	assert_int_equal(d.mapping_id, 1);
	assert_int_equal(d.chan_num, 3);
	assert_int_equal(d.data.len, strlen(http_get));
	assert_memory_equal(d.data.p, http_get, d.data.len);

	ev_buf_reset(b);
	assert_ev_ok(ev_tcpdata_encode(&d, b));
	assert_buf_is(b, want);
	ev_tcpdata_free(&d);
	assert_null(d.data.p);
	ev_buf_free(b);
}

static void
test_tcp1_raw_encoder_gives_same_bytes(void **state)
{
	struct ev_buf *b = ev_buf_new(1024);

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_tcpdata_encode_raw(1, 3, (const uint8_t *)http_get, strlen(http_get), b));
	assert_buf_is(b, tv_str("tcp1_json"));
	ev_buf_free(b);
}

static void
test_tcp_null_and_empty_data(void **state)
{
	static const uint8_t nothing[1];
	struct ev_tcpdata t = {.version = 0, .mapping_id = 65535, .chan_num = 65535}, d;
	struct ev_buf *b = ev_buf_new(256);

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_tcpdata_encode(&t, b));
	assert_buf_is(b, "{\"version\":0,\"mappingId\":65535,\"chanNum\":65535,\"data\":null}");
	ev_buf_reset(b);
	/* The VNC opener: empty but present, as the client sends it. */
	assert_ev_ok(ev_tcpdata_encode_raw(2, 1, nothing, 0, b));
	assert_buf_is(b, "{\"version\":0,\"mappingId\":2,\"chanNum\":1,\"data\":\"\"}");
	ev_buf_reset(b);
	assert_ev_ok(ev_tcpdata_encode_raw(2, 1, NULL, 0, b));
	assert_buf_is(b, "{\"version\":0,\"mappingId\":2,\"chanNum\":1,\"data\":null}");
	assert_ev_err(ev_tcpdata_encode_raw(2, 1, NULL, 1, b), EV_ERR_INVALID_ARG);

	assert_ev_ok(decode_str("{\"data\":\"\"}", &d));
	assert_non_null(d.data.p);
	assert_int_equal(d.data.len, 0);
	ev_tcpdata_free(&d);
	assert_ev_ok(decode_str("{\"data\":null}", &d));
	assert_null(d.data.p);
	ev_tcpdata_free(&d);
	ev_buf_free(b);
}

static void
test_tcp_binary_payload_round_trip(void **state)
{
	uint8_t all[256];
	struct ev_buf *b = ev_buf_new(1024);
	struct ev_tcpdata d;

	(void)state;
	assert_non_null(b);
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	for (size_t n = 0; n <= sizeof(all); n += 37) {
		ev_buf_reset(b);
		assert_ev_ok(ev_tcpdata_encode_raw(5, 400, all, n, b));
		assert_ev_ok(ev_tcpdata_decode(ev_buf_str(b), ev_buf_len(b), &d));
		assert_int_equal(d.mapping_id, 5);
		assert_int_equal(d.chan_num, 400);
		assert_int_equal(d.data.len, n);
		assert_memory_equal(d.data.p, all, n);
		ev_tcpdata_free(&d);
	}
	ev_buf_free(b);
}

static void
test_tcp_number_ranges(void **state)
{
	struct ev_tcpdata d;

	(void)state;
	assert_ev_ok(decode_str("{\"mappingId\":65535,\"chanNum\":0}", &d));
	assert_int_equal(d.mapping_id, 65535);
	ev_tcpdata_free(&d);
	assert_ev_err(decode_str("{\"mappingId\":65536}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"chanNum\":-1}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"version\":1.5}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"chanNum\":1e3}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"chanNum\":9223372036854775807}", &d), EV_ERR_JSON_RANGE);
}

static void
test_tcp_wrong_types(void **state)
{
	struct ev_tcpdata d;

	(void)state;
	assert_ev_err(decode_str("{\"mappingId\":\"1\"}", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"chanNum\":true}", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"data\":1}", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"data\":{}}", &d), EV_ERR_JSON_TYPE);
	assert_null(d.data.p);
}

static void
test_tcp_bad_base64(void **state)
{
	struct ev_tcpdata d;

	(void)state;
	/* Go's StdEncoding: padding required, no URL alphabet, no stray '='. */
	assert_ev_err(decode_str("{\"data\":\"QQ\"}", &d), EV_ERR_B64_PADDING);
	assert_ev_err(decode_str("{\"data\":\"QQ=\"}", &d), EV_ERR_B64_PADDING);
	assert_ev_err(decode_str("{\"data\":\"QQ===\"}", &d), EV_ERR_B64_PADDING);
	assert_ev_err(decode_str("{\"data\":\"Q=Q=\"}", &d), EV_ERR_B64_PADDING);
	assert_ev_err(decode_str("{\"data\":\"QQ==QQ==\"}", &d), EV_ERR_B64_PADDING);
	assert_ev_err(decode_str("{\"data\":\"-_-_\"}", &d), EV_ERR_B64_CHAR);
	assert_ev_err(decode_str("{\"data\":\" QQ==\"}", &d), EV_ERR_B64_CHAR);
	assert_ev_err(decode_str("{\"data\":\"A\"}", &d), EV_ERR_B64_LENGTH);
	assert_null(d.data.p);
}

static void
test_tcp_base64_go_leniencies(void **state)
{
	struct ev_tcpdata d;

	(void)state;
	/* Go skips CR and LF and ignores non-zero trailing bits. */
	assert_ev_ok(decode_str("{\"data\":\"Q\\r\\nQ==\\n\"}", &d));
	assert_int_equal(d.data.len, 1);
	assert_int_equal(d.data.p[0], 'A');
	ev_tcpdata_free(&d);
	assert_ev_ok(decode_str("{\"data\":\"QR==\"}", &d));
	assert_int_equal(d.data.p[0], 'A');
	ev_tcpdata_free(&d);
	/* A []byte also takes an array of numbers. */
	assert_ev_ok(decode_str("{\"data\":[71,69,84]}", &d));
	assert_int_equal(d.data.len, 3);
	assert_memory_equal(d.data.p, "GET", 3);
	ev_tcpdata_free(&d);
	assert_ev_err(decode_str("{\"data\":[256]}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"data\":[\"G\"]}", &d), EV_ERR_JSON_TYPE);
}

static void
test_tcp_go_key_rules(void **state)
{
	struct ev_tcpdata d;

	(void)state;
	assert_ev_ok(decode_str("{\"MAPPINGID\":2,\"channum\":7,\"Data\":\"QQ==\",\"x\":[1]}", &d));
	assert_int_equal(d.mapping_id, 2);
	assert_int_equal(d.chan_num, 7);
	assert_int_equal(d.data.len, 1);
	ev_tcpdata_free(&d);
	assert_ev_ok(decode_str("{\"data\":\"QQ==\",\"data\":\"QkI=\",\"chanNum\":null}", &d));
	assert_int_equal(d.data.len, 2);
	assert_int_equal(d.chan_num, 0);
	ev_tcpdata_free(&d);
	assert_ev_ok(decode_str("null", &d));
	assert_null(d.data.p);
}

static void
test_tcp_syntax_and_shape(void **state)
{
	const char *v = tv_str("tcp1_json");
	struct ev_tcpdata d;

	(void)state;
	for (size_t n = 0; n < strlen(v); n++)
		assert_ev_err(ev_tcpdata_decode(v, n, &d), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{\"data\":\"QQ==\"} x", &d), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{\"data\":\"QQ==\"}\"\"", &d), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("[1]", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("\"QQ==\"", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(ev_tcpdata_decode(NULL, 1, &d), EV_ERR_INVALID_ARG);
}

static void
test_tcp_size_cap(void **state)
{
	size_t n = EV_MAX_TCPDATA_JSON + 1;
	char *big = malloc(n);
	struct ev_tcpdata d;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{}", 2);
	assert_ev_err(ev_tcpdata_decode(big, n, &d), EV_ERR_TOO_BIG);
	assert_ev_ok(ev_tcpdata_decode(big, n - 1, &d));
	free(big);
}

static void
test_tcp_encode_full_buffer_is_unchanged(void **state)
{
	struct ev_buf *b = ev_buf_new(40);
	struct ev_tcpdata t = {.mapping_id = 1};

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_buf_put_str(b, "xy"));
	t.data.p = (uint8_t *)http_get;
	t.data.len = strlen(http_get);
	assert_ev_err(ev_tcpdata_encode(&t, b), EV_ERR_BUF_FULL);
	assert_buf_is(b, "xy");
	assert_ev_err(ev_tcpdata_encode_raw(1, 1, t.data.p, t.data.len, b), EV_ERR_BUF_FULL);
	assert_buf_is(b, "xy");
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tcp1_vector),
	        cmocka_unit_test(test_tcp1_raw_encoder_gives_same_bytes),
	        cmocka_unit_test(test_tcp_null_and_empty_data),
	        cmocka_unit_test(test_tcp_binary_payload_round_trip),
	        cmocka_unit_test(test_tcp_number_ranges),
	        cmocka_unit_test(test_tcp_wrong_types),
	        cmocka_unit_test(test_tcp_bad_base64),
	        cmocka_unit_test(test_tcp_base64_go_leniencies),
	        cmocka_unit_test(test_tcp_go_key_rules),
	        cmocka_unit_test(test_tcp_syntax_and_shape),
	        cmocka_unit_test(test_tcp_size_cap),
	        cmocka_unit_test(test_tcp_encode_full_buffer_is_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
