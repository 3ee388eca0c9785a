/* ev_tcpdata.c - the tcpData message. */
#include "ev_tcpdata.h"

#include <string.h>

#include "ev_buf.h"
#include "ev_codec.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_mem.h"

/* Go's field order. */
static const struct ev_json_field tcpdata_fields[] = {
        {"version", EV_JSON_U16, offsetof(struct ev_tcpdata, version), 0, 0},
        {"mappingId", EV_JSON_U16, offsetof(struct ev_tcpdata, mapping_id), 0, 0},
        {"chanNum", EV_JSON_U16, offsetof(struct ev_tcpdata, chan_num), 0, 0},
        {"data", EV_JSON_BYTES, offsetof(struct ev_tcpdata, data), EV_MAX_TCPDATA_JSON, 0},
};

int
ev_tcpdata_encode(const struct ev_tcpdata *t, struct ev_buf *out)
{
	if (t == NULL)
		return EV_ERR_INVALID_ARG;
	return ev_codec_encode(out, tcpdata_fields, EV_ARRAY_LEN(tcpdata_fields), 0, t,
	                       EV_MAX_TCPDATA_JSON);
}

int
ev_tcpdata_encode_raw(uint16_t mapping_id, uint16_t chan_num, const uint8_t *p, size_t len,
                      struct ev_buf *out)
{
	size_t len0;
	int r;

	if (out == NULL || (p == NULL && len != 0))
		return EV_ERR_INVALID_ARG;
	len0 = ev_buf_len(out);
	if ((r = ev_buf_putf(out, "{\"version\":0,\"mappingId\":%u,\"chanNum\":%u,\"data\":",
	                     (unsigned)mapping_id, (unsigned)chan_num)) == 0 &&
	    (r = ev_json_put_b64(out, p, len)) == 0)
		r = ev_buf_put_u8(out, '}');
	return ev_codec_finish(out, len0, EV_MAX_TCPDATA_JSON, r);
}

int
ev_tcpdata_decode(const char *json, size_t len, struct ev_tcpdata *out)
{
	struct ev_tcpdata t;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	if ((r = ev_codec_decode(json, len, EV_MAX_TCPDATA_JSON, tcpdata_fields,
	                         EV_ARRAY_LEN(tcpdata_fields), &t)) != 0)
		goto out;
	*out = t;
	memset(&t, 0, sizeof(t));
	r = 0;
out:
	ev_tcpdata_free(&t);
	return r;
}

void
ev_tcpdata_free(struct ev_tcpdata *t)
{
	if (t == NULL)
		return;
	ev_bytes_free(&t->data);
	ev_memzero(t, sizeof(*t));
}
