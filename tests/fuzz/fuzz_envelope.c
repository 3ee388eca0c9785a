/* fuzz_envelope.c - envelope parser and checks; re-sealing must round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_envelope.h"
#include "ev_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "Zk3p9QvXr2LmN8sT";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_envelope e, e2;
	struct ev_buf *b;

	if (ev_envelope_parse((const char *)data, size, &e) != 0)
		return 0;
	int r;

	(void)ev_envelope_encryption(&e, false);
	r = ev_envelope_check_hmac(&e, key, sizeof(key) - 1, false);
	r |= ev_envelope_check_hmac(&e, key, sizeof(key) - 1, true);
	(void)r;
	/* Sealing the decoded message must give an envelope that parses back
	 * to the same message and passes its own MAC. */
	if ((b = ev_buf_new(EV_MAX_ENVELOPE * 2)) == NULL)
		abort();
	if (ev_envelope_seal_hmac(key, sizeof(key) - 1, e.message.p, e.message.len, b) == 0) {
		if (ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e2) != 0)
			abort();
		if (e2.message.len != e.message.len ||
		    (e.message.len > 0 && memcmp(e2.message.p, e.message.p, e.message.len) != 0))
			abort();
		if (ev_envelope_check_hmac(&e2, key, sizeof(key) - 1, false) != 0)
			abort();
		ev_envelope_free(&e2);
	}
	ev_buf_free(b);
	ev_envelope_free(&e);
	return 0;
}
