/* handoff.c - the controller's Edge-View config to edgeviewd's files. */
#include "handoff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/edgeview.pb-c.h"
#include "ev_buf.h"
#include "ev_configitems.h"
#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_log.h"
#include "ev_mem.h"

#define SIGNING_CERT_NAME "signing-cert.pem"

void
handoff_init(struct handoff *h, const char *root)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->root, sizeof(h->root), "%s",
	         root != NULL && strcmp(root, "/") != 0 ? root : "");
}

static int
path_of(const struct handoff *h, const char *rel, char *out, size_t cap)
{
	return ev_path_join(out, cap, h->root, rel);
}

void
handoff_free(struct handoff *h)
{
	ev_strfreezero(h->token);
	h->token = NULL;
}

bool
handoff_remote_access_disabled(const struct handoff *h)
{
	char p[4200];

	return path_of(h, HANDOFF_DISABLED_FILE, p, sizeof(p)) == 0 && access(p, F_OK) == 0;
}

static int
unlink_if(const char *path, bool *removed)
{
	if (unlink(path) == 0) {
		*removed = true;
		return 0;
	}
	return errno == ENOENT ? 0 : EV_ERR_SYSTEM;
}

int
handoff_remove(struct handoff *h, enum handoff_state state, const char *why)
{
	char cfg[4200], cert[4200];
	bool removed = false;
	int r;

	if ((r = path_of(h, EV_EVCFG_DIR "/" EV_EVCFG_FILE_NAME, cfg, sizeof(cfg))) != 0 ||
	    (r = path_of(h, EV_EVCFG_DIR "/" SIGNING_CERT_NAME, cert, sizeof(cert))) != 0)
		return r;
	/* The config first: edgeviewd follows it and must never run without
	 * the certificate that goes with it. */
	if ((r = unlink_if(cfg, &removed)) != 0 || (r = unlink_if(cert, &removed)) != 0) {
		ev_log_err("cannot remove the Edge-View files in %s%s: %s", h->root, EV_EVCFG_DIR,
		           strerror(errno));
		return r;
	}
	if (removed || h->state == HANDOFF_ON)
		ev_log_notice("Edge-View stopped: %s", why);
	h->state = state;
	h->exp = 0;
	handoff_free(h);
	memset(h->applied, 0, sizeof(h->applied));
	snprintf(h->why, sizeof(h->why), "%s", why);
	return 0;
}

/* What the files would hold, so an identical config is a no-op. */
static int
digest_of(const Org__Lfedge__Eve__Config__EdgeViewConfig *c, const char *pem, size_t pemlen,
          uint8_t out[EV_SHA256_LEN])
{
	struct ev_buf *b = ev_buf_new(EV_MAX_EVCFG_FILE + EV_MAX_PEM_FILE + 64);
	int r;

	if (b == NULL)
		return EV_ERR_NOMEM;
	if ((r = ev_buf_putf(b, "%s\n%u %d %d %d\n", c->token, c->generation_id,
	                     c->dev_policy != NULL && c->dev_policy->allow_dev,
	                     c->app_policy != NULL && c->app_policy->allow_app,
	                     c->ext_policy != NULL && c->ext_policy->allow_ext)) == 0) {
		for (size_t i = 0; i < c->n_disp_cert_pem && r == 0; i++)
			r = ev_buf_put(b, c->disp_cert_pem[i].data, c->disp_cert_pem[i].len);
		if (r == 0)
			r = ev_buf_put(b, pem, pemlen);
	}
	if (r == 0)
		r = ev_sha256(ev_buf_ptr(b), ev_buf_len(b), out);
	ev_buf_free(b);
	return r;
}

/* Whether the token in force still verifies now. */
static bool
current_still_good(const struct handoff *h, const struct handoff_in *in)
{
	struct ev_jwt *jwt = NULL;
	bool ok;

	if (h->state != HANDOFF_ON || h->token == NULL || in->signing_key == NULL)
		return false;
	ok = ev_jwt_parse(h->token, strlen(h->token), &jwt) == 0 &&
	     ev_jwt_verify(jwt, in->signing_key) == 0 &&
	     ev_jwt_validate(jwt, in->now, in->uuid) == 0;
	ev_jwt_free(jwt);
	return ok;
}

/* why = what [": " reason of code].  The session of the token in force
 * continues if that token is still good (the last good state). */
