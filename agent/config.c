/*
 * config.c - the config poll and what a config changes (device-api 3.6,
 * 4.1-4.7, 9.1, 9.6, 9.7).
 *
 * A config is applied only when its AuthContainer verifies with the
 * controller's signing certificate, it names this device, and it is not
 * older than the last one applied (config_timestamp, persisted, unlike
 * EVE).  Anything else leaves the last good state in place.  The raw
 * container is checkpointed so a restart without the controller re-applies
 * (and re-verifies) it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "config/devconfig.pb-c.h"
#include "ev_authc.h"
#include "ev_ctrlcerts.h"
#include "ev_err.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "http.h"

#define UUID_RECHECK_SECS 600 /* EVE: re-ask /uuid at most every 10 minutes */

static void
ci_free(struct agent *a)
{
	for (size_t i = 0; i < a->n_ci; i++) {
		free(a->ci[i].key);
		free(a->ci[i].value);
	}
	free(a->ci);
	a->ci = NULL;
	a->n_ci = 0;
}

/* timer.* items in seconds within EVE's ranges; 0 and an error otherwise. */
static uint64_t
ci_seconds(const char *v, uint64_t lo, uint64_t hi, char *err, size_t errcap)
{
	char *end;
	unsigned long long n;

	n = strtoull(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		snprintf(err, errcap, "not a number of seconds in %llu..%llu",
		         (unsigned long long)lo, (unsigned long long)hi);
		return 0;
	}
	return n;
}

/* The items we act on; the rest are reported as unknown (EVE does). */
static void
apply_items(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *c)
{
	const char *keys = NULL;
	uint64_t interval = a->set.config_interval, v;
	bool changed;

	ci_free(a);
	if (c->n_configitems > 0 &&
	    (a->ci = calloc(c->n_configitems < AGENT_MAX_CONFIG_ITEMS ? c->n_configitems
	                                                              : AGENT_MAX_CONFIG_ITEMS,
	                    sizeof(*a->ci))) == NULL)
		return;
	for (size_t i = 0; i < c->n_configitems && a->n_ci < AGENT_MAX_CONFIG_ITEMS; i++) {
		const Org__Lfedge__Eve__Config__ConfigItem *it = c->configitems[i];
		struct agent_ci *s = &a->ci[a->n_ci];

		if (it == NULL || it->key == NULL || it->value == NULL)
			continue;
		if ((s->key = strdup(it->key)) == NULL || (s->value = strdup(it->value)) == NULL) {
			free(s->key);
			break;
		}
		a->n_ci++;
		s->known = true;
		if (strcmp(it->key, "timer.config.interval") == 0) {
			if ((v = ci_seconds(it->value, 5, 86400, s->error, sizeof(s->error))) != 0)
				interval = v;
		} else if (strcmp(it->key, "timer.metric.interval") == 0) {
			if ((v = ci_seconds(it->value, 5, 3600, s->error, sizeof(s->error))) != 0)
				a->set.metric_interval = v;
		} else if (strcmp(it->key, "timer.deviceinfo.interval") == 0) {
			if ((v = ci_seconds(it->value, 30, 31536000, s->error, sizeof(s->error))) !=
			    0)
				a->set.info_interval = v;
		} else if (strcmp(it->key, "timer.cert.interval") == 0) {
			if ((v = ci_seconds(it->value, 60, 31536000, s->error, sizeof(s->error))) !=
			    0)
				a->set.cert_interval = v;
		} else if (strcmp(it->key, "edgeview.authen.publickey") == 0) {
			keys = it->value;
		} else {
			s->known = false;
		}
	}
	a->config_interval = interval;
	if (handoff_set_ssh_keys(&a->ho, keys, &changed) != 0)
		ev_log_warn("trusted SSH keys for Edge-View not updated");
}

