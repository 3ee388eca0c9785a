/*
 * relay.c - the websocket side of the dispatcher: admission (section 5.2),
 * reassembly with size caps, relay with backpressure, and the notices an
 * endpoint gets when it is alone or its peer leaves.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "disp.h"
#include "ev_log.h"
#include "ev_token.h"

static const char notice_no_device[] = "no device online\n+++Done+++";
static const char notice_no_token[] = "token is required";
static const char notice_third_peer[] = "can't have more than 2 peers";
static const char notice_addr_prefix[] = "YourEndPointIPAddr:";

static struct disp_conn *
peer_of(const struct disp_conn *c)
{
	return c->sess != NULL ? c->sess->ep[1 - c->role] : NULL;
}

static const char *
role_name(enum disp_role r)
{
	return r == DISP_ROLE_DEVICE ? "device" : "user";
}

/* Queue a raw control string (a text frame, never enveloped). */
static int
queue_text(struct disp_conn *c, const char *a, size_t alen, const char *b)
{
	size_t blen = b != NULL ? strlen(b) : 0;
	struct disp_msg *m = disp_msg_new(alen + blen, false);

	if (m == NULL)
		return -1;
	memcpy(disp_msg_payload(m), a, alen);
	if (blen > 0)
		memcpy(disp_msg_payload(m) + alen, b, blen);
	disp_msgq_push(&c->txq, m);
	lws_callback_on_writable(c->wsi);
	return 0;
}

static void
resume_rx(struct disp_conn *c)
{
	if (c != NULL && c->rx_paused) {
		lws_rx_flow_control(c->wsi, 1);
		c->rx_paused = false;
	}
}

