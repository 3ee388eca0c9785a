/* http.c - synchronous HTTPS client of the EVE device API, on libwebsockets. */
#include "http.h"

#include <errno.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_proxy.h"
#include "ev_retryafter.h"

#define HTTP_ERRMSG_MAX 320
/* Body bytes per lws_write, and per read from lws. */
#define HTTP_TX_CHUNK (16u * 1024)
#define HTTP_RX_CHUNK (16u * 1024)
/* Sockets of one context: the request's connection plus lws's own pipe. */
#define HTTP_MAX_FDS 16
/*
 * TLS 1.2 suites: forward secret AEAD only, EVE's two among them; TLS 1.3
 * keeps OpenSSL's defaults.
 */
#define HTTP_TLS12_CIPHERS                                                                         \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define HTTP_CONTENT_TYPE_POST "application/x-proto-binary"

/* How far a request got: a failure is classified by where it happened. */
enum http_phase {
	PH_CONNECT, /* DNS, TCP, proxy CONNECT */
	PH_TLS,     /* handshake started */
	PH_SENT,    /* request going out, waiting for the status line */
	PH_BODY,    /* headers in, reading the body */
};

struct http_req {
	struct agent_http *h;
	const char *path;
	bool post;
	const uint8_t *body;
	size_t len, sent;
	const char *const *extra;
	size_t max_resp;
	enum http_phase phase;
	bool done;
	int r;
	bool check_dns; /* a connect failure may be a name that does not resolve */
	/* response */
	int status;
	bool chunked, have_cl;
	bool in_read, completed_in_read; /* see LWS_CALLBACK_RECEIVE_CLIENT_HTTP */
	unsigned long long cl;
	uint8_t *rx;
	size_t rx_len, rx_cap;
	char content_type[AGENT_HTTP_MAX_CONTENT_TYPE];
	unsigned retry_after;
	/* TLS diagnostics */
	int verify_err, verify_depth;
	char verify_subject[160];
	char alert[64];
	lws_sorted_usec_list_t sul_connect, sul_total;
};

struct agent_http {
	struct lws_context *ctx;
	SSL_CTX *ssl_ctx;
	char host[AGENT_HTTP_MAX_HOSTPORT + 1];     /* to dial, SNI, name check */
	char hostport[AGENT_HTTP_MAX_HOSTPORT + 1]; /* Host header */
	int port;
	char proxy[EV_PROXY_MAX]; /* "host:port", "" when direct */
	char proxy_host[EV_PROXY_MAX];
	unsigned proxy_port;
	unsigned connect_timeout_ms, timeout_ms;
	bool insecure;
	struct lws *wsi;      /* connection of the current request until lws destroys it */
	struct http_req *req; /* the request in progress, NULL between requests */
	char request_id[37];
	char errmsg[HTTP_ERRMSG_MAX];
};

static void
http_lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n > 0 && line[n - 1] == '\n')
		n--;
	/* This module reports every failure with its reason; lws's own lines,
	 * errors included, are detail for debugging. */
	ev_log_debug("lws: %.*s", (int)n, line);
}

/* ---- configuration ---- */

