/* test_crypto.c - hashes, HMAC, HKDF, AES-GCM and AES-CFB against the spec vectors. */
#include "ev_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_crypto.h"
#include "ev_encoding.h"
#include "ev_err.h"

#define JWT_KEY "Zk3p9QvXr2LmN8sT" /* JWT-A "key", edgeview-protocol.md 15.4 */

static void
assert_vec_eq(const uint8_t *got, size_t len, const char *path)
{
	size_t n;
	uint8_t *want = tv_hex(path, &n);

	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
	free(want);
}

static void
test_sha256(void **state)
{
	const char *cmd = tv_str("cmd1_json");
	uint8_t h[EV_SHA256_LEN];

	(void)state;
	assert_ev_ok(ev_sha256(cmd, strlen(cmd), h));
	assert_vec_eq(h, sizeof(h), "gcm.sha256_plain_hex");
	/* The GCM salt and the legacy CFB key are both SHA-256 of the JWT key. */
	assert_ev_ok(ev_sha256(JWT_KEY, strlen(JWT_KEY), h));
	assert_vec_eq(h, sizeof(h), "gcm.salt_hex");
	assert_vec_eq(h, sizeof(h), "cfb087.key_hex");
	assert_ev_ok(ev_sha256(NULL, 0, h));
	assert_ev_err(ev_sha256(NULL, 1, h), EV_ERR_INVALID_ARG);
}

static void
test_md5_gives_cfb086_iv(void **state)
{
	uint8_t h[EV_MD5_LEN];

	(void)state;
	assert_ev_ok(ev_md5(JWT_KEY, strlen(JWT_KEY), h));
	assert_vec_eq(h, sizeof(h), "cfb086.iv_hex");
}

static void
test_hmac_vectors(void **state)
{
	const char *cmd = tv_str("cmd1_json");
	uint8_t mac[EV_HMAC_LEN];

	(void)state;
	assert_ev_ok(ev_hmac_sha256(JWT_KEY, strlen(JWT_KEY), cmd, strlen(cmd), mac));
	assert_vec_eq(mac, sizeof(mac), "cmd1_hmac_hex");
	assert_ev_ok(ev_hmac_sha256(JWT_KEY, strlen(JWT_KEY), "+++Done+++", 10, mac));
	assert_vec_eq(mac, sizeof(mac), "done_hmac_hex");
}

static void
test_hmac_empty_key(void **state)
{
	uint8_t mac[EV_HMAC_LEN];

	(void)state;
	/* EVE 16.6.0: the key is the empty string. */
	assert_ev_ok(ev_hmac_sha256("", 0, "+++Done+++", 10, mac));
	assert_vec_eq(mac, sizeof(mac), "done_hmac_emptykey_hex");
	memset(mac, 0, sizeof(mac));
	assert_ev_ok(ev_hmac_sha256(NULL, 0, "+++Done+++", 10, mac));
	assert_vec_eq(mac, sizeof(mac), "done_hmac_emptykey_hex");
	assert_ev_err(ev_hmac_sha256(NULL, 3, "x", 1, mac), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_hmac_sha256("k", 1, NULL, 1, mac), EV_ERR_INVALID_ARG);
}

static void
test_hkdf_gcm_key(void **state)
{
	size_t ikmlen, saltlen;
	uint8_t *ikm = tv_hex("gcm.session_secret_hex", &ikmlen);
	uint8_t *salt = tv_hex("gcm.salt_hex", &saltlen);
	uint8_t key[EV_AES256_KEY_LEN], prk[EV_HMAC_LEN];

	(void)state;
	assert_ev_ok(ev_hkdf_sha256(ikm, ikmlen, salt, saltlen, NULL, 0, key, sizeof(key)));
	assert_vec_eq(key, sizeof(key), "gcm.aes_key_hex");
	/* The extract step alone is HMAC(salt, IKM). */
	assert_ev_ok(ev_hmac_sha256(salt, saltlen, ikm, ikmlen, prk));
	assert_vec_eq(prk, sizeof(prk), "gcm.prk_hex");
	free(ikm);
	free(salt);
}

