/* test_authc.c - AuthContainer seal / parse / verify (lib/ev_authc.h). */
#include "ev_test.h"

#include <stdio.h>

#include "auth/auth.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "ev_authc.h"
#include "ev_buf.h"
#include "ev_crypto.h"
#include "ev_ctrlcerts.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_sig.h"
#include "tcerts.h"

static struct pki {
	struct tcert *root, *signing, *ecdh, *rsa_signing, *p384_signing, *ed25519, *device;
} P;

/* Trust objects made from P: ECDSA P-256, RSA, P-384 and Ed25519 signing certificates. */
static struct ev_ctrlcerts *T_ec, *T_rsa, *T_384, *T_ed;
/* SHA-256 of each signing PEM, the controller's senderCertHash */
static uint8_t H_ec[EV_SHA256_LEN];

static int
make_trust(const struct tcert *signing, struct ev_ctrlcerts **out)
{
	struct tentry e[] = {{TC_SIGNING, signing->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	uint8_t *buf;
	size_t len;
	int r;

	if ((buf = tcerts_pack(e, 2, &len)) == NULL)
		return -1;
	r = ev_ctrlcerts_verify(buf, len, P.root->pem, P.root->pemlen, TC_T0,
	                        EV_CTRLCERTS_REQUIRE_ECDH, out);
	free(buf);
	return r;
}

static int
setup(void **state)
{
	struct tcert_opts o;

	(void)state;
	P.root = tcert_ca("authc root", NULL);
	P.signing = tcert_leaf("controller signing", P.root);
	P.ecdh = tcert_leaf("controller ecdh", P.root);
	o = (struct tcert_opts){"rsa signing", EV_KEY_RSA, false, false, -TC_DAY, TC_YEAR, NULL};
	P.rsa_signing = tcert_make(&o, P.root);
	o = (struct tcert_opts){"p384 signing", EV_KEY_EC_P384, false, false,
	                        -TC_DAY,        TC_YEAR,        NULL};
	P.p384_signing = tcert_make(&o, P.root);
	o = (struct tcert_opts){"ed25519 signing", EV_KEY_ED25519, false, false,
	                        -TC_DAY,           TC_YEAR,        NULL};
	P.ed25519 = tcert_make(&o, P.root);
	o = (struct tcert_opts){"EVE",        EV_KEY_EC_P256,         true, false, -TC_DAY,
	                        20 * TC_YEAR, "clientAuth,serverAuth"};
	P.device = tcert_make(&o, NULL);
	for (size_t i = 0; i < sizeof(P) / sizeof(struct tcert *); i++)
		if (((struct tcert **)&P)[i] == NULL)
			return -1;
	if (make_trust(P.signing, &T_ec) != 0 || make_trust(P.rsa_signing, &T_rsa) != 0 ||
	    make_trust(P.p384_signing, &T_384) != 0 || make_trust(P.ed25519, &T_ed) != 0)
		return -1;
	return ev_sha256(P.signing->pem, P.signing->pemlen, H_ec) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(P) / sizeof(struct tcert *); i++)
		tcert_free(((struct tcert **)&P)[i]);
	ev_ctrlcerts_free(T_ec);
	ev_ctrlcerts_free(T_rsa);
	ev_ctrlcerts_free(T_384);
	ev_ctrlcerts_free(T_ed);
	return 0;
}

/* A signer as the controller would be: its key, the hash of its signing PEM. */
static struct ev_authc_signer
ctrl_signer(const struct tcert *c)
{
	struct ev_authc_signer s = {ev_authc_sign_privkey, c->key, {0}, NULL};

	assert_ev_ok(ev_sha256(c->pem, c->pemlen, s.cert_hash));
	return s;
}

/* Seal payload as the controller signing cert c and open it with trust t. */
static int
seal_open(const struct tcert *c, const struct ev_ctrlcerts *t, const char *payload)
{
	struct ev_authc_signer s = ctrl_signer(c);
	uint8_t *ac = NULL, *out = NULL;
	size_t aclen = 0, outlen = 0;
	int r;

	assert_ev_ok(ev_authc_seal(&s, (const uint8_t *)payload, strlen(payload), &ac, &aclen));
	r = ev_authc_open(ac, aclen, t, EV_MAX_AUTHC_PAYLOAD, &out, &outlen);
	if (r == 0) {
		assert_int_equal(outlen, strlen(payload));
		assert_memory_equal(out, payload, outlen);
	} else {
		assert_null(out);
		assert_int_equal(outlen, 0);
	}
	free(ac);
	free(out);
	return r;
}

/*
 * Hand-built containers, for every field combination the sealer never makes.
 * hash/sig NULL leave the field out.
 */
struct acspec {
	const uint8_t *payload;
	size_t payload_len;
	bool no_body;
	int algo;
	const uint8_t *hash;
	size_t hash_len;
	const uint8_t *sig;
	size_t sig_len;
	const char *sender_cert;
	bool cipher_ctx, cipher_data;
};

static uint8_t *
build(const struct acspec *a, size_t *len)
{
	Org__Lfedge__Eve__Auth__AuthContainer ac = ORG__LFEDGE__EVE__AUTH__AUTH_CONTAINER__INIT;
	Org__Lfedge__Eve__Auth__AuthBody body = ORG__LFEDGE__EVE__AUTH__AUTH_BODY__INIT;
	Org__Lfedge__Eve__Common__CipherContext cc = ORG__LFEDGE__EVE__COMMON__CIPHER_CONTEXT__INIT;
	Org__Lfedge__Eve__Common__CipherBlock cb = ORG__LFEDGE__EVE__COMMON__CIPHER_BLOCK__INIT;
	static char ctxid[] = "ctx";
	uint8_t *buf;

	body.payload.data = (uint8_t *)a->payload;
	body.payload.len = a->payload_len;
	if (!a->no_body)
		ac.protectedpayload = &body;
	ac.algo = a->algo;
	ac.sendercerthash.data = (uint8_t *)a->hash;
	ac.sendercerthash.len = a->hash_len;
	ac.signaturehash.data = (uint8_t *)a->sig;
	ac.signaturehash.len = a->sig_len;
	if (a->sender_cert != NULL) {
		ac.sendercert.data = (uint8_t *)a->sender_cert;
		ac.sendercert.len = strlen(a->sender_cert);
	}
	cc.contextid = ctxid;
	cb.ciphercontextid = ctxid;
	if (a->cipher_ctx)
		ac.ciphercontext = &cc;
	if (a->cipher_data)
		ac.cipherdata = &cb;
	*len = org__lfedge__eve__auth__auth_container__get_packed_size(&ac);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	org__lfedge__eve__auth__auth_container__pack(&ac, buf);
	return buf;
}

static int
open_spec(const struct acspec *a, const struct ev_ctrlcerts *t)
{
	uint8_t *ac, *out = NULL;
	size_t len, outlen = 0;
	int r;

	ac = build(a, &len);
	r = ev_authc_open(ac, len, t, EV_MAX_AUTHC_PAYLOAD, &out, &outlen);
	if (r != 0)
		assert_null(out);
	free(ac);
	free(out);
	return r;
}

/* A valid P-256 signature over msg by the controller signing key. */
static void
sign_ec(const char *msg, uint8_t sig[64])
{
	uint8_t d[EV_SHA256_LEN];
	size_t n = 0;

	assert_ev_ok(ev_sha256(msg, strlen(msg), d));
	assert_ev_ok(ev_authc_sign_privkey(P.signing->key, d, sig, 64, &n));
	assert_int_equal(n, 64);
}

/* ---- round trips ---- */

static void
test_roundtrip(void **state)
{
	(void)state;
	assert_ev_ok(seal_open(P.signing, T_ec, "config response bytes"));
	assert_ev_ok(seal_open(P.signing, T_ec, "")); /* UuidRequest is empty */
	assert_ev_ok(seal_open(P.rsa_signing, T_rsa, "RSA: Adam's auto-certs"));
	assert_ev_ok(seal_open(P.p384_signing, T_384, "P-384"));
	/* a container signed by another controller key */
	assert_ev_err(seal_open(P.signing, T_rsa, "x"), EV_ERR_AC_CERT_MISS);
}

static void
test_open_empty_payload(void **state)
{
	struct ev_authc_signer s = ctrl_signer(P.signing);
	uint8_t *ac = NULL, *out = NULL;
	size_t aclen = 0, outlen = 7;

	(void)state;
	assert_ev_ok(ev_authc_seal(&s, NULL, 0, &ac, &aclen));
	assert_ev_ok(ev_authc_open(ac, aclen, T_ec, 0, &out, &outlen));
	assert_non_null(out);
	assert_int_equal(outlen, 0);
	free(out);
	free(ac);
}

static void
test_short_hash(void **state)
{
	const char *msg = "sixteen-byte sender hash";
	uint8_t sig[64];
	struct acspec a = {
	        (const uint8_t *)msg, strlen(msg), false, 1, H_ec, 16, sig, 64, NULL, false, false};

	(void)state;
	sign_ec(msg, sig);
	assert_ev_ok(open_spec(&a, T_ec));
	a.algo = 2;
	a.hash_len = 32;
	assert_ev_ok(open_spec(&a, T_ec));
}

/* Adam's and the Python encoder's bytes (tests/data/authc). */
static void
test_fixture(void **state)
{
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	struct ev_ctrlcerts *t = NULL;
	char *certs, *roots, *ac, *ac16, *certs_ac;
	size_t certslen, rootslen, aclen, ac16len, certs_aclen, outlen = 0;
	uint8_t *out = NULL;

	(void)state;
	certs = tv_read_data_file("authc/certs.pb", &certslen);
	roots = tv_read_data_file("authc/roots.pem", &rootslen);
	ac = tv_read_data_file("authc/config_ac.pb", &aclen);
	ac16 = tv_read_data_file("authc/config_ac16.pb", &ac16len);
	certs_ac = tv_read_data_file("authc/certs_ac.pb", &certs_aclen);
	assert_ev_ok(ev_ctrlcerts_verify((const uint8_t *)certs, certslen, roots, rootslen, TC_T0,
	                                 EV_CTRLCERTS_REQUIRE_ECDH, &t));
	/* GET /certs: unwrapped without verification, then checkable with its own content */
	assert_ev_ok(ev_authc_open((const uint8_t *)certs_ac, certs_aclen, NULL, EV_MAX_CTRLCERTS,
	                           &out, &outlen));
	assert_int_equal(outlen, certslen);
	assert_memory_equal(out, certs, certslen);
	free(out);
	assert_ev_ok(ev_authc_open((const uint8_t *)certs_ac, certs_aclen, t, EV_MAX_CTRLCERTS,
	                           &out, &outlen));
	free(out);
	assert_ev_ok(ev_authc_open((const uint8_t *)ac16, ac16len, t, EV_MAX_AUTHC_PAYLOAD, &out,
	                           &outlen));
	free(out);
	assert_ev_ok(
	        ev_authc_open((const uint8_t *)ac, aclen, t, EV_MAX_AUTHC_PAYLOAD, &out, &outlen));
	cr = org__lfedge__eve__config__config_response__unpack(NULL, outlen, out);
	assert_non_null(cr);
	assert_string_equal(cr->confighash, "fixture-hash-1");
	assert_non_null(cr->config);
	assert_string_equal(cr->config->id->uuid, "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01");
	assert_int_equal(cr->config->controller_epoch, 3);
	assert_non_null(cr->config->edgeview);
	assert_true(cr->config->edgeview->dev_policy->allow_dev);
	assert_int_equal(cr->config->edgeview->generation_id, 2);
	assert_int_equal(cr->config->n_configitems, 1);
	assert_string_equal(cr->config->configitems[0]->key, "timer.config.interval");
	assert_int_equal(cr->config->config_timestamp->seconds, 1767225600);
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	free(out);
	/* one flipped payload byte */
	ac[10] ^= 1;
	assert_ev_err(
	        ev_authc_open((const uint8_t *)ac, aclen, t, EV_MAX_AUTHC_PAYLOAD, &out, &outlen),
	        EV_ERR_SIG_INVALID);
	ev_ctrlcerts_free(t);
	free(certs);
	free(roots);
	free(ac);
	free(ac16);
	free(certs_ac);
}

/* ---- what the device sends ---- */

/* Sign with fixed bytes, so the container's bytes are predictable. */
static int
fixed_sign(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t *sig, size_t cap, size_t *siglen)
{
	(void)digest;
	(void)arg;
	assert_true(cap >= 64);
	memset(sig, 0x5a, 64);
	*siglen = 64;
	return 0;
}

static void
test_wire_format(void **state)
{
	/* field 1 {field 1 payload}, 2 = 2, 3 = hash, 4 = sig, 5 = base64(PEM): protobuf
	 * writes fields in number order, as Go does. */
	struct ev_authc_signer s = {fixed_sign, NULL, {0}, "-----BEGIN CERTIFICATE-----\nQQ==\n"};
	static const char b64[] = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClFRPT0K";
	uint8_t want[256], *ac = NULL;
	size_t n = 0, aclen = 0;

	(void)state;
	memset(s.cert_hash, 0xc3, sizeof(s.cert_hash));
	want[n++] = 0x0a, want[n++] = 5, want[n++] = 0x0a, want[n++] = 3;
	memcpy(want + n, "abc", 3), n += 3;
	want[n++] = 0x10, want[n++] = 2;
	want[n++] = 0x1a, want[n++] = 32;
	memset(want + n, 0xc3, 32), n += 32;
	want[n++] = 0x22, want[n++] = 64;
	memset(want + n, 0x5a, 64), n += 64;
	want[n++] = 0x2a, want[n++] = (uint8_t)strlen(b64);
	memcpy(want + n, b64, strlen(b64)), n += strlen(b64);
	assert_ev_ok(ev_authc_seal(&s, (const uint8_t *)"abc", 3, &ac, &aclen));
	assert_int_equal(aclen, n);
	assert_memory_equal(ac, want, n);
	free(ac);
	/* empty payload: protectedPayload is still there, as Go sends it */
	s.sender_cert_pem = NULL;
	assert_ev_ok(ev_authc_seal(&s, NULL, 0, &ac, &aclen));
	assert_true(aclen > 2 && ac[0] == 0x0a && ac[1] == 0);
	free(ac);
}

static void
test_device_container(void **state)
{
	/* Device -> controller: hash of the device cert DER, verified the way Adam does. */
	struct ev_authc_signer s = {ev_authc_sign_privkey, P.device->key, {0}, NULL};
	struct ev_pubkey *pub = NULL;
	struct ev_authc *a = NULL;
	unsigned char *der = NULL;
	uint8_t *ac = NULL;
	size_t aclen = 0;
	char *pem = NULL;
	size_t pemlen = 0;
	int derlen;

	(void)state;
	derlen = i2d_X509(P.device->x, &der);
	assert_true(derlen > 0);
	assert_ev_ok(ev_sha256(der, (size_t)derlen, s.cert_hash));
	OPENSSL_free(der);
	assert_ev_ok(ev_privkey_public(P.device->key, &pub));
	assert_ev_ok(ev_authc_seal(&s, (const uint8_t *)"info", 4, &ac, &aclen));
	assert_ev_ok(ev_authc_parse(ac, aclen, EV_MAX_AUTHC_PAYLOAD, &a));
	assert_int_equal(a->algo, 2);
	assert_int_equal(a->sender_hash_len, 32);
	assert_int_equal(a->sig_len, 64);
	assert_int_equal(a->sender_cert_len, 0);
	assert_ev_ok(ev_authc_verify_key(a, pub, s.cert_hash));
	assert_ev_err(ev_authc_sender_cert_pem(a, &pem, &pemlen), EV_ERR_NOT_FOUND);
	ev_authc_free(a);
	free(ac);
	/* register: the onboarding cert's PEM travels as base64(PEM) */
	s.sender_cert_pem = P.device->pem;
	assert_ev_ok(ev_authc_seal(&s, (const uint8_t *)"reg", 3, &ac, &aclen));
	assert_ev_ok(ev_authc_parse(ac, aclen, EV_MAX_AUTHC_PAYLOAD, &a));
	assert_int_equal(a->sender_cert_len, ev_b64_encoded_len(EV_B64_STD, P.device->pemlen));
	assert_ev_ok(ev_authc_sender_cert_pem(a, &pem, &pemlen));
	assert_int_equal(pemlen, P.device->pemlen);
	assert_string_equal(pem, P.device->pem);
	assert_ev_ok(ev_authc_verify_key(a, pub, s.cert_hash));
	free(pem);
	ev_authc_free(a);
	free(ac);
	ev_pubkey_free(pub);
}

static void
test_sender_cert_refusals(void **state)
{
	struct acspec a = {
	        (const uint8_t *)"p", 1, false, 2, H_ec, 32, NULL, 0, NULL, false, false};
	struct ev_authc *x = NULL;
	uint8_t *ac;
	size_t len, pemlen;
	char *pem = NULL;
	static const char *bad[] = {
	        "not base64!",
	        "aGVsbG8gd29ybGQ=",                         /* "hello world" */
	        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg",   /* padding missing */
	        "AC0tLS0tQkVHSU4gQ0VSVElGSUNBVEUtLS0tLQo=", /* NUL first */
	        "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0K",     /* PUBLIC KEY */
	};
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(bad); i++) {
		a.sender_cert = bad[i];
		ac = build(&a, &len);
		assert_ev_ok(ev_authc_parse(ac, len, EV_MAX_AUTHC_PAYLOAD, &x));
		assert_ev_err(ev_authc_sender_cert_pem(x, &pem, &pemlen), EV_ERR_AC_SENDER_CERT);
		assert_null(pem);
		ev_authc_free(x);
		free(ac);
	}
}

