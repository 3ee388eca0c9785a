/* report_metrics.c - ZMetricMsg for the device (see report.h). */
#include "report.h"

#include <string.h>

#include "ev_err.h"
#include "metrics/metrics.pb-c.h"
#include "report_pb.h"
#include "sysinfo.h"

typedef Org__Lfedge__Eve__Metrics__ZMetricMsg ZMetricMsg;
typedef Org__Lfedge__Eve__Metrics__DeviceMetric DeviceMetric;
typedef Org__Lfedge__Eve__Metrics__MemoryMetric MemoryMetric;
typedef Org__Lfedge__Eve__Metrics__DeviceMemoryMetric DeviceMemoryMetric;
typedef Org__Lfedge__Eve__Metrics__NetworkMetric NetworkMetric;
typedef Org__Lfedge__Eve__Metrics__DiskMetric DiskMetric;
typedef Org__Lfedge__Eve__Metrics__AppCpuMetric AppCpuMetric;
typedef Org__Lfedge__Eve__Metrics__ZedcloudMetric ZedcloudMetric;
typedef Org__Lfedge__Eve__Metrics__UrlcloudMetric UrlcloudMetric;
typedef Org__Lfedge__Eve__Metrics__MetricItem MetricItem;

#define MB (1024u * 1024u)

static uint64_t
round_mb(uint64_t bytes)
{
	return bytes / MB + (bytes % MB >= MB / 2 ? 1 : 0);
}

static uint32_t
clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void
add_memory(struct pbx *a, DeviceMetric *dm, const struct ag_sysinfo *si)
{
	MemoryMetric *m;
	DeviceMemoryMetric *dmm;
	uint64_t total, avail, used;

	if (!si->have_mem || (m = pbx_alloc(a, sizeof(*m))) == NULL ||
	    (dmm = pbx_alloc(a, sizeof(*dmm))) == NULL)
		return;
	org__lfedge__eve__metrics__memory_metric__init(m);
	org__lfedge__eve__metrics__device_memory_metric__init(dmm);
	total = si->mem_total_kb / 1024;
	avail = si->mem_avail_kb / 1024;
	used = total - avail;
	m->usedmem = clamp32(used);
	m->availmem = clamp32(avail);
	m->usedpercentage = total != 0 ? 100.0 * (double)used / (double)total : 0.0;
	m->availpercentage = 100.0 - m->usedpercentage;
	dm->memory = m;
	dmm->memorymb = clamp32(total);
	dm->devicememory = dmm;
}

static void
add_network(struct pbx *a, DeviceMetric *dm, const struct ag_sysinfo *si)
{
	size_t i, n = 0;

	if ((dm->network = pbx_array(a, si->nifs, sizeof(*dm->network))) == NULL)
		return;
	for (i = 0; i < si->nifs; i++) {
		const struct ag_netif *ni = &si->ifs[i];
		NetworkMetric *nm;

		if (!ni->have_counters)
			continue;
		if ((nm = pbx_alloc(a, sizeof(*nm))) == NULL)
			return;
		org__lfedge__eve__metrics__network_metric__init(nm);
		/* EVE: iName is the port's logical label; ours is the ifname */
		nm->iname = pbx_str(a, ni->name, AG_REPORT_MAX_STR);
		nm->localname = pbx_str(a, ni->name, AG_REPORT_MAX_STR);
		nm->txbytes = ni->tx_bytes;
		nm->rxbytes = ni->rx_bytes;
		nm->txdrops = ni->tx_drop;
		nm->rxdrops = ni->rx_drop;
		nm->txpkts = ni->tx_pkts;
		nm->rxpkts = ni->rx_pkts;
		nm->txerrors = ni->tx_errs;
		nm->rxerrors = ni->rx_errs;
		dm->network[n++] = nm;
	}
	dm->n_network = n;
}

