/* ev_ws.c - the dispatcher websocket client of edgeviewd and edgeview. */
#include "ev_ws.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_log.h"

/* lws 4.1's libev glue re-arms its timer only after socket activity. */
#define EV_WS_KICK_SECS 0.25
/* Sockets one endpoint's loop may hold (dispatcher, probes, forwarded TCP). */
#define EV_WS_MAX_FDS 256
/* Frames we send are at most this long; longer messages are fragmented. */
#define EV_WS_TX_CHUNK (64u * 1024)

struct ws_msg {
	struct ws_msg *next;
	size_t len, sent;
	bool binary;
	uint8_t buf[]; /* LWS_PRE, then the payload */
};

/* Both kinds of connection hang off lws's opaque pointer; this tells them apart. */
enum ws_kind { WS_KIND_WS = 1, WS_KIND_PROBE };

struct ev_ws_probe {
	enum ws_kind kind; /* first: the opaque pointer is read as this */
	struct ev_ws_probe *next;
	struct ev_ws_loop *l;
	char *host, *hostport, *path, *hash;
	int port;
	bool insecure, ended;
	struct lws *wsi;
	lws_sorted_usec_list_t sul_start, sul_timeout, sul_done;
	ev_ws_probe_done done;
	void *arg;
	int status;
	size_t body_len;
	char body[EV_WS_PROBE_BODY_MAX + 1];
};

struct ev_ws {
	enum ws_kind kind; /* first, as in ev_ws_probe */
	struct ev_ws_loop *l;
	struct ev_ws_cfg cfg;
	char *host, *hostport, *path, *hash, *hostname;
	struct ev_ws_callbacks cb;
	void *arg;
	struct lws *wsi;
	bool open, closing, freed_pending;
	uint16_t retries;
	lws_sorted_usec_list_t sul_retry, sul_ping;
	/* receive */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	bool rx_binary;
	/* send */
	struct ws_msg *head, *tail;
	size_t queued;
	bool was_high;
};

/* Reconnect backoff with jitter: 1, 2, 5, 10, 20, 60 s, then 120 s. */
static const uint32_t backoff_ms[] = {1000, 2000, 5000, 10000, 20000, 60000, 120000};
static const lws_retry_bo_t retry_policy = {
        .retry_ms_table = backoff_ms,
        .retry_ms_table_count = LWS_ARRAY_SIZE(backoff_ms),
        .conceal_count = UINT16_MAX,
        .jitter_percent = 20,
};

/*
 * lws_sul_schedule(), then wake lws: its libev glue only re-arms its timer
 * after socket activity, so a timer set from outside an lws callback would
 * otherwise wait for the next kick (up to EV_WS_KICK_SECS).
 */
static void
sul_schedule(struct lws_context *ctx, lws_sorted_usec_list_t *sul, sul_cb_t cb, lws_usec_t us)
{
	lws_sul_schedule(ctx, 0, sul, cb, us);
	lws_cancel_service(ctx);
}

static void
kick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	lws_cancel_service(w->data);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

static const struct lws_protocols client_protocols[] = {
        {"edge-view-client", ws_callback, 0, 4096, 0, NULL, EV_WS_TX_CHUNK},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

void
ev_ws_lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && line[n - 1] == '\n')
		n--;
	if (level & LLL_ERR)
		ev_log_warn("lws: %.*s", (int)n, line);
	else
		ev_log_debug("lws: %.*s", (int)n, line);
}

