/*
 * reports.c - what goes back to the controller, tied to the agent's state
 * (device-api 5, 6.1, 6.2): device info and Edge-View status queued in the
 * spool (one slot per object, nothing lost below the spool's cap, across
 * restarts too), metrics sent at once (EVE does not queue them), logs as
 * newlog batches: edgeviewd's audit lines and the agent's own notices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "audit.h"
#include "ev_ctrlcerts.h"
#include "ev_err.h"
#include "ev_log.h"
#include "evstatus.h"
#include "http.h"
#include "identity.h"
#include "newlog.h"
#include "report.h"
#include "spool.h"
#include "sysinfo.h"

#define SPOOL_DIR   "/persist/agent/spool"
#define AUDIT_FILE  "/persist/edgeview/audit.log"
#define AUDIT_STATE "/persist/agent/audit.offset"
#define KIND_INFO   "info"
#define KIND_LOGS   AG_AUDIT_SPOOL_KIND
#define IMAGE       "IMGA"
/* Our own lines go to the controller from this level up (EVE's default
 * remote level is info; the agent's info lines are chatty requests). */
#define REMOTE_LOG_LEVEL EV_LOG_NOTICE

struct agent_reports {
	struct agent *a;
	struct ag_audit *audit;
	struct ag_newlog *nl;
	uint64_t msgid;
	struct ag_evstatus_watch *evw;
	bool online;
	char meta_uuid[64];
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A closed batch of our own log lines goes to the spool like audit batches. */
static int
emit_batch(void *arg, const struct ag_newlog_batch *b)
{
	struct agent *a = arg;

	return ag_spool_put(a->spool, KIND_LOGS, NULL, 0, b->data, b->len);
}

/* stderr as always, and notices and worse to the controller too. */
static void
log_sink(enum ev_log_level level, const struct ev_log_site *site, const char *msg, void *arg)
{
	struct agent_reports *rep = arg;

	ev_log_stderr(level, site, msg, NULL);
	if (rep->nl != NULL && level <= REMOTE_LOG_LEVEL)
		ag_newlog_sink(level, site, msg, rep->nl);
}

static void
set_meta(struct agent_reports *rep)
{
	struct agent *a = rep->a;

	if (strcmp(rep->meta_uuid, a->uuid) == 0)
		return;
	snprintf(rep->meta_uuid, sizeof(rep->meta_uuid), "%s", a->uuid);
	if (ag_newlog_set_meta(rep->nl, a->uuid, IMAGE, AGENT_VERSION) != 0 ||
	    ag_audit_set_meta(rep->audit, a->uuid, IMAGE, AGENT_VERSION) != 0)
		ev_log_warn("log batches keep their old device id");
}

int
agent_reports_open(struct agent *a)
{
	struct agent_reports *rep;
	struct ag_spool_opts so = {0};
	struct ag_newlog_opts no = {0};
	struct ag_audit_opts ao = {0};
	char dir[4200], audit[4200], state[4200];
	int r;

	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return EV_ERR_NOMEM;
	rep->a = a;
	a->rep = rep;
	if ((r = agent_persist_path(a, SPOOL_DIR, dir, sizeof(dir))) != 0 ||
	    (r = agent_persist_path(a, AUDIT_FILE, audit, sizeof(audit))) != 0 ||
	    (r = agent_persist_path(a, AUDIT_STATE, state, sizeof(state))) != 0)
		return r;
	so.cap_bytes = a->set.spool_bytes;
	if ((r = ag_spool_open(dir, &so, &a->spool)) != 0) {
		ev_log_err_r(r, "report spool %s", dir);
		return r;
	}
	no.dev_id = a->uuid;
	no.image = IMAGE;
	no.eve_version = AGENT_VERSION;
	no.emit = emit_batch;
	no.emit_arg = a;
	no.msgid = &rep->msgid;
	no.min_level = REMOTE_LOG_LEVEL;
	no.source = "eve-agent";
	if ((r = ag_newlog_new(&no, &rep->nl)) != 0)
		return r;
	ao.path = audit;
	ao.state_path = state;
	ao.dev_id = a->uuid;
	ao.image = IMAGE;
	ao.eve_version = AGENT_VERSION;
	ao.msgid = &rep->msgid;
	if ((r = ag_audit_open(&ao, &rep->audit)) != 0) {
		ev_log_err_r(r, "Edge-View audit log %s", audit);
		return r;
	}
	snprintf(rep->meta_uuid, sizeof(rep->meta_uuid), "%s", a->uuid);
	ev_log_set_sink(log_sink, rep);
	return 0;
}

void
agent_reports_close(struct agent *a)
{
	struct agent_reports *rep = a->rep;

	ev_log_set_sink(NULL, NULL);
	if (rep != NULL) {
		if (rep->nl != NULL && ag_newlog_flush(rep->nl) != 0)
			ev_log_debug("last log lines not queued");
		if (rep->evw != NULL)
			ag_evstatus_watch_stop(rep->evw);
		ag_newlog_free(rep->nl);
		ag_audit_free(rep->audit);
		free(rep);
		a->rep = NULL;
	}
	ag_spool_close(a->spool);
	a->spool = NULL;
}

void
agent_queue_device_info(struct agent *a, bool periodic)
{
	struct ag_device_info in = {0};
	struct ag_sysinfo *si = NULL;
	struct ag_kv_status *known = NULL, *unknown = NULL;
	size_t nk = 0, nu = 0;
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if (a->uuid[0] == '\0' || a->rep == NULL)
		return;
	if ((r = ag_sysinfo_collect(a->root, &si)) != 0) {
		ev_log_warn_r(r, "host facts");
		return;
	}
	if (a->n_ci > 0 && ((known = calloc(a->n_ci, sizeof(*known))) == NULL ||
	                    (unknown = calloc(a->n_ci, sizeof(*unknown))) == NULL))
		goto out;
	for (size_t i = 0; i < a->n_ci; i++) {
		struct ag_kv_status *kv = a->ci[i].known ? &known[nk++] : &unknown[nu++];
		kv->key = a->ci[i].key;
		kv->value = a->ci[i].value;
		kv->error = a->ci[i].error;
	}
	in.dev_id = a->uuid;
	in.sys = si;
	/* BOOTING until the first config is in force (EVE). */
	in.state = a->maintenance_mode ? AG_DEV_STATE_MAINTENANCE
	           : a->cur != NULL    ? AG_DEV_STATE_ONLINE
	                               : AG_DEV_STATE_BOOTING;
	in.sw_version = AGENT_VERSION;
	in.sw_long_version = "eve-agent " AGENT_VERSION " (Edge-View in C)";
	in.hsm_status = (uint32_t)agent_identity_hsm_status(a->id);
	in.hsm_info = agent_identity_hsm_info(a->id);
	in.api_capability = AG_API_CAPABILITY;
	in.remote_access_disabled = handoff_remote_access_disabled(&a->ho) ? 1 : 0;
	in.device_name = a->device_name;
	in.enterprise_name = a->enterprise_name;
	in.enterprise_id = a->enterprise_id;
	in.project_name = a->project_name;
	in.project_id = a->project_id;
	in.config_items = known;
	in.n_config_items = nk;
	in.unknown_config_items = unknown;
	in.n_unknown_config_items = nu;
	in.maintenance_mode = a->maintenance_mode;
	in.have_attestation = a->itoken != NULL;
	in.attestation_state = AG_ATTEST_COMPLETE;
	in.with_ports = true;
	if ((r = ag_report_device_info(&in, &msg, &len)) != 0) {
		ev_log_warn_r(r, "device info");
		goto out;
	}
	/* One slot per object: a newer info replaces a queued one.  The
	 * periodic resend is superseded by the next one, so it is not retried
	 * (EVE's "discard on failure"). */
	if ((r = ag_spool_put(a->spool, KIND_INFO, a->uuid,
	                      periodic ? AG_SPOOL_DISCARD_ON_FAILURE : 0, msg, len)) != 0)
		ev_log_warn_r(r, "queueing device info");
out:
	free(msg);
	free(known);
	free(unknown);
	ag_sysinfo_free(si);
}

/* key: the session's spool slot (ag_evstatus_key). */
static void
queue_evstatus(struct agent *a, const struct ag_evstatus_report *rp, const char *key)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	int r;

