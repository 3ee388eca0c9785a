/* test_cmd.c - the cmdOpt command message: Go's bytes and Go's decoding rules. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_err.h"
#include "ev_limits.h"

/* Encode c and compare with want byte for byte. */
static void
assert_encodes_to(const struct ev_cmd *c, const char *want)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_CMD_JSON);

	assert_non_null(b);
	assert_ev_ok(ev_cmd_encode(c, b));
	assert_int_equal(ev_buf_len(b), strlen(want));
	assert_memory_equal(ev_buf_ptr(b), want, strlen(want));
	ev_buf_free(b);
}

/* Message structs own their strings, so literals are copied in. */
static char *
S(const char *lit)
{
	char *p = strdup(lit);

	assert_non_null(p);
	return p;
}

static int
decode_str(const char *json, struct ev_cmd *c)
{
	return ev_cmd_decode(json, strlen(json), c);
}

/* NULL and "" encode alike, so they compare alike. */
static void
assert_str_or_empty(const char *got, const char *want)
{
	assert_string_equal(got != NULL ? got : "", want != NULL ? want : "");
}

/* Encode the struct, compare with the vector, decode the vector back into
 * the same struct, and re-encode it to the same bytes. */
static void
check_vector(const struct ev_cmd *c, const char *name)
{
	const char *want = tv_str(name);
	struct ev_cmd d;

	assert_encodes_to(c, want);
	assert_ev_ok(decode_str(want, &d));
	assert_str_or_empty(d.version, c->version);
	assert_str_or_empty(d.client_ep_addr, c->client_ep_addr);
	assert_str_or_empty(d.network, c->network);
	assert_str_or_empty(d.system, c->system);
	assert_str_or_empty(d.pubsub, c->pubsub);
	assert_str_or_empty(d.logopt, c->logopt);
	assert_str_or_empty(d.timerange, c->timerange);
	assert_int_equal(d.is_json, c->is_json);
	assert_int_equal(d.extraline, c->extraline);
	assert_str_or_empty(d.logtype, c->logtype);
	assert_str_or_empty(d.userinfo, c->userinfo);
	if (c->app_uuid == NULL)
		assert_null(d.app_uuid); /* the key is absent from the vector */
	else
		assert_string_equal(d.app_uuid, c->app_uuid);
	assert_encodes_to(&d, want);
	ev_cmd_free(&d);
}

static void
test_cmd1_vector(void **state)
{
	struct ev_cmd c = {
	        .version = S("0.8.8"),
	        .client_ep_addr = S("203.0.113.7:50522"),
	        .network = S(""),
	        .system = S(""),
	        .pubsub = S(""),
	        .logopt = S("panic"),
	        .timerange = S("0-0.5"),
	        .logtype = S(""),
	        .userinfo = S("alice <ops&co>"),
	};

	(void)state;
	check_vector(&c, "cmd1_json");
	ev_cmd_free(&c);
}

static void
test_cmd_tcp_vector(void **state)
{
	struct ev_cmd c = {
	        .version = S("0.8.8"),
	        .client_ep_addr = S("203.0.113.7:50522"),
	        .network = S("tcp/10.1.0.2:80/localhost:5901"),
	        .userinfo = S("alice"),
	};

	(void)state;
	check_vector(&c, "cmd_tcp_json");
	ev_cmd_free(&c);
}

static void
test_cmd_kvnc_vector_has_app_uuid(void **state)
{
	struct ev_cmd c = {
	        .version = S("0.8.8"),
	        .network = S("tcp/localhost:4822"),
	        .app_uuid = S("5f0a0c1e-2d3b-4c5d-8e9f-0a1b2c3d4e5f"),
	};

	(void)state;
	check_vector(&c, "cmd_kvnc_json");
	ev_cmd_free(&c);
}

static void
test_cmd2_vector(void **state)
{
	struct ev_cmd c = {
	        .version = S("0.8.8"),
	        .client_ep_addr = S("198.51.100.20:61000"),
	        .system = S("cp//config/device.cert.pem"),
	        .userinfo = S("alice@example.com"),
	};

	(void)state;
	check_vector(&c, "cmd2_json");
	ev_cmd_free(&c);
}

