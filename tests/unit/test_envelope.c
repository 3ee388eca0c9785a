/* test_envelope.c - envelopes: vectors byte for byte, checks, hostile input. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_sig.h"

#define KEY_A "Zk3p9QvXr2LmN8sT"

static int
parse(const char *json, struct ev_envelope *e)
{
	return ev_envelope_parse(json, strlen(json), e);
}

static int
check_a(const char *json)
{
	struct ev_envelope e;
	int r;

	if ((r = parse(json, &e)) != 0)
		return r;
	r = ev_envelope_check_hmac(&e, (const uint8_t *)KEY_A, strlen(KEY_A), false);
	ev_envelope_free(&e);
	return r;
}

static void
seal_equals(const char *payload_path_or_text, bool is_path, const char *env_path)
{
	const char *payload = is_path ? tv_str(payload_path_or_text) : payload_path_or_text;
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);

	assert_ev_ok(ev_envelope_seal_hmac((const uint8_t *)KEY_A, strlen(KEY_A),
	                                   (const uint8_t *)payload, strlen(payload), b));
	assert_string_equal(ev_buf_str(b), tv_str(env_path));
	ev_buf_free(b);
}

static void
test_hmac_vectors_byte_exact(void **state)
{
	(void)state;
	seal_equals("cmd1_json", true, "env_hmac_cmd1");
	seal_equals("+++Done+++", false, "env_hmac_done");
	seal_equals("tcp1_json", true, "env_hmac_tcp1");
}

static void
test_hmac_vectors_open(void **state)
{
	struct ev_envelope e;

	(void)state;
	assert_ev_ok(parse(tv_str("env_hmac_cmd1"), &e));
	assert_int_equal(e.message.len, strlen(tv_str("cmd1_json")));
	assert_memory_equal(e.message.p, tv_str("cmd1_json"), e.message.len);
	assert_null(e.signature.p);
	assert_ev_ok(ev_envelope_check_hmac(&e, (const uint8_t *)KEY_A, strlen(KEY_A), false));
	/* The JWT-B key does not open it. */
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)"Yq7Hd2Vx9BnM4cKe", 16, false),
	              EV_ERR_ENV_HMAC);
	/* EVE 16.6.0's empty key neither. */
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)"", 0, false), EV_ERR_ENV_HMAC);
	ev_envelope_free(&e);
	assert_ev_ok(check_a(tv_str("env_hmac_done")));
	assert_ev_ok(check_a(tv_str("env_hmac_tcp1")));
}

static void
test_empty_key_peer(void **state)
{
	struct ev_buf *b = ev_buf_new(1024);
	struct ev_envelope e;

	(void)state;
	/* EVE 16.6.0 keyed the HMAC with "" (section 0.2). */
	assert_ev_ok(ev_envelope_seal_hmac((const uint8_t *)"", 0, (const uint8_t *)"+++Done+++",
	                                   10, b));
	assert_ev_ok(parse(ev_buf_str(b), &e));
	assert_ev_ok(ev_envelope_check_hmac(&e, (const uint8_t *)"", 0, false));
	ev_envelope_free(&e);
	ev_buf_free(b);
}

static void
test_go_decoding_rules(void **state)
{
	struct ev_envelope e;

	(void)state;
	/* Case-insensitive keys, unknown keys, \n inside base64. */
	assert_ev_ok(check_a("{\"MESSAGE\":\"KysrRG9u\\nZSsrKw==\",\"SHA256HASH\":[144,87,237,182,"
	                     "226,100,61,162,51,191,142,240,254,162,67,99,247,213,135,28,85,39,"
	                     "192,233,50,84,191,244,34,104,126,112],\"signature\":null,"
	                     "\"extra\":{\"x\":[1,2]}}"));
	/* {} is an envelope (empty message, zero hash) that fails the MAC. */
	assert_ev_err(check_a("{}"), EV_ERR_ENV_HMAC);
	assert_ev_err(check_a("null"), EV_ERR_ENV_HMAC);
	/* A short hash array zero-fills (and so fails). */
	assert_ev_err(check_a("{\"message\":\"KysrRG9uZSsrKw==\",\"sha256Hash\":[144]}"),
	              EV_ERR_ENV_HMAC);
	assert_ev_ok(parse("{\"message\":\"\"}", &e));
	assert_non_null(e.message.p);
	assert_int_equal(e.message.len, 0);
	ev_envelope_free(&e);
}