static int
refuse(struct handoff *h, const struct handoff_in *in, const char *what, int code)
{
	char why[256];

	snprintf(why, sizeof(why), "%s%s%s", what, code != 0 && *what != '\0' ? ": " : "",
	         code != 0 ? ev_strerror(code) : "");
	if (current_still_good(h, in)) {
		if (strcmp(why, h->why) != 0) { /* else the same refusal again, logged */
			ev_log_warn("Edge-View token refused: %s; the session of the previous "
			            "token continues until %llu",
			            why, (unsigned long long)h->exp);
			snprintf(h->why, sizeof(h->why), "%s", why);
		}
		return 0;
	}
	ev_log_warn("Edge-View token refused: %s", why);
	return handoff_remove(h, HANDOFF_REFUSED, why);
}

/* The dispatcher certificates, one PEM after the other (EvDepCerts). */
static int
dep_certs(const Org__Lfedge__Eve__Config__EdgeViewConfig *c, char **out)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_EVCFG_FILE);
	int r = 0;

	*out = NULL;
	if (b == NULL)
		return EV_ERR_NOMEM;
	for (size_t i = 0; i < c->n_disp_cert_pem && r == 0; i++) {
		r = ev_buf_put(b, c->disp_cert_pem[i].data, c->disp_cert_pem[i].len);
		if (r == 0 && c->disp_cert_pem[i].len > 0 &&
		    c->disp_cert_pem[i].data[c->disp_cert_pem[i].len - 1] != '\n')
			r = ev_buf_put_u8(b, '\n');
	}
	if (r == 0 && ev_buf_len(b) > 0 && (*out = strndup(ev_buf_str(b), ev_buf_len(b))) == NULL)
		r = EV_ERR_NOMEM;
	ev_buf_free(b);
	return r;
}

/* Whether the files already hold exactly this config and certificate. */
static bool
files_hold(const char *dir, const char *cert, const struct ev_evcfg *ec, const char *pem,
           size_t pemlen)
{
	char path[4300], *old = NULL;
	size_t oldlen = 0;
	struct ev_buf *b = NULL;
	bool same = false;

	if (ev_file_read_capped(cert, EV_MAX_PEM_FILE, &old, &oldlen) != 0 || oldlen != pemlen ||
	    memcmp(old, pem, pemlen) != 0)
		goto out;
	free(old);
	old = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, EV_EVCFG_FILE_NAME);
	if ((b = ev_buf_new(EV_MAX_EVCFG_FILE)) == NULL || ev_evcfg_format(ec, b) != 0 ||
	    ev_file_read_capped(path, EV_MAX_EVCFG_FILE, &old, &oldlen) != 0)
		goto out;
	same = oldlen == ev_buf_len(b) && memcmp(old, ev_buf_ptr(b), oldlen) == 0;
out:
	if (old != NULL)
		ev_freezero(old, oldlen);
	ev_buf_free(b);
	return same;
}

