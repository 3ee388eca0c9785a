/*
 * ev_buf.h - a capped, growable byte buffer.
 *
 * Every buffer has a maximum size given at creation: there is no way to
 * make an unbounded one.  Writers append at the end; readers consume from
 * the front.  A failed read (EV_ERR_TRUNCATED) leaves the buffer unchanged;
 * a write past the cap fails with EV_ERR_BUF_FULL and also leaves it
 * unchanged.  The contents are wiped when the buffer is freed or reset,
 * so a buffer may carry secrets.  The data is always followed by a NUL byte
 * (not counted in the length), so text can be used as a C string.
 */
#ifndef EV_BUF_H
#define EV_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

/* Absolute ceiling for any buffer, whatever cap the caller asks for. */
#define EV_BUF_SIZE_MAX (256u * 1024 * 1024)

struct ev_buf;

/* NULL if max is 0, above EV_BUF_SIZE_MAX, or memory is short. */
struct ev_buf *ev_buf_new(size_t max) EV_WARN_UNUSED;
void ev_buf_free(struct ev_buf *b);
/* Drop the contents (wiped); keeps the cap. */
void ev_buf_reset(struct ev_buf *b);

size_t ev_buf_len(const struct ev_buf *b);
size_t ev_buf_max(const struct ev_buf *b);
/* Bytes that may still be appended before the cap. */
size_t ev_buf_avail(const struct ev_buf *b);
/* Unread bytes, followed by a NUL. Valid until the next modification. */
const uint8_t *ev_buf_ptr(const struct ev_buf *b);
const char *ev_buf_str(const struct ev_buf *b);

int ev_buf_put(struct ev_buf *b, const void *p, size_t len) EV_WARN_UNUSED;
int ev_buf_put_u8(struct ev_buf *b, uint8_t v) EV_WARN_UNUSED;
int ev_buf_put_str(struct ev_buf *b, const char *s) EV_WARN_UNUSED;
int ev_buf_putf(struct ev_buf *b, const char *fmt, ...) EV_WARN_UNUSED EV_PRINTF(2, 3);
int ev_buf_vputf(struct ev_buf *b, const char *fmt, va_list ap) EV_WARN_UNUSED EV_PRINTF(2, 0);
/* Make room for len bytes at the end and return where they go; the caller
 * fills them, then commits how many it wrote with ev_buf_commit(). */
int ev_buf_reserve(struct ev_buf *b, size_t len, uint8_t **out) EV_WARN_UNUSED;
void ev_buf_commit(struct ev_buf *b, size_t len);

/* Copy len bytes from the front into out and consume them. */
int ev_buf_get(struct ev_buf *b, void *out, size_t len) EV_WARN_UNUSED;
int ev_buf_get_u8(struct ev_buf *b, uint8_t *out) EV_WARN_UNUSED;
/* Consume len bytes without copying. */
int ev_buf_consume(struct ev_buf *b, size_t len) EV_WARN_UNUSED;
/* Remove len bytes from the end. */
int ev_buf_consume_end(struct ev_buf *b, size_t len) EV_WARN_UNUSED;

/* Hand the unread bytes (NUL-terminated) to the caller, who frees them
 * with free() or ev_freezero(); the buffer is left empty. */
int ev_buf_take(struct ev_buf *b, uint8_t **out, size_t *lenp) EV_WARN_UNUSED;

#endif