static void
test_hkdf_rfc5869_no_salt(void **state)
{
	/* RFC 5869 A.3: no salt, no info, L = 42. */
	static const char okm_hex[] = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
	                              "4e5f3c738d2d9d201395faa4b61a96c8";
	uint8_t ikm[22], okm[42], want[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	assert_ev_ok(ev_hex_decode(okm_hex, strlen(okm_hex), want, sizeof(want)));
	assert_ev_ok(ev_hkdf_sha256(ikm, sizeof(ikm), NULL, 0, NULL, 0, okm, sizeof(okm)));
	assert_memory_equal(okm, want, sizeof(want));
}

static void
test_hkdf_bad_args(void **state)
{
	uint8_t out[32], big[255 * 32 + 1];

	(void)state;
	assert_ev_err(ev_hkdf_sha256((const uint8_t *)"k", 1, NULL, 0, NULL, 0, out, 0),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(ev_hkdf_sha256((const uint8_t *)"k", 1, NULL, 0, NULL, 0, big, sizeof(big)),
	              EV_ERR_INVALID_ARG);
	assert_ev_ok(ev_hkdf_sha256((const uint8_t *)"k", 1, NULL, 0, NULL, 0, big, 255 * 32));
	assert_ev_err(ev_hkdf_sha256(NULL, 1, NULL, 0, NULL, 0, out, sizeof(out)),
	              EV_ERR_INVALID_ARG);
	/* Empty IKM is legal in RFC 5869. */
	assert_ev_ok(ev_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, out, sizeof(out)));
}

struct gcm_vec {
	uint8_t *key, *iv, *ct, *tag;
	size_t keylen, ivlen, ctlen, taglen;
	const char *pt;
	uint8_t *ct_tag;
};

static void
gcm_load(struct gcm_vec *v)
{
	v->key = tv_hex("gcm.aes_key_hex", &v->keylen);
	v->iv = tv_hex("gcm.iv_hex", &v->ivlen);
	v->ct = tv_hex("gcm.ciphertext_hex", &v->ctlen);
	v->tag = tv_hex("gcm.tag_hex", &v->taglen);
	v->pt = tv_str("cmd1_json");
	assert_int_equal(v->keylen, EV_AES256_KEY_LEN);
	assert_int_equal(v->ivlen, EV_GCM_IV_LEN);
	assert_int_equal(v->taglen, EV_GCM_TAG_LEN);
	assert_int_equal(v->ctlen, strlen(v->pt));
	v->ct_tag = malloc(v->ctlen + v->taglen);
	assert_non_null(v->ct_tag);
	memcpy(v->ct_tag, v->ct, v->ctlen);
	memcpy(v->ct_tag + v->ctlen, v->tag, v->taglen);
}

static void
gcm_free(struct gcm_vec *v)
{
	free(v->key);
	free(v->iv);
	free(v->ct);
	free(v->tag);
	free(v->ct_tag);
}

static void
test_gcm_vector_open(void **state)
{
	struct gcm_vec v;
	uint8_t *pt;

	(void)state;
	gcm_load(&v);
	pt = malloc(v.ctlen);
	assert_non_null(pt);
	assert_ev_ok(
	        ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, v.ctlen + v.taglen, pt));
	assert_memory_equal(pt, v.pt, v.ctlen);
	free(pt);
	gcm_free(&v);
}

static void
test_gcm_vector_seal(void **state)
{
	struct gcm_vec v;
	uint8_t *out;

	(void)state;
	gcm_load(&v);
	out = malloc(v.ctlen + EV_GCM_TAG_LEN);
	assert_non_null(out);
	assert_ev_ok(ev_aes256gcm_seal(v.key, v.iv, v.ivlen, NULL, 0, (const uint8_t *)v.pt,
	                               strlen(v.pt), out));
	assert_memory_equal(out, v.ct_tag, v.ctlen + EV_GCM_TAG_LEN);
	free(out);
	gcm_free(&v);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void
test_gcm_tamper(void **state)
{
	struct gcm_vec v;
	size_t n;
	uint8_t *pt, iv2[EV_GCM_IV_LEN];

	(void)state;
	gcm_load(&v);
	n = v.ctlen + v.taglen;
	pt = malloc(v.ctlen);
	assert_non_null(pt);

	/* ciphertext bit: plaintext is wiped, not half-delivered */
	v.ct_tag[5] ^= 0x01;
	memset(pt, 0xaa, v.ctlen);
	assert_ev_err(ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, n, pt),
	              EV_ERR_ENV_DECRYPT);
	assert_true(all_zero(pt, v.ctlen));
	v.ct_tag[5] ^= 0x01;

	/* tag bit */
	v.ct_tag[n - 1] ^= 0x80;
	assert_ev_err(ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, n, pt),
	              EV_ERR_ENV_DECRYPT);
	v.ct_tag[n - 1] ^= 0x80;

	/* other IV, unexpected AAD, other key */
	memcpy(iv2, v.iv, sizeof(iv2));
	iv2[0] ^= 1;
	assert_ev_err(ev_aes256gcm_open(v.key, iv2, sizeof(iv2), NULL, 0, v.ct_tag, n, pt),
	              EV_ERR_ENV_DECRYPT);
	assert_ev_err(
	        ev_aes256gcm_open(v.key, v.iv, v.ivlen, (const uint8_t *)"x", 1, v.ct_tag, n, pt),
	        EV_ERR_ENV_DECRYPT);
	v.key[31] ^= 1;
	assert_ev_err(ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, n, pt),
	              EV_ERR_ENV_DECRYPT);
	v.key[31] ^= 1;

	/* truncated: a tag cut short, or nothing but part of a tag */
	assert_ev_err(ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, n - 1, pt),
	              EV_ERR_ENV_DECRYPT);
	assert_ev_err(ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, 15, pt),
	              EV_ERR_TRUNCATED);
	assert_ev_err(ev_aes256gcm_open(v.key, v.iv, 0, NULL, 0, v.ct_tag, n, pt),
	              EV_ERR_INVALID_ARG);
	/* and the intact input still opens */
	assert_ev_ok(ev_aes256gcm_open(v.key, v.iv, v.ivlen, NULL, 0, v.ct_tag, n, pt));
	free(pt);
	gcm_free(&v);
}

