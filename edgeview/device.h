/*
 * device.h - one edgeviewd instance: a session with the dispatcher that
 * receives commands, verifies them (envelope, policy), writes the audit
 * line, runs each in a worker process and streams its output back.
 */
#ifndef EV_DEVICE_H
#define EV_DEVICE_H

#include <stdbool.h>

#include "ev_attr.h"

struct device_opts {
	const char *token;      /* the JWT exactly as configured */
	unsigned inst;          /* -inst N, 0 for single instance */
	const char *root;       /* prefix for EVE paths */
	const char *cafile;     /* dispatcher trust; NULL: EVE's file or the system store */
	const char *proxy;      /* HTTPS proxy host:port, or NULL */
	bool insecure;          /* tests only */
	const char *audit_file; /* append-only audit log, or NULL for the default */
	double status_debounce; /* seconds; 0 for EVE's 15 */
	bool strict;            /* refuse commands without replay protection */
	unsigned replay_window; /* seconds; 0 for REPLAY_WINDOW_DEFAULT */
};

/* Runs until the token expires, a signal arrives, or a fatal error.
 * Returns a process exit status. */
int device_run(const struct device_opts *o);

#endif
