/* bench_pacer.c - binary min-heap of session due times. */
#include "bench_pacer.h"

#include <stdlib.h>
#include <string.h>

#include "ev_err.h"

int
bench_pacer_init(struct bench_pacer *p, size_t cap)
{
	memset(p, 0, sizeof(*p));
	if (cap == 0)
		return EV_ERR_INVALID_ARG;
	if ((p->ent = calloc(cap, sizeof(*p->ent))) == NULL)
		return EV_ERR_NOMEM;
	p->cap = cap;
	return 0;
}

void
bench_pacer_free(struct bench_pacer *p)
{
	free(p->ent);
	memset(p, 0, sizeof(*p));
}

int
bench_pacer_push(struct bench_pacer *p, uint64_t due_ns, uint32_t session)
{
	struct bench_pacer_ent e = {due_ns, session};
	size_t i, parent;

	if (p->n == p->cap)
		return EV_ERR_BUF_FULL;
	i = p->n++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (p->ent[parent].due_ns <= e.due_ns)
			break;
		p->ent[i] = p->ent[parent];
		i = parent;
	}
	p->ent[i] = e;
	return 0;
}

bool
bench_pacer_peek(const struct bench_pacer *p, struct bench_pacer_ent *out)
{
	if (p->n == 0)
		return false;
	*out = p->ent[0];
	return true;
}

void
bench_pacer_pop(struct bench_pacer *p)
{
	struct bench_pacer_ent last;
	size_t i = 0, child;

	if (p->n == 0)
		return;
	last = p->ent[--p->n];
	if (p->n == 0)
		return;
	for (;;) {
		child = 2 * i + 1;
		if (child >= p->n)
			break;
		if (child + 1 < p->n && p->ent[child + 1].due_ns < p->ent[child].due_ns)
			child++;
		if (last.due_ns <= p->ent[child].due_ns)
			break;
		p->ent[i] = p->ent[child];
		i = child;
	}
	p->ent[i] = last;
}
