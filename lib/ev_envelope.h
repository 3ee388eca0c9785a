/*
 * ev_envelope.h - the JSON envelope around every device <-> client payload
 * (edgeview-protocol.md section 6).
 *
 *	{"message":<base64>,"sha256Hash":[32 numbers],"Signature":<base64|null>
 *	 [,"iv":<base64>][,"cipher":"..."]}
 *
 * Mode 0 (HMAC): sha256Hash = HMAC-SHA256(JWT key, message).
 * Modes 1 and 2 (signed commands): sha256Hash is zero, Signature is r||s or
 * RSA PKCS#1 v1.5 over SHA-256(message) (ev_sig.h).
 * Encrypted envelopes (EVE 0.8.8 AES-GCM, EVE <= 16.5 AES-CFB) are detected
 * and refused with their own error codes: the 0.8.8 scheme cannot
 * interoperate (each Go process keys it with a secret it never shares).
 *
 * ev_envelope_parse() follows Go's decoding: any failure means the message
 * is not an envelope ("raw"), which the receiver handles separately
 * (dispatcher control strings).  Checks are computed over the decoded
 * message bytes only, never over re-serialised JSON.
 */
#ifndef EV_ENVELOPE_H
#define EV_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_json.h"
#include "ev_limits.h"

struct ev_buf;
struct ev_pubkey;
struct ev_privkey;
struct ev_authkeys;
struct ev_authkey;

struct ev_envelope {
	struct ev_bytes message;
	uint8_t hash[EV_SHA256_LEN];
	struct ev_bytes signature;
	struct ev_bytes iv;
	char *cipher;
};

/* Go-compatible decode; cap EV_MAX_ENVELOPE.  Any error = "not an envelope". */
int ev_envelope_parse(const char *json, size_t len, struct ev_envelope *out) EV_WARN_UNUSED;
void ev_envelope_free(struct ev_envelope *e); /* wipes the message */

/* Mode 0: append the HMAC envelope of payload to out (exactly Go's bytes). */
int ev_envelope_seal_hmac(const uint8_t *key, size_t keylen, const uint8_t *payload, size_t len,
                          struct ev_buf *out) EV_WARN_UNUSED;
/* Modes 1/2: the signed envelope (sha256Hash zero, Signature set). */
int ev_envelope_seal_signed(const struct ev_privkey *key, const uint8_t *payload, size_t len,
                            struct ev_buf *out) EV_WARN_UNUSED;

/* Any envelope, field by field, in Go's order: sig NULL gives "Signature":null;
 * iv (ivlen 0) and cipher (NULL or "") are omitted when empty, as Go's
 * omitempty does.  For our own extensions (ev_evx.h).  On failure out is
 * left as it was. */
int ev_envelope_seal_fields(const uint8_t *payload, size_t len, const uint8_t hash[EV_SHA256_LEN],
                            const uint8_t *sig, size_t siglen, const uint8_t *iv, size_t ivlen,
                            const char *cipher, struct ev_buf *out) EV_WARN_UNUSED;

/* Check a mode-0 envelope.  token_enc is the JWT's "enc" flag.
 * EV_ERR_ENV_GCM_UNSUPPORTED / EV_ERR_ENV_CFB_UNSUPPORTED for encrypted
 * envelopes, EV_ERR_ENV_HMAC when the MAC does not match. */
int ev_envelope_check_hmac(const struct ev_envelope *e, const uint8_t *key, size_t keylen,
                           bool token_enc) EV_WARN_UNUSED;
/* Check a signed envelope against one key (aut 1): EV_ERR_SIG_MISSING when
 * Signature is empty, else ev_sig_verify's result. */
int ev_envelope_check_sig(const struct ev_envelope *e, const struct ev_pubkey *key) EV_WARN_UNUSED;
/* Against trusted SSH keys (aut 2); *match receives the key that verified. */
int ev_envelope_check_authkeys(const struct ev_envelope *e, const struct ev_authkeys *keys,
                               const struct ev_authkey **match) EV_WARN_UNUSED;

/* What kind of encryption, if any, an envelope carries (for messages). */
enum ev_envelope_enc {
	EV_ENV_PLAIN,
	EV_ENV_GCM_088,  /* cipher "AES-GCM" or a 12-byte iv: EVE 16.7+ */
	EV_ENV_CFB_IV,   /* 16-byte iv, no cipher: EVE 16.5 */
	EV_ENV_CFB_NOIV, /* token enc, no iv: EVE <= 16.4 */
};
enum ev_envelope_enc ev_envelope_encryption(const struct ev_envelope *e, bool token_enc);

#endif
