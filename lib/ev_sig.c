/* ev_sig.c - key loading, raw ECDSA / RSA / Ed25519 signatures (OpenSSL 3 EVP, libssh). */
#include "ev_sig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_mem.h"
#include "ev_sshdl.h"
#include "ev_sshwire.h"

/* RSA moduli we accept: EVE takes any size, but below 1024 bits is a toy, and
 * above 8192 the signature would not fit EV_MAX_SIGNATURE. */
#define RSA_MIN_BITS    1024
#define RSA_MAX_BITS    8192
#define ED25519_LEN     32u
#define ED25519_SIG_LEN 64u

#define OPENSSH_MAGIC    "openssh-key-v1"      /* followed by a NUL on the wire */
#define OPENSSH_PEM_NAME "OPENSSH PRIVATE KEY" /* PEM label of that container */

struct ev_pubkey {
	EVP_PKEY *pk;
	enum ev_key_kind kind;
	size_t siglen;
	char name[24];
};

struct ev_privkey {
	EVP_PKEY *pk;
	enum ev_key_kind kind;
	size_t siglen;
};

static const uint8_t empty_msg[1];

const char *
ev_key_kind_name(enum ev_key_kind kind)
{
	switch (kind) {
	case EV_KEY_EC_P256: return "ECDSA P-256";
	case EV_KEY_EC_P384: return "ECDSA P-384";
	case EV_KEY_EC_P521: return "ECDSA P-521";
	case EV_KEY_RSA: return "RSA";
	case EV_KEY_ED25519: return "Ed25519";
	}
	return "unknown";
}

/* Maps an EVP_PKEY onto one of our kinds and its signature length. */
static int
classify(const EVP_PKEY *pk, enum ev_key_kind *kind, size_t *siglen)
{
	char group[80];
	size_t glen = 0;
	int nid, bits;

	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1) {
			ERR_clear_error();
			return EV_ERR_KEY_CURVE; /* explicit parameters, not a named curve */
		}
		if ((nid = OBJ_sn2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		switch (nid) {
		case NID_X9_62_prime256v1:
			*kind = EV_KEY_EC_P256;
			*siglen = 64;
			return 0;
		case NID_secp384r1:
			*kind = EV_KEY_EC_P384;
			*siglen = 96;
			return 0;
		case NID_secp521r1:
			*kind = EV_KEY_EC_P521;
			*siglen = 132;
			return 0;
		default: return EV_ERR_KEY_CURVE;
		}
	}
	/* "RSA" is not true for RSA-PSS keys, whose use we could not honour. */
	if (EVP_PKEY_is_a(pk, "RSA")) {
		bits = EVP_PKEY_get_bits(pk);
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
			return EV_ERR_KEY_TYPE;
		*kind = EV_KEY_RSA;
		*siglen = ((size_t)bits + 7) / 8;
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "ED25519")) {
		*kind = EV_KEY_ED25519;
		*siglen = ED25519_SIG_LEN;
		return 0;
	}
	return EV_ERR_KEY_TYPE;
}

int
ev_pubkey_from_evp(EVP_PKEY *pk, struct ev_pubkey **out)
{
	struct ev_pubkey *k = NULL;
	enum ev_key_kind kind = EV_KEY_EC_P256;
	size_t siglen = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (pk == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = classify(pk, &kind, &siglen)) != 0)
		return r;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return EV_ERR_NOMEM;
	if (EVP_PKEY_up_ref(pk) != 1) {
		free(k);
		return EV_ERR_CRYPTO;
	}
	k->pk = pk;
	k->kind = kind;
	k->siglen = siglen;
	if (kind == EV_KEY_RSA)
		snprintf(k->name, sizeof(k->name), "RSA %d", EVP_PKEY_get_bits(pk));
	else
		snprintf(k->name, sizeof(k->name), "%s", ev_key_kind_name(kind));
	*out = k;
	return 0;
}

void
ev_pubkey_free(struct ev_pubkey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pk);
	free(k);
}

enum ev_key_kind
ev_pubkey_kind(const struct ev_pubkey *k)
{
	return k->kind;
}

EVP_PKEY *
ev_pubkey_evp(const struct ev_pubkey *k)
{
	return k->pk;
}

size_t
ev_pubkey_sig_len(const struct ev_pubkey *k)
{
	return k->siglen;
}

const char *
ev_pubkey_name(const struct ev_pubkey *k)
{
	return k->name;
}

