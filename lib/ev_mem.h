/* ev_mem.h - wiping and constant-time comparison for secrets. */
#ifndef EV_MEM_H
#define EV_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* Zero memory in a way the compiler may not elide. */
void ev_memzero(void *p, size_t len);
/* Wipe then free; NULL is fine. Use for keys, tokens and decrypted data. */
void ev_freezero(void *p, size_t len);
/* Wipe and free a NUL-terminated secret string; NULL is fine. */
void ev_strfreezero(char *s);
/* Constant-time equality of two equal-length buffers (no early exit). */
bool ev_timingsafe_eq(const void *a, const void *b, size_t len);
/* strdup/memdup that abort nothing: return NULL on failure. */
char *ev_strndup(const char *s, size_t len);
void *ev_memdup(const void *p, size_t len);

#endif