static void
add_disks(struct pbx *a, DeviceMetric *dm, const struct ag_sysinfo *si)
{
	size_t i, n = si->nfs + si->ndisks;

	if ((dm->disk = pbx_array(a, n, sizeof(*dm->disk))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		DiskMetric *d = pbx_alloc(a, sizeof(*d));

		if (d == NULL)
			return;
		org__lfedge__eve__metrics__disk_metric__init(d);
		if (i < si->nfs) {
			const struct ag_fs *f = &si->fs[i];

			d->mountpath = pbx_str(a, f->path, AG_REPORT_MAX_STR);
			d->total = round_mb(f->total);
			d->used = round_mb(f->used);
			d->free = round_mb(f->free);
		} else {
			const struct ag_disk *k = &si->disks[i - si->nfs];

			d->disk = pbx_str(a, k->name, AG_REPORT_MAX_STR);
			d->readbytes = round_mb(k->read_bytes);
			d->writebytes = round_mb(k->write_bytes);
			d->readcount = k->reads;
			d->writecount = k->writes;
			d->total = round_mb(k->size);
		}
		dm->disk[i] = d;
		dm->n_disk = i + 1;
	}
}

static void
add_cpu(struct pbx *a, DeviceMetric *dm, const struct ag_sysinfo *si)
{
	AppCpuMetric *c;

	if ((!si->have_uptime && !si->have_cpu) || (c = pbx_alloc(a, sizeof(*c))) == NULL)
		return;
	org__lfedge__eve__metrics__app_cpu_metric__init(c);
	/* EVE's quirk: seconds of uptime as if they were a time since the epoch */
	if (si->have_uptime)
		c->uptime = pbx_ts(a, (int64_t)(si->uptime_ms / 1000), 0);
	if (si->have_cpu) {
		c->total = si->cpu_busy_ns / 1000000000u;
		c->total_ns = si->cpu_busy_ns;
	}
	dm->cpumetric = c;
}

static bool
add_ctrl(struct pbx *a, DeviceMetric *dm, const struct ag_metrics *in)
{
	size_t i, j;

	if (in->nctrl > AG_REPORT_MAX_LIST || (in->nctrl > 0 && in->ctrl == NULL))
		return false;
	if ((dm->zedcloud = pbx_array(a, in->nctrl, sizeof(*dm->zedcloud))) == NULL)
		return true;
	for (i = 0; i < in->nctrl; i++) {
		const struct ag_ctrl_stats *cs = &in->ctrl[i];
		ZedcloudMetric *z;

		if (cs->nurls > AG_REPORT_MAX_LIST || (cs->nurls > 0 && cs->urls == NULL))
			return false;
		if ((z = pbx_alloc(a, sizeof(*z))) == NULL)
			return true;
		org__lfedge__eve__metrics__zedcloud_metric__init(z);
		z->ifname = pbx_str(a, cs->ifname, AG_REPORT_MAX_STR);
		z->failures = cs->failures;
		z->success = cs->success;
		z->authverifyfailure = cs->auth_verify_failures;
		if (cs->last_failure != 0)
			z->lastfailure = pbx_ts(a, cs->last_failure, 0);
		if (cs->last_success != 0)
			z->lastsuccess = pbx_ts(a, cs->last_success, 0);
		z->urlmetrics = pbx_array(a, cs->nurls, sizeof(*z->urlmetrics));
		for (j = 0; z->urlmetrics != NULL && j < cs->nurls; j++) {
			const struct ag_url_stats *us = &cs->urls[j];
			UrlcloudMetric *u = pbx_alloc(a, sizeof(*u));

			if (u == NULL)
				return true;
			org__lfedge__eve__metrics__urlcloud_metric__init(u);
			u->url = pbx_str(a, us->url, AG_REPORT_MAX_STR);
			u->trymsgcount = us->try_msgs;
			u->trybytecount = us->try_bytes;
			u->sentmsgcount = us->sent_msgs;
			u->sentbytecount = us->sent_bytes;
			u->recvmsgcount = us->recv_msgs;
			u->recvbytecount = us->recv_bytes;
			u->total_time_spent = us->total_time_ms;
			u->sess_resume_count = us->sess_resume;
			z->urlmetrics[j] = u;
			z->n_urlmetrics = j + 1;
		}
		dm->zedcloud[i] = z;
		dm->n_zedcloud = i + 1;
	}
	return true;
}

static bool
add_items(struct pbx *a, DeviceMetric *dm, const struct ag_metrics *in)
{
	size_t i;

	if (in->nitems > AG_REPORT_MAX_LIST || (in->nitems > 0 && in->items == NULL))
		return false;
	for (i = 0; i < in->nitems; i++)
		if (in->items[i].key == NULL || in->items[i].type > AG_MI_STATE ||
		    (unsigned)in->items[i].kind > AG_MI_STRING)
			return false;
	if ((dm->metricitems = pbx_array(a, in->nitems, sizeof(*dm->metricitems))) == NULL)
		return true;
	for (i = 0; i < in->nitems; i++) {
		const struct ag_metric_item *it = &in->items[i];
		MetricItem *m = pbx_alloc(a, sizeof(*m));

		if (m == NULL)
			return true;
		org__lfedge__eve__metrics__metric_item__init(m);
		m->key = pbx_str(a, it->key, AG_REPORT_MAX_STR);
		m->type = (Org__Lfedge__Eve__Metrics__MetricItemType)it->type;
		switch (it->kind) {
		case AG_MI_BOOL:
			m->metric_item_value_case =
			        ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_BOOL_VALUE;
			m->boolvalue = it->v.b;
			break;
		case AG_MI_U32:
			m->metric_item_value_case =
			        ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_UINT32_VALUE;
			m->uint32value = it->v.u32;
			break;
		case AG_MI_U64:
			m->metric_item_value_case =
			        ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_UINT64_VALUE;
			m->uint64value = it->v.u64;
			break;
		case AG_MI_FLOAT:
			m->metric_item_value_case =
			        ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_FLOAT_VALUE;
			m->floatvalue = it->v.f;
			break;
		case AG_MI_STRING:
			m->metric_item_value_case =
			        ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_STRING_VALUE;
			m->stringvalue = pbx_str(a, it->v.s, AG_REPORT_MAX_STR);
			break;
		}
		dm->metricitems[i] = m;
		dm->n_metricitems = i + 1;
	}
	return true;
}

int
ag_report_metrics(const struct ag_metrics *in, uint8_t **out, size_t *outlen)
{
	struct pbx a = {0};
	ZMetricMsg m;
	DeviceMetric *dm;
	int64_t sec;
	int32_t nsec;
	int r;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL || out == NULL || outlen == NULL || in->dev_id == NULL ||
	    in->dev_id[0] == '\0' || in->at_nsec < 0 || in->at_nsec > 999999999)
		return EV_ERR_INVALID_ARG;
	org__lfedge__eve__metrics__zmetric_msg__init(&m);
	m.devid = pbx_str(&a, in->dev_id, AG_REPORT_MAX_STR);
	sec = in->at_sec;
	nsec = in->at_nsec;
	if (sec == 0 && nsec == 0)
		pbx_now(&sec, &nsec);
	m.attimestamp = pbx_ts(&a, sec, nsec);
	if ((dm = pbx_alloc(&a, sizeof(*dm))) == NULL) {
		r = a.err;
		goto out;
	}
	org__lfedge__eve__metrics__device_metric__init(dm);
	if (in->sys != NULL) {
		add_memory(&a, dm, in->sys);
		add_network(&a, dm, in->sys);
		add_disks(&a, dm, in->sys);
		add_cpu(&a, dm, in->sys);
	}
	if (!add_ctrl(&a, dm, in) || !add_items(&a, dm, in)) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if (in->last_received_config != 0)
		dm->last_received_config = pbx_ts(&a, in->last_received_config, 0);
	if (in->last_processed_config != 0)
		dm->last_processed_config = pbx_ts(&a, in->last_processed_config, 0);
	dm->dormant_time_in_seconds = in->dormant_time_s;
	if (a.err != 0) {
		r = a.err;
		goto out;
	}
	m.metric_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM;
	m.dm = dm;
	r = pbx_pack(&m.base, AG_REPORT_MAX, out, outlen);
out:
	pbx_free(&a);
	return r;
}

