/*
 * http.h - the synchronous HTTPS client eve-agent speaks the EVE device API
 * with (device-api.md 1.1).
 *
 * One agent_http is one controller: its own libwebsockets context (plain
 * poll loop, not the agent's libev loop), its TLS trust (root-certificate.pem
 * plus the system store, TLS >= 1.2, host name checked) and its proxy choice,
 * all fixed when it is created.  agent_http_request() runs lws until the
 * response is complete, a timeout or an error, so the agent's main loop calls
 * requests one at a time; each request uses a fresh connection, as EVE does.
 *
 * Every transport failure has its own EV_ERR_HTTP_* code and a log line that
 * says what happened; a non-2xx status is not a failure of this module.
 */
#ifndef AGENT_HTTP_H
#define AGENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct agent_http;

struct agent_http_cfg {
	/* "host:port" as in /config/server (whitespace trimmed, https:// and a
	 * trailing "/" accepted, port 443 when absent). */
	const char *server;
	/* root-certificate.pem: trusted in addition to the system store; NULL:
	 * system store only. */
	const char *cafile;
	/* "host:port" (or "http://host:port") of an HTTP CONNECT proxy; NULL:
	 * https_proxy / no_proxy from the environment, read once here. */
	const char *proxy;
	unsigned connect_timeout_ms; /* TCP + proxy + TLS; 0: 10 s (EVE's dial timeout) */
	unsigned timeout_ms;         /* the whole request; 0: 120 s (EVE's send timeout) */
	bool insecure;               /* accept any server certificate: tests only */
};

#define AGENT_HTTP_MAX_CONTENT_TYPE 128 /* with its NUL; longer is a malformed response */

struct agent_http_resp {
	int status; /* HTTP status, 200..599 */
	char content_type[AGENT_HTTP_MAX_CONTENT_TYPE];
	uint8_t *body; /* malloc'd (NUL-terminated past len for convenience), NULL if empty */
	size_t len;
	unsigned retry_after; /* seconds (delta or HTTP-date), 0 if absent; clamped */
};

/* Defaults and caps of the request side (our own input, not the peer's). */
#define AGENT_HTTP_CONNECT_TIMEOUT_MS 10000u
#define AGENT_HTTP_TIMEOUT_MS         120000u
#define AGENT_HTTP_MAX_PATH           1024u
/* lws formats Host into 128 bytes and SNI into a 128-byte buffer. */
#define AGENT_HTTP_MAX_HOSTPORT 119u
/* Caller's extra header lines together. */
#define AGENT_HTTP_MAX_EXTRA_HEADERS 1024u

int agent_http_new(const struct agent_http_cfg *cfg, struct agent_http **out) EV_WARN_UNUSED;
void agent_http_free(struct agent_http *h);

/*
 * method "GET" (body must be empty; no Content-Type is sent) or "POST" (body
 * sent with Content-Type: application/x-proto-binary and Content-Length).
 * path starts with "/".  extra_headers: "Name: value" lines, NULL-terminated,
 * may be NULL (e.g. X-Serial-Number); the module's own headers (Host,
 * Content-Type, Content-Length, Connection, X-Request-Id) cannot be given.
 * Every request carries X-Request-Id: <random UUIDv4>.  Redirects are not
 * followed (the 3xx is returned).  A body longer than max_resp is
 * EV_ERR_HTTP_TOO_BIG, with nothing buffered past the cap.  resp is zeroed on
 * entry and filled on success only; free it with agent_http_resp_free().
 */
int agent_http_request(struct agent_http *h, const char *method, const char *path,
                       const uint8_t *body, size_t len, const char *const *extra_headers,
                       size_t max_resp, struct agent_http_resp *resp) EV_WARN_UNUSED;
void agent_http_resp_free(struct agent_http_resp *resp);

/* Why the last request failed ("" after a success): for status reports. */
const char *agent_http_last_error(const struct agent_http *h);
/* The X-Request-Id of the last request, to match controller logs. */
const char *agent_http_last_request_id(const struct agent_http *h);

#endif
