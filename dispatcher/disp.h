/*
 * disp.h - edgeview-dispatcher internals shared by its files.
 *
 * The dispatcher pairs the two websockets that present the same
 * X-Session-Token (the session-token hash) and relays their messages
 * without reading them (edgeview-protocol.md section 5).  One lws event
 * loop, one thread.  Per token there is a session with two slots: the
 * device (X-Hostname ending in "-EV-server") and the user.
 *
 * Memory is bounded per connection: a message being received is capped
 * (max-message, smaller before pairing), and a connection's outgoing queue
 * is capped (queue-bytes): when it is full, reading from its peer stops
 * (lws rx flow control) until it drains, so a slow reader slows its
 * sender instead of growing the dispatcher.
 */
#ifndef DISP_H
#define DISP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_config.h"

/* ---- settings (config.c) ---- */
struct disp_config {
	char *listen;          /* ADDR:PORT of the TLS websocket listener */
	char *cert, *key;      /* PEM certificate (chain) and key */
	char *path;            /* websocket path */
	char *metrics_listen;  /* ADDR:PORT for /metrics, "" for none */
	char *trusted_proxies; /* comma list of proxy IPs allowed to set client IP headers */
	char *log_level;
	char *event_loop;              /* "epoll" (libev) or "poll" */
	uint64_t max_message;          /* bytes, after pairing */
	uint64_t max_message_unpaired; /* bytes, before pairing */
	uint64_t queue_bytes;          /* outgoing queue cap per connection */
	uint64_t max_connections;      /* websockets in total */
	uint64_t max_per_ip;           /* websockets per source address */
	uint64_t handshake_timeout;    /* seconds for TLS + HTTP upgrade */
	uint64_t max_header;           /* bytes of HTTP headers */
	uint64_t unpaired_timeout;     /* seconds a user may wait unpaired */
	uint64_t ping_interval;        /* seconds of silence before we ping */
	uint64_t ping_timeout;         /* seconds of silence before hangup */
	uint64_t rx_buffer;            /* lws per-connection receive buffer */
	uint64_t tx_chunk;             /* largest frame we send at once */
	uint64_t noroute_notice_after; /* unroutable messages before the notice */
};

extern const struct ev_config_table disp_config_table;

/* ---- metrics (metrics.c) ---- */
enum disp_reject {
	DISP_REJ_NO_TOKEN,
	DISP_REJ_THIRD_PEER,
	DISP_REJ_OVERSIZE,
	DISP_REJ_MAX_CONNECTIONS,
	DISP_REJ_MAX_PER_IP,
	DISP_REJ_BAD_PATH,
	DISP_REJ_BAD_HEADER,
	DISP_REJ_UNPAIRED_TIMEOUT,
	DISP_REJ_COUNT_,
};

struct disp_metrics {
	uint64_t connections_total;
	uint64_t connections_device, connections_user; /* current */
	uint64_t sessions_paired;                      /* current */
	uint64_t pairs_total;
	uint64_t replaced_total;
	uint64_t peer_left_notices_total;
	uint64_t msgs[2], bytes[2]; /* [0] device->user, [1] user->device */
	uint64_t unroutable_total;
	uint64_t backpressure_total;
	uint64_t probes_connected, probes_absent;
	uint64_t pings_http;
	uint64_t rejected[DISP_REJ_COUNT_];
};

const char *disp_reject_name(enum disp_reject r);

/* ---- queued messages (msgq.c) ---- */
struct disp_msg {
	struct disp_msg *next;
	size_t len;  /* payload bytes */
	size_t sent; /* payload bytes already written (fragmented sends) */
	bool binary;
	uint8_t buf[]; /* LWS_PRE headroom, then the payload */
};

struct disp_msgq {
	struct disp_msg *head, *tail;
	size_t count, bytes;
};

struct disp_msg *disp_msg_new(size_t len, bool binary);
static inline uint8_t *
disp_msg_payload(struct disp_msg *m)
{
	return m->buf + LWS_PRE;
}
void disp_msgq_push(struct disp_msgq *q, struct disp_msg *m);
struct disp_msg *disp_msgq_pop(struct disp_msgq *q);
void disp_msgq_clear(struct disp_msgq *q);