int
ev_ws_loop_new(const struct ev_ws_loop_cfg *cfg, struct ev_ws_loop **out)
{
	struct lws_context_creation_info info;
	struct ev_ws_loop *l;
	void *foreign[1];
	char proxy_host[256];

	*out = NULL;
	/* lws's own notices are noise for a CLI; errors go to our log. */
	lws_set_log_level(LLL_ERR | LLL_WARN, ev_ws_lws_log);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return EV_ERR_NOMEM;
	if ((l->loop = ev_loop_new(EVBACKEND_EPOLL)) == NULL) {
		free(l);
		return EV_ERR_SYSTEM;
	}
	foreign[0] = l->loop;
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = foreign;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = client_protocols;
	/* lws sizes its descriptor tables by RLIMIT_NOFILE otherwise: an
	 * endpoint has a handful of sockets, not thousands. */
	info.fd_limit_per_thread = EV_WS_MAX_FDS;
	info.client_ssl_ca_filepath = cfg->cafile;
	if (cfg->proxy != NULL && cfg->proxy[0] != '\0') {
		const char *colon = strrchr(cfg->proxy, ':');
		size_t hl = colon != NULL ? (size_t)(colon - cfg->proxy) : 0;
		char *end;
		unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;

		if (colon == NULL || hl == 0 || hl >= sizeof(proxy_host) || *end != '\0' ||
		    port == 0 || port > 65535) {
			ev_loop_destroy(l->loop);
			free(l);
			return EV_ERR_INVALID_ARG;
		}
		memcpy(proxy_host, cfg->proxy, hl);
		proxy_host[hl] = '\0';
		info.http_proxy_address = proxy_host;
		info.http_proxy_port = (unsigned)port;
	}
	if ((l->ctx = lws_create_context(&info)) == NULL) {
		ev_loop_destroy(l->loop);
		free(l);
		return EV_ERR_CRYPTO;
	}
	ev_timer_init(&l->kick, kick, EV_WS_KICK_SECS, EV_WS_KICK_SECS);
	l->kick.data = l->ctx;
	ev_timer_start(l->loop, &l->kick);
	*out = l;
	return 0;
}

static void probe_free(struct ev_ws_probe *p);

void
ev_ws_loop_free(struct ev_ws_loop *l)
{
	if (l == NULL)
		return;
	while (l->probes != NULL)
		probe_free(l->probes);
	ev_timer_stop(l->loop, &l->kick);
	lws_context_destroy(l->ctx);
	ev_loop_destroy(l->loop);
	free(l);
}

