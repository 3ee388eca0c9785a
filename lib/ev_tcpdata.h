/*
 * ev_tcpdata.h - the TCP forwarding data message (Go tcpData),
 * edgeview-protocol.md section 10.4: one per read of a forwarded
 * connection, in both directions, inside binary envelopes.
 */
#ifndef EV_TCPDATA_H
#define EV_TCPDATA_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_json.h"

struct ev_buf;

struct ev_tcpdata {
	uint16_t version;     /* "version", always 0 */
	uint16_t mapping_id;  /* "mappingId": item index + 1 */
	uint16_t chan_num;    /* "chanNum": per-mapping connection, from 1 */
	struct ev_bytes data; /* "data": null when p == NULL, "" when empty */
};

/* Append the Go JSON of t to out.  EV_ERR_TOO_BIG past EV_MAX_TCPDATA_JSON
 * (the decoder's cap); on failure out is unchanged. */
int ev_tcpdata_encode(const struct ev_tcpdata *t, struct ev_buf *out) EV_WARN_UNUSED;
/* The relay's hot path: the same bytes from a payload that stays where it
 * is (version 0; p == NULL writes null). */
int ev_tcpdata_encode_raw(uint16_t mapping_id, uint16_t chan_num, const uint8_t *p, size_t len,
                          struct ev_buf *out) EV_WARN_UNUSED;
/* Decode len bytes (<= EV_MAX_TCPDATA_JSON).  out is overwritten and left
 * zeroed on failure; numbers above 65535 are EV_ERR_JSON_RANGE. */
int ev_tcpdata_decode(const char *json, size_t len, struct ev_tcpdata *out) EV_WARN_UNUSED;
/* Wipe and free the payload, zero the struct; NULL is fine. */
void ev_tcpdata_free(struct ev_tcpdata *t);

#endif
