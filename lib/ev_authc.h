/*
 * ev_authc.h - the v2 AuthContainer envelope of the EVE device API
 * (device-api section 3, auth/auth.proto).
 *
 * Sealing (device -> controller): payload, algo SHA256_32BYTES,
 * senderCertHash = SHA-256 of the sender certificate's DER, signatureHash =
 * a signature over SHA-256(payload) made by a callback (a TPM or a key file),
 * raw r || s for ECDSA.  For POST /register, senderCert carries
 * base64(PEM of the onboarding certificate): EVE and Adam put the PEM text
 * through base64 once more although the field is already bytes.
 *
 * Opening (controller -> device) follows EVE's VerifyAuthContainer, with
 * length checks EVE lacks: the sender hash must be 16 or 32 bytes, its algo
 * must say which, and it must equal SHA-256 of the signing certificate's PEM
 * bytes (or their first 16 bytes); the signature is then checked with the
 * signing certificate's key (ECDSA raw r || s of the curve's size, or RSA
 * PKCS#1 v1.5, both over SHA-256 of the payload).  Encrypted containers
 * (cipherContext/cipherData, only used by EVE for a local operator console)
 * are refused.  GET /certs is opened without verification (EVE parity),
 * because it carries the certificates that verification needs.
 */
#ifndef EV_AUTHC_H
#define EV_AUTHC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_limits.h"

struct ev_ctrlcerts;
struct ev_privkey;
struct ev_pubkey;

/*
 * Sign a SHA-256 digest.  ECDSA: write r || s, each left-padded to the curve
 * size (64 bytes for P-256) into sig (capacity cap, EV_MAX_SIGNATURE), set
 * *siglen, return 0; any EV_ERR_* aborts the seal and is passed on.
 */
typedef int (*ev_authc_sign_fn)(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t *sig,
                                size_t cap, size_t *siglen);

struct ev_authc_signer {
	ev_authc_sign_fn sign;
	void *arg;
	/* SHA-256 of the sender certificate's DER (device or onboarding cert) */
	uint8_t cert_hash[EV_SHA256_LEN];
	/* register only (else NULL): the onboarding certificate's PEM text,
	 * sent as base64(PEM) in senderCert */
	const char *sender_cert_pem;
};

/*
 * Wrap payload (len <= EV_MAX_AUTHC_PAYLOAD; may be empty, e.g. UuidRequest)
 * into a signed, serialized AuthContainer; *out is malloc'd.
 * EV_ERR_TOO_BIG over the cap, EV_ERR_SIG_LEN if the callback returns an
 * empty or oversized signature, or the callback's own error.
 */
int ev_authc_seal(const struct ev_authc_signer *s, const uint8_t *payload, size_t len,
                  uint8_t **out, size_t *outlen) EV_WARN_UNUSED;

/*
 * An ev_authc_sign_fn for a software key: arg is a const struct ev_privkey *
 * (ECDSA P-256/384/521 gives raw r || s; RSA gives PKCS#1 v1.5, which Adam
 * verifies but EVE never produces).  EV_ERR_KEY_TYPE for Ed25519.
 */
int ev_authc_sign_privkey(void *arg, const uint8_t digest[EV_SHA256_LEN], uint8_t *sig, size_t cap,
                          size_t *siglen) EV_WARN_UNUSED;

/* A parsed container; every pointer is owned by it (never NULL), lengths may be 0. */
struct ev_authc {
	uint8_t *payload; /* protectedPayload.payload */
	size_t payload_len;
	int algo;                           /* HashAlgorithm as received */
	uint8_t sender_hash[EV_SHA256_LEN]; /* the first 32 bytes of senderCertHash */
	size_t sender_hash_len;             /* its real length (verification wants 16 or 32) */
	uint8_t *sig;                       /* signatureHash */
	size_t sig_len;
	uint8_t *sender_cert; /* senderCert as received (base64 of PEM) */
	size_t sender_cert_len;
};

/*
 * Decode without verifying; fields that only verification uses are not
 * judged here, so an unverified GET /certs is as lenient as EVE's.
 * EV_ERR_TOO_BIG if len > EV_MAX_AUTHC or the payload > max_payload
 * (itself <= EV_MAX_AUTHC_PAYLOAD), EV_ERR_AC_PARSE if the bytes are not a
 * protobuf AuthContainer, EV_ERR_AC_ENCRYPTED if cipherContext or cipherData
 * is present, EV_ERR_AC_NO_PAYLOAD if protectedPayload is absent (an empty
 * payload is fine: Go and protobuf-c always send the field).
 */
int ev_authc_parse(const uint8_t *ac, size_t len, size_t max_payload,
                   struct ev_authc **out) EV_WARN_UNUSED;
void ev_authc_free(struct ev_authc *a);

/*
 * Check a parsed container against a signer: hash (EV_ERR_AC_HASH_SIZE not
 * 16 or 32 bytes, EV_ERR_AC_ALGO unknown algo, EV_ERR_AC_HASH_ALGO length not
 * matching it, EV_ERR_AC_CERT_MISS mismatch), then the signature (EV_ERR_SIG_MISSING empty, EV_ERR_SIG_LEN
 * wrong size for the key, EV_ERR_SIG_INVALID, EV_ERR_KEY_TYPE for an Ed25519
 * key, which EVE cannot use either).
 *   ev_authc_verify: signer = the controller signing cert of trust;
 *   ev_authc_verify_key: any key and the full SHA-256 its hashes are cut from
 *   (a test controller checking a device container, or tests).
 */
int ev_authc_verify(const struct ev_authc *a, const struct ev_ctrlcerts *trust) EV_WARN_UNUSED;
int ev_authc_verify_key(const struct ev_authc *a, const struct ev_pubkey *key,
                        const uint8_t cert_hash[EV_SHA256_LEN]) EV_WARN_UNUSED;

/*
 * Parse, verify against trust (NULL: skip verification, GET /certs only) and
 * hand over the payload: *payload is malloc'd (non-NULL even when empty).
 */
int ev_authc_open(const uint8_t *ac, size_t len, const struct ev_ctrlcerts *trust,
                  size_t max_payload, uint8_t **payload, size_t *payload_len) EV_WARN_UNUSED;

/*
 * senderCert decoded: the PEM text (NUL-terminated, malloc'd) of a register
 * container.  EV_ERR_NOT_FOUND if the field is empty, EV_ERR_AC_SENDER_CERT
 * if it is not standard base64 of text holding a PEM CERTIFICATE block.
 */
int ev_authc_sender_cert_pem(const struct ev_authc *a, char **pem, size_t *pemlen) EV_WARN_UNUSED;

#endif
