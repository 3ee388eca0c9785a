/* test_copyfile.c - the copyFile header and what a receiver checks in it. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_copyfile.h"
#include "ev_err.h"
#include "ev_limits.h"

#define SHA_EXAMPLE "50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c"

static char *
S(const char *lit)
{
	char *p = strdup(lit);

	assert_non_null(p);
	return p;
}

static int
decode_str(const char *json, struct ev_copyfile *f)
{
	return ev_copyfile_decode(json, strlen(json), f);
}

static void
assert_encodes_to(const struct ev_copyfile *f, const char *want)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_COPYFILE_JSON);

	assert_non_null(b);
	assert_ev_ok(ev_copyfile_encode(f, b));
	assert_int_equal(ev_buf_len(b), strlen(want));
	assert_memory_equal(ev_buf_ptr(b), want, strlen(want));
	ev_buf_free(b);
}

static void
test_copyfile_vector(void **state)
{
	const char *want = tv_str("copyfile_json");
	struct ev_copyfile f = {
	        .name = S("device.cert.pem"),
	        .size = 757,
	        .sha256 = S(SHA_EXAMPLE),
	        .modtsec = 1700000000,
	};
	struct ev_copyfile d;

	(void)state;
	assert_encodes_to(&f, want);
	assert_ev_ok(ev_copyfile_validate(&f));
	assert_ev_ok(decode_str(want, &d));
	assert_null(d.token_hash.p);
	assert_string_equal(d.name, "device.cert.pem");
	assert_int_equal(d.size, 757);
	assert_int_equal(d.dirsize, 0);
	assert_string_equal(d.sha256, SHA_EXAMPLE);
	assert_int_equal(d.modtsec, 1700000000);
	assert_ev_ok(ev_copyfile_validate(&d));
	assert_encodes_to(&d, want);
	ev_copyfile_free(&d);
	ev_copyfile_free(&f);
	assert_null(f.name);
}

static void
test_copyfile_tar_header_and_token_hash(void **state)
{
	static uint8_t hash[3] = {0xfb, 0xff, 0x00};
	struct ev_copyfile f = {.name = S("x.tar"), .dirsize = 4096, .modtsec = -1}, d;

	(void)state;
	assert_encodes_to(&f, "{\"tokenHash\":null,\"name\":\"x.tar\",\"size\":0,\"dirsize\":4096,"
	                      "\"sha256\":\"\",\"modtsec\":-1}");
	f.token_hash.p = hash;
	f.token_hash.len = sizeof(hash);
	assert_encodes_to(&f,
	                  "{\"tokenHash\":\"+/8A\",\"name\":\"x.tar\",\"size\":0,\"dirsize\":4096,"
	                  "\"sha256\":\"\",\"modtsec\":-1}");
	f.token_hash.p = NULL;
	f.token_hash.len = 0;
	assert_ev_ok(ev_copyfile_validate(&f)); /* "" is the tar form of sha256 */
	assert_ev_ok(decode_str("{\"tokenHash\":\"+/8A\"}", &d));
	assert_int_equal(d.token_hash.len, 3);
	assert_memory_equal(d.token_hash.p, hash, 3);
	ev_copyfile_free(&d);
	ev_copyfile_free(&f);
}

static void
test_copyfile_name_escapes_like_go(void **state)
{
	struct ev_copyfile f = {.name = S("<a&b>\x7f\x01\xe2\x80\xa9")}, d;

	(void)state;
	assert_encodes_to(&f, "{\"tokenHash\":null,\"name\":\"\\u003ca\\u0026b\\u003e\x7f\\u0001"
	                      "\\u2029\",\"size\":0,\"dirsize\":0,\"sha256\":\"\",\"modtsec\":0}");
	assert_ev_ok(decode_str("{\"name\":\"\\u003ca\\u0026b\\u003e\\u00e9\"}", &d));
	assert_string_equal(d.name, "<a&b>\xc3\xa9");
	ev_copyfile_free(&d);
	ev_copyfile_free(&f);
}

static void
test_copyfile_validate_name(void **state)
{
	char longname[EV_MAX_FILE_NAME + 2];
	struct ev_copyfile f = {0};

	(void)state;
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_NAME); /* NULL */
	f.name = longname;
	static const char *bad[] = {"", ".", "..", "/", "a/b", "../x", "/etc/passwd", "x/"};
	for (size_t i = 0; i < EV_ARRAY_LEN(bad); i++) {
		memcpy(longname, bad[i], strlen(bad[i]) + 1);
		assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_NAME);
	}
	static const char *good[] = {"-rf", ".hidden", "...", "a..b", "x.tar.gz", "a b", "\\"};
	for (size_t i = 0; i < EV_ARRAY_LEN(good); i++) {
		memcpy(longname, good[i], strlen(good[i]) + 1);
		assert_ev_ok(ev_copyfile_validate(&f));
	}
	memset(longname, 'n', EV_MAX_FILE_NAME);
	longname[EV_MAX_FILE_NAME] = '\0';
	assert_ev_ok(ev_copyfile_validate(&f));
	longname[EV_MAX_FILE_NAME] = 'n';
	longname[EV_MAX_FILE_NAME + 1] = '\0';
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_NAME);
	assert_ev_err(ev_copyfile_validate(NULL), EV_ERR_INVALID_ARG);
}

static void
test_copyfile_validate_sizes(void **state)
{
	char name[] = "f";
	struct ev_copyfile f = {.name = name, .size = -1};

	(void)state;
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_SIZE);
	f.size = 0;
	f.dirsize = -9223372036854775807LL - 1;
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_SIZE);
	f.dirsize = 0;
	f.size = 9223372036854775807LL;
	f.modtsec = -5; /* before 1970 is odd but harmless */
	assert_ev_ok(ev_copyfile_validate(&f));
}

