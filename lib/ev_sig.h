/*
 * ev_sig.h - public and private keys, and the signature forms of EVE.
 *
 * Edge-View signs with raw signatures over SHA-256 of the message:
 *  - ECDSA: r || s, each left-padded to the curve size (32, 48 or 66
 *    bytes for P-256, P-384, P-521); never DER.
 *  - RSA: RSASSA-PKCS1-v1_5 with SHA-256.
 *  - Ed25519 (our extension, never sent to EVE peers): pure Ed25519 over
 *    the message itself.
 * The ES256 JWT signature is the P-256 case.  Keys come from PEM
 * (certificate, PUBLIC KEY, SEC1, PKCS#8, PKCS#1) through OpenSSL, from
 * OpenSSH private key files through libssh, and from authorized_keys lines
 * (ev_authkeys.h).
 */
#ifndef EV_SIG_H
#define EV_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

enum ev_key_kind {
	EV_KEY_EC_P256,
	EV_KEY_EC_P384,
	EV_KEY_EC_P521,
	EV_KEY_RSA,
	EV_KEY_ED25519,
};

/* What ev_privkey_generate(EV_KEY_RSA) makes (OpenSSH's default size). */
#define EV_RSA_DEFAULT_BITS 3072

struct ev_pubkey;  /* opaque */
struct ev_privkey; /* opaque; wiped when freed */
typedef struct evp_pkey_st EVP_PKEY;

/* The first PEM block of text: CERTIFICATE or PUBLIC KEY (RSA, EC, Ed25519). */
int ev_pubkey_from_pem(const char *pem, size_t len, struct ev_pubkey **out) EV_WARN_UNUSED;
int ev_pubkey_from_pem_file(const char *path, struct ev_pubkey **out) EV_WARN_UNUSED;
/* Takes its own reference on pk.  EV_ERR_KEY_TYPE / EV_ERR_KEY_CURVE for keys
 * that are not one of the kinds above. */
int ev_pubkey_from_evp(EVP_PKEY *pk, struct ev_pubkey **out) EV_WARN_UNUSED;
void ev_pubkey_free(struct ev_pubkey *k);
enum ev_key_kind ev_pubkey_kind(const struct ev_pubkey *k);
/* The EVP_PKEY inside (borrowed). */
EVP_PKEY *ev_pubkey_evp(const struct ev_pubkey *k);
/* Signature length for the kind (ECDSA fixed; RSA modulus bytes; 64). */
size_t ev_pubkey_sig_len(const struct ev_pubkey *k);
/* Human name of a kind: "ECDSA P-256", "RSA", "Ed25519". */
const char *ev_key_kind_name(enum ev_key_kind kind);
/* The same for a key, with the RSA modulus size ("RSA 2048"). */
const char *ev_pubkey_name(const struct ev_pubkey *k);

/* EV_ERR_SIG_LEN when siglen is wrong for the key, EV_ERR_SIG_INVALID when
 * the signature does not verify. */
int ev_sig_verify(const struct ev_pubkey *k, const uint8_t *msg, size_t msglen, const uint8_t *sig,
                  size_t siglen) EV_WARN_UNUSED;

/* PEM: EC PRIVATE KEY (SEC1), PRIVATE KEY (PKCS#8, encrypted too when a
 * passphrase is given), RSA PRIVATE KEY (PKCS#1), or OPENSSH PRIVATE KEY.
 * The first PEM block decides (EC PARAMETERS blocks before it are skipped).
 * EV_ERR_KEY_PASSPHRASE when the key is encrypted and passphrase is NULL or
 * wrong; EV_ERR_KEY_PARSE for anything unreadable; EV_ERR_KEY_TYPE /
 * EV_ERR_KEY_CURVE for keys of another kind; EV_ERR_KEY_UNSUPPORTED for a
 * passphrase-protected OpenSSH RSA key (libssh 0.10 cannot hand it over;
 * `ssh-keygen -p -m PKCS8` converts it).  Never prompts. */
int ev_privkey_from_pem(const char *pem, size_t len, const char *passphrase,
                        struct ev_privkey **out) EV_WARN_UNUSED;
int ev_privkey_from_file(const char *path, const char *passphrase,
                         struct ev_privkey **out) EV_WARN_UNUSED;
void ev_privkey_free(struct ev_privkey *k);
enum ev_key_kind ev_privkey_kind(const struct ev_privkey *k);
/* The EVP_PKEY inside (borrowed). */
EVP_PKEY *ev_privkey_evp(const struct ev_privkey *k);
int ev_privkey_public(const struct ev_privkey *k, struct ev_pubkey **out) EV_WARN_UNUSED;
/* Writes the signature into sig (capacity cap, EV_MAX_SIGNATURE suffices). */
int ev_sig_sign(const struct ev_privkey *k, const uint8_t *msg, size_t msglen, uint8_t *sig,
                size_t cap, size_t *siglen) EV_WARN_UNUSED;
/* Generate a fresh key (tests, the demo, `edgeview token mint`). */
int ev_privkey_generate(enum ev_key_kind kind, struct ev_privkey **out) EV_WARN_UNUSED;
/* An RSA key of 2048..8192 bits. */
int ev_privkey_generate_rsa(unsigned int bits, struct ev_privkey **out) EV_WARN_UNUSED;
/* A key of OpenSSL type "RSA" or "EC" from the parameters in bld, which is
 * consumed.  selection: EVP_PKEY_PUBLIC_KEY or EVP_PKEY_KEYPAIR.
 * EV_ERR_CRYPTO if OpenSSL cannot start, bad_code if the parameters make no
 * valid key (a point off the curve). */
typedef struct ossl_param_bld_st OSSL_PARAM_BLD;
int ev_pkey_fromdata(const char *type, int selection, OSSL_PARAM_BLD *bld, int bad_code,
                     EVP_PKEY **out) EV_WARN_UNUSED;
/* PEM (PKCS#8) of a private key, or PUBLIC KEY of a public one, malloc'd. */
int ev_privkey_to_pem(const struct ev_privkey *k, char **out) EV_WARN_UNUSED;
int ev_pubkey_to_pem(const struct ev_pubkey *k, char **out) EV_WARN_UNUSED;

#endif