/* ---- refusals, each with its code ---- */

static void
test_not_a_container(void **state)
{
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
	static const uint8_t wiretype[] = {0x08, 0x01}; /* field 1 as a varint */
	static const uint8_t truncated[] = {0x0a, 0x05, 0x0a};
	uint8_t *out = NULL;
	size_t outlen = 0;

	(void)state;
	assert_ev_err(
	        ev_authc_open(garbage, sizeof(garbage), T_ec, EV_MAX_AUTHC_PAYLOAD, &out, &outlen),
	        EV_ERR_AC_PARSE);
	assert_ev_err(ev_authc_open(wiretype, sizeof(wiretype), NULL, EV_MAX_AUTHC_PAYLOAD, &out,
	                            &outlen),
	              EV_ERR_AC_PARSE);
	assert_ev_err(ev_authc_open(truncated, sizeof(truncated), NULL, EV_MAX_AUTHC_PAYLOAD, &out,
	                            &outlen),
	              EV_ERR_AC_PARSE);
	/* zero bytes parse as an empty message: no protectedPayload */
	assert_ev_err(ev_authc_open(NULL, 0, NULL, EV_MAX_AUTHC_PAYLOAD, &out, &outlen),
	              EV_ERR_AC_NO_PAYLOAD);
	/* a plain-text error body, as Adam's http.Error writes */
	assert_ev_err(ev_authc_open((const uint8_t *)"404 page not found\n", 19, NULL,
	                            EV_MAX_AUTHC_PAYLOAD, &out, &outlen),
	              EV_ERR_AC_PARSE);
	assert_null(out);
	assert_int_equal(outlen, 0);
}

