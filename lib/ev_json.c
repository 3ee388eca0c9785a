/* ev_json.c - Go encoding/json compatible writing and table-driven reading. */
#include "ev_json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_mem.h"

void
ev_bytes_free(struct ev_bytes *b)
{
	if (b == NULL)
		return;
	ev_freezero(b->p, b->len);
	b->p = NULL;
	b->len = 0;
}

int
ev_json_put_string(struct ev_buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, start = 0, w;
	int r;

	if ((r = ev_buf_put_u8(b, '"')) != 0)
		return r;
	while (i < len) {
		uint8_t c = s[i];
		const char *esc = NULL;
		char ubuf[7];

		if (c >= 0x80) {
			int32_t cp = ev_utf8_decode(s + i, len - i, &w);
			if (cp >= 0 && cp != 0x2028 && cp != 0x2029) {
				i += w;
				continue;
			}
			if ((r = ev_buf_put(b, s + start, i - start)) != 0)
				return r;
			esc = cp < 0 ? "\\ufffd" : cp == 0x2028 ? "\\u2028" : "\\u2029";
			if ((r = ev_buf_put_str(b, esc)) != 0)
				return r;
			i += w;
			start = i;
			continue;
		}
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				ubuf[0] = '\\';
				ubuf[1] = 'u';
				ubuf[2] = '0';
				ubuf[3] = '0';
				ubuf[4] = hex[c >> 4];
				ubuf[5] = hex[c & 15];
				ubuf[6] = '\0';
				esc = ubuf;
			}
		}
		if (esc != NULL) {
			if ((r = ev_buf_put(b, s + start, i - start)) != 0 ||
			    (r = ev_buf_put_str(b, esc)) != 0)
				return r;
			start = i + 1;
		}
		i++;
	}
	if ((r = ev_buf_put(b, s + start, len - start)) != 0)
		return r;
	return ev_buf_put_u8(b, '"');
}

int
ev_json_put_cstring(struct ev_buf *b, const char *s)
{
	if (s == NULL)
		s = "";
	return ev_json_put_string(b, s, strlen(s));
}

int
ev_json_put_b64(struct ev_buf *b, const uint8_t *p, size_t len)
{
	int r;

	if (p == NULL)
		return ev_buf_put_str(b, "null");
	if ((r = ev_buf_put_u8(b, '"')) != 0 || (r = ev_b64_encode(EV_B64_STD, p, len, b)) != 0)
		return r;
	return ev_buf_put_u8(b, '"');
}

int
ev_json_put_byte_array(struct ev_buf *b, const uint8_t *p, size_t len)
{
	int r;

	if ((r = ev_buf_put_u8(b, '[')) != 0)
		return r;
	for (size_t i = 0; i < len; i++) {
		if ((r = ev_buf_putf(b, i == 0 ? "%u" : ",%u", (unsigned)p[i])) != 0)
			return r;
	}
	return ev_buf_put_u8(b, ']');
}

int
ev_json_put_u64(struct ev_buf *b, uint64_t v)
{
	return ev_buf_putf(b, "%" PRIu64, v);
}

int
ev_json_put_i64(struct ev_buf *b, int64_t v)
{
	return ev_buf_putf(b, "%" PRId64, v);
}

int
ev_json_put_bool(struct ev_buf *b, bool v)
{
	return ev_buf_put_str(b, v ? "true" : "false");
}

int
ev_json_put_key(struct ev_buf *b, const char *name, bool first)
{
	int r;

	if (!first && (r = ev_buf_put_u8(b, ',')) != 0)
		return r;
	if ((r = ev_json_put_cstring(b, name)) != 0)
		return r;
	return ev_buf_put_u8(b, ':');
}

int
ev_json_parse(const char *text, size_t len, size_t max, json_t **out)
{
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	if (len > max)
		return EV_ERR_TOO_BIG;
	v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL)
		return EV_ERR_JSON_SYNTAX;
	*out = v;
	return 0;
}

/*
 * Go folds keys with bytes.EqualFold: ASCII letters case-insensitively, and
 * the two non-ASCII runes whose simple folding reaches ASCII, U+212A KELVIN
 * SIGN (k) and U+017F LONG S (s).  Our field names are ASCII.
 */
