/* policy.c - the device policy of protocol 7.5 and the audit line of 7.7. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "ev_cmd.h"
#include "ev_err.h"
#include "ev_evcfg.h"

static bool
has_tcp_item(const char *s)
{
	for (const char *p = s; p != NULL && *p != '\0';) {
		if (strncmp(p, "tcp/", 4) == 0 || strcmp(p, "tcp") == 0 ||
		    strncmp(p, "tcp,", 4) == 0)
			return true;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return false;
}

int
policy_check(const struct ev_evcfg *cfg, const struct ev_cmd *c, struct policy_counts *counts,
             const char **reason)
{
	const char *n = c->network != NULL ? c->network : "";

	*reason = NULL;
	if (strncmp(n, "tcp/", 4) == 0 || has_tcp_item(n)) {
		/* TCP forwarding needs per-item app/ext classification, which
		 * this device does not offer yet: refuse every form of it. */
		*reason = strncmp(n, "tcp/", 4) == 0 ? "TCP forwarding not supported by this device"
		                                     : "TCP syntax error";
		return EV_ERR_INVALID_ARG;
	}
	if (!cfg->dev_policy) {
		*reason = "EVE policy not allow";
		return EV_ERR_INVALID_ARG;
	}
	counts->dev++;
	return 0;
}

/* Append s with control characters and DEL replaced. */
static size_t
put_clean(char *out, size_t cap, size_t at, const char *s)
{
	for (; s != NULL && *s != '\0' && at + 1 < cap; s++)
		out[at++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	out[at < cap ? at : cap - 1] = '\0';
	return at;
}

void
policy_audit_line(const struct ev_cmd *c, unsigned inst, const char *user_override, char *out,
                  size_t cap)
{
	const char *user = user_override != NULL ? user_override : c->userinfo;
	char instbuf[24] = "";
	size_t at;
	int n;

	if (inst > 0)
		snprintf(instbuf, sizeof(instbuf), "-inst-%u", inst);
	n = snprintf(out, cap, "recv[ep%s:", instbuf);
	at = n > 0 && (size_t)n < cap ? (size_t)n : 0;
	at = put_clean(out, cap, at, c->client_ep_addr);
	if (user != NULL && user[0] != '\0') {
		at = put_clean(out, cap, at, ", (");
		at = put_clean(out, cap, at, user);
		at = put_clean(out, cap, at, ")");
	}
	at = put_clean(out, cap, at, "] cmd: ");
	if (c->network != NULL && c->network[0] != '\0') {
		at = put_clean(out, cap, at, c->network);
	} else if (c->system != NULL && c->system[0] != '\0') {
		at = put_clean(out, cap, at, c->system);
	} else if (c->pubsub != NULL && c->pubsub[0] != '\0') {
		at = put_clean(out, cap, at, "pub/");
		at = put_clean(out, cap, at, c->pubsub);
	} else if (c->logopt != NULL && c->logopt[0] != '\0') {
		at = put_clean(out, cap, at, "log/");
		at = put_clean(out, cap, at, c->logopt);
		if (c->timerange != NULL && c->timerange[0] != '\0') {
			at = put_clean(out, cap, at, " -time ");
			at = put_clean(out, cap, at, c->timerange);
		}
	}
	(void)at;
}
