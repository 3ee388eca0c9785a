/* report_pb.c - arena, UTF-8 and packing helpers for the report builders. */
#include "report_pb.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev_encoding.h"
#include "ev_err.h"

static int
keep(struct pbx *a, void *p)
{
	void **n;

	if (a->n == a->cap) {
		size_t nc = a->cap == 0 ? 64 : a->cap * 2;

		if ((n = realloc(a->p, nc * sizeof(*n))) == NULL)
			return EV_ERR_NOMEM;
		a->p = n;
		a->cap = nc;
	}
	a->p[a->n++] = p;
	return 0;
}

void *
pbx_alloc(struct pbx *a, size_t size)
{
	void *p;

	if (a->err != 0)
		return NULL;
	if ((p = calloc(1, size != 0 ? size : 1)) == NULL || keep(a, p) != 0) {
		free(p);
		a->err = EV_ERR_NOMEM;
		return NULL;
	}
	return p;
}

void *
pbx_array(struct pbx *a, size_t n, size_t elem)
{
	if (n == 0)
		return NULL;
	if (elem != 0 && n > SIZE_MAX / elem) {
		a->err = EV_ERR_NOMEM;
		return NULL;
	}
	return pbx_alloc(a, n * elem);
}

/* Width of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_width(const unsigned char *s, size_t n)
{
	size_t w;

	return ev_utf8_decode(s, n, &w) < 0 ? 0 : w;
}

char *
pbx_str(struct pbx *a, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)u), i = 0, o = 0;
	char *out;

	/* at most 3 output bytes per input byte (U+FFFD) */
	if ((out = pbx_alloc(a, (len < max ? len : max) * 3 + 1)) == NULL)
		return NULL;
	while (i < len) {
		size_t w = utf8_width(u + i, len - i), ow = w != 0 ? w : 3;

		if (o + ow > max)
			break;
		if (w != 0) {
			memcpy(out + o, u + i, w);
			i += w;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			i++;
		}
		o += ow;
	}
	out[o] = '\0';
	return out;
}

Google__Protobuf__Timestamp *
pbx_ts(struct pbx *a, int64_t sec, int32_t nsec)
{
	Google__Protobuf__Timestamp *t = pbx_alloc(a, sizeof(*t));

	if (t == NULL)
		return NULL;
	google__protobuf__timestamp__init(t);
	t->seconds = sec;
	t->nanos = nsec;
	return t;
}

void
pbx_now(int64_t *sec, int32_t *nsec)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (int64_t)ts.tv_sec;
	*nsec = (int32_t)ts.tv_nsec;
}

void
pbx_free(struct pbx *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
	memset(a, 0, sizeof(*a));
}

int
pbx_pack(const ProtobufCMessage *m, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t len;

	*out = NULL;
	*outlen = 0;
	len = protobuf_c_message_get_packed_size(m);
	if (len > max)
		return EV_ERR_TOO_BIG;
	if ((buf = malloc(len != 0 ? len : 1)) == NULL)
		return EV_ERR_NOMEM;
	if (protobuf_c_message_pack(m, buf) != len) {
		free(buf);
		return EV_ERR_INVALID_ARG;
	}
	*out = buf;
	*outlen = len;
	return 0;
}