/* ---- connections and sessions (sessions.c) ---- */
enum disp_role { DISP_ROLE_DEVICE = 0, DISP_ROLE_USER = 1 };

#define DISP_MAX_TOKEN    256 /* X-Session-Token bytes we accept */
#define DISP_MAX_HOSTNAME 256
#define DISP_MAX_ADDR     64 /* "[v6]:port" */

struct disp;
struct disp_session;

struct disp_conn {
	struct disp *d;
	struct lws *wsi;
	uint64_t id;
	struct disp_session *sess; /* NULL until admitted, and after leaving */
	enum disp_role role;
	char token_prefix[12]; /* for logs; the token itself is never logged */
	char hostname[DISP_MAX_HOSTNAME + 1];
	char addr[DISP_MAX_ADDR];   /* as told to the endpoint */
	char src_ip[DISP_MAX_ADDR]; /* for the per-address cap */
	bool counted_ip;
	/* message being received */
	struct disp_msg *rx;
	size_t rx_cap;
	bool rx_paused;
	/* outgoing */
	struct disp_msgq txq;
	bool close_after_flush;
	bool admitted;
	unsigned noroute;
	lws_sorted_usec_list_t sul_unpaired;
};

struct disp_session {
	struct disp_session *next;
	struct disp_conn *ep[2]; /* by enum disp_role */
	size_t token_len;
	char token[];
};

struct disp_table; /* token -> session, ip -> count */

struct disp {
	struct disp_config cfg;
	struct lws_context *ctx;
	struct disp_metrics m;
	struct disp_table *sessions;
	struct disp_table *ips;
	uint64_t next_conn_id;
	uint64_t ws_count;
	char **proxies; /* parsed trusted_proxies */
	size_t nproxies;
};

int disp_tables_new(struct disp *d) EV_WARN_UNUSED;
void disp_tables_free(struct disp *d);
struct disp_session *disp_session_get(struct disp *d, const char *token, size_t len);
int disp_session_create(struct disp *d, const char *token, size_t len,
                        struct disp_session **out) EV_WARN_UNUSED;
void disp_session_remove(struct disp *d, struct disp_session *s); /* frees s */
size_t disp_session_count(const struct disp *d);
/* Per-source-address websocket counts. */
uint64_t disp_ip_count(struct disp *d, const char *ip);
int disp_ip_add(struct disp *d, const char *ip) EV_WARN_UNUSED;
void disp_ip_del(struct disp *d, const char *ip);

/* ---- websocket relay (relay.c) and HTTP routes (http.c) ---- */
int disp_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);
int disp_metrics_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len);
/* HTTP requests on the main listener: ping, probe, 404.  Returns what the
 * lws callback should return. */
int disp_http_request(struct disp *d, struct lws *wsi, const char *uri);
/* What both listeners do for HTTP writeable/closed and lws defaults. */
int disp_http_common(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);
/* Render the Prometheus text into buf; returns its length. */
size_t disp_metrics_render(const struct disp *d, char *buf, size_t cap);

/* Per-connection user data: either an HTTP exchange or a websocket. */
struct disp_http {
	char *dyn; /* LWS_PRE headroom, then the body */
	size_t body_len;
};

struct disp_pss {
	bool is_ws;
	union {
		struct disp_http http;
		struct disp_conn ws;
	} u;
};

/* The client address of a connection: the TCP peer, or when the peer is
 * a trusted proxy, Cf-Connecting-Ip / the last X-Forwarded-For entry. */
void disp_client_addr(struct disp *d, struct lws *wsi, char addr[DISP_MAX_ADDR],
                      char ip[DISP_MAX_ADDR]);
bool disp_is_trusted_proxy(const struct disp *d, const char *ip);
/* A custom header ("x-session-token:") into buf; -1 if absent, -2 if too
 * long, else its length. */
int disp_header(struct lws *wsi, const char *name, char *buf, size_t cap);

#endif