static void
queue_clear(struct ev_ws *ws)
{
	struct ws_msg *m, *next;

	for (m = ws->head; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	ws->head = ws->tail = NULL;
	ws->queued = 0;
}

static void connect_now(lws_sorted_usec_list_t *sul);

static void
schedule_retry(struct ev_ws *ws, const char *why)
{
	bool retry = !ws->closing &&
	             (ws->cfg.max_attempts == 0 || ws->retries + 1u < ws->cfg.max_attempts);

	ws->wsi = NULL;
	ws->open = false;
	lws_sul_cancel(&ws->sul_ping);
	free(ws->rx);
	ws->rx = NULL;
	ws->rx_len = ws->rx_cap = 0;
	if (ws->cb.on_close != NULL)
		ws->cb.on_close(ws->arg, retry, why);
	if (!retry)
		return;
	if (lws_retry_sul_schedule(ws->l->ctx, 0, &ws->sul_retry, &retry_policy, connect_now,
	                           &ws->retries) != 0)
		ev_log_warn("dispatcher: giving up reconnecting");
	lws_cancel_service(ws->l->ctx); /* see sul_schedule() */
}

static void
connect_now(lws_sorted_usec_list_t *sul)
{
	struct ev_ws *ws =
	        (struct ev_ws *)(void *)((char *)sul - offsetof(struct ev_ws, sul_retry));
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ws->l->ctx;
	ci.address = ws->host;
	ci.port = ws->cfg.port;
	ci.path = ws->path;
	ci.host = ws->hostport;
	ci.origin = NULL; /* Go endpoints send no Origin */
	ci.ssl_connection = LCCSCF_USE_SSL;
	if (ws->cfg.insecure)
		ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
		                     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
	ci.protocol = NULL; /* no Sec-WebSocket-Protocol, as Go sends none */
	ci.local_protocol_name = "edge-view-client";
	ci.alpn = "http/1.1";
	ci.opaque_user_data = ws;
	ci.pwsi = &ws->wsi;
	if (lws_client_connect_via_info(&ci) == NULL)
		schedule_retry(ws, "cannot start connecting");
}

static void
send_ping(lws_sorted_usec_list_t *sul)
{
	struct ev_ws *ws = (struct ev_ws *)(void *)((char *)sul - offsetof(struct ev_ws, sul_ping));
	static const char payload[] = "keepalive";
	struct ws_msg *m;

	/* A control frame; queued like data so it respects one-write rules. */
	if (ws->open && (m = malloc(sizeof(*m) + LWS_PRE + sizeof(payload))) != NULL) {
		m->next = ws->head;
		m->len = sizeof(payload) - 1;
		m->sent = SIZE_MAX; /* marks a ping */
		m->binary = false;
		memcpy(m->buf + LWS_PRE, payload, m->len);
		ws->head = m;
		if (ws->tail == NULL)
			ws->tail = m;
		lws_callback_on_writable(ws->wsi);
	}
	sul_schedule(ws->l->ctx, &ws->sul_ping, send_ping,
	             (lws_usec_t)EV_KEEPALIVE_SECS * LWS_US_PER_SEC);
}

static int
append_headers(struct ev_ws *ws, void *in, size_t len)
{
	unsigned char **p = (unsigned char **)in, *end = *p + len;

	/* The header set of section 4.4. */
	if (lws_add_http_header_by_name(ws->wsi, (const unsigned char *)"X-Session-Token:",
	                                (const unsigned char *)ws->hash, (int)strlen(ws->hash), p,
	                                end) != 0 ||
	    lws_add_http_header_by_name(ws->wsi, (const unsigned char *)"X-Hostname:",
	                                (const unsigned char *)ws->hostname,
	                                (int)strlen(ws->hostname), p, end) != 0 ||
	    lws_add_http_header_by_name(ws->wsi, (const unsigned char *)"X-EdgeView-Version:",
	                                (const unsigned char *)EV_PROTO_VERSION,
	                                (int)strlen(EV_PROTO_VERSION), p, end) != 0)
		return -1;
	return 0;
}

static int
on_receive(struct ev_ws *ws, struct lws *wsi, const uint8_t *in, size_t len)
{
	size_t remaining = lws_remaining_packet_payload(wsi), want;

	if (ws->rx_len == 0 && lws_is_first_fragment(wsi))
		ws->rx_binary = lws_frame_is_binary(wsi) != 0;
	if (len > ws->cfg.max_message - ws->rx_len ||
	    remaining > ws->cfg.max_message - ws->rx_len - len) {
		ev_log_warn("dispatcher sent a message over %zu bytes; reconnecting",
		            ws->cfg.max_message);
		return -1;
	}
	want = ws->rx_len + len + remaining;
	if (want > ws->rx_cap) {
		uint8_t *n;
		if (want < ws->rx_cap * 2)
			want = ws->rx_cap * 2 < ws->cfg.max_message ? ws->rx_cap * 2
			                                            : ws->cfg.max_message;
		if ((n = realloc(ws->rx, want)) == NULL)
			return -1;
		ws->rx = n;
		ws->rx_cap = want;
	}
	memcpy(ws->rx + ws->rx_len, in, len);
	ws->rx_len += len;
	if (lws_is_final_fragment(wsi)) {
		size_t n = ws->rx_len;
		ws->rx_len = 0;
		if (ws->cb.on_message != NULL)
			ws->cb.on_message(ws->arg, ws->rx, n, ws->rx_binary);
		/* Big buffers are not kept around between messages. */
		if (ws->rx_cap > 64 * 1024) {
			free(ws->rx);
			ws->rx = NULL;
			ws->rx_cap = 0;
		}
	}
	return 0;
}

static int
on_writeable(struct ev_ws *ws, struct lws *wsi)
{
	struct ws_msg *m = ws->head;
	size_t chunk;
	int flags;

	if (m == NULL)
		return ws->closing ? -1 : 0;
	if (m->sent == SIZE_MAX) {
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_PING) < 0)
			return -1;
		chunk = m->len;
		m->sent = 0;
		m->len = 0;
	} else {
		chunk = m->len - m->sent;
		if (chunk > EV_WS_TX_CHUNK)
			chunk = EV_WS_TX_CHUNK;
		flags = lws_write_ws_flags(m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
		                           m->sent == 0, m->sent + chunk == m->len);
		if (lws_write(wsi, m->buf + LWS_PRE + m->sent, chunk,
		              (enum lws_write_protocol)flags) < (int)chunk)
			return -1;
		m->sent += chunk;
		ws->queued -= chunk;
	}
	if (m->sent == m->len) {
		ws->head = m->next;
		if (ws->head == NULL)
			ws->tail = NULL;
		free(m);
	}
	if (ws->head != NULL || ws->closing)
		lws_callback_on_writable(wsi);
	if (ws->was_high && ws->queued < EV_WS_QUEUE_HIGH / 2) {
		ws->was_high = false;
		if (ws->cb.on_writable != NULL)
			ws->cb.on_writable(ws->arg);
	}
	return 0;
}

