/*
 * query.h - running a verified command message on the device: which field
 * applies, the comma items, their validation, titles, and the command
 * table (edgeview-protocol.md 7.4, commands spec 1.2-1.3).
 */
#ifndef EV_DEVICE_QUERY_H
#define EV_DEVICE_QUERY_H

#include "cmd.h"
#include "ev_attr.h"

struct ev_cmd;

/* Run every item of the command's field, writing to ctx->out.  Returns 0
 * when every item ran (even if one printed an error for the engineer),
 * EV_ERR_QUERY_* when the query was refused as a whole. */
int query_run(struct cmd_ctx *ctx, const struct ev_cmd *c) EV_WARN_UNUSED;

#endif
