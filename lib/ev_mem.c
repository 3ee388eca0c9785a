/* ev_mem.c - secret hygiene helpers (OpenSSL provides the primitives). */
#include "ev_mem.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void
ev_memzero(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void
ev_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	ev_memzero(p, len);
	free(p);
}

void
ev_strfreezero(char *s)
{
	if (s != NULL)
		ev_freezero(s, strlen(s));
}

bool
ev_timingsafe_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

char *
ev_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *
ev_memdup(const void *p, size_t len)
{
	void *q = malloc(len > 0 ? len : 1);

	if (q != NULL && len > 0)
		memcpy(q, p, len);
	return q;
}
