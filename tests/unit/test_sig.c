/* test_sig.c - key loading and raw ECDSA / RSA / Ed25519 signatures. */
#include "ev_test.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_sig.h"
#include "ev_sshwire.h"

/* Order n of P-256 (FIPS 186-4 D.1.2.3). */
static const char p256_order_hex[] =
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

static struct ev_pubkey *
pub_from_vec(const char *path)
{
	const char *pem = tv_str(path);
	struct ev_pubkey *k = NULL;

	assert_ev_ok(ev_pubkey_from_pem(pem, strlen(pem), &k));
	assert_non_null(k);
	return k;
}

static struct ev_privkey *
priv_from_vec(const char *path)
{
	const char *pem = tv_str(path);
	struct ev_privkey *k = NULL;

	assert_ev_ok(ev_privkey_from_pem(pem, strlen(pem), NULL, &k));
	assert_non_null(k);
	return k;
}

/* Base64 vector into buf; returns its length. */
static size_t
b64_vec(const char *path, uint8_t *buf, size_t cap)
{
	const char *s = tv_str(path);
	size_t n = 0;

	assert_true(cap >= ev_b64_decoded_max(strlen(s)));
	assert_ev_ok(ev_b64_decode(EV_B64_STD, s, strlen(s), buf, cap, &n));
	return n;
}

static const uint8_t *
cmd2(size_t *len)
{
	const char *s = tv_str("cmd2_json");

	*len = strlen(s);
	return (const uint8_t *)s;
}

static void
test_pubkey_kinds(void **state)
{
	struct ev_pubkey *ec = pub_from_vec("ec_public_pem");
	struct ev_pubkey *cert = pub_from_vec("ec_cert_pem");
	struct ev_pubkey *rsa = pub_from_vec("rsa_public_pem");

	(void)state;
	assert_int_equal(ev_pubkey_kind(ec), EV_KEY_EC_P256);
	assert_int_equal(ev_pubkey_sig_len(ec), 64);
	assert_string_equal(ev_pubkey_name(ec), "ECDSA P-256");
	assert_int_equal(ev_pubkey_kind(cert), EV_KEY_EC_P256);
	assert_int_equal(ev_pubkey_kind(rsa), EV_KEY_RSA);
	assert_int_equal(ev_pubkey_sig_len(rsa), 256);
	assert_string_equal(ev_pubkey_name(rsa), "RSA 2048");
	assert_non_null(ev_pubkey_evp(rsa));
	assert_string_equal(ev_key_kind_name(EV_KEY_ED25519), "Ed25519");
	assert_string_equal(ev_key_kind_name(EV_KEY_EC_P521), "ECDSA P-521");
	ev_pubkey_free(ec);
	ev_pubkey_free(cert);
	ev_pubkey_free(rsa);
}

static void
test_ecdsa_vector_verifies(void **state)
{
	struct ev_pubkey *ec = pub_from_vec("ec_public_pem");
	struct ev_pubkey *cert = pub_from_vec("ec_cert_pem");
	uint8_t sig[128];
	size_t siglen = b64_vec("ecdsa_sig.sig_b64", sig, sizeof(sig)), mlen;
	const uint8_t *m = cmd2(&mlen);

	(void)state;
	assert_int_equal(siglen, 64);
	assert_int_equal(sig[0], 0); /* r has a leading zero byte */
	assert_ev_ok(ev_sig_verify(ec, m, mlen, sig, siglen));
	assert_ev_ok(ev_sig_verify(cert, m, mlen, sig, siglen));
	ev_pubkey_free(ec);
	ev_pubkey_free(cert);
}