static bool
is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* /config/server: "host[:port]", optionally "https://" and a trailing "/". */
static int
parse_server(struct agent_http *h, const char *server)
{
	const char *s = server, *e, *colon;
	size_t n, hl;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if ((size_t)(e - s) >= 8 && strncasecmp(s, "https://", 8) == 0)
		s += 8;
	else if (memmem(s, (size_t)(e - s), "://", 3) != NULL) {
		ev_log_err("controller address \"%s\": only https:// is supported", server);
		return EV_ERR_INVALID_ARG;
	}
	if (e > s && e[-1] == '/')
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n > AGENT_HTTP_MAX_HOSTPORT) {
		ev_log_err("controller address \"%s\" is empty or longer than %u bytes", server,
		           AGENT_HTTP_MAX_HOSTPORT);
		return EV_ERR_INVALID_ARG;
	}
	if (s[0] == '[') {
		/* lws cuts the SNI name at the first ':', so a literal would fail
		 * the certificate check. */
		ev_log_err("controller address \"%s\": IPv6 literals are not supported", server);
		return EV_ERR_INVALID_ARG;
	}
	colon = memchr(s, ':', n);
	hl = colon != NULL ? (size_t)(colon - s) : n;
	for (size_t i = 0; i < hl; i++)
		if (!is_host_char(s[i])) {
			ev_log_err("controller address \"%s\" is not host:port", server);
			return EV_ERR_INVALID_ARG;
		}
	if (hl == 0 || s[0] == '.' || s[0] == '-') {
		ev_log_err("controller address \"%s\" has no valid host name", server);
		return EV_ERR_INVALID_ARG;
	}
	h->port = 443;
	if (colon != NULL) {
		unsigned long port = 0;
		const char *p = colon + 1;

		if (p == e || e - p > 5) {
			ev_log_err("controller address \"%s\" has a bad port", server);
			return EV_ERR_INVALID_ARG;
		}
		for (; p < e; p++) {
			if (*p < '0' || *p > '9') {
				ev_log_err("controller address \"%s\" has a bad port", server);
				return EV_ERR_INVALID_ARG;
			}
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port == 0 || port > 65535) {
			ev_log_err("controller address \"%s\" has a bad port", server);
			return EV_ERR_INVALID_ARG;
		}
		h->port = (int)port;
	}
	memcpy(h->host, s, hl);
	h->host[hl] = '\0';
	memcpy(h->hostport, s, n);
	h->hostport[n] = '\0';
	return 0;
}

static int
pick_proxy(struct agent_http *h, const char *proxy)
{
	const char *colon;
	size_t hl;
	int r;

	if (proxy != NULL && proxy[0] != '\0')
		r = ev_proxy_pick(proxy, NULL, h->host, h->proxy);
	else
		r = ev_proxy_for(h->host, h->proxy);
	if (r != 0) {
		ev_log_err_r(r, "proxy setting (%s) is not http://host:port",
		             proxy != NULL && proxy[0] != '\0' ? "--proxy" : "https_proxy");
		return r;
	}
	if (h->proxy[0] == '\0')
		return 0;
	/* ev_proxy checked the form: host, ':', digits. */
	colon = strrchr(h->proxy, ':');
	hl = (size_t)(colon - h->proxy);
	if (hl > AGENT_HTTP_MAX_HOSTPORT) { /* lws keeps the name in 128 bytes */
		ev_log_err("proxy %s: host name over %u bytes", h->proxy, AGENT_HTTP_MAX_HOSTPORT);
		return EV_ERR_INVALID_ARG;
	}
	memcpy(h->proxy_host, h->proxy, hl);
	h->proxy_host[hl] = '\0';
	{
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || port == 0 || port > 65535) {
			ev_log_err("proxy %s has a bad port", h->proxy);
			return EV_ERR_INVALID_ARG;
		}
		h->proxy_port = (unsigned)port;
	}
	ev_log_info("controller %s through proxy %s", h->hostport, h->proxy);
	return 0;
}

static void tls_info(const SSL *ssl, int where, int ret);

/*
 * Our own client SSL_CTX, handed to lws: lws 4.1 loads its build-time
 * LWS_OPENSSL_CLIENT_CERTS directory (a relative "../share") as trust when
 * no CA file is given and only logs a CA file that fails to load; here both
 * failures are ours to see.
 */
/*
 * The system store as a hashed directory, looked up per issuer when a
 * handshake needs it, instead of SSL_CTX_set_default_verify_paths(), which
 * also parses the whole bundle file into memory (about 0.6 MB of heap held
 * for the life of an agent that talks to one controller).  SSL_CERT_FILE,
 * when set, is still honoured as a file.
 */
static int
system_store(SSL_CTX *c)
{
	X509_STORE *st = SSL_CTX_get_cert_store(c);
	const char *dir = getenv(X509_get_default_cert_dir_env());
	const char *file = getenv(X509_get_default_cert_file_env());

	if (file != NULL && *file != '\0' && X509_STORE_load_file(st, file) != 1)
		return EV_ERR_IO;
	if (dir == NULL || *dir == '\0')
		dir = X509_get_default_cert_dir();
	return X509_STORE_load_path(st, dir) == 1 ? 0 : EV_ERR_IO;
}

