/* ev_codec.c - shared decode and encode steps of the message codecs. */
#include "ev_codec.h"

#include <stdbool.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"

int
ev_codec_decode(const char *json, size_t len, size_t cap, const struct ev_json_field *fields,
                size_t nfields, void *out)
{
	json_t *v = NULL;
	int r;

	if (json == NULL) {
		if (len != 0)
			return EV_ERR_INVALID_ARG;
		json = "";
	}
	if ((r = ev_json_parse(json, len, cap, &v)) != 0)
		goto out;
	r = ev_json_decode(v, fields, nfields, out);
out:
	json_decref(v);
	return r;
}

int
ev_codec_finish(struct ev_buf *b, size_t len0, size_t max, int r)
{
	size_t len = ev_buf_len(b);

	if (r == 0 && len - len0 > max)
		r = EV_ERR_TOO_BIG;
	if (r != 0 && len > len0 && ev_buf_consume_end(b, len - len0) != 0)
		ev_buf_reset(b); /* cannot happen: the bytes are there */
	return r;
}

static bool
field_is_empty(const struct ev_json_field *f, const void *src)
{
	switch (f->type) {
	case EV_JSON_STRING: {
		const char *s = *(char *const *)src;
		return s == NULL || *s == '\0';
	}
	case EV_JSON_BOOL: return !*(const bool *)src;
	case EV_JSON_U16: return *(const uint16_t *)src == 0;
	case EV_JSON_U32: return *(const uint32_t *)src == 0;
	case EV_JSON_U64: return *(const uint64_t *)src == 0;
	case EV_JSON_I64: return *(const int64_t *)src == 0;
	case EV_JSON_BYTES: return ((const struct ev_bytes *)src)->len == 0;
	default: return false;
	}
}

static int
put_field(struct ev_buf *b, const struct ev_json_field *f, const void *src)
{
	switch (f->type) {
	case EV_JSON_STRING: return ev_json_put_cstring(b, *(char *const *)src);
	case EV_JSON_BOOL: return ev_json_put_bool(b, *(const bool *)src);
	case EV_JSON_U16: return ev_json_put_u64(b, *(const uint16_t *)src);
	case EV_JSON_U32: return ev_json_put_u64(b, *(const uint32_t *)src);
	case EV_JSON_U64: return ev_json_put_u64(b, *(const uint64_t *)src);
	case EV_JSON_I64: return ev_json_put_i64(b, *(const int64_t *)src);
	case EV_JSON_BYTES: {
		const struct ev_bytes *by = src;
		return ev_json_put_b64(b, by->p, by->len);
	}
	default: return EV_ERR_INVALID_ARG;
	}
}

int
ev_codec_encode(struct ev_buf *out, const struct ev_json_field *fields, size_t nfields,
                uint32_t omitempty, const void *in, size_t max)
{
	size_t len0;
	bool first = true;
	int r;

	if (out == NULL || in == NULL || nfields > 32)
		return EV_ERR_INVALID_ARG;
	len0 = ev_buf_len(out);
	if ((r = ev_buf_put_u8(out, '{')) != 0)
		goto out;
	for (size_t i = 0; i < nfields; i++) {
		const void *src = (const uint8_t *)in + fields[i].offset;

		if ((omitempty >> i & 1u) != 0 && field_is_empty(&fields[i], src))
			continue;
		if ((r = ev_json_put_key(out, fields[i].name, first)) != 0 ||
		    (r = put_field(out, &fields[i], src)) != 0)
			goto out;
		first = false;
	}
	r = ev_buf_put_u8(out, '}');
out:
	return ev_codec_finish(out, len0, max, r);
}