static void
test_gcm_iv_lengths_aad_inplace(void **state)
{
	static const size_t ivlens[] = {1, 8, 12, 16, 64};
	uint8_t key[EV_AES256_KEY_LEN], iv[64], buf[100 + EV_GCM_TAG_LEN], pt[100];
	size_t i;

	(void)state;
	assert_ev_ok(ev_random(key, sizeof(key)));
	assert_ev_ok(ev_random(iv, sizeof(iv)));
	assert_ev_ok(ev_random(pt, sizeof(pt)));
	for (i = 0; i < EV_ARRAY_LEN(ivlens); i++) {
		memcpy(buf, pt, sizeof(pt));
		/* in place, with AAD */
		assert_ev_ok(ev_aes256gcm_seal(key, iv, ivlens[i], (const uint8_t *)"hdr", 3, buf,
		                               sizeof(pt), buf));
		assert_ev_ok(ev_aes256gcm_open(key, iv, ivlens[i], (const uint8_t *)"hdr", 3, buf,
		                               sizeof(buf), buf));
		assert_memory_equal(buf, pt, sizeof(pt));
	}
	/* empty plaintext: only a tag */
	assert_ev_ok(ev_aes256gcm_seal(key, iv, 12, NULL, 0, NULL, 0, buf));
	assert_ev_ok(ev_aes256gcm_open(key, iv, 12, NULL, 0, buf, EV_GCM_TAG_LEN, NULL));
	buf[0] ^= 1;
	assert_ev_err(ev_aes256gcm_open(key, iv, 12, NULL, 0, buf, EV_GCM_TAG_LEN, NULL),
	              EV_ERR_ENV_DECRYPT);
	assert_ev_err(ev_aes256gcm_seal(key, iv, 0, NULL, 0, pt, sizeof(pt), buf),
	              EV_ERR_INVALID_ARG);
}

static void
cfb_check(const char *prefix)
{
	char path[64];
	size_t keylen, ivlen, ctlen;
	uint8_t *key, *iv, *ct, out[32];

	snprintf(path, sizeof(path), "%s.key_hex", prefix);
	key = tv_hex(path, &keylen);
	snprintf(path, sizeof(path), "%s.iv_hex", prefix);
	iv = tv_hex(path, &ivlen);
	snprintf(path, sizeof(path), "%s.ciphertext_hex", prefix);
	ct = tv_hex(path, &ctlen);
	assert_int_equal(keylen, EV_AES256_KEY_LEN);
	assert_int_equal(ivlen, EV_CFB_IV_LEN);
	assert_int_equal(ctlen, 10);
	assert_ev_ok(ev_aes256cfb_decrypt(key, iv, ct, ctlen, out));
	assert_memory_equal(out, "+++Done+++", 10);
	assert_ev_ok(ev_aes256cfb_encrypt(key, iv, (const uint8_t *)"+++Done+++", 10, out));
	assert_memory_equal(out, ct, ctlen);
	free(key);
	free(iv);
	free(ct);
}

static void
test_cfb_vectors(void **state)
{
	(void)state;
	cfb_check("cfb087");
	cfb_check("cfb086");
}

static void
test_cfb_multi_block_roundtrip(void **state)
{
	uint8_t key[32], iv[16], pt[77], ct[77], back[77];

	(void)state;
	assert_ev_ok(ev_random(key, sizeof(key)));
	assert_ev_ok(ev_random(iv, sizeof(iv)));
	assert_ev_ok(ev_random(pt, sizeof(pt)));
	assert_ev_ok(ev_aes256cfb_encrypt(key, iv, pt, sizeof(pt), ct));
	assert_memory_not_equal(ct, pt, sizeof(pt));
	assert_ev_ok(ev_aes256cfb_decrypt(key, iv, ct, sizeof(ct), back));
	assert_memory_equal(back, pt, sizeof(pt));
	assert_ev_ok(ev_aes256cfb_decrypt(key, iv, NULL, 0, NULL));
}

static void
test_random(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_ev_ok(ev_random(a, sizeof(a)));
	assert_ev_ok(ev_random(b, sizeof(b)));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_ev_ok(ev_random(NULL, 0));
	assert_ev_err(ev_random(NULL, 1), EV_ERR_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sha256),
	        cmocka_unit_test(test_md5_gives_cfb086_iv),
	        cmocka_unit_test(test_hmac_vectors),
	        cmocka_unit_test(test_hmac_empty_key),
	        cmocka_unit_test(test_hkdf_gcm_key),
	        cmocka_unit_test(test_hkdf_rfc5869_no_salt),
	        cmocka_unit_test(test_hkdf_bad_args),
	        cmocka_unit_test(test_gcm_vector_open),
	        cmocka_unit_test(test_gcm_vector_seal),
	        cmocka_unit_test(test_gcm_tamper),
	        cmocka_unit_test(test_gcm_iv_lengths_aad_inplace),
	        cmocka_unit_test(test_cfb_vectors),
	        cmocka_unit_test(test_cfb_multi_block_roundtrip),
	        cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
