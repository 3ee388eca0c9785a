/* ev_sshwire.c - bounds-checked SSH wire-format reader. */
#include "ev_sshwire.h"

#include <string.h>

#include "ev_err.h"

void
ev_sshwire_init(struct ev_sshwire *w, const void *p, size_t len)
{
	w->p = p;
	w->len = p != NULL ? len : 0;
}

int
ev_sshwire_get_u32(struct ev_sshwire *w, uint32_t *v)
{
	*v = 0;
	if (w->len < 4)
		return EV_ERR_TRUNCATED;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[2] << 8 |
	     (uint32_t)w->p[3];
	w->p += 4;
	w->len -= 4;
	return 0;
}

int
ev_sshwire_get_string(struct ev_sshwire *w, const uint8_t **s, size_t *len)
{
	uint32_t n;

	*s = NULL;
	*len = 0;
	if (w->len < 4)
		return EV_ERR_TRUNCATED;
	n = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[2] << 8 |
	    (uint32_t)w->p[3];
	/* Written so that it cannot overflow: compare against what is left. */
	if (w->len - 4 < n)
		return EV_ERR_TRUNCATED;
	*s = w->p + 4;
	*len = n;
	w->p += 4 + (size_t)n;
	w->len -= 4 + (size_t)n;
	return 0;
}

int
ev_sshwire_get_string_eq(struct ev_sshwire *w, const char *want)
{
	struct ev_sshwire save = *w;
	const uint8_t *s;
	size_t n;
	int r;

	if ((r = ev_sshwire_get_string(w, &s, &n)) != 0)
		return r;
	if (n != strlen(want) || memcmp(s, want, n) != 0) {
		*w = save;
		return EV_ERR_NOT_FOUND;
	}
	return 0;
}

int
ev_sshwire_get_mpint_pos(struct ev_sshwire *w, const uint8_t **s, size_t *len)
{
	struct ev_sshwire save = *w;
	const uint8_t *p;
	size_t n;
	int r;

	*s = NULL;
	*len = 0;
	if ((r = ev_sshwire_get_string(w, &p, &n)) != 0)
		return r;
	/* Zero, negative, or a leading zero byte that does not clear a sign bit. */
	if (n == 0 || (p[0] & 0x80) != 0 || (p[0] == 0 && (n == 1 || (p[1] & 0x80) == 0))) {
		*w = save;
		return EV_ERR_INVALID_ARG;
	}
	if (p[0] == 0) {
		p++;
		n--;
	}
	*s = p;
	*len = n;
	return 0;
}

bool
ev_sshwire_done(const struct ev_sshwire *w)
{
	return w->len == 0;
}
