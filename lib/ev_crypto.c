/* ev_crypto.c - SHA-256, HMAC, HKDF, AES-GCM, AES-CFB and randomness via OpenSSL 3 EVP. */
#include "ev_crypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ev_err.h"
#include "ev_mem.h"

/* The EVP update calls take an int length; feed larger inputs in slices. */
#define CHUNK_MAX (1u << 30)

/* OpenSSL rejects NULL data pointers in places even for zero lengths. */
static const uint8_t empty_input[1];

static const void *
nonnull(const void *p)
{
	return p != NULL ? p : empty_input;
}

int
ev_sha256(const void *p, size_t len, uint8_t out[EV_SHA256_LEN])
{
	unsigned int outlen = 0;

	if (p == NULL && len != 0)
		return EV_ERR_INVALID_ARG;
	if (EVP_Digest(nonnull(p), len, out, &outlen, EVP_sha256(), NULL) != 1 ||
	    outlen != EV_SHA256_LEN) {
		ERR_clear_error();
		return EV_ERR_CRYPTO;
	}
	return 0;
}

int
ev_md5(const void *p, size_t len, uint8_t out[EV_MD5_LEN])
{
	unsigned int outlen = 0;

	if (p == NULL && len != 0)
		return EV_ERR_INVALID_ARG;
	if (EVP_Digest(nonnull(p), len, out, &outlen, EVP_md5(), NULL) != 1 ||
	    outlen != EV_MD5_LEN) {
		ERR_clear_error();
		return EV_ERR_CRYPTO;
	}
	return 0;
}

int
ev_hmac_sha256(const void *key, size_t keylen, const void *p, size_t len, uint8_t out[EV_HMAC_LEN])
{
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0;
	int r;

	if ((key == NULL && keylen != 0) || (p == NULL && len != 0))
		return EV_ERR_INVALID_ARG;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* EVE 16.6.0 uses an empty key: a non-NULL pointer with length 0 makes
	 * OpenSSL set that empty key instead of complaining that none is set. */
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, nonnull(key), keylen, params) != 1 ||
	    EVP_MAC_update(ctx, nonnull(p), len) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, EV_HMAC_LEN) != 1 || outlen != EV_HMAC_LEN) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		ERR_clear_error();
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int
ev_hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
               const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[5], *pp = params;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	int r;

	if ((ikm == NULL && ikmlen != 0) || (salt == NULL && saltlen != 0) ||
	    (info == NULL && infolen != 0) || out == NULL || outlen == 0 ||
	    outlen > 255 * EV_SHA256_LEN)
		return EV_ERR_INVALID_ARG;
	*pp++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)nonnull(ikm), ikmlen);
	/* Absent salt: OpenSSL then uses HashLen zero bytes, as RFC 5869 says. */
	if (saltlen != 0)
		*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
		                                          saltlen);
	if (infolen != 0)
		*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
		                                          infolen);
	*pp = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL || EVP_KDF_derive(ctx, out, outlen, params) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		ev_memzero(out, outlen);
		ERR_clear_error();
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

/* Runs the cipher over len bytes in int-sized slices. */
static int
cipher_update(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < CHUNK_MAX ? len - done : CHUNK_MAX;
		int outl = 0;

		if (EVP_CipherUpdate(ctx, out + done, &outl, in + done, (int)n) != 1 || outl < 0 ||
		    (size_t)outl != n)
			return EV_ERR_CRYPTO;
		done += n;
	}
	return 0;
}

/* Sets up AES-256-GCM with an IV of any length OpenSSL accepts. */
static int
gcm_init(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key, const uint8_t *iv, size_t ivlen,
         const uint8_t *aad, size_t aadlen)
{
	OSSL_PARAM params[2];
	size_t len = ivlen;

	if (EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), NULL, NULL, enc, NULL) != 1)
		return EV_ERR_CRYPTO;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &len);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(ctx, params) != 1)
		return EV_ERR_INVALID_ARG; /* an IV length OpenSSL does not take */
	if (EVP_CipherInit_ex2(ctx, NULL, key, iv, enc, NULL) != 1)
		return EV_ERR_CRYPTO;
	if (aadlen != 0) {
		size_t done = 0;

		while (done < aadlen) {
			size_t n = aadlen - done < CHUNK_MAX ? aadlen - done : CHUNK_MAX;
			int outl = 0;

			if (EVP_CipherUpdate(ctx, NULL, &outl, aad + done, (int)n) != 1)
				return EV_ERR_CRYPTO;
			done += n;
		}
	}
	return 0;
}