static void
test_structure_refusals(void **state)
{
	uint8_t sig[64];
	struct acspec a = {
	        (const uint8_t *)"m", 1, false, 2, H_ec, 32, sig, 64, NULL, false, false};

	(void)state;
	sign_ec("m", sig);
	assert_ev_ok(open_spec(&a, T_ec));
	a.no_body = true;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_NO_PAYLOAD);
	assert_ev_err(open_spec(&a, NULL), EV_ERR_AC_NO_PAYLOAD);
	a.no_body = false;
	a.cipher_data = true;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_ENCRYPTED);
	assert_ev_err(open_spec(&a, NULL), EV_ERR_AC_ENCRYPTED);
	a.cipher_data = false;
	a.cipher_ctx = true;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_ENCRYPTED);
	a.no_body = true;
	a.cipher_data = true; /* the real shape of an encrypted container */
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_ENCRYPTED);
}

static void
test_hash_refusals(void **state)
{
	uint8_t sig[64], other[EV_SHA256_LEN];
	struct acspec a = {
	        (const uint8_t *)"m", 1, false, 2, H_ec, 32, sig, 64, NULL, false, false};
	static const size_t bad_len[] = {0, 1, 15, 17, 31, 33, 64};
	static const int bad_algo[] = {0, 3, 7, -1};
	size_t i;

	(void)state;
	sign_ec("m", sig);
	memcpy(other, H_ec, sizeof(other));
	other[31] ^= 1;
	for (i = 0; i < EV_ARRAY_LEN(bad_len); i++) {
		uint8_t h[64] = {0};

		memcpy(h, H_ec, sizeof(H_ec));
		a.hash = h;
		a.hash_len = bad_len[i];
		assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_HASH_SIZE);
		/* without verification (GET /certs) nothing is judged */
		assert_ev_ok(open_spec(&a, NULL));
	}
	a.hash = H_ec;
	a.hash_len = 32;
	for (i = 0; i < EV_ARRAY_LEN(bad_algo); i++) {
		a.algo = bad_algo[i];
		assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_ALGO);
	}
	a.algo = 1; /* 32 bytes claimed as the 16-byte form */
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_HASH_ALGO);
	a.algo = 2;
	a.hash_len = 16;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_HASH_ALGO);
	a.hash = other;
	a.hash_len = 32;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_CERT_MISS);
	other[0] ^= 1;
	a.algo = 1;
	a.hash_len = 16;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_CERT_MISS);
	/* the DER hash (what devices send) is not the controller's PEM hash */
	{
		unsigned char *der = NULL;
		int n = i2d_X509(P.signing->x, &der);
		uint8_t dh[EV_SHA256_LEN];

		assert_true(n > 0);
		assert_ev_ok(ev_sha256(der, (size_t)n, dh));
		OPENSSL_free(der);
		a.hash = dh;
		a.hash_len = 32;
		a.algo = 2;
		assert_ev_err(open_spec(&a, T_ec), EV_ERR_AC_CERT_MISS);
	}
}