static void
test_not_envelopes(void **state)
{
	(void)state;
	/* Dispatcher control strings are raw. */
	assert_ev_err(check_a("no device online\n+++Done+++"), EV_ERR_ENV_NOT_JSON);
	assert_ev_err(check_a("YourEndPointIPAddr:203.0.113.7:50522"), EV_ERR_ENV_NOT_JSON);
	assert_ev_err(check_a(""), EV_ERR_ENV_NOT_JSON);
	assert_ev_err(check_a("{\"message\":\"KysrRG9uZSsrKw==\""), EV_ERR_ENV_NOT_JSON);
	assert_ev_err(check_a("{\"message\":\"KysrRG9uZSsrKw==\"} {}"), EV_ERR_ENV_NOT_JSON);
	assert_ev_err(check_a("[1,2]"), EV_ERR_JSON_TYPE);
	assert_ev_err(check_a("\"+++Done+++\""), EV_ERR_JSON_TYPE);
	/* Field-level errors Go also rejects. */
	assert_ev_err(check_a("{\"message\":\"KysrRG9uZSsrKw\"}"), EV_ERR_B64_PADDING);
	assert_ev_err(check_a("{\"message\":\"Kysr-G9uZSsrKw==\"}"), EV_ERR_B64_CHAR);
	assert_ev_err(check_a("{\"message\":\"KysrR\"}"), EV_ERR_B64_LENGTH);
	assert_ev_err(check_a("{\"message\":1}"), EV_ERR_JSON_TYPE);
	assert_ev_err(check_a("{\"sha256Hash\":\"kFft\"}"), EV_ERR_JSON_TYPE);
	assert_ev_err(check_a("{\"sha256Hash\":[256]}"), EV_ERR_JSON_RANGE);
	assert_ev_err(check_a("{\"sha256Hash\":[-1]}"), EV_ERR_JSON_RANGE);
	assert_ev_err(check_a("{\"sha256Hash\":[1.5]}"), EV_ERR_JSON_RANGE);
	assert_ev_err(check_a("{\"Signature\":true}"), EV_ERR_JSON_TYPE);
	assert_ev_err(check_a("{\"cipher\":5}"), EV_ERR_JSON_TYPE);
}

static void
test_tampering(void **state)
{
	char buf[2048];
	const char *done = tv_str("env_hmac_done");
	char *p;

	(void)state;
	/* A different message under the original MAC. */
	snprintf(buf, sizeof(buf), "%s", done);
	p = strstr(buf, "KysrRG9uZSsrKw==");
	p[3] = 'S';
	assert_ev_err(check_a(buf), EV_ERR_ENV_HMAC);
	/* The MAC's first byte changed. */
	snprintf(buf, sizeof(buf), "%s", done);
	p = strstr(buf, "[144,");
	memcpy(p, "[145,", 5);
	assert_ev_err(check_a(buf), EV_ERR_ENV_HMAC);
}

static void
test_oversized(void **state)
{
	size_t n = EV_MAX_ENVELOPE + 1;
	char *big = malloc(n);
	struct ev_envelope e;
	struct ev_buf *b = ev_buf_new(16);

	(void)state;
	memset(big, ' ', n);
	assert_ev_err(ev_envelope_parse(big, n, &e), EV_ERR_TOO_BIG);
	assert_ev_err(ev_envelope_seal_hmac((const uint8_t *)"k", 1, (const uint8_t *)big,
	                                    EV_MAX_PAYLOAD + 1, b),
	              EV_ERR_TOO_BIG);
	free(big);
	ev_buf_free(b);
}

static void
test_encrypted_envelopes_refused(void **state)
{
	struct ev_envelope e;

	(void)state;
	assert_ev_ok(parse(tv_str("gcm.envelope"), &e));
	assert_int_equal(ev_envelope_encryption(&e, true), EV_ENV_GCM_088);
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)KEY_A, 16, true),
	              EV_ERR_ENV_GCM_UNSUPPORTED);
	ev_envelope_free(&e);
	assert_ev_ok(parse(tv_str("cfb087.envelope"), &e));
	assert_int_equal(ev_envelope_encryption(&e, true), EV_ENV_CFB_IV);
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)KEY_A, 16, false),
	              EV_ERR_ENV_CFB_UNSUPPORTED);
	ev_envelope_free(&e);
	/* <= 16.4 carries no iv: only the token's enc flag tells. */
	assert_ev_ok(parse(tv_str("cfb086.envelope"), &e));
	assert_int_equal(ev_envelope_encryption(&e, true), EV_ENV_CFB_NOIV);
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)KEY_A, 16, true),
	              EV_ERR_ENV_CFB_UNSUPPORTED);
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)KEY_A, 16, false),
	              EV_ERR_ENV_HMAC);
	ev_envelope_free(&e);
}

