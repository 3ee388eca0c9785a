/*
 * api.c - one request of the EVE device API v2 (device-api 1.1, 1.2, 3):
 * the path, the AuthContainer around a POST body, the X-Serial-Number
 * headers before the UUID is known, and the per-URL counters that
 * ZMetricMsg reports as controller connectivity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "ev_authc.h"
#include "ev_err.h"
#include "ev_log.h"
#include "http.h"
#include "identity.h"

bool
agent_status_ok(int status)
{
	return status == 200 || status == 201 || status == 204 || status == 304;
}

static struct agent_url_stat *
url_stat(struct agent *a, const char *url)
{
	struct agent_url_stat *free_slot = NULL;

	for (size_t i = 0; i < AGENT_URL_STATS; i++) {
		if (strcmp(a->urls[i].url, url) == 0)
			return &a->urls[i];
		if (free_slot == NULL && a->urls[i].url[0] == '\0')
			free_slot = &a->urls[i];
	}
	if (free_slot != NULL)
		snprintf(free_slot->url, sizeof(free_slot->url), "%s", url);
	return free_slot; /* NULL when full: not counted */
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
request(struct agent *a, const char *method, const char *action, bool with_id, const uint8_t *body,
        size_t len, size_t max_resp, struct agent_http_resp *resp)
{
	char path[AGENT_HTTP_MAX_PATH], serial[300], soft[300];
	const char *hdrs[3] = {NULL, NULL, NULL};
	struct agent_url_stat *st;
	size_t nh = 0;
	double t0 = mono_ms();
	int r;

	if (with_id && a->uuid[0] != '\0')
		snprintf(path, sizeof(path), "%s/id/%s/%s", AGENT_API, a->uuid, action);
	else
		snprintf(path, sizeof(path), "%s/%s", AGENT_API, action);
	/* Only while the controller does not know us yet (EVE). */
	if (a->uuid[0] == '\0') {
		if (a->set.serial[0] != '\0') {
			snprintf(serial, sizeof(serial), "X-Serial-Number: %s", a->set.serial);
			hdrs[nh++] = serial;
		}
		if (a->set.soft_serial[0] != '\0') {
			snprintf(soft, sizeof(soft), "X-Soft-Serial: %s", a->set.soft_serial);
			hdrs[nh++] = soft;
		}
	}
	st = url_stat(a, action);
	if (st != NULL) {
		st->try_msgs++;
		st->try_bytes += len;
	}
	r = agent_http_request(a->http, method, path, body, len, hdrs, max_resp, resp);
	if (st != NULL)
		st->time_ms += (uint64_t)(mono_ms() - t0);
	if (r != 0) {
		a->conn_failures++;
		a->last_failure = time(NULL);
		ev_log_info("%s %s: %s", method, path, ev_strerror(r));
		return r;
	}
	a->conn_success++;
	a->last_success = time(NULL);
	if (resp->status == 429 || resp->status == 503)
		a->retry_after = resp->retry_after;
	if (st != NULL) {
		st->sent_msgs++;
		st->sent_bytes += len;
		st->recv_msgs++;
		st->recv_bytes += resp->len;
	}
	ev_log_debug("%s %s: %d, %zu bytes", method, path, resp->status, resp->len);
	return 0;
}

int
agent_get(struct agent *a, const char *action, size_t max_resp, struct agent_http_resp *resp)
{
	return request(a, "GET", action, false, NULL, 0, max_resp, resp);
}

int
agent_post(struct agent *a, const char *action, bool with_id, bool onboard, const uint8_t *payload,
           size_t len, size_t max_resp, struct agent_http_resp *resp)
{
	struct ev_authc_signer s = {0};
	uint8_t *ac = NULL;
	size_t aclen = 0;
	const uint8_t *hash;
	int r;

	if (onboard) {
		if ((r = agent_identity_onboard_error(a->id)) != 0)
			return r;
		s.sign = agent_identity_sign_onboard;
		hash = agent_identity_onboard_cert_hash(a->id);
		s.sender_cert_pem = agent_identity_onboard_cert_pem(a->id, NULL);
	} else {
		s.sign = agent_identity_sign_device;
		hash = agent_identity_device_cert_hash(a->id);
	}
	s.arg = a->id;
	memcpy(s.cert_hash, hash, sizeof(s.cert_hash));
	if ((r = ev_authc_seal(&s, payload, len, &ac, &aclen)) != 0) {
		ev_log_err_r(r, "signing the %s request", action);
		return r;
	}
	r = request(a, "POST", action, with_id, ac, aclen, max_resp, resp);
	free(ac);
	return r;
}

int
agent_open_response(struct agent *a, const struct agent_http_resp *resp, size_t max_payload,
                    uint8_t **payload, size_t *len)
{
	int r;

	*payload = NULL;
	*len = 0;
	/* EVE refuses a body of another media type (an error page, a portal). */
	if (resp->len > 0 && strncmp(resp->content_type, "application/x-proto-binary", 26) != 0) {
		ev_log_warn("the controller answered with '%s', not a protobuf message",
		            resp->content_type);
		return EV_ERR_AC_PARSE;
	}
	r = ev_authc_open(resp->body, resp->len, a->certs, max_payload, payload, len);
	if (r == EV_ERR_AC_CERT_MISS && a->certs_prev != NULL) {
		/* Signed by the previous signing certificate: keep using it until
		 * the controller catches up (graceful rotation, device-api 9.8). */
		r = ev_authc_open(resp->body, resp->len, a->certs_prev, max_payload, payload, len);
	}
	if (r == EV_ERR_AC_CERT_MISS)
		a->certs_refetch = true;
	return r;
}
