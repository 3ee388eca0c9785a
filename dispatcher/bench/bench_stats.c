/* bench_stats.c - log-linear latency histogram. */
#include "bench_stats.h"

#include <string.h>

static unsigned
bucket_of(uint64_t us)
{
	unsigned e, sub;

	if (us >= BENCH_HIST_LIMIT_US)
		return BENCH_HIST_BUCKETS - 1;
	if (us < BENCH_HIST_LINEAR)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us); /* 8 .. 23 */
	sub = (unsigned)(us >> (e - 7u)) & (BENCH_HIST_SUB - 1u);
	return BENCH_HIST_LINEAR + (e - 8u) * BENCH_HIST_SUB + sub;
}

/* Exclusive upper edge of a bucket, in us. */
static uint64_t
bucket_top_us(unsigned b)
{
	unsigned e, sub;

	if (b < BENCH_HIST_LINEAR)
		return (uint64_t)b + 1u;
	b -= BENCH_HIST_LINEAR;
	e = b / BENCH_HIST_SUB + 8u;
	sub = b % BENCH_HIST_SUB;
	return ((uint64_t)(BENCH_HIST_SUB + sub) << (e - 7u)) + (1ull << (e - 7u));
}

void
bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

void
bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	h->bucket[bucket_of(ns / 1000u)]++;
	h->count++;
	h->sum_ns += ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

uint64_t
bench_hist_percentile(const struct bench_hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	double want;

	if (h->count == 0)
		return 0;
	if (!(pct > 0.0))
		return h->min_ns;
	if (pct >= 100.0)
		return h->max_ns;
	/* ceil() without libm: the Makefile links no -lm. */
	want = pct / 100.0 * (double)h->count;
	rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned b = 0; b < BENCH_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen < rank)
			continue;
		if (b == BENCH_HIST_BUCKETS - 1)
			return h->max_ns;
		v = bucket_top_us(b) * 1000u;
		if (v > h->max_ns)
			v = h->max_ns;
		if (v < h->min_ns)
			v = h->min_ns;
		return v;
	}
	return h->max_ns;
}

uint64_t
bench_hist_mean(const struct bench_hist *h)
{
	return h->count == 0 ? 0 : h->sum_ns / h->count;
}
