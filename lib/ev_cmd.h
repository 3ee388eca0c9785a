/*
 * ev_cmd.h - the command message (Go cmdOpt) the client sends to the
 * device, edgeview-protocol.md section 7.2.
 *
 * Encoding gives exactly Go's bytes (keys in the table order of 7.2, every
 * key present except an empty appUUID).  Decoding follows Go's rules:
 * case-insensitive keys, unknown keys ignored, null leaves a field as it
 * was, a wrong type or an out-of-range number fails.
 */
#ifndef EV_CMD_H
#define EV_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_buf;

/* Strings are malloc'd and NUL-terminated; NULL means "" (absent). */
struct ev_cmd {
	char *version;        /* "version" */
	char *client_ep_addr; /* "clientEPAddr" */
	char *network;        /* "network" */
	char *system;         /* "system" */
	char *pubsub;         /* "pubsub" */
	char *logopt;         /* "logopt" */
	char *timerange;      /* "timerange" */
	bool is_json;         /* "isJSON" */
	int64_t extraline;    /* "extraline" (Go int) */
	char *logtype;        /* "logtype" */
	char *userinfo;       /* "userinfo" */
	char *app_uuid;       /* "appUUID", omitted when empty */
	/* Our replay-protection extension (docs/SECURITY.md), appended after
	 * Go's keys and omitted when empty; Go devices ignore unknown keys. */
	int64_t evx;       /* "evx": extension version, 1 */
	char *evx_device;  /* "evxDevice": the device UUID (JWT sub) */
	char *evx_token;   /* "evxToken": full token hash of the connection */
	char *evx_session; /* "evxSession": random id of the client connection */
	int64_t evx_seq;   /* "evxSeq": 1, 2, ... per connection */
	int64_t evx_time;  /* "evxTime": client clock, Unix milliseconds */
};

/* Append the Go JSON of c to out.  EV_ERR_TOO_BIG when it would exceed
 * EV_MAX_CMD_JSON, which ev_cmd_decode() refuses; on failure out is
 * unchanged. */
int ev_cmd_encode(const struct ev_cmd *c, struct ev_buf *out) EV_WARN_UNUSED;
/* Decode len bytes (<= EV_MAX_CMD_JSON, each string <= EV_MAX_CMD_FIELD).
 * out is overwritten (free it first if it held a command) and is left
 * zeroed on failure. */
int ev_cmd_decode(const char *json, size_t len, struct ev_cmd *out) EV_WARN_UNUSED;
/* Free the strings and zero the struct; NULL is fine. */
void ev_cmd_free(struct ev_cmd *c);

/* Whether any replay field is present (a client of ours sent it). */
bool ev_cmd_has_evx(const struct ev_cmd *c);

/* Which query the device runs, by its priority network > pubsub > system >
 * logopt: "network", "pubsub", "system", "logopt", or "" when all are
 * empty (only the basics header is sent). */
const char *ev_cmd_kind(const struct ev_cmd *c);

#endif