/* ---- the session probe (section 4.3) ---- */

static void
probe_free(struct ev_ws_probe *p)
{
	struct ev_ws_probe **pp;

	for (pp = &p->l->probes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	lws_sul_cancel(&p->sul_start);
	lws_sul_cancel(&p->sul_timeout);
	lws_sul_cancel(&p->sul_done);
	if (p->wsi != NULL) {
		lws_set_opaque_user_data(p->wsi, NULL);
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
	free(p->host);
	free(p->hostport);
	free(p->path);
	free(p->hash);
	free(p);
}

static void
probe_report(lws_sorted_usec_list_t *sul)
{
	struct ev_ws_probe *p =
	        (struct ev_ws_probe *)(void *)((char *)sul -
	                                       offsetof(struct ev_ws_probe, sul_done));
	ev_ws_probe_done done = p->done;
	void *arg = p->arg;
	int status = p->status;
	char body[EV_WS_PROBE_BODY_MAX + 1];

	/* Copied out so that done may start another probe or free the loop. */
	memcpy(body, p->body, p->body_len + 1);
	probe_free(p);
	done(arg, status, body);
}

/* Record the outcome; the callback runs later from the loop, not inside lws. */
static void
probe_end(struct ev_ws_probe *p, int status, const char *why)
{
	if (p->ended)
		return;
	p->ended = true;
	if (status <= 0) {
		size_t n = strlen(why);
		if (n > EV_WS_PROBE_BODY_MAX)
			n = EV_WS_PROBE_BODY_MAX;
		memcpy(p->body, why, n);
		p->body_len = n;
		p->body[n] = '\0';
		status = EV_ERR_IO;
	}
	p->status = status;
	lws_sul_cancel(&p->sul_timeout);
	if (p->wsi != NULL) {
		lws_set_opaque_user_data(p->wsi, NULL);
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		p->wsi = NULL;
	}
	sul_schedule(p->l->ctx, &p->sul_done, probe_report, 1);
}

static void
probe_timeout(lws_sorted_usec_list_t *sul)
{
	struct ev_ws_probe *p =
	        (struct ev_ws_probe *)(void *)((char *)sul -
	                                       offsetof(struct ev_ws_probe, sul_timeout));

	probe_end(p, 0, "timed out");
}

static void
probe_start(lws_sorted_usec_list_t *sul)
{
	struct ev_ws_probe *p =
	        (struct ev_ws_probe *)(void *)((char *)sul -
	                                       offsetof(struct ev_ws_probe, sul_start));
	struct lws_client_connect_info ci;
	struct lws *wsi;

	memset(&ci, 0, sizeof(ci));
	ci.context = p->l->ctx;
	ci.address = p->host;
	ci.port = p->port;
	ci.path = p->path;
	ci.host = p->hostport;
	ci.method = "GET";
	ci.ssl_connection = LCCSCF_USE_SSL;
	if (p->insecure)
		ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
		                     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
	ci.local_protocol_name = "edge-view-client";
	ci.alpn = "http/1.1";
	ci.opaque_user_data = p;
	/* No pwsi: lws may report a failure before this call returns. */
	wsi = lws_client_connect_via_info(&ci);
	if (p->ended)
		return;
	if (wsi == NULL)
		probe_end(p, 0, "cannot start connecting");
	else
		p->wsi = wsi;
}

static int
probe_callback(struct ev_ws_probe *p, struct lws *wsi, enum lws_callback_reasons reason, void *in,
               size_t len)
{
	char buf[LWS_PRE + 1024], *px;
	int n;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **pp = (unsigned char **)in, *end = *pp + len;

		if (lws_add_http_header_by_name(wsi, (const unsigned char *)"X-Session-Probe:",
		                                (const unsigned char *)"true", 4, pp, end) != 0 ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"X-Session-Token:",
		                                (const unsigned char *)p->hash,
		                                (int)strlen(p->hash), pp, end) != 0)
			return -1;
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		p->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = (int)sizeof(buf) - LWS_PRE;
		return lws_http_client_read(wsi, &px, &n) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		/* Only the first EV_WS_PROBE_BODY_MAX bytes matter. */
		if (len > EV_WS_PROBE_BODY_MAX - p->body_len)
			len = EV_WS_PROBE_BODY_MAX - p->body_len;
		memcpy(p->body + p->body_len, in, len);
		p->body_len += len;
		p->body[p->body_len] = '\0';
		return 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		p->wsi = wsi;
		probe_end(p, p->status > 0 ? p->status : 0, "no HTTP status");
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		p->wsi = NULL;
		probe_end(p, 0, in != NULL ? (const char *)in : "connection failed");
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		p->wsi = NULL;
		/* A body without a length ends with the connection. */
		probe_end(p, p->status > 0 ? p->status : 0, "connection closed");
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, NULL, in, len);
}

