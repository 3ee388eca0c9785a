/* ev_evcfg.c - parse and write /run/edgeview/edge-view-config (see ev_evcfg.h). */
#include "ev_evcfg.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_json.h"
#include "ev_limits.h"
#include "ev_mem.h"

enum evcfg_item {
	IT_TOKEN,
	IT_MULTI_INST,
	IT_EXP,
	IT_DEP_CERTS,
	IT_DEV_POLICY,
	IT_APP_POLICY,
	IT_EXT_POLICY,
	IT_GEN_ID,
	IT_COUNT,
};

#define PFX_(s)                  \
	{                        \
		s, sizeof(s) - 1 \
	}
static const struct {
	const char *s;
	size_t len;
} prefixes[IT_COUNT] = {
        [IT_TOKEN] = PFX_(EV_EVCFG_PFX_TOKEN),
        [IT_MULTI_INST] = PFX_(EV_EVCFG_PFX_MULTI_INST),
        [IT_EXP] = PFX_(EV_EVCFG_PFX_EXP),
        [IT_DEP_CERTS] = PFX_(EV_EVCFG_PFX_DEP_CERTS),
        [IT_DEV_POLICY] = PFX_(EV_EVCFG_PFX_DEV_POLICY),
        [IT_APP_POLICY] = PFX_(EV_EVCFG_PFX_APP_POLICY),
        [IT_EXT_POLICY] = PFX_(EV_EVCFG_PFX_EXT_POLICY),
        [IT_GEN_ID] = PFX_(EV_EVCFG_PFX_GEN_ID),
};
#undef PFX_

/* Longer than any prefix above. */
#define EV_EVCFG_PFX_MAX 32u

/* Go's struct{Enabled bool `json:"enabled"`} of zedagent's policies. */
struct evcfg_policy {
	bool enabled;
};

static const struct ev_json_field policy_fields[] = {
        {"enabled", EV_JSON_BOOL, offsetof(struct evcfg_policy, enabled), 0, 0},
};

/* Which known item the line starts with, or -1. */
static int
item_of(const char *line, size_t len)
{
	for (int i = 0; i < IT_COUNT; i++)
		if (len >= prefixes[i].len && memcmp(line, prefixes[i].s, prefixes[i].len) == 0)
			return i;
	return -1;
}

