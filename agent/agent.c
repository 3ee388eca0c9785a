/*
 * agent.c - the event loop of eve-agent (device-api 2.5, 4.7, 5.6, 9.2).
 *
 * Onboarding is a chain of steps (certs, register, uuid, attest) retried
 * with truncated exponential backoff and full jitter; once the device
 * knows its UUID the periodic work starts: config polls (0.3 to 1.0 times
 * the interval, EVE's jitter), device info, metrics, logs and a certificate
 * refresh.  Requests are synchronous (agent/http.c); everything else
 * (file watches, the Edge-View expiry, signals) is on one libev loop.
 * --once runs the same steps one time, in order, and exits.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "config/devconfig.pb-c.h"
#include "ev_crypto.h"
#include "ev_ctrlcerts.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "http.h"
#include "identity.h"

#define FIRST_BACKOFF 1.0 /* seconds; doubled per failure up to max-backoff */

static double
rnd01(void)
{
	uint32_t v = 0;

	if (ev_random(&v, sizeof(v)) != 0)
		return 0.5;
	return (double)v / 4294967296.0;
}

/* Full jitter: uniform in [0, min(cap, base * 2^n)], at least 0.5 s. */
static double
backoff(struct agent *a)
{
	double cap = (double)a->set.max_backoff, d = FIRST_BACKOFF;

	for (unsigned i = 0; i < a->failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	d *= rnd01();
	if (a->retry_after > 0 && d < (double)a->retry_after)
		d = (double)a->retry_after; /* Retry-After (EVE ignores it) */
	a->retry_after = 0;
	return d < 0.5 ? 0.5 : d;
}

/* The agent mostly waits: hand back what a request's TLS and protobuf
 * work took from the heap (idle memory, docs/BENCHMARKS.md). */
static void
trim(void)
{
	malloc_trim(0);
}

static double
jitter(uint64_t secs, double lo)
{
	return (double)secs * (lo + (1.0 - lo) * rnd01());
}

void
agent_info_changed(struct agent *a)
{
	a->info_dirty = true;
	if (a->step == STEP_RUN && a->loop != NULL && !a->set.once) {
		/* Soon, but after the current piece of work. */
		ev_timer_stop(a->loop, &a->info_w);
		ev_timer_set(&a->info_w, 0.2, 0);
		ev_timer_start(a->loop, &a->info_w);
	}
}

/* The Edge-View expiry: when the token's exp passes, the files go
 * (device-api 9.6: a timer, not only the next config). */
static void
arm_expiry(struct agent *a)
{
	time_t now = agent_now(a);

	ev_timer_stop(a->loop, &a->exp_w);
	if (a->ho.state != HANDOFF_ON || a->ho.exp == 0)
		return;
	ev_timer_set(&a->exp_w,
	             a->ho.exp > (uint64_t)now ? (double)(a->ho.exp - (uint64_t)now) + 1 : 0.1, 0);
	ev_timer_start(a->loop, &a->exp_w);
}

static void
on_expiry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;

	(void)loop;
	(void)revents;
	agent_edgeview_recheck(a);
	agent_queue_edgeview_info(a);
	arm_expiry(a);
}

/* ---- onboarding steps ---- */

static void start_running(struct agent *a);

static int
do_step(struct agent *a)
{
	int r;

	switch (a->step) {
	case STEP_CERTS:
		if ((r = agent_fetch_certs(a)) != 0)
			return r;
		a->step = a->uuid[0] != '\0' ? STEP_ATTEST : STEP_REGISTER;
		return 0;
	case STEP_REGISTER:
		if (agent_identity_onboard_error(a->id) == 0) {
			r = agent_register(a);
			/* 409: registered before; 403: maybe pre-registered: /uuid tells. */
			if (r != 0 && r != EV_ERR_AGENT_CONFLICT && r != EV_ERR_AGENT_STATUS)
				return r;
		}
		a->step = STEP_UUID;
		return 0;
	case STEP_UUID:
		if ((r = agent_fetch_uuid(a)) != 0) {
			if (r == EV_ERR_AGENT_NOT_REGISTERED) {
				if (agent_identity_onboard_error(a->id) != 0)
					ev_log_err("the controller does not know this device and "
					           "there "
					           "is no onboarding certificate "
					           "(%s/config/onboard.*.pem) "
					           "to register it with",
					           a->root);
				a->step = STEP_REGISTER;
			}
			return r;
		}
		a->step = STEP_ATTEST;
		return 0;
	case STEP_ATTEST:
		if (!a->attest_unsupported && a->itoken == NULL && agent_attest(a) != 0)
			ev_log_warn("no integrity token yet; polling the config without one");
		a->step = STEP_RUN;
		return 0;
	case STEP_RUN: return 0;
	}
	return 0;
}

