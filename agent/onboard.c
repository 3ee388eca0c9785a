/*
 * onboard.c - the controller's certificates and the device's place at the
 * controller: GET /certs, POST /register, POST /uuid, POST /attest
 * (device-api 2.5, 2.6, 3.5, 6.5, 7.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "attest/attest.pb-c.h"
#include "ev_authc.h"
#include "ev_buf.h"
#include "ev_ctrlcerts.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "http.h"
#include "identity.h"
#include "register/register.pb-c.h"

#define ROOT_CERT_FILE "/config/root-certificate.pem"

static int
load_roots(struct agent *a)
{
	char path[4200];
	int r;

	if (a->roots_pem != NULL)
		return 0;
	if ((r = agent_persist_path(a, ROOT_CERT_FILE, path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_read_capped(path, EV_MAX_PEM_FILE, &a->roots_pem, &a->roots_len)) != 0)
		ev_log_err_r(r, "%s (the controller's root certificate)", path);
	return r;
}

/* A status the request functions below do not handle themselves. */
static int
status_error(const char *what, const struct agent_http_resp *resp)
{
	int st = resp->status;

	ev_log_warn("%s: the controller answered %d%s%.*s", what, st, resp->len > 0 ? ": " : "",
	            (int)(resp->len < 200 ? resp->len : 200),
	            resp->body != NULL && strncmp(resp->content_type, "text/", 5) == 0
	                    ? (const char *)resp->body
	                    : "");
	if (st == 503 || st == 429 || st >= 500)
		return EV_ERR_AGENT_UNAVAILABLE;
	return EV_ERR_AGENT_STATUS;
}

/* Verify and adopt a ZControllerCert payload; *changed when the set differs. */
static int
adopt_certs(struct agent *a, const uint8_t *payload, size_t len, bool checkpoint)
{
	struct ev_ctrlcerts *c = NULL;
	bool changed;
	int r;

	if ((r = load_roots(a)) != 0)
		return r;
	r = ev_ctrlcerts_verify(payload, len, a->roots_pem, a->roots_len,
	                        agent_now(a) + (time_t)a->set.clock_skew, EV_CTRLCERTS_REQUIRE_ECDH,
	                        &c);
	if (r == EV_ERR_CC_EXPIRED)
		/* A clock ahead of the truth: try as of the floor too. */
		r = ev_ctrlcerts_verify(payload, len, a->roots_pem, a->roots_len, agent_now(a),
		                        EV_CTRLCERTS_REQUIRE_ECDH, &c);
	if (r != 0) {
		ev_log_err_r(r, "the controller's certificates do not verify against %s%s", a->root,
		             ROOT_CERT_FILE);
		return r;
	}
	changed = a->certs == NULL || memcmp(ev_ctrlcerts_set_digest(c),
	                                     ev_ctrlcerts_set_digest(a->certs), EV_SHA256_LEN) != 0;
	if (!changed) {
		ev_ctrlcerts_free(c);
		return 0;
	}
	if (a->certs != NULL && memcmp(ev_ctrlcerts_signing_hash(c),
	                               ev_ctrlcerts_signing_hash(a->certs), EV_SHA256_LEN) != 0) {
		/* Rotation: keep the old signer until a config signed by the new
		 * one has verified. */
		ev_ctrlcerts_free(a->certs_prev);
		a->certs_prev = a->certs;
		a->certs = NULL;
		ev_log_notice("the controller's signing certificate changed");
	}
	ev_ctrlcerts_free(a->certs);
	a->certs = c;
	if (ev_ctrlcerts_signing_not_before(c) > a->floor)
		a->floor = ev_ctrlcerts_signing_not_before(c);
	if (checkpoint && agent_checkpoint_write(a, "controllercerts", payload, len) != 0)
		ev_log_warn("controller certificates not checkpointed");
	ev_log_info("controller certificates verified (%zu ECDH)", ev_ctrlcerts_ecdh_count(c));
	return 0;
}

