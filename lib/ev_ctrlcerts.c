/* ev_ctrlcerts.c - ZControllerCert checks and X.509 path validation (OpenSSL X509_STORE). */
#include "ev_ctrlcerts.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_mem.h"
#include "ev_sig.h"

struct ev_ctrlcerts {
	uint8_t *signing_pem;
	size_t signing_pem_len;
	struct ev_pubkey *signing_key;
	uint8_t signing_hash[EV_SHA256_LEN];
	time_t not_before;
	time_t not_after;
	size_t ecdh_count;
	uint8_t set_digest[EV_SHA256_LEN];
};

void
ev_ctrlcerts_free(struct ev_ctrlcerts *c)
{
	if (c == NULL)
		return;
	free(c->signing_pem);
	ev_pubkey_free(c->signing_key);
	free(c);
}

const uint8_t *
ev_ctrlcerts_signing_pem(const struct ev_ctrlcerts *c, size_t *len)
{
	if (len != NULL)
		*len = c->signing_pem_len;
	return c->signing_pem;
}

const struct ev_pubkey *
ev_ctrlcerts_signing_key(const struct ev_ctrlcerts *c)
{
	return c->signing_key;
}

const uint8_t *
ev_ctrlcerts_signing_hash(const struct ev_ctrlcerts *c)
{
	return c->signing_hash;
}

time_t
ev_ctrlcerts_signing_not_before(const struct ev_ctrlcerts *c)
{
	return c->not_before;
}

time_t
ev_ctrlcerts_signing_not_after(const struct ev_ctrlcerts *c)
{
	return c->not_after;
}

size_t
ev_ctrlcerts_ecdh_count(const struct ev_ctrlcerts *c)
{
	return c->ecdh_count;
}

const uint8_t *
ev_ctrlcerts_set_digest(const struct ev_ctrlcerts *c)
{
	return c->set_digest;
}

/* ---- PEM, with Go's encoding/pem + crypto/x509 acceptance ---- */

/* DER to X509, refusing trailing bytes as Go's ParseCertificate does. */
static X509 *
der_to_x509(const unsigned char *der, long len)
{
	const unsigned char *p = der;
	X509 *x;

	if (len <= 0 || (x = d2i_X509(NULL, &p, len)) == NULL)
		return NULL;
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * Every CERTIFICATE block without headers that parses goes onto st; others
 * are skipped (Go's CertPool.AppendCertsFromPEM).  *added counts them.
 */
static int
pem_append_certs(const uint8_t *pem, size_t len, STACK_OF(X509) * st, size_t *added)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	X509 *x = NULL;
	int r;

	*added = 0;
	if (len == 0)
		return 0;
	if (len > INT_MAX)
		return EV_ERR_TOO_BIG;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	while (PEM_read_bio(bio, &name, &header, &data, &dlen) == 1) {
		if (strcmp(name, "CERTIFICATE") == 0 && header[0] == '\0' &&
		    (x = der_to_x509(data, dlen)) != NULL) {
			if (sk_X509_push(st, x) <= 0) {
				r = EV_ERR_NOMEM;
				goto out;
			}
			x = NULL;
			(*added)++;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	r = 0;
out:
	ERR_clear_error();
	X509_free(x);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return r;
}

/* The first PEM block, whatever its label, as a certificate (Go: pem.Decode + ParseCertificate). */
static int
pem_first_cert(const uint8_t *pem, size_t len, X509 **out)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	int r;

	*out = NULL;
	if (len == 0)
		return EV_ERR_CC_CERT;
	if (len > INT_MAX)
		return EV_ERR_TOO_BIG;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1 ||
	    (*out = der_to_x509(data, dlen)) == NULL) {
		r = EV_ERR_CC_CERT;
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return r;
}

/* ---- path validation ---- */

static int
map_verify_error(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_NOT_YET_VALID: return EV_ERR_CC_NOT_YET_VALID;
	case X509_V_ERR_CERT_HAS_EXPIRED: return EV_ERR_CC_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return EV_ERR_CC_UNTRUSTED;
	default: return EV_ERR_CC_CHAIN;
	}
}

/*
 * Go's checkChainForKeyUsage for the default request (serverAuth): a member
 * of the chain that lists EKUs must allow serverAuth; anyExtendedKeyUsage
 * and the two server-gated-crypto EKUs count as allowing it.
 */
static int
check_chain_eku(STACK_OF(X509) * chain)
{
	int i;

	for (i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) == 0)
			continue;
		if ((X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_ANYEKU | XKU_SGC)) == 0)
			return EV_ERR_CC_EKU;
	}
	return 0;
}

