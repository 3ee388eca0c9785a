/*
 * tcerts.h - throwaway X.509 certificates and ZControllerCert payloads for
 * test_authc and test_ctrlcerts, made with OpenSSL at test time.
 *
 * Times are relative to TC_T0 (a fixed instant in 2027), so the tests pass
 * whatever the machine's clock says: verification runs "at" TC_T0.
 */
#ifndef TCERTS_H
#define TCERTS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/certs.pb-c.h"
#include "ev_attr.h"
#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_sig.h"

#define TC_T0   ((time_t)1800000000)
#define TC_DAY  86400L
#define TC_YEAR (365L * TC_DAY)

struct tcert {
	X509 *x;
	struct ev_privkey *key;
	char *pem; /* PEM text with its trailing newline */
	size_t pemlen;
};

struct tcert_opts {
	const char *cn;
	enum ev_key_kind kind;
	bool ca;
	bool no_basic_constraints;
	long not_before; /* offsets from TC_T0 */
	long not_after;
	const char *eku; /* e.g. "serverAuth", NULL for none */
};

static EV_UNUSED void
tcert_free(struct tcert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x);
	ev_privkey_free(c->key);
	free(c->pem);
	free(c);
}

static EV_UNUSED int
tcert_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (e == NULL)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate per o, signed by issuer (NULL: self-signed) with digest md
 * (NULL: SHA-256); NULL on failure. */
static EV_UNUSED struct tcert *
tcert_make_md(const struct tcert_opts *o, const struct tcert *issuer, const EVP_MD *md)
{
	static long serial = 1000;
	struct tcert *c = calloc(1, sizeof(*c));
	X509V3_CTX ctx;
	X509_NAME *name;
	BIO *bio = NULL;
	BUF_MEM *mem;
	EVP_PKEY *signer;
	int r;

	if (c == NULL)
		return NULL;
	r = o->kind == EV_KEY_RSA ? ev_privkey_generate_rsa(2048, &c->key)
	                          : ev_privkey_generate(o->kind, &c->key);
	if (r != 0 || (c->x = X509_new()) == NULL || X509_set_version(c->x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(c->x), serial++) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(c->x), TC_T0 + o->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(c->x), TC_T0 + o->not_after) == NULL)
		goto fail;
	name = X509_get_subject_name(c->x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)o->cn, -1,
	                               -1, 0) != 1 ||
	    X509_set_issuer_name(c->x, issuer != NULL ? X509_get_subject_name(issuer->x) : name) !=
	            1 ||
	    X509_set_pubkey(c->x, ev_privkey_evp(c->key)) != 1)
		goto fail;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer->x : c->x, c->x, NULL, NULL, 0);
	if (!o->no_basic_constraints &&
	    !tcert_add_ext(c->x, &ctx, NID_basic_constraints,
	                   o->ca ? "critical,CA:TRUE" : "critical,CA:FALSE"))
		goto fail;
	if (o->ca && !tcert_add_ext(c->x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"))
		goto fail;
	if (!o->ca && !tcert_add_ext(c->x, &ctx, NID_key_usage, "critical,digitalSignature"))
		goto fail;
	if (o->eku != NULL && !tcert_add_ext(c->x, &ctx, NID_ext_key_usage, o->eku))
		goto fail;
	signer = ev_privkey_evp(issuer != NULL ? issuer->key : c->key);
	if (X509_sign(c->x, signer,
	              EVP_PKEY_is_a(signer, "ED25519") ? NULL
	              : md != NULL                     ? md
	                                               : EVP_sha256()) <= 0)
		goto fail;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, c->x) != 1)
		goto fail;
	BIO_get_mem_ptr(bio, &mem);
	if ((c->pem = malloc(mem->length + 1)) == NULL)
		goto fail;
	memcpy(c->pem, mem->data, mem->length);
	c->pem[mem->length] = '\0';
	c->pemlen = mem->length;
	BIO_free(bio);
	return c;
fail:
	BIO_free(bio);
	tcert_free(c);
	return NULL;
}

static EV_UNUSED struct tcert *
tcert_make(const struct tcert_opts *o, const struct tcert *issuer)
{
	return tcert_make_md(o, issuer, NULL);
}

/* The usual leaf: P-256, valid from a day before TC_T0 for ten years, serverAuth. */
static EV_UNUSED struct tcert *
tcert_leaf(const char *cn, const struct tcert *issuer)
{
	struct tcert_opts o = {cn,      EV_KEY_EC_P256, false,       false,
	                       -TC_DAY, 10 * TC_YEAR,   "serverAuth"};

	return tcert_make(&o, issuer);
}

static EV_UNUSED struct tcert *
tcert_ca(const char *cn, const struct tcert *issuer)
{
	struct tcert_opts o = {cn, EV_KEY_EC_P256, true, false, -TC_DAY, 20 * TC_YEAR, NULL};

	return tcert_make(&o, issuer);
}

/* One ZControllerCert entry: type and PEM bytes (certHash = first 16 bytes of SHA-256). */
struct tentry {
	int type;
	const char *pem;
	size_t len; /* 0: strlen(pem) */
};

static EV_UNUSED uint8_t *
tcerts_pack(const struct tentry *e, size_t n, size_t *outlen)
{
	Org__Lfedge__Eve__Certs__ZControllerCert m =
	        ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert *z = calloc(n + 1, sizeof(*z));
	Org__Lfedge__Eve__Certs__ZCert **zp = calloc(n + 1, sizeof(*zp));
	uint8_t(*h)[EV_SHA256_LEN] = calloc(n + 1, sizeof(*h));
	uint8_t *buf = NULL;
	size_t i;

	*outlen = 0;
	if (z == NULL || zp == NULL || h == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		Org__Lfedge__Eve__Certs__ZCert init = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT;
		size_t len = e[i].len != 0 ? e[i].len : strlen(e[i].pem);

		z[i] = init;
		if (ev_sha256(e[i].pem, len, h[i]) != 0)
			goto out;
		z[i].type = e[i].type;
		z[i].hashalgo =
		        ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES;
		z[i].certhash.data = h[i];
		z[i].certhash.len = 16;
		z[i].cert.data = (uint8_t *)e[i].pem;
		z[i].cert.len = len;
		zp[i] = &z[i];
	}
	m.certs = zp;
	m.n_certs = n;
	*outlen = org__lfedge__eve__certs__zcontroller_cert__get_packed_size(&m);
	if ((buf = malloc(*outlen + 1)) != NULL)
		org__lfedge__eve__certs__zcontroller_cert__pack(&m, buf);
out:
	free(z);
	free(zp);
	free(h);
	return buf;
}

#define TC_SIGNING ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING
#define TC_INTER   ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_INTERMEDIATE
#define TC_ECDH    ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE

#endif