	if (a->uuid[0] == '\0')
		return;
	if ((r = ag_report_edgeview(a->uuid, &rp->st, 0, 0, &msg, &len)) != 0 ||
	    (r = ag_spool_put(a->spool, KIND_INFO, key, 0, msg, len)) != 0)
		ev_log_warn_r(r, "queueing the Edge-View status");
	else
		ev_log_info("Edge-View status%s: %u device, %u app, %u external command(s)",
		            rp->final ? " (final)" : "", rp->st.cmd_count_dev, rp->st.cmd_count_app,
		            rp->st.cmd_count_ext);
	free(msg);
}

static void
on_evstatus(void *arg, const struct ag_evstatus_report *rp)
{
	struct agent *a = arg;
	char key[AG_EVSTATUS_KEY_MAX + 8];

	if (ag_evstatus_key(&rp->st, key, sizeof(key)) != 0)
		return;
	if (!rp->final && a->ho.state != HANDOFF_ON) {
		/* The status edgeviewd left of a session that is over (the agent
		 * restarted meanwhile): not live; end it. */
		ag_evstatus_watch_end(a->rep->evw);
		return;
	}
	if (rp->final) {
		if (strcmp(key, a->ev_final_key) == 0)
			return; /* reported before a restart */
		snprintf(a->ev_final_key, sizeof(a->ev_final_key), "%s", key);
		if (agent_save_state(a) != 0)
			ev_log_debug("Edge-View final status not recorded");
	}
	queue_evstatus(a, rp, key);
	if (a->step == STEP_RUN && agent_flush_reports(a) != 0)
		ev_log_debug("Edge-View status queued");
}

