/* metrics.c - counters in the Prometheus text exposition format. */
#include <stdarg.h>
#include <stdio.h>

#include "disp.h"

static const char *const reject_names[DISP_REJ_COUNT_] = {
        [DISP_REJ_NO_TOKEN] = "no-token",     [DISP_REJ_THIRD_PEER] = "third-peer",
        [DISP_REJ_OVERSIZE] = "oversize",     [DISP_REJ_MAX_CONNECTIONS] = "max-connections",
        [DISP_REJ_MAX_PER_IP] = "max-per-ip", [DISP_REJ_BAD_PATH] = "bad-path",
        [DISP_REJ_BAD_HEADER] = "bad-header", [DISP_REJ_UNPAIRED_TIMEOUT] = "unpaired-timeout",
};

const char *
disp_reject_name(enum disp_reject r)
{
	return (unsigned)r < DISP_REJ_COUNT_ ? reject_names[r] : "?";
}

struct out {
	char *buf;
	size_t cap, len;
};

static void EV_PRINTF(2, 3) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

static void
metric(struct out *o, const char *name, const char *type, const char *help, uint64_t v)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
	    (unsigned long long)v);
}

size_t
disp_metrics_render(const struct disp *d, char *buf, size_t cap)
{
	const struct disp_metrics *m = &d->m;
	struct out o = {buf, cap, 0};

	buf[0] = '\0';
	put(&o,
	    "# HELP edgeview_dispatcher_connections Open websocket endpoints.\n"
	    "# TYPE edgeview_dispatcher_connections gauge\n"
	    "edgeview_dispatcher_connections{role=\"device\"} %llu\n"
	    "edgeview_dispatcher_connections{role=\"user\"} %llu\n",
	    (unsigned long long)m->connections_device, (unsigned long long)m->connections_user);
	metric(&o, "edgeview_dispatcher_connections_total", "counter",
	       "Websocket connections accepted.", m->connections_total);
	metric(&o, "edgeview_dispatcher_sessions_paired", "gauge",
	       "Tokens with both a device and a user connected.", m->sessions_paired);
	metric(&o, "edgeview_dispatcher_pairs_total", "counter", "Pairings made.", m->pairs_total);
	metric(&o, "edgeview_dispatcher_replaced_total", "counter",
	       "Endpoints replaced by a reconnect with the same hostname.", m->replaced_total);
	metric(&o, "edgeview_dispatcher_peer_left_notices_total", "counter",
	       "Endpoints told that their peer left.", m->peer_left_notices_total);
	put(&o,
	    "# HELP edgeview_dispatcher_messages_total Messages relayed.\n"
	    "# TYPE edgeview_dispatcher_messages_total counter\n"
	    "edgeview_dispatcher_messages_total{direction=\"device_to_user\"} %llu\n"
	    "edgeview_dispatcher_messages_total{direction=\"user_to_device\"} %llu\n",
	    (unsigned long long)m->msgs[0], (unsigned long long)m->msgs[1]);
	put(&o,
	    "# HELP edgeview_dispatcher_bytes_total Payload bytes relayed.\n"
	    "# TYPE edgeview_dispatcher_bytes_total counter\n"
	    "edgeview_dispatcher_bytes_total{direction=\"device_to_user\"} %llu\n"
	    "edgeview_dispatcher_bytes_total{direction=\"user_to_device\"} %llu\n",
	    (unsigned long long)m->bytes[0], (unsigned long long)m->bytes[1]);
	metric(&o, "edgeview_dispatcher_unroutable_total", "counter",
	       "Messages dropped because the sender had no peer.", m->unroutable_total);
	metric(&o, "edgeview_dispatcher_backpressure_total", "counter",
	       "Times a sender was paused because its peer's queue was full.",
	       m->backpressure_total);
	put(&o,
	    "# HELP edgeview_dispatcher_probes_total Session probes answered.\n"
	    "# TYPE edgeview_dispatcher_probes_total counter\n"
	    "edgeview_dispatcher_probes_total{result=\"connected\"} %llu\n"
	    "edgeview_dispatcher_probes_total{result=\"absent\"} %llu\n",
	    (unsigned long long)m->probes_connected, (unsigned long long)m->probes_absent);
	metric(&o, "edgeview_dispatcher_http_pings_total", "counter", "GET /v1/ping answered.",
	       m->pings_http);
	put(&o,
	    "# HELP edgeview_dispatcher_rejected_total Connections refused or closed, by reason.\n"
	    "# TYPE edgeview_dispatcher_rejected_total counter\n");
	for (int i = 0; i < DISP_REJ_COUNT_; i++)
		put(&o, "edgeview_dispatcher_rejected_total{reason=\"%s\"} %llu\n", reject_names[i],
		    (unsigned long long)m->rejected[i]);
	return o.len;
}
