/* ev_copyfile.c - the copyFile header. */
#include "ev_copyfile.h"

#include <string.h>

#include "ev_codec.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_mem.h"

/* Go's field order.  Strings may be as long as the message: the name
 * limit is a rule of ev_copyfile_validate(), not of the JSON. */
static const struct ev_json_field copyfile_fields[] = {
        {"tokenHash", EV_JSON_BYTES, offsetof(struct ev_copyfile, token_hash), EV_MAX_COPYFILE_JSON,
         0},
        {"name", EV_JSON_STRING, offsetof(struct ev_copyfile, name), EV_MAX_COPYFILE_JSON, 0},
        {"size", EV_JSON_I64, offsetof(struct ev_copyfile, size), 0, 0},
        {"dirsize", EV_JSON_I64, offsetof(struct ev_copyfile, dirsize), 0, 0},
        {"sha256", EV_JSON_STRING, offsetof(struct ev_copyfile, sha256), EV_MAX_COPYFILE_JSON, 0},
        {"modtsec", EV_JSON_I64, offsetof(struct ev_copyfile, modtsec), 0, 0},
};

int
ev_copyfile_encode(const struct ev_copyfile *f, struct ev_buf *out)
{
	if (f == NULL)
		return EV_ERR_INVALID_ARG;
	return ev_codec_encode(out, copyfile_fields, EV_ARRAY_LEN(copyfile_fields), 0, f,
	                       EV_MAX_COPYFILE_JSON);
}

int
ev_copyfile_decode(const char *json, size_t len, struct ev_copyfile *out)
{
	struct ev_copyfile f;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if ((r = ev_codec_decode(json, len, EV_MAX_COPYFILE_JSON, copyfile_fields,
	                         EV_ARRAY_LEN(copyfile_fields), &f)) != 0)
		goto out;
	*out = f;
	memset(&f, 0, sizeof(f));
	r = 0;
out:
	ev_copyfile_free(&f);
	return r;
}

void
ev_copyfile_free(struct ev_copyfile *f)
{
	if (f == NULL)
		return;
	ev_bytes_free(&f->token_hash);
	ev_strfreezero(f->name);
	ev_strfreezero(f->sha256);
	ev_memzero(f, sizeof(*f));
}

static int
validate_name(const char *name)
{
	size_t len;

	if (name == NULL)
		return EV_ERR_COPYFILE_NAME;
	len = strnlen(name, EV_MAX_FILE_NAME + 1);
	if (len == 0 || len > EV_MAX_FILE_NAME || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return EV_ERR_COPYFILE_NAME;
	return 0;
}

static int
validate_sha256(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; s[i] != '\0' && i <= 2 * EV_SHA256_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return EV_ERR_COPYFILE_SHA256;
	}
	return i == 2 * EV_SHA256_LEN ? 0 : EV_ERR_COPYFILE_SHA256;
}

int
ev_copyfile_validate(const struct ev_copyfile *f)
{
	int r;

	if (f == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = validate_name(f->name)) != 0)
		return r;
	if (f->size < 0 || f->dirsize < 0)
		return EV_ERR_COPYFILE_SIZE;
	return validate_sha256(f->sha256);
}
