/*
 * fuzz_copyfile.c - the copyFile decoder and validator, and the round
 * trip: whatever decodes must encode, decode again to an equal header,
 * and re-encode to the same bytes; validation must agree on both.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_copyfile.h"
#include "ev_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
str_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static bool
copyfile_eq(const struct ev_copyfile *a, const struct ev_copyfile *b)
{
	return (a->token_hash.p == NULL) == (b->token_hash.p == NULL) &&
	       a->token_hash.len == b->token_hash.len &&
	       (a->token_hash.len == 0 ||
	        memcmp(a->token_hash.p, b->token_hash.p, a->token_hash.len) == 0) &&
	       str_eq(a->name, b->name) && a->size == b->size && a->dirsize == b->dirsize &&
	       str_eq(a->sha256, b->sha256) && a->modtsec == b->modtsec;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_copyfile f1, f2 = {0};
	struct ev_buf *b1 = NULL, *b2 = NULL;
	int r, v1, v2;

	if (ev_copyfile_decode((const char *)data, size, &f1) != 0)
		return 0;
	v1 = ev_copyfile_validate(&f1);
	if ((b1 = ev_buf_new(1024u * 1024)) == NULL || (b2 = ev_buf_new(1024u * 1024)) == NULL)
		abort();
	/* Escaping may grow a header past the cap the decoder enforces. */
	if ((r = ev_copyfile_encode(&f1, b1)) == EV_ERR_TOO_BIG && ev_buf_len(b1) == 0)
		goto out;
	if (r != 0 || ev_copyfile_decode(ev_buf_str(b1), ev_buf_len(b1), &f2) != 0)
		abort();
	v2 = ev_copyfile_validate(&f2);
	if (!copyfile_eq(&f1, &f2) || v1 != v2 || ev_copyfile_encode(&f2, b2) != 0 ||
	    ev_buf_len(b1) != ev_buf_len(b2) ||
	    memcmp(ev_buf_ptr(b1), ev_buf_ptr(b2), ev_buf_len(b1)) != 0)
		abort();
out:
	ev_copyfile_free(&f1);
	ev_copyfile_free(&f2);
	ev_buf_free(b1);
	ev_buf_free(b2);
	return 0;
}
