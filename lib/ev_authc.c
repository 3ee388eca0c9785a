/* ev_authc.c - seal, parse and verify EVE AuthContainers (protobuf-c, OpenSSL via ev_sig). */
#include "ev_authc.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "auth/auth.pb-c.h"
#include "ev_buf.h"
#include "ev_crypto.h"
#include "ev_ctrlcerts.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_mem.h"
#include "ev_sig.h"

/* ---- sealing ---- */

int
ev_authc_seal(const struct ev_authc_signer *s, const uint8_t *payload, size_t len, uint8_t **out,
              size_t *outlen)
{
	Org__Lfedge__Eve__Auth__AuthContainer ac = ORG__LFEDGE__EVE__AUTH__AUTH_CONTAINER__INIT;
	Org__Lfedge__Eve__Auth__AuthBody body = ORG__LFEDGE__EVE__AUTH__AUTH_BODY__INIT;
	static const uint8_t empty[1];
	uint8_t digest[EV_SHA256_LEN], sig[EV_MAX_SIGNATURE];
	struct ev_buf *pem_b64 = NULL;
	uint8_t *buf = NULL;
	size_t siglen = 0, pemlen = 0, n;
	int r;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (s == NULL || s->sign == NULL || (payload == NULL && len != 0) || out == NULL ||
	    outlen == NULL)
		return EV_ERR_INVALID_ARG;
	if (len > EV_MAX_AUTHC_PAYLOAD)
		return EV_ERR_TOO_BIG;
	if (payload == NULL)
		payload = empty;
	if ((r = ev_sha256(payload, len, digest)) != 0)
		goto out;
	if ((r = s->sign(s->arg, digest, sig, sizeof(sig), &siglen)) != 0)
		goto out;
	if (siglen == 0 || siglen > sizeof(sig)) {
		r = EV_ERR_SIG_LEN;
		goto out;
	}
	if (s->sender_cert_pem != NULL) {
		pemlen = strlen(s->sender_cert_pem);
		if (pemlen > EV_MAX_AUTHC_SENDER_CERT / 4 * 3) {
			r = EV_ERR_TOO_BIG;
			goto out;
		}
		if ((pem_b64 = ev_buf_new(EV_MAX_AUTHC_SENDER_CERT)) == NULL) {
			r = EV_ERR_NOMEM;
			goto out;
		}
		if ((r = ev_b64_encode(EV_B64_STD, (const uint8_t *)s->sender_cert_pem, pemlen,
		                       pem_b64)) != 0)
			goto out;
		ac.sendercert.data = (uint8_t *)ev_buf_ptr(pem_b64);
		ac.sendercert.len = ev_buf_len(pem_b64);
	}
	body.payload.data = (uint8_t *)payload;
	body.payload.len = len;
	ac.protectedpayload = &body;
	ac.algo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	ac.sendercerthash.data = (uint8_t *)s->cert_hash;
	ac.sendercerthash.len = EV_SHA256_LEN;
	ac.signaturehash.data = sig;
	ac.signaturehash.len = siglen;
	n = org__lfedge__eve__auth__auth_container__get_packed_size(&ac);
	/* malloc(0) may return NULL; a container is never empty anyway. */
	if ((buf = malloc(n > 0 ? n : 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (org__lfedge__eve__auth__auth_container__pack(&ac, buf) != n) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	r = 0;
out:
	ev_memzero(digest, sizeof(digest));
	free(buf);
	ev_buf_free(pem_b64);
	return r;
}

int
ev_authc_sign_privkey(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t *sig, size_t cap,
                      size_t *siglen)
{
	const struct ev_privkey *k = arg;
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *br, *bs;
	const unsigned char *p;
	uint8_t der[EV_MAX_SIGNATURE];
	size_t derlen = sizeof(der), want, half;
	enum ev_key_kind kind;
	int r;

	if (siglen != NULL)
		*siglen = 0;
	if (k == NULL || digest == NULL || sig == NULL || siglen == NULL)
		return EV_ERR_INVALID_ARG;
	kind = ev_privkey_kind(k);
	if (kind == EV_KEY_ED25519)
		return EV_ERR_KEY_TYPE;
	/* Raw r || s of the curve size (P-521: 66 + 66), or the RSA modulus size. */
	want = (size_t)EVP_PKEY_get_size(ev_privkey_evp(k));
	if (kind == EV_KEY_EC_P256)
		want = 64;
	else if (kind == EV_KEY_EC_P384)
		want = 96;
	else if (kind == EV_KEY_EC_P521)
		want = 132;
	if (want > cap || want > sizeof(der))
		return EV_ERR_BUF_FULL;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ev_privkey_evp(k), NULL)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1 ||
	    (kind == EV_KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_sign(ctx, der, &derlen, digest, EV_SHA256_LEN) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if (kind == EV_KEY_RSA) {
		if (derlen != want) {
			r = EV_ERR_CRYPTO;
			goto out;
		}
		memcpy(sig, der, derlen);
		*siglen = derlen;
		r = 0;
		goto out;
	}
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL || p != der + derlen) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	ECDSA_SIG_get0(es, &br, &bs);
	half = want / 2;
	if (BN_bn2binpad(br, sig, (int)half) != (int)half ||
	    BN_bn2binpad(bs, sig + half, (int)half) != (int)half) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	*siglen = want;
	r = 0;
out:
	ERR_clear_error();
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* ---- parsing ---- */

void
ev_authc_free(struct ev_authc *a)
{
	if (a == NULL)
		return;
	/* The payload may be a decrypted-quality secret (a config with keys). */
	ev_freezero(a->payload, a->payload_len);
	free(a->sig);
	free(a->sender_cert);
	free(a);
}

/* A malloc'd copy that is never NULL, so "empty" and "absent" look alike to callers. */
static int
dup_bytes(const ProtobufCBinaryData *b, uint8_t **out, size_t *outlen)
{
	*out = malloc(b->len > 0 ? b->len : 1);
	if (*out == NULL)
		return EV_ERR_NOMEM;
	if (b->len > 0)
		memcpy(*out, b->data, b->len);
	*outlen = b->len;
	return 0;
}

int
ev_authc_parse(const uint8_t *ac, size_t len, size_t max_payload, struct ev_authc **out)
{
	Org__Lfedge__Eve__Auth__AuthContainer *m = NULL;
	struct ev_authc *a = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if ((ac == NULL && len != 0) || out == NULL || max_payload > EV_MAX_AUTHC_PAYLOAD)
		return EV_ERR_INVALID_ARG;
	if (len > EV_MAX_AUTHC)
		return EV_ERR_TOO_BIG;
	if (ac == NULL)
		ac = (const uint8_t *)"";
	if ((m = org__lfedge__eve__auth__auth_container__unpack(NULL, len, ac)) == NULL) {
		r = EV_ERR_AC_PARSE;
		goto out;
	}
	if (m->ciphercontext != NULL || m->cipherdata != NULL) {
		r = EV_ERR_AC_ENCRYPTED;
		goto out;
	}
	if (m->protectedpayload == NULL) {
		r = EV_ERR_AC_NO_PAYLOAD;
		goto out;
	}
	if (m->protectedpayload->payload.len > max_payload) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = dup_bytes(&m->protectedpayload->payload, &a->payload, &a->payload_len)) != 0 ||
	    (r = dup_bytes(&m->signaturehash, &a->sig, &a->sig_len)) != 0 ||
	    (r = dup_bytes(&m->sendercert, &a->sender_cert, &a->sender_cert_len)) != 0)
		goto out;
	a->algo = (int)m->algo;
	a->sender_hash_len = m->sendercerthash.len;
	if (m->sendercerthash.len > 0)
		memcpy(a->sender_hash, m->sendercerthash.data,
		       m->sendercerthash.len < EV_SHA256_LEN ? m->sendercerthash.len
		                                             : EV_SHA256_LEN);
	*out = a;
	a = NULL;
	r = 0;
out:
	ev_authc_free(a);
	if (m != NULL) {
		/* protobuf-c frees without wiping; the payload copy is what we keep. */
		if (m->protectedpayload != NULL && m->protectedpayload->payload.len > 0)
			ev_memzero(m->protectedpayload->payload.data,
			           m->protectedpayload->payload.len);
		org__lfedge__eve__auth__auth_container__free_unpacked(m, NULL);
	}
	return r;
}

/* ---- verification ---- */

/* EVE's header check (tryVerifyAuthContainerHeader), with the length tied to the algo. */
static int
check_sender_hash(const struct ev_authc *a, const uint8_t cert_hash[EV_SHA256_LEN])
{
	size_t want;

	if (a->sender_hash_len != EV_CERT_HASH_SHORT_LEN && a->sender_hash_len != EV_SHA256_LEN)
		return EV_ERR_AC_HASH_SIZE;
	switch (a->algo) {
	case ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES:
		want = EV_CERT_HASH_SHORT_LEN;
		break;
	case ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES:
		want = EV_SHA256_LEN;
		break;
	default: return EV_ERR_AC_ALGO;
	}
	if (a->sender_hash_len != want)
		return EV_ERR_AC_HASH_ALGO;
	if (!ev_timingsafe_eq(a->sender_hash, cert_hash, want))
		return EV_ERR_AC_CERT_MISS;
	return 0;
}

int
ev_authc_verify_key(const struct ev_authc *a, const struct ev_pubkey *key,
                    const uint8_t cert_hash[EV_SHA256_LEN])
{
	int r;

	if (a == NULL || key == NULL || cert_hash == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = check_sender_hash(a, cert_hash)) != 0)
		return r;
	if (ev_pubkey_kind(key) == EV_KEY_ED25519)
		return EV_ERR_KEY_TYPE;
	if (a->sig_len == 0)
		return EV_ERR_SIG_MISSING;
	/* ev_sig_verify insists on the exact raw size before splitting r || s. */
	return ev_sig_verify(key, a->payload, a->payload_len, a->sig, a->sig_len);
}