static void
test_ecdsa_malformed(void **state)
{
	struct ev_pubkey *ec = pub_from_vec("ec_public_pem");
	uint8_t sig[128], bad[128], msg[512];
	size_t siglen = b64_vec("ecdsa_sig.sig_b64", sig, sizeof(sig)), mlen;
	const uint8_t *m = cmd2(&mlen);

	(void)state;
	/* lengths: the 63-byte form (leading zero dropped), 65, empty */
	assert_ev_err(ev_sig_verify(ec, m, mlen, sig + 1, 63), EV_ERR_SIG_LEN);
	memcpy(bad, sig, 64);
	bad[64] = 0;
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, 65), EV_ERR_SIG_LEN);
	assert_ev_err(ev_sig_verify(ec, m, mlen, sig, 0), EV_ERR_SIG_LEN);
	assert_ev_err(ev_sig_verify(ec, m, mlen, NULL, 0), EV_ERR_SIG_LEN);
	/* one bit of the signature, one bit of the message */
	memcpy(bad, sig, siglen);
	bad[40] ^= 0x04;
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	assert_true(mlen <= sizeof(msg));
	memcpy(msg, m, mlen);
	msg[mlen / 2] ^= 0x01;
	assert_ev_err(ev_sig_verify(ec, msg, mlen, sig, siglen), EV_ERR_SIG_INVALID);
	/* the signature over other bytes */
	assert_ev_err(ev_sig_verify(ec, (const uint8_t *)"+++Done+++", 10, sig, siglen),
	              EV_ERR_SIG_INVALID);
	assert_ev_err(ev_sig_verify(ec, NULL, 0, sig, siglen), EV_ERR_SIG_INVALID);
	/* r and s swapped */
	memcpy(bad, sig + 32, 32);
	memcpy(bad + 32, sig, 32);
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	/* r = 0, s = 0 */
	memcpy(bad, sig, siglen);
	memset(bad, 0, 32);
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	memcpy(bad, sig, siglen);
	memset(bad + 32, 0, 32);
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	/* s = n and r = 2^256 - 1: out of range */
	memcpy(bad, sig, siglen);
	assert_ev_ok(ev_hex_decode(p256_order_hex, 64, bad + 32, 32));
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	memcpy(bad, sig, siglen);
	memset(bad, 0xff, 32);
	assert_ev_err(ev_sig_verify(ec, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	/* (r, n - s) is valid ECDSA too: like EVE we do not insist on low S
	 * (edgeview-protocol.md section 13 #8), so this one verifies. */
	{
		BIGNUM *n = NULL, *bs = BN_bin2bn(sig + 32, 32, NULL);

		assert_non_null(bs);
		assert_true(BN_hex2bn(&n, p256_order_hex) > 0);
		assert_int_equal(BN_sub(bs, n, bs), 1);
		memcpy(bad, sig, siglen);
		assert_int_equal(BN_bn2binpad(bs, bad + 32, 32), 32);
		assert_ev_ok(ev_sig_verify(ec, m, mlen, bad, siglen));
		BN_free(n);
		BN_free(bs);
	}
	ev_pubkey_free(ec);
}

static void
test_rsa_vector_and_deterministic_sign(void **state)
{
	struct ev_pubkey *pub = pub_from_vec("rsa_public_pem");
	struct ev_privkey *priv = priv_from_vec("rsa_private_pem_pkcs1");
	uint8_t sig[512], mine[EV_MAX_SIGNATURE], bad[512];
	size_t siglen = b64_vec("rsa_sig.sig_b64", sig, sizeof(sig)), minelen = 0, mlen;
	const uint8_t *m = cmd2(&mlen);

	(void)state;
	assert_int_equal(siglen, 256);
	assert_int_equal(ev_privkey_kind(priv), EV_KEY_RSA);
	assert_ev_ok(ev_sig_verify(pub, m, mlen, sig, siglen));
	/* PKCS#1 v1.5 is deterministic: byte for byte the vector */
	assert_ev_ok(ev_sig_sign(priv, m, mlen, mine, sizeof(mine), &minelen));
	assert_int_equal(minelen, siglen);
	assert_memory_equal(mine, sig, siglen);
	/* malformed */
	assert_ev_err(ev_sig_verify(pub, m, mlen, sig, siglen - 1), EV_ERR_SIG_LEN);
	memcpy(bad, sig, siglen);
	bad[siglen] = 0;
	assert_ev_err(ev_sig_verify(pub, m, mlen, bad, siglen + 1), EV_ERR_SIG_LEN);
	bad[200] ^= 0x10;
	assert_ev_err(ev_sig_verify(pub, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	assert_ev_err(ev_sig_verify(pub, (const uint8_t *)"x", 1, sig, siglen), EV_ERR_SIG_INVALID);
	/* all-ones is larger than the modulus */
	memset(bad, 0xff, siglen);
	assert_ev_err(ev_sig_verify(pub, m, mlen, bad, siglen), EV_ERR_SIG_INVALID);
	/* capacity too small */
	assert_ev_err(ev_sig_sign(priv, m, mlen, mine, 255, &minelen), EV_ERR_BUF_FULL);
	assert_int_equal(minelen, 0);
	ev_pubkey_free(pub);
	ev_privkey_free(priv);
}

static void
test_cross_kind_rejections(void **state)
{
	struct ev_pubkey *rsa = pub_from_vec("rsa_public_pem");
	struct ev_privkey *p384 = NULL;
	struct ev_pubkey *p384pub = NULL;
	uint8_t ecsig[128], rsasig[512];
	size_t eclen = b64_vec("ecdsa_sig.sig_b64", ecsig, sizeof(ecsig)), mlen;
	size_t rsalen = b64_vec("rsa_sig.sig_b64", rsasig, sizeof(rsasig));
	const uint8_t *m = cmd2(&mlen);
	struct ev_pubkey *ec = pub_from_vec("ec_public_pem");

	(void)state;
	/* RSA key with an ECDSA signature, ECDSA key with an RSA one */
	assert_ev_err(ev_sig_verify(rsa, m, mlen, ecsig, eclen), EV_ERR_SIG_LEN);
	assert_ev_err(ev_sig_verify(ec, m, mlen, rsasig, rsalen), EV_ERR_SIG_LEN);
	/* P-256 signature against a P-384 key */
	assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P384, &p384));
	assert_ev_ok(ev_privkey_public(p384, &p384pub));
	assert_ev_err(ev_sig_verify(p384pub, m, mlen, ecsig, eclen), EV_ERR_SIG_LEN);
	ev_pubkey_free(rsa);
	ev_pubkey_free(ec);
	ev_pubkey_free(p384pub);
	ev_privkey_free(p384);
}

static void
roundtrip(enum ev_key_kind kind, size_t want_len)
{
	struct ev_privkey *k = NULL, *other = NULL, *back = NULL;
	struct ev_pubkey *pub = NULL, *otherpub = NULL, *pub2 = NULL;
	uint8_t sig[EV_MAX_SIGNATURE];
	size_t siglen = 0;
	char *pem = NULL, *pubpem = NULL;
	static const uint8_t msg[] = "edge-view round trip";

	assert_ev_ok(ev_privkey_generate(kind, &k));
	assert_int_equal(ev_privkey_kind(k), kind);
	assert_ev_ok(ev_privkey_public(k, &pub));
	assert_int_equal(ev_pubkey_kind(pub), kind);
	assert_int_equal(ev_pubkey_sig_len(pub), want_len);
	assert_ev_ok(ev_sig_sign(k, msg, sizeof(msg), sig, sizeof(sig), &siglen));
	assert_int_equal(siglen, want_len);
	assert_ev_ok(ev_sig_verify(pub, msg, sizeof(msg), sig, siglen));
	assert_ev_err(ev_sig_verify(pub, msg, sizeof(msg) - 1, sig, siglen), EV_ERR_SIG_INVALID);
	/* a signature of another key of the same kind */
	assert_ev_ok(ev_privkey_generate(kind, &other));
	assert_ev_ok(ev_privkey_public(other, &otherpub));
	assert_ev_err(ev_sig_verify(otherpub, msg, sizeof(msg), sig, siglen), EV_ERR_SIG_INVALID);
	/* PEM round trips */
	assert_ev_ok(ev_privkey_to_pem(k, &pem));
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	assert_ev_ok(ev_privkey_from_pem(pem, strlen(pem), NULL, &back));
	assert_ev_ok(ev_pubkey_to_pem(pub, &pubpem));
	assert_non_null(strstr(pubpem, "-----BEGIN PUBLIC KEY-----"));
	assert_ev_ok(ev_pubkey_from_pem(pubpem, strlen(pubpem), &pub2));
	assert_ev_ok(ev_sig_sign(back, msg, 3, sig, sizeof(sig), &siglen));
	assert_ev_ok(ev_sig_verify(pub2, msg, 3, sig, siglen));
	/* empty message */
	assert_ev_ok(ev_sig_sign(back, NULL, 0, sig, sizeof(sig), &siglen));
	assert_ev_ok(ev_sig_verify(pub2, NULL, 0, sig, siglen));
	free(pem);
	free(pubpem);
	ev_privkey_free(k);
	ev_privkey_free(other);
	ev_privkey_free(back);
	ev_pubkey_free(pub);
	ev_pubkey_free(otherpub);
	ev_pubkey_free(pub2);
}

static void
test_roundtrip_all_kinds(void **state)
{
	(void)state;
	roundtrip(EV_KEY_EC_P256, 64);
	roundtrip(EV_KEY_EC_P384, 96);
	roundtrip(EV_KEY_EC_P521, 132);
	roundtrip(EV_KEY_ED25519, 64);
	roundtrip(EV_KEY_RSA, EV_RSA_DEFAULT_BITS / 8);
}

static void
test_ecdsa_sign_keeps_leading_zero(void **state)
{
	struct ev_privkey *k = priv_from_vec("ec_private_pem_sec1");
	struct ev_pubkey *pub = pub_from_vec("ec_public_pem");
	uint8_t sig[64], msg[8];
	size_t siglen = 0;
	int i, seen = 0;

	(void)state;
	/* About one signature in 256 has r < 2^248; sign until we see one and
	 * check that it stays 64 bytes and verifies. */
	for (i = 0; i < 20000 && seen < 2; i++) {
		memcpy(msg, &i, sizeof(i));
		memset(msg + sizeof(i), 0, sizeof(msg) - sizeof(i));
		assert_ev_ok(ev_sig_sign(k, msg, sizeof(msg), sig, sizeof(sig), &siglen));
		assert_int_equal(siglen, 64);
		if (sig[0] == 0 || sig[32] == 0) {
			assert_ev_ok(ev_sig_verify(pub, msg, sizeof(msg), sig, siglen));
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	/* the vector key as PKCS#8 signs too */
	ev_privkey_free(k);
	k = priv_from_vec("ec_private_pem_pkcs8");
	assert_ev_ok(ev_sig_sign(k, msg, sizeof(msg), sig, sizeof(sig), &siglen));
	assert_ev_ok(ev_sig_verify(pub, msg, sizeof(msg), sig, siglen));
	assert_ev_err(ev_sig_sign(k, msg, sizeof(msg), sig, 63, &siglen), EV_ERR_BUF_FULL);
	ev_privkey_free(k);
	ev_pubkey_free(pub);
}

/* PEM of an OpenSSL-made public key of a kind we refuse. */
static char *
foreign_pub_pem(EVP_PKEY *pk)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL, *out;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &p);
	out = strndup(p, (size_t)n);
	BIO_free(bio);
	return out;
}

static void
check_foreign(EVP_PKEY *pk, int want)
{
	char *pem;
	struct ev_pubkey *k = (struct ev_pubkey *)1;

	assert_non_null(pk);
	pem = foreign_pub_pem(pk);
	assert_ev_err(ev_pubkey_from_pem(pem, strlen(pem), &k), want);
	assert_null(k);
	assert_ev_err(ev_pubkey_from_evp(pk, &k), want);
	free(pem);
	EVP_PKEY_free(pk);
}

static void
test_unsupported_keys(void **state)
{
	(void)state;
	check_foreign(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-224"), EV_ERR_KEY_CURVE);
	check_foreign(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"), EV_ERR_KEY_CURVE);
	check_foreign(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768), EV_ERR_KEY_TYPE);
	check_foreign(EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), EV_ERR_KEY_TYPE);
	check_foreign(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), EV_ERR_KEY_TYPE);
}

