/*
 * ev_encoding.h - base64 and hex, with Go's exact acceptance rules.
 *
 * Go's encoding/base64 (used by encoding/json for []byte and by the JWT code
 * for RawURLEncoding) ignores '\r' and '\n' anywhere in the input and does
 * not insist that unused trailing bits are zero; everything else is strict.
 * Decoding runs without data-dependent table lookups, because a JWT payload
 * carries the session's HMAC key.
 */
#ifndef EV_ENCODING_H
#define EV_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_buf;

enum ev_b64_variant {
	EV_B64_STD,     /* A-Z a-z 0-9 + /, '=' padding required (Go StdEncoding) */
	EV_B64_URL_RAW, /* A-Z a-z 0-9 - _, no padding (Go RawURLEncoding) */
};

/* Encoded length for n input bytes. */
size_t ev_b64_encoded_len(enum ev_b64_variant v, size_t n);
/* Upper bound of the decoded length of n input characters. */
size_t ev_b64_decoded_max(size_t n);
/* Append the encoding of in to out. */
int ev_b64_encode(enum ev_b64_variant v, const uint8_t *in, size_t inlen,
                  struct ev_buf *out) EV_WARN_UNUSED;
/* Decode into out (capacity outcap, at least ev_b64_decoded_max(inlen)). */
int ev_b64_decode(enum ev_b64_variant v, const char *in, size_t inlen, uint8_t *out, size_t outcap,
                  size_t *outlen) EV_WARN_UNUSED;

/*
 * Decode one UTF-8 sequence at s (n > 0 bytes available) as Go's
 * utf8.DecodeRune does: returns the code point and its width, or -1 with
 * width 1 for anything invalid (overlong, surrogate, > U+10FFFF, short).
 */
int32_t ev_utf8_decode(const uint8_t *s, size_t n, size_t *width);

/* Lowercase hex of in into out (2*inlen + 1 bytes, NUL-terminated). */
void ev_hex_encode(const uint8_t *in, size_t inlen, char *out);
/* Exactly 2*outlen hex digits of either case. */
int ev_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen) EV_WARN_UNUSED;

#endif