static int
make_ssl_ctx(struct agent_http *h, const char *cafile)
{
	SSL_CTX *c;
	int r;

	ERR_clear_error();
	if ((c = SSL_CTX_new(TLS_client_method())) == NULL)
		return EV_ERR_CRYPTO;
	if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(c, HTTP_TLS12_CIPHERS) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (system_store(c) != 0)
		ev_log_warn("cannot use the system certificate store; trusting %s only",
		            cafile != NULL ? cafile : "nothing");
	if (cafile != NULL) {
		if (access(cafile, R_OK) != 0) {
			r = EV_ERR_IO;
			ev_log_err("cannot read %s: %s", cafile, strerror(errno));
			goto out;
		}
		if (SSL_CTX_load_verify_locations(c, cafile, NULL) != 1) {
			unsigned long e = ERR_peek_last_error();
			r = EV_ERR_KEY_PARSE;
			ev_log_err("no usable certificate in %s: %s", cafile,
			           e != 0 ? ERR_reason_error_string(e) : "unknown reason");
			goto out;
		}
	}
	/* As Go's x509 does: any certificate in the trust set is an anchor,
	 * e.g. an intermediate or the controller's own certificate in
	 * root-certificate.pem. */
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(c), X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_app_data(c, h);
	SSL_CTX_set_info_callback(c, tls_info);
	h->ssl_ctx = c;
	c = NULL;
	r = 0;
out:
	ERR_clear_error();
	SSL_CTX_free(c);
	return r;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len);

