/*
 * http.c - plain HTTP on the dispatcher: GET /v1/ping, the session probe
 * of 17.3+ clients (section 4.3, 5.6), /metrics on its own listener,
 * 404 for the rest.  Also the client-address and header helpers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "disp.h"
#include "ev_log.h"

#define METRICS_MAX (64u * 1024) /* rendered /metrics text */

int
disp_header(struct lws *wsi, const char *name, char *buf, size_t cap)
{
	int nlen = (int)strlen(name), n = lws_hdr_custom_length(wsi, name, nlen);

	if (n < 0)
		return -1;
	if ((size_t)n >= cap)
		return -2;
	if (lws_hdr_custom_copy(wsi, buf, (int)cap, name, nlen) < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

bool
disp_is_trusted_proxy(const struct disp *d, const char *ip)
{
	for (size_t i = 0; i < d->nproxies; i++)
		if (strcmp(d->proxies[i], ip) == 0)
			return true;
	return false;
}

static bool
valid_ip(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

/* The last comma-separated entry of X-Forwarded-For: what our proxy saw. */
static bool
forwarded_ip(struct lws *wsi, char ip[DISP_MAX_ADDR])
{
	char xff[512], *last;
	int n;

	if ((n = disp_header(wsi, "cf-connecting-ip:", ip, DISP_MAX_ADDR)) > 0 && valid_ip(ip))
		return true;
	if (lws_hdr_copy(wsi, xff, sizeof(xff), WSI_TOKEN_X_FORWARDED_FOR) <= 0)
		return false;
	last = strrchr(xff, ',');
	last = last != NULL ? last + 1 : xff;
	while (*last == ' ')
		last++;
	if (strlen(last) >= DISP_MAX_ADDR || !valid_ip(last))
		return false;
	memcpy(ip, last, strlen(last) + 1);
	return true;
}

void
disp_client_addr(struct disp *d, struct lws *wsi, char addr[DISP_MAX_ADDR], char ip[DISP_MAX_ADDR])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned port = 0;
	char fwd[DISP_MAX_ADDR];

	memcpy(ip, "unknown", 8);
	memcpy(addr, "unknown", 8);
	if (getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, ip, DISP_MAX_ADDR);
		port = ntohs(s4->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, DISP_MAX_ADDR);
		port = ntohs(s6->sin6_port);
		if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip, '.') != NULL)
			memmove(ip, ip + 7, strlen(ip + 7) + 1);
	}
	/* Go prints "a.b.c.d:port" and "[v6]:port". */
	snprintf(addr, DISP_MAX_ADDR, strchr(ip, ':') != NULL ? "[%s]:%u" : "%s:%u", ip, port);
	if (disp_is_trusted_proxy(d, ip) && forwarded_ip(wsi, fwd)) {
		memcpy(ip, fwd, strlen(fwd) + 1);
		memcpy(addr, fwd, strlen(fwd) + 1);
	}
}

static int
respond(struct lws *wsi, struct disp_pss *pss, unsigned status, const char *ctype, const char *body,
        size_t len)
{
	uint8_t hdr[LWS_PRE + 512], *start = &hdr[LWS_PRE], *p = start,
	                            *end = &hdr[sizeof(hdr) - 1];
	struct disp_http *h = &pss->u.http;

	pss->is_ws = false;
	h->body_len = len;
	if ((h->dyn = malloc(LWS_PRE + len + 1)) == NULL)
		return -1;
	memcpy(h->dyn + LWS_PRE, body, len);
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) != 0 ||
	    lws_finalize_write_http_header(wsi, start, &p, end) != 0)
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int
disp_http_writeable(struct lws *wsi, void *user)
{
	struct disp_pss *pss = user;
	struct disp_http *h = &pss->u.http;

	if (pss->is_ws || h->dyn == NULL)
		return -1;
	if (lws_write(wsi, (uint8_t *)h->dyn + LWS_PRE, h->body_len, LWS_WRITE_HTTP_FINAL) <
	    (int)h->body_len)
		return -1;
	free(h->dyn);
	h->dyn = NULL;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static bool
is_get(struct lws *wsi)
{
	return lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
}

int
disp_http_request(struct disp *d, struct lws *wsi, const char *uri)
{
	struct disp_pss *pss = lws_wsi_user(wsi);
	char token[DISP_MAX_TOKEN + 1], probe[16];
	struct disp_session *s;
	int n;

	if (pss == NULL)
		return -1;
	if (strcmp(uri, "/v1/ping") == 0) {
		d->m.pings_http++;
		/* Go answers other methods with 200 and no body. */
		return is_get(wsi)
		               ? respond(wsi, pss, 200, "text/plain; charset=utf-8", "pong\n", 5)
		               : respond(wsi, pss, 200, "text/plain; charset=utf-8", "", 0);
	}
	if (strcmp(uri, d->cfg.path) != 0 || !is_get(wsi))
		return respond(wsi, pss, 404, "text/plain; charset=utf-8", "404 page not found\n",
		               19);
	if (disp_header(wsi, "x-session-probe:", probe, sizeof(probe)) < 0 ||
	    strcasecmp(probe, "true") != 0)
		/* A plain GET of the websocket path: what gorilla's upgrader says. */
		return respond(wsi, pss, 400, "text/plain; charset=utf-8", "Bad Request\n", 12);
	n = disp_header(wsi, "x-session-token:", token, sizeof(token));
	s = n >= 0 ? disp_session_get(d, token, (size_t)n) : NULL;
	if (s != NULL && s->ep[DISP_ROLE_DEVICE] != NULL) {
		d->m.probes_connected++;
		return respond(wsi, pss, 200, "text/plain; charset=utf-8", "server is connected",
		               19);
	}
	d->m.probes_absent++;
	return respond(wsi, pss, 200, "text/plain; charset=utf-8", "no device online", 16);
}

int
disp_metrics_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
	struct disp *d = lws_context_user(lws_get_context(wsi));
	struct disp_pss *pss = user;
	char *text;
	size_t n;
	int r;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (strcmp((const char *)in, "/metrics") != 0 || !is_get(wsi))
			return respond(wsi, pss, 404, "text/plain; charset=utf-8",
			               "404 page not found\n", 19);
		if ((text = malloc(METRICS_MAX)) == NULL)
			return -1;
		n = disp_metrics_render(d, text, METRICS_MAX);
		r = respond(wsi, pss, 200, "text/plain; version=0.0.4; charset=utf-8", text, n);
		free(text);
		return r;
	default: break;
	}
	return disp_http_common(wsi, reason, user, in, len);
}

int
disp_http_common(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
	struct disp_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_WRITEABLE: return disp_http_writeable(wsi, user);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL && !pss->is_ws) {
			free(pss->u.http.dyn);
			pss->u.http.dyn = NULL;
		}
		return 0;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
