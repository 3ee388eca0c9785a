/*
 * ev_ws.h - the websocket client both endpoints use to reach the dispatcher
 * (edgeview-protocol.md 4.1, 4.4, 4.5), on libwebsockets driven by a libev
 * loop that the program owns, so it can watch its own descriptors (command
 * pipes, stdin, local TCP listeners) on the same loop.
 *
 * One ev_ws is one logical connection: it dials, sends the Edge-View
 * handshake headers, reassembles incoming messages (capped), queues
 * outgoing ones (capped, the caller checks ev_ws_queued() for
 * backpressure), pings "keepalive" every 30 s, and reconnects after a
 * failure on a declared backoff policy with jitter.
 *
 * This is the only lib/ module that depends on libwebsockets; it parses no
 * payload (envelopes are handed to the caller as bytes).
 */
#ifndef EV_WS_H
#define EV_WS_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct lws_context;
struct ev_ws;

struct ev_ws_probe;

struct ev_ws_loop {
	struct ev_loop *loop;
	struct lws_context *ctx;
	ev_timer kick;              /* keeps lws timers on time on a quiet libev loop */
	struct ev_ws_probe *probes; /* pending, dropped by ev_ws_loop_free */
};

struct ev_ws_loop_cfg {
	const char *cafile; /* trusted roots for the dispatcher; NULL: system store */
	const char *proxy;  /* "host:port" of an HTTP CONNECT proxy, or NULL */
};

int ev_ws_loop_new(const struct ev_ws_loop_cfg *cfg, struct ev_ws_loop **out) EV_WARN_UNUSED;
/* libwebsockets' log lines into ev_log: errors as warnings, the rest at
 * debug level (for lws_set_log_level()). */
void ev_ws_lws_log(int level, const char *line);
void ev_ws_loop_free(struct ev_ws_loop *l);

/* Callbacks must not free the ev_ws that calls them: defer that to the loop. */
struct ev_ws_callbacks {
	void (*on_open)(void *arg);
	/* A whole message; the bytes are valid during the call only. */
	void (*on_message)(void *arg, const uint8_t *p, size_t len, bool binary);
	/* The connection ended; will_retry tells whether ev_ws dials again. */
	void (*on_close)(void *arg, bool will_retry, const char *why);
	/* Room again in the outgoing queue after ev_ws_queued() was high. */
	void (*on_writable)(void *arg);
};

struct ev_ws_cfg {
	const char *host; /* to dial and for SNI / certificate check */
	int port;
	const char *hostport;   /* Host header, as the token's dep wrote it */
	const char *path;       /* "/edge-view" or "/" */
	const char *token_hash; /* X-Session-Token */
	const char *hostname;   /* X-Hostname */
	bool insecure;          /* accept any certificate (tests, --insecure) */
	unsigned max_attempts;  /* 0: retry forever (device); client: 3 */
	size_t max_message;     /* incoming cap */
};

int ev_ws_new(struct ev_ws_loop *l, const struct ev_ws_cfg *cfg, const struct ev_ws_callbacks *cb,
              void *arg, struct ev_ws **out) EV_WARN_UNUSED;
/* Queue one message (copied). EV_ERR_BUF_FULL beyond the queue cap. */
int ev_ws_send(struct ev_ws *ws, const uint8_t *p, size_t len, bool binary) EV_WARN_UNUSED;
/* Seal payload in an HMAC envelope keyed by the token's key (NULL: "")
 * and queue it: how both endpoints send every message of a session. */
int ev_ws_send_hmac(struct ev_ws *ws, const char *key, const uint8_t *p, size_t len,
                    bool binary) EV_WARN_UNUSED;
/* Bytes waiting to be written. */
size_t ev_ws_queued(const struct ev_ws *ws);
bool ev_ws_is_open(const struct ev_ws *ws);
/* Close after what is queued has been written; no reconnect. */
void ev_ws_close(struct ev_ws *ws);
/* Free; closes at once if still open. */
void ev_ws_free(struct ev_ws *ws);

/*
 * The session probe of section 4.3: an HTTPS GET of the websocket URL with
 * X-Session-Probe: true and X-Session-Token: cfg->token_hash (cfg's host,
 * port, hostport, path, insecure; the other fields are not used).  done is
 * called exactly once, from the loop, never from ev_ws_probe(): status is
 * the HTTP status and body the response body (NUL-terminated, cut at
 * EV_WS_PROBE_BODY_MAX bytes), or status is EV_ERR_IO and body says why
 * (refused, TLS failure, "timed out" after timeout_ms).  Probes still
 * pending when the loop is freed are dropped without a call.
 */
typedef void (*ev_ws_probe_done)(void *arg, int status, const char *body);
int ev_ws_probe(struct ev_ws_loop *l, const struct ev_ws_cfg *cfg, unsigned timeout_ms,
                ev_ws_probe_done done, void *arg) EV_WARN_UNUSED;
#define EV_WS_PROBE_BODY_MAX 4096u

/* The outgoing queue size above which senders should wait. */
#define EV_WS_QUEUE_HIGH (256u * 1024)
/* Absolute cap of the outgoing queue. */
#define EV_WS_QUEUE_MAX (8u * 1024 * 1024)

#endif