static const struct lws_protocols protocols[] = {
        {"agent-http", http_callback, 0, 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

int
agent_http_new(const struct agent_http_cfg *cfg, struct agent_http **out)
{
	struct lws_context_creation_info info;
	struct agent_http *h = NULL;
	unsigned longest;
	int r;

	*out = NULL;
	if (cfg == NULL || cfg->server == NULL)
		return EV_ERR_INVALID_ARG;
	lws_set_log_level(LLL_ERR | LLL_WARN, http_lws_log);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return EV_ERR_NOMEM;
	h->connect_timeout_ms = cfg->connect_timeout_ms != 0 ? cfg->connect_timeout_ms
	                                                     : AGENT_HTTP_CONNECT_TIMEOUT_MS;
	h->timeout_ms = cfg->timeout_ms != 0 ? cfg->timeout_ms : AGENT_HTTP_TIMEOUT_MS;
	h->insecure = cfg->insecure;
	if ((r = parse_server(h, cfg->server)) != 0 || (r = pick_proxy(h, cfg->proxy)) != 0 ||
	    (r = make_ssl_ctx(h, cfg->cafile)) != 0)
		goto out;

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = h;
	info.fd_limit_per_thread = HTTP_MAX_FDS;
	info.max_http_header_data = (unsigned short)EV_MAX_HTTP_HEADERS;
	info.provided_client_ssl_ctx = h->ssl_ctx;
	/* lws's own timeouts (20 s by default, on every wait) must never beat
	 * ours, which say what timed out. */
	longest = h->timeout_ms > h->connect_timeout_ms ? h->timeout_ms : h->connect_timeout_ms;
	info.timeout_secs = longest / 1000 + 5;
	info.connect_timeout_secs = info.timeout_secs;
	/* Without an address lws 4.1 reads the http_proxy variable itself and
	 * ignores no_proxy; an empty address with port 0 keeps it direct. */
	info.http_proxy_address = h->proxy[0] != '\0' ? h->proxy_host : "";
	info.http_proxy_port = h->proxy_port;
	if ((h->ctx = lws_create_context(&info)) == NULL) {
		r = EV_ERR_SYSTEM;
		ev_log_err("cannot create the libwebsockets context");
		goto out;
	}
	*out = h;
	h = NULL;
	r = 0;
out:
	agent_http_free(h);
	return r;
}

void
agent_http_free(struct agent_http *h)
{
	if (h == NULL)
		return;
	if (h->ctx != NULL)
		lws_context_destroy(h->ctx);
	/* lws does not free a context it was given. */
	SSL_CTX_free(h->ssl_ctx);
	free(h);
}

void
agent_http_resp_free(struct agent_http_resp *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

const char *
agent_http_last_error(const struct agent_http *h)
{
	return h->errmsg;
}

const char *
agent_http_last_request_id(const struct agent_http *h)
{
	return h->request_id;
}

/* ---- one request ---- */

/* The first outcome wins: later callbacks of a dying connection are noise. */
static void EV_PRINTF(3, 4) finish(struct http_req *q, int r, const char *fmt, ...)
{
	va_list ap;

	if (q->done)
		return;
	q->done = true;
	q->r = r;
	if (r != 0 && fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(q->h->errmsg, sizeof(q->h->errmsg), fmt, ap);
		va_end(ap);
	}
}

static const char *
phase_name(enum http_phase p)
{
	switch (p) {
	case PH_CONNECT: return "connecting";
	case PH_TLS: return "in the TLS handshake";
	case PH_SENT: return "waiting for the response headers";
	case PH_BODY: return "reading the body";
	}
	return "?";
}

static void
connect_timeout(lws_sorted_usec_list_t *sul)
{
	struct http_req *q =
	        (struct http_req *)(void *)((char *)sul - offsetof(struct http_req, sul_connect));

	finish(q, EV_ERR_HTTP_TIMEOUT, "no connection to %s%s%s within %u ms (%s)", q->h->hostport,
	       q->h->proxy[0] != '\0' ? " through proxy " : "", q->h->proxy,
	       q->h->connect_timeout_ms, phase_name(q->phase));
	/* lws runs timers before it polls: wake that poll so the request ends now. */
	lws_cancel_service(q->h->ctx);
}

static void
total_timeout(lws_sorted_usec_list_t *sul)
{
	struct http_req *q =
	        (struct http_req *)(void *)((char *)sul - offsetof(struct http_req, sul_total));

	finish(q, EV_ERR_HTTP_TIMEOUT, "no complete response from %s within %u ms (%s, %zu bytes)",
	       q->h->hostport, q->h->timeout_ms, phase_name(q->phase), q->rx_len);
	lws_cancel_service(q->h->ctx);
}

static void
tls_info(const SSL *ssl, int where, int ret)
{
	struct agent_http *h = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct http_req *q = h != NULL ? h->req : NULL;

	if (q == NULL || q->done)
		return;
	/* The TCP connection (and the proxy tunnel) is up. */
	if ((where & SSL_CB_HANDSHAKE_START) && q->phase == PH_CONNECT)
		q->phase = PH_TLS;
	if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && q->alert[0] == '\0')
		snprintf(q->alert, sizeof(q->alert), "%s", SSL_alert_desc_string_long(ret));
}

static bool
is_name_mismatch(int err)
{
	return err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH;
}

/* A connection that ended before the response did: say where and why. */
static void
fail_transport(struct http_req *q, const char *why)
{
	struct agent_http *h = q->h;
	bool proxied = h->proxy[0] != '\0';

	if (why == NULL || why[0] == '\0')
		why = "connection failed";
	switch (q->phase) {
	case PH_CONNECT:
		if (proxied && strstr(why, "proxy") != NULL) {
			/* lws says "proxy not h1" for any answer but 200. */
			finish(q, EV_ERR_HTTP_PROXY,
			       "proxy %s refused or failed the CONNECT to %s (%s)", h->proxy,
			       h->hostport,
			       strstr(why, "not h1") != NULL ? "its answer was not 200" : why);
			return;
		}
		q->check_dns = true;
		if (proxied)
			finish(q, EV_ERR_HTTP_CONNECT, "cannot connect to proxy %s (%s)", h->proxy,
			       why);
		else
			finish(q, EV_ERR_HTTP_CONNECT, "cannot connect to %s (%s)", h->hostport,
			       why);
		return;
	case PH_TLS:
		if (q->verify_err != 0)
			finish(q,
			       is_name_mismatch(q->verify_err) ? EV_ERR_HTTP_CERT_NAME
			                                       : EV_ERR_HTTP_CERT,
			       "server certificate of %s is not trusted: %s (depth %d: %s)",
			       h->hostport, X509_verify_cert_error_string(q->verify_err),
			       q->verify_depth, q->verify_subject);
		else if (q->alert[0] != '\0')
			finish(q, EV_ERR_HTTP_TLS,
			       "TLS handshake with %s failed: server sent alert \"%s\"",
			       h->hostport, q->alert);
		else
			finish(q, EV_ERR_HTTP_TLS, "TLS handshake with %s failed (%s)", h->hostport,
			       why);
		return;
	case PH_SENT:
		if (strstr(why, "pars") != NULL || strncmp(why, "HS:", 3) == 0)
			finish(q, EV_ERR_HTTP_RESPONSE,
			       "response headers from %s are malformed or over %u bytes (%s)",
			       h->hostport, EV_MAX_HTTP_HEADERS, why);
		else
			finish(q, EV_ERR_HTTP_TRUNCATED,
			       "%s closed the connection before the response headers (%s)",
			       h->hostport, why);
		return;
	case PH_BODY:
		if (q->have_cl)
			finish(q, EV_ERR_HTTP_TRUNCATED,
			       "%s closed the connection after %zu of %llu body bytes", h->hostport,
			       q->rx_len, q->cl);
		else
			finish(q, EV_ERR_HTTP_TRUNCATED,
			       "%s closed the connection in the chunked body after %zu bytes "
			       "(or its chunk framing is broken)",
			       h->hostport, q->rx_len);
		return;
	}
}

/* Header names the module sets itself. */
static const char *const own_headers[] = {
        "host", "content-type", "content-length", "connection", "transfer-encoding", "x-request-id",
};

static bool
is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "Name: value": a token, a colon, a value without control characters
 * (no header injection through a serial number). */
static int
check_extra_header(const char *line, size_t *namelen, const char **value)
{
	size_t n = 0;
	const char *v;

	while (is_token_char(line[n]))
		n++;
	if (n == 0 || line[n] != ':')
		return EV_ERR_INVALID_ARG;
	for (size_t i = 0; i < EV_ARRAY_LEN(own_headers); i++)
		if (strlen(own_headers[i]) == n && strncasecmp(line, own_headers[i], n) == 0)
			return EV_ERR_INVALID_ARG;
	v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (const char *c = v; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 ? *c != '\t' : *c == 0x7f)
			return EV_ERR_INVALID_ARG;
	*namelen = n;
	*value = v;
	return 0;
}

static int
add_header(struct lws *wsi, const char *name, const char *value, size_t vlen, unsigned char **p,
           unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	                                   (const unsigned char *)value, (int)vlen, p, end);
}

static int
append_headers(struct http_req *q, struct lws *wsi, unsigned char **p, unsigned char *end)
{
	char num[24];

	if (add_header(wsi, "X-Request-Id:", q->h->request_id, strlen(q->h->request_id), p, end))
		return -1;
	if (q->post) {
		snprintf(num, sizeof(num), "%zu", q->len);
		if (add_header(wsi, "Content-Type:", HTTP_CONTENT_TYPE_POST,
		               strlen(HTTP_CONTENT_TYPE_POST), p, end) ||
		    add_header(wsi, "Content-Length:", num, strlen(num), p, end))
			return -1;
	}
	for (const char *const *x = q->extra; x != NULL && *x != NULL; x++) {
		char name[AGENT_HTTP_MAX_EXTRA_HEADERS + 2];
		const char *value;
		size_t nl;

		/* Checked before connecting; cannot fail here. */
		if (check_extra_header(*x, &nl, &value) != 0)
			return -1;
		memcpy(name, *x, nl);
		name[nl] = ':';
		name[nl + 1] = '\0';
		if (add_header(wsi, name, value, strlen(value), p, end))
			return -1;
	}
	if (q->post && q->len > 0) {
		lws_client_http_body_pending(wsi, 1);
		lws_callback_on_writable(wsi);
	}
	return 0;
}

static int
write_body(struct http_req *q, struct lws *wsi)
{
	uint8_t buf[LWS_PRE + HTTP_TX_CHUNK];
	size_t n = q->len - q->sent;

	if (n == 0)
		return 0;
	if (n > HTTP_TX_CHUNK)
		n = HTTP_TX_CHUNK;
	memcpy(buf + LWS_PRE, q->body + q->sent, n);
	/* lws keeps what the socket did not take and writes it first. */
	if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP) != (int)n)
		return -1;
	q->sent += n;
	if (q->sent < q->len)
		lws_callback_on_writable(wsi);
	else
		lws_client_http_body_pending(wsi, 0);
	return 0;
}

