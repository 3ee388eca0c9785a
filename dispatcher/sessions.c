/*
 * sessions.c - the dispatcher's two lookup tables: token -> session and
 * client address -> websocket count.
 *
 * Keys come from the network, so buckets are chosen with SipHash under a
 * random per-process key (OpenSSL EVP_MAC): nobody can aim many tokens at
 * one bucket.  Tables double when they fill up.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "disp.h"
#include "ev_err.h"
#include "ev_mem.h"

#define TABLE_INITIAL 1024

struct tentry {
	struct tentry *next;
	void *val;
	uint64_t count;
	size_t klen;
	char key[];
};

struct disp_table {
	struct tentry **b;
	size_t nb, n;
	EVP_MAC_CTX *mac; /* keyed template, duplicated per hash */
};

static struct disp_table *
table_new(void)
{
	struct disp_table *t = calloc(1, sizeof(*t));
	uint8_t key[16];
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	size_t outsize = 8;

	if (t == NULL)
		return NULL;
	if ((t->b = calloc(TABLE_INITIAL, sizeof(*t->b))) == NULL)
		goto fail;
	t->nb = TABLE_INITIAL;
	if (RAND_bytes(key, sizeof(key)) != 1 ||
	    (mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL)) == NULL ||
	    (t->mac = EVP_MAC_CTX_new(mac)) == NULL)
		goto fail;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outsize);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(t->mac, key, sizeof(key), params) != 1)
		goto fail;
	EVP_MAC_free(mac);
	ev_memzero(key, sizeof(key));
	return t;
fail:
	ev_memzero(key, sizeof(key));
	EVP_MAC_free(mac);
	EVP_MAC_CTX_free(t->mac);
	free(t->b);
	free(t);
	return NULL;
}

static void
table_free(struct disp_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nb; i++) {
		struct tentry *e = t->b[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	EVP_MAC_CTX_free(t->mac);
	free(t->b);
	free(t);
}

static uint64_t
table_hash(const struct disp_table *t, const char *key, size_t klen)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(t->mac);
	uint8_t out[8];
	size_t outl = 0;
	uint64_t h = 0;

	/* Falls back to a fixed bucket only if OpenSSL cannot allocate. */
	if (c != NULL && EVP_MAC_update(c, (const uint8_t *)key, klen) == 1 &&
	    EVP_MAC_final(c, out, &outl, sizeof(out)) == 1)
		memcpy(&h, out, sizeof(h));
	EVP_MAC_CTX_free(c);
	return h;
}

static struct tentry **
table_slot(struct disp_table *t, const char *key, size_t klen)
{
	struct tentry **p = &t->b[table_hash(t, key, klen) & (t->nb - 1)];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->klen == klen && memcmp((*p)->key, key, klen) == 0)
			return p;
	return p;
}

static void
table_grow(struct disp_table *t)
{
	size_t nb = t->nb * 2;
	struct tentry **nbk = calloc(nb, sizeof(*nbk));

	if (nbk == NULL)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < t->nb; i++) {
		struct tentry *e = t->b[i], *next;
		for (; e != NULL; e = next) {
			size_t j = table_hash(t, e->key, e->klen) & (nb - 1);
			next = e->next;
			e->next = nbk[j];
			nbk[j] = e;
		}
	}
	free(t->b);
	t->b = nbk;
	t->nb = nb;
}

static struct tentry *
table_insert(struct disp_table *t, const char *key, size_t klen)
{
	struct tentry **p = table_slot(t, key, klen), *e;

	if (*p != NULL)
		return *p;
	if ((e = calloc(1, sizeof(*e) + klen + 1)) == NULL)
		return NULL;
	memcpy(e->key, key, klen);
	e->klen = klen;
	*p = e;
	if (++t->n > t->nb)
		table_grow(t);
	return e;
}

static void
table_delete(struct disp_table *t, const char *key, size_t klen)
{
	struct tentry **p = table_slot(t, key, klen), *e = *p;

	if (e == NULL)
		return;
	*p = e->next;
	free(e);
	t->n--;
}

int
disp_tables_new(struct disp *d)
{
	if ((d->sessions = table_new()) == NULL || (d->ips = table_new()) == NULL) {
		disp_tables_free(d);
		return EV_ERR_NOMEM;
	}
	return 0;
}

void
disp_tables_free(struct disp *d)
{
	/* Sessions are freed as their connections close; free any left. */
	if (d->sessions != NULL) {
		for (size_t i = 0; i < d->sessions->nb; i++)
			for (struct tentry *e = d->sessions->b[i]; e != NULL; e = e->next)
				free(e->val);
	}
	table_free(d->sessions);
	table_free(d->ips);
	d->sessions = d->ips = NULL;
}

struct disp_session *
disp_session_get(struct disp *d, const char *token, size_t len)
{
	struct tentry *e = *table_slot(d->sessions, token, len);

	return e != NULL ? e->val : NULL;
}

int
disp_session_create(struct disp *d, const char *token, size_t len, struct disp_session **out)
{
	struct disp_session *s;
	struct tentry *e;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s) + len + 1)) == NULL)
		return EV_ERR_NOMEM;
	memcpy(s->token, token, len);
	s->token_len = len;
	if ((e = table_insert(d->sessions, token, len)) == NULL) {
		free(s);
		return EV_ERR_NOMEM;
	}
	e->val = s;
	*out = s;
	return 0;
}

void
disp_session_remove(struct disp *d, struct disp_session *s)
{
	table_delete(d->sessions, s->token, s->token_len);
	ev_freezero(s, sizeof(*s) + s->token_len + 1);
}

size_t
disp_session_count(const struct disp *d)
{
	return d->sessions->n;
}

uint64_t
disp_ip_count(struct disp *d, const char *ip)
{
	struct tentry *e = *table_slot(d->ips, ip, strlen(ip));

	return e != NULL ? e->count : 0;
}

int
disp_ip_add(struct disp *d, const char *ip)
{
	struct tentry *e = table_insert(d->ips, ip, strlen(ip));

	if (e == NULL)
		return EV_ERR_NOMEM;
	e->count++;
	return 0;
}

void
disp_ip_del(struct disp *d, const char *ip)
{
	struct tentry *e = *table_slot(d->ips, ip, strlen(ip));

	if (e != NULL && --e->count == 0)
		table_delete(d->ips, ip, strlen(ip));
}