static void
kill_async(struct disp_conn *c)
{
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void
unpaired_expired(lws_sorted_usec_list_t *sul)
{
	/* Through void *: lws_container_of casts from char * (clang -Wcast-align). */
	struct disp_conn *c = (struct disp_conn *)(void *)((char *)sul - offsetof(struct disp_conn,
	                                                                          sul_unpaired));

	ev_log_notice("event=reject reason=unpaired-timeout conn=%llu role=%s token=%s addr=%s",
	              (unsigned long long)c->id, role_name(c->role), c->token_prefix, c->addr);
	c->d->m.rejected[DISP_REJ_UNPAIRED_TIMEOUT]++;
	kill_async(c);
}

static void
arm_unpaired_timer(struct disp_conn *c)
{
	if (c->role == DISP_ROLE_USER && c->d->cfg.unpaired_timeout > 0)
		lws_sul_schedule(c->d->ctx, 0, &c->sul_unpaired, unpaired_expired,
		                 (lws_usec_t)c->d->cfg.unpaired_timeout * LWS_US_PER_SEC);
}

/* Take c out of its session.  The remaining peer is told at once (the
 * reference dispatcher never tells it, leaving a Go client hanging). */
static void
leave_session(struct disp_conn *c, bool notify_peer)
{
	struct disp_session *s = c->sess;
	struct disp_conn *peer = peer_of(c);
	struct disp *d = c->d;

	if (s == NULL)
		return;
	s->ep[c->role] = NULL;
	c->sess = NULL;
	if (peer != NULL) {
		d->m.sessions_paired--;
		resume_rx(peer);
		if (notify_peer) {
			(void)queue_text(peer, notice_no_device, sizeof(notice_no_device) - 1,
			                 NULL);
			d->m.peer_left_notices_total++;
			arm_unpaired_timer(peer);
		}
		ev_log_info("event=unpair conn=%llu peer=%llu token=%s", (unsigned long long)c->id,
		            (unsigned long long)peer->id, c->token_prefix);
	}
	if (s->ep[0] == NULL && s->ep[1] == NULL)
		disp_session_remove(d, s);
	resume_rx(c);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static void
refuse(struct disp_conn *c, enum disp_reject why, const char *notice)
{
	c->d->m.rejected[why]++;
	ev_log_notice("event=reject reason=%s conn=%llu token=%s addr=%s host=%s",
	              disp_reject_name(why), (unsigned long long)c->id, c->token_prefix, c->addr,
	              c->hostname);
	if (notice != NULL)
		(void)queue_text(c, notice, strlen(notice), NULL);
	c->close_after_flush = true;
	lws_callback_on_writable(c->wsi);
}

static int
on_established(struct disp *d, struct lws *wsi, struct disp_pss *pss)
{
	struct disp_conn *c = &pss->u.ws;
	struct disp_session *s;
	struct disp_conn *occupant, *peer;
	char token[DISP_MAX_TOKEN + 1];
	int n;

	memset(pss, 0, sizeof(*pss));
	pss->is_ws = true;
	c->d = d;
	c->wsi = wsi;
	c->id = ++d->next_conn_id;
	d->ws_count++;
	d->m.connections_total++;
	disp_client_addr(d, wsi, c->addr, c->src_ip);
	if (disp_ip_add(d, c->src_ip) == 0)
		c->counted_ip = true;
	memcpy(c->token_prefix, "-", 2);

	/* Behind a trusted proxy the per-address cap applies to the real
	 * client, which is known only now. */
	if (disp_ip_count(d, c->src_ip) > d->cfg.max_per_ip) {
		refuse(c, DISP_REJ_MAX_PER_IP, NULL);
		return 0;
	}
	n = disp_header(wsi, "x-hostname:", c->hostname, sizeof(c->hostname));
	if (n == -2) {
		refuse(c, DISP_REJ_BAD_HEADER, NULL);
		return 0;
	}
	if (n < 0)
		c->hostname[0] = '\0';
	n = disp_header(wsi, "x-session-token:", token, sizeof(token));
	if (n == -1) {
		refuse(c, DISP_REJ_NO_TOKEN, notice_no_token);
		return 0;
	}
	if (n == -2) {
		refuse(c, DISP_REJ_BAD_HEADER, NULL);
		return 0;
	}
	ev_token_hash_log_prefix(token, c->token_prefix);
	c->role = ends_with(c->hostname, "-EV-server") ? DISP_ROLE_DEVICE : DISP_ROLE_USER;

	if ((s = disp_session_get(d, token, (size_t)n)) == NULL &&
	    disp_session_create(d, token, (size_t)n, &s) != 0)
		return -1;
	occupant = s->ep[c->role];
	if (occupant != NULL) {
		if (strcmp(occupant->hostname, c->hostname) != 0) {
			/* One device and one user per token; Go refuses the
			 * third endpoint with this string too. */
			refuse(c, DISP_REJ_THIRD_PEER, notice_third_peer);
			return 0;
		}
		/* Same hostname: the endpoint reconnected; the old socket goes. */
		ev_log_notice("event=replace conn=%llu old=%llu role=%s token=%s",
		              (unsigned long long)c->id, (unsigned long long)occupant->id,
		              role_name(c->role), c->token_prefix);
		d->m.replaced_total++;
		if (peer_of(occupant) != NULL)
			d->m.sessions_paired--;
		resume_rx(peer_of(occupant));
		s->ep[c->role] = NULL;
		occupant->sess = NULL;
		kill_async(occupant);
	}
	s->ep[c->role] = c;
	c->sess = s;
	c->admitted = true;
	if (c->role == DISP_ROLE_DEVICE)
		d->m.connections_device++;
	else
		d->m.connections_user++;
	peer = peer_of(c);
	ev_log_info("event=connect conn=%llu role=%s token=%s addr=%s host=%s",
	            (unsigned long long)c->id, role_name(c->role), c->token_prefix, c->addr,
	            c->hostname);
	if (peer == NULL) {
		(void)queue_text(c, notice_no_device, sizeof(notice_no_device) - 1, NULL);
		arm_unpaired_timer(c);
	}
	(void)queue_text(c, notice_addr_prefix, sizeof(notice_addr_prefix) - 1, c->addr);
	if (peer != NULL) {
		d->m.sessions_paired++;
		d->m.pairs_total++;
		lws_sul_cancel(&peer->sul_unpaired);
		ev_log_info("event=pair conn=%llu peer=%llu token=%s", (unsigned long long)c->id,
		            (unsigned long long)peer->id, c->token_prefix);
	}
	return 0;
}

/* A whole message arrived from c: hand it to the peer, or drop it. */
static void
deliver(struct disp_conn *c, struct disp_msg *m)
{
	struct disp_conn *peer = peer_of(c);
	struct disp *d = c->d;
	int dir = c->role == DISP_ROLE_DEVICE ? 0 : 1;

	if (peer == NULL) {
		free(m);
		d->m.unroutable_total++;
		/* Section 5.2: silent until the 50th, then a notice each time,
		 * but never more notices than the queue cap allows. */
		if (++c->noroute >= d->cfg.noroute_notice_after &&
		    c->txq.bytes < d->cfg.queue_bytes)
			(void)queue_text(c, notice_no_device, sizeof(notice_no_device) - 1, NULL);
		return;
	}
	c->noroute = 0;
	d->m.msgs[dir]++;
	d->m.bytes[dir] += m->len;
	disp_msgq_push(&peer->txq, m);
	lws_callback_on_writable(peer->wsi);
	if (peer->txq.bytes >= d->cfg.queue_bytes && !c->rx_paused) {
		/* Stop reading the sender until the receiver catches up. */
		lws_rx_flow_control(c->wsi, 0);
		c->rx_paused = true;
		d->m.backpressure_total++;
	}
}

static int
on_receive(struct disp_conn *c, const uint8_t *in, size_t len)
{
	struct lws *wsi = c->wsi;
	struct disp *d = c->d;
	size_t limit = peer_of(c) != NULL ? d->cfg.max_message : d->cfg.max_message_unpaired;
	size_t have = c->rx != NULL ? c->rx->len : 0;
	size_t remaining = lws_remaining_packet_payload(wsi);

	if (!c->admitted || c->close_after_flush)
		return 0; /* refused: whatever it sends is dropped */
	if (len > limit - have || remaining > limit - have - len) {
		ev_log_notice("event=reject reason=oversize conn=%llu role=%s token=%s size>%zu",
		              (unsigned long long)c->id, role_name(c->role), c->token_prefix,
		              limit);
		d->m.rejected[DISP_REJ_OVERSIZE]++;
		free(c->rx);
		c->rx = NULL;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		                 (unsigned char *)"message too big", 15);
		return -1;
	}
	if (c->rx == NULL || have + len > c->rx_cap) {
		/* Size for this frame's remaining payload; continuation frames
		 * grow by doubling, never past the limit. */
		size_t want = have + len + remaining, cap = c->rx_cap;
		struct disp_msg *m;

		if (want < cap * 2)
			want = cap * 2 < limit ? cap * 2 : limit;
		if ((m = disp_msg_new(want, false)) == NULL)
			return -1;
		if (c->rx != NULL) {
			memcpy(disp_msg_payload(m), disp_msg_payload(c->rx), have);
			m->binary = c->rx->binary;
			free(c->rx);
		} else {
			m->binary = lws_frame_is_binary(wsi) != 0;
		}
		c->rx = m;
		c->rx_cap = want;
	}
	memcpy(disp_msg_payload(c->rx) + have, in, len);
	c->rx->len = have + len;
	if (lws_is_final_fragment(wsi)) {
		struct disp_msg *m = c->rx;
		c->rx = NULL;
		c->rx_cap = 0;
		deliver(c, m);
	}
	return 0;
}

static int
on_writeable(struct disp_conn *c)
{
	struct disp_msg *m = c->txq.head;
	struct disp_conn *peer;
	size_t chunk;
	bool first, last;
	int flags;

	if (m == NULL)
		return c->close_after_flush ? -1 : 0;
	chunk = m->len - m->sent;
	if (chunk > c->d->cfg.tx_chunk)
		chunk = c->d->cfg.tx_chunk;
	first = m->sent == 0;
	last = m->sent + chunk == m->len;
	flags = lws_write_ws_flags(m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, first, last);
	/* The LWS_PRE bytes before each later fragment were already sent, so
	 * lws may write that fragment's frame header over them. */
	if (lws_write(c->wsi, disp_msg_payload(m) + m->sent, chunk,
	              (enum lws_write_protocol)flags) < (int)chunk)
		return -1;
	m->sent += chunk;
	if (last)
		free(disp_msgq_pop(&c->txq));
	if (c->txq.head != NULL || c->close_after_flush)
		lws_callback_on_writable(c->wsi);
	peer = peer_of(c);
	if (peer != NULL && peer->rx_paused && c->txq.bytes < c->d->cfg.queue_bytes / 2)
		resume_rx(peer);
	return 0;
}

static void
on_closed(struct disp_conn *c)
{
	struct disp *d = c->d;

	if (d == NULL)
		return; /* never established */
	lws_sul_cancel(&c->sul_unpaired);
	if (c->sess != NULL)
		leave_session(c, true);
	if (c->admitted) {
		if (c->role == DISP_ROLE_DEVICE)
			d->m.connections_device--;
		else
			d->m.connections_user--;
	}
	ev_log_info("event=close conn=%llu token=%s", (unsigned long long)c->id, c->token_prefix);
	free(c->rx);
	c->rx = NULL;
	disp_msgq_clear(&c->txq);
	if (c->counted_ip)
		disp_ip_del(d, c->src_ip);
	d->ws_count--;
	c->d = NULL;
}

static int
filter_network(struct disp *d, const struct lws_filter_network_conn_args *a)
{
	char ip[DISP_MAX_ADDR] = "";
	const struct sockaddr_storage *ss = &a->cli_addr;

	if (d->ws_count >= d->cfg.max_connections) {
		d->m.rejected[DISP_REJ_MAX_CONNECTIONS]++;
		ev_log_warn("event=reject reason=max-connections count=%llu",
		            (unsigned long long)d->ws_count);
		return 1;
	}
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
	if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip, '.') != NULL)
		memmove(ip, ip + 7, strlen(ip + 7) + 1);
	if (!disp_is_trusted_proxy(d, ip) && disp_ip_count(d, ip) >= d->cfg.max_per_ip) {
		d->m.rejected[DISP_REJ_MAX_PER_IP]++;
		ev_log_notice("event=reject reason=max-per-ip addr=%s", ip);
		return 1;
	}
	return 0;
}

