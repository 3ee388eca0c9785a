/*
 * handoff.h - from the controller's Edge-View config to the files edgeviewd
 * follows (device-api 4.3, edgeview-protocol 1.2, 2.1-2.3).
 *
 * The token is verified here, as EVE's zedagent does: ES256 against the
 * current controller signing certificate, `sub` is this device, `exp` in
 * the future, `num` <= 5.  Only then are /run/edgeview/signing-cert.pem and
 * /run/edgeview/edge-view-config written, atomically and in that order (EVE
 * writes the config first, so its device can start before the certificate
 * exists, weakness 24).  Anything wrong removes both files: Edge-View fails
 * closed.  /config/remote_access_disabled overrides everything.
 *
 * The trusted SSH keys of aut 2 go where EVE keeps config items,
 * GlobalSettings["edgeview.authen.publickey"] in
 * /run/zedagent/ConfigItemValueMap/global.json, written only when they
 * change: edgeviewd ends the current session when they do.
 */
#ifndef AGENT_HANDOFF_H
#define AGENT_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/edgeview.pb-c.h"
#include "ev_attr.h"
#include "ev_limits.h"

struct ev_pubkey;

#define HANDOFF_DISABLED_FILE "/config/remote_access_disabled"

enum handoff_state {
	HANDOFF_OFF,      /* no Edge-View files */
	HANDOFF_ON,       /* the files describe a verified token */
	HANDOFF_REFUSED,  /* the controller asked, the token was refused: no files */
	HANDOFF_DISABLED, /* remote access disabled on the device: no files */
};

struct handoff {
	char root[4096];
	enum handoff_state state;
	uint8_t applied[EV_SHA256_LEN]; /* digest of what the files hold */
	uint64_t exp;                   /* the token's expiry when ON */
	char *token;                    /* the token in force when ON (a secret: wiped) */
	uint8_t keys_digest[EV_SHA256_LEN];
	bool keys_written;
	char why[256]; /* the last refusal or removal, for logs and reports */
};

struct handoff_in {
	/* NULL: the config has no Edge-View section */
	const Org__Lfedge__Eve__Config__EdgeViewConfig *cfg;
	/* the controller signing certificate as received, and its key */
	const char *signing_pem;
	size_t signing_pem_len;
	const struct ev_pubkey *signing_key;
	const char *uuid;
	time_t now;
};

void handoff_init(struct handoff *h, const char *root);
/* Wipes the token kept in h. */
void handoff_free(struct handoff *h);

/*
 * Make the files match the config.  Returns 0 when the files are as they
 * should be (ON, OFF, REFUSED and DISABLED are all outcomes, see h->state
 * and h->why); *changed tells whether anything was written or removed, so
 * the caller can report it.  An error is a file system failure.
 */
int handoff_apply(struct handoff *h, const struct handoff_in *in, bool *changed) EV_WARN_UNUSED;

/* Remove the files (expiry, shutdown of Edge-View); why is logged. */
int handoff_remove(struct handoff *h, enum handoff_state state, const char *why) EV_WARN_UNUSED;

/* The trusted SSH keys of aut 2 (NULL or "" for none). */
int handoff_set_ssh_keys(struct handoff *h, const char *keys, bool *changed) EV_WARN_UNUSED;

/* Whether /config/remote_access_disabled exists. */
bool handoff_remote_access_disabled(const struct handoff *h);

#endif
