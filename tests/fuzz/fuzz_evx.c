/* fuzz_evx.c - EVX1 hellos and data frames on a fixed channel (the keys of
 * tests/data/evx_vectors.json).  A frame that opens must re-seal to the
 * same ciphertext on the sending side, and a hello that opens must seal
 * back to a hello that opens to the same ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_envelope.h"
#include "ev_evx.h"
#include "ev_limits.h"
#include "ev_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char key[] = "Zk3p9QvXr2LmN8sT";
static const char jwt[] =
        "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJkZXAiOiJodHRwczovL2V2ZGlzcGF0Y2guZXhhbXBsZS5uZXQ6NDQzL2VkZ2UtdmlldyIsInN1YiI6IjBjNmIzYT"
        "ZlLThmMWYtNGE1ZC05YTUzLTJmMGY1YzNlOWIwMSIsImV4cCI6MTg5MzQ1NjAwMCwia2V5IjoiWmszcDlRdlhyMkxt"
        "TjhzVCIsIm51bSI6MSwiZW5jIjpmYWxzZSwiYXV0IjowfQ."
        "rrjDmAWTrCfBX2tdHXno9K66RbSqJv3fSnGBRZcU8RwsqxRBGgaWLmnFIpuDuftuW37Gek47VOcsgETQVILtrw";
#define SESSION "AAECAwQFBgcICQoLDA0ODw"
#define CNONCE  "EBESExQVFhcYGRobHB0eHw"
#define DNONCE  "8PHy8_T19vf4-fr7_P3-_w"

static struct ev_evx_chan client0, device0;
static int ready;

static void
setup(void)
{
	if (ready)
		return;
	if (ev_evx_chan_init(&client0, true, jwt, sizeof(jwt) - 1, (const uint8_t *)key,
	                     sizeof(key) - 1, SESSION, CNONCE, DNONCE) != 0 ||
	    ev_evx_chan_init(&device0, false, jwt, sizeof(jwt) - 1, (const uint8_t *)key,
	                     sizeof(key) - 1, SESSION, CNONCE, DNONCE) != 0)
		abort();
	ready = 1;
}

static void
check_hello(const struct ev_envelope *e)
{
	struct ev_evx_hello h, h2;
	struct ev_envelope e2;
	struct ev_buf *b;

	if (ev_evx_hello_open(e, (const uint8_t *)key, sizeof(key) - 1, &h) != 0)
		return;
	if (!ev_evx_id_valid(h.session) || !ev_evx_id_valid(h.nonce))
		abort();
	if ((b = ev_buf_new(4096)) == NULL)
		abort();
	if (ev_evx_hello_seal((const uint8_t *)key, sizeof(key) - 1, h.session, h.nonce, b) != 0 ||
	    ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e2) != 0)
		abort();
	if (ev_evx_hello_open(&e2, (const uint8_t *)key, sizeof(key) - 1, &h2) != 0 ||
	    strcmp(h.session, h2.session) != 0 || strcmp(h.nonce, h2.nonce) != 0)
		abort();
	ev_envelope_free(&e2);
	ev_buf_free(b);
}

/* Open on rx; on success the peer tx at the same seq must give the same bytes. */
static void
try_open(const struct ev_evx_chan *rx0, const struct ev_evx_chan *tx0, const struct ev_envelope *e,
         bool binary, bool at_any_seq)
{
	struct ev_evx_chan rx = *rx0, tx = *tx0;
	struct ev_envelope e2;
	struct ev_buf *b = NULL;
	uint8_t *pt = NULL;
	size_t n = 0;

	if (at_any_seq) {
		uint64_t seq = 0;

		if (e->iv.len != 12)
			goto out;
		for (size_t i = 4; i < 12; i++)
			seq = (seq << 8) | e->iv.p[i];
		rx.rx_seq = seq - 1; /* seq 0 wraps: then EVX_EXHAUSTED */
	}
	if (ev_evx_open(&rx, e, binary, &pt, &n) != 0)
		goto out;
	if (pt == NULL || pt[n] != '\0' || rx.rx_seq == 0)
		abort();
	tx.tx_seq = rx.rx_seq - 1;
	if ((b = ev_buf_new(EV_MAX_ENVELOPE)) == NULL)
		abort();
	if (ev_evx_seal(&tx, binary, pt, n, b) != 0 ||
	    ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e2) != 0)
		abort();
	if (e2.message.len != e->message.len ||
	    memcmp(e2.message.p, e->message.p, e->message.len) != 0 ||
	    memcmp(e2.iv.p, e->iv.p, 12) != 0)
		abort();
	ev_envelope_free(&e2);
out:
	ev_buf_free(b);
	ev_freezero(pt, n);
	ev_evx_chan_wipe(&rx);
	ev_evx_chan_wipe(&tx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_envelope e;

	setup();
	if (ev_envelope_parse((const char *)data, size, &e) != 0)
		return 0;
	(void)ev_evx_is_hello(&e);
	(void)ev_evx_is_data(&e);
	check_hello(&e);
	for (int binary = 0; binary < 2; binary++) {
		try_open(&device0, &client0, &e, binary, false);
		try_open(&client0, &device0, &e, binary, false);
		try_open(&device0, &client0, &e, binary, true);
		try_open(&client0, &device0, &e, binary, true);
	}
	ev_envelope_free(&e);
	return 0;
}
