/*
 * agent.h - eve-agent, the device agent core: the state every part shares.
 *
 *	main.c      command line, settings file, start
 *	settings.c  every setting (flag, file key, default, bounds, help)
 *	agent.c     the event loop: onboarding steps, polls, reports, backoff
 *	api.c       one device-API request: AuthContainer, HTTPS, statistics
 *	onboard.c   certs, register, uuid, attest (device-api 2.5, 3.5, 6.5)
 *	config.c    the config poll and what a config changes (4.1-4.7)
 *	persist.c   checkpoints under /persist (2.1, 9.1)
 *	handoff.c   Edge-View: token check and edgeviewd's files
 *	identity.c, tpm.c   the device key and certificate
 *	http.c      HTTPS on libwebsockets
 *	report_*.c, newlog.c, spool.c, sysinfo.c, evstatus.c   what goes back
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ev_attr.h"
#include "ev_config.h"
#include "ev_limits.h"
#include "handoff.h"

struct agent_identity;
struct agent_http;
struct agent_http_resp;
struct ev_ctrlcerts;
struct ag_spool;
struct agent_reports;

#define AGENT_VERSION "0.1.0"
#define AGENT_API     "/api/v2/edgedevice"

/* Response caps (device-api 9.4). */
#define AGENT_MAX_CONFIG_RESP (8u * 1024 * 1024)
#define AGENT_MAX_CERTS_RESP  (256u * 1024)
#define AGENT_MAX_OTHER_RESP  (64u * 1024)

struct agent_settings {
	char *root;
	char *server;
	char *tcti;
	bool no_tpm;
	char *proxy;
	char *serial;
	char *soft_serial;
	uint64_t config_interval;
	uint64_t info_interval;
	uint64_t metric_interval;
	uint64_t log_interval;
	uint64_t cert_interval;
	uint64_t max_backoff;
	uint64_t spool_bytes;
	uint64_t clock_skew;
	uint64_t timeout;
	uint64_t start_jitter;
	uint64_t flush_burst;
	char *log_level;
	bool once;
};

extern const struct ev_config_table agent_settings_table;

/* Per request path, the controller-connectivity counters of ZMetricMsg. */
#define AGENT_URL_STATS 16
struct agent_url_stat {
	char url[96];
	uint64_t try_msgs, try_bytes, sent_msgs, sent_bytes, recv_msgs, recv_bytes, time_ms;
};

enum agent_step {
	STEP_CERTS,    /* GET /certs and verify the chain */
	STEP_REGISTER, /* POST /register with the onboarding pair */
	STEP_UUID,     /* POST /uuid */
	STEP_ATTEST,   /* POST /attest for an integrity token */
	STEP_RUN,      /* config polls and reports */
};

/* One config item as understood (ZInfoDevice.configItemStatus). */
struct agent_ci {
	char *key, *value;
	char error[128]; /* "" when applied */
	bool known;
};
#define AGENT_MAX_CONFIG_ITEMS 256

typedef struct Org__Lfedge__Eve__Config__ConfigResponse Org__Lfedge__Eve__Config__ConfigResponse;

struct agent {
	struct agent_settings set;
	char root[4096]; /* "" for "/" */
	struct ev_loop *loop;
	struct agent_identity *id;
	struct agent_http *http;
	char server[256];
	struct ev_ctrlcerts *certs;      /* current controller certificates */
	struct ev_ctrlcerts *certs_prev; /* the one before a rotation, until a config verifies */
	char *roots_pem;                 /* /config/root-certificate.pem */
	size_t roots_len;
	char uuid[64];
	uint8_t *itoken; /* integrity token from /attest */
	size_t itoken_len;
	bool attest_unsupported;
	/* config */
	char config_hash[256];
	int64_t config_ts_sec, config_ts_nsec; /* last accepted config_timestamp (persisted) */
	int64_t controller_epoch;
	bool have_epoch;
	char cert_confighash[128];
	time_t last_config_ok, last_config_received, last_config_processed;
	time_t last_uuid_check;
	bool config_from_checkpoint;
	char device_name[256], project_name[256], project_id[64], enterprise_name[256],
	        enterprise_id[64];
	bool maintenance_mode;
	uint64_t config_interval; /* effective: setting or timer.config.interval */
	Org__Lfedge__Eve__Config__ConfigResponse *cur; /* the config in force */
	struct agent_ci *ci;
	size_t n_ci;
	struct handoff ho;
	/* time */
	time_t floor; /* the clock is never believed to be before this */
	/* loop state */
	enum agent_step step;
	unsigned failures; /* consecutive, for backoff */
	bool certs_refetch;
	bool info_dirty;
	ev_timer step_w, config_w, info_w, metric_w, log_w, cert_w, exp_w;
	ev_timer flush_w; /* the rest of a long queue, a burst at a time */
	ev_signal sigterm_w, sigint_w, sighup_w;
	int exit_status;
	/* reports */
	struct ag_spool *spool;
	struct agent_reports *rep;
	struct agent_url_stat urls[AGENT_URL_STATS];
	uint64_t conn_failures, conn_success;
	time_t last_failure, last_success;
	unsigned retry_after; /* from the last 429/503, seconds */
	char ev_final_key
	        [64]; /* the last Edge-View session whose final status went out (persisted) */
};

