/* replay.c - replay protection for commands. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "ev_cmd.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_mem.h"

#define SESSION_ID_LEN 22 /* base64url of 16 random bytes */

struct seen {
	char id[SESSION_ID_LEN + 1];
	int64_t seq;        /* highest accepted */
	int64_t expires_ms; /* past this every command of the id is stale anyway */
};

struct replay {
	struct replay_cfg cfg;
	int64_t window_ms;
	unsigned n;
	struct seen seen[EV_MAX_REPLAY_SESSIONS];
};

int
replay_new(const struct replay_cfg *cfg, struct replay **out)
{
	struct replay *rp;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	*out = NULL;
	if (cfg == NULL || cfg->uuid == NULL || cfg->token_hash == NULL || cfg->window_secs == 0 ||
	    cfg->window_secs > REPLAY_WINDOW_MAX)
		return EV_ERR_INVALID_ARG;
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return EV_ERR_NOMEM;
	rp->cfg = *cfg;
	rp->window_ms = (int64_t)cfg->window_secs * 1000;
	*out = rp;
	return 0;
}

void
replay_free(struct replay *rp)
{
	free(rp);
}

unsigned
replay_sessions(const struct replay *rp)
{
	return rp != NULL ? rp->n : 0;
}

static bool
id_ok(const char *id)
{
	if (id == NULL || strlen(id) != SESSION_ID_LEN)
		return false;
	for (const char *p = id; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	}
	return true;
}

static void
purge(struct replay *rp, int64_t now_ms)
{
	unsigned i = 0;

	while (i < rp->n) {
		if (rp->seen[i].expires_ms < now_ms)
			rp->seen[i] = rp->seen[--rp->n];
		else
			i++;
	}
}

int
replay_check(struct replay *rp, const struct ev_cmd *c, int64_t now_ms, bool *legacy)
{
	struct seen *s = NULL;

	if (legacy != NULL)
		*legacy = false;
	if (rp == NULL || c == NULL)
		return EV_ERR_INVALID_ARG;
	if (!ev_cmd_has_evx(c)) {
		if (rp->cfg.strict)
			return EV_ERR_REPLAY_LEGACY;
		if (legacy != NULL)
			*legacy = true;
		return 0;
	}
	if (c->evx != 1 || c->evx_device == NULL || c->evx_token == NULL ||
	    !id_ok(c->evx_session) || c->evx_seq <= 0 || c->evx_time <= 0)
		return EV_ERR_REPLAY_FIELDS;
	if (strcmp(c->evx_device, rp->cfg.uuid) != 0)
		return EV_ERR_REPLAY_DEVICE;
	/* Public, but compared like a secret all the same: it costs nothing. */
	if (strlen(c->evx_token) != strlen(rp->cfg.token_hash) ||
	    !ev_timingsafe_eq(c->evx_token, rp->cfg.token_hash, strlen(rp->cfg.token_hash)))
		return EV_ERR_REPLAY_TOKEN;
	if (c->evx_time < now_ms - rp->window_ms)
		return EV_ERR_REPLAY_STALE;
	if (c->evx_time > now_ms + rp->window_ms)
		return EV_ERR_REPLAY_FUTURE;
	purge(rp, now_ms);
	for (unsigned i = 0; i < rp->n; i++) {
		if (strcmp(rp->seen[i].id, c->evx_session) == 0) {
			s = &rp->seen[i];
			break;
		}
	}
	if (s != NULL && c->evx_seq == s->seq)
		return EV_ERR_REPLAY_DUP;
	if (s != NULL && c->evx_seq < s->seq)
		return EV_ERR_REPLAY_ORDER;
	if (s == NULL) {
		/* Evicting a live id would let its commands be replayed. */
		if (rp->n >= EV_MAX_REPLAY_SESSIONS)
			return EV_ERR_REPLAY_FULL;
		s = &rp->seen[rp->n++];
		memcpy(s->id, c->evx_session, SESSION_ID_LEN + 1);
		s->expires_ms = 0;
	}
	s->seq = c->evx_seq;
	/* Until this command is stale everywhere its id must be remembered. */
	if (c->evx_time + rp->window_ms + 1000 > s->expires_ms)
		s->expires_ms = c->evx_time + rp->window_ms + 1000;
	return 0;
}