static int
verify_leaf(X509 *leaf, STACK_OF(X509) * roots, STACK_OF(X509) * intermediates, time_t at)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	int i, r;

	if ((store = X509_STORE_new()) == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < sk_X509_num(roots); i++) {
		if (X509_STORE_add_cert(store, sk_X509_value(roots, i)) != 1) {
			/* A duplicate root is not an error for Go either. */
			unsigned long e = ERR_peek_last_error();

			if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
				r = EV_ERR_NOMEM;
				goto out;
			}
			ERR_clear_error();
		}
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, intermediates) != 1) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, at);
	/* Any certificate of the roots file is an anchor, as in a Go CertPool.
	 * Security level 1 refuses what Go refuses too: RSA < 1024, MD5, SHA-1. */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_auth_level(param, 1);
	if (X509_verify_cert(ctx) != 1) {
		r = map_verify_error(X509_STORE_CTX_get_error(ctx));
		goto out;
	}
	r = check_chain_eku(X509_STORE_CTX_get0_chain(ctx));
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

static int
asn1_time_to_unix(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return EV_ERR_CC_CERT;
	*out = timegm(&tm);
	return 0;
}

/* ---- the certificate set digest ---- */

static int
u32_update(EVP_MD_CTX *md, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return EVP_DigestUpdate(md, b, sizeof(b));
}

static int
entry_digest(const Org__Lfedge__Eve__Certs__ZCert *z, uint8_t out[EV_SHA256_LEN])
{
	EVP_MD_CTX *md = NULL;
	unsigned int n = 0;
	int r;

	/* Lengths are capped by EV_MAX_CTRLCERTS, so they fit 32 bits. */
	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    u32_update(md, (uint32_t)z->type) != 1 || u32_update(md, (uint32_t)z->hashalgo) != 1 ||
	    u32_update(md, (uint32_t)z->certhash.len) != 1 ||
	    EVP_DigestUpdate(md, z->certhash.data, z->certhash.len) != 1 ||
	    u32_update(md, (uint32_t)z->cert.len) != 1 ||
	    EVP_DigestUpdate(md, z->cert.data, z->cert.len) != 1 ||
	    EVP_DigestFinal_ex(md, out, &n) != 1 || n != EV_SHA256_LEN) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

static int
cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, EV_SHA256_LEN);
}

static int
set_digest(Org__Lfedge__Eve__Certs__ZCert *const *certs, size_t n, uint8_t out[EV_SHA256_LEN])
{
	uint8_t(*d)[EV_SHA256_LEN] = NULL;
	size_t i, m = 0;
	int r;

	if ((d = calloc(n > 0 ? n : 1, sizeof(*d))) == NULL)
		return EV_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if ((r = entry_digest(certs[i], d[i])) != 0)
			goto out;
	qsort(d, n, sizeof(*d), cmp_digest);
	for (i = 0; i < n; i++)
		if (m == 0 || memcmp(d[m - 1], d[i], EV_SHA256_LEN) != 0)
			memmove(d[m++], d[i], EV_SHA256_LEN);
	r = ev_sha256(d, m * EV_SHA256_LEN, out);
out:
	free(d);
	return r;
}

/* ---- the list ---- */