int
ev_ws_probe(struct ev_ws_loop *l, const struct ev_ws_cfg *cfg, unsigned timeout_ms,
            ev_ws_probe_done done, void *arg)
{
	struct ev_ws_probe *p;

	if (done == NULL || cfg->host == NULL || cfg->hostport == NULL || cfg->path == NULL ||
	    cfg->token_hash == NULL)
		return EV_ERR_INVALID_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return EV_ERR_NOMEM;
	p->kind = WS_KIND_PROBE;
	p->l = l;
	p->port = cfg->port;
	p->insecure = cfg->insecure;
	p->done = done;
	p->arg = arg;
	p->next = l->probes;
	l->probes = p;
	if ((p->host = strdup(cfg->host)) == NULL ||
	    (p->hostport = strdup(cfg->hostport)) == NULL ||
	    (p->path = strdup(cfg->path[0] != '\0' ? cfg->path : "/")) == NULL ||
	    (p->hash = strdup(cfg->token_hash)) == NULL) {
		probe_free(p);
		return EV_ERR_NOMEM;
	}
	sul_schedule(l->ctx, &p->sul_start, probe_start, 1);
	sul_schedule(l->ctx, &p->sul_timeout, probe_timeout, (lws_usec_t)timeout_ms * 1000);
	return 0;
}