static void
test_signature_refusals(void **state)
{
	uint8_t sig[EV_MAX_SIGNATURE + 8];
	struct acspec a = {
	        (const uint8_t *)"m", 1, false, 2, H_ec, 32, sig, 64, NULL, false, false};
	uint8_t rsahash[EV_SHA256_LEN], edhash[EV_SHA256_LEN];

	(void)state;
	sign_ec("m", sig);
	memset(sig + 64, 0, 8);
	assert_ev_ok(open_spec(&a, T_ec));
	a.sig_len = 0;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_MISSING);
	a.sig_len = 63; /* EVE would slice blindly here */
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_LEN);
	a.sig_len = 65;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_LEN);
	a.sig_len = 32;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_LEN);
	a.sig_len = 72; /* DER-sized: Adam accepts DER, EVE does not */
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_LEN);
	a.sig_len = EV_MAX_SIGNATURE + 8;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_LEN);
	a.sig_len = 64;
	sig[5] ^= 0x10;
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_INVALID);
	sig[5] ^= 0x10;
	a.payload = (const uint8_t *)"n";
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_INVALID);
	a.payload = (const uint8_t *)"m";
	memset(sig, 0, 64); /* r = s = 0 */
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_INVALID);
	memset(sig, 0xff, 64); /* r, s >= n */
	assert_ev_err(open_spec(&a, T_ec), EV_ERR_SIG_INVALID);
	/* RSA: wrong size, then a bad signature of the right size */
	assert_ev_ok(ev_sha256(P.rsa_signing->pem, P.rsa_signing->pemlen, rsahash));
	a.hash = rsahash;
	a.sig_len = 64;
	assert_ev_err(open_spec(&a, T_rsa), EV_ERR_SIG_LEN);
	memset(sig, 0x11, 256);
	a.sig_len = 256;
	assert_ev_err(open_spec(&a, T_rsa), EV_ERR_SIG_INVALID);
	/* Ed25519 signing cert: EVE cannot verify with it, neither do we */
	assert_ev_ok(ev_sha256(P.ed25519->pem, P.ed25519->pemlen, edhash));
	a.hash = edhash;
	a.sig_len = 64;
	assert_ev_err(open_spec(&a, T_ed), EV_ERR_KEY_TYPE);
}