static void
test_cmd_zero_struct_encodes_every_key_but_app_uuid(void **state)
{
	struct ev_cmd c = {.app_uuid = S("")};

	(void)state;
	assert_encodes_to(
	        &c, "{\"version\":\"\",\"clientEPAddr\":\"\",\"network\":\"\",\"system\":\"\","
	            "\"pubsub\":\"\",\"logopt\":\"\",\"timerange\":\"\",\"isJSON\":false,"
	            "\"extraline\":0,\"logtype\":\"\",\"userinfo\":\"\"}");
	c.is_json = true;
	c.extraline = -9223372036854775807LL - 1;
	assert_encodes_to(
	        &c, "{\"version\":\"\",\"clientEPAddr\":\"\",\"network\":\"\",\"system\":\"\","
	            "\"pubsub\":\"\",\"logopt\":\"\",\"timerange\":\"\",\"isJSON\":true,"
	            "\"extraline\":-9223372036854775808,\"logtype\":\"\",\"userinfo\":\"\"}");
	ev_cmd_free(&c);
}

static void
test_cmd_encoder_escapes_like_go(void **state)
{
	/* HTML characters, controls, U+2028/2029 and invalid UTF-8 (U+FFFD). */
	struct ev_cmd c = {
	        .userinfo = S("<a&b>\"\\\n\t\x01\x1f\xe2\x80\xa8\xe2\x80\xa9\xff\xc3\xa9/"),
	};
	struct ev_cmd d;

	(void)state;
	assert_encodes_to(
	        &c, "{\"version\":\"\",\"clientEPAddr\":\"\",\"network\":\"\",\"system\":\"\","
	            "\"pubsub\":\"\",\"logopt\":\"\",\"timerange\":\"\",\"isJSON\":false,"
	            "\"extraline\":0,\"logtype\":\"\",\"userinfo\":\"\\u003ca\\u0026b\\u003e"
	            "\\\"\\\\\\n\\t\\u0001\\u001f\\u2028\\u2029\\ufffd\xc3\xa9/\"}");
	/* And the escapes decode back, with U+FFFD in place of the bad byte. */
	assert_ev_ok(decode_str("{\"userinfo\":\"\\u003ca\\u0026b\\u003e\\u2028\\ufffd\"}", &d));
	assert_string_equal(d.userinfo, "<a&b>\xe2\x80\xa8\xef\xbf\xbd");
	ev_cmd_free(&d);
	ev_cmd_free(&c);
}

static void
test_cmd_keys_match_case_insensitively(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_ok(decode_str("{\"NETWORK\":\"route\",\"isjson\":true,\"ExtraLine\":7,"
	                        "\"APPUUID\":\"u\",\"clientepaddr\":\"a\"}",
	                        &c));
	assert_string_equal(c.network, "route");
	assert_true(c.is_json);
	assert_int_equal(c.extraline, 7);
	assert_string_equal(c.app_uuid, "u");
	assert_string_equal(c.client_ep_addr, "a");
	ev_cmd_free(&c);
	/* Go folds U+017F (long s) to 's' when matching keys. */
	assert_ev_ok(decode_str("{\"\xc5\xbfystem\":\"ps\"}", &c));
	assert_string_equal(c.system, "ps");
	ev_cmd_free(&c);
}

static void
test_cmd_unknown_keys_ignored(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_ok(decode_str(
	        "{\"extra\":{\"deep\":[1,\"x\",null]},\"network\":\"if\",\"z\":1.5}", &c));
	assert_string_equal(c.network, "if");
	assert_null(c.system);
	ev_cmd_free(&c);
}

static void
test_cmd_null_leaves_fields_and_top_level_null(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_ok(decode_str("{\"network\":null,\"isJSON\":null,\"extraline\":null}", &c));
	assert_null(c.network);
	assert_false(c.is_json);
	assert_int_equal(c.extraline, 0);
	ev_cmd_free(&c);
	/* Go keeps an earlier value when a later key of another spelling is null. */
	assert_ev_ok(decode_str("{\"network\":\"a\",\"Network\":null}", &c));
	assert_string_equal(c.network, "a");
	ev_cmd_free(&c);
	assert_ev_ok(decode_str("null", &c));
	assert_null(c.version);
	assert_string_equal(ev_cmd_kind(&c), "");
	ev_cmd_free(&c);
}

static void
test_cmd_last_duplicate_wins(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_ok(decode_str("{\"network\":\"a\",\"network\":\"b\",\"NETWORK\":\"c\"}", &c));
	assert_string_equal(c.network, "c");
	ev_cmd_free(&c);
	assert_ev_ok(decode_str("{\"isJSON\":true,\"isJSON\":false}", &c));
	assert_false(c.is_json);
	ev_cmd_free(&c);
}

