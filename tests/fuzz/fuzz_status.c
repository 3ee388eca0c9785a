/*
 * fuzz_status.c - the EdgeviewStatus and /evStats decoders and the RFC 3339
 * parser, each with its round trip: whatever decodes must encode, decode
 * again to an equal value, and re-encode to the same bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
time_eq(const struct ev_time *a, const struct ev_time *b)
{
	return a->sec == b->sec && a->nsec == b->nsec && a->utc_offset == b->utc_offset;
}

static bool
status_eq(const struct ev_status *a, const struct ev_status *b)
{
	return a->expire_on == b->expire_on && time_eq(&a->started_on, &b->started_on) &&
	       a->cmd_count_dev == b->cmd_count_dev && a->cmd_count_app == b->cmd_count_app &&
	       a->cmd_count_ext == b->cmd_count_ext;
}

static bool
same_bytes(const struct ev_buf *a, const struct ev_buf *b)
{
	return ev_buf_len(a) == ev_buf_len(b) &&
	       memcmp(ev_buf_ptr(a), ev_buf_ptr(b), ev_buf_len(a)) == 0;
}

static void
fuzz_time(const uint8_t *data, size_t size)
{
	char s1[EV_TIME_STR_MAX], s2[EV_TIME_STR_MAX];
	struct ev_time t1, t2;

	if (ev_time_parse_rfc3339((const char *)data, size, &t1) != 0)
		return;
	if (ev_time_format_rfc3339nano(&t1, s1, sizeof(s1)) != 0 ||
	    ev_time_parse_rfc3339(s1, strlen(s1), &t2) != 0 || !time_eq(&t1, &t2) ||
	    ev_time_format_rfc3339nano(&t2, s2, sizeof(s2)) != 0 || strcmp(s1, s2) != 0)
		abort();
}

static void
fuzz_status(const uint8_t *data, size_t size, struct ev_buf *b1, struct ev_buf *b2)
{
	struct ev_status s1, s2;

	if (ev_status_decode((const char *)data, size, &s1) != 0)
		return;
	ev_buf_reset(b1);
	ev_buf_reset(b2);
	if (ev_status_encode(&s1, b1) != 0 ||
	    ev_status_decode(ev_buf_str(b1), ev_buf_len(b1), &s2) != 0 || !status_eq(&s1, &s2) ||
	    ev_status_encode(&s2, b2) != 0 || !same_bytes(b1, b2))
		abort();
}

static void
fuzz_evstats(const uint8_t *data, size_t size, struct ev_buf *b1, struct ev_buf *b2)
{
	struct ev_evstats e1, e2;

	if (ev_evstats_decode((const char *)data, size, &e1) != 0)
		return;
	(void)!ev_evstats_validate(&e1);
	ev_buf_reset(b1);
	ev_buf_reset(b2);
	if (ev_evstats_encode(&e1, b1) != 0 ||
	    ev_evstats_decode(ev_buf_str(b1), ev_buf_len(b1), &e2) != 0 ||
	    e1.inst_id != e2.inst_id || !status_eq(&e1.stats, &e2.stats) ||
	    ev_evstats_encode(&e2, b2) != 0 || !same_bytes(b1, b2))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_buf *b1 = ev_buf_new(4096), *b2 = ev_buf_new(4096);

	if (b1 == NULL || b2 == NULL)
		abort();
	fuzz_time(data, size);
	fuzz_status(data, size, b1, b2);
	fuzz_evstats(data, size, b1, b2);
	ev_buf_free(b1);
	ev_buf_free(b2);
	return 0;
}
