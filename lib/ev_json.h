/*
 * ev_json.h - JSON the way Go's encoding/json writes and reads it.
 *
 * Writing: the ev_json_put_* helpers append to an ev_buf exactly the bytes
 * Go produces: compact, HTML-safe string escapes (\u003c \u003e \u0026),
 * \u2028/\u2029 escaped, invalid UTF-8 replaced by \ufffd, []byte as padded
 * standard base64 or null, [N]byte as an array of numbers.  Struct encoders
 * in the message modules call them in Go's field order.
 *
 * Reading: ev_json_parse() parses with jansson under a size cap, and
 * ev_json_decode() fills a C struct from a field table with Go's rules:
 * keys match case-insensitively (Go's folding, including U+212A and U+017F),
 * unknown keys are ignored, the last of duplicate keys wins, null leaves a
 * field untouched (a byte string becomes nil), and a wrong type or an
 * out-of-range number fails the whole decode.  Deviations from Go: a string field containing "\u0000"
 * is EV_ERR_NUL_BYTE (a C string would end there), and integers beyond the
 * int64 range are a syntax error for jansson, where Go would accept them in
 * ignored keys.  jansson also keeps only the last of two identical keys
 * (Go applies both in order, which differs when the last is null), reads
 * -0 as 0 for unsigned fields, and refuses invalid UTF-8 that Go would
 * replace with U+FFFD.  None of these occur in what EVE's programs send.
 */
#ifndef EV_JSON_H
#define EV_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_buf;

/* A byte string decoded from JSON ([]byte in Go): nil when p == NULL. */
struct ev_bytes {
	uint8_t *p;
	size_t len;
};

void ev_bytes_free(struct ev_bytes *b); /* wipes */

/* ---- writing ---- */
int ev_json_put_string(struct ev_buf *b, const char *s, size_t len) EV_WARN_UNUSED;
int ev_json_put_cstring(struct ev_buf *b, const char *s) EV_WARN_UNUSED; /* NULL -> "" */
/* Go []byte: null when p == NULL, else "base64" (std, padded). */
int ev_json_put_b64(struct ev_buf *b, const uint8_t *p, size_t len) EV_WARN_UNUSED;
/* Go [N]byte: [n0,n1,...]. */
int ev_json_put_byte_array(struct ev_buf *b, const uint8_t *p, size_t len) EV_WARN_UNUSED;
int ev_json_put_u64(struct ev_buf *b, uint64_t v) EV_WARN_UNUSED;
int ev_json_put_i64(struct ev_buf *b, int64_t v) EV_WARN_UNUSED;
int ev_json_put_bool(struct ev_buf *b, bool v) EV_WARN_UNUSED;
/* Appends `"name":` preceded by ',' unless first. */
int ev_json_put_key(struct ev_buf *b, const char *name, bool first) EV_WARN_UNUSED;

/* ---- reading ---- */
enum ev_json_type {
	EV_JSON_STRING,     /* char *, malloc'd, NUL-terminated, <= maxlen bytes */
	EV_JSON_BOOL,       /* bool */
	EV_JSON_U8,         /* uint8_t */
	EV_JSON_U16,        /* uint16_t */
	EV_JSON_U32,        /* uint32_t */
	EV_JSON_U64,        /* uint64_t */
	EV_JSON_I32,        /* int32_t */
	EV_JSON_I64,        /* int64_t */
	EV_JSON_BYTES,      /* struct ev_bytes: base64 string or array of 0..255 */
	EV_JSON_BYTE_ARRAY, /* uint8_t[maxlen]: array of 0..255, short zero-fills */
	EV_JSON_PRESENT,    /* json_t * borrowed from the document (any type) */
};

struct ev_json_field {
	const char *name; /* Go's JSON key */
	enum ev_json_type type;
	size_t offset; /* offsetof() the destination in the struct */
	size_t maxlen; /* STRING/BYTES: byte cap; BYTE_ARRAY: array size */
	size_t seen;   /* EV_JSON_SEEN(type, member) of a bool set when the
				key occurs, or 0 for none */
};

/* Stored off by one so that 0 (the default) means "not tracked". */
#define EV_JSON_SEEN(type, member) (offsetof(type, member) + 1)

/* Parse len bytes (which must be <= max) of JSON text; any top-level value.
 * EV_ERR_TOO_BIG, EV_ERR_JSON_SYNTAX (including trailing garbage). */
int ev_json_parse(const char *text, size_t len, size_t max, json_t **out) EV_WARN_UNUSED;
/* Decode a parsed value into out per the table. Top-level null is accepted
 * as Go does (out unchanged); anything but an object is EV_ERR_JSON_TYPE. */
int ev_json_decode(const json_t *v, const struct ev_json_field *fields, size_t nfields,
                   void *out) EV_WARN_UNUSED;
/* Go's case-insensitive key equality (bytes.EqualFold on the JSON key). */
bool ev_json_key_matches(const char *field, const char *key, size_t keylen);

#endif
