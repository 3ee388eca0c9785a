/* identity.c - device and onboarding keys and certificates (see identity.h). */
#include "identity.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "ev_sig.h"
#include "tpm.h"

#define P256_HALF 32u
/* Go's x509.CreateCertificate (EVE's Go 1.25): a CA certificate without a
 * SubjectKeyId gets the first 160 bits of SHA-256 of the public key bits. */
#define SKID_LEN 20u
#define ONE_DAY  (24 * 60 * 60)
/* What the open-time signature of a TPM identity signs (any fixed text). */
#define TPM_CHECK_TEXT "eve-agent: device key check"

/* A certificate as loaded: the file bytes, the first certificate's DER. */
struct id_cert {
	char *pem;
	size_t pemlen;
	uint8_t *der;
	size_t derlen;
	uint8_t hash[EV_SHA256_LEN];
	X509 *x509;
	struct ev_pubkey *pub;
};

struct agent_identity {
	bool tpm;
	bool created;
	char *tcti; /* NULL: the default device */
	uint8_t auth[AGENT_TPM_AUTH_MAX];
	size_t authlen;
	EVP_PKEY *dev_key; /* key-file identity only */
	struct id_cert dev;
	EVP_PKEY *ob_key;
	struct id_cert ob;
	int ob_err;
	enum agent_hsm_status hsm;
	char hsm_info[AGENT_TPM_INFO_MAX];
};

/* Makes a signature over a digest: r || s of P-256. */
typedef int (*digest_signer_fn)(void *arg, const uint8_t digest[EV_SHA256_LEN],
                                uint8_t sig[AGENT_SIG_LEN]);

struct tpm_signer {
	struct agent_tpm *tpm;
	const struct agent_identity *id;
};

static void
cert_clear(struct id_cert *c)
{
	free(c->pem);
	free(c->der);
	X509_free(c->x509);
	ev_pubkey_free(c->pub);
	memset(c, 0, sizeof(*c));
}

void
agent_identity_free(struct agent_identity *id)
{
	if (id == NULL)
		return;
	free(id->tcti);
	EVP_PKEY_free(id->dev_key);
	EVP_PKEY_free(id->ob_key);
	cert_clear(&id->dev);
	cert_clear(&id->ob);
	ev_freezero(id, sizeof(*id));
}

static bool
path_exists(const char *path)
{
	struct stat st;

	/* EVE's fileutils.FileExists: anything stat can see. */
	return stat(path, &st) == 0;
}

/* EV_ERR_KEY_TYPE / EV_ERR_KEY_CURVE unless pk is a P-256 key. */
static int
require_p256(EVP_PKEY *pk)
{
	struct ev_pubkey *k = NULL;
	enum ev_key_kind kind;
	int r;

	if ((r = ev_pubkey_from_evp(pk, &k)) != 0)
		return r;
	kind = ev_pubkey_kind(k);
	ev_pubkey_free(k);
	if (kind == EV_KEY_EC_P256)
		return 0;
	if (kind == EV_KEY_EC_P384 || kind == EV_KEY_EC_P521)
		return EV_ERR_KEY_CURVE;
	return EV_ERR_KEY_TYPE;
}

