/* test_jsonindent.c - the re-indenter against outputs of Go's json.Indent. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_jsonindent.h"

/* Generated with Go 1.26 json.Indent(dst, in, "", "    "); "ERR" = error. */
static const struct {
	const char *in, *want;
} go_cases[] = {
        {"{}", "{}"},
        {"[]", "[]"},
        {"{\"a\":1}", "{\n    \"a\": 1\n}"},
        {"{\"a\":[1,2,{\"b\":null}],\"c\":{}}",
         "{\n    \"a\": [\n        1,\n        2,\n        {\n            \"b\": null\n        }\n "
         "   ],\n    \"c\": {}\n}"},
        {" { \"x\" : \"y\\\"z\" , \"n\" : -1.5e+10 } ",
         "{\n    \"x\": \"y\\\"z\",\n    \"n\": -1.5e+10\n} "},
        {"{\"a\":1}\n", "{\n    \"a\": 1\n}\n"},
        {"[[],[[]],{}]", "[\n    [],\n    [\n        []\n    ],\n    {}\n]"},
        {"\"str\"", "\"str\""},
        {"123", "123"},
        {"true", "true"},
        {"{\"a\":1,}", "ERR"},
        {"{\"a\" 1}", "ERR"},
        {"[1 2]", "ERR"},
        {"01", "ERR"},
        {"{\"a\":1}{}", "ERR"},
        {"\"\\u12\"", "ERR"},
        {"\"a\tb\"", "ERR"},
        {"[1,[2,[3,[4]]]]", "[\n    1,\n    [\n        2,\n        [\n            3,\n            "
                            "[\n                4\n            ]\n        ]\n    ]\n]"},
        {"{\"k\":\"\\u00e9\\n\",\"t\":false,\"f\":[true,null]}",
         "{\n    \"k\": \"\\u00e9\\n\",\n    \"t\": false,\n    \"f\": [\n        true,\n        "
         "null\n    ]\n}"},
        {"", "ERR"},
        {"   ", "ERR"},
        {"[1]  \t\n", "[\n    1\n]  \t\n"},
        {"{\"a\":-0,\"b\":0.0,\"c\":1E5,\"d\":-}", "ERR"},
        {"nul", "ERR"},
        {"{\"x\":[{\"y\":[]}],\"z\":\"a/b\"}", "{\n    \"x\": [\n        {\n            \"y\": "
                                               "[]\n        }\n    ],\n    \"z\": \"a/b\"\n}"},
};

static void
test_go_oracle(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(go_cases) / sizeof(go_cases[0]); i++) {
		struct ev_buf *b = ev_buf_new(4096);
		int r;

		assert_non_null(b);
		assert_ev_ok(ev_buf_put_str(b, "pre:"));
		r = ev_json_indent(go_cases[i].in, strlen(go_cases[i].in), b);
		if (strcmp(go_cases[i].want, "ERR") == 0) {
			if (r == 0)
				fail_msg("case %zu accepted: %s", i, go_cases[i].in);
			assert_string_equal(ev_buf_str(b), "pre:"); /* left as it was */
		} else {
			if (r != 0)
				fail_msg("case %zu: %s", i, ev_errname(r));
			assert_string_equal(ev_buf_str(b) + 4, go_cases[i].want);
		}
		ev_buf_free(b);
	}
}

static void
test_raw_fallback(void **state)
{
	struct ev_buf *b = ev_buf_new(256);
	const char *bad = "not json {";

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_json_indent_or_raw(bad, strlen(bad), b));
	assert_string_equal(ev_buf_str(b), bad);
	ev_buf_reset(b);
	assert_ev_ok(ev_json_indent_or_raw("[1]", 3, b));
	assert_string_equal(ev_buf_str(b), "[\n    1\n]");
	ev_buf_free(b);
}

static void
test_depth_cap(void **state)
{
	size_t n = EV_JSONINDENT_MAX_DEPTH + 1;
	char *s = malloc(2 * n);
	struct ev_buf *b = ev_buf_new(1024 * 1024 * 8);

	(void)state;
	assert_non_null(s);
	assert_non_null(b);
	memset(s, '[', n);
	memset(s + n, ']', n);
	assert_ev_err(ev_json_indent(s, 2 * n, b), EV_ERR_JSON_DEPTH);
	assert_int_equal(ev_buf_len(b), 0);
	/* Exactly at the cap is fine. */
	assert_ev_ok(ev_json_indent(s + 1, 2 * n - 2, b));
	free(s);
	ev_buf_free(b);
}

static void
test_buf_full(void **state)
{
	struct ev_buf *b = ev_buf_new(8);
	const char *in = "{\"abc\":[1,2,3]}";

	(void)state;
	assert_non_null(b);
	assert_ev_err(ev_json_indent(in, strlen(in), b), EV_ERR_BUF_FULL);
	assert_int_equal(ev_buf_len(b), 0);
	ev_buf_free(b);
}

static void
test_verbatim_tokens(void **state)
{
	/* Numbers and escapes are not normalised; raw UTF-8 passes. */
	const char *in = "[1.000e+05,\"\\u0041\\/\xc3\xa9\"]";
	struct ev_buf *b = ev_buf_new(256);

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_json_indent(in, strlen(in), b));
	assert_string_equal(ev_buf_str(b), "[\n    1.000e+05,\n    \"\\u0041\\/\xc3\xa9\"\n]");
	/* An embedded NUL outside strings is an error, not an end. */
	assert_ev_err(ev_json_indent("[1]\0x", 5, b), EV_ERR_JSON_SYNTAX);
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_go_oracle),       cmocka_unit_test(test_raw_fallback),
	        cmocka_unit_test(test_depth_cap),       cmocka_unit_test(test_buf_full),
	        cmocka_unit_test(test_verbatim_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
