/*
 * supervisor.h - edgeviewd's supervised mode, which replaces EVE's init
 * script (protocol 2.4): watch the edge-view-config file with inotify, run
 * one device process per instance while the token is valid, restart them
 * when the file's content changes, stop them when it disappears or the
 * token expires.  Event driven: no polling, no fixed sleeps.
 */
#ifndef EV_SUPERVISOR_H
#define EV_SUPERVISOR_H

#include "device.h"

/* Runs until SIGTERM/SIGINT; returns the exit status. */
int supervisor_run(const struct device_opts *base);

#endif