static bool
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* "Name:" with Name = letter (letter | digit | '_' | '-')*: a future item. */
static bool
has_name_shape(const char *line, size_t len)
{
	if (len == 0 || !is_alpha(line[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = line[i];

		if (c == ':')
			return true;
		if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-')
			return false;
	}
	return false;
}

/* The token goes on a command line (section 2.4): keep it one plain word. */
static int
check_token(const char *s, size_t len)
{
	if (len == 0)
		return EV_ERR_CFG_TOKEN;
	if (len > EV_MAX_JWT)
		return EV_ERR_TOO_BIG;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return EV_ERR_CFG_TOKEN;
	return 0;
}

/* Digits only, as strconv would take them minus the sign; overflow fails. */
static int
parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	*out = 0;
	if (len == 0)
		return EV_ERR_CFG_NUMBER;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - (unsigned)'0';

		if (d > 9)
			return EV_ERR_CFG_NUMBER;
		if (d > max || v > (max - d) / 10)
			return EV_ERR_CFG_NUMBER;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
parse_policy(const char *s, size_t len, bool *out)
{
	struct evcfg_policy p = {false};
	json_t *doc = NULL;
	int r;

	*out = false;
	if (ev_json_parse(s, len, EV_MAX_EVCFG_LINE, &doc) != 0 ||
	    ev_json_decode(doc, policy_fields, EV_ARRAY_LEN(policy_fields), &p) != 0) {
		r = EV_ERR_CFG_POLICY;
		goto out;
	}
	*out = p.enabled;
	r = 0;
out:
	json_decref(doc);
	return r;
}

/* One item line other than EvDepCerts; v is the text after the prefix. */
static int
parse_item(int it, const char *v, size_t vlen, struct ev_evcfg *c)
{
	uint64_t u;
	int r;

	switch (it) {
	case IT_TOKEN:
		if ((r = check_token(v, vlen)) != 0)
			return r;
		if ((c->token = ev_strndup(v, vlen)) == NULL)
			return EV_ERR_NOMEM;
		return 0;
	case IT_MULTI_INST:
		if ((r = parse_dec(v, vlen, EV_MAX_INSTANCES, &u)) != 0)
			return r;
		/* 0 and 1 are both single instance (section 1.5). */
		c->multi_inst = u > 1 ? (unsigned)u : 0;
		return 0;
	case IT_EXP: return parse_dec(v, vlen, UINT64_MAX, &c->exp);
	case IT_DEV_POLICY: return parse_policy(v, vlen, &c->dev_policy);
	case IT_APP_POLICY: return parse_policy(v, vlen, &c->app_policy);
	case IT_EXT_POLICY: return parse_policy(v, vlen, &c->ext_policy);
	case IT_GEN_ID:
		if ((r = parse_dec(v, vlen, UINT32_MAX, &u)) != 0)
			return r;
		c->gen_id = (uint32_t)u;
		c->has_gen_id = true;
		return 0;
	default: return EV_ERR_INVALID_ARG;
	}
}

int
ev_evcfg_parse(const char *text, size_t len, struct ev_evcfg *out)
{
	struct ev_evcfg c;
	struct ev_buf *certs = NULL;
	bool seen[IT_COUNT] = {false};
	bool in_certs = false;
	size_t pos = 0;
	uint8_t *taken = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (out == NULL || (text == NULL && len > 0))
		return EV_ERR_INVALID_ARG;
	if (len > EV_MAX_EVCFG_FILE)
		return EV_ERR_TOO_BIG;
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return EV_ERR_NUL_BYTE;
	/* A CR is only accepted as part of a CRLF line ending. */
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n'))
			return EV_ERR_CFG_SYNTAX;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - pos;
		int it;

		pos += llen + (nl != NULL ? 1 : 0);
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		it = item_of(line, llen);
		if (in_certs) {
			/* PEM lines until the next item (section 2.1 quirk). */
			if (it < 0) {
				if ((r = ev_buf_put_u8(certs, '\n')) != 0 ||
				    (r = ev_buf_put(certs, line, llen)) != 0)
					goto out;
				continue;
			}
			in_certs = false;
		}
		if (it != IT_DEP_CERTS && llen > EV_MAX_EVCFG_LINE) {
			r = EV_ERR_TOO_BIG;
			goto out;
		}
		if (it < 0) {
			if (llen == 0 || has_name_shape(line, llen))
				continue;
			r = EV_ERR_CFG_SYNTAX;
			goto out;
		}
		if (seen[it]) {
			r = EV_ERR_CFG_DUPLICATE;
			goto out;
		}
		seen[it] = true;
		if (it == IT_DEP_CERTS) {
			if ((certs = ev_buf_new(EV_MAX_EVCFG_FILE)) == NULL) {
				r = EV_ERR_NOMEM;
				goto out;
			}
			if ((r = ev_buf_put(certs, line + prefixes[it].len,
			                    llen - prefixes[it].len)) != 0)
				goto out;
			in_certs = true;
			continue;
		}
		if ((r = parse_item(it, line + prefixes[it].len, llen - prefixes[it].len, &c)) != 0)
			goto out;
	}
	if (!seen[IT_TOKEN]) {
		r = EV_ERR_CFG_NO_TOKEN;
		goto out;
	}
	if (certs != NULL && ev_buf_len(certs) > 0) {
		if ((r = ev_buf_take(certs, &taken, NULL)) != 0)
			goto out;
		c.dep_certs = (char *)taken;
		taken = NULL;
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	ev_buf_free(certs);
	ev_evcfg_free(&c);
	return r;
}

/* Would dep_certs read back unchanged?  A line starting with a known prefix
 * would end the item early, and CRs are stripped or rejected on input. */
static bool
certs_writable(const char *s)
{
	const char *nl;

	if (strchr(s, '\r') != NULL)
		return false;
	for (nl = strchr(s, '\n'); nl != NULL; nl = strchr(nl + 1, '\n'))
		if (item_of(nl + 1, strnlen(nl + 1, EV_EVCFG_PFX_MAX)) >= 0)
			return false;
	return true;
}

static int
put_policy(struct ev_buf *b, const char *prefix, bool enabled)
{
	int r;

	if ((r = ev_buf_put_str(b, prefix)) != 0 || (r = ev_buf_put_u8(b, '{')) != 0 ||
	    (r = ev_json_put_key(b, "enabled", true)) != 0 ||
	    (r = ev_json_put_bool(b, enabled)) != 0 || (r = ev_buf_put_str(b, "}\n")) != 0)
		return r;
	return 0;
}

int
ev_evcfg_format(const struct ev_evcfg *c, struct ev_buf *out)
{
	struct ev_buf *b = NULL;
	int r;

	if (c == NULL || out == NULL || c->token == NULL ||
	    check_token(c->token, strlen(c->token)) != 0 || c->multi_inst > EV_MAX_INSTANCES ||
	    (c->dep_certs != NULL && !certs_writable(c->dep_certs)))
		return EV_ERR_INVALID_ARG;
	/* Build aside, then append once, so that out is unchanged on failure. */
	if (ev_buf_avail(out) == 0)
		return EV_ERR_BUF_FULL;
	if ((b = ev_buf_new(ev_buf_avail(out))) == NULL)
		return EV_ERR_NOMEM;
	/* zedagent's order (section 2.1). */
	if ((r = ev_buf_put_str(b, EV_EVCFG_PFX_TOKEN)) != 0 ||
	    (r = ev_buf_put_str(b, c->token)) != 0 || (r = ev_buf_put_u8(b, '\n')) != 0)
		goto out;
	if (c->multi_inst > 1 &&
	    (r = ev_buf_putf(b, "%s%u\n", EV_EVCFG_PFX_MULTI_INST, c->multi_inst)) != 0)
		goto out;
	if ((r = ev_buf_putf(b, "%s%" PRIu64 "\n", EV_EVCFG_PFX_EXP, c->exp)) != 0)
		goto out;
	if (c->dep_certs != NULL && c->dep_certs[0] != '\0' &&
	    ((r = ev_buf_put_str(b, EV_EVCFG_PFX_DEP_CERTS)) != 0 ||
	     (r = ev_buf_put_str(b, c->dep_certs)) != 0 || (r = ev_buf_put_u8(b, '\n')) != 0))
		goto out;
	if ((r = put_policy(b, EV_EVCFG_PFX_DEV_POLICY, c->dev_policy)) != 0 ||
	    (r = put_policy(b, EV_EVCFG_PFX_APP_POLICY, c->app_policy)) != 0 ||
	    (r = put_policy(b, EV_EVCFG_PFX_EXT_POLICY, c->ext_policy)) != 0)
		goto out;
	if ((r = ev_buf_putf(b, "%s%" PRIu32 "\n", EV_EVCFG_PFX_GEN_ID,
	                     c->has_gen_id ? c->gen_id : 0)) != 0)
		goto out;
	r = ev_buf_put(out, ev_buf_ptr(b), ev_buf_len(b));
out:
	ev_buf_free(b);
	return r;
}

int
ev_evcfg_write(const char *dir, const struct ev_evcfg *c)
{
	char path[PATH_MAX];
	struct ev_buf *b = NULL;
	int r;

	if (dir == NULL || dir[0] == '\0' || c == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_path_join(path, sizeof(path), dir, EV_EVCFG_FILE_NAME)) != 0)
		goto out;
	if ((b = ev_buf_new(EV_MAX_EVCFG_FILE)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_evcfg_format(c, b)) != 0)
		goto out;
	if ((r = ev_dir_ensure(dir, EV_EVCFG_DIR_MODE)) != 0)
		goto out;
	r = ev_file_write_atomic(path, ev_buf_ptr(b), ev_buf_len(b), EV_EVCFG_FILE_MODE,
	                         EV_EVCFG_TMP_PREFIX);
out:
	ev_buf_free(b); /* wipes the token */
	return r;
}

int
ev_evcfg_load(const char *path, struct ev_evcfg *out)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (path == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_file_read_capped(path, EV_MAX_EVCFG_FILE, &text, &len)) != 0)
		goto out;
	r = ev_evcfg_parse(text, len, out);
out:
	if (text != NULL)
		ev_freezero(text, len + 1);
	return r;
}

void
ev_evcfg_free(struct ev_evcfg *c)
{
	if (c == NULL)
		return;
	ev_strfreezero(c->token);
	free(c->dep_certs);
	ev_memzero(c, sizeof(*c));
}