/* A public-only copy, so an ev_pubkey never carries the private half. */
static int
public_of(EVP_PKEY *pk, struct ev_pubkey **out)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	int n, r;

	*out = NULL;
	if ((n = i2d_PUBKEY(pk, &der)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	p = der;
	if ((pub = d2i_PUBKEY(NULL, &p, n)) == NULL) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = ev_pubkey_from_evp(pub, out);
out:
	ERR_clear_error();
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	return r;
}

/* ---- private key files ---- */

/*
 * A P-256 private key from PEM text.  The DER of the block goes through
 * d2i_AutoPrivateKey whatever the label says: EVE's no-TPM device.key.pem is
 * SEC1 under a "PRIVATE KEY" label (device-api 0.9), which OpenSSL's PEM
 * readers refuse because they trust the label.
 */
static int
key_from_pem(const char *pem, size_t len, EVP_PKEY **out)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *p;
	long dlen = 0;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	*out = NULL;
	if (len > EV_MAX_PEM_FILE)
		return EV_ERR_TOO_BIG;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return EV_ERR_NOMEM;
	for (;;) {
		/* PEM_FLAG_SECURE: the decoded key lives in wiped memory. */
		if (PEM_read_bio_ex(bio, &name, &header, &data, &dlen,
		                    PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) != 1 ||
		    dlen <= 0) {
			r = EV_ERR_KEY_PARSE;
			goto out;
		}
		/* `openssl ecparam -genkey` writes the curve before the key. */
		if (strcmp(name, "EC PARAMETERS") != 0)
			break;
		OPENSSL_secure_clear_free(name, strlen(name));
		OPENSSL_secure_clear_free(header, strlen(header));
		OPENSSL_secure_clear_free(data, (size_t)dlen);
		name = header = NULL;
		data = NULL;
	}
	/* The agent has no passphrase to give. */
	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 || strstr(header, "ENCRYPTED") != NULL) {
		r = EV_ERR_KEY_PASSPHRASE;
		goto out;
	}
	if (strcmp(name, "PRIVATE KEY") != 0 && strcmp(name, "EC PRIVATE KEY") != 0 &&
	    strcmp(name, "RSA PRIVATE KEY") != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	p = data;
	if ((pk = d2i_AutoPrivateKey(NULL, &p, dlen)) == NULL || p != data + dlen) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	if ((r = require_p256(pk)) != 0)
		goto out;
	/* SEC1 carries the public point too; a damaged one would make every
	 * signature disagree with the certificate. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_pairwise_check(ctx) != 1) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	*out = pk;
	pk = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	if (name != NULL)
		OPENSSL_secure_clear_free(name, strlen(name));
	if (header != NULL)
		OPENSSL_secure_clear_free(header, strlen(header));
	if (data != NULL)
		OPENSSL_secure_clear_free(data, dlen > 0 ? (size_t)dlen : 0);
	BIO_free(bio);
	return r;
}

static int
key_from_file(const char *path, EVP_PKEY **out)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = ev_file_read_capped(path, EV_MAX_PEM_FILE, &buf, &len)) != 0) {
		ev_log_err_r(r, "read %s", path);
		return r;
	}
	if ((r = key_from_pem(buf, len, out)) != 0)
		ev_log_err_r(r, "private key %s", path);
	ev_freezero(buf, len + 1);
	return r;
}

/* A new P-256 key, stored as unencrypted PKCS#8 that only root can read. */
static int
key_generate(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;
	int r;

	*out = NULL;
	if ((pk = EVP_EC_gen("P-256")) == NULL) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* OpenSSL 3 writes PrivateKeyInfo ("PRIVATE KEY") here. */
	if (PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = ev_file_write_atomic(path, data, (size_t)n, 0600, ".device.key.")) != 0) {
		ev_log_err_r(r, "write %s", path);
		goto out;
	}
	*out = pk;
	pk = NULL;
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio); /* secure memory: wiped */
	EVP_PKEY_free(pk);
	return r;
}

/* ECDSA over a prehashed SHA-256 digest, as r || s. */
static int
sign_digest_evp(EVP_PKEY *pk, const uint8_t digest[EV_SHA256_LEN], uint8_t sig[AGENT_SIG_LEN])
{
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *br, *bs;
	uint8_t der[80]; /* a P-256 DER signature is at most 72 bytes */
	const unsigned char *p;
	size_t derlen = sizeof(der);
	int r;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(ctx, der, &derlen, digest, EV_SHA256_LEN) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL || p != der + derlen) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	ECDSA_SIG_get0(es, &br, &bs);
	if (BN_bn2binpad(br, sig, P256_HALF) != (int)P256_HALF ||
	    BN_bn2binpad(bs, sig + P256_HALF, P256_HALF) != (int)P256_HALF) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