void
agent_queue_edgeview_info(struct agent *a)
{
	struct agent_reports *rep = a->rep;

	if (rep == NULL)
		return;
	if (rep->evw != NULL) {
		/* The session was stopped by the agent: its final status now. */
		if (a->ho.state != HANDOFF_ON)
			ag_evstatus_watch_end(rep->evw);
		else
			ag_evstatus_watch_poke(rep->evw);
	}
}

void
agent_reports_watch(struct agent *a)
{
	struct agent_reports *rep = a->rep;
	int r;

	if (rep == NULL || rep->evw != NULL)
		return;
	set_meta(rep);
	if ((r = ag_evstatus_watch_start(a->loop, a->root, on_evstatus, a, &rep->evw)) != 0)
		ev_log_warn_r(r, "watching the Edge-View status");
}

void
agent_collect_logs(struct agent *a)
{
	struct agent_reports *rep = a->rep;
	size_t n = 0, total = 0;
	int more = 0, r;

	if (rep == NULL || a->uuid[0] == '\0')
		return;
	set_meta(rep);
	do {
		if ((r = ag_audit_poll(rep->audit, a->spool, &n, &more)) != 0) {
			ev_log_warn_r(r, "Edge-View audit log");
			break;
		}
		total += n;
	} while (more);
	if (total > 0)
		ev_log_info("%zu Edge-View audit event(s) queued", total);
	if (ag_newlog_flush(rep->nl) != 0)
		ev_log_debug("agent log batch kept for later");
}