/* The first PEM block of a text, decoded; lines before its BEGIN line are
 * skipped, as Go's pem.Decode does.  Freed with pem_block_free, which wipes
 * (the block may be a private key). */
struct pem_block {
	char *name;
	char *header;
	unsigned char *data;
	long len;
};

static void
pem_block_free(struct pem_block *b)
{
	if (b->name != NULL)
		OPENSSL_secure_clear_free(b->name, strlen(b->name));
	if (b->header != NULL)
		OPENSSL_secure_clear_free(b->header, strlen(b->header));
	if (b->data != NULL)
		OPENSSL_secure_clear_free(b->data, b->len > 0 ? (size_t)b->len : 0);
	memset(b, 0, sizeof(*b));
}

/* Reads the first PEM block; with skip_ec_params, EC PARAMETERS blocks (what
 * `openssl ecparam -genkey` writes before the key) are passed over. */
static int
pem_first_block(const char *pem, size_t len, bool skip_ec_params, struct pem_block *b)
{
	BIO *bio = NULL;
	int r;

	memset(b, 0, sizeof(*b));
	if (len > EV_MAX_PEM_FILE)
		return EV_ERR_TOO_BIG;
	if (len == 0)
		return EV_ERR_KEY_PARSE;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return EV_ERR_NOMEM;
	for (;;) {
		/* PEM_FLAG_SECURE: the decoded bytes and every temporary copy live
		 * in memory that is wiped when freed. */
		if (PEM_read_bio_ex(bio, &b->name, &b->header, &b->data, &b->len,
		                    PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) != 1 ||
		    b->len <= 0) {
			r = EV_ERR_KEY_PARSE;
			goto out;
		}
		if (!skip_ec_params || strcmp(b->name, "EC PARAMETERS") != 0)
			break;
		pem_block_free(b);
	}
	r = 0;
out:
	if (r != 0) {
		pem_block_free(b);
		ERR_clear_error();
	}
	BIO_free(bio);
	return r;
}

int
ev_pubkey_from_pem(const char *pem, size_t len, struct ev_pubkey **out)
{
	struct pem_block b = {0};
	const unsigned char *p;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (pem == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = pem_first_block(pem, len, false, &b)) != 0)
		goto out;
	/* Public keys and certificates are never encrypted: no headers. */
	if (b.header[0] != '\0') {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	p = b.data;
	if (strcmp(b.name, "CERTIFICATE") == 0) {
		if ((x = d2i_X509(NULL, &p, b.len)) == NULL || p != b.data + b.len) {
			r = EV_ERR_KEY_PARSE;
			goto out;
		}
		/* Parsed certificate, but a key algorithm OpenSSL does not know. */
		if ((pk = X509_get_pubkey(x)) == NULL) {
			r = EV_ERR_KEY_TYPE;
			goto out;
		}
	} else if (strcmp(b.name, "PUBLIC KEY") == 0) {
		if ((pk = d2i_PUBKEY(NULL, &p, b.len)) == NULL || p != b.data + b.len) {
			r = EV_ERR_KEY_PARSE;
			goto out;
		}
	} else {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	r = ev_pubkey_from_evp(pk, out);
out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_free(pk);
	X509_free(x);
	pem_block_free(&b);
	return r;
}

int
ev_pubkey_from_pem_file(const char *path, struct ev_pubkey **out)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_file_read_capped(path, EV_MAX_PEM_FILE, &buf, &len)) != 0)
		return r;
	r = ev_pubkey_from_pem(buf, len, out);
	free(buf);
	return r;
}

/* One EVP_DigestVerify; md NULL for Ed25519 (pure). */
static int
digest_verify(EVP_PKEY *pk, const char *md, bool rsa, const uint8_t *sig, size_t siglen,
              const uint8_t *msg, size_t msglen)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pk, NULL) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	/* Anything but 1 (0 = mismatch, <0 = malformed) is a bad signature. */
	r = EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1 ? 0 : EV_ERR_SIG_INVALID;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return r;
}

