/* ev_test.c - vectors.json access and temp dirs for unit tests. */
#include "ev_test.h"

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_encoding.h"

#ifndef EV_TEST_DATA
#error "EV_TEST_DATA must name tests/data"
#endif

static json_t *vectors;

const char *
tv_data_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", EV_TEST_DATA, name);
	return path;
}

static json_t *
tv_lookup(const char *path)
{
	char part[256];
	json_t *v;
	const char *p = path;

	if (vectors == NULL) {
		json_error_t err;
		vectors = json_load_file(tv_data_path("vectors.json"), 0, &err);
		if (vectors == NULL)
			fail_msg("vectors.json: %s", err.text);
	}
	v = vectors;
	while (*p != '\0') {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(part))
			fail_msg("vector path too long: %s", path);
		memcpy(part, p, n);
		part[n] = '\0';
		v = json_object_get(v, part);
		if (v == NULL)
			fail_msg("no vector %s", path);
		p += n;
		if (*p == '.')
			p++;
	}
	return v;
}

const char *
tv_str(const char *path)
{
	json_t *v = tv_lookup(path);

	if (!json_is_string(v))
		fail_msg("vector %s is not a string", path);
	return json_string_value(v);
}

uint8_t *
tv_hex(const char *path, size_t *len)
{
	const char *s = tv_str(path);
	size_t n = strlen(s) / 2;
	uint8_t *out = malloc(n + 1);

	assert_non_null(out);
	if (ev_hex_decode(s, strlen(s), out, n) != 0)
		fail_msg("vector %s is not hex", path);
	*len = n;
	return out;
}

char *
tv_read_data_file(const char *name, size_t *len)
{
	FILE *f = fopen(tv_data_path(name), "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", tv_data_path(name));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

char *
tv_tmpdir(void)
{
	char tmpl[] = "/tmp/evtest.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tv_rmrf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
