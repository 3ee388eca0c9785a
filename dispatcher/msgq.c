/* msgq.c - a connection's outgoing messages, counted in messages and bytes. */
#include <stdlib.h>

#include "disp.h"

struct disp_msg *
disp_msg_new(size_t len, bool binary)
{
	struct disp_msg *m = malloc(sizeof(*m) + LWS_PRE + len);

	if (m == NULL)
		return NULL;
	m->next = NULL;
	m->len = len;
	m->sent = 0;
	m->binary = binary;
	return m;
}

void
disp_msgq_push(struct disp_msgq *q, struct disp_msg *m)
{
	m->next = NULL;
	if (q->tail != NULL)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
	q->bytes += m->len;
}

struct disp_msg *
disp_msgq_pop(struct disp_msgq *q)
{
	struct disp_msg *m = q->head;

	if (m == NULL)
		return NULL;
	q->head = m->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	q->bytes -= m->len;
	m->next = NULL;
	return m;
}

void
disp_msgq_clear(struct disp_msgq *q)
{
	struct disp_msg *m;

	while ((m = disp_msgq_pop(q)) != NULL)
		free(m);
}