static void
test_cmd_wrong_types(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_err(decode_str("{\"isJSON\":\"true\"}", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"isJSON\":1}", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"network\":1}", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"network\":{}}", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"system\":[\"ps\"]}", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"extraline\":\"1\"}", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"extraline\":true}", &c), EV_ERR_JSON_TYPE);
	assert_null(c.network);
}

static void
test_cmd_extraline_range(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_err(decode_str("{\"extraline\":1.5}", &c), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"extraline\":1.0}", &c), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"extraline\":1e2}", &c), EV_ERR_JSON_RANGE);
	assert_ev_ok(decode_str("{\"extraline\":9223372036854775807}", &c));
	assert_int_equal(c.extraline, 9223372036854775807LL);
	ev_cmd_free(&c);
	assert_ev_ok(decode_str("{\"extraline\":-3}", &c));
	assert_int_equal(c.extraline, -3);
	ev_cmd_free(&c);
}

static void
test_cmd_first_error_is_reported(void **state)
{
	struct ev_cmd c;

	(void)state;
	/* Go keeps decoding after a type error and returns the first one. */
	assert_ev_err(decode_str("{\"extraline\":1.5,\"network\":5}", &c), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"network\":5,\"extraline\":1.5}", &c), EV_ERR_JSON_TYPE);
}