bool
ev_json_key_matches(const char *field, const char *key, size_t keylen)
{
	const uint8_t *k = (const uint8_t *)key;
	size_t i = 0;

	for (; *field != '\0'; field++) {
		char f = *field;
		char fl = (f >= 'A' && f <= 'Z') ? (char)(f - 'A' + 'a') : f;

		if (i >= keylen)
			return false;
		if (k[i] < 0x80) {
			char c = (char)k[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != fl)
				return false;
			i++;
		} else if (fl == 'k' && i + 3 <= keylen && k[i] == 0xe2 && k[i + 1] == 0x84 &&
		           k[i + 2] == 0xaa) {
			i += 3;
		} else if (fl == 's' && i + 2 <= keylen && k[i] == 0xc5 && k[i + 1] == 0xbf) {
			i += 2;
		} else {
			return false;
		}
	}
	return i == keylen;
}

static int
decode_uint(const json_t *v, uint64_t max, uint64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return json_is_number(v) ? EV_ERR_JSON_RANGE : EV_ERR_JSON_TYPE;
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return EV_ERR_JSON_RANGE;
	*out = (uint64_t)n;
	return 0;
}

static int
decode_int(const json_t *v, int64_t min, int64_t max, int64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return json_is_number(v) ? EV_ERR_JSON_RANGE : EV_ERR_JSON_TYPE;
	n = json_integer_value(v);
	if (n < min || n > max)
		return EV_ERR_JSON_RANGE;
	*out = (int64_t)n;
	return 0;
}

/* Elements of a JSON array as bytes: numbers 0..255; null leaves a zero. */
static int
decode_byte_elems(const json_t *arr, uint8_t *out, size_t n)
{
	uint64_t x;
	int r;

	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(arr, i);
		if (json_is_null(e)) {
			out[i] = 0;
			continue;
		}
		if ((r = decode_uint(e, 255, &x)) != 0)
			return r;
		out[i] = (uint8_t)x;
	}
	return 0;
}

static int
decode_bytes(const json_t *v, size_t maxlen, struct ev_bytes *dst)
{
	struct ev_bytes nb = {NULL, 0};
	int r;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t slen = json_string_length(v), cap = ev_b64_decoded_max(slen);

		if (slen / 4 * 3 > maxlen + 3)
			return EV_ERR_TOO_BIG;
		if ((nb.p = malloc(cap)) == NULL)
			return EV_ERR_NOMEM;
		if ((r = ev_b64_decode(EV_B64_STD, s, slen, nb.p, cap, &nb.len)) != 0)
			goto fail;
		if (nb.len > maxlen) {
			r = EV_ERR_TOO_BIG;
			goto fail;
		}
	} else if (json_is_array(v)) {
		nb.len = json_array_size(v);
		if (nb.len > maxlen)
			return EV_ERR_TOO_BIG;
		if ((nb.p = malloc(nb.len > 0 ? nb.len : 1)) == NULL)
			return EV_ERR_NOMEM;
		if ((r = decode_byte_elems(v, nb.p, nb.len)) != 0)
			goto fail;
	} else {
		return EV_ERR_JSON_TYPE;
	}
	ev_bytes_free(dst);
	*dst = nb;
	return 0;
fail:
	ev_freezero(nb.p, ev_b64_decoded_max(json_is_string(v) ? json_string_length(v) : nb.len));
	return r;
}