/* A header's whole value into buf; false when it is longer than cap - 1. */
static bool
copy_header(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t cap)
{
	int n = lws_hdr_total_length(wsi, t);

	buf[0] = '\0';
	if (n <= 0)
		return true;
	if ((size_t)n >= cap)
		return false;
	return lws_hdr_copy(wsi, buf, (int)cap, t) == n;
}

/* Status and the headers that matter; -1 ends the connection. */
static int
on_headers(struct http_req *q, struct lws *wsi)
{
	struct agent_http *h = q->h;
	char cl[24], te[32], ra[64];

	q->phase = PH_BODY;
	q->status = (int)lws_http_client_http_response(wsi);
	if (q->status < 200 || q->status > 599) {
		/* lws takes no interim 1xx answers (we never send Expect). */
		finish(q, EV_ERR_HTTP_RESPONSE, "%s answered with status %d", h->hostport,
		       q->status);
		return -1;
	}
	if (!copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, q->content_type,
	                 sizeof(q->content_type))) {
		finish(q, EV_ERR_HTTP_RESPONSE, "Content-Type from %s is over %zu bytes",
		       h->hostport, sizeof(q->content_type) - 1);
		return -1;
	}
	if (!copy_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, te, sizeof(te)) ||
	    !copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl))) {
		finish(q, EV_ERR_HTTP_RESPONSE,
		       "Transfer-Encoding or Content-Length from %s too long", h->hostport);
		return -1;
	}
	/* lws decodes exactly "chunked" and reads anything else raw. */
	if (te[0] != '\0' && strcmp(te, "chunked") != 0) {
		finish(q, EV_ERR_HTTP_RESPONSE, "%s sent Transfer-Encoding \"%s\"", h->hostport,
		       te);
		return -1;
	}
	q->chunked = te[0] != '\0';
	if (cl[0] != '\0') {
		char *end = cl;

		errno = 0;
		if (!q->chunked && cl[0] >= '0' && cl[0] <= '9')
			q->cl = strtoull(cl, &end, 10);
		if (end == cl || *end != '\0' || errno != 0) {
			finish(q, EV_ERR_HTTP_RESPONSE, "%s sent Content-Length \"%s\"%s",
			       h->hostport, cl, q->chunked ? " with chunked encoding" : "");
			return -1;
		}
		q->have_cl = true;
		if (q->cl > q->max_resp) {
			finish(q, EV_ERR_HTTP_TOO_BIG,
			       "response from %s is %llu bytes, over the %zu-byte cap for %s",
			       h->hostport, q->cl, q->max_resp, q->path);
			return -1;
		}
	}
	if (copy_header(wsi, WSI_TOKEN_HTTP_RETRY_AFTER, ra, sizeof(ra)))
		q->retry_after = ev_retry_after_parse(ra, (int64_t)time(NULL));
	/* No body follows these whatever the headers say (RFC 9110 6.4.1); a
	 * server that keeps the connection open must not cost us a timeout. */
	if (q->status == 204 || q->status == 304)
		finish(q, 0, NULL);
	return 0;
}