static void
test_cmd_syntax_errors(void **state)
{
	const char *cmd1 = tv_str("cmd1_json");
	struct ev_cmd c;

	(void)state;
	/* Truncated at every length, the vector never decodes. */
	for (size_t n = 0; n < strlen(cmd1); n++)
		assert_ev_err(ev_cmd_decode(cmd1, n, &c), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{\"network\":\"a\"}x", &c), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{\"network\":\"a\"}{}", &c), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{\"network\":\"a\",}", &c), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{'network':'a'}", &c), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("", &c), EV_ERR_JSON_SYNTAX);
	/* Whitespace around the object is fine, as in Go. */
	assert_ev_ok(decode_str(" \n{\"network\":\"a\"}\t ", &c));
	ev_cmd_free(&c);
}

static void
test_cmd_non_object_top_level(void **state)
{
	struct ev_cmd c;

	(void)state;
	assert_ev_err(decode_str("[{\"network\":\"a\"}]", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("\"network\"", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("42", &c), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("true", &c), EV_ERR_JSON_TYPE);
}

static void
test_cmd_size_caps(void **state)
{
	size_t n = EV_MAX_CMD_JSON + 1, field = EV_MAX_CMD_FIELD;
	char *big = malloc(n + 1);
	struct ev_cmd c;

	(void)state;
	assert_non_null(big);
	/* A whole message one byte over its cap, even if it is valid JSON. */
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_ev_err(ev_cmd_decode(big, n, &c), EV_ERR_TOO_BIG);
	big[n - 2] = '}';
	assert_ev_ok(ev_cmd_decode(big, n - 1, &c)); /* exactly at the cap */
	ev_cmd_free(&c);
	/* One string field at its cap, then one byte over. */
	memcpy(big, "{\"network\":\"", 12);
	memset(big + 12, 'a', field);
	memcpy(big + 12 + field, "\"}", 3);
	assert_ev_ok(decode_str(big, &c));
	assert_int_equal(strlen(c.network), field);
	ev_cmd_free(&c);
	memset(big + 12, 'a', field + 1);
	memcpy(big + 12 + field + 1, "\"}", 3);
	assert_ev_err(decode_str(big, &c), EV_ERR_TOO_BIG);
	free(big);
}

static void
test_cmd_nul_in_string_is_rejected(void **state)
{
	struct ev_cmd c;

	(void)state;
	/* A C string would silently stop at the NUL. */
	assert_ev_err(decode_str("{\"network\":\"ping/1.1.1.1\\u0000;reboot\"}", &c),
	              EV_ERR_NUL_BYTE);
	assert_ev_err(decode_str("{\"USERINFO\":\"\\u0000\"}", &c), EV_ERR_NUL_BYTE);
	/* An unknown key may carry one. */
	assert_ev_ok(decode_str("{\"other\":\"\\u0000\",\"network\":\"a\"}", &c));
	assert_string_equal(c.network, "a");
	ev_cmd_free(&c);
}

static void
test_cmd_failure_leaves_struct_zeroed(void **state)
{
	struct ev_cmd c, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	memset(&c, 0xa5, sizeof(c));
	assert_ev_err(decode_str("{\"network\":\"a\",\"system\":\"b\",\"isJSON\":7}", &c),
	              EV_ERR_JSON_TYPE);
	assert_memory_equal(&c, &zero, sizeof(c));
	ev_cmd_free(&c); /* harmless on a zeroed struct */
	ev_cmd_free(NULL);
}

static void
test_cmd_encode_full_buffer_is_unchanged(void **state)
{
	const char *cmd1 = tv_str("cmd1_json");
	struct ev_cmd c = {.logopt = S("panic")};
	struct ev_buf *b = ev_buf_new(strlen(cmd1));

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_buf_put_str(b, "prefix"));
	c.userinfo = S("alice <ops&co>");
	c.timerange = S("0-0.5");
	c.version = S("0.8.8");
	c.client_ep_addr = S("203.0.113.7:50522");
	assert_ev_err(ev_cmd_encode(&c, b), EV_ERR_BUF_FULL);
	assert_int_equal(ev_buf_len(b), 6);
	assert_string_equal(ev_buf_str(b), "prefix");
	assert_ev_err(ev_cmd_encode(NULL, b), EV_ERR_INVALID_ARG);
	ev_buf_free(b);
	ev_cmd_free(&c);
}

static void
test_cmd_encode_refuses_what_decode_would_refuse(void **state)
{
	size_t n = EV_MAX_CMD_FIELD;
	char *json = malloc(n + 32);
	struct ev_buf *b = ev_buf_new(1024u * 1024);
	struct ev_cmd c;

	(void)state;
	assert_non_null(json);
	assert_non_null(b);
	/* 16 KiB of '&' decode, but Go's escaping makes them 96 KiB. */
	memcpy(json, "{\"userinfo\":\"", 13);
	memset(json + 13, '&', n);
	memcpy(json + 13 + n, "\"}", 3);
	assert_ev_ok(decode_str(json, &c));
	assert_ev_err(ev_cmd_encode(&c, b), EV_ERR_TOO_BIG);
	assert_int_equal(ev_buf_len(b), 0);
	c.userinfo[n / 8] = '\0'; /* 2 KiB of '&': 12 KiB escaped, fine */
	assert_ev_ok(ev_cmd_encode(&c, b));
	ev_cmd_free(&c);
	ev_buf_free(b);
	free(json);
}

static void
test_cmd_kind_priority(void **state)
{
	struct ev_cmd c = {0};

	(void)state;
	assert_string_equal(ev_cmd_kind(&c), "");
	c.logopt = S("panic");
	assert_string_equal(ev_cmd_kind(&c), "logopt");
	c.system = S("ps/x");
	assert_string_equal(ev_cmd_kind(&c), "system");
	c.pubsub = S("nim");
	assert_string_equal(ev_cmd_kind(&c), "pubsub");
	c.network = S("");
	assert_string_equal(ev_cmd_kind(&c), "pubsub");
	free(c.network);
	c.network = S("route");
	assert_string_equal(ev_cmd_kind(&c), "network");
	assert_string_equal(ev_cmd_kind(NULL), "");
	ev_cmd_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cmd1_vector),
	        cmocka_unit_test(test_cmd_tcp_vector),
	        cmocka_unit_test(test_cmd_kvnc_vector_has_app_uuid),
	        cmocka_unit_test(test_cmd2_vector),
	        cmocka_unit_test(test_cmd_zero_struct_encodes_every_key_but_app_uuid),
	        cmocka_unit_test(test_cmd_encoder_escapes_like_go),
	        cmocka_unit_test(test_cmd_keys_match_case_insensitively),
	        cmocka_unit_test(test_cmd_unknown_keys_ignored),
	        cmocka_unit_test(test_cmd_null_leaves_fields_and_top_level_null),
	        cmocka_unit_test(test_cmd_last_duplicate_wins),
	        cmocka_unit_test(test_cmd_wrong_types),
	        cmocka_unit_test(test_cmd_extraline_range),
	        cmocka_unit_test(test_cmd_first_error_is_reported),
	        cmocka_unit_test(test_cmd_syntax_errors),
	        cmocka_unit_test(test_cmd_non_object_top_level),
	        cmocka_unit_test(test_cmd_size_caps),
	        cmocka_unit_test(test_cmd_nul_in_string_is_rejected),
	        cmocka_unit_test(test_cmd_failure_leaves_struct_zeroed),
	        cmocka_unit_test(test_cmd_encode_full_buffer_is_unchanged),
	        cmocka_unit_test(test_cmd_encode_refuses_what_decode_would_refuse),
	        cmocka_unit_test(test_cmd_kind_priority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