int
disp_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct disp *d = lws_context_user(lws_get_context(wsi));
	struct disp_pss *pss = user;
	char uri[1024];

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		/* Idle TLS sockets keep no read/write buffers: memory per
		 * idle session is what counts with thousands of them. */
		SSL_CTX_set_mode((SSL_CTX *)user, SSL_MODE_RELEASE_BUFFERS);
		/* Endpoints hold one long connection each and never resume:
		 * no server-side session cache, no TLS 1.3 tickets. */
		SSL_CTX_set_session_cache_mode((SSL_CTX *)user, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_num_tickets((SSL_CTX *)user, 0);
		return 0;
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: return filter_network(d, user);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
		    strcmp(uri, d->cfg.path) != 0) {
			d->m.rejected[DISP_REJ_BAD_PATH]++;
			return 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED: return on_established(d, wsi, pss);
	case LWS_CALLBACK_RECEIVE: return pss->is_ws ? on_receive(&pss->u.ws, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE: return pss->is_ws ? on_writeable(&pss->u.ws) : -1;
	case LWS_CALLBACK_CLOSED:
		if (pss != NULL && pss->is_ws)
			on_closed(&pss->u.ws);
		return 0;
	case LWS_CALLBACK_HTTP: return disp_http_request(d, wsi, in);
	default: break;
	}
	return disp_http_common(wsi, reason, user, in, len);
}