int
ev_authc_verify(const struct ev_authc *a, const struct ev_ctrlcerts *trust)
{
	if (a == NULL || trust == NULL)
		return EV_ERR_INVALID_ARG;
	return ev_authc_verify_key(a, ev_ctrlcerts_signing_key(trust),
	                           ev_ctrlcerts_signing_hash(trust));
}

int
ev_authc_open(const uint8_t *ac, size_t len, const struct ev_ctrlcerts *trust, size_t max_payload,
              uint8_t **payload, size_t *payload_len)
{
	struct ev_authc *a = NULL;
	int r;

	if (payload != NULL)
		*payload = NULL;
	if (payload_len != NULL)
		*payload_len = 0;
	if (payload == NULL || payload_len == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_authc_parse(ac, len, max_payload, &a)) != 0)
		goto out;
	if (trust != NULL && (r = ev_authc_verify(a, trust)) != 0)
		goto out;
	*payload = a->payload;
	*payload_len = a->payload_len;
	a->payload = NULL;
	a->payload_len = 0;
	r = 0;
out:
	ev_authc_free(a);
	return r;
}

int
ev_authc_sender_cert_pem(const struct ev_authc *a, char **pem, size_t *pemlen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	char *buf = NULL;
	size_t cap, n = 0;
	int r;

	if (pem != NULL)
		*pem = NULL;
	if (pemlen != NULL)
		*pemlen = 0;
	if (a == NULL || pem == NULL)
		return EV_ERR_INVALID_ARG;
	if (a->sender_cert_len == 0)
		return EV_ERR_NOT_FOUND;
	if (a->sender_cert_len > EV_MAX_AUTHC_SENDER_CERT)
		return EV_ERR_TOO_BIG;
	cap = ev_b64_decoded_max(a->sender_cert_len) + 1;
	if ((buf = malloc(cap)) == NULL)
		return EV_ERR_NOMEM;
	if (ev_b64_decode(EV_B64_STD, (const char *)a->sender_cert, a->sender_cert_len,
	                  (uint8_t *)buf, cap - 1, &n) != 0) {
		r = EV_ERR_AC_SENDER_CERT;
		goto out;
	}
	buf[n] = '\0';
	/* Text with a certificate block; the caller's PEM parser does the rest. */
	if (memchr(buf, '\0', n) != NULL || memmem(buf, n, begin, sizeof(begin) - 1) == NULL) {
		r = EV_ERR_AC_SENDER_CERT;
		goto out;
	}
	*pem = buf;
	if (pemlen != NULL)
		*pemlen = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}