/* Controller unreachable while onboarding: what was saved keeps the device
 * (and an Edge-View session) working until it answers. */
static void
use_saved_state(struct agent *a)
{
	if (a->cur != NULL || a->uuid[0] == '\0')
		return;
	if (a->certs == NULL && agent_load_saved_certs(a) != 0)
		return;
	if (agent_load_saved_config(a) == 0) {
		ev_log_notice("controller unreachable: the checkpointed config is in force");
		arm_expiry(a);
	}
}

static const char *
step_name(enum agent_step s)
{
	static const char *const names[] = {"certs", "register", "uuid", "attest", "run"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static void
on_step(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;
	double delay;
	int r = 0;

	(void)loop;
	(void)revents;
	while (a->step != STEP_RUN && (r = do_step(a)) == 0)
		a->failures = 0;
	if (a->step == STEP_RUN) {
		a->failures = 0;
		start_running(a);
		return;
	}
	a->failures++;
	if (a->failures == 2)
		use_saved_state(a);
	delay = backoff(a);
	ev_timer_set(&a->step_w, delay, 0);
	ev_timer_start(a->loop, &a->step_w);
	ev_log_info("onboarding step %s failed (%s); retrying in %.1f s", step_name(a->step),
	            ev_strerror(r), delay);
}

/* ---- periodic work ---- */

static int
poll_once(struct agent *a)
{
	int r;

	if (a->certs_refetch && agent_fetch_certs(a) == 0)
		agent_edgeview_recheck(a);
	r = agent_poll_config(a);
	if (r == EV_ERR_AGENT_INTEGRITY && !a->attest_unsupported && agent_attest(a) == 0)
		r = agent_poll_config(a);
	if (r == EV_ERR_AC_CERT_MISS && agent_fetch_certs(a) == 0) {
		agent_edgeview_recheck(a);
		r = agent_poll_config(a);
	}
	if ((r == EV_ERR_AGENT_NO_CONFIG || r == EV_ERR_AGENT_UUID) &&
	    agent_now(a) - a->last_uuid_check >= 600 && agent_fetch_uuid(a) == 0)
		r = agent_poll_config(a);
	if (r != 0 && r != EV_ERR_AGENT_NO_CONFIG && a->cur == NULL)
		use_saved_state(a);
	arm_expiry(a);
	return r;
}

static void
on_config(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;
	double next;
	int r;

	(void)loop;
	(void)revents;
	r = poll_once(a);
	/* After the first poll, so that a status edgeviewd left behind is
	 * judged against whether Edge-View is on. */
	agent_reports_watch(a);
	if (r != 0 && r != EV_ERR_AGENT_NO_CONFIG)
		a->failures++;
	else
		a->failures = 0;
	if (agent_flush_reports(a) != 0)
		ev_log_debug("reports still queued");
	/* After a failure the backoff, but never longer than a normal wait. */
	next = a->failures > 0 ? backoff(a) : 0;
	if (next <= 0 || next > (double)a->config_interval)
		next = jitter(a->config_interval, 0.3);
	ev_timer_set(w, next, 0);
	ev_timer_start(a->loop, w);
	trim();
}

static void
on_info(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;
	bool periodic = !a->info_dirty;

	(void)loop;
	(void)revents;
	a->info_dirty = false;
	agent_queue_device_info(a, periodic);
	agent_queue_edgeview_info(a);
	if (agent_flush_reports(a) != 0)
		ev_log_debug("reports still queued");
	ev_timer_set(w, (double)a->set.info_interval * (0.8 + 0.4 * rnd01()), 0);
	ev_timer_start(a->loop, w);
	trim();
}

static void
on_metrics(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;

	(void)loop;
	(void)revents;
	if (agent_send_metrics(a) != 0)
		ev_log_debug("metrics not sent this time");
	ev_timer_set(w, jitter(a->set.metric_interval, 0.3), 0);
	ev_timer_start(a->loop, w);
	trim();
}

static void
on_logs(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;

	(void)loop;
	(void)revents;
	agent_collect_logs(a);
	if (agent_flush_reports(a) != 0)
		ev_log_debug("reports still queued");
	ev_timer_set(w, (double)a->set.log_interval, 0);
	ev_timer_start(a->loop, w);
	trim();
}

static void
on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;

	(void)loop;
	(void)revents;
	if (agent_flush_reports(a) != 0)
		ev_log_debug("reports still queued");
	trim();
}

static void
on_certs(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;
	bool ok;

	(void)loop;
	(void)revents;
	ok = agent_fetch_certs(a) == 0;
	if (ok)
		agent_edgeview_recheck(a);
	/* EVE: 120 s while failing. */
	ev_timer_set(w, ok ? jitter(a->set.cert_interval, 0.3) : 120.0, 0);
	ev_timer_start(a->loop, w);
	trim();
}

static void
start_running(struct agent *a)
{
	ev_log_notice("onboarded as %s; polling the config every %llu s", a->uuid,
	              (unsigned long long)a->config_interval);
	ev_timer_set(&a->config_w, 0, 0);
	ev_timer_start(a->loop, &a->config_w);
	ev_timer_set(&a->info_w, 0.5, 0);
	ev_timer_start(a->loop, &a->info_w);
	ev_timer_set(&a->metric_w, jitter(a->set.metric_interval, 0.3), 0);
	ev_timer_start(a->loop, &a->metric_w);
	ev_timer_set(&a->log_w, 1.0, 0);
	ev_timer_start(a->loop, &a->log_w);
	ev_timer_set(&a->cert_w, jitter(a->set.cert_interval, 0.3), 0);
	ev_timer_start(a->loop, &a->cert_w);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *a = w->data;

	(void)revents;
	if (w->signum == SIGHUP) {
		/* Poll now (an operator changed something on the controller). */
		ev_log_notice("SIGHUP: polling the config now");
		if (a->step == STEP_RUN) {
			ev_timer_stop(loop, &a->config_w);
			ev_timer_set(&a->config_w, 0, 0);
			ev_timer_start(loop, &a->config_w);
		}
		return;
	}
	ev_log_notice("signal %d; stopping", w->signum);
	a->exit_status = 0;
	ev_break(loop, EVBREAK_ALL);
}

/* ---- --once ---- */

static int
run_once(struct agent *a)
{
	int r = 0;

	while (a->step != STEP_RUN)
		if ((r = do_step(a)) != 0) {
			ev_log_err_r(r, "onboarding did not complete");
			use_saved_state(a);
			return 1;
		}
	r = poll_once(a);
	if (r != 0 && r != EV_ERR_AGENT_NO_CONFIG) {
		ev_log_err_r(r, "config poll");
		return 1;
	}
	agent_queue_device_info(a, false);
	agent_queue_edgeview_info(a);
	if (agent_send_metrics(a) != 0)
		ev_log_warn("metrics not sent");
	agent_collect_logs(a);
	if ((r = agent_flush_reports(a)) != 0) {
		ev_log_err_r(r, "reports still queued");
		return 1;
	}
	return 0;
}

/* ---- start ---- */

static int
read_server(struct agent *a)
{
	char path[4200], *text = NULL;
	size_t len = 0, i = 0;
	int r;

	if (a->set.server[0] != '\0') {
		snprintf(a->server, sizeof(a->server), "%s", a->set.server);
		return 0;
	}
	if ((r = agent_persist_path(a, "/config/server", path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_read_capped(path, sizeof(a->server) - 1, &text, &len)) != 0) {
		ev_log_err_r(r, "%s (the controller's address; or --server)", path);
		return r;
	}
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	while (len > i && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' ||
	                   text[len - 1] == '\r'))
		len--;
	memcpy(a->server, text + i, len - i);
	a->server[len - i] = '\0';
	free(text);
	if (a->server[0] == '\0') {
		ev_log_err("%s is empty", path);
		return EV_ERR_INVALID_ARG;
	}
	return 0;
}

int
agent_run(struct agent *a)
{
	struct agent_identity_cfg ic = {0};
	struct agent_http_cfg hc = {0};
	char roots[4200];
	int r;

	a->exit_status = 1;
	snprintf(a->root, sizeof(a->root), "%s", strcmp(a->set.root, "/") == 0 ? "" : a->set.root);
	a->config_interval = a->set.config_interval;
	handoff_init(&a->ho, a->root);
	if ((r = agent_load_state(a)) != 0)
		ev_log_warn_r(r, "agent state");
	if ((r = read_server(a)) != 0)
		goto out;
	ic.root = a->root;
	ic.tcti = a->set.tcti[0] != '\0' ? a->set.tcti : NULL;
	ic.no_tpm = a->set.no_tpm;
	if ((r = agent_identity_open(&ic, &a->id)) != 0) {
		ev_log_err_r(r, "device identity");
		goto out;
	}
	ev_log_notice("device identity %s (%s)%s",
	              agent_identity_uses_tpm(a->id) ? "in the TPM" : "in a key file",
	              agent_identity_hsm_info(a->id),
	              agent_identity_created(a->id) ? ", created now" : "");
	if ((r = agent_persist_path(a, "/config/root-certificate.pem", roots, sizeof(roots))) != 0)
		goto out;
	hc.server = a->server;
	hc.cafile = access(roots, R_OK) == 0 ? roots : NULL;
	hc.proxy = a->set.proxy[0] != '\0' ? a->set.proxy : NULL;
	hc.timeout_ms = (unsigned)a->set.timeout * 1000;
	if ((r = agent_http_new(&hc, &a->http)) != 0) {
		ev_log_err_r(r, "HTTPS client for %s", a->server);
		goto out;
	}
	if ((a->loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = agent_reports_open(a)) != 0)
		goto out;
	ev_timer_init(&a->step_w, on_step, 0, 0);
	ev_timer_init(&a->config_w, on_config, 0, 0);
	ev_timer_init(&a->info_w, on_info, 0, 0);
	ev_timer_init(&a->metric_w, on_metrics, 0, 0);
	ev_timer_init(&a->log_w, on_logs, 0, 0);
	ev_timer_init(&a->cert_w, on_certs, 0, 0);
	ev_timer_init(&a->exp_w, on_expiry, 0, 0);
	ev_timer_init(&a->flush_w, on_flush, 0, 0);
	a->flush_w.data = a;
	a->step_w.data = a->config_w.data = a->info_w.data = a->metric_w.data = a;
	a->log_w.data = a->cert_w.data = a->exp_w.data = a;
	a->step = STEP_CERTS;
	ev_log_notice("eve-agent %s for controller %s%s", AGENT_VERSION, a->server,
	              a->uuid[0] != '\0' ? " (UUID known)" : "");
	if (a->set.once) {
		a->exit_status = run_once(a);
		goto out;
	}
	ev_signal_init(&a->sigterm_w, on_signal, SIGTERM);
	ev_signal_init(&a->sigint_w, on_signal, SIGINT);
	ev_signal_init(&a->sighup_w, on_signal, SIGHUP);
	a->sigterm_w.data = a->sigint_w.data = a->sighup_w.data = a;
	ev_signal_start(a->loop, &a->sigterm_w);
	ev_signal_start(a->loop, &a->sigint_w);
	ev_signal_start(a->loop, &a->sighup_w);
	signal(SIGPIPE, SIG_IGN);
	/* Spread first contact after a fleet-wide boot (device-api 9.2). */
	ev_timer_set(&a->step_w, (double)a->set.start_jitter * rnd01(), 0);
	ev_timer_start(a->loop, &a->step_w);
	ev_run(a->loop, 0);
out:
	if (agent_save_state(a) != 0)
		ev_log_debug("state not saved at exit");
	agent_reports_close(a);
	handoff_free(&a->ho);
	if (a->loop != NULL)
		ev_loop_destroy(a->loop);
	if (a->cur != NULL)
		org__lfedge__eve__config__config_response__free_unpacked(a->cur, NULL);
	agent_http_free(a->http);
	agent_identity_free(a->id);
	ev_ctrlcerts_free(a->certs);
	ev_ctrlcerts_free(a->certs_prev);
	ev_freezero(a->itoken, a->itoken_len);
	free(a->roots_pem);
	return a->exit_status;
}
