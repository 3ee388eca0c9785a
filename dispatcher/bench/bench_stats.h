/*
 * bench_stats.h - a fixed-size latency histogram.
 *
 * Log-linear buckets over microseconds: exact 1 us buckets below 256 us,
 * then 128 buckets per power of two (under 0.8 % relative error) up to 2^24
 * us, plus one overflow bucket for anything at or above 10 s.  The whole
 * thing is a flat array of a few thousand counters, so recording never
 * allocates and a run of any length uses the same memory.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdint.h>

#define BENCH_HIST_LINEAR   256u        /* exact buckets, 1 us wide */
#define BENCH_HIST_SUB      128u        /* buckets per power of two above */
#define BENCH_HIST_TOP_EXP  24u         /* covers values below 2^24 us */
#define BENCH_HIST_LIMIT_US 10000000ull /* 10 s: larger values overflow */
#define BENCH_HIST_BUCKETS \
	(BENCH_HIST_LINEAR + (BENCH_HIST_TOP_EXP - 8u) * BENCH_HIST_SUB + 1u) /* + overflow */

struct bench_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint64_t bucket[BENCH_HIST_BUCKETS];
};

void bench_hist_init(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, uint64_t ns);
/*
 * Value at percentile pct (0 < pct <= 100) in ns: the upper edge of the
 * bucket holding that rank, clamped to [min, max]; 0 if nothing recorded.
 */
uint64_t bench_hist_percentile(const struct bench_hist *h, double pct);
uint64_t bench_hist_mean(const struct bench_hist *h);

#endif