/* r || s (each siglen/2 bytes, big-endian) to the DER form OpenSSL checks. */
static int
ecdsa_raw_to_der(const uint8_t *sig, size_t siglen, uint8_t **der, size_t *derlen)
{
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *es = NULL;
	uint8_t *buf = NULL, *p;
	size_t half = siglen / 2;
	int n, r;

	*der = NULL;
	*derlen = 0;
	if ((br = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
	    (bs = BN_bin2bn(sig + half, (int)half, NULL)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* OpenSSL rejects r, s >= n itself; zero we refuse before building DER. */
	if (BN_is_zero(br) || BN_is_zero(bs)) {
		r = EV_ERR_SIG_INVALID;
		goto out;
	}
	if ((es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	br = bs = NULL; /* owned by es now */
	if ((n = i2d_ECDSA_SIG(es, NULL)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((buf = malloc((size_t)n)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	p = buf;
	if (i2d_ECDSA_SIG(es, &p) != n) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	*der = buf;
	*derlen = (size_t)n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	return r;
}

int
ev_sig_verify(const struct ev_pubkey *k, const uint8_t *msg, size_t msglen, const uint8_t *sig,
              size_t siglen)
{
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	if (k == NULL || (msg == NULL && msglen != 0) || (sig == NULL && siglen != 0))
		return EV_ERR_INVALID_ARG;
	if (msg == NULL)
		msg = empty_msg;
	if (siglen != k->siglen)
		return EV_ERR_SIG_LEN;
	switch (k->kind) {
	case EV_KEY_EC_P256:
	case EV_KEY_EC_P384:
	case EV_KEY_EC_P521:
		if ((r = ecdsa_raw_to_der(sig, siglen, &der, &derlen)) != 0)
			goto out;
		r = digest_verify(k->pk, "SHA256", false, der, derlen, msg, msglen);
		break;
	case EV_KEY_RSA: r = digest_verify(k->pk, "SHA256", true, sig, siglen, msg, msglen); break;
	case EV_KEY_ED25519: r = digest_verify(k->pk, NULL, false, sig, siglen, msg, msglen); break;
	default: r = EV_ERR_KEY_TYPE; break;
	}
out:
	free(der);
	return r;
}

/* ---- private keys ---- */

static int
privkey_wrap(EVP_PKEY *pk, struct ev_privkey **out)
{
	struct ev_privkey *k = NULL;
	enum ev_key_kind kind = EV_KEY_EC_P256;
	size_t siglen = 0;
	int r;

	*out = NULL;
	if ((r = classify(pk, &kind, &siglen)) != 0)
		return r;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return EV_ERR_NOMEM;
	if (EVP_PKEY_up_ref(pk) != 1) {
		free(k);
		return EV_ERR_CRYPTO;
	}
	k->pk = pk;
	k->kind = kind;
	k->siglen = siglen;
	*out = k;
	return 0;
}

void
ev_privkey_free(struct ev_privkey *k)
{
	if (k == NULL)
		return;
	/* OpenSSL clears the key material of the EVP_PKEY when it frees it. */
	EVP_PKEY_free(k->pk);
	ev_freezero(k, sizeof(*k));
}

enum ev_key_kind
ev_privkey_kind(const struct ev_privkey *k)
{
	return k->kind;
}

EVP_PKEY *
ev_privkey_evp(const struct ev_privkey *k)
{
	return k->pk;
}

/* Never prompts: OpenSSL's default callback would read the terminal. */
static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n;

	(void)rwflag;
	if (pass == NULL || size <= 0)
		return -1;
	n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pass, n);
	return (int)n;
}

/* Decodes exactly one PEM block (re-encoded on its own, so that OpenSSL cannot
 * wander to a later block) into a private key. */
static int
pem_block_to_pkey(const struct pem_block *b, const char *passphrase, EVP_PKEY **out)
{
	BIO *bio = NULL;
	int r;

	*out = NULL;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (PEM_write_bio(bio, b->name, b->header, b->data, b->len) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((*out = PEM_read_bio_PrivateKey_ex(bio, NULL, pass_cb, (void *)passphrase, NULL,
	                                       NULL)) == NULL) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

/*
 * OpenSSH private keys (openssh-key-v1, OpenSSH's PROTOCOL.key).
 *
 * An unencrypted container is read here, strictly (it is a format, not
 * cryptography), then libssh must accept it too.  Reading it ourselves is
 * needed because libssh 0.10 offers no public way to get a key's material
 * out except re-exporting it, and that fails for RSA keys under OpenSSL 3
 * (libssh keeps only n, e and d, which OpenSSL cannot encode).  Checking
 * first also keeps malformed containers away from libssh's error paths,
 * some of which leak (found by fuzz_privkey_pem).
 *
 * An encrypted container needs libssh's bcrypt-pbkdf and cipher: libssh
 * decrypts, then re-exports ECDSA keys as PKCS#8 and Ed25519 keys as an
 * unencrypted container (read as above).  Encrypted RSA containers cannot be
 * handed over (EV_ERR_KEY_UNSUPPORTED).
 */

/* Ed25519: string pk, string seed || pk.  The public blob is type, pk. */
static int
openssh_ed25519(struct ev_sshwire *kw, struct ev_sshwire *pw, EVP_PKEY **out)
{
	const uint8_t *pk, *pub, *sk;
	size_t pklen, publen, sklen;
	uint8_t check[ED25519_LEN];
	size_t checklen = sizeof(check);
	EVP_PKEY *k = NULL;
	int r;

	*out = NULL;
	if (ev_sshwire_get_string(pw, &pub, &publen) != 0 || publen != ED25519_LEN ||
	    !ev_sshwire_done(pw) || ev_sshwire_get_string(kw, &pk, &pklen) != 0 ||
	    pklen != ED25519_LEN || memcmp(pk, pub, ED25519_LEN) != 0 ||
	    ev_sshwire_get_string(kw, &sk, &sklen) != 0 || sklen != 2 * ED25519_LEN ||
	    memcmp(sk + ED25519_LEN, pub, ED25519_LEN) != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, ED25519_LEN)) == NULL ||
	    EVP_PKEY_get_raw_public_key(k, check, &checklen) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	/* The stored public key must be the one the seed derives. */
	if (checklen != sizeof(check) || memcmp(check, pub, sizeof(check)) != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	EVP_PKEY_free(k);
	return r;
}

static BIGNUM *
mpint_bn(struct ev_sshwire *w, bool secret)
{
	const uint8_t *p;
	size_t n;
	BIGNUM *b;

	if (ev_sshwire_get_mpint_pos(w, &p, &n) != 0 || n > EV_RSA_MAX_SIG)
		return NULL;
	if ((b = secret ? BN_secure_new() : BN_new()) == NULL)
		return NULL;
	if (BN_bin2bn(p, (int)n, b) == NULL) {
		BN_clear_free(b);
		return NULL;
	}
	return b;
}

/* RSA: mpint n, e, d, iqmp, p, q.  The public blob is type, e, n.  OpenSSL 3.0
 * wants the CRT exponents too: d mod (p - 1) and d mod (q - 1). */

int
ev_pkey_fromdata(const char *type, int selection, OSSL_PARAM_BLD *bld, int bad_code, EVP_PKEY **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	*out = NULL;
	if (bld == NULL || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	/* Fails for parameters that make no key, e.g. a point off the curve. */
	r = EVP_PKEY_fromdata(ctx, out, selection, params) == 1 ? 0 : bad_code;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* secret BNs went to its secure, wiped part */
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
openssh_rsa(struct ev_sshwire *kw, struct ev_sshwire *pw, EVP_PKEY **out)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL, *q = NULL;
	BIGNUM *pn = NULL, *pe = NULL, *dp = NULL, *dq = NULL, *t = NULL;
	BN_CTX *bnctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *chk = NULL;
	int r;

	*out = NULL;
	if ((pe = mpint_bn(pw, false)) == NULL || (pn = mpint_bn(pw, false)) == NULL ||
	    !ev_sshwire_done(pw) || (n = mpint_bn(kw, false)) == NULL ||
	    (e = mpint_bn(kw, false)) == NULL || (d = mpint_bn(kw, true)) == NULL ||
	    (iqmp = mpint_bn(kw, true)) == NULL || (p = mpint_bn(kw, true)) == NULL ||
	    (q = mpint_bn(kw, true)) == NULL || BN_cmp(n, pn) != 0 || BN_cmp(e, pe) != 0 ||
	    BN_num_bits(n) > RSA_MAX_BITS) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if ((bnctx = BN_CTX_secure_new()) == NULL || (t = BN_secure_new()) == NULL ||
	    (dp = BN_secure_new()) == NULL || (dq = BN_secure_new()) == NULL ||
	    BN_copy(t, p) == NULL || BN_sub_word(t, 1) != 1 || BN_mod(dp, d, t, bnctx) != 1 ||
	    BN_copy(t, q) == NULL || BN_sub_word(t, 1) != 1 || BN_mod(dq, d, t, bnctx) != 1 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = ev_pkey_fromdata("RSA", EVP_PKEY_KEYPAIR, bld, EV_ERR_KEY_PARSE, out);
	bld = NULL;
	if (r != 0)
		goto out;
	/* n = p q, e d = 1 and the CRT values must all agree. */
	if ((chk = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL)) == NULL ||
	    EVP_PKEY_pairwise_check(chk) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(chk);
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bnctx);
	BN_free(n);
	BN_free(e);
	BN_free(pn);
	BN_free(pe);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(t);
	return r;
}

/* ECDSA: string curve, string Q, mpint d.  The public blob is type, curve, Q. */
static int
openssh_ecdsa(struct ev_sshwire *kw, struct ev_sshwire *pw, const char *curve, const char *group,
              size_t field, EVP_PKEY **out)
{
	const uint8_t *q, *pq;
	size_t qlen, pqlen;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	int r;

	*out = NULL;
	if (ev_sshwire_get_string_eq(pw, curve) != 0 ||
	    ev_sshwire_get_string(pw, &pq, &pqlen) != 0 || !ev_sshwire_done(pw) ||
	    ev_sshwire_get_string_eq(kw, curve) != 0 || ev_sshwire_get_string(kw, &q, &qlen) != 0 ||
	    qlen != pqlen || memcmp(q, pq, qlen) != 0 || qlen != 1 + 2 * field || q[0] != 0x04 ||
	    (d = mpint_bn(kw, true)) == NULL || BN_num_bytes(d) > (int)field) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	/* d against Q is checked by the caller. */
	r = ev_pkey_fromdata("EC", EVP_PKEY_KEYPAIR, bld, EV_ERR_KEY_PARSE, out);
	bld = NULL;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return r;
}

static int
openssh_plain_to_pkey(const uint8_t *blob, size_t len, EVP_PKEY **out)
{
	struct ev_sshwire w, pw, kw;
	const uint8_t *s, *pubblob, *priv, *type;
	size_t n, publen, privlen, typelen, i;
	uint32_t nkeys, c1, c2;
	int r;

	*out = NULL;
	if (len < sizeof(OPENSSH_MAGIC) || memcmp(blob, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0)
		return EV_ERR_KEY_PARSE;
	ev_sshwire_init(&w, blob + sizeof(OPENSSH_MAGIC), len - sizeof(OPENSSH_MAGIC));
	if (ev_sshwire_get_string_eq(&w, "none") != 0 ||
	    ev_sshwire_get_string_eq(&w, "none") != 0 || ev_sshwire_get_string(&w, &s, &n) != 0 ||
	    n != 0 || ev_sshwire_get_u32(&w, &nkeys) != 0 || nkeys != 1 ||
	    ev_sshwire_get_string(&w, &pubblob, &publen) != 0 ||
	    ev_sshwire_get_string(&w, &priv, &privlen) != 0 || !ev_sshwire_done(&w))
		return EV_ERR_KEY_PARSE;
	ev_sshwire_init(&pw, pubblob, publen);
	ev_sshwire_init(&kw, priv, privlen);
	/* check ints (equal once decrypted), then the key type, named in both parts */
	if (ev_sshwire_get_u32(&kw, &c1) != 0 || ev_sshwire_get_u32(&kw, &c2) != 0 || c1 != c2 ||
	    ev_sshwire_get_string(&kw, &type, &typelen) != 0 ||
	    ev_sshwire_get_string(&pw, &s, &n) != 0 || n != typelen || memcmp(s, type, n) != 0)
		return EV_ERR_KEY_PARSE;
	if (typelen == 11 && memcmp(type, "ssh-ed25519", 11) == 0)
		r = openssh_ed25519(&kw, &pw, out);
	else if (typelen == 7 && memcmp(type, "ssh-rsa", 7) == 0)
		r = openssh_rsa(&kw, &pw, out);
	else if (typelen == 19 && memcmp(type, "ecdsa-sha2-nistp256", 19) == 0)
		r = openssh_ecdsa(&kw, &pw, "nistp256", "P-256", 32, out);
	else if (typelen == 19 && memcmp(type, "ecdsa-sha2-nistp384", 19) == 0)
		r = openssh_ecdsa(&kw, &pw, "nistp384", "P-384", 48, out);
	else if (typelen == 19 && memcmp(type, "ecdsa-sha2-nistp521", 19) == 0)
		r = openssh_ecdsa(&kw, &pw, "nistp521", "P-521", 66, out);
	else
		r = EV_ERR_KEY_TYPE;
	if (r != 0)
		goto out;
	/* comment, then padding 1, 2, 3, ... */
	if (ev_sshwire_get_string(&kw, &s, &n) != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	for (i = 0; i < kw.len; i++) {
		if (kw.p[i] != (uint8_t)(i + 1)) {
			r = EV_ERR_KEY_PARSE;
			goto out;
		}
	}
	r = 0;
out:
	if (r != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		ERR_clear_error();
	}
	return r;
}

/* libssh's unencrypted container text (of an Ed25519 key) to a key. */
static int
pkey_from_openssh_text(const char *text, EVP_PKEY **out)
{
	struct pem_block b = {0};
	int r;

	*out = NULL;
	if ((r = pem_first_block(text, strlen(text), false, &b)) != 0)
		goto out;
	if (strcmp(b.name, OPENSSH_PEM_NAME) != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	r = openssh_plain_to_pkey(b.data, (size_t)b.len, out);
out:
	pem_block_free(&b);
	return r;
}

/* The libssh key type that goes with one of our kinds. */
static enum ssh_keytypes_e
ssh_type_of(const EVP_PKEY *pk)
{
	enum ev_key_kind kind = EV_KEY_EC_P256;
	size_t siglen = 0;

	if (classify(pk, &kind, &siglen) != 0)
		return SSH_KEYTYPE_UNKNOWN;
	switch (kind) {
	case EV_KEY_EC_P256: return SSH_KEYTYPE_ECDSA_P256;
	case EV_KEY_EC_P384: return SSH_KEYTYPE_ECDSA_P384;
	case EV_KEY_EC_P521: return SSH_KEYTYPE_ECDSA_P521;
	case EV_KEY_RSA: return SSH_KEYTYPE_RSA;
	case EV_KEY_ED25519: return SSH_KEYTYPE_ED25519;
	}
	return SSH_KEYTYPE_UNKNOWN;
}

/* An OPENSSH PRIVATE KEY block (decoded bytes in b); see above. */
static int
privkey_from_openssh(const struct pem_block *b, const char *passphrase, EVP_PKEY **out)
{
	const struct ev_sshdl *L = ev_sshdl();
	static const char begin[] = "-----BEGIN " OPENSSH_PEM_NAME "-----\n";
	static const char end[] = "\n-----END " OPENSSH_PEM_NAME "-----\n";
	struct ev_buf *text = NULL;
	struct ev_sshwire w;
	struct pem_block eb = {0};
	const uint8_t *cipher;
	size_t cipherlen;
	bool encrypted;
	enum ssh_keytypes_e type;
	ssh_key key = NULL;
	EVP_PKEY *pk = NULL;
	char *exported = NULL;
	int r;

	*out = NULL;
	if (L == NULL) {
		r = EV_ERR_LIBSSH;
		goto out;
	}
	if ((size_t)b->len < sizeof(OPENSSH_MAGIC) ||
	    memcmp(b->data, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	ev_sshwire_init(&w, b->data + sizeof(OPENSSH_MAGIC),
	                (size_t)b->len - sizeof(OPENSSH_MAGIC));
	if (ev_sshwire_get_string(&w, &cipher, &cipherlen) != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	encrypted = !(cipherlen == 4 && memcmp(cipher, "none", 4) == 0);
	if (encrypted && passphrase == NULL) {
		r = EV_ERR_KEY_PASSPHRASE;
		goto out;
	}
	if (!encrypted && (r = openssh_plain_to_pkey(b->data, (size_t)b->len, &pk)) != 0)
		goto out;
	/* Hand libssh exactly this block, in the canonical text form. */
	if ((text = ev_buf_new(sizeof(begin) + sizeof(end) +
	                       ev_b64_encoded_len(EV_B64_STD, (size_t)b->len))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_buf_put_str(text, begin)) != 0 ||
	    (r = ev_b64_encode(EV_B64_STD, b->data, (size_t)b->len, text)) != 0 ||
	    (r = ev_buf_put_str(text, end)) != 0)
		goto out;
	if (L->pki_import_privkey_base64(ev_buf_str(text), encrypted ? passphrase : NULL, NULL,
	                                 NULL, &key) != SSH_OK) {
		r = encrypted ? EV_ERR_KEY_PASSPHRASE : EV_ERR_KEY_PARSE;
		goto out;
	}
	type = L->key_type(key);
	if (!encrypted) {
		/* libssh agrees with our reading: done. */
		if (type != ssh_type_of(pk)) {
			r = EV_ERR_KEY_PARSE;
			goto out;
		}
		*out = pk;
		pk = NULL;
		r = 0;
		goto out;
	}
	if (type != SSH_KEYTYPE_ECDSA_P256 && type != SSH_KEYTYPE_ECDSA_P384 &&
	    type != SSH_KEYTYPE_ECDSA_P521 && type != SSH_KEYTYPE_ED25519) {
		r = type == SSH_KEYTYPE_RSA ? EV_ERR_KEY_UNSUPPORTED : EV_ERR_KEY_TYPE;
		goto out;
	}
	if (L->pki_export_privkey_base64(key, NULL, NULL, NULL, &exported) != SSH_OK ||
	    exported == NULL) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	if (type == SSH_KEYTYPE_ED25519) {
		r = pkey_from_openssh_text(exported, out);
		goto out;
	}
	if ((r = pem_first_block(exported, strlen(exported), false, &eb)) != 0)
		goto out;
	if (strcmp(eb.name, "PRIVATE KEY") != 0) {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	r = pem_block_to_pkey(&eb, NULL, out);
out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_free(pk);
	pem_block_free(&eb);
	if (exported != NULL) {
		ev_memzero(exported, strlen(exported));
		L->string_free_char(exported);
	}
	if (L != NULL)
		L->key_free(key);
	ev_buf_free(text);
	return r;
}

/* SEC1 and PKCS#8 carry the public key next to the private one and OpenSSL
 * does not compare them: a damaged file would sign with one key while
 * ev_privkey_public reports another. */
static int
check_pair(EVP_PKEY *pk)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	r = EVP_PKEY_pairwise_check(ctx) == 1 ? 0 : EV_ERR_KEY_PARSE;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
ev_privkey_from_pem(const char *pem, size_t len, const char *passphrase, struct ev_privkey **out)
{
	struct pem_block b = {0};
	struct ev_privkey *k = NULL;
	EVP_PKEY *pk = NULL;
	bool encrypted;
	int r;

	if (out != NULL)
		*out = NULL;
	if (pem == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = pem_first_block(pem, len, true, &b)) != 0)
		goto out;
	if (strcmp(b.name, OPENSSH_PEM_NAME) == 0) {
		if ((r = privkey_from_openssh(&b, passphrase, &pk)) != 0)
			goto out;
	} else if (strcmp(b.name, "EC PRIVATE KEY") == 0 ||
	           strcmp(b.name, "RSA PRIVATE KEY") == 0 || strcmp(b.name, "PRIVATE KEY") == 0 ||
	           strcmp(b.name, "ENCRYPTED PRIVATE KEY") == 0) {
		/* PKCS#8 encryption, or the traditional Proc-Type header of -m PEM. */
		encrypted = strcmp(b.name, "ENCRYPTED PRIVATE KEY") == 0 ||
		            strstr(b.header, "ENCRYPTED") != NULL;
		if (encrypted && passphrase == NULL) {
			r = EV_ERR_KEY_PASSPHRASE;
			goto out;
		}
		if ((r = pem_block_to_pkey(&b, passphrase, &pk)) != 0) {
			if (encrypted)
				r = EV_ERR_KEY_PASSPHRASE;
			goto out;
		}
	} else {
		r = EV_ERR_KEY_PARSE;
		goto out;
	}
	/* The kind first: no pairwise check on a key we would refuse anyway. */
	if ((r = privkey_wrap(pk, &k)) != 0 || (r = check_pair(pk)) != 0)
		goto out;
	*out = k;
	k = NULL;
	r = 0;
out:
	ev_privkey_free(k);
	EVP_PKEY_free(pk);
	pem_block_free(&b);
	return r;
}

int
ev_privkey_from_file(const char *path, const char *passphrase, struct ev_privkey **out)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_file_read_capped(path, EV_MAX_PEM_FILE, &buf, &len)) != 0)
		return r;
	r = ev_privkey_from_pem(buf, len, passphrase, out);
	ev_freezero(buf, len + 1);
	return r;
}

int
ev_privkey_public(const struct ev_privkey *k, struct ev_pubkey **out)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	int n, r;

	if (out != NULL)
		*out = NULL;
	if (k == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	/* A round trip through SubjectPublicKeyInfo leaves no private half. */
	if ((n = i2d_PUBKEY(k->pk, &der)) <= 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	p = der;
	if ((pk = d2i_PUBKEY(NULL, &p, n)) == NULL) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = ev_pubkey_from_evp(pk, out);
out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_free(pk);
	OPENSSL_free(der);
	return r;
}

int
ev_sig_sign(const struct ev_privkey *k, const uint8_t *msg, size_t msglen, uint8_t *sig, size_t cap,
            size_t *siglen)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *br, *bs;
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t derlen = 0, half, len;
	bool ec;
	int r;

	if (siglen != NULL)
		*siglen = 0;
	if (k == NULL || (msg == NULL && msglen != 0) || sig == NULL || siglen == NULL)
		return EV_ERR_INVALID_ARG;
	if (msg == NULL)
		msg = empty_msg;
	if (cap < k->siglen)
		return EV_ERR_BUF_FULL;
	ec = k->kind == EV_KEY_EC_P256 || k->kind == EV_KEY_EC_P384 || k->kind == EV_KEY_EC_P521;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit_ex(ctx, &pctx, k->kind == EV_KEY_ED25519 ? NULL : "SHA256", NULL,
	                          NULL, k->pk, NULL) != 1 ||
	    (k->kind == EV_KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if (!ec) {
		len = k->siglen;
		if (EVP_DigestSign(ctx, sig, &len, msg, msglen) != 1 || len != k->siglen) {
			r = EV_ERR_CRYPTO;
			goto out;
		}
		*siglen = len;
		r = 0;
		goto out;
	}
	/* EVP_PKEY_get_size is the largest DER signature of the key. */
	derlen = (size_t)EVP_PKEY_get_size(k->pk);
	if ((der = malloc(derlen)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, der, &derlen, msg, msglen) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL || p != der + derlen) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	ECDSA_SIG_get0(es, &br, &bs);
	/* Fixed width: a leading zero byte of r or s stays in the signature. */
	half = k->siglen / 2;
	if (BN_bn2binpad(br, sig, (int)half) != (int)half ||
	    BN_bn2binpad(bs, sig + half, (int)half) != (int)half) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	*siglen = k->siglen;
	r = 0;
out:
	if (r != 0) {
		ev_memzero(sig, cap < k->siglen ? cap : k->siglen);
		ERR_clear_error();
	}
	ECDSA_SIG_free(es);
	free(der);
	EVP_MD_CTX_free(ctx);
	return r;
}

int
ev_privkey_generate(enum ev_key_kind kind, struct ev_privkey **out)
{
	EVP_PKEY *pk = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	switch (kind) {
	case EV_KEY_EC_P256: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case EV_KEY_EC_P384: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
	case EV_KEY_EC_P521: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"); break;
	case EV_KEY_RSA:
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)EV_RSA_DEFAULT_BITS);
		break;
	case EV_KEY_ED25519: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	default: return EV_ERR_INVALID_ARG;
	}
	if (pk == NULL) {
		ERR_clear_error();
		return EV_ERR_CRYPTO;
	}
	r = privkey_wrap(pk, out);
	EVP_PKEY_free(pk);
	return r;
}

int
ev_privkey_generate_rsa(unsigned int bits, struct ev_privkey **out)
{
	EVP_PKEY *pk = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || bits < 2048 || bits > RSA_MAX_BITS)
		return EV_ERR_INVALID_ARG;
	if ((pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) == NULL) {
		ERR_clear_error();
		return EV_ERR_CRYPTO;
	}
	r = privkey_wrap(pk, out);
	EVP_PKEY_free(pk);
	return r;
}

/* The text a BIO holds as a malloc'd C string (wiped by the caller if secret). */
static int
bio_to_string(BIO *bio, char **out)
{
	char *p = NULL;
	long n;

	*out = NULL;
	if ((n = BIO_get_mem_data(bio, &p)) <= 0 || p == NULL)
		return EV_ERR_CRYPTO;
	if ((*out = ev_strndup(p, (size_t)n)) == NULL)
		return EV_ERR_NOMEM;
	return 0;
}

int
ev_privkey_to_pem(const struct ev_privkey *k, char **out)
{
	BIO *bio = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (k == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	/* A secure-memory BIO wipes its buffer when it grows and when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (PEM_write_bio_PrivateKey(bio, k->pk, NULL, NULL, 0, NULL, NULL) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = bio_to_string(bio, out);
out:
	if (r != 0)
		ERR_clear_error();
	BIO_free(bio);
	return r;
}

int
ev_pubkey_to_pem(const struct ev_pubkey *k, char **out)
{
	BIO *bio = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (k == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (PEM_write_bio_PUBKEY(bio, k->pk) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = bio_to_string(bio, out);
out:
	if (r != 0)
		ERR_clear_error();
	BIO_free(bio);
	return r;
}