static void
test_bad_pem(void **state)
{
	static const char *bad[] = {
	        "",
	        "hello world",
	        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	        "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
	        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", /* no END */
	        "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n",
	};
	struct ev_pubkey *k = NULL;
	char buf[4096];
	const char *ecpem = tv_str("ec_public_pem");
	const char *priv = tv_str("ec_private_pem_pkcs8");
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(bad); i++)
		assert_ev_err(ev_pubkey_from_pem(bad[i], strlen(bad[i]), &k), EV_ERR_KEY_PARSE);
	/* a private key where a public one is expected */
	assert_ev_err(ev_pubkey_from_pem(priv, strlen(priv), &k), EV_ERR_KEY_PARSE);
	/* the first block decides, even if a good one follows */
	snprintf(buf, sizeof(buf), "%s\n%s", priv, ecpem);
	assert_ev_err(ev_pubkey_from_pem(buf, strlen(buf), &k), EV_ERR_KEY_PARSE);
	/* text before the first block is fine (Go's pem.Decode skips it too) */
	snprintf(buf, sizeof(buf), "controller signing key\n%s", ecpem);
	assert_ev_ok(ev_pubkey_from_pem(buf, strlen(buf), &k));
	ev_pubkey_free(k);
	/* a certificate and then a key: the certificate is used */
	snprintf(buf, sizeof(buf), "%s%s", tv_str("ec_cert_pem"), tv_str("rsa_public_pem"));
	assert_ev_ok(ev_pubkey_from_pem(buf, strlen(buf), &k));
	assert_int_equal(ev_pubkey_kind(k), EV_KEY_EC_P256);
	ev_pubkey_free(k);
	/* a truncated PEM (cut inside the base64) */
	assert_ev_err(ev_pubkey_from_pem(ecpem, strlen(ecpem) / 2, &k), EV_ERR_KEY_PARSE);
	assert_null(k);
	assert_ev_err(ev_pubkey_from_pem(ecpem, EV_MAX_PEM_FILE + 1, &k), EV_ERR_TOO_BIG);
	assert_ev_err(ev_pubkey_from_pem(NULL, 0, &k), EV_ERR_INVALID_ARG);
}

