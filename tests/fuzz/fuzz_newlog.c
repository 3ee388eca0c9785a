/* fuzz_newlog.c - LogEntry records, newlog file names and -time ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_newlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_newlog_entry e;
	char *s = malloc(size + 1);
	time_t older, newer;
	int64_t ms;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ev_newlog_parse(s, size, &e) == 0) {
		if (e.severity == NULL || e.c_msg == NULL)
			abort();
		ev_newlog_entry_free(&e);
	}
	if (size < 256) {
		if (ev_newlog_time_range(s, 1700000000, &older, &newer) == 0 && older > newer)
			abort();
		if (ev_newlog_name_time(s, &ms) == 0 && ms < 0)
			abort();
	}
	free(s);
	return 0;
}