static int
decode_field(const json_t *v, const struct ev_json_field *f, uint8_t *base)
{
	void *dst = base + f->offset;
	uint64_t u = 0;
	int64_t s = 0;
	int r = 0;

	if (f->type == EV_JSON_PRESENT) {
		*(const json_t **)dst = v;
		return 0;
	}
	if (json_is_null(v)) {
		/* Go: null sets a slice ([]byte) to nil and leaves anything else. */
		if (f->type == EV_JSON_BYTES)
			ev_bytes_free((struct ev_bytes *)dst);
		return 0;
	}
	switch (f->type) {
	case EV_JSON_STRING: {
		char *copy;
		if (!json_is_string(v))
			return EV_ERR_JSON_TYPE;
		if (json_string_length(v) > f->maxlen)
			return EV_ERR_TOO_BIG;
		/* Go keeps "\u0000" inside a string; a C string would silently
		 * end there (a token key cut short), so refuse it. */
		if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
			return EV_ERR_NUL_BYTE;
		if ((copy = ev_strndup(json_string_value(v), json_string_length(v))) == NULL)
			return EV_ERR_NOMEM;
		ev_strfreezero(*(char **)dst);
		*(char **)dst = copy;
		return 0;
	}
	case EV_JSON_BOOL:
		if (!json_is_boolean(v))
			return EV_ERR_JSON_TYPE;
		*(bool *)dst = json_is_true(v);
		return 0;
	case EV_JSON_U8:
		if ((r = decode_uint(v, UINT8_MAX, &u)) == 0)
			*(uint8_t *)dst = (uint8_t)u;
		return r;
	case EV_JSON_U16:
		if ((r = decode_uint(v, UINT16_MAX, &u)) == 0)
			*(uint16_t *)dst = (uint16_t)u;
		return r;
	case EV_JSON_U32:
		if ((r = decode_uint(v, UINT32_MAX, &u)) == 0)
			*(uint32_t *)dst = (uint32_t)u;
		return r;
	case EV_JSON_U64:
		if ((r = decode_uint(v, UINT64_MAX, &u)) == 0)
			*(uint64_t *)dst = u;
		return r;
	case EV_JSON_I32:
		if ((r = decode_int(v, INT32_MIN, INT32_MAX, &s)) == 0)
			*(int32_t *)dst = (int32_t)s;
		return r;
	case EV_JSON_I64:
		if ((r = decode_int(v, INT64_MIN, INT64_MAX, &s)) == 0)
			*(int64_t *)dst = s;
		return r;
	case EV_JSON_BYTES: return decode_bytes(v, f->maxlen, (struct ev_bytes *)dst);
	case EV_JSON_BYTE_ARRAY: {
		/* Go [N]byte: extra elements ignored, missing ones zero. */
		size_t n = json_is_array(v) ? json_array_size(v) : 0;
		uint8_t tmp[256] = {0};
		if (!json_is_array(v))
			return EV_ERR_JSON_TYPE;
		if (f->maxlen > sizeof(tmp))
			return EV_ERR_INVALID_ARG;
		if ((r = decode_byte_elems(v, tmp, n < f->maxlen ? n : f->maxlen)) != 0)
			return r;
		/* Go still type-checks the ignored extra elements. */
		for (size_t i = f->maxlen; i < n; i++) {
			const json_t *e = json_array_get(v, i);
			if (!json_is_null(e) && (r = decode_uint(e, 255, &u)) != 0)
				return r;
		}
		memcpy(dst, tmp, f->maxlen);
		return 0;
	}
	case EV_JSON_PRESENT: break;
	}
	return EV_ERR_INVALID_ARG;
}

int
ev_json_decode(const json_t *v, const struct ev_json_field *fields, size_t nfields, void *out)
{
	const char *key;
	json_t *val;
	int r, first_err = 0;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return EV_ERR_JSON_TYPE;
	/* jansson iterates in document order; a later duplicate overwrites. */
	json_object_foreach ((json_t *)v, key, val) {
		size_t klen = strlen(key);
		const struct ev_json_field *f = NULL;

		/* Go prefers an exact match, then a case-insensitive one. */
		for (size_t i = 0; i < nfields && f == NULL; i++)
			if (strcmp(fields[i].name, key) == 0)
				f = &fields[i];
		for (size_t i = 0; i < nfields && f == NULL; i++)
			if (ev_json_key_matches(fields[i].name, key, klen))
				f = &fields[i];
		if (f == NULL)
			continue;
		if (f->seen != 0)
			*(bool *)((uint8_t *)out + f->seen - 1) = true;
		/* Go keeps decoding after a type error and reports the first. */
		if ((r = decode_field(val, f, out)) != 0 && first_err == 0)
			first_err = r;
	}
	return first_err;
}
