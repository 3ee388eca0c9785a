/* test_jwt.c - session tokens: vectors, claims rules, and hostile tokens. */
#include "ev_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_jwt.h"
#include "ev_sig.h"

#define NOW  1800000000 /* 2027-01-15, before the vectors' exp (2030-01-01) */
#define UUID "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01"
#define HDR  "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

static struct ev_privkey *test_key;
static struct ev_pubkey *test_pub;

static int
setup(void **state)
{
	const char *pem = tv_str("ec_private_pem_sec1");

	(void)state;
	assert_ev_ok(ev_privkey_from_pem(pem, strlen(pem), NULL, &test_key));
	assert_ev_ok(ev_privkey_public(test_key, &test_pub));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ev_privkey_free(test_key);
	ev_pubkey_free(test_pub);
	return 0;
}

/* b64url(header) "." b64url(payload) "." b64url(signature by the test key). */
static char *
make_token(const char *header, const char *payload)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_JWT * 2);
	uint8_t sig[EV_MAX_SIGNATURE], *out;
	size_t siglen;

	assert_non_null(b);
	assert_ev_ok(ev_b64_encode(EV_B64_URL_RAW, (const uint8_t *)header, strlen(header), b));
	assert_ev_ok(ev_buf_put_u8(b, '.'));
	assert_ev_ok(ev_b64_encode(EV_B64_URL_RAW, (const uint8_t *)payload, strlen(payload), b));
	assert_ev_ok(
	        ev_sig_sign(test_key, ev_buf_ptr(b), ev_buf_len(b), sig, sizeof(sig), &siglen));
	assert_ev_ok(ev_buf_put_u8(b, '.'));
	assert_ev_ok(ev_b64_encode(EV_B64_URL_RAW, sig, siglen, b));
	assert_ev_ok(ev_buf_take(b, &out, NULL));
	ev_buf_free(b);
	return (char *)out;
}

static int
parse_str(const char *tok, struct ev_jwt **out)
{
	return ev_jwt_parse(tok, strlen(tok), out);
}

/* Parse, verify and validate a token built from claims JSON. */
static int
full_check(const char *header, const char *payload)
{
	char *tok = make_token(header, payload);
	struct ev_jwt *jwt = NULL;
	int r;

	if ((r = parse_str(tok, &jwt)) == 0 && (r = ev_jwt_verify(jwt, test_pub)) == 0)
		r = ev_jwt_validate(jwt, NOW, UUID);
	ev_jwt_free(jwt);
	free(tok);
	return r;
}

static void
test_vector_a(void **state)
{
	struct ev_jwt *jwt = NULL;
	struct ev_pubkey *cert = NULL;
	const char *certpem = tv_str("ec_cert_pem");
	struct ev_dep dep;
	unsigned eff;
	const char *warn;

	(void)state;
	assert_ev_ok(parse_str(tv_str("jwtA.token"), &jwt));
	assert_string_equal(jwt->claims.dep, "https://evdispatch.example.net:443/edge-view");
	assert_string_equal(jwt->claims.sub, UUID);
	assert_true(jwt->claims.exp == 1893456000);
	assert_string_equal(jwt->claims.key, "Zk3p9QvXr2LmN8sT");
	assert_int_equal(jwt->claims.num, 1);
	assert_false(jwt->claims.enc);
	assert_int_equal(jwt->claims.aut, 0);
	assert_int_equal(jwt->signing_len, strlen(tv_str("jwtA.signing_input")));
	assert_memory_equal(jwt->token, tv_str("jwtA.signing_input"), jwt->signing_len);
	/* Verifies against the PUBLIC KEY and the certificate form. */
	assert_ev_ok(ev_jwt_verify(jwt, test_pub));
	assert_ev_ok(ev_pubkey_from_pem(certpem, strlen(certpem), &cert));
	assert_ev_ok(ev_jwt_verify(jwt, cert));
	assert_ev_ok(ev_jwt_validate(jwt, NOW, UUID));
	assert_ev_ok(ev_jwt_validate(jwt, NOW, NULL));
	assert_ev_ok(ev_jwt_dep_parse(jwt->claims.dep, &dep));
	assert_string_equal(dep.host, "evdispatch.example.net");
	assert_string_equal(dep.hostport, "evdispatch.example.net:443");
	assert_int_equal(dep.port, 443);
	assert_string_equal(dep.path, "/edge-view");
	/* num 1: the device takes no instance; the client ignores -inst 1. */
	assert_ev_ok(ev_jwt_device_instance(&jwt->claims, 0, &eff));
	assert_int_equal(eff, 0);
	assert_ev_err(ev_jwt_device_instance(&jwt->claims, 1, &eff), EV_ERR_INST_UNEXPECTED);
	assert_ev_ok(ev_jwt_client_instance(&jwt->claims, 1, &eff, &warn));
	assert_int_equal(eff, 0);
	assert_non_null(warn);
	assert_ev_err(ev_jwt_client_instance(&jwt->claims, 2, &eff, &warn), EV_ERR_INST_RANGE);
	ev_pubkey_free(cert);
	ev_jwt_free(jwt);
}