int
handoff_apply(struct handoff *h, const struct handoff_in *in, bool *changed)
{
	const Org__Lfedge__Eve__Config__EdgeViewConfig *c = in->cfg;
	enum handoff_state before = h->state;
	struct ev_jwt *jwt = NULL;
	struct ev_evcfg ec = {0};
	uint8_t d[EV_SHA256_LEN];
	char dir[4200], cert[4200];
	int r;

	*changed = false;
	if (handoff_remote_access_disabled(h)) {
		r = before == HANDOFF_DISABLED
		            ? 0
		            : handoff_remove(h, HANDOFF_DISABLED,
		                             "remote access is disabled on this "
		                             "device (" HANDOFF_DISABLED_FILE ")");
		*changed = before != h->state;
		return r;
	}
	if (c == NULL || c->token == NULL || c->token[0] == '\0') {
		r = before == HANDOFF_OFF ? 0
		                          : handoff_remove(h, HANDOFF_OFF,
		                                           "the controller's config "
		                                           "has no Edge-View section");
		*changed = before != h->state;
		return r;
	}
	if (in->signing_key == NULL || in->signing_pem == NULL) {
		r = refuse(h, in, "no controller signing certificate to verify it", 0);
		goto out;
	}
	if ((r = digest_of(c, in->signing_pem, in->signing_pem_len, d)) != 0)
		goto out;
	if (h->state == HANDOFF_ON && ev_timingsafe_eq(d, h->applied, sizeof(d)) &&
	    (uint64_t)in->now <= h->exp)
		goto out; /* the same config again */
	if ((r = ev_jwt_parse(c->token, strlen(c->token), &jwt)) != 0) {
		r = refuse(h, in, "not a valid token", r);
		goto out;
	}
	if ((r = ev_jwt_verify(jwt, in->signing_key)) != 0) {
		r = refuse(h, in,
		           "its signature does not verify with the controller signing certificate",
		           r);
		goto out;
	}
	if ((r = ev_jwt_validate(jwt, in->now, in->uuid)) != 0) {
		r = refuse(h, in, "", r);
		goto out;
	}
	if (jwt->claims.num > EV_MAX_INSTANCES) {
		r = refuse(h, in, "", EV_ERR_JWT_NUM);
		goto out;
	}
	if ((r = path_of(h, EV_EVCFG_DIR, dir, sizeof(dir))) != 0 ||
	    (r = path_of(h, EV_EVCFG_DIR "/" SIGNING_CERT_NAME, cert, sizeof(cert))) != 0)
		goto out;
	if ((r = ev_dir_ensure(dir, EV_EVCFG_DIR_MODE)) != 0)
		goto fail;
	ec.token = c->token;
	ec.exp = jwt->claims.exp;
	ec.multi_inst = jwt->claims.num > 1 ? jwt->claims.num : 0;
	ec.dev_policy = c->dev_policy != NULL && c->dev_policy->allow_dev;
	ec.app_policy = c->app_policy != NULL && c->app_policy->allow_app;
	ec.ext_policy = c->ext_policy != NULL && c->ext_policy->allow_ext;
	ec.has_gen_id = true;
	ec.gen_id = c->generation_id;
	if ((r = dep_certs(c, &ec.dep_certs)) != 0)
		goto fail;
	if (files_hold(dir, cert, &ec, in->signing_pem, in->signing_pem_len)) {
		/* What an earlier run wrote (an agent restart): rewriting would
		 * make edgeviewd restart the session for nothing. */
		ev_log_info("Edge-View files already up to date");
	} else if ((r = ev_file_write_atomic(cert, in->signing_pem, in->signing_pem_len, 0600,
	                                     "signing-cert")) != 0 ||
	           (r = ev_evcfg_write(dir, &ec)) != 0) {
		/* (The certificate first, so edgeviewd never starts without it.) */
		goto fail;
	}
	memcpy(h->applied, d, sizeof(d));
	h->exp = jwt->claims.exp;
	handoff_free(h);
	if ((h->token = strdup(c->token)) == NULL)
		ev_log_warn("Edge-View token not kept: a refused successor ends its session");
	h->state = HANDOFF_ON;
	h->why[0] = '\0';
	ev_log_notice("Edge-View started: dispatcher %s, %u instance(s), aut %d%s, expires %llu",
	              jwt->claims.dep, jwt->claims.num > 1 ? jwt->claims.num : 1, jwt->claims.aut,
	              jwt->claims.enc ? ", encrypted" : "", (unsigned long long)jwt->claims.exp);
	*changed = true;
	r = 0;
	goto out;
fail:
	ev_log_err_r(r, "writing the Edge-View files in %s", dir);
	if (handoff_remove(h, HANDOFF_REFUSED, "the Edge-View files could not be written") != 0)
		ev_log_err("Edge-View files may be left behind in %s", dir);
out:
	if (h->state != before)
		*changed = true;
	free(ec.dep_certs);
	ev_jwt_free(jwt);
	return r;
}

int
handoff_set_ssh_keys(struct handoff *h, const char *keys, bool *changed)
{
	char path[4200];
	uint8_t d[EV_SHA256_LEN];
	int r;

	*changed = false;
	if (keys == NULL)
		keys = "";
	if ((r = ev_sha256(keys, strlen(keys), d)) != 0)
		return r;
	if (h->keys_written && ev_timingsafe_eq(d, h->keys_digest, sizeof(d)))
		return 0;
	if ((r = path_of(h, EV_CI_PATH, path, sizeof(path))) != 0)
		return r;
	if (!h->keys_written) {
		/* After a restart: what an earlier run wrote needs no rewrite. */
		char *old = NULL;
		bool same = ev_configitems_read_str(path, EV_CI_EDGEVIEW_PUBKEYS, &old) == 0 &&
		            strcmp(old, keys) == 0;
		free(old);
		if (same) {
			memcpy(h->keys_digest, d, sizeof(d));
			h->keys_written = true;
			return 0;
		}
	}
	if ((r = ev_configitems_set_str(path, EV_CI_EDGEVIEW_PUBKEYS, keys)) != 0) {
		ev_log_err_r(r, "writing %s", path);
		return r;
	}
	memcpy(h->keys_digest, d, sizeof(d));
	h->keys_written = true;
	*changed = true;
	ev_log_notice("trusted SSH keys for Edge-View updated (%zu bytes)", strlen(keys));
	return 0;
}
