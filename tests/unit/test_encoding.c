/* test_encoding.c - base64 (Go rules) and hex. */
#include "ev_test.h"

#include <string.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"

static char *
enc(enum ev_b64_variant v, const char *in)
{
	static char out[256];
	struct ev_buf *b = ev_buf_new(sizeof(out) - 1);

	assert_non_null(b);
	assert_ev_ok(ev_b64_encode(v, (const uint8_t *)in, strlen(in), b));
	memcpy(out, ev_buf_str(b), ev_buf_len(b) + 1);
	ev_buf_free(b);
	return out;
}

static int
dec(enum ev_b64_variant v, const char *in, char *out)
{
	uint8_t buf[256];
	size_t n = 0;
	int r = ev_b64_decode(v, in, strlen(in), buf, sizeof(buf), &n);

	if (r == 0) {
		memcpy(out, buf, n);
		out[n] = '\0';
	}
	return r;
}

static void
test_rfc4648_vectors(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	char out[64];

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(enc(EV_B64_STD, plain[i]), std[i]);
		assert_string_equal(enc(EV_B64_URL_RAW, plain[i]), url[i]);
		assert_ev_ok(dec(EV_B64_STD, std[i], out));
		assert_string_equal(out, plain[i]);
		assert_ev_ok(dec(EV_B64_URL_RAW, url[i], out));
		assert_string_equal(out, plain[i]);
		assert_int_equal(ev_b64_encoded_len(EV_B64_STD, strlen(plain[i])), strlen(std[i]));
		assert_int_equal(ev_b64_encoded_len(EV_B64_URL_RAW, strlen(plain[i])),
		                 strlen(url[i]));
	}
}

static void
test_all_byte_values(void **state)
{
	uint8_t in[256], out[300];
	size_t n;
	struct ev_buf *b = ev_buf_new(1024);

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	for (int v = EV_B64_STD; v <= EV_B64_URL_RAW; v++) {
		ev_buf_reset(b);
		assert_ev_ok(ev_b64_encode((enum ev_b64_variant)v, in, sizeof(in), b));
		assert_ev_ok(ev_b64_decode((enum ev_b64_variant)v, ev_buf_str(b), ev_buf_len(b),
		                           out, sizeof(out), &n));
		assert_int_equal(n, sizeof(in));
		assert_memory_equal(in, out, sizeof(in));
	}
	/* The two alphabets differ exactly in the last two symbols. */
	ev_buf_reset(b);
	assert_ev_ok(ev_b64_encode(EV_B64_STD, (const uint8_t *)"\xfb\xff", 2, b));
	assert_string_equal(ev_buf_str(b), "+/8=");
	ev_buf_reset(b);
	assert_ev_ok(ev_b64_encode(EV_B64_URL_RAW, (const uint8_t *)"\xfb\xff", 2, b));
	assert_string_equal(ev_buf_str(b), "-_8");
	ev_buf_free(b);
}

static void
test_go_acceptance(void **state)
{
	char out[64];

	(void)state;
	/* Go skips \r and \n anywhere. */
	assert_ev_ok(dec(EV_B64_STD, "Zm9v\r\nYmFy\n", out));
	assert_string_equal(out, "foobar");
	assert_ev_ok(dec(EV_B64_STD, "Zg=\n=", out));
	assert_string_equal(out, "f");
	/* Non-zero unused bits are accepted (Go's non-strict mode). */
	assert_ev_ok(dec(EV_B64_STD, "Zh==", out));
	assert_string_equal(out, "f");
	assert_ev_ok(dec(EV_B64_URL_RAW, "Zh", out));
}

static void
test_rejections(void **state)
{
	char out[64];

	(void)state;
	assert_ev_err(dec(EV_B64_STD, "Zg", out), EV_ERR_B64_PADDING);    /* unpadded */
	assert_ev_err(dec(EV_B64_STD, "Zg=", out), EV_ERR_B64_PADDING);   /* short pad */
	assert_ev_err(dec(EV_B64_STD, "Zg===", out), EV_ERR_B64_PADDING); /* long pad */
	assert_ev_err(dec(EV_B64_STD, "Z===", out), EV_ERR_B64_PADDING);
	assert_ev_err(dec(EV_B64_STD, "Zg==Zg==", out), EV_ERR_B64_PADDING); /* data after */
	assert_ev_err(dec(EV_B64_STD, "====", out), EV_ERR_B64_PADDING);
	assert_ev_err(dec(EV_B64_STD, "Z", out), EV_ERR_B64_LENGTH);
	assert_ev_err(dec(EV_B64_STD, "Zm9vY", out), EV_ERR_B64_LENGTH);
	assert_ev_err(dec(EV_B64_STD, "-_8=", out), EV_ERR_B64_CHAR); /* URL alphabet */
	assert_ev_err(dec(EV_B64_STD, "Zm 9v", out), EV_ERR_B64_CHAR);
	assert_ev_err(dec(EV_B64_URL_RAW, "+/8", out), EV_ERR_B64_CHAR);
	assert_ev_err(dec(EV_B64_URL_RAW, "Zg==", out), EV_ERR_B64_PADDING); /* raw: no '=' */
	assert_ev_err(dec(EV_B64_URL_RAW, "Zm9vY", out), EV_ERR_B64_LENGTH);
	assert_ev_err(dec(EV_B64_STD, "Zm9v\x80", out), EV_ERR_B64_CHAR);
}

static void
test_decode_needs_capacity(void **state)
{
	uint8_t out[2];
	size_t n;

	(void)state;
	assert_ev_err(ev_b64_decode(EV_B64_STD, "Zm9vYmFy", 8, out, sizeof(out), &n),
	              EV_ERR_INVALID_ARG);
}

static void
test_hex(void **state)
{
	uint8_t bin[4];
	char hex[9];

	(void)state;
	assert_ev_ok(ev_hex_decode("00fFa5", 6, bin, 3));
	assert_int_equal(bin[1], 0xff);
	ev_hex_encode(bin, 3, hex);
	assert_string_equal(hex, "00ffa5");
	assert_ev_err(ev_hex_decode("0g", 2, bin, 1), EV_ERR_HEX);
	assert_ev_err(ev_hex_decode("abc", 3, bin, 2), EV_ERR_HEX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc4648_vectors),
	        cmocka_unit_test(test_all_byte_values),
	        cmocka_unit_test(test_go_acceptance),
	        cmocka_unit_test(test_rejections),
	        cmocka_unit_test(test_decode_needs_capacity),
	        cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