static void
test_leading_zero_r(void **state)
{
	/* r and s keep their leading zero bytes (fixed width): seal until one starts with 0. */
	struct ev_authc_signer s = ctrl_signer(P.signing);
	struct ev_authc *a = NULL;
	uint8_t *ac = NULL;
	size_t aclen = 0;
	char msg[32];
	int i, found = 0;

	(void)state;
	for (i = 0; i < 4000 && !found; i++) {
		snprintf(msg, sizeof(msg), "payload %d", i);
		assert_ev_ok(ev_authc_seal(&s, (const uint8_t *)msg, strlen(msg), &ac, &aclen));
		assert_ev_ok(ev_authc_parse(ac, aclen, EV_MAX_AUTHC_PAYLOAD, &a));
		assert_int_equal(a->sig_len, 64);
		found = a->sig[0] == 0 || a->sig[32] == 0;
		assert_ev_ok(ev_authc_verify(a, T_ec));
		ev_authc_free(a);
		free(ac);
	}
	assert_true(found);
}

static void
test_caps(void **state)
{
	struct ev_authc_signer s = ctrl_signer(P.signing);
	uint8_t *big, *ac = NULL, *out = NULL;
	size_t aclen = 0, outlen = 0;
	struct ev_authc *a = NULL;

	(void)state;
	big = calloc(1, EV_MAX_AUTHC + 1);
	assert_non_null(big);
	assert_ev_err(ev_authc_seal(&s, big, EV_MAX_AUTHC_PAYLOAD + 1, &ac, &aclen),
	              EV_ERR_TOO_BIG);
	assert_null(ac);
	assert_ev_err(ev_authc_parse(big, EV_MAX_AUTHC + 1, EV_MAX_AUTHC_PAYLOAD, &a),
	              EV_ERR_TOO_BIG);
	assert_ev_ok(ev_authc_seal(&s, big, 4096, &ac, &aclen));
	assert_ev_err(ev_authc_open(ac, aclen, T_ec, 4095, &out, &outlen), EV_ERR_TOO_BIG);
	assert_ev_ok(ev_authc_open(ac, aclen, T_ec, 4096, &out, &outlen));
	assert_int_equal(outlen, 4096);
	free(out);
	assert_ev_err(ev_authc_open(ac, aclen, T_ec, EV_MAX_AUTHC_PAYLOAD + 1, &out, &outlen),
	              EV_ERR_INVALID_ARG);
	free(ac);
	/* the largest payload round-trips */
	assert_ev_ok(ev_authc_seal(&s, big, EV_MAX_AUTHC_PAYLOAD, &ac, &aclen));
	assert_true(aclen <= EV_MAX_AUTHC);
	assert_ev_ok(ev_authc_open(ac, aclen, T_ec, EV_MAX_AUTHC_PAYLOAD, &out, &outlen));
	free(out);
	free(ac);
	free(big);
}

