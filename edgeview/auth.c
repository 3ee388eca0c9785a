/* auth.c - the trusted signers of commands and the check of a signature. */
#include "auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ev_authkeys.h"
#include "ev_configitems.h"
#include "ev_crypto.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "ev_sig.h"

struct auth {
	int aut;
	char path[4096];
	bool loaded;
	uint8_t digest[EV_SHA256_LEN]; /* of what was read, to notice changes */
	struct ev_pubkey *cert;        /* aut 1 */
	struct ev_authkeys *keys;      /* aut 2 */
};

static void
drop(struct auth *a)
{
	ev_pubkey_free(a->cert);
	a->cert = NULL;
	ev_authkeys_free(a->keys);
	a->keys = NULL;
}

static void
load_cert(struct auth *a, const char *text, size_t len)
{
	int r;

	if (text == NULL) {
		ev_log_warn("%s is missing: signed commands are refused until it appears", a->path);
		return;
	}
	if ((r = ev_pubkey_from_pem(text, len, &a->cert)) != 0)
		ev_log_warn_r(r, "%s: signed commands are refused", a->path);
	else
		ev_log_info("commands must be signed by the controller key (%s)",
		            ev_pubkey_name(a->cert));
}

static void
load_keys(struct auth *a, const char *text)
{
	size_t nbad = 0, n, usable = 0;
	int r;

	if (text == NULL || *text == '\0') {
		ev_log_warn("no trusted SSH keys (%s in %s)", EV_CI_EDGEVIEW_PUBKEYS, a->path);
		return;
	}
	if ((r = ev_authkeys_parse(text, strlen(text), &a->keys, &nbad)) != 0) {
		ev_log_warn_r(r, "trusted SSH keys");
		return;
	}
	n = ev_authkeys_count(a->keys);
	for (size_t i = 0; i < n; i++) {
		const struct ev_authkey *k = ev_authkeys_get(a->keys, i);
		if (k->options[0] != '\0')
			ev_log_warn("trusted SSH key %zu (%s) skipped: it has options (%.40s), "
			            "which Edge-View cannot enforce",
			            i + 1, k->comment, k->options);
		else
			usable++;
	}
	if (nbad > 0)
		ev_log_warn("%zu trusted SSH key line(s) skipped: not a usable key", nbad);
	ev_log_info("%zu trusted SSH key(s)", usable);
}

/* Read the source; *changed when it differs from the last read. */
static void
reload(struct auth *a, bool *changed)
{
	char *text = NULL, *keys = NULL;
	size_t len = 0;
	uint8_t d[EV_SHA256_LEN] = {0};
	int r;

	*changed = false;
	if (a->aut == EV_AUT_CONTROLLER) {
		r = ev_file_read_capped(a->path, EV_MAX_PEM_FILE, &text, &len);
		if (r != 0 && r != EV_ERR_NOT_FOUND)
			ev_log_warn_r(r, "%s", a->path);
	} else {
		r = ev_configitems_read_str(a->path, EV_CI_EDGEVIEW_PUBKEYS, &keys);
		if (r != 0 && r != EV_ERR_NOT_FOUND)
			ev_log_warn_r(r, "%s", a->path);
		len = keys != NULL ? strlen(keys) : 0;
	}
	/* Unreadable and absent both count as "no keys". */
	if ((text != NULL || keys != NULL) && ev_sha256(text != NULL ? text : keys, len, d) != 0)
		memset(d, 0xff, sizeof(d)); /* cannot tell: treat as changed */
	if (a->loaded && ev_timingsafe_eq(d, a->digest, sizeof(d)))
		goto out;
	*changed = a->loaded;
	memcpy(a->digest, d, sizeof(d));
	a->loaded = true;
	drop(a);
	if (a->aut == EV_AUT_CONTROLLER)
		load_cert(a, text, len);
	else
		load_keys(a, keys);
out:
	free(text);
	free(keys);
}

int
auth_new(const char *root, int aut, struct auth **out)
{
	struct cmd_ctx ctx = {.root = root};
	struct auth *a;
	bool changed;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return EV_ERR_NOMEM;
	a->aut = aut;
	if (aut == EV_AUT_CONTROLLER)
		r = cmd_path(&ctx, "/run/edgeview/signing-cert.pem", a->path, sizeof(a->path));
	else if (aut == EV_AUT_SSH)
		r = cmd_path(&ctx, EV_CI_PATH, a->path, sizeof(a->path));
	else
		r = 0;
	if (r != 0) {
		free(a);
		return r;
	}
	if (aut == EV_AUT_CONTROLLER || aut == EV_AUT_SSH)
		reload(a, &changed);
	*out = a;
	return 0;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	drop(a);
	free(a);
}

const char *
auth_watch_path(const struct auth *a)
{
	return a != NULL && a->path[0] != '\0' ? a->path : NULL;
}

bool
auth_reload(struct auth *a)
{
	bool changed = false;

	if (a != NULL && a->path[0] != '\0')
		reload(a, &changed);
	return changed;
}

static int
verify_keys(const struct auth *a, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen,
            char comment[AUTH_COMMENT_MAX])
{
	size_t n = ev_authkeys_count(a->keys);

	for (size_t i = 0; i < n; i++) {
		const struct ev_authkey *k = ev_authkeys_get(a->keys, i);
		if (k->options[0] != '\0')
			continue;
		if (ev_sig_verify(k->key, msg, len, sig, siglen) == 0) {
			size_t c = strnlen(k->comment, AUTH_COMMENT_MAX - 1);
			memcpy(comment, k->comment, c);
			comment[c] = '\0';
			return 0;
		}
	}
	return EV_ERR_SIG_INVALID;
}

int
auth_verify(struct auth *a, const struct ev_envelope *e, char comment[AUTH_COMMENT_MAX],
            const char **reply)
{
	static const uint8_t empty[1];
	const uint8_t *msg;
	int r;

	comment[0] = '\0';
	*reply = AUTH_MSG_NOT_VALID;
	if (a == NULL || e == NULL)
		return EV_ERR_INVALID_ARG;
	msg = e->message.p != NULL ? e->message.p : empty;
	if (e->signature.len == 0) {
		*reply = a->aut == EV_AUT_SSH ? AUTH_MSG_NEED_SSH : AUTH_MSG_NEED_CERT;
		return EV_ERR_SIG_MISSING;
	}
	if (auth_reload(a)) {
		*reply = AUTH_MSG_CHANGED;
		return EV_ERR_AUTH_KEYS_CHANGED;
	}
	switch (a->aut) {
	case EV_AUT_CONTROLLER:
		if (a->cert == NULL)
			return EV_ERR_AUTH_NO_CERT;
		r = ev_sig_verify(a->cert, msg, e->message.len, e->signature.p, e->signature.len);
		return r == 0 ? 0 : EV_ERR_SIG_INVALID;
	case EV_AUT_SSH:
		if (a->keys == NULL || ev_authkeys_count(a->keys) == 0) {
			*reply = AUTH_MSG_NO_KEYS;
			return EV_ERR_NO_TRUSTED_KEYS;
		}
		return verify_keys(a, msg, e->message.len, e->signature.p, e->signature.len,
		                   comment);
	default: return EV_ERR_SIG_INVALID; /* unknown aut: nothing verifies (EVE) */
	}
}
