/*
 * fuzz_cmdopt.c - the cmdOpt decoder, and the round trip: whatever decodes
 * must encode, decode again to an equal command, and re-encode to the
 * same bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NULL and "" are the same on the wire. */
static bool
str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static bool
cmd_eq(const struct ev_cmd *a, const struct ev_cmd *b)
{
	return str_eq(a->version, b->version) && str_eq(a->client_ep_addr, b->client_ep_addr) &&
	       str_eq(a->network, b->network) && str_eq(a->system, b->system) &&
	       str_eq(a->pubsub, b->pubsub) && str_eq(a->logopt, b->logopt) &&
	       str_eq(a->timerange, b->timerange) && a->is_json == b->is_json &&
	       a->extraline == b->extraline && str_eq(a->logtype, b->logtype) &&
	       str_eq(a->userinfo, b->userinfo) && str_eq(a->app_uuid, b->app_uuid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_cmd c1, c2 = {0};
	struct ev_buf *b1 = NULL, *b2 = NULL;
	int r;

	if (ev_cmd_decode((const char *)data, size, &c1) != 0)
		return 0;
	(void)ev_cmd_kind(&c1);
	if ((b1 = ev_buf_new(8u * 1024 * 1024)) == NULL ||
	    (b2 = ev_buf_new(8u * 1024 * 1024)) == NULL)
		abort();
	/* Escaping may grow a command past the cap the decoder enforces. */
	if ((r = ev_cmd_encode(&c1, b1)) == EV_ERR_TOO_BIG && ev_buf_len(b1) == 0)
		goto out;
	if (r != 0 || ev_cmd_decode(ev_buf_str(b1), ev_buf_len(b1), &c2) != 0)
		abort();
	if (!cmd_eq(&c1, &c2) || ev_cmd_encode(&c2, b2) != 0 || ev_buf_len(b1) != ev_buf_len(b2) ||
	    memcmp(ev_buf_ptr(b1), ev_buf_ptr(b2), ev_buf_len(b1)) != 0)
		abort();
out:
	ev_cmd_free(&c1);
	ev_cmd_free(&c2);
	ev_buf_free(b1);
	ev_buf_free(b2);
	return 0;
}