static void
test_bad_private_pem(void **state)
{
	struct ev_privkey *k = NULL;
	const char *pub = tv_str("ec_public_pem");
	static const char ossh_garbage[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	                                   "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n"
	                                   "-----END OPENSSH PRIVATE KEY-----\n";
	static const char ossh_nomagic[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	                                   "AAAAAAAA\n"
	                                   "-----END OPENSSH PRIVATE KEY-----\n";

	char *sec1 = strdup(tv_str("ec_private_pem_sec1")), *p;

	(void)state;
	/* a private scalar that does not match the public key stored with it */
	assert_non_null(sec1);
	p = strstr(sec1, "N+T0no5");
	assert_non_null(p);
	p[3] = '5';
	assert_ev_err(ev_privkey_from_pem(sec1, strlen(sec1), NULL, &k), EV_ERR_KEY_PARSE);
	free(sec1);
	assert_ev_err(ev_privkey_from_pem(pub, strlen(pub), NULL, &k), EV_ERR_KEY_PARSE);
	assert_ev_err(ev_privkey_from_pem("junk", 4, NULL, &k), EV_ERR_KEY_PARSE);
	assert_ev_err(ev_privkey_from_pem(ossh_garbage, strlen(ossh_garbage), NULL, &k),
	              EV_ERR_KEY_PARSE);
	assert_ev_err(ev_privkey_from_pem(ossh_nomagic, strlen(ossh_nomagic), NULL, &k),
	              EV_ERR_KEY_PARSE);
	assert_null(k);
	assert_ev_err(ev_privkey_from_file("/nonexistent/key", NULL, &k), EV_ERR_NOT_FOUND);
	assert_ev_err(ev_pubkey_from_pem_file("/nonexistent/key.pem", &(struct ev_pubkey *){NULL}),
	              EV_ERR_NOT_FOUND);
}

static void
test_ec_params_block_is_skipped(void **state)
{
	static const char params[] = "-----BEGIN EC PARAMETERS-----\n"
	                             "BggqhkjOPQMBBw==\n"
	                             "-----END EC PARAMETERS-----\n";
	char buf[2048];
	struct ev_privkey *k = NULL;

	(void)state;
	snprintf(buf, sizeof(buf), "%s%s", params, tv_str("ec_private_pem_sec1"));
	assert_ev_ok(ev_privkey_from_pem(buf, strlen(buf), NULL, &k));
	assert_int_equal(ev_privkey_kind(k), EV_KEY_EC_P256);
	ev_privkey_free(k);
}

/* ---- keys made by ssh-keygen ---- */

static void
run_keygen(const char *const argv[])
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("ssh-keygen failed (status %d)", status);
}

struct sshkey_case {
	const char *type;
	const char *bits;   /* NULL: default */
	const char *format; /* NULL (OpenSSH), "PEM" or "PKCS8" */
	const char *pass;   /* "" for none */
	enum ev_key_kind kind;
};

static void
check_keygen_case(const char *dir, const struct sshkey_case *c)
{
	char path[512], pubpath[520];
	const char *argv[16];
	int n = 0;
	struct ev_privkey *priv = NULL;
	struct ev_authkey *ak = NULL;
	struct ev_pubkey *pub = NULL;
	char *line;
	size_t linelen = 0, siglen = 0;
	uint8_t sig[EV_MAX_SIGNATURE];
	static const uint8_t msg[] = "signed by a key from ssh-keygen";
	FILE *f;
	char *buf = NULL;
	size_t buflen = 0;

	snprintf(path, sizeof(path), "%s/%s-%s-%s-%s", dir, c->type, c->bits ? c->bits : "def",
	         c->format ? c->format : "openssh", c->pass[0] ? "enc" : "plain");
	snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
	argv[n++] = "ssh-keygen";
	argv[n++] = "-q";
	argv[n++] = "-N";
	argv[n++] = c->pass;
	argv[n++] = "-t";
	argv[n++] = c->type;
	if (c->bits != NULL) {
		argv[n++] = "-b";
		argv[n++] = c->bits;
	}
	if (c->format != NULL) {
		argv[n++] = "-m";
		argv[n++] = c->format;
	}
	argv[n++] = "-C";
	argv[n++] = "test@ssh-keygen";
	argv[n++] = "-f";
	argv[n++] = path;
	argv[n] = NULL;
	run_keygen(argv);

	if (c->pass[0] != '\0') {
		assert_ev_err(ev_privkey_from_file(path, NULL, &priv), EV_ERR_KEY_PASSPHRASE);
		assert_ev_err(ev_privkey_from_file(path, "wrong passphrase", &priv),
		              EV_ERR_KEY_PASSPHRASE);
		assert_null(priv);
	}
	assert_ev_ok(ev_privkey_from_file(path, c->pass[0] ? c->pass : NULL, &priv));
	assert_int_equal(ev_privkey_kind(priv), c->kind);

	f = fopen(pubpath, "r");
	assert_non_null(f);
	assert_true(getline(&buf, &buflen, f) > 0);
	fclose(f);
	line = buf;
	linelen = strlen(line);
	assert_ev_ok(ev_authkey_parse(line, linelen, &ak));
	assert_string_equal(ak->comment, "test@ssh-keygen");
	assert_int_equal(ev_pubkey_kind(ak->key), c->kind);

	/* sign with the private file, verify with the .pub line, and back */
	assert_ev_ok(ev_sig_sign(priv, msg, sizeof(msg), sig, sizeof(sig), &siglen));
	assert_int_equal(siglen, ev_pubkey_sig_len(ak->key));
	assert_ev_ok(ev_sig_verify(ak->key, msg, sizeof(msg), sig, siglen));
	sig[siglen / 2] ^= 1;
	assert_ev_err(ev_sig_verify(ak->key, msg, sizeof(msg), sig, siglen), EV_ERR_SIG_INVALID);
	assert_ev_ok(ev_privkey_public(priv, &pub));
	assert_int_equal(ev_pubkey_kind(pub), c->kind);
	free(buf);
	ev_pubkey_free(pub);
	ev_authkey_free(ak);
	ev_privkey_free(priv);
}

static void
test_ssh_keygen_keys(void **state)
{
	static const struct sshkey_case cases[] = {
	        {"ecdsa", NULL, NULL, "", EV_KEY_EC_P256},
	        {"ecdsa", "384", NULL, "", EV_KEY_EC_P384},
	        {"ecdsa", "521", NULL, "", EV_KEY_EC_P521},
	        {"rsa", "2048", NULL, "", EV_KEY_RSA},
	        {"ed25519", NULL, NULL, "", EV_KEY_ED25519},
	        {"ecdsa", NULL, "PEM", "", EV_KEY_EC_P256},
	        {"rsa", "2048", "PEM", "", EV_KEY_RSA},
	        {"ecdsa", "384", "PKCS8", "", EV_KEY_EC_P384},
	        {"ecdsa", NULL, NULL, "correct horse", EV_KEY_EC_P256},
	        {"ed25519", NULL, NULL, "correct horse", EV_KEY_ED25519},
	        {"ecdsa", NULL, "PEM", "correct horse", EV_KEY_EC_P256},
	        {"rsa", "2048", "PKCS8", "correct horse", EV_KEY_RSA},
	};
	char *dir = tv_tmpdir();
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(cases); i++)
		check_keygen_case(dir, &cases[i]);
	tv_rmrf(dir);
	free(dir);
}