int
agent_send_metrics(struct agent *a)
{
	struct ag_metrics in = {0};
	struct ag_sysinfo *si = NULL;
	struct ag_url_stats urls[AGENT_URL_STATS];
	struct ag_ctrl_stats ctrl = {0};
	struct ag_metric_item items[AG_AGENT_ITEMS];
	struct ag_agent_health h = {0};
	struct ag_spool_stats ss;
	struct agent_http_resp resp;
	uint8_t *msg = NULL;
	size_t len = 0, nurls = 0;
	time_t now = agent_now(a);
	int r;

	if (a->uuid[0] == '\0')
		return EV_ERR_INVALID_ARG;
	if ((r = ag_sysinfo_collect(a->root, &si)) != 0)
		return r;
	for (size_t i = 0; i < AGENT_URL_STATS; i++) {
		const struct agent_url_stat *u = &a->urls[i];
		if (u->url[0] == '\0')
			continue;
		urls[nurls] = (struct ag_url_stats){u->url,
		                                    (int64_t)u->try_msgs,
		                                    (int64_t)u->try_bytes,
		                                    (int64_t)u->sent_msgs,
		                                    (int64_t)u->sent_bytes,
		                                    (int64_t)u->recv_msgs,
		                                    (int64_t)u->recv_bytes,
		                                    (int64_t)u->time_ms,
		                                    0};
		nurls++;
	}
	ctrl.ifname = "";
	ctrl.failures = a->conn_failures;
	ctrl.success = a->conn_success;
	ctrl.last_failure = a->last_failure;
	ctrl.last_success = a->last_success;
	ctrl.urls = urls;
	ctrl.nurls = nurls;
	ag_spool_get_stats(a->spool, &ss);
	h.have_config_age = a->last_config_ok != 0;
	h.config_age_s = a->last_config_ok != 0 ? (uint64_t)(now - a->last_config_ok) : 0;
	h.clock_synced = time(NULL) >= a->floor;
	h.spool_entries = ss.entries;
	h.spool_bytes = ss.bytes;
	h.spool_dropped = ss.dropped_cap;
	h.spool_refused = ss.dropped_refused;
	h.edgeview_active = a->ho.state == HANDOFF_ON;
	if (a->rep != NULL) {
		struct ag_newlog_stats ns;
		ag_newlog_get_stats(a->rep->nl, &ns);
		h.newlog_batches = ns.batches;
		h.newlog_emit_failures = ns.emit_failures;
	}
	in.dev_id = a->uuid;
	in.sys = si;
	in.ctrl = &ctrl;
	in.nctrl = 1;
	in.items = items;
	in.nitems = ag_report_agent_items(&h, items, AG_AGENT_ITEMS);
	in.dormant_time_s = 3 * a->set.metric_interval;
	in.last_received_config = a->last_config_received;
	in.last_processed_config = a->last_config_processed;
	if ((r = ag_report_metrics(&in, &msg, &len)) != 0)
		goto out;
	if ((r = agent_post(a, "metrics", true, false, msg, len, AGENT_MAX_OTHER_RESP, &resp)) ==
	    0) {
		if (!agent_status_ok(resp.status)) {
			ev_log_info("metrics: the controller answered %d", resp.status);
			r = EV_ERR_AGENT_STATUS;
		}
		agent_http_resp_free(&resp);
	}
out:
	free(msg);
	ag_sysinfo_free(si);
	return r;
}

int
agent_flush_reports(struct agent *a)
{
	struct ag_spool_item it;
	struct agent_http_resp resp;
	enum ag_spool_outcome oc;
	const char *action;
	int r, status;

	if (a->spool == NULL || a->uuid[0] == '\0')
		return 0;
	for (unsigned sent = 0;; sent++) {
		if (sent == a->set.flush_burst && a->loop != NULL && !a->set.once) {
			if (!ev_is_active(&a->flush_w)) {
				ev_timer_set(&a->flush_w, 1.0, 0);
				ev_timer_start(a->loop, &a->flush_w);
			}
			return 0;
		}
		if ((r = ag_spool_peek(a->spool, NULL, mono(), &it)) != 0)
			return r == EV_ERR_SPOOL_EMPTY ? 0 : r;
		action = strcmp(it.kind, KIND_LOGS) == 0 ? "newlogs" : "info";
		status = 0;
		if (agent_post(a, action, true, false, it.data, it.len, AGENT_MAX_OTHER_RESP,
		               &resp) == 0) {
			status = resp.status;
			agent_http_resp_free(&resp);
		}
		if ((r = ag_spool_result(a->spool, &it, status, mono(), &oc)) != 0)
			ev_log_warn_r(r, "report spool");
		if (oc == AG_SPOOL_DROPPED && status != 0)
			ev_log_warn("the controller refused a %s report (%d): dropped", action,
			            status);
		ag_spool_item_free(&it);
		if (oc == AG_SPOOL_STOP || oc == AG_SPOOL_RETRY)
			return EV_ERR_AGENT_UNAVAILABLE;
	}
}
