/*
 * bench_pacer.h - due times of paced sessions, earliest first.
 *
 * With --rate every session sends on its own schedule.  One lws timer per
 * session would put thousands of entries in lws's sorted timer list, whose
 * insertion walks the list; a binary heap keeps each reschedule O(log n) and
 * lets a single lws timer wake the bench for the earliest due session.
 */
#ifndef BENCH_PACER_H
#define BENCH_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct bench_pacer_ent {
	uint64_t due_ns;
	uint32_t session;
};

struct bench_pacer {
	struct bench_pacer_ent *ent;
	size_t n;
	size_t cap;
};

/* Room for cap entries; every session is in the heap at most once. */
int bench_pacer_init(struct bench_pacer *p, size_t cap) EV_WARN_UNUSED;
void bench_pacer_free(struct bench_pacer *p);
/* EV_ERR_BUF_FULL if already cap entries (a bug: a session queued twice). */
int bench_pacer_push(struct bench_pacer *p, uint64_t due_ns, uint32_t session) EV_WARN_UNUSED;
/* Earliest entry; false when empty. */
bool bench_pacer_peek(const struct bench_pacer *p, struct bench_pacer_ent *out);
void bench_pacer_pop(struct bench_pacer *p);

#endif