static char *
read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return text;
}

static void
test_openssh_key_text_around(void **state)
{
	char *dir = tv_tmpdir();
	char path[512], *text, *wrapped;
	const char *argv[] = {"ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", NULL, NULL};
	struct ev_privkey *k = NULL;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/k", dir);
	argv[7] = path;
	run_keygen(argv);
	text = read_text(path, &n);
	/* leading prose and a trailing second key do not matter */
	wrapped = calloc(1, n * 2 + 64);
	assert_non_null(wrapped);
	snprintf(wrapped, n * 2 + 64, "my key:\n%s%s", text, tv_str("ec_private_pem_sec1"));
	assert_ev_ok(ev_privkey_from_pem(wrapped, strlen(wrapped), NULL, &k));
	assert_int_equal(ev_privkey_kind(k), EV_KEY_ED25519);
	ev_privkey_free(k);
	/* an unencrypted key ignores a passphrase */
	assert_ev_ok(ev_privkey_from_pem(text, n, "unused", &k));
	ev_privkey_free(k);
	free(text);
	free(wrapped);
	tv_rmrf(dir);
	free(dir);
}

static void
test_openssh_rsa_encrypted_unsupported(void **state)
{
	char *dir = tv_tmpdir();
	char path[512];
	const char *argv[] = {"ssh-keygen", "-q",   "-N", "pw", "-t", "rsa",
	                      "-b",         "2048", "-f", NULL, NULL};
	struct ev_privkey *k = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/rsa", dir);
	argv[9] = path;
	run_keygen(argv);
	/* libssh 0.10 decrypts it but cannot hand the RSA key over */
	assert_ev_err(ev_privkey_from_file(path, "pw", &k), EV_ERR_KEY_UNSUPPORTED);
	assert_ev_err(ev_privkey_from_file(path, NULL, &k), EV_ERR_KEY_PASSPHRASE);
	assert_ev_err(ev_privkey_from_file(path, "nope", &k), EV_ERR_KEY_PASSPHRASE);
	assert_null(k);
	tv_rmrf(dir);
	free(dir);
}