file_signer(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t sig[AGENT_SIG_LEN])
{
	return sign_digest_evp(arg, digest, sig);
}

static int
tpm_signer(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t sig[AGENT_SIG_LEN])
{
	const struct tpm_signer *ts = arg;

	return agent_tpm_sign(ts->tpm, ts->id->auth, ts->id->authlen, digest, sig);
}

/* ---- certificates ---- */

/* A certificate from PEM text: its first block must be a CERTIFICATE (text
 * before it is skipped, as Go's pem.Decode does; later blocks are a chain). */
static int
cert_from_pem(const char *pem, size_t len, struct id_cert *c)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *p;
	long dlen = 0;
	int r;

	memset(c, 0, sizeof(*c));
	if (len > EV_MAX_PEM_FILE)
		return EV_ERR_TOO_BIG;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return EV_ERR_NOMEM;
	if (PEM_read_bio_ex(bio, &name, &header, &data, &dlen, PEM_FLAG_EAY_COMPATIBLE) != 1 ||
	    dlen <= 0 || strcmp(name, "CERTIFICATE") != 0 || header[0] != '\0') {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	p = data;
	if ((c->x509 = d2i_X509(NULL, &p, dlen)) == NULL || p != data + dlen) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	if (X509_get0_pubkey(c->x509) == NULL) {
		r = EV_ERR_KEY_TYPE;
		goto out;
	}
	if ((r = require_p256(X509_get0_pubkey(c->x509))) != 0 ||
	    (r = public_of(X509_get0_pubkey(c->x509), &c->pub)) != 0)
		goto out;
	/* The bytes as they are (a NUL inside would end a C string early). */
	if ((c->pem = malloc(len + 1)) == NULL ||
	    (c->der = ev_memdup(data, (size_t)dlen)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	memcpy(c->pem, pem, len);
	c->pem[len] = '\0';
	c->pemlen = len;
	c->derlen = (size_t)dlen;
	r = ev_sha256(c->der, c->derlen, c->hash);
out:
	if (r != 0) {
		ERR_clear_error();
		cert_clear(c);
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return r;
}

static int
cert_from_file(const char *path, struct id_cert *c)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = ev_file_read_capped(path, EV_MAX_PEM_FILE, &buf, &len)) != 0) {
		ev_log_err_r(r, "read %s", path);
		return r;
	}
	if ((r = cert_from_pem(buf, len, c)) != 0)
		ev_log_err_r(r, "certificate %s", path);
	free(buf);
	return r;
}

/* EV_ERR_ID_MISMATCH unless the certificate holds key's public half. */
static int
cert_matches(const struct id_cert *c, EVP_PKEY *key, const char *what)
{
	if (EVP_PKEY_eq(X509_get0_pubkey(c->x509), key) == 1)
		return 0;
	ERR_clear_error();
	ev_log_err_r(EV_ERR_ID_MISMATCH, "%s", what);
	return EV_ERR_ID_MISMATCH;
}

/* notBefore + 20 years by the calendar, as Go's AddDate(20, 0, 0): Feb 29
 * becomes Mar 1 of a common year. */
static time_t
add_20_years(time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return (time_t)-1;
	tm.tm_year += 20;
	return timegm(&tm);
}

static int
add_ext(X509 *x, int nid, void *value, int crit)
{
	return X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_APPEND) == 1 ? 0 : EV_ERR_CRYPTO;
}

/* EVE's createDeviceCertTemplate as Go's CreateCertificate encodes it:
 * version 3, a random 128-bit serial, O then CN as PrintableStrings,
 * extensions in Go's order (keyUsage critical, extKeyUsage, basicConstraints
 * critical, subjectKeyId), no authorityKeyId (self-signed). */