/* ---- the lws callback of both kinds ---- */

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	void *opaque = lws_get_opaque_user_data(wsi);
	struct ev_ws *ws;

	if (opaque != NULL && *(enum ws_kind *)opaque == WS_KIND_PROBE)
		return probe_callback(opaque, wsi, reason, in, len);
	ws = opaque;
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return ws != NULL ? append_headers(ws, in, len) : 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (ws == NULL)
			return -1;
		ws->open = true;
		ws->retries = 0;
		sul_schedule(ws->l->ctx, &ws->sul_ping, send_ping,
		             (lws_usec_t)EV_KEEPALIVE_SECS * LWS_US_PER_SEC);
		if (ws->cb.on_open != NULL)
			ws->cb.on_open(ws->arg);
		if (ws->head != NULL)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE: return ws != NULL ? on_receive(ws, wsi, in, len) : -1;
	case LWS_CALLBACK_CLIENT_WRITEABLE: return ws != NULL ? on_writeable(ws, wsi) : -1;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (ws != NULL)
			schedule_retry(ws, in != NULL ? (const char *)in : "connection failed");
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (ws != NULL)
			schedule_retry(ws, "connection closed");
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int
ev_ws_new(struct ev_ws_loop *l, const struct ev_ws_cfg *cfg, const struct ev_ws_callbacks *cb,
          void *arg, struct ev_ws **out)
{
	struct ev_ws *ws;

	*out = NULL;
	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return EV_ERR_NOMEM;
	ws->kind = WS_KIND_WS;
	ws->l = l;
	ws->cfg = *cfg;
	if (ws->cfg.max_message == 0)
		ws->cfg.max_message = EV_MAX_WS_MSG;
	ws->cb = *cb;
	ws->arg = arg;
	if ((ws->host = strdup(cfg->host)) == NULL ||
	    (ws->hostport = strdup(cfg->hostport)) == NULL ||
	    (ws->path = strdup(cfg->path[0] != '\0' ? cfg->path : "/")) == NULL ||
	    (ws->hash = strdup(cfg->token_hash)) == NULL ||
	    (ws->hostname = strdup(cfg->hostname)) == NULL) {
		ev_ws_free(ws);
		return EV_ERR_NOMEM;
	}
	sul_schedule(l->ctx, &ws->sul_retry, connect_now, 1);
	*out = ws;
	return 0;
}

int
ev_ws_send(struct ev_ws *ws, const uint8_t *p, size_t len, bool binary)
{
	struct ws_msg *m;

	if (ws->queued + len > EV_WS_QUEUE_MAX)
		return EV_ERR_BUF_FULL;
	if ((m = malloc(sizeof(*m) + LWS_PRE + len)) == NULL)
		return EV_ERR_NOMEM;
	m->next = NULL;
	m->len = len;
	m->sent = 0;
	m->binary = binary;
	if (len > 0)
		memcpy(m->buf + LWS_PRE, p, len);
	if (ws->tail != NULL)
		ws->tail->next = m;
	else
		ws->head = m;
	ws->tail = m;
	ws->queued += len;
	if (ws->queued >= EV_WS_QUEUE_HIGH)
		ws->was_high = true;
	if (ws->wsi != NULL && ws->open)
		lws_callback_on_writable(ws->wsi);
	return 0;
}

int
ev_ws_send_hmac(struct ev_ws *ws, const char *key, const uint8_t *p, size_t len, bool binary)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	int r;

	if (key == NULL)
		key = "";
	if (b == NULL)
		return EV_ERR_NOMEM;
	if ((r = ev_envelope_seal_hmac((const uint8_t *)key, strlen(key), p, len, b)) == 0)
		r = ev_ws_send(ws, ev_buf_ptr(b), ev_buf_len(b), binary);
	ev_buf_free(b);
	return r;
}

size_t
ev_ws_queued(const struct ev_ws *ws)
{
	return ws->queued;
}

bool
ev_ws_is_open(const struct ev_ws *ws)
{
	return ws->open;
}

void
ev_ws_close(struct ev_ws *ws)
{
	ws->closing = true;
	lws_sul_cancel(&ws->sul_retry);
	if (ws->wsi != NULL)
		lws_callback_on_writable(ws->wsi);
}

void
ev_ws_free(struct ev_ws *ws)
{
	if (ws == NULL)
		return;
	ws->closing = true;
	lws_sul_cancel(&ws->sul_retry);
	lws_sul_cancel(&ws->sul_ping);
	if (ws->wsi != NULL) {
		lws_set_opaque_user_data(ws->wsi, NULL);
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
	queue_clear(ws);
	free(ws->rx);
	free(ws->host);
	free(ws->hostport);
	free(ws->path);
	free(ws->hash);
	free(ws->hostname);
	free(ws);
}
