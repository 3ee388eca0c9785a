/*
 * replay.h - replay protection for commands (docs/SECURITY.md).
 *
 * EVE's MACs and signatures cover the payload only, so a captured command
 * can be replayed into any later session (protocol 13, weaknesses 1 and 2).
 * Our client adds to every command the device UUID, the token hash, a
 * random id of its connection, a sequence number and its clock (the evx*
 * keys of struct ev_cmd).  Because those keys are inside the signed bytes
 * they cannot be stripped or changed.  The device accepts a command only
 * for itself and its token, within a time window, and with a sequence
 * number above the last one seen for that connection; connection ids are
 * remembered until their commands are too old to be accepted anyway.
 * A command without the keys comes from EVE's Go client ("legacy"): it is
 * accepted unless the device runs in strict mode.
 */
#ifndef EDGEVIEW_REPLAY_H
#define EDGEVIEW_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "ev_attr.h"

#define REPLAY_WINDOW_DEFAULT 120u /* seconds either side of the device clock */
#define REPLAY_WINDOW_MAX     86400u

struct ev_cmd;
struct replay;

struct replay_cfg {
	unsigned window_secs;   /* 1..REPLAY_WINDOW_MAX */
	bool strict;            /* refuse legacy commands */
	const char *uuid;       /* this device */
	const char *token_hash; /* this instance's full token hash */
};

int replay_new(const struct replay_cfg *cfg, struct replay **out) EV_WARN_UNUSED;
void replay_free(struct replay *rp);

/*
 * 0 when the command may run (a legacy one in lax mode too: *legacy is then
 * set so the caller logs it), else an EV_ERR_REPLAY_* code whose
 * ev_strerror() is the reason told to the client.  A refused command leaves
 * the state unchanged.  now_ms: the device clock, Unix milliseconds.
 */
int replay_check(struct replay *rp, const struct ev_cmd *c, int64_t now_ms,
                 bool *legacy) EV_WARN_UNUSED;

/* Connection ids currently remembered (tests, status). */
unsigned replay_sessions(const struct replay *rp);

#endif