static void
copy_name(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

void
agent_edgeview_recheck(struct agent *a)
{
	const Org__Lfedge__Eve__Config__EdgeDevConfig *c = a->cur != NULL ? a->cur->config : NULL;
	struct handoff_in in = {0};
	const uint8_t *pem;
	size_t pemlen = 0;
	bool changed;

	in.cfg = c != NULL ? c->edgeview : NULL;
	if (a->certs != NULL) {
		pem = ev_ctrlcerts_signing_pem(a->certs, &pemlen);
		in.signing_pem = (const char *)pem;
		in.signing_pem_len = pemlen;
		in.signing_key = ev_ctrlcerts_signing_key(a->certs);
	}
	in.uuid = a->uuid;
	in.now = agent_now(a);
	if (handoff_apply(&a->ho, &in, &changed) != 0)
		ev_log_err("Edge-View files could not be brought up to date");
	if (changed)
		agent_info_changed(a);
}

/* A verified ConfigResponse: check it and make it the config in force. */
static int
apply(struct agent *a, Org__Lfedge__Eve__Config__ConfigResponse *cr, const uint8_t *ac,
      size_t aclen, bool from_checkpoint)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *c = cr->config;
	int64_t sec = 0, nsec = 0;

	if (c == NULL) {
		ev_log_warn("config response without a config: ignored");
		return EV_ERR_AGENT_MSG;
	}
	/* Always, not only while the UUID is unknown (EVE's gap, 9.7). */
	if (c->id != NULL && c->id->uuid != NULL && c->id->uuid[0] != '\0' &&
	    strcasecmp(c->id->uuid, a->uuid) != 0) {
		ev_log_err("config for device %s refused: this is %s", c->id->uuid, a->uuid);
		a->last_uuid_check = 0;
		return EV_ERR_AGENT_UUID;
	}
	if (c->config_timestamp != NULL) {
		sec = c->config_timestamp->seconds;
		nsec = c->config_timestamp->nanos;
		if (sec < a->config_ts_sec ||
		    (sec == a->config_ts_sec && nsec < a->config_ts_nsec)) {
			ev_log_err("config of %lld refused: older than the one applied (%lld)",
			           (long long)sec, (long long)a->config_ts_sec);
			return EV_ERR_AGENT_OBSOLETE;
		}
	}
	if (!from_checkpoint && agent_checkpoint_write(a, "lastconfig", ac, aclen) != 0)
		ev_log_warn("config not checkpointed");
	apply_items(a, c);
	copy_name(a->device_name, sizeof(a->device_name), c->device_name);
	copy_name(a->project_name, sizeof(a->project_name), c->project_name);
	copy_name(a->project_id, sizeof(a->project_id), c->project_id);
	copy_name(a->enterprise_name, sizeof(a->enterprise_name), c->enterprise_name);
	copy_name(a->enterprise_id, sizeof(a->enterprise_id), c->enterprise_id);
	a->maintenance_mode = c->maintenance_mode;
	if (a->have_epoch && c->controller_epoch != a->controller_epoch)
		ev_log_notice("controller epoch %lld: resending every report",
		              (long long)c->controller_epoch);
	a->controller_epoch = c->controller_epoch;
	a->have_epoch = true;
	if (c->controllercert_confighash != NULL &&
	    strcmp(c->controllercert_confighash, a->cert_confighash) != 0) {
		if (a->cert_confighash[0] != '\0')
			a->certs_refetch = true;
		copy_name(a->cert_confighash, sizeof(a->cert_confighash),
		          c->controllercert_confighash);
	}
	copy_name(a->config_hash, sizeof(a->config_hash), cr->confighash);
	if (a->cur != NULL)
		org__lfedge__eve__config__config_response__free_unpacked(a->cur, NULL);
	a->cur = cr;
	if (sec > a->config_ts_sec || (sec == a->config_ts_sec && nsec > a->config_ts_nsec)) {
		a->config_ts_sec = sec;
		a->config_ts_nsec = nsec;
	}
	a->last_config_processed = agent_now(a);
	a->config_from_checkpoint = from_checkpoint;
	if (agent_save_state(a) != 0)
		ev_log_warn("agent state not saved");
	agent_edgeview_recheck(a);
	agent_info_changed(a);
	ev_log_notice("config %s applied%s (version %s)", a->config_hash,
	              from_checkpoint ? " from the checkpoint" : "",
	              c->id != NULL && c->id->version != NULL ? c->id->version : "-");
	return 0;
}