static void
test_copyfile_validate_sha256(void **state)
{
	char name[] = "f", sha[80];
	struct ev_copyfile f = {.name = name, .sha256 = sha};

	(void)state;
	memcpy(sha, SHA_EXAMPLE, sizeof(SHA_EXAMPLE));
	assert_ev_ok(ev_copyfile_validate(&f));
	sha[0] = 'A'; /* Go's hex.EncodeToString writes lowercase */
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_SHA256);
	sha[0] = 'g';
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_SHA256);
	memcpy(sha, SHA_EXAMPLE, sizeof(SHA_EXAMPLE));
	sha[63] = '\0';
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_SHA256);
	memcpy(sha, SHA_EXAMPLE "0", sizeof(SHA_EXAMPLE) + 1);
	assert_ev_err(ev_copyfile_validate(&f), EV_ERR_COPYFILE_SHA256);
	sha[0] = '\0';
	assert_ev_ok(ev_copyfile_validate(&f));
}

static void
test_copyfile_decode_go_rules(void **state)
{
	struct ev_copyfile d;

	(void)state;
	assert_ev_ok(decode_str("{\"NAME\":\"x\",\"SHA256\":\"\",\"ModTSec\":5,\"DirSize\":7,"
	                        "\"size\":1,\"size\":2,\"unknown\":{},\"tokenHash\":null}",
	                        &d));
	assert_string_equal(d.name, "x");
	assert_int_equal(d.modtsec, 5);
	assert_int_equal(d.dirsize, 7);
	assert_int_equal(d.size, 2);
	assert_null(d.token_hash.p);
	ev_copyfile_free(&d);
	assert_ev_ok(decode_str("null", &d));
	assert_null(d.name);
	/* Decoding does not judge the name: that is ev_copyfile_validate's job. */
	assert_ev_ok(decode_str("{\"name\":\"../../etc/shadow\",\"size\":-1}", &d));
	assert_ev_err(ev_copyfile_validate(&d), EV_ERR_COPYFILE_NAME);
	ev_copyfile_free(&d);
}

static void
test_copyfile_decode_rejections(void **state)
{
	struct ev_copyfile d, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_ev_err(decode_str("{\"name\":1}", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"size\":\"757\"}", &d), EV_ERR_JSON_TYPE);
	assert_ev_err(decode_str("{\"size\":7.5}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"modtsec\":1e9}", &d), EV_ERR_JSON_RANGE);
	assert_ev_err(decode_str("{\"tokenHash\":\"A===\"}", &d), EV_ERR_B64_PADDING);
	assert_ev_err(decode_str("{\"tokenHash\":\"_w==\"}", &d), EV_ERR_B64_CHAR);
	assert_ev_err(decode_str("{\"name\":\"a\\u0000b\"}", &d), EV_ERR_NUL_BYTE);
	assert_ev_err(decode_str("{\"name\":\"x\"}}", &d), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("{\"name\":\"x\",", &d), EV_ERR_JSON_SYNTAX);
	assert_ev_err(decode_str("[]", &d), EV_ERR_JSON_TYPE);
	/* A failure after a string was decoded leaves nothing behind. */
	assert_ev_err(decode_str("{\"name\":\"x\",\"sha256\":\"y\",\"size\":\"z\"}", &d),
	              EV_ERR_JSON_TYPE);
	assert_memory_equal(&d, &zero, sizeof(d));
}

static void
test_copyfile_size_cap(void **state)
{
	size_t n = EV_MAX_COPYFILE_JSON + 1;
	char *big = malloc(n + 1);
	struct ev_copyfile d;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "{\"name\":\"", 9);
	memcpy(big + n - 2, "\"}", 3);
	assert_ev_err(ev_copyfile_decode(big, n, &d), EV_ERR_TOO_BIG);
	memcpy(big + n - 3, "\"}", 3);
	assert_ev_ok(ev_copyfile_decode(big, n - 1, &d));
	assert_int_equal(strlen(d.name), n - 1 - 11);
	assert_ev_err(ev_copyfile_validate(&d), EV_ERR_COPYFILE_NAME);
	ev_copyfile_free(&d);
	free(big);
}

static void
test_copyfile_encode_refuses_what_decode_would_refuse(void **state)
{
	char json[2100];
	struct ev_buf *b = ev_buf_new(64u * 1024);
	struct ev_copyfile f;

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_buf_put_str(b, "x"));
	/* 2000 '&' fit the 8 KiB cap; escaped as \u0026 they do not. */
	memcpy(json, "{\"name\":\"", 9);
	memset(json + 9, '&', 2000);
	memcpy(json + 2009, "\"}", 3);
	assert_ev_ok(decode_str(json, &f));
	assert_ev_err(ev_copyfile_encode(&f, b), EV_ERR_TOO_BIG);
	assert_string_equal(ev_buf_str(b), "x");
	ev_copyfile_free(&f);
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_copyfile_vector),
	        cmocka_unit_test(test_copyfile_tar_header_and_token_hash),
	        cmocka_unit_test(test_copyfile_name_escapes_like_go),
	        cmocka_unit_test(test_copyfile_validate_name),
	        cmocka_unit_test(test_copyfile_validate_sizes),
	        cmocka_unit_test(test_copyfile_validate_sha256),
	        cmocka_unit_test(test_copyfile_decode_go_rules),
	        cmocka_unit_test(test_copyfile_decode_rejections),
	        cmocka_unit_test(test_copyfile_size_cap),
	        cmocka_unit_test(test_copyfile_encode_refuses_what_decode_would_refuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