static void
test_vector_b(void **state)
{
	struct ev_jwt *jwt = NULL;
	unsigned eff;
	const char *warn;

	(void)state;
	assert_ev_ok(parse_str(tv_str("jwtB.token"), &jwt));
	assert_int_equal(jwt->claims.num, 2);
	assert_int_equal(jwt->claims.aut, 1);
	assert_string_equal(jwt->claims.key, "Yq7Hd2Vx9BnM4cKe");
	assert_ev_ok(ev_jwt_verify(jwt, test_pub));
	assert_ev_ok(ev_jwt_validate(jwt, NOW, UUID));
	assert_ev_err(ev_jwt_device_instance(&jwt->claims, 0, &eff), EV_ERR_INST_REQUIRED);
	assert_ev_ok(ev_jwt_device_instance(&jwt->claims, 2, &eff));
	assert_int_equal(eff, 2);
	assert_ev_err(ev_jwt_device_instance(&jwt->claims, 3, &eff), EV_ERR_INST_RANGE);
	assert_ev_err(ev_jwt_device_instance(&jwt->claims, 6, &eff), EV_ERR_INST_RANGE);
	assert_ev_ok(ev_jwt_client_instance(&jwt->claims, 0, &eff, &warn));
	assert_int_equal(eff, 1);
	assert_non_null(warn);
	ev_jwt_free(jwt);
}

static void
test_mint_matches_go_order(void **state)
{
	struct ev_jwt_claims c = {0};
	struct ev_jwt *jwt = NULL;
	const char *want = tv_str("jwtA.signing_input");
	char *tok = NULL;

	(void)state;
	c.dep = (char *)"https://evdispatch.example.net:443/edge-view";
	c.sub = (char *)UUID;
	c.exp = 1893456000;
	c.key = (char *)"Zk3p9QvXr2LmN8sT";
	c.num = 1;
	assert_ev_ok(ev_jwt_mint(&c, test_key, &tok));
	/* Same signing input as the Go-made vector; the signature differs
	 * (random k), but verifies. */
	assert_memory_equal(tok, want, strlen(want));
	assert_int_equal(tok[strlen(want)], '.');
	assert_ev_ok(parse_str(tok, &jwt));
	assert_ev_ok(ev_jwt_verify(jwt, test_pub));
	ev_jwt_free(jwt);
	free(tok);
}

static void
test_mint_needs_p256(void **state)
{
	struct ev_privkey *k384 = NULL;
	struct ev_jwt_claims c = {0};
	char *tok = NULL;

	(void)state;
	assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P384, &k384));
	assert_ev_err(ev_jwt_mint(&c, k384, &tok), EV_ERR_KEY_CURVE);
	assert_null(tok);
	ev_privkey_free(k384);
}

#define CLAIMS(extra)                                                                          \
	"{\"dep\":\"disp.example.net:443/edge-view\",\"sub\":\"" UUID "\",\"exp\":1893456000," \
	"\"key\":\"k\"" extra "}"

static void
test_structure_rejections(void **state)
{
	const char *a = tv_str("jwtA.token");
	struct ev_jwt *jwt = NULL;
	char buf[EV_MAX_JWT + 16];
	size_t n = strlen(a);

	(void)state;
	assert_ev_err(parse_str("abc.def", &jwt), EV_ERR_JWT_FORMAT);
	assert_ev_err(parse_str("a.b.c.d", &jwt), EV_ERR_JWT_FORMAT);
	assert_ev_err(parse_str("", &jwt), EV_ERR_JWT_FORMAT);
	/* Padded signature segment (strict RawURL). */
	snprintf(buf, sizeof(buf), "%s=", a);
	assert_ev_err(parse_str(buf, &jwt), EV_ERR_B64_PADDING);
	/* Standard alphabet instead of URL-safe. */
	snprintf(buf, sizeof(buf), "%s", a);
	buf[n - 3] = '+';
	assert_ev_err(parse_str(buf, &jwt), EV_ERR_B64_CHAR);
	/* Whitespace from a bad paste. */
	snprintf(buf, sizeof(buf), "%s\n", a);
	assert_ev_err(parse_str(buf, &jwt), EV_ERR_JWT_FORMAT);
	/* Embedded NUL. */
	memcpy(buf, a, n);
	buf[10] = '\0';
	assert_ev_err(ev_jwt_parse(buf, n, &jwt), EV_ERR_NUL_BYTE);
	/* Oversized. */
	memset(buf, 'A', EV_MAX_JWT + 1);
	assert_ev_err(ev_jwt_parse(buf, EV_MAX_JWT + 1, &jwt), EV_ERR_TOO_BIG);
	/* 63- and 65-byte signatures: drop or add one byte (two/three b64 chars). */
	snprintf(buf, sizeof(buf), "%.*s", (int)(n - 2), a);
	assert_ev_err(parse_str(buf, &jwt), EV_ERR_JWT_SIG_LEN);
	snprintf(buf, sizeof(buf), "%sAA", a);
	assert_ev_err(parse_str(buf, &jwt), EV_ERR_JWT_SIG_LEN);
	assert_null(jwt);
}

