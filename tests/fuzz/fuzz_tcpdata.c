/*
 * fuzz_tcpdata.c - the tcpData decoder, and the round trip: whatever
 * decodes must encode (both encoders, same bytes), decode again to an
 * equal message, and re-encode to the same bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_tcpdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
tcpdata_eq(const struct ev_tcpdata *a, const struct ev_tcpdata *b)
{
	return a->version == b->version && a->mapping_id == b->mapping_id &&
	       a->chan_num == b->chan_num && (a->data.p == NULL) == (b->data.p == NULL) &&
	       a->data.len == b->data.len &&
	       (a->data.len == 0 || memcmp(a->data.p, b->data.p, a->data.len) == 0);
}

static bool
same_bytes(const struct ev_buf *a, const struct ev_buf *b)
{
	return ev_buf_len(a) == ev_buf_len(b) &&
	       memcmp(ev_buf_ptr(a), ev_buf_ptr(b), ev_buf_len(a)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_tcpdata t1, t2;
	struct ev_buf *b1 = NULL, *b2 = NULL, *b3 = NULL;
	const size_t cap = 16u * 1024 * 1024;

	if (ev_tcpdata_decode((const char *)data, size, &t1) != 0)
		return 0;
	if ((b1 = ev_buf_new(cap)) == NULL || (b2 = ev_buf_new(cap)) == NULL ||
	    (b3 = ev_buf_new(cap)) == NULL)
		abort();
	if (ev_tcpdata_encode(&t1, b1) != 0 ||
	    ev_tcpdata_decode(ev_buf_str(b1), ev_buf_len(b1), &t2) != 0)
		abort();
	if (!tcpdata_eq(&t1, &t2) || ev_tcpdata_encode(&t2, b2) != 0 || !same_bytes(b1, b2))
		abort();
	/* The hot-path encoder agrees whenever version is the usual 0. */
	if (t1.version == 0 &&
	    (ev_tcpdata_encode_raw(t1.mapping_id, t1.chan_num, t1.data.p, t1.data.len, b3) != 0 ||
	     !same_bytes(b1, b3)))
		abort();
	ev_tcpdata_free(&t1);
	ev_tcpdata_free(&t2);
	ev_buf_free(b1);
	ev_buf_free(b2);
	ev_buf_free(b3);
	return 0;
}
