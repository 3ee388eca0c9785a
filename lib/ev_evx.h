/*
 * ev_evx.h - EVX1, the encrypted channel between our client and our device
 * (tokens with enc: true).  EVE's own enc mode cannot interoperate
 * (edgeview-protocol.md 6.5), so both ends, when they are ours, set up keys
 * that each side can derive: the client opens every connection with a
 * hello, the device answers with one, and every later frame is AES-256-GCM
 * under a per-direction key with a sequence number the receiver insists on.
 *
 *	hello:  {"message":<{"evx":1,"session":S,"nonce":N}>,
 *	         "sha256Hash":HMAC(JWT key, message),"Signature":null,
 *	         "iv":<12 zero bytes>,"cipher":"EVX1-HELLO"}
 *	data:   {"message":<ct||tag>,"sha256Hash":<32 zeros>,"Signature":null,
 *	         "iv":<0000 || seq, 8 bytes big-endian>,"cipher":"EVX1-AES-256-GCM"}
 *	key_dir = HKDF-SHA256(ikm = JWT key, salt = SHA-256(JWT),
 *	                      info = label || 0x00 || S || client N || device N)
 *	AAD = "evx1" || 'c'|'d' (direction) || 't'|'b' (frame) || seq (8 bytes BE)
 *
 * Session ids and nonces are the 22-character base64url (no padding) text
 * of 16 random bytes; they enter the key derivation as that text.
 */
#ifndef EV_EVX_H
#define EV_EVX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_crypto.h"
#include "ev_limits.h"

struct ev_buf;
struct ev_envelope;

#define EV_EVX_ID_LEN       22u
#define EV_EVX_CIPHER_HELLO "EVX1-HELLO"
#define EV_EVX_CIPHER_DATA  "EVX1-AES-256-GCM"

/* out receives base64url-nopad of 16 bytes from the CSPRNG, NUL-terminated. */
int ev_evx_random_id(char out[EV_EVX_ID_LEN + 1]) EV_WARN_UNUSED;
/* Exactly 22 base64url characters in the canonical spelling of 16 bytes. */
bool ev_evx_id_valid(const char *id);

/* By the envelope's cipher name only (exact, case-sensitive). */
bool ev_evx_is_hello(const struct ev_envelope *e);
bool ev_evx_is_data(const struct ev_envelope *e);

/* ---- hello (both directions: the client's, and the device's answer) ---- */
struct ev_evx_hello {
	char session[EV_EVX_ID_LEN + 1];
	char nonce[EV_EVX_ID_LEN + 1];
};

/* Append the hello envelope; key is the JWT "key" (not empty). */
int ev_evx_hello_seal(const uint8_t *key, size_t keylen, const char *session, const char *nonce,
                      struct ev_buf *out) EV_WARN_UNUSED;
/* Check cipher (EV_ERR_EVX_CIPHER), iv (EV_ERR_EVX_IV), no Signature
 * (EV_ERR_EVX_FIELDS), HMAC (EV_ERR_ENV_HMAC), then the message: JSON
 * object with evx 1 (EV_ERR_EVX_HELLO, EV_ERR_TOO_BIG) and valid ids
 * (EV_ERR_EVX_ID).  Unknown keys are ignored.  out is zeroed on failure. */
int ev_evx_hello_open(const struct ev_envelope *e, const uint8_t *key, size_t keylen,
                      struct ev_evx_hello *out) EV_WARN_UNUSED;

/* ---- the channel ---- */
struct ev_evx_chan {
	uint8_t tx_key[EV_AES256_KEY_LEN];
	uint8_t rx_key[EV_AES256_KEY_LEN];
	uint64_t tx_seq; /* last sent; 0 before the first */
	uint64_t rx_seq; /* last accepted; 0 before the first */
	bool client_side;
	bool ready;
};

/* Derive both keys from the JWT compact string, its "key" claim and the two
 * hellos.  The struct is wiped first and stays unusable on failure. */
int ev_evx_chan_init(struct ev_evx_chan *c, bool client_side, const char *jwt, size_t jwtlen,
                     const uint8_t *key, size_t keylen, const char *session,
                     const char *client_nonce, const char *device_nonce) EV_WARN_UNUSED;
void ev_evx_chan_wipe(struct ev_evx_chan *c);
bool ev_evx_chan_ready(const struct ev_evx_chan *c);

/* Append the data envelope of pt (at most EV_MAX_EVX_PLAINTEXT bytes) for a
 * text or binary frame.  tx_seq advances only on success; out is left as it
 * was on failure. */
int ev_evx_seal(struct ev_evx_chan *c, bool binary, const uint8_t *pt, size_t len,
                struct ev_buf *out) EV_WARN_UNUSED;
/* Open a data envelope received in a text or binary frame.  *pt receives the
 * malloc'd plaintext followed by a NUL (not counted in *ptlen); free it with
 * ev_freezero(*pt, *ptlen).  Errors: EV_ERR_EVX_NO_CHANNEL, EV_ERR_EVX_CIPHER,
 * EV_ERR_EVX_IV, EV_ERR_EVX_FIELDS, EV_ERR_EVX_SEQ (not rx_seq + 1),
 * EV_ERR_EVX_EXHAUSTED, EV_ERR_TRUNCATED (shorter than a tag),
 * EV_ERR_ENV_DECRYPT.  rx_seq advances only on success. */
int ev_evx_open(struct ev_evx_chan *c, const struct ev_envelope *e, bool binary, uint8_t **pt,
                size_t *ptlen) EV_WARN_UNUSED;

#endif