/* Skips n SSH strings. */
static void
skip_strings(struct ev_sshwire *w, int n)
{
	const uint8_t *s;
	size_t len;

	while (n-- > 0)
		assert_ev_ok(ev_sshwire_get_string(w, &s, &len));
}

static void
test_openssh_rsa_inconsistent_factor(void **state)
{
	char *dir = tv_tmpdir();
	char path[512], *text, *pem;
	const char *argv[] = {"ssh-keygen", "-q",   "-N", "",   "-t", "rsa",
	                      "-b",         "2048", "-f", NULL, NULL};
	const char *b, *e;
	uint8_t *blob;
	size_t len, bloblen = 0, n;
	struct ev_sshwire w, kw;
	const uint8_t *priv, *p;
	uint32_t u;
	struct ev_buf *out;
	struct ev_privkey *k = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/rsa", dir);
	argv[9] = path;
	run_keygen(argv);
	text = read_text(path, &len);
	b = strchr(text, '\n') + 1;
	e = strstr(b, "-----END");
	assert_non_null(e);
	blob = malloc(ev_b64_decoded_max((size_t)(e - b)));
	assert_non_null(blob);
	assert_ev_ok(ev_b64_decode(EV_B64_STD, b, (size_t)(e - b), blob,
	                           ev_b64_decoded_max((size_t)(e - b)), &bloblen));
	/* magic, cipher, kdf, kdf options, nkeys, public blob, private part */
	ev_sshwire_init(&w, blob + 15, bloblen - 15);
	skip_strings(&w, 3);
	assert_ev_ok(ev_sshwire_get_u32(&w, &u));
	skip_strings(&w, 1);
	assert_ev_ok(ev_sshwire_get_string(&w, &priv, &n));
	ev_sshwire_init(&kw, priv, n);
	assert_ev_ok(ev_sshwire_get_u32(&kw, &u));
	assert_ev_ok(ev_sshwire_get_u32(&kw, &u));
	skip_strings(&kw, 5); /* type, n, e, d, iqmp */
	assert_ev_ok(ev_sshwire_get_string(&kw, &p, &n));
	((uint8_t *)p)[n - 1] ^= 0x02; /* p stays odd, but is no longer a factor */
	out = ev_buf_new(2 * len);
	assert_non_null(out);
	assert_ev_ok(ev_buf_put_str(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	assert_ev_ok(ev_b64_encode(EV_B64_STD, blob, bloblen, out));
	assert_ev_ok(ev_buf_put_str(out, "\n-----END OPENSSH PRIVATE KEY-----\n"));
	pem = (char *)ev_buf_str(out);
	assert_ev_err(ev_privkey_from_pem(pem, strlen(pem), NULL, &k), EV_ERR_KEY_PARSE);
	/* and the untouched key loads */
	assert_ev_ok(ev_privkey_from_pem(text, len, NULL, &k));
	ev_privkey_free(k);
	ev_buf_free(out);
	free(blob);
	free(text);
	tv_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pubkey_kinds),
	        cmocka_unit_test(test_ecdsa_vector_verifies),
	        cmocka_unit_test(test_ecdsa_malformed),
	        cmocka_unit_test(test_rsa_vector_and_deterministic_sign),
	        cmocka_unit_test(test_cross_kind_rejections),
	        cmocka_unit_test(test_roundtrip_all_kinds),
	        cmocka_unit_test(test_ecdsa_sign_keeps_leading_zero),
	        cmocka_unit_test(test_unsupported_keys),
	        cmocka_unit_test(test_bad_pem),
	        cmocka_unit_test(test_bad_private_pem),
	        cmocka_unit_test(test_ec_params_block_is_skipped),
	        cmocka_unit_test(test_ssh_keygen_keys),
	        cmocka_unit_test(test_openssh_key_text_around),
	        cmocka_unit_test(test_openssh_rsa_encrypted_unsupported),
	        cmocka_unit_test(test_openssh_rsa_inconsistent_factor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