static void
test_header_rejections(void **state)
{
	struct ev_jwt *jwt = NULL;
	char *tok;

	(void)state;
	tok = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS(""));
	assert_ev_err(parse_str(tok, &jwt), EV_ERR_JWT_ALG);
	free(tok);
	tok = make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", CLAIMS(""));
	assert_ev_err(parse_str(tok, &jwt), EV_ERR_JWT_ALG);
	free(tok);
	tok = make_token("{\"alg\":\"es256\",\"typ\":\"JWT\"}", CLAIMS(""));
	assert_ev_err(parse_str(tok, &jwt), EV_ERR_JWT_ALG);
	free(tok);
	tok = make_token("{\"alg\":\"ES256\"}", CLAIMS(""));
	assert_ev_err(parse_str(tok, &jwt), EV_ERR_JWT_TYP);
	free(tok);
	tok = make_token("{\"alg\":\"ES256\",\"typ\":\"JWT\"", CLAIMS(""));
	assert_ev_err(parse_str(tok, &jwt), EV_ERR_JWT_HEADER);
	free(tok);
	tok = make_token("[\"ES256\"]", CLAIMS(""));
	assert_ev_err(parse_str(tok, &jwt), EV_ERR_JWT_HEADER);
	free(tok);
	assert_null(jwt);
}

static void
test_claims_rejections(void **state)
{
	(void)state;
	assert_ev_ok(full_check(HDR, CLAIMS("")));
	assert_ev_err(full_check(HDR, CLAIMS(",\"num\":300")), EV_ERR_JSON_RANGE);
	assert_ev_err(full_check(HDR, CLAIMS(",\"num\":-1")), EV_ERR_JSON_RANGE);
	assert_ev_err(full_check(HDR, CLAIMS(",\"exp\":1.5")), EV_ERR_JSON_RANGE);
	assert_ev_err(full_check(HDR, CLAIMS(",\"exp\":\"1893456000\"")), EV_ERR_JSON_TYPE);
	assert_ev_err(full_check(HDR, CLAIMS(",\"enc\":1")), EV_ERR_JSON_TYPE);
	assert_ev_err(full_check(HDR, "{\"dep\":\"x\"} trailing"), EV_ERR_JWT_CLAIMS);
	assert_ev_err(full_check(HDR, "\"claims\""), EV_ERR_JWT_CLAIMS);
	assert_ev_err(full_check(HDR, CLAIMS(",\"exp\":0")), EV_ERR_JWT_NO_EXP);
	assert_ev_err(full_check(HDR, "null"), EV_ERR_JWT_NO_EXP);
	assert_ev_err(full_check(HDR, CLAIMS(",\"dep\":\"\"")), EV_ERR_JWT_NO_DEP);
	assert_ev_err(full_check(HDR, CLAIMS(",\"sub\":\"another-device\"")), EV_ERR_JWT_SUB);
	assert_ev_err(full_check(HDR, CLAIMS(",\"exp\":1700000000")), EV_ERR_JWT_EXPIRED);
	assert_ev_err(full_check(HDR, CLAIMS(",\"nbf\":1900000000")), EV_ERR_JWT_NOT_YET_VALID);
	assert_ev_err(full_check(HDR, CLAIMS(",\"iat\":1800000100")), EV_ERR_JWT_NOT_YET_VALID);
	assert_ev_ok(full_check(HDR, CLAIMS(",\"iat\":1800000030,\"nbf\":1700000000")));
	assert_ev_err(full_check(HDR, CLAIMS(",\"num\":6")), EV_ERR_JWT_NUM);
	assert_ev_err(full_check(HDR, CLAIMS(",\"aut\":3")), EV_ERR_JWT_AUT);
	/* A key Go would use whole but a C string would cut at the NUL. */
	assert_ev_err(full_check(HDR, CLAIMS(",\"key\":\"ab\\u0000cd\"")), EV_ERR_NUL_BYTE);
	assert_ev_err(full_check(HDR, CLAIMS(",\"aut\":-1")), EV_ERR_JWT_AUT);
	assert_ev_err(full_check(HDR, CLAIMS(",\"dep\":\"wss://x:443/edge-view\"")),
	              EV_ERR_JWT_DEP);
	/* Go rules: case-insensitive keys, unknown keys ignored. */
	assert_ev_ok(full_check(HDR, "{\"DEP\":\"d:1\",\"Sub\":\"" UUID "\",\"EXP\":1893456000,"
	                             "\"jti\":\"x\",\"aud\":[1]}"));
}

