/* ev_buf.c - capped byte buffer; all bounds arithmetic lives here. */
#include "ev_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_err.h"
#include "ev_mem.h"

#define EV_BUF_INITIAL 256

struct ev_buf {
	uint8_t *d;   /* allocation */
	size_t alloc; /* bytes allocated, always > off + len */
	size_t off;   /* start of unread data */
	size_t len;   /* unread bytes */
	size_t max;   /* cap on len */
};

struct ev_buf *
ev_buf_new(size_t max)
{
	struct ev_buf *b;

	if (max == 0 || max > EV_BUF_SIZE_MAX)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->alloc = max + 1 < EV_BUF_INITIAL ? max + 1 : EV_BUF_INITIAL;
	if ((b->d = malloc(b->alloc)) == NULL) {
		free(b);
		return NULL;
	}
	b->d[0] = '\0';
	b->max = max;
	return b;
}

void
ev_buf_free(struct ev_buf *b)
{
	if (b == NULL)
		return;
	ev_freezero(b->d, b->alloc);
	ev_freezero(b, sizeof(*b));
}

void
ev_buf_reset(struct ev_buf *b)
{
	ev_memzero(b->d, b->alloc);
	b->off = 0;
	b->len = 0;
}

size_t
ev_buf_len(const struct ev_buf *b)
{
	return b->len;
}

size_t
ev_buf_max(const struct ev_buf *b)
{
	return b->max;
}

size_t
ev_buf_avail(const struct ev_buf *b)
{
	return b->max - b->len;
}

const uint8_t *
ev_buf_ptr(const struct ev_buf *b)
{
	return b->d + b->off;
}

const char *
ev_buf_str(const struct ev_buf *b)
{
	return (const char *)(b->d + b->off);
}

/* Ensure room for need more bytes plus the NUL, compacting or growing. */
static int
buf_make_room(struct ev_buf *b, size_t need)
{
	size_t want, nalloc;
	uint8_t *nd;

	if (need > b->max - b->len)
		return EV_ERR_BUF_FULL;
	want = b->len + need + 1; /* cannot overflow: len + need <= max < SIZE_MAX */
	if (b->off + want <= b->alloc)
		return 0;
	if (want <= b->alloc) {
		/* Enough space overall: slide the unread bytes to the front. */
		memmove(b->d, b->d + b->off, b->len + 1);
		ev_memzero(b->d + b->len + 1, b->alloc - b->len - 1);
		b->off = 0;
		return 0;
	}
	nalloc = b->alloc;
	while (nalloc < want)
		nalloc = nalloc > (b->max + 1) / 2 ? b->max + 1 : nalloc * 2;
	/* A fresh allocation (not realloc) so the old copy can be wiped. */
	if ((nd = malloc(nalloc)) == NULL)
		return EV_ERR_NOMEM;
	memcpy(nd, b->d + b->off, b->len + 1);
	ev_freezero(b->d, b->alloc);
	b->d = nd;
	b->alloc = nalloc;
	b->off = 0;
	return 0;
}

int
ev_buf_reserve(struct ev_buf *b, size_t len, uint8_t **out)
{
	int r;

	*out = NULL;
	if ((r = buf_make_room(b, len)) != 0)
		return r;
	*out = b->d + b->off + b->len;
	return 0;
}

void
ev_buf_commit(struct ev_buf *b, size_t len)
{
	/* Our own bug if this fires: commit more than was reserved. */
	if (len > b->alloc - b->off - b->len - 1)
		abort();
	b->len += len;
	b->d[b->off + b->len] = '\0';
}

int
ev_buf_put(struct ev_buf *b, const void *p, size_t len)
{
	uint8_t *dst;
	int r;

	if ((r = ev_buf_reserve(b, len, &dst)) != 0)
		return r;
	if (len > 0)
		memcpy(dst, p, len);
	ev_buf_commit(b, len);
	return 0;
}

int
ev_buf_put_u8(struct ev_buf *b, uint8_t v)
{
	return ev_buf_put(b, &v, 1);
}

int
ev_buf_put_str(struct ev_buf *b, const char *s)
{
	return ev_buf_put(b, s, strlen(s));
}

int
ev_buf_vputf(struct ev_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	uint8_t *dst;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_buf_reserve(b, (size_t)n, &dst)) != 0)
		return r;
	vsnprintf((char *)dst, (size_t)n + 1, fmt, ap);
	ev_buf_commit(b, (size_t)n);
	return 0;
}

int
ev_buf_putf(struct ev_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ev_buf_vputf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
ev_buf_get(struct ev_buf *b, void *out, size_t len)
{
	if (len > b->len)
		return EV_ERR_TRUNCATED;
	if (out != NULL && len > 0)
		memcpy(out, b->d + b->off, len);
	ev_memzero(b->d + b->off, len);
	b->off += len;
	b->len -= len;
	if (b->len == 0)
		b->off = 0;
	b->d[b->off + b->len] = '\0';
	return 0;
}

int
ev_buf_get_u8(struct ev_buf *b, uint8_t *out)
{
	return ev_buf_get(b, out, 1);
}

int
ev_buf_consume(struct ev_buf *b, size_t len)
{
	return ev_buf_get(b, NULL, len);
}

int
ev_buf_consume_end(struct ev_buf *b, size_t len)
{
	if (len > b->len)
		return EV_ERR_TRUNCATED;
	b->len -= len;
	ev_memzero(b->d + b->off + b->len, len);
	return 0;
}

int
ev_buf_take(struct ev_buf *b, uint8_t **out, size_t *lenp)
{
	uint8_t *p;

	*out = NULL;
	if ((p = malloc(b->len + 1)) == NULL)
		return EV_ERR_NOMEM;
	memcpy(p, b->d + b->off, b->len + 1);
	if (lenp != NULL)
		*lenp = b->len;
	*out = p;
	ev_buf_reset(b);
	return 0;
}
