/* fuzz_retryafter.c - the Retry-After header of a controller's answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_limits.h"
#include "ev_retryafter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v;

	/* lws hands the header over as a C string */
	if ((v = malloc(size + 1)) == NULL)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	if (ev_retry_after_parse(v, 1795000000) > EV_MAX_RETRY_AFTER_SECS)
		abort();
	free(v);
	return 0;
}