static int
open_and_apply(struct agent *a, const uint8_t *ac, size_t aclen, const uint8_t *payload, size_t len,
               bool from_checkpoint)
{
	Org__Lfedge__Eve__Config__ConfigResponse *cr;
	int r;

	cr = org__lfedge__eve__config__config_response__unpack(NULL, len, payload);
	if (cr == NULL) {
		ev_log_err("config response is not a ConfigResponse: ignored");
		return EV_ERR_AGENT_MSG;
	}
	if (!from_checkpoint && a->cur != NULL && cr->confighash != NULL &&
	    cr->confighash[0] != '\0' && strcmp(cr->confighash, a->config_hash) == 0) {
		org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
		return 0; /* the same config again */
	}
	if ((r = apply(a, cr, ac, aclen, from_checkpoint)) != 0)
		org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	return r;
}

int
agent_poll_config(struct agent *a)
{
	Org__Lfedge__Eve__Config__ConfigRequest req =
	        ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	struct agent_http_resp resp;
	uint8_t *buf = NULL, *payload = NULL;
	size_t len, plen = 0;
	int r;

	/* After a restart EVE sends an empty hash; we do too, so the controller
	 * answers with the whole config and we verify it afresh. */
	req.confighash = a->cur != NULL ? a->config_hash : (char *)"";
	req.integrity_token.data = a->itoken;
	req.integrity_token.len = a->itoken_len;
	len = org__lfedge__eve__config__config_request__get_packed_size(&req);
	if ((buf = malloc(len + 1)) == NULL)
		return EV_ERR_NOMEM;
	org__lfedge__eve__config__config_request__pack(&req, buf);
	r = agent_post(a, "config", true, false, buf, len, AGENT_MAX_CONFIG_RESP, &resp);
	free(buf);
	if (r != 0)
		return r;
	switch (resp.status) {
	case 304: r = 0; break;
	case 200:
		a->last_config_received = agent_now(a);
		if ((r = agent_open_response(a, &resp, AGENT_MAX_CONFIG_RESP, &payload, &plen)) !=
		    0) {
			ev_log_err_r(r, "config response refused, keeping the last good config");
			break;
		}
		r = open_and_apply(a, resp.body, resp.len, payload, plen, false);
		if (r == 0 && a->certs_prev != NULL) {
			/* A config verified with the current signer: the rotation is
			 * complete. */
			ev_ctrlcerts_free(a->certs_prev);
			a->certs_prev = NULL;
		}
		break;
	case 403:
		ev_log_notice("the controller wants a new integrity token (403)");
		ev_freezero(a->itoken, a->itoken_len);
		a->itoken = NULL;
		a->itoken_len = 0;
		r = EV_ERR_AGENT_INTEGRITY;
		break;
	case 404:
	case 400:
		ev_log_notice("the controller has no config for this device (%d)", resp.status);
		r = EV_ERR_AGENT_NO_CONFIG;
		break;
	default:
		ev_log_warn("config: the controller answered %d", resp.status);
		r = resp.status >= 500 || resp.status == 429 ? EV_ERR_AGENT_UNAVAILABLE
		                                             : EV_ERR_AGENT_STATUS;
		break;
	}
	if (r == 0)
		a->last_config_ok = agent_now(a);
	free(payload);
	agent_http_resp_free(&resp);
	return r;
}

int
agent_load_saved_config(struct agent *a)
{
	uint8_t *ac = NULL, *payload = NULL;
	size_t aclen = 0, plen = 0;
	int r = EV_ERR_NOT_FOUND;

	if (a->certs == NULL)
		return EV_ERR_NOT_FOUND;
	for (int bak = 0; bak < 2 && r != 0; bak++) {
		if (agent_checkpoint_read(a, "lastconfig", bak, &ac, &aclen) != 0)
			continue;
		if ((r = ev_authc_open(ac, aclen, a->certs, AGENT_MAX_CONFIG_RESP, &payload,
		                       &plen)) == 0)
			r = open_and_apply(a, ac, aclen, payload, plen, true);
		else
			ev_log_warn_r(r, "checkpointed config%s does not verify",
			              bak ? ".bak" : "");
		free(payload);
		payload = NULL;
		free(ac);
		ac = NULL;
	}
	return r;
}
