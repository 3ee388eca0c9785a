/*
 * policy.h - which commands the controller allows (protocol 7.5), and the
 * audit line every accepted command leaves (7.7).
 *
 * Unlike EVE, every comma item is checked: "route,tcp/10.1.0.5:22" cannot
 * smuggle a forwarding item past the device policy.
 */
#ifndef EV_POLICY_H
#define EV_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_cmd;
struct ev_evcfg;

struct policy_counts {
	uint32_t dev, app, ext;
};

/* 0 when allowed (counts updated); otherwise EV_ERR_INVALID_ARG with the
 * reason EVE prints after "cmd policy check failed: " in *reason. */
int policy_check(const struct ev_evcfg *cfg, const struct ev_cmd *c, struct policy_counts *counts,
                 const char **reason) EV_WARN_UNUSED;

/* "recv[ep-inst-2:203.0.113.7:50522, (alice)] cmd: if/lo" into out; control
 * characters from the client become '?' so the log cannot be forged. */
void policy_audit_line(const struct ev_cmd *c, unsigned inst, const char *user_override, char *out,
                       size_t cap);

#endif