static int
cert_template(EVP_PKEY *pub, X509 **out)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_OCTET_STRING *skid = NULL;
	const ASN1_BIT_STRING *bits;
	uint8_t h[EV_SHA256_LEN];
	time_t nb, na;
	int r;

	*out = NULL;
	if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    (bn = BN_new()) == NULL || (ku = ASN1_BIT_STRING_new()) == NULL ||
	    (eku = EXTENDED_KEY_USAGE_new()) == NULL || (bc = BASIC_CONSTRAINTS_new()) == NULL ||
	    (skid = ASN1_OCTET_STRING_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* Go: rand.Int(rand.Reader, 2^128); zero would be no serial at all. */
	do {
		if (BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
			r = EV_ERR_CRYPTO;
			goto out;
		}
	} while (BN_is_zero(bn));
	nb = time(NULL) - ONE_DAY; /* Go: backdated a day in case the clock is off */
	if ((na = add_20_years(nb)) == (time_t)-1) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, serial) != 1 ||
	    X509_NAME_add_entry_by_NID(name, NID_organizationName, V_ASN1_PRINTABLESTRING,
	                               (const unsigned char *)"The Linux Foundation", -1, -1,
	                               0) != 1 ||
	    X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_PRINTABLESTRING,
	                               (const unsigned char *)"EVE", -1, -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, name) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL || X509_set_pubkey(x, pub) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	/* digitalSignature (bit 0) | keyCertSign (bit 5); no keyEncipherment
	 * for an EC key. */
	if (ASN1_BIT_STRING_set_bit(ku, 0, 1) != 1 || ASN1_BIT_STRING_set_bit(ku, 5, 1) != 1 ||
	    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) <= 0 ||
	    sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) <= 0) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	bc->ca = 0xFF; /* pathLenConstraint absent: Go's MaxPathLen 0, not MaxPathLenZero */
	if ((bits = X509_get0_pubkey_bitstr(x)) == NULL ||
	    (r = ev_sha256(bits->data, (size_t)bits->length, h)) != 0 ||
	    ASN1_OCTET_STRING_set(skid, h, SKID_LEN) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = add_ext(x, NID_key_usage, ku, 1)) != 0 ||
	    (r = add_ext(x, NID_ext_key_usage, eku, 0)) != 0 ||
	    (r = add_ext(x, NID_basic_constraints, bc, 1)) != 0 ||
	    (r = add_ext(x, NID_subject_key_identifier, skid, 0)) != 0)
		goto out;
	*out = x;
	x = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_free(x);
	X509_NAME_free(name);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_free(eku); /* OBJ_nid2obj objects are static */
	BASIC_CONSTRAINTS_free(bc);
	ASN1_OCTET_STRING_free(skid);
	return r;
}