int
ev_aes256gcm_seal(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t *iv, size_t ivlen,
                  const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	EVP_CIPHER_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	int outl = 0, r;

	if (key == NULL || iv == NULL || ivlen == 0 || (aad == NULL && aadlen != 0) ||
	    (pt == NULL && ptlen != 0) || ct == NULL || ptlen > SIZE_MAX - EV_GCM_TAG_LEN)
		return EV_ERR_INVALID_ARG;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = gcm_init(ctx, 1, key, iv, ivlen, aad, aadlen)) != 0 ||
	    (r = cipher_update(ctx, pt, ptlen, ct)) != 0)
		goto out;
	if (EVP_CipherFinal_ex(ctx, ct + ptlen, &outl) != 1 || outl != 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + ptlen,
	                                              EV_GCM_TAG_LEN);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_get_params(ctx, params) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		if (ct != NULL)
			ev_memzero(ct, ptlen + EV_GCM_TAG_LEN);
		ERR_clear_error();
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
ev_aes256gcm_open(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t *iv, size_t ivlen,
                  const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	uint8_t tag[EV_GCM_TAG_LEN];
	size_t ptlen;
	int outl = 0, r;

	if (key == NULL || iv == NULL || ivlen == 0 || (aad == NULL && aadlen != 0) || ct == NULL ||
	    (pt == NULL && ctlen > EV_GCM_TAG_LEN))
		return EV_ERR_INVALID_ARG;
	if (ctlen < EV_GCM_TAG_LEN)
		return EV_ERR_TRUNCATED;
	ptlen = ctlen - EV_GCM_TAG_LEN;
	/* Copy the tag first: pt may overlap ct. */
	memcpy(tag, ct + ptlen, sizeof(tag));
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = gcm_init(ctx, 0, key, iv, ivlen, aad, aadlen)) != 0 ||
	    (r = cipher_update(ctx, ct, ptlen, pt)) != 0)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag));
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(ctx, params) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	/* The tag check happens here; 0 means forged or damaged input. */
	if (EVP_CipherFinal_ex(ctx, pt != NULL ? pt + ptlen : tag, &outl) != 1) {
		r = EV_ERR_ENV_DECRYPT;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		/* Unauthenticated plaintext must never reach the caller. */
		if (pt != NULL)
			ev_memzero(pt, ptlen);
		ERR_clear_error();
	}
	ev_memzero(tag, sizeof(tag));
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int
cfb_crypt(int enc, const uint8_t key[EV_AES256_KEY_LEN], const uint8_t iv[EV_CFB_IV_LEN],
          const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int outl = 0, r;

	if (key == NULL || iv == NULL || ((in == NULL || out == NULL) && len != 0))
		return EV_ERR_INVALID_ARG;
	if (len == 0)
		return 0;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* Go's NewCFBEncrypter is full-block (128-bit segment) CFB. */
	if (EVP_CipherInit_ex2(ctx, EVP_aes_256_cfb128(), key, iv, enc, NULL) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = cipher_update(ctx, in, len, out)) != 0)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + len, &outl) != 1 || outl != 0) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		ev_memzero(out, len);
		ERR_clear_error();
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int
ev_aes256cfb_encrypt(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t iv[EV_CFB_IV_LEN],
                     const uint8_t *in, size_t len, uint8_t *out)
{
	return cfb_crypt(1, key, iv, in, len, out);
}

int
ev_aes256cfb_decrypt(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t iv[EV_CFB_IV_LEN],
                     const uint8_t *in, size_t len, uint8_t *out)
{
	return cfb_crypt(0, key, iv, in, len, out);
}

int
ev_random(void *p, size_t len)
{
	uint8_t *q = p;
	size_t done = 0;

	if (p == NULL && len != 0)
		return EV_ERR_INVALID_ARG;
	while (done < len) {
		size_t n = len - done < CHUNK_MAX ? len - done : CHUNK_MAX;

		if (RAND_bytes(q + done, (int)n) != 1) {
			ev_memzero(p, len);
			ERR_clear_error();
			return EV_ERR_CRYPTO;
		}
		done += n;
	}
	return 0;
}
