/*
 * report.h - what eve-agent tells the controller: ZInfoMsg (device info,
 * Edge-View status) and ZMetricMsg, serialized with protobuf-c
 * (device-api.md 5.1, 5.2, 5.5, 6.1).
 *
 * Each builder takes a plain C struct of inputs and returns the serialized
 * message (malloc'd); the caller seals it in an AuthContainer and POSTs it
 * (or queues it in the spool).  Host facts come from struct ag_sysinfo
 * (sysinfo.h); everything the agent knows about itself (state, counters,
 * config echoes, controller statistics) is passed in.  Strings are copied
 * as valid UTF-8 (invalid bytes become U+FFFD, as Go would send them;
 * otherwise a Go controller rejects the whole message) and cut to
 * AG_REPORT_MAX_STR bytes.
 *
 * Choices where EVE's meaning does not carry over to a generic host:
 * - swList has one entry, the running agent: activated, partitionState
 *   "active", status INSTALLED, downloadProgress 100, userStatus UPDATED -
 *   what EVE reports for its running partition - with partitionLabel
 *   "IMGA" unless given.
 * - storage is the size of /persist (what EVE counts), or of / when there
 *   is no /persist; storageList has / and /persist (mountPath, total,
 *   storageLocation on /persist) and the whole disks (device, total).
 * - dns is what EVE's netclone.DnsReadConfig gives: servers "ip:53", at
 *   most 3, search domains rooted, DNSdomain empty.
 * - memory metrics: used = MemTotal - MemAvailable, avail = MemAvailable.
 * - cpuMetric.upTime is the uptime in seconds written as a Timestamp since
 *   the epoch, EVE's quirk; total/total_ns are the CPU time of all CPUs
 *   except idle and iowait.
 */
#ifndef AG_REPORT_H
#define AG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ag_sysinfo;
struct ev_status;

#define AG_REPORT_MAX      (4u * 1024 * 1024) /* a serialized message */
#define AG_REPORT_MAX_STR  4096u              /* one string field */
#define AG_REPORT_MAX_LIST 1024u              /* config items, metric items, URLs */

/* API_CAPABILITY_EDGEVIEW: a level, so 1-3 are claimed too (device-api 10). */
#define AG_API_CAPABILITY 4u

/* info.ZDeviceState */
#define AG_DEV_STATE_ONLINE      1u
#define AG_DEV_STATE_MAINTENANCE 3u
#define AG_DEV_STATE_BOOTING     5u
/* info.HwSecurityModuleStatus */
#define AG_HSM_UNKNOWN  0u
#define AG_HSM_NOTFOUND 1u
#define AG_HSM_DISABLED 2u
#define AG_HSM_ENABLED  3u
/* info.AttestationState */
#define AG_ATTEST_COMPLETE 7u

/* One configItemStatus entry (error "" = none). */
struct ag_kv_status {
	const char *key, *value, *error;
};

struct ag_device_info {
	const char *dev_id; /* devId: the device UUID */
	int64_t at_sec;     /* atTimeStamp; 0 = now */
	int32_t at_nsec;
	const struct ag_sysinfo *sys; /* host facts, or NULL */

	uint32_t state;              /* ZDeviceState: AG_DEV_STATE_BOOTING, then _ONLINE */
	const char *sw_version;      /* swList[0].shortVersion */
	const char *sw_long_version; /* swList[0].longVersion, or NULL */
	const char *partition_label; /* NULL = "IMGA" */

	uint32_t hsm_status; /* AG_HSM_* from the identity */
	const char *hsm_info;
	uint32_t api_capability;    /* 0 = AG_API_CAPABILITY */
	int remote_access_disabled; /* 1/0, or -1 = sys->remote_access_disabled */

	/* echoed from the config (54-58) */
	const char *device_name, *enterprise_name, *enterprise_id, *project_name, *project_id;
	const struct ag_kv_status *config_items; /* configItemStatus.configItems */
	size_t n_config_items;
	const struct ag_kv_status *unknown_config_items;
	size_t n_unknown_config_items;

	bool maintenance_mode;
	bool reboot_inprogress;
	bool have_attestation; /* attestation_info */
	uint32_t attestation_state;
	const char *attestation_error; /* NULL or "" = no error */

	uint32_t reboot_config_counter, shutdown_config_counter, restart_counter;
	uint32_t last_boot_reason;      /* info.BootReason, 0 = unspecified */
	const char *last_reboot_reason; /* lastRebootReason */
	int64_t last_reboot_time;       /* Unix seconds, 0 = unknown */
	bool have_power_cycle_counter;  /* else -1, EVE's "unknown" */
	int64_t power_cycle_counter;