/* api.c */
/* POST an AuthContainer (signed by the device key, or by the onboarding key
 * when onboard) to AGENT_API [/id/<uuid>]/<action>; resp filled on transport
 * success, whatever the status. */
int agent_post(struct agent *a, const char *action, bool with_id, bool onboard,
               const uint8_t *payload, size_t len, size_t max_resp,
               struct agent_http_resp *resp) EV_WARN_UNUSED;
int agent_get(struct agent *a, const char *action, size_t max_resp,
              struct agent_http_resp *resp) EV_WARN_UNUSED;
/* A verified controller payload out of a 200 response (checks the media
 * type).  EV_ERR_AC_CERT_MISS makes the caller refetch /certs. */
int agent_open_response(struct agent *a, const struct agent_http_resp *resp, size_t max_payload,
                        uint8_t **payload, size_t *len) EV_WARN_UNUSED;
/* Whether a status is one of EVE's successes (200, 201, 204, 304). */
bool agent_status_ok(int status);

/* onboard.c */
int agent_fetch_certs(struct agent *a) EV_WARN_UNUSED;
int agent_register(struct agent *a) EV_WARN_UNUSED;
int agent_fetch_uuid(struct agent *a) EV_WARN_UNUSED;
int agent_attest(struct agent *a) EV_WARN_UNUSED;
/* The checkpointed certificates, re-verified (controller unreachable at start). */
int agent_load_saved_certs(struct agent *a) EV_WARN_UNUSED;

/* config.c */
/* One poll: 0 when the controller answered (changed or not). */
int agent_poll_config(struct agent *a) EV_WARN_UNUSED;
/* Apply the last checkpointed config (controller unreachable at start). */
int agent_load_saved_config(struct agent *a) EV_WARN_UNUSED;
/* Re-check Edge-View (expiry, remote access, certificate rotation). */
void agent_edgeview_recheck(struct agent *a);

/* persist.c */
int agent_persist_path(const struct agent *a, const char *rel, char *out,
                       size_t cap) EV_WARN_UNUSED;
int agent_load_state(struct agent *a) EV_WARN_UNUSED;
int agent_save_state(struct agent *a) EV_WARN_UNUSED;
int agent_save_uuid(struct agent *a) EV_WARN_UNUSED;
/* Checkpoint files of device-api 2.1: name is "controllercerts" or
 * "lastconfig"; the first save also makes the .bak copy. */
int agent_checkpoint_write(struct agent *a, const char *name, const uint8_t *data,
                           size_t len) EV_WARN_UNUSED;
int agent_checkpoint_read(struct agent *a, const char *name, bool bak, uint8_t **data,
                          size_t *len) EV_WARN_UNUSED;
/* The clock, never before the floor (device-api 9.3). */
time_t agent_now(struct agent *a);

/* reports.c: what goes back to the controller */
int agent_reports_open(struct agent *a) EV_WARN_UNUSED;
void agent_reports_close(struct agent *a);
/* Queue the device info (ZiDevice) / the Edge-View status (ZiEdgeview). */
void agent_queue_device_info(struct agent *a, bool periodic);
void agent_queue_edgeview_info(struct agent *a);
/* Metrics are best effort, sent at once (EVE does not queue them). */
int agent_send_metrics(struct agent *a) EV_WARN_UNUSED;
/* New audit lines and agent events into newlog batches in the spool. */
void agent_collect_logs(struct agent *a);
/* Send what is queued, oldest first, at most --flush-burst requests now
 * and the rest a burst a second (after an outage a fleet's backlogs must
 * not all land at once; device-api 9.2).  0 when nothing is left to send
 * now (empty, waiting for retry times, or the rest scheduled). */
int agent_flush_reports(struct agent *a) EV_WARN_UNUSED;
/* Files watched for reports (EdgeviewStatus, audit log), armed on the loop. */
void agent_reports_watch(struct agent *a);

/* agent.c */
int agent_run(struct agent *a);
/* Something reportable changed: send device info soon. */
void agent_info_changed(struct agent *a);

#endif