static void
test_signature_rejections(void **state)
{
	const char *a = tv_str("jwtA.token");
	size_t n = strlen(a), si = strlen(tv_str("jwtA.signing_input"));
	struct ev_jwt *jwt = NULL;
	struct ev_privkey *k384 = NULL;
	struct ev_pubkey *p384 = NULL;
	char buf[4096];
	uint8_t sig[64];

	(void)state;
	/* A bit flipped in the claims: the signature is over other bytes. */
	memcpy(buf, a, n + 1);
	buf[60] = buf[60] == 'A' ? 'B' : 'A';
	assert_ev_ok(parse_str(buf, &jwt));
	assert_ev_err(ev_jwt_verify(jwt, test_pub), EV_ERR_JWT_SIG);
	ev_jwt_free(jwt);
	/* A bit flipped in the signature. */
	memcpy(buf, a, n + 1);
	buf[n - 5] = buf[n - 5] == 'A' ? 'B' : 'A';
	assert_ev_ok(parse_str(buf, &jwt));
	assert_ev_err(ev_jwt_verify(jwt, test_pub), EV_ERR_JWT_SIG);
	/* r and s swapped. */
	memcpy(sig, jwt->sig + 32, 32);
	memcpy(sig + 32, jwt->sig, 32);
	ev_jwt_free(jwt);
	assert_ev_ok(parse_str(a, &jwt));
	memcpy(jwt->sig, sig, 64);
	assert_ev_err(ev_jwt_verify(jwt, test_pub), EV_ERR_JWT_SIG);
	/* A key on the wrong curve. */
	assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P384, &k384));
	assert_ev_ok(ev_privkey_public(k384, &p384));
	assert_ev_err(ev_jwt_verify(jwt, p384), EV_ERR_KEY_CURVE);
	ev_jwt_free(jwt);
	/* Signed by another P-256 key. */
	{
		struct ev_privkey *other = NULL;
		struct ev_pubkey *other_pub = NULL;
		assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P256, &other));
		assert_ev_ok(ev_privkey_public(other, &other_pub));
		assert_ev_ok(parse_str(a, &jwt));
		assert_ev_err(ev_jwt_verify(jwt, other_pub), EV_ERR_JWT_SIG);
		ev_jwt_free(jwt);
		ev_pubkey_free(other_pub);
		ev_privkey_free(other);
	}
	(void)si;
	ev_pubkey_free(p384);
	ev_privkey_free(k384);
}

static void
test_dep_rules(void **state)
{
	struct ev_dep d;

	(void)state;
	assert_ev_ok(ev_jwt_dep_parse("1.2.3.4:4000/edge-view", &d));
	assert_string_equal(d.host, "1.2.3.4");
	assert_int_equal(d.port, 4000);
	assert_ev_ok(ev_jwt_dep_parse("http://disp.example", &d));
	assert_int_equal(d.port, 443);
	assert_string_equal(d.path, "");
	assert_ev_ok(ev_jwt_dep_parse("https://http://h:1/a/b", &d)); /* both stripped */
	assert_string_equal(d.path, "/a/b");
	assert_ev_ok(ev_jwt_dep_parse("[::1]:8443/edge-view", &d));
	assert_string_equal(d.host, "::1");
	assert_string_equal(d.hostport, "[::1]:8443");
	assert_ev_err(ev_jwt_dep_parse("", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("/edge-view", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("h:0", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("h:65536", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("h:", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("h:44a", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("user@h:443", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("::1:443", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("[::1:443", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("h:443/edge view", &d), EV_ERR_JWT_DEP);
	assert_ev_err(ev_jwt_dep_parse("h:443/a?b", &d), EV_ERR_JWT_DEP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vector_a),
	        cmocka_unit_test(test_vector_b),
	        cmocka_unit_test(test_mint_matches_go_order),
	        cmocka_unit_test(test_mint_needs_p256),
	        cmocka_unit_test(test_structure_rejections),
	        cmocka_unit_test(test_header_rejections),
	        cmocka_unit_test(test_claims_rejections),
	        cmocka_unit_test(test_signature_rejections),
	        cmocka_unit_test(test_dep_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