static int
on_body(struct http_req *q, const uint8_t *in, size_t len)
{
	size_t want;

	if (len > q->max_resp - q->rx_len) {
		finish(q, EV_ERR_HTTP_TOO_BIG, "response from %s is over the %zu-byte cap for %s",
		       q->h->hostport, q->max_resp, q->path);
		return -1;
	}
	want = q->rx_len + len + 1; /* room for a NUL terminator */
	if (want > q->rx_cap) {
		size_t cap = q->rx_cap > 0 ? q->rx_cap : 4096;

		if (cap > q->max_resp + 1)
			cap = q->max_resp + 1;
		uint8_t *n;

		while (cap < want)
			cap = cap > (q->max_resp + 1) / 2 ? q->max_resp + 1 : cap * 2;
		if ((n = realloc(q->rx, cap)) == NULL) {
			finish(q, EV_ERR_NOMEM, "out of memory for a %zu-byte response", want);
			return -1;
		}
		q->rx = n;
		q->rx_cap = cap;
	}
	memcpy(q->rx + q->rx_len, in, len);
	q->rx_len += len;
	q->rx[q->rx_len] = '\0';
	return 0;
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct agent_http *h;
	struct http_req *q;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
	case LWS_CALLBACK_WSI_DESTROY: break;
	default: return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
	h = lws_context_user(lws_get_context(wsi));
	if (reason == LWS_CALLBACK_WSI_DESTROY) {
		if (h != NULL && h->wsi == wsi)
			h->wsi = NULL;
		return 0;
	}
	q = h != NULL ? h->req : NULL;
	if (q == NULL || wsi != h->wsi || q->done) {
		/* A connection we are done with: let it go. */
		if (reason == LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION)
			X509_STORE_CTX_set_error(user, X509_V_ERR_APPLICATION_VERIFICATION);
		return reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR ||
		                       reason == LWS_CALLBACK_CLOSED_CLIENT_HTTP
		               ? 0
		               : -1;
	}
	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION: {
		/* user: the X509_STORE_CTX, len: OpenSSL's preverify_ok. */
		X509_STORE_CTX *xs = user;

		if (h->insecure) {
			X509_STORE_CTX_set_error(xs, X509_V_OK);
			return 0;
		}
		if (len == 0 && q->verify_err == 0) {
			X509 *c = X509_STORE_CTX_get_current_cert(xs);

			q->verify_err = X509_STORE_CTX_get_error(xs);
			q->verify_depth = X509_STORE_CTX_get_error_depth(xs);
			if (c != NULL)
				X509_NAME_oneline(X509_get_subject_name(c), q->verify_subject,
				                  (int)sizeof(q->verify_subject));
		}
		return 0;
	}
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		/* TCP, proxy and TLS are done. */
		q->phase = PH_SENT;
		lws_sul_cancel(&q->sul_connect);
		return append_headers(q, wsi, (unsigned char **)in, *(unsigned char **)in + len);
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: return write_body(q, wsi);
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: return on_headers(q, wsi);
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
		char buf[LWS_PRE + HTTP_RX_CHUNK], *px = buf + LWS_PRE;
		int n = (int)HTTP_RX_CHUNK, rr;

		/* lws strips the chunk framing and calls back with ..._READ. */
		q->in_read = true;
		rr = lws_http_client_read(wsi, &px, &n);
		q->in_read = false;
		if (q->completed_in_read) {
			/* lws 4.1 also reports "completed" when the connection
			 * ends inside a chunked body (it only knows "no
			 * Content-Length"), and then fails the read: that is a
			 * cut, not an end. */
			if (rr < 0 && q->chunked)
				fail_transport(q, NULL);
			else
				finish(q, 0, NULL);
		}
		return rr < 0 ? -1 : 0;
	}
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: return on_body(q, in, len);
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (q->in_read)
			q->completed_in_read = true;
		else
			finish(q, 0, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fail_transport(q, in != NULL ? (const char *)in : NULL);
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		/* Without a length or chunking, the body ends with the connection. */
		if (q->phase == PH_BODY && !q->have_cl && !q->chunked)
			finish(q, 0, NULL);
		else
			fail_transport(q, "connection closed");
		return 0;
	default: break;
	}
	return 0;
}

