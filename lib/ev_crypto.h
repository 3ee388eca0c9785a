/*
 * ev_crypto.h - the symmetric primitives we use, as thin OpenSSL 3 EVP
 * wrappers: SHA-256, HMAC-SHA256, HKDF-SHA256, AES-256-GCM, AES-256-CFB
 * (128-bit segments, Go's NewCFBEncrypter, only for the legacy EVE <= 16.5
 * envelope), and the system CSPRNG.  Each returns 0 or EV_ERR_*.
 */
#ifndef EV_CRYPTO_H
#define EV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_limits.h"

#define EV_AES256_KEY_LEN 32u
#define EV_GCM_IV_LEN     12u
#define EV_GCM_TAG_LEN    16u
#define EV_CFB_IV_LEN     16u
#define EV_MD5_LEN        16u

int ev_sha256(const void *p, size_t len, uint8_t out[EV_SHA256_LEN]) EV_WARN_UNUSED;
/* Only for the IV of the EVE <= 16.4 CFB envelope (IV = MD5(key)). */
int ev_md5(const void *p, size_t len, uint8_t out[EV_MD5_LEN]) EV_WARN_UNUSED;
int ev_hmac_sha256(const void *key, size_t keylen, const void *p, size_t len,
                   uint8_t out[EV_HMAC_LEN]) EV_WARN_UNUSED;
/* RFC 5869; salt may be NULL/0 (HKDF then uses a zero salt), info may be empty. */
int ev_hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
                   const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen) EV_WARN_UNUSED;
/* ct receives ptlen + EV_GCM_TAG_LEN bytes (ciphertext || tag). */
int ev_aes256gcm_seal(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t *iv, size_t ivlen,
                      const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t ptlen,
                      uint8_t *ct) EV_WARN_UNUSED;
/* ct is ciphertext || tag; pt receives ctlen - EV_GCM_TAG_LEN bytes.
 * EV_ERR_ENV_DECRYPT if the tag does not verify (pt is then wiped),
 * EV_ERR_TRUNCATED if ct is shorter than a tag.  ivlen may be anything
 * from 1 to what OpenSSL accepts (EV_ERR_INVALID_ARG beyond); pt may be ct. */
int ev_aes256gcm_open(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t *iv, size_t ivlen,
                      const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
                      uint8_t *pt) EV_WARN_UNUSED;
int ev_aes256cfb_encrypt(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t iv[EV_CFB_IV_LEN],
                         const uint8_t *in, size_t len, uint8_t *out) EV_WARN_UNUSED;
int ev_aes256cfb_decrypt(const uint8_t key[EV_AES256_KEY_LEN], const uint8_t iv[EV_CFB_IV_LEN],
                         const uint8_t *in, size_t len, uint8_t *out) EV_WARN_UNUSED;
int ev_random(void *p, size_t len) EV_WARN_UNUSED;

#endif
