/* fuzz_configitems.c - EVE's ConfigItemValueMap (global.json), read by
 * edgeviewd for the trusted SSH keys. */
#include <stdint.h>
#include <stdlib.h>

#include "ev_configitems.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = NULL;

	if (ev_configitems_get_str((const char *)data, size, EV_CI_EDGEVIEW_PUBKEYS, &v) == 0)
		free(v);
	return 0;
}
