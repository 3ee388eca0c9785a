/*
 * basics.h - the session header printed before every query result
 * (commands spec 1.4): device addresses, UUID, names, controller, release,
 * Edge-View version, JWT expiry, time and uptime.  Printed on any host:
 * what is missing shows as "-" (EVE prints nothing without /config).
 */
#ifndef EV_BASICS_H
#define EV_BASICS_H

#include <time.h>

#include "cmd.h"
#include "ev_attr.h"

struct basics_info {
	const char *endpoint;  /* "ip:port" of this session's client, or NULL */
	const char *proxy;     /* "ip:port" or NULL */
	time_t jwt_expiry;     /* 0 when unknown */
	int instance;          /* 1..5, 0 when not multi-instance */
	const char *auth_mode; /* "ssh-keys", "certs" or NULL */
	const char *version;   /* Edge-View version, NULL for EV_PROTO_VERSION */
};

int basics_print(struct cmd_ctx *ctx, const struct basics_info *info) EV_WARN_UNUSED;

#endif