/* DER length octets of n; writes them if p is not NULL. */
static size_t
der_len(uint8_t *p, size_t n)
{
	size_t k = 0, i, v;

	if (n < 0x80) {
		if (p != NULL)
			p[0] = (uint8_t)n;
		return 1;
	}
	for (v = n; v > 0; v >>= 8)
		k++;
	if (p != NULL) {
		p[0] = (uint8_t)(0x80u | k);
		for (i = 0; i < k; i++)
			p[1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
	}
	return 1 + k;
}

/*
 * Signs a certificate through a digest signer (the TPM cannot be handed to
 * X509_sign).  A throwaway P-256 key signs first, which makes OpenSSL set
 * the algorithm identifiers (ecdsa-with-SHA256, inside and outside the TBS)
 * and encode the TBS; its SHA-256 is then signed by the real signer and the
 * Certificate SEQUENCE { tbs, algorithm, BIT STRING signature } is
 * assembled, parsed back and verified with pub.
 */
static int
cert_sign(X509 *x, EVP_PKEY *pub, digest_signer_fn signer, void *arg, X509 **out)
{
	EVP_PKEY *tmp = NULL;
	unsigned char *tbs = NULL, *alg = NULL, *sigder = NULL;
	const ASN1_BIT_STRING *osig;
	const X509_ALGOR *oalg;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	uint8_t digest[EV_SHA256_LEN], raw[AGENT_SIG_LEN];
	uint8_t *der = NULL, *p;
	const unsigned char *cp;
	int tbslen, alglen, siglen, r;
	size_t bitlen, body, total;

	*out = NULL;
	if ((tmp = EVP_EC_gen("P-256")) == NULL || X509_sign(x, tmp, EVP_sha256()) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	X509_get0_signature(&osig, &oalg, x);
	if ((tbslen = i2d_re_X509_tbs(x, &tbs)) <= 0 ||
	    (alglen = i2d_X509_ALGOR(oalg, &alg)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = ev_sha256(tbs, (size_t)tbslen, digest)) != 0 ||
	    (r = signer(arg, digest, raw)) != 0)
		goto out;
	if ((es = ECDSA_SIG_new()) == NULL || (br = BN_bin2bn(raw, P256_HALF, NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + P256_HALF, P256_HALF, NULL)) == NULL ||
	    ECDSA_SIG_set0(es, br, bs) != 1) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	br = bs = NULL;
	if ((siglen = i2d_ECDSA_SIG(es, &sigder)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	bitlen = 1 + (size_t)siglen; /* the unused-bits octet, then the DER signature */
	body = (size_t)tbslen + (size_t)alglen + 1 + der_len(NULL, bitlen) + bitlen;
	total = 1 + der_len(NULL, body) + body;
	if ((der = malloc(total)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	p = der;
	*p++ = 0x30;
	p += der_len(p, body);
	memcpy(p, tbs, (size_t)tbslen);
	p += tbslen;
	memcpy(p, alg, (size_t)alglen);
	p += alglen;
	*p++ = 0x03;
	p += der_len(p, bitlen);
	*p++ = 0x00;
	memcpy(p, sigder, (size_t)siglen);
	cp = der;
	if ((*out = d2i_X509(NULL, &cp, (long)total)) == NULL || cp != der + total) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if (X509_verify(*out, pub) != 1) {
		r = EV_ERR_SIG_INVALID;
		ev_log_err_r(r, "the new device certificate does not verify with the device key");
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		X509_free(*out);
		*out = NULL;
	}
	ERR_clear_error();
	EVP_PKEY_free(tmp);
	OPENSSL_free(tbs);
	OPENSSL_free(alg);
	OPENSSL_free(sigder);
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	free(der);
	return r;
}

/* Makes, signs and stores the device certificate for pub, then loads it back
 * the way a later run will. */
static int
cert_create(const char *path, EVP_PKEY *pub, digest_signer_fn signer, void *arg, struct id_cert *c)
{
	X509 *tmpl = NULL, *x = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = cert_template(pub, &tmpl)) != 0 ||
	    (r = cert_sign(tmpl, pub, signer, arg, &x)) != 0)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* The same 64-column PEM as Go's pem.EncodeToMemory. */
	if (PEM_write_bio_X509(bio, x) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = cert_from_pem(data, (size_t)n, c)) != 0)
		goto out;
	if ((r = ev_file_write_atomic(path, data, (size_t)n, 0644, ".device.cert.")) != 0) {
		ev_log_err_r(r, "write %s", path);
		cert_clear(c);
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_free(tmpl);
	X509_free(x);
	return r;
}

/* ---- the two kinds of device identity ---- */

static int
open_file_identity(struct agent_identity *id, const char *keyp, const char *certp, bool key_exists,
                   bool cert_exists)
{
	int r;

	if (key_exists) {
		if ((r = key_from_file(keyp, &id->dev_key)) != 0)
			return r;
	} else {
		if ((r = key_generate(keyp, &id->dev_key)) != 0)
			return r;
		id->created = true;
		ev_log_notice("created device key %s", keyp);
	}
	if (cert_exists) {
		if ((r = cert_from_file(certp, &id->dev)) != 0)
			return r;
		return cert_matches(&id->dev, id->dev_key, "device.cert.pem and device.key.pem");
	}
	if ((r = cert_create(certp, id->dev_key, file_signer, id->dev_key, &id->dev)) != 0)
		return r;
	id->created = true;
	ev_log_notice("created device certificate %s", certp);
	return 0;
}

/* The first 7 bytes of tpm_credential, as EVE's ReadOwnerCrdl (newline and
 * all); none when the file does not exist. */
static int
read_tpm_auth(const char *path, struct agent_identity *id)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	id->authlen = 0;
	r = ev_file_read_capped(path, EV_MAX_TPM_CRED_FILE, &buf, &len);
	if (r == EV_ERR_NOT_FOUND)
		return 0;
	if (r != 0) {
		ev_log_err_r(r, "read %s", path);
		return r;
	}
	id->authlen = len < AGENT_TPM_AUTH_MAX ? len : AGENT_TPM_AUTH_MAX;
	memcpy(id->auth, buf, id->authlen);
	ev_freezero(buf, len + 1);
	return 0;
}

/* One signature at open, so that a wrong tpm_credential or a key that is not
 * the certificate's shows up now rather than at the first request. */
static int
tpm_check_key(struct agent_identity *id, struct agent_tpm *t)
{
	const char *msg = TPM_CHECK_TEXT;
	uint8_t digest[EV_SHA256_LEN], sig[AGENT_SIG_LEN];
	int r;

	if ((r = ev_sha256(msg, strlen(msg), digest)) != 0 ||
	    (r = agent_tpm_sign(t, id->auth, id->authlen, digest, sig)) != 0)
		return r;
	if ((r = ev_sig_verify(id->dev.pub, (const uint8_t *)msg, strlen(msg), sig, sizeof(sig))) !=
	    0) {
		ev_log_err_r(EV_ERR_ID_MISMATCH,
		             "TPM signature does not verify with device.cert.pem");
		return EV_ERR_ID_MISMATCH;
	}
	return 0;
}

static int
open_tpm_identity(struct agent_identity *id, const char *certp, const char *credp, bool cert_exists)
{
	struct agent_tpm *t = NULL;
	struct tpm_signer ts;
	EVP_PKEY *pub = NULL;
	int r;

	if ((r = read_tpm_auth(credp, id)) != 0)
		goto out;
	if ((r = agent_tpm_open(id->tcti, &t)) != 0)
		goto out;
	if (cert_exists) {
		if ((r = cert_from_file(certp, &id->dev)) != 0)
			goto out;
		if ((r = agent_tpm_device_key(t, &pub)) != 0) {
			if (r == EV_ERR_TPM_NO_KEY)
				ev_log_err_r(r, "%s exists, TPM handle 0x%08x is empty", certp,
				             AGENT_TPM_DEVICE_KEY_HANDLE);
			goto out;
		}
		if ((r = cert_matches(&id->dev, pub, "device.cert.pem and the TPM device key")) !=
		            0 ||
		    (r = tpm_check_key(id, t)) != 0)
			goto out;
	} else {
		if ((r = agent_tpm_create_device_key(t, id->auth, id->authlen, &pub)) != 0)
			goto out;
		ev_log_notice("created device key in the TPM at 0x%08x",
		              AGENT_TPM_DEVICE_KEY_HANDLE);
		ts.tpm = t;
		ts.id = id;
		if ((r = cert_create(certp, pub, tpm_signer, &ts, &id->dev)) != 0)
			goto out;
		id->created = true;
		ev_log_notice("created device certificate %s, signed by the TPM", certp);
	}
	if (agent_tpm_info(t, id->hsm_info, sizeof(id->hsm_info)) != 0)
		id->hsm_info[0] = '\0'; /* only a report field */
	r = 0;
out:
	EVP_PKEY_free(pub);
	agent_tpm_close(t);
	return r;
}

/* The onboarding pair is optional; its state is kept for the caller. */
static int
open_onboard(struct agent_identity *id, const char *certp, const char *keyp)
{
	bool have_cert = path_exists(certp), have_key = path_exists(keyp);
	int r;

	if (!have_cert && !have_key)
		return EV_ERR_NOT_FOUND;
	if (!have_cert || !have_key) {
		ev_log_warn_r(EV_ERR_ID_ONBOARD_PAIR, "%s", have_cert ? keyp : certp);
		return EV_ERR_ID_ONBOARD_PAIR;
	}
	if ((r = key_from_file(keyp, &id->ob_key)) != 0 ||
	    (r = cert_from_file(certp, &id->ob)) != 0 ||
	    (r = cert_matches(&id->ob, id->ob_key, "onboard.cert.pem and onboard.key.pem")) != 0) {
		EVP_PKEY_free(id->ob_key);
		id->ob_key = NULL;
		cert_clear(&id->ob);
		return r;
	}
	return 0;
}

static int
join(char *buf, size_t cap, const char *root, const char *rel)
{
	int r;

	if ((r = ev_path_join(buf, cap, root, rel)) != 0)
		ev_log_err_r(r, "path %s under %s", rel, root);
	return r;
}

int
agent_identity_open(const struct agent_identity_cfg *cfg, struct agent_identity **out)
{
	struct agent_identity *id = NULL;
	char certp[PATH_MAX], keyp[PATH_MAX], credp[PATH_MAX], dir[PATH_MAX];
	char obcertp[PATH_MAX], obkeyp[PATH_MAX];
	const char *root;
	bool cert_exists, key_exists, tcti_set, tpm_present;
	int r;

	if (out != NULL)
		*out = NULL;
	if (cfg == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	root = cfg->root != NULL ? cfg->root : "";
	tcti_set = cfg->tcti != NULL && cfg->tcti[0] != '\0';
	if ((r = join(certp, sizeof(certp), root, AGENT_DEVICE_CERT_FILE)) != 0 ||
	    (r = join(keyp, sizeof(keyp), root, AGENT_DEVICE_KEY_FILE)) != 0 ||
	    (r = join(credp, sizeof(credp), root, AGENT_TPM_CRED_FILE)) != 0 ||
	    (r = join(obcertp, sizeof(obcertp), root, AGENT_ONBOARD_CERT_FILE)) != 0 ||
	    (r = join(obkeyp, sizeof(obkeyp), root, AGENT_ONBOARD_KEY_FILE)) != 0 ||
	    (r = join(dir, sizeof(dir), root, "/config")) != 0)
		return r;
	if ((id = calloc(1, sizeof(*id))) == NULL)
		return EV_ERR_NOMEM;
	if (tcti_set && (id->tcti = strdup(cfg->tcti)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	tpm_present = tcti_set || path_exists(AGENT_TPM_DEFAULT_DEVICE);
	cert_exists = path_exists(certp);
	key_exists = path_exists(keyp);
	/* EVE's IsTpmEnabled for an existing install; configuration for a new one. */
	if (key_exists)
		id->tpm = false;
	else if (cert_exists)
		id->tpm = true;
	else
		id->tpm = !cfg->no_tpm && tpm_present;
	if (id->tpm && cfg->no_tpm) {
		r = EV_ERR_TPM_DISABLED;
		ev_log_err_r(r, "%s exists without %s", certp, keyp);
		goto out;
	}
	if (!cert_exists && (r = ev_dir_ensure(dir, 0755)) != 0) {
		ev_log_err_r(r, "directory %s", dir);
		goto out;
	}
	if (id->tpm)
		r = open_tpm_identity(id, certp, credp, cert_exists);
	else
		r = open_file_identity(id, keyp, certp, key_exists, cert_exists);
	if (r != 0)
		goto out;
	if (id->tpm) {
		id->hsm = AGENT_HSM_ENABLED;
	} else if (tpm_present) {
		id->hsm = AGENT_HSM_DISABLED;
	} else {
		id->hsm = AGENT_HSM_NOTFOUND;
	}
	id->ob_err = open_onboard(id, obcertp, obkeyp);
	*out = id;
	id = NULL;
	r = 0;
out:
	agent_identity_free(id);
	return r;
}

bool
agent_identity_uses_tpm(const struct agent_identity *id)
{
	return id->tpm;
}

bool
agent_identity_created(const struct agent_identity *id)
{
	return id->created;
}

const char *
agent_identity_device_cert_pem(const struct agent_identity *id, size_t *len)
{
	if (len != NULL)
		*len = id->dev.pemlen;
	return id->dev.pem;
}

const uint8_t *
agent_identity_device_cert_der(const struct agent_identity *id, size_t *len)
{
	if (len != NULL)
		*len = id->dev.derlen;
	return id->dev.der;
}

const uint8_t *
agent_identity_device_cert_hash(const struct agent_identity *id)
{
	return id->dev.hash;
}

const struct ev_pubkey *
agent_identity_device_pubkey(const struct agent_identity *id)
{
	return id->dev.pub;
}

time_t
agent_identity_device_cert_not_after(const struct agent_identity *id)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(id->dev.x509), &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

/* The shared part of both callbacks. */
static int
sign_check(const uint8_t *digest, uint8_t *sig, size_t cap, size_t *siglen)
{
	if (siglen != NULL)
		*siglen = 0;
	if (digest == NULL || sig == NULL || siglen == NULL)
		return EV_ERR_INVALID_ARG;
	if (cap < AGENT_SIG_LEN)
		return EV_ERR_BUF_FULL;
	return 0;
}

int
agent_identity_sign_device(void *arg, const uint8_t digest[32], uint8_t *sig, size_t cap,
                           size_t *siglen)
{
	const struct agent_identity *id = arg;
	struct agent_tpm *t = NULL;
	int r;

	if ((r = sign_check(digest, sig, cap, siglen)) != 0)
		return r;
	if (id == NULL)
		return EV_ERR_INVALID_ARG;
	if (!id->tpm) {
		r = sign_digest_evp(id->dev_key, digest, sig);
	} else if ((r = agent_tpm_open(id->tcti, &t)) == 0) {
		r = agent_tpm_sign(t, id->auth, id->authlen, digest, sig);
		agent_tpm_close(t);
	}
	if (r != 0) {
		ev_memzero(sig, AGENT_SIG_LEN);
		return r;
	}
	*siglen = AGENT_SIG_LEN;
	return 0;
}

int
agent_identity_sign_onboard(void *arg, const uint8_t digest[32], uint8_t *sig, size_t cap,
                            size_t *siglen)
{
	const struct agent_identity *id = arg;
	int r;

	if ((r = sign_check(digest, sig, cap, siglen)) != 0)
		return r;
	if (id == NULL)
		return EV_ERR_INVALID_ARG;
	if (id->ob_err != 0)
		return id->ob_err;
	if ((r = sign_digest_evp(id->ob_key, digest, sig)) != 0) {
		ev_memzero(sig, AGENT_SIG_LEN);
		return r;
	}
	*siglen = AGENT_SIG_LEN;
	return 0;
}

int
agent_identity_onboard_error(const struct agent_identity *id)
{
	return id->ob_err;
}

const char *
agent_identity_onboard_cert_pem(const struct agent_identity *id, size_t *len)
{
	if (len != NULL)
		*len = id->ob.pemlen;
	return id->ob.pem;
}

const uint8_t *
agent_identity_onboard_cert_hash(const struct agent_identity *id)
{
	return id->ob_err == 0 ? id->ob.hash : NULL;
}

const struct ev_pubkey *
agent_identity_onboard_pubkey(const struct agent_identity *id)
{
	return id->ob.pub;
}

enum agent_hsm_status
agent_identity_hsm_status(const struct agent_identity *id)
{
	return id->hsm;
}

const char *
agent_identity_hsm_info(const struct agent_identity *id)
{
	return id->hsm_info;
}
