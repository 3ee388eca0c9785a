/* test_json.c - Go encoding/json compatible writer and table decoder. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_json.h"

static const char *
go_string(const char *s, size_t len)
{
	static char out[512];
	struct ev_buf *b = ev_buf_new(sizeof(out) - 1);

	assert_non_null(b);
	assert_ev_ok(ev_json_put_string(b, s, len));
	memcpy(out, ev_buf_str(b), ev_buf_len(b) + 1);
	ev_buf_free(b);
	return out;
}

static void
test_string_escapes_like_go(void **state)
{
	(void)state;
	assert_string_equal(go_string("plain/text", 10), "\"plain/text\"");
	assert_string_equal(go_string("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(go_string("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
	assert_string_equal(go_string("\x01\x1f", 2), "\"\\u0001\\u001f\"");
	assert_string_equal(go_string("<a&b>", 5), "\"\\u003ca\\u0026b\\u003e\"");
	assert_string_equal(go_string("\0", 1), "\"\\u0000\"");
	/* UTF-8 passes through; U+2028/2029 are escaped; invalid bytes become U+FFFD. */
	assert_string_equal(go_string("\xc3\xa9", 2), "\"\xc3\xa9\"");
	assert_string_equal(go_string("\xe2\x80\xa8\xe2\x80\xa9", 6), "\"\\u2028\\u2029\"");
	assert_string_equal(go_string("a\xffz", 3), "\"a\\ufffdz\"");
	assert_string_equal(go_string("\xc0\x80", 2), "\"\\ufffd\\ufffd\""); /* overlong */
	assert_string_equal(go_string("\xed\xa0\x80", 3),
	                    "\"\\ufffd\\ufffd\\ufffd\"");                    /* surrogate */
	assert_string_equal(go_string("\xe2\x82", 2), "\"\\ufffd\\ufffd\""); /* short */
	assert_string_equal(go_string("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");
}

static void
test_values_like_go(void **state)
{
	struct ev_buf *b = ev_buf_new(256);
	static const uint8_t bytes[3] = {0, 128, 255};

	(void)state;
	assert_ev_ok(ev_json_put_b64(b, NULL, 0));
	assert_ev_ok(ev_buf_put_u8(b, ' '));
	assert_ev_ok(ev_json_put_b64(b, bytes, 0));
	assert_ev_ok(ev_buf_put_u8(b, ' '));
	assert_ev_ok(ev_json_put_b64(b, bytes, 3));
	assert_ev_ok(ev_buf_put_u8(b, ' '));
	assert_ev_ok(ev_json_put_byte_array(b, bytes, 3));
	assert_ev_ok(ev_buf_put_u8(b, ' '));
	assert_ev_ok(ev_json_put_i64(b, -5));
	assert_ev_ok(ev_buf_put_u8(b, ' '));
	assert_ev_ok(ev_json_put_u64(b, UINT64_MAX));
	assert_ev_ok(ev_buf_put_u8(b, ' '));
	assert_ev_ok(ev_json_put_bool(b, false));
	assert_string_equal(ev_buf_str(b),
	                    "null \"\" \"AID/\" [0,128,255] -5 18446744073709551615 false");
	ev_buf_free(b);
}

struct sample {
	char *name;
	bool flag;
	uint8_t small;
	uint16_t port;
	int32_t i32;
	int64_t i64;
	uint64_t u64;
	struct ev_bytes data;
	uint8_t hash[4];
	bool saw_name;
};

static const struct ev_json_field sample_fields[] = {
        {"name", EV_JSON_STRING, offsetof(struct sample, name), 8,
         EV_JSON_SEEN(struct sample, saw_name)},
        {"flag", EV_JSON_BOOL, offsetof(struct sample, flag), 0, 0},
        {"small", EV_JSON_U8, offsetof(struct sample, small), 0, 0},
        {"port", EV_JSON_U16, offsetof(struct sample, port), 0, 0},
        {"i32", EV_JSON_I32, offsetof(struct sample, i32), 0, 0},
        {"i64", EV_JSON_I64, offsetof(struct sample, i64), 0, 0},
        {"u64", EV_JSON_U64, offsetof(struct sample, u64), 0, 0},
        {"data", EV_JSON_BYTES, offsetof(struct sample, data), 6, 0},
        {"hash", EV_JSON_BYTE_ARRAY, offsetof(struct sample, hash), 4, 0},
};