int
agent_fetch_certs(struct agent *a)
{
	struct agent_http_resp resp;
	uint8_t *payload = NULL;
	size_t len = 0;
	int r;

	if ((r = agent_get(a, "certs", AGENT_MAX_CERTS_RESP, &resp)) != 0)
		return r;
	if (resp.status != 200) {
		r = status_error("certs", &resp);
		goto out;
	}
	/* Not verified (EVE): it carries what verification needs. */
	if ((r = ev_authc_open(resp.body, resp.len, NULL, AGENT_MAX_CERTS_RESP, &payload, &len)) !=
	    0) {
		ev_log_err_r(r, "the /certs answer");
		goto out;
	}
	r = adopt_certs(a, payload, len, true);
	a->certs_refetch = false;
out:
	free(payload);
	agent_http_resp_free(&resp);
	return r;
}

/* The checkpoint, re-verified (/persist may have been altered), when the
 * controller cannot be reached at start. */
int
agent_load_saved_certs(struct agent *a)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	for (int bak = 0; bak < 2; bak++) {
		if (agent_checkpoint_read(a, "controllercerts", bak, &data, &len) != 0)
			continue;
		r = adopt_certs(a, data, len, false);
		free(data);
		if (r == 0)
			return 0;
	}
	return EV_ERR_NOT_FOUND;
}