int
ev_ctrlcerts_verify_list(Org__Lfedge__Eve__Certs__ZCert *const *certs, size_t n,
                         const char *roots_pem, size_t roots_len, time_t at, unsigned flags,
                         struct ev_ctrlcerts **out)
{
	STACK_OF(X509) *intermediates = NULL, *roots = NULL;
	const Org__Lfedge__Eve__Certs__ZCert *signing = NULL;
	struct ev_ctrlcerts *c = NULL;
	X509 *leaf = NULL;
	size_t i, added, nsigning = 0, necdh = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if ((certs == NULL && n != 0) || (roots_pem == NULL && roots_len != 0) || out == NULL ||
	    (flags & ~EV_CTRLCERTS_REQUIRE_ECDH) != 0)
		return EV_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if (certs[i] == NULL)
			return EV_ERR_INVALID_ARG;
	if (n > EV_MAX_CTRLCERTS_COUNT || roots_len > EV_MAX_PEM_FILE)
		return EV_ERR_TOO_BIG;
	if ((intermediates = sk_X509_new_null()) == NULL || (roots = sk_X509_new_null()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* EVE's walk: intermediates pooled, one signing cert, ECDH counted, nothing else. */
	for (i = 0; i < n; i++) {
		switch (certs[i]->type) {
		case ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE:
			if ((r = pem_append_certs(certs[i]->cert.data, certs[i]->cert.len,
			                          intermediates, &added)) != 0)
				goto out;
			if (added == 0) {
				r = EV_ERR_CC_CERT;
				goto out;
			}
			break;
		case ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING:
			if (++nsigning > 1) {
				r = EV_ERR_CC_TWO_SIGNING;
				goto out;
			}
			signing = certs[i];
			break;
		case ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE:
			necdh++;
			break;
		default: r = EV_ERR_CC_TYPE; goto out;
		}
	}
	if (signing == NULL) {
		r = EV_ERR_CC_NO_SIGNING;
		goto out;
	}
	if ((flags & EV_CTRLCERTS_REQUIRE_ECDH) != 0 && necdh == 0) {
		r = EV_ERR_CC_NO_ECDH;
		goto out;
	}
	if ((r = pem_append_certs((const uint8_t *)roots_pem, roots_len, roots, &added)) != 0)
		goto out;
	if (added == 0) {
		r = EV_ERR_CC_NO_ROOTS;
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* The signing leaf first, then every ECDH leaf in list order. */
	if ((r = pem_first_cert(signing->cert.data, signing->cert.len, &leaf)) != 0 ||
	    (r = verify_leaf(leaf, roots, intermediates, at)) != 0)
		goto out;
	if ((r = ev_pubkey_from_evp(X509_get0_pubkey(leaf), &c->signing_key)) != 0 ||
	    (r = asn1_time_to_unix(X509_get0_notBefore(leaf), &c->not_before)) != 0 ||
	    (r = asn1_time_to_unix(X509_get0_notAfter(leaf), &c->not_after)) != 0)
		goto out;
	X509_free(leaf);
	leaf = NULL;
	for (i = 0; i < n; i++) {
		if (certs[i]->type !=
		    ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE)
			continue;
		if ((r = pem_first_cert(certs[i]->cert.data, certs[i]->cert.len, &leaf)) != 0 ||
		    (r = verify_leaf(leaf, roots, intermediates, at)) != 0)
			goto out;
		X509_free(leaf);
		leaf = NULL;
	}
	if ((c->signing_pem = ev_memdup(signing->cert.data, signing->cert.len)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	c->signing_pem_len = signing->cert.len;
	c->ecdh_count = necdh;
	if ((r = ev_sha256(c->signing_pem, c->signing_pem_len, c->signing_hash)) != 0 ||
	    (r = set_digest(certs, n, c->set_digest)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_free(leaf);
	sk_X509_pop_free(intermediates, X509_free);
	sk_X509_pop_free(roots, X509_free);
	ev_ctrlcerts_free(c);
	return r;
}

int
ev_ctrlcerts_verify(const uint8_t *payload, size_t len, const char *roots_pem, size_t roots_len,
                    time_t at, unsigned flags, struct ev_ctrlcerts **out)
{
	Org__Lfedge__Eve__Certs__ZControllerCert *m = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if ((payload == NULL && len != 0) || out == NULL)
		return EV_ERR_INVALID_ARG;
	if (len > EV_MAX_CTRLCERTS)
		return EV_ERR_TOO_BIG;
	if (payload == NULL)
		payload = (const uint8_t *)"";
	if ((m = org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, len, payload)) == NULL)
		return EV_ERR_CC_PARSE;
	r = ev_ctrlcerts_verify_list(m->certs, m->n_certs, roots_pem, roots_len, at, flags, out);
	org__lfedge__eve__certs__zcontroller_cert__free_unpacked(m, NULL);
	return r;
}