	/* with_ports: a systemAdapter with one DevicePortStatus listing the
	 * host's interfaces (ifname, name, MAC, addresses, up, MTU); the ports
	 * named in mgmt_ports (NULL-terminated, or NULL for none) are marked
	 * isMgmt.  Without with_ports there is no systemAdapter. */
	const char *const *mgmt_ports;
	bool with_ports;
};

/* ZInfoMsg{ztype ZiDevice, devId, atTimeStamp, dinfo}.  EV_ERR_INVALID_ARG
 * without dev_id or for too many config items; EV_ERR_TOO_BIG over
 * AG_REPORT_MAX. */
int ag_report_device_info(const struct ag_device_info *in, uint8_t **out,
                          size_t *outlen) EV_WARN_UNUSED;

/* ZInfoMsg{ztype ZiEdgeview, devId, atTimeStamp, evinfo}: expire_time =
 * ExpireOn (s), started_time = StartedOn, count_dev/app/ext.  For the final
 * report of a session pass the status from evstatus.h as it is (its
 * expire_on already says when the session ended).  at_sec 0 = now. */
int ag_report_edgeview(const char *dev_id, const struct ev_status *st, int64_t at_sec,
                       int32_t at_nsec, uint8_t **out, size_t *outlen) EV_WARN_UNUSED;

/* ---- metrics ---- */

/* metrics.MetricItemType */
#define AG_MI_OTHER   0u
#define AG_MI_GAUGE   1u
#define AG_MI_COUNTER 2u
#define AG_MI_STATE   3u

enum ag_mi_kind { AG_MI_BOOL, AG_MI_U32, AG_MI_U64, AG_MI_FLOAT, AG_MI_STRING };

struct ag_metric_item {
	const char *key;
	uint32_t type; /* AG_MI_GAUGE ... */
	enum ag_mi_kind kind;
	union {
		bool b;
		uint32_t u32;
		uint64_t u64;
		float f;
		const char *s;
	} v;
};

/* Per controller URL, as EVE's urlcloudMetric (total_time_ms: summed
 * request time in ms, as EVE adds it up). */
struct ag_url_stats {
	const char *url;
	int64_t try_msgs, try_bytes, sent_msgs, sent_bytes, recv_msgs, recv_bytes;
	int64_t total_time_ms, sess_resume;
};

/* One zedcloudMetric: controller connectivity through one interface
 * (ifname "" when the agent lets the kernel choose). */
struct ag_ctrl_stats {
	const char *ifname;
	uint64_t failures, success, auth_verify_failures;
	int64_t last_failure, last_success; /* Unix seconds, 0 = never */
	const struct ag_url_stats *urls;
	size_t nurls;
};

struct ag_metrics {
	const char *dev_id;
	int64_t at_sec; /* 0 = now */
	int32_t at_nsec;
	const struct ag_sysinfo *sys;
	const struct ag_ctrl_stats *ctrl;
	size_t nctrl;
	const struct ag_metric_item *items;
	size_t nitems;
	uint64_t dormant_time_s;       /* 3 x the metric interval, as EVE */
	int64_t last_received_config;  /* Unix seconds, 0 = none */
	int64_t last_processed_config; /* Unix seconds, 0 = none */
};

/* ZMetricMsg{devID, atTimeStamp, dm}. */
int ag_report_metrics(const struct ag_metrics *in, uint8_t **out, size_t *outlen) EV_WARN_UNUSED;

/* The agent's own metric items (device-api 9.11), filled into out[]
 * (at most AG_AGENT_ITEMS entries); returns how many.  Keys:
 *	agent.config.age_s        gauge u64 (only if have_config_age)
 *	agent.clock.synced        state bool
 *	agent.clock.skew_s        gauge u64 absolute (only if have_skew)
 *	agent.spool.entries/.bytes           gauge u64
 *	agent.spool.dropped/.refused         counter u64
 *	agent.newlog.batches/.emit_failures  counter u64
 *	agent.edgeview.active     state bool
 */
#define AG_AGENT_ITEMS 10u
struct ag_agent_health {
	bool have_config_age;
	uint64_t config_age_s;
	bool clock_synced;
	bool have_skew;
	uint64_t clock_skew_s;
	uint64_t spool_entries, spool_bytes, spool_dropped, spool_refused;
	uint64_t newlog_batches, newlog_emit_failures;
	bool edgeview_active;
};
size_t ag_report_agent_items(const struct ag_agent_health *h, struct ag_metric_item *out,
                             size_t cap);

#endif
