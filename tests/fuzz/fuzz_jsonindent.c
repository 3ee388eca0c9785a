/* fuzz_jsonindent.c - the re-indenter never crashes and, on success,
 * yields output that re-indents to itself (Go's Indent is idempotent). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_jsonindent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_buf *a = ev_buf_new(1024 * 1024), *b = ev_buf_new(1024 * 1024);

	if (a == NULL || b == NULL)
		goto out;
	if (ev_json_indent((const char *)data, size, a) == 0) {
		if (ev_json_indent((const char *)ev_buf_ptr(a), ev_buf_len(a), b) != 0)
			abort();
		if (ev_buf_len(a) != ev_buf_len(b) ||
		    memcmp(ev_buf_ptr(a), ev_buf_ptr(b), ev_buf_len(a)) != 0)
			abort();
	}
	ev_buf_reset(a);
	if (ev_json_indent_or_raw((const char *)data, size, a) != 0 && size < 1024 * 1024)
		abort(); /* raw fallback fits whenever the input does */
out:
	ev_buf_free(a);
	ev_buf_free(b);
	return 0;
}
