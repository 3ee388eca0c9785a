/*
 * ev_codec.h - the steps shared by the table-driven message codecs
 * (ev_cmd, ev_tcpdata, ev_copyfile, ev_status).
 *
 * One struct ev_json_field table per message drives both directions, so a
 * key added to the table is read and written alike.  Decoding follows Go's
 * encoding/json rules with the deviations listed in ev_json.h.
 */
#ifndef EV_CODEC_H
#define EV_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_json.h"

struct ev_buf;

/* Parse len bytes (cap bytes at most) and decode them into out per the
 * table.  out is not cleared first: the caller passes a zeroed struct and
 * frees it when this fails. */
int ev_codec_decode(const char *json, size_t len, size_t cap, const struct ev_json_field *fields,
                    size_t nfields, void *out) EV_WARN_UNUSED;

/* Append the struct at in as one Go JSON object, keys in table order.  Bit
 * i of omitempty marks field i as `omitempty` (left out when "", false, 0
 * or an empty byte string).  Types: STRING (NULL writes ""), BOOL, U16,
 * U32, U64, I64, BYTES.  An object longer than max bytes, the cap of the
 * matching decoder, is EV_ERR_TOO_BIG: escaping can make a decoded message
 * grow (one '&' becomes six bytes), and we never send what we would refuse.
 * On failure out is left as it was. */
int ev_codec_encode(struct ev_buf *out, const struct ev_json_field *fields, size_t nfields,
                    uint32_t omitempty, const void *in, size_t max) EV_WARN_UNUSED;

/* The end of a hand-written encoder: r if it failed, else EV_ERR_TOO_BIG
 * if more than max bytes follow the first len0; on any failure b is cut
 * back to len0 bytes, so a half-written object never escapes. */
int ev_codec_finish(struct ev_buf *b, size_t len0, size_t max, int r) EV_WARN_UNUSED;

#endif