static int
failing_sign(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t *sig, size_t cap,
             size_t *siglen)
{
	(void)digest, (void)sig, (void)cap;
	*siglen = 0;
	return arg == NULL ? EV_ERR_CRYPTO : 0; /* with an arg: "success" and no signature */
}

static int
huge_sign(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t *sig, size_t cap, size_t *siglen)
{
	(void)arg, (void)digest, (void)sig;
	*siglen = cap + 1;
	return 0;
}

static void
test_signer_errors(void **state)
{
	struct ev_authc_signer s = {failing_sign, NULL, {0}, NULL};
	uint8_t *ac = NULL, d[EV_SHA256_LEN] = {0}, sig[EV_MAX_SIGNATURE];
	size_t aclen = 0, n;
	char *bigpem;
	int x = 1;

	(void)state;
	assert_ev_err(ev_authc_seal(&s, (const uint8_t *)"x", 1, &ac, &aclen), EV_ERR_CRYPTO);
	s.arg = &x;
	assert_ev_err(ev_authc_seal(&s, (const uint8_t *)"x", 1, &ac, &aclen), EV_ERR_SIG_LEN);
	s.sign = huge_sign;
	assert_ev_err(ev_authc_seal(&s, (const uint8_t *)"x", 1, &ac, &aclen), EV_ERR_SIG_LEN);
	s.sign = fixed_sign;
	bigpem = malloc(EV_MAX_AUTHC_SENDER_CERT);
	assert_non_null(bigpem);
	memset(bigpem, 'A', EV_MAX_AUTHC_SENDER_CERT - 1);
	bigpem[EV_MAX_AUTHC_SENDER_CERT - 1] = '\0';
	s.sender_cert_pem = bigpem;
	assert_ev_err(ev_authc_seal(&s, (const uint8_t *)"x", 1, &ac, &aclen), EV_ERR_TOO_BIG);
	free(bigpem);
	assert_null(ac);
	assert_int_equal(aclen, 0);
	s.sender_cert_pem = NULL;
	s.sign = NULL;
	assert_ev_err(ev_authc_seal(&s, (const uint8_t *)"x", 1, &ac, &aclen), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_authc_seal(NULL, (const uint8_t *)"x", 1, &ac, &aclen),
	              EV_ERR_INVALID_ARG);
	/* the software signer */
	assert_ev_err(ev_authc_sign_privkey(P.ed25519->key, d, sig, sizeof(sig), &n),
	              EV_ERR_KEY_TYPE);
	assert_ev_err(ev_authc_sign_privkey(P.signing->key, d, sig, 63, &n), EV_ERR_BUF_FULL);
	assert_ev_ok(ev_authc_sign_privkey(P.p384_signing->key, d, sig, sizeof(sig), &n));
	assert_int_equal(n, 96);
	assert_ev_ok(ev_authc_sign_privkey(P.rsa_signing->key, d, sig, sizeof(sig), &n));
	assert_int_equal(n, 256);
	assert_ev_err(ev_authc_sign_privkey(NULL, d, sig, sizeof(sig), &n), EV_ERR_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_open_empty_payload),
	        cmocka_unit_test(test_short_hash),
	        cmocka_unit_test(test_fixture),
	        cmocka_unit_test(test_wire_format),
	        cmocka_unit_test(test_device_container),
	        cmocka_unit_test(test_sender_cert_refusals),
	        cmocka_unit_test(test_not_a_container),
	        cmocka_unit_test(test_structure_refusals),
	        cmocka_unit_test(test_hash_refusals),
	        cmocka_unit_test(test_signature_refusals),
	        cmocka_unit_test(test_leading_zero_r),
	        cmocka_unit_test(test_caps),
	        cmocka_unit_test(test_signer_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
