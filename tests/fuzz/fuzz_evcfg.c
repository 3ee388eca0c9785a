/* fuzz_evcfg.c - edge-view-config parser; format(parse(x)) must parse the same. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Equal after the one documented normalisation: EvGenID is always written. */
static bool
same(const struct ev_evcfg *a, const struct ev_evcfg *b)
{
	return str_eq(a->token, b->token) && a->multi_inst == b->multi_inst && a->exp == b->exp &&
	       str_eq(a->dep_certs, b->dep_certs) && a->dev_policy == b->dev_policy &&
	       a->app_policy == b->app_policy && a->ext_policy == b->ext_policy && b->has_gen_id &&
	       a->gen_id == b->gen_id;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_evcfg first, second;
	struct ev_buf *b = NULL;
	int r;

	if (ev_evcfg_parse((const char *)data, size, &first) != 0)
		return 0;
	if (first.multi_inst == 1 || first.multi_inst > EV_MAX_INSTANCES ||
	    (!first.has_gen_id && first.gen_id != 0))
		abort();
	if ((b = ev_buf_new(EV_MAX_EVCFG_FILE)) == NULL)
		abort();
	r = ev_evcfg_format(&first, b);
	/* Missing items are written out, so a file near the cap may not fit. */
	if (r == EV_ERR_BUF_FULL && size > EV_MAX_EVCFG_FILE - 1024)
		goto out;
	if (r != 0)
		abort();
	if (ev_evcfg_parse(ev_buf_str(b), ev_buf_len(b), &second) != 0)
		abort();
	if (!same(&first, &second))
		abort();
	ev_evcfg_free(&second);
out:
	ev_evcfg_free(&first);
	ev_buf_free(b);
	return 0;
}