static int
new_request_id(char out[37])
{
	uint8_t b[16];
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int r;

	if ((r = ev_random(b, sizeof(b))) != 0)
		return r;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

static int
check_request(const char *method, const char *path, const uint8_t *body, size_t len,
              const char *const *extra, size_t max_resp, bool *post)
{
	size_t total = 0;

	if (method == NULL || path == NULL || (body == NULL && len > 0))
		return EV_ERR_INVALID_ARG;
	if (strcmp(method, "POST") == 0)
		*post = true;
	else if (strcmp(method, "GET") == 0 && len == 0)
		*post = false;
	else
		return EV_ERR_INVALID_ARG;
	if (path[0] != '/' || strlen(path) > AGENT_HTTP_MAX_PATH)
		return EV_ERR_INVALID_ARG;
	for (const char *c = path; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return EV_ERR_INVALID_ARG;
	/* The cap plus a NUL must be a size_t; a request for the whole address
	 * space is a caller bug. */
	if (max_resp == 0 || max_resp > SIZE_MAX / 4)
		return EV_ERR_INVALID_ARG;
	for (const char *const *x = extra; x != NULL && *x != NULL; x++) {
		size_t nl;
		const char *value;

		total += strlen(*x) + 2;
		if (total > AGENT_HTTP_MAX_EXTRA_HEADERS ||
		    check_extra_header(*x, &nl, &value) != 0)
			return EV_ERR_INVALID_ARG;
	}
	return 0;
}

/* A failed connect with a name that does not resolve is a DNS failure. */
static void
classify_dns(struct agent_http *h, struct http_req *q)
{
	const char *name = h->proxy[0] != '\0' ? h->proxy_host : h->host;
	struct addrinfo hints, *res = NULL;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(name, NULL, &hints, &res)) == 0) {
		freeaddrinfo(res);
		return;
	}
	q->r = EV_ERR_HTTP_DNS;
	snprintf(h->errmsg, sizeof(h->errmsg), "cannot resolve %s%s: %s",
	         h->proxy[0] != '\0' ? "proxy " : "", name, gai_strerror(e));
}