int
agent_register(struct agent *a)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg msg =
	        ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	struct agent_http_resp resp;
	struct ev_buf *b64 = NULL;
	const char *pem;
	size_t pemlen = 0, len;
	uint8_t *buf = NULL;
	int r;

	pem = agent_identity_device_cert_pem(a->id, &pemlen);
	/* pemCert is base64 of the PEM text, as EVE and Adam have it. */
	if ((b64 = ev_buf_new(2 * pemlen + 16)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_b64_encode(EV_B64_STD, (const uint8_t *)pem, pemlen, b64)) != 0)
		goto out;
	msg.pemcert.data = (uint8_t *)ev_buf_ptr(b64);
	msg.pemcert.len = ev_buf_len(b64);
	msg.serial = a->set.serial;
	msg.softserial = a->set.soft_serial;
	len = org__lfedge__eve__register__zregister_msg__get_packed_size(&msg);
	if ((buf = malloc(len + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	org__lfedge__eve__register__zregister_msg__pack(&msg, buf);
	if ((r = agent_post(a, "register", false, true, buf, len, AGENT_MAX_OTHER_RESP, &resp)) !=
	    0)
		goto out;
	/* Any body and any media type: Adam's 201 has none (device-api 2.5). */
	if (resp.status == 200 || resp.status == 201 || resp.status == 304) {
		ev_log_notice("registered with the controller (%d)", resp.status);
		r = 0;
	} else if (resp.status == 409) {
		ev_log_notice("the controller already has this device (409)");
		r = EV_ERR_AGENT_CONFLICT;
	} else {
		r = status_error("register", &resp);
	}
	agent_http_resp_free(&resp);
out:
	free(buf);
	ev_buf_free(b64);
	return r;
}

static bool
uuid_ok(const char *u)
{
	size_t n = strlen(u);

	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? u[i] != '-'
		         : !((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f') ||
		             (u[i] >= 'A' && u[i] <= 'F')))
			return false;
	}
	return true;
}

int
agent_fetch_uuid(struct agent *a)
{
	Org__Lfedge__Eve__Uuid__UuidResponse *ur = NULL;
	struct agent_http_resp resp;
	uint8_t *payload = NULL;
	size_t len = 0;
	int r;

	a->last_uuid_check = agent_now(a);
	if ((r = agent_post(a, "uuid", false, false, NULL, 0, AGENT_MAX_OTHER_RESP, &resp)) != 0)
		return r;
	if (resp.status == 401 || resp.status == 404) {
		ev_log_notice("the controller does not know this device yet (%d)", resp.status);
		r = EV_ERR_AGENT_NOT_REGISTERED;
		goto out;
	}
	if (resp.status != 200) {
		r = status_error("uuid", &resp);
		goto out;
	}
	if ((r = agent_open_response(a, &resp, AGENT_MAX_OTHER_RESP, &payload, &len)) != 0) {
		ev_log_err_r(r, "the /uuid answer");
		goto out;
	}
	ur = org__lfedge__eve__uuid__uuid_response__unpack(NULL, len, payload);
	if (ur == NULL || !uuid_ok(ur->uuid)) {
		ev_log_err("the /uuid answer holds no valid UUID");
		r = EV_ERR_AGENT_MSG;
		goto out;
	}
	if (a->uuid[0] != '\0' && strcasecmp(a->uuid, ur->uuid) != 0)
		ev_log_warn("the controller now calls this device %s (was %s)", ur->uuid, a->uuid);
	if (strcasecmp(a->uuid, ur->uuid) != 0) {
		snprintf(a->uuid, sizeof(a->uuid), "%s", ur->uuid);
		for (char *p = a->uuid; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		if ((r = agent_save_uuid(a)) != 0)
			goto out;
		agent_info_changed(a);
	}
	ev_log_notice("device UUID %s", a->uuid);
	r = 0;
out:
	if (ur != NULL)
		org__lfedge__eve__uuid__uuid_response__free_unpacked(ur, NULL);
	free(payload);
	agent_http_resp_free(&resp);
	return r;
}

int
agent_attest(struct agent *a)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__ZAttestResponse *ar = NULL;
	struct agent_http_resp resp;
	uint8_t buf[64], *payload = NULL;
	size_t len = 0;
	int r;

	/* Without measured boot there is no quote to send; a controller like
	 * Adam then issues a token for the bare request (device-api 7.5). */
	req.reqtype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE;
	len = org__lfedge__eve__attest__zattest_req__pack(&req, buf);
	if ((r = agent_post(a, "attest", true, false, buf, len, AGENT_MAX_OTHER_RESP, &resp)) != 0)
		return r;
	if (resp.status == 404 || resp.status == 405 || resp.status == 501) {
		/* No attestation at this controller: config polls go without. */
		ev_log_notice("the controller does not attest (%d); polling without a token",
		              resp.status);
		a->attest_unsupported = true;
		r = 0;
		goto out;
	}
	if (resp.status != 200 && resp.status != 201) {
		r = status_error("attest", &resp);
		goto out;
	}
	if ((r = agent_open_response(a, &resp, AGENT_MAX_OTHER_RESP, &payload, &len)) != 0) {
		ev_log_err_r(r, "the /attest answer");
		goto out;
	}
	ar = org__lfedge__eve__attest__zattest_response__unpack(NULL, len, payload);
	if (ar == NULL || ar->quoteresp == NULL ||
	    ar->quoteresp->response !=
	            ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS ||
	    ar->quoteresp->integrity_token.len == 0 ||
	    ar->quoteresp->integrity_token.len > AGENT_MAX_OTHER_RESP) {
		ev_log_err("the controller refused attestation (response %d)",
		           ar != NULL && ar->quoteresp != NULL ? (int)ar->quoteresp->response : -1);
		r = EV_ERR_AGENT_MSG;
		goto out;
	}
	ev_freezero(a->itoken, a->itoken_len);
	a->itoken_len = ar->quoteresp->integrity_token.len;
	if ((a->itoken = malloc(a->itoken_len)) == NULL) {
		a->itoken_len = 0;
		r = EV_ERR_NOMEM;
		goto out;
	}
	memcpy(a->itoken, ar->quoteresp->integrity_token.data, a->itoken_len);
	ev_log_info("attested: integrity token of %zu bytes", a->itoken_len);
	r = 0;
out:
	if (ar != NULL)
		org__lfedge__eve__attest__zattest_response__free_unpacked(ar, NULL);
	free(payload);
	agent_http_resp_free(&resp);
	return r;
}