static int
decode(const char *text, struct sample *s)
{
	json_t *v = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = ev_json_parse(text, strlen(text), 4096, &v)) != 0)
		return r;
	r = ev_json_decode(v, sample_fields, EV_ARRAY_LEN(sample_fields), s);
	json_decref(v);
	return r;
}

static void
sample_free(struct sample *s)
{
	free(s->name);
	ev_bytes_free(&s->data);
}

static void
test_decode_go_rules(void **state)
{
	struct sample s;

	(void)state;
	assert_ev_ok(decode("{\"NAME\":\"x\",\"Flag\":true,\"unknown\":[1,{\"a\":2}],"
	                    "\"port\":65535,\"i64\":-9223372036854775808,\"data\":\"AQID\","
	                    "\"hash\":[1,2,3,4,5,6]}",
	                    &s));
	assert_string_equal(s.name, "x");
	assert_true(s.saw_name);
	assert_true(s.flag);
	assert_int_equal(s.port, 65535);
	assert_true(s.i64 == INT64_MIN);
	assert_int_equal(s.data.len, 3);
	assert_memory_equal(s.hash, "\1\2\3\4", 4); /* extra elements ignored */
	sample_free(&s);

	/* Last duplicate wins; null leaves the field untouched. */
	assert_ev_ok(decode("{\"name\":\"a\",\"name\":\"b\",\"flag\":null}", &s));
	assert_string_equal(s.name, "b");
	assert_false(s.flag);
	sample_free(&s);

	/* Short byte array zero-fills; data as an array of numbers works too. */
	assert_ev_ok(decode("{\"hash\":[9],\"data\":[1,255]}", &s));
	assert_memory_equal(s.hash, "\x09\0\0\0", 4);
	assert_int_equal(s.data.len, 2);
	assert_int_equal(s.data.p[1], 255);
	sample_free(&s);

	/* Go folds U+212A (Kelvin) to k and U+017F (long s) to s. */
	assert_true(ev_json_key_matches("isJSON", "isjson", 6));
	assert_true(ev_json_key_matches("key",
	                                "\xe2\x84\xaa"
	                                "ey",
	                                5));
	assert_true(ev_json_key_matches("sub",
	                                "\xc5\xbf"
	                                "ub",
	                                4));
	assert_false(ev_json_key_matches("sub", "su", 2));
	assert_false(ev_json_key_matches("sub", "subs", 4));

	/* Top-level null decodes to nothing, as in Go. */
	assert_ev_ok(decode("null", &s));
	assert_null(s.name);
}

static void
test_decode_rejections(void **state)
{
	struct sample s;

	(void)state;
	assert_ev_err(decode("{\"name\":1}", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(decode("{\"name\":\"a\\u0000b\"}", &s), EV_ERR_NUL_BYTE);
	assert_ev_err(decode("{\"flag\":\"true\"}", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(decode("{\"small\":256}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(decode("{\"port\":-1}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(decode("{\"i32\":2147483648}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(decode("{\"u64\":1.5}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(decode("{\"u64\":1e3}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(decode("{\"name\":\"too long!!\"}", &s), EV_ERR_TOO_BIG);
	assert_ev_err(decode("{\"data\":\"AQID\"", &s), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode("{\"data\":\"AQ\"}", &s), EV_ERR_B64_PADDING);
	assert_ev_err(decode("{\"data\":\"AQIDBAUGBwg=\"}", &s), EV_ERR_TOO_BIG);
	assert_ev_err(decode("{\"hash\":\"AQID\"}", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(decode("{\"hash\":[1,2,300]}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(decode("{\"hash\":[1,2,3,4,\"x\"]}", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(decode("{} x", &s), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode("[1]", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(decode("\"str\"", &s), EV_ERR_JSON_TYPE);
	{
		json_t *v = NULL;
		assert_ev_err(ev_json_parse("{}", 2, 1, &v), EV_ERR_TOO_BIG);
		assert_null(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_string_escapes_like_go),
	        cmocka_unit_test(test_values_like_go),
	        cmocka_unit_test(test_decode_go_rules),
	        cmocka_unit_test(test_decode_rejections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