int
agent_http_request(struct agent_http *h, const char *method, const char *path, const uint8_t *body,
                   size_t len, const char *const *extra_headers, size_t max_resp,
                   struct agent_http_resp *resp)
{
	struct lws_client_connect_info ci;
	struct http_req q;
	int r;

	if (resp != NULL)
		memset(resp, 0, sizeof(*resp));
	/* One request at a time: never from inside another one. */
	if (h == NULL || resp == NULL || h->req != NULL)
		return EV_ERR_INVALID_ARG;
	h->errmsg[0] = '\0';
	h->request_id[0] = '\0';
	memset(&q, 0, sizeof(q));
	if ((r = check_request(method, path, body, len, extra_headers, max_resp, &q.post)) != 0) {
		snprintf(h->errmsg, sizeof(h->errmsg), "invalid request %s %s",
		         method != NULL ? method : "(null)", path != NULL ? path : "(null)");
		ev_log_err_r(r, "%s", h->errmsg);
		return r;
	}
	if ((r = new_request_id(h->request_id)) != 0) {
		ev_log_err_r(r, "X-Request-Id");
		return r;
	}
	q.h = h;
	q.path = path;
	q.body = body;
	q.len = len;
	q.extra = extra_headers;
	q.max_resp = max_resp;
	q.phase = PH_CONNECT;

	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.address = h->host;
	ci.port = h->port;
	ci.path = path;
	ci.host = h->hostport; /* Host header; lws takes SNI and the name check from it */
	ci.method = method;
	ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
	if (h->insecure)
		ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
		                     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED |
		                     LCCSCF_ALLOW_INSECURE;
	ci.alpn = "http/1.1"; /* lws would switch to its h2 client on "h2" */
	ci.local_protocol_name = protocols[0].name;
	/* lws stores the wsi here before it can fail, and clears it if it does. */
	ci.pwsi = &h->wsi;

	h->req = &q;
	lws_sul_schedule(h->ctx, 0, &q.sul_connect, connect_timeout,
	                 (lws_usec_t)h->connect_timeout_ms * LWS_US_PER_MS);
	lws_sul_schedule(h->ctx, 0, &q.sul_total, total_timeout,
	                 (lws_usec_t)h->timeout_ms * LWS_US_PER_MS);
	/* Name resolution happens in here, blocking (lws 4.1 without async DNS). */
	if (lws_client_connect_via_info(&ci) == NULL && !q.done)
		fail_transport(&q, "cannot start the connection");
	while (!q.done)
		if (lws_service(h->ctx, 0) < 0) {
			finish(&q, EV_ERR_SYSTEM, "libwebsockets service failed");
			break;
		}
	lws_sul_cancel(&q.sul_connect);
	lws_sul_cancel(&q.sul_total);
	/* One connection per request, as EVE does: close it now, while the
	 * request is still ours, so no callback outlives it. */
	if (h->wsi != NULL)
		lws_set_timeout(h->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
	h->wsi = NULL;
	h->req = NULL;
	if (q.check_dns && q.r != 0)
		classify_dns(h, &q);

	r = q.r;
	if (r != 0) {
		ev_log_warn_r(r, "%s %s%s [X-Request-Id %s]: %s", method, h->hostport, path,
		              h->request_id, h->errmsg);
		free(q.rx);
		return r;
	}
	resp->status = q.status;
	memcpy(resp->content_type, q.content_type, sizeof(resp->content_type));
	resp->retry_after = q.retry_after;
	if (q.rx_len > 0) {
		resp->body = q.rx;
		resp->len = q.rx_len;
	} else
		free(q.rx);
	ev_log_debug("%s %s%s [X-Request-Id %s]: %d, %zu bytes", method, h->hostport, path,
	             h->request_id, resp->status, resp->len);
	return 0;
}