static void
item(struct ag_metric_item *out, size_t cap, size_t *n, const char *key, uint32_t type,
     enum ag_mi_kind kind, uint64_t u, bool b)
{
	struct ag_metric_item *it;

	if (*n >= cap)
		return;
	it = &out[(*n)++];
	memset(it, 0, sizeof(*it));
	it->key = key;
	it->type = type;
	it->kind = kind;
	if (kind == AG_MI_BOOL)
		it->v.b = b;
	else
		it->v.u64 = u;
}

size_t
ag_report_agent_items(const struct ag_agent_health *h, struct ag_metric_item *out, size_t cap)
{
	size_t n = 0;

	if (h == NULL || out == NULL)
		return 0;
	if (h->have_config_age)
		item(out, cap, &n, "agent.config.age_s", AG_MI_GAUGE, AG_MI_U64, h->config_age_s,
		     false);
	item(out, cap, &n, "agent.clock.synced", AG_MI_STATE, AG_MI_BOOL, 0, h->clock_synced);
	if (h->have_skew)
		item(out, cap, &n, "agent.clock.skew_s", AG_MI_GAUGE, AG_MI_U64, h->clock_skew_s,
		     false);
	item(out, cap, &n, "agent.spool.entries", AG_MI_GAUGE, AG_MI_U64, h->spool_entries, false);
	item(out, cap, &n, "agent.spool.bytes", AG_MI_GAUGE, AG_MI_U64, h->spool_bytes, false);
	item(out, cap, &n, "agent.spool.dropped", AG_MI_COUNTER, AG_MI_U64, h->spool_dropped,
	     false);
	item(out, cap, &n, "agent.spool.refused", AG_MI_COUNTER, AG_MI_U64, h->spool_refused,
	     false);
	item(out, cap, &n, "agent.newlog.batches", AG_MI_COUNTER, AG_MI_U64, h->newlog_batches,
	     false);
	item(out, cap, &n, "agent.newlog.emit_failures", AG_MI_COUNTER, AG_MI_U64,
	     h->newlog_emit_failures, false);
	item(out, cap, &n, "agent.edgeview.active", AG_MI_STATE, AG_MI_BOOL, 0, h->edgeview_active);
	return n;
}