static void
test_signed_vectors(void **state)
{
	const char *ecpem = tv_str("ec_public_pem"), *rsapem = tv_str("rsa_public_pem");
	struct ev_pubkey *ec = NULL, *rsa = NULL;
	struct ev_authkeys *keys = NULL;
	const struct ev_authkey *match = NULL;
	struct ev_envelope e;
	char lines[4096];
	size_t nbad = 0;

	(void)state;
	assert_ev_ok(ev_pubkey_from_pem(ecpem, strlen(ecpem), &ec));
	assert_ev_ok(ev_pubkey_from_pem(rsapem, strlen(rsapem), &rsa));
	assert_ev_ok(parse(tv_str("ecdsa_sig.envelope"), &e));
	assert_int_equal(e.signature.len, 64);
	assert_ev_ok(ev_envelope_check_sig(&e, ec));
	assert_ev_err(ev_envelope_check_sig(&e, rsa), EV_ERR_SIG_LEN);
	/* aut 2: RSA line first, then the EC one that matches; comment kept. */
	snprintf(lines, sizeof(lines), "%s\n%s\n", tv_str("rsa_ssh_authorized_key"),
	         tv_str("ec_ssh_authorized_key"));
	assert_ev_ok(ev_authkeys_parse(lines, strlen(lines), &keys, &nbad));
	assert_int_equal(nbad, 0);
	assert_ev_ok(ev_envelope_check_authkeys(&e, keys, &match));
	assert_non_null(match);
	assert_string_equal(match->comment, "alice@laptop");
	ev_envelope_free(&e);
	assert_ev_ok(parse(tv_str("rsa_sig.envelope"), &e));
	assert_ev_ok(ev_envelope_check_sig(&e, rsa));
	assert_ev_ok(ev_envelope_check_authkeys(&e, keys, &match));
	assert_string_equal(match->comment, "bob@workstation");
	ev_envelope_free(&e);
	/* An unsigned envelope where a signature is required. */
	assert_ev_ok(parse(tv_str("env_hmac_cmd1"), &e));
	assert_ev_err(ev_envelope_check_sig(&e, ec), EV_ERR_SIG_MISSING);
	assert_ev_err(ev_envelope_check_authkeys(&e, keys, &match), EV_ERR_SIG_MISSING);
	ev_envelope_free(&e);
	ev_authkeys_free(keys);
	ev_pubkey_free(ec);
	ev_pubkey_free(rsa);
}

static void
test_signed_seal_roundtrip(void **state)
{
	const char *pem = tv_str("ec_private_pem_pkcs8");
	struct ev_privkey *k = NULL;
	struct ev_pubkey *pub = NULL;
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	struct ev_envelope e;
	const char *cmd = tv_str("cmd2_json");

	(void)state;
	assert_ev_ok(ev_privkey_from_pem(pem, strlen(pem), NULL, &k));
	assert_ev_ok(ev_privkey_public(k, &pub));
	assert_ev_ok(ev_envelope_seal_signed(k, (const uint8_t *)cmd, strlen(cmd), b));
	assert_non_null(strstr(ev_buf_str(b), "\"sha256Hash\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	                                      "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],\"Signature\":\""));
	assert_ev_ok(parse(ev_buf_str(b), &e));
	assert_ev_ok(ev_envelope_check_sig(&e, pub));
	/* The message bytes are what is signed: change one and it fails. */
	e.message.p[5] ^= 1;
	assert_ev_err(ev_envelope_check_sig(&e, pub), EV_ERR_SIG_INVALID);
	ev_envelope_free(&e);
	ev_buf_free(b);
	ev_pubkey_free(pub);
	ev_privkey_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hmac_vectors_byte_exact),
	        cmocka_unit_test(test_hmac_vectors_open),
	        cmocka_unit_test(test_empty_key_peer),
	        cmocka_unit_test(test_go_decoding_rules),
	        cmocka_unit_test(test_not_envelopes),
	        cmocka_unit_test(test_tampering),
	        cmocka_unit_test(test_oversized),
	        cmocka_unit_test(test_encrypted_envelopes_refused),
	        cmocka_unit_test(test_signed_vectors),
	        cmocka_unit_test(test_signed_seal_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
