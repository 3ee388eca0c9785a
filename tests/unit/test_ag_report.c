/* test_ag_report.c - ZInfoMsg (device, Edge-View) and ZMetricMsg as built, decoded again with
 * protobuf-c and checked field by field. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_err.h"
#include "ev_status.h"
#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "report.h"
#include "sysinfo.h"

#define UUID "8a6ac9f6-1d0b-4f2c-9c0a-6f3c3a1e2b11"

typedef Org__Lfedge__Eve__Info__ZInfoMsg ZInfoMsg;
typedef Org__Lfedge__Eve__Metrics__ZMetricMsg ZMetricMsg;

static struct ag_sysinfo *
fake_sys(void)
{
	struct ag_sysinfo *si = NULL;

	assert_ev_ok(ag_sysinfo_collect(tv_data_path("agent/root"), &si));
	return si;
}

static ZInfoMsg *
unpack_info(const uint8_t *p, size_t len)
{
	ZInfoMsg *m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, len, p);

	assert_non_null(m);
	return m;
}

static void
test_device_info(void **state)
{
	static const char *const mgmt[] = {"eth0", NULL};
	struct ag_kv_status items[] = {{"timer.config.interval", "60", ""},
	                               {"debug.enable.ssh", "bogus", "invalid value"}};
	struct ag_kv_status unknown[] = {{"no.such.item", "1", "unknown"}};
	struct ag_sysinfo *si = fake_sys();
	struct ag_device_info in;
	Org__Lfedge__Eve__Info__ZInfoDevice *d;
	ZInfoMsg *m;
	uint8_t *out = NULL;
	size_t len = 0, i;
	bool seen_ci = false;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.dev_id = UUID;
	in.at_sec = 1733399305;
	in.at_nsec = 5;
	in.sys = si;
	in.state = AG_DEV_STATE_BOOTING;
	in.sw_version = "0.1.0";
	in.sw_long_version = "eve-agent 0.1.0 (abc123)";
	in.hsm_status = AG_HSM_ENABLED;
	in.hsm_info = "STM 1.38";
	in.remote_access_disabled = -1;
	in.device_name = "dev-1";
	in.enterprise_name = "ACME";
	in.enterprise_id = "e-1";
	in.project_name = "proj";
	in.project_id = "p-1";
	in.config_items = items;
	in.n_config_items = 2;
	in.unknown_config_items = unknown;
	in.n_unknown_config_items = 1;
	in.have_attestation = true;
	in.attestation_state = AG_ATTEST_COMPLETE;
	in.reboot_config_counter = 3;
	in.shutdown_config_counter = 4;
	in.restart_counter = 7;
	in.last_boot_reason = 2;
	in.last_reboot_reason = "reboot requested by controller";
	in.last_reboot_time = 1700000100;
	in.mgmt_ports = mgmt;
	in.with_ports = true;
	assert_ev_ok(ag_report_device_info(&in, &out, &len));
	m = unpack_info(out, len);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice);
	assert_string_equal(m->devid, UUID);
	assert_int_equal(m->attimestamp->seconds, 1733399305);
	assert_int_equal(m->attimestamp->nanos, 5);
	assert_int_equal(m->info_content_case,
	                 ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO);
	d = m->dinfo;
	assert_string_equal(d->machinearch, "aarch64");
	assert_string_equal(d->cpuarch, "aarch64");
	assert_string_equal(d->platform, "aarch64");
	assert_int_equal(d->ncpu, 5);
	assert_int_equal(d->memory, 7975);
	assert_int_equal(d->powercyclecounter, -1);
	assert_string_equal(d->minfo->manufacturer, "ACME Corp.");
	assert_string_equal(d->minfo->productname, "Edge Box 3000");
	assert_string_equal(d->minfo->serialnumber, "SN-0042");
	assert_string_equal(d->minfo->compatible, "acme,edgebox.acme,soc");
	assert_int_equal(d->dns->n_dnsservers, 3);
	assert_string_equal(d->dns->dnsservers[1], "[fe80::1]:53");
	assert_int_equal(d->dns->n_dnssearch, 2);
	assert_string_equal(d->dns->dnsdomain, "");
	/* storage: /, /persist, sda; the total is /persist's */
	assert_int_equal(d->n_storagelist, 3);
	assert_string_equal(d->storagelist[0]->mountpath, "/");
	assert_false(d->storagelist[0]->storagelocation);
	assert_string_equal(d->storagelist[1]->mountpath, "/persist");
	assert_true(d->storagelist[1]->storagelocation);
	assert_int_equal(d->storage, d->storagelist[1]->total);
	assert_string_equal(d->storagelist[2]->device, "sda");
	assert_int_equal(d->storagelist[2]->total, 2048);
	assert_int_equal(d->boottime->seconds, 1700000000);
	assert_string_equal(d->hostname, "test-host");
	/* the running agent as EVE reports its running image */
	assert_int_equal(d->n_swlist, 1);
	assert_true(d->swlist[0]->activated);
	assert_string_equal(d->swlist[0]->partitionlabel, "IMGA");
	assert_string_equal(d->swlist[0]->partitionstate, "active");
	assert_int_equal(d->swlist[0]->status, ORG__LFEDGE__EVE__INFO__ZSW_STATE__INSTALLED);
	assert_string_equal(d->swlist[0]->shortversion, "0.1.0");
	assert_string_equal(d->swlist[0]->longversion, "eve-agent 0.1.0 (abc123)");
	assert_int_equal(d->swlist[0]->userstatus, ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__UPDATED);
	assert_int_equal(d->swlist[0]->downloadprogress, 100);
	assert_string_equal(d->lastrebootreason, "reboot requested by controller");
	assert_int_equal(d->lastreboottime->seconds, 1700000100);
	assert_int_equal(d->restartcounter, 7);
	assert_int_equal(d->hsmstatus, ORG__LFEDGE__EVE__INFO__HW_SECURITY_MODULE_STATUS__ENABLED);
	assert_string_equal(d->hsminfo, "STM 1.38");
	assert_int_equal(d->sec_info->sha_root_ca.len, 32);
	assert_int_equal(d->sec_info->sha_root_ca.data[0], 0x80);
	assert_int_equal(d->sec_info->sha_root_ca.data[31], 0x21);
	/* configItemStatus: a map, order free */
	assert_int_equal(d->configitemstatus->n_configitems, 2);
	for (i = 0; i < 2; i++) {
		if (strcmp(d->configitemstatus->configitems[i]->key, "debug.enable.ssh") == 0) {
			assert_string_equal(d->configitemstatus->configitems[i]->value->value,
			                    "bogus");
			assert_string_equal(d->configitemstatus->configitems[i]->value->error,
			                    "invalid value");
			seen_ci = true;
		}
	}
	assert_true(seen_ci);
	assert_int_equal(d->configitemstatus->n_unknownconfigitems, 1);
	assert_string_equal(d->configitemstatus->unknownconfigitems[0]->key, "no.such.item");
	assert_int_equal(d->rebootconfigcounter, 3);
	assert_int_equal(d->last_boot_reason, 2);
	assert_false(d->maintenance_mode);
	assert_int_equal(d->state, ORG__LFEDGE__EVE__INFO__ZDEVICE_STATE__ZDEVICE_STATE_BOOTING);
	assert_int_equal(d->shutdown_config_counter, 4);
	assert_int_equal(d->attestation_info->state,
	                 ORG__LFEDGE__EVE__INFO__ATTESTATION_STATE__ATTESTATION_STATE_COMPLETE);
	assert_null(d->attestation_info->error);
	assert_int_equal(d->api_capability,
	                 ORG__LFEDGE__EVE__INFO__APICAPABILITY__API_CAPABILITY_EDGEVIEW);
	assert_true(d->remote_access_disabled); /* the flag file in the fake root */
	assert_string_equal(d->device_name, "dev-1");
	assert_string_equal(d->enterprise_name, "ACME");
	assert_string_equal(d->enterprise_id, "e-1");
	assert_string_equal(d->project_name, "proj");
	assert_string_equal(d->project_id, "p-1");
	/* ports */
	assert_int_equal(d->systemadapter->n_status, 1);
	assert_int_equal(d->systemadapter->status[0]->n_ports, 2);
	assert_string_equal(d->systemadapter->status[0]->ports[0]->ifname, "eth0");
	assert_true(d->systemadapter->status[0]->ports[0]->ismgmt);
	assert_true(d->systemadapter->status[0]->ports[0]->up);
	assert_int_equal(d->systemadapter->status[0]->ports[0]->mtu, 1500);
	assert_string_equal(d->systemadapter->status[0]->ports[0]->macaddr, "52:54:00:12:34:56");
	assert_false(d->systemadapter->status[0]->ports[1]->ismgmt);
	assert_false(d->systemadapter->status[0]->ports[1]->up);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(out);

	/* the second report: ONLINE, remote access forced on, no host facts,
	 * no ports, an attestation error, and a hostname that is not UTF-8 */
	memcpy(si->hostname, "h\xff\xfe-\xc3\xa9", 7);
	in.state = AG_DEV_STATE_ONLINE;
	in.remote_access_disabled = 0;
	in.with_ports = false;
	in.attestation_error = "nonce mismatch";
	in.api_capability = 17;
	in.n_config_items = 0;
	in.n_unknown_config_items = 0;
	in.have_power_cycle_counter = true;
	in.power_cycle_counter = 12;
	in.partition_label = "IMGB";
	in.at_sec = 0;
	in.at_nsec = 0;
	assert_ev_ok(ag_report_device_info(&in, &out, &len));
	m = unpack_info(out, len);
	d = m->dinfo;
	assert_true(m->attimestamp->seconds >= time(NULL) - 5);
	assert_int_equal(d->state, ORG__LFEDGE__EVE__INFO__ZDEVICE_STATE__ZDEVICE_STATE_ONLINE);
	assert_false(d->remote_access_disabled);
	assert_null(d->systemadapter);
	assert_null(d->configitemstatus);
	assert_string_equal(d->attestation_info->error->description, "nonce mismatch");
	assert_int_equal(d->api_capability, 17);
	assert_int_equal(d->powercyclecounter, 12);
	assert_string_equal(d->swlist[0]->partitionlabel, "IMGB");
	assert_string_equal(d->hostname, "h\xef\xbf\xbd\xef\xbf\xbd-\xc3\xa9");
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(out);

	/* bad input */
	in.dev_id = "";
	assert_ev_err(ag_report_device_info(&in, &out, &len), EV_ERR_INVALID_ARG);
	assert_null(out);
	in.dev_id = UUID;
	in.n_config_items = AG_REPORT_MAX_LIST + 1;
	assert_ev_err(ag_report_device_info(&in, &out, &len), EV_ERR_INVALID_ARG);
	in.n_config_items = 1;
	in.config_items = NULL;
	assert_ev_err(ag_report_device_info(&in, &out, &len), EV_ERR_INVALID_ARG);

	/* without host facts at all */
	memset(&in, 0, sizeof(in));
	in.dev_id = UUID;
	in.remote_access_disabled = -1;
	assert_ev_ok(ag_report_device_info(&in, &out, &len));
	m = unpack_info(out, len);
	assert_string_equal(m->dinfo->machinearch, "");
	assert_false(m->dinfo->remote_access_disabled);
	assert_int_equal(m->dinfo->api_capability, 4);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(out);
	ag_sysinfo_free(si);
}

static void
test_edgeview_info(void **state)
{
	struct ev_status s;
	ZInfoMsg *m;
	uint8_t *out = NULL;
	size_t len = 0;

	(void)state;
	/* what edgeviewd publishes, decoded as the agent reads it */
	static const char json[] = "{\"ExpireOn\":1733402905,\"StartedOn\":"
	                           "\"2024-12-05T11:48:25.873489712Z\",\"CmdCountDev\":7,"
	                           "\"CmdCountApp\":2,\"CmdCountExt\":1}";
	assert_ev_ok(ev_status_decode(json, sizeof(json) - 1, &s));
	assert_ev_ok(ag_report_edgeview(UUID, &s, 1733399400, 0, &out, &len));
	m = unpack_info(out, len);
	assert_int_equal(m->ztype, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiEdgeview);
	assert_string_equal(m->devid, UUID);
	assert_int_equal(m->attimestamp->seconds, 1733399400);
	assert_int_equal(m->info_content_case,
	                 ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_EVINFO);
	assert_int_equal(m->evinfo->expire_time->seconds, 1733402905);
	assert_int_equal(m->evinfo->expire_time->nanos, 0);
	assert_int_equal(m->evinfo->started_time->seconds, 1733399305);
	assert_int_equal(m->evinfo->started_time->nanos, 873489712);
	assert_int_equal(m->evinfo->count_dev, 7);
	assert_int_equal(m->evinfo->count_app, 2);
	assert_int_equal(m->evinfo->count_ext, 1);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	free(out);

	s.expire_on = (uint64_t)INT64_MAX + 1;
	assert_ev_err(ag_report_edgeview(UUID, &s, 0, 0, &out, &len), EV_ERR_REPORT_FIELD);
	assert_ev_err(ag_report_edgeview(NULL, &s, 0, 0, &out, &len), EV_ERR_INVALID_ARG);
}

static void
test_metrics(void **state)
{
	struct ag_sysinfo *si = fake_sys();
	struct ag_url_stats urls[] = {
	        {"/api/v2/edgedevice/id/" UUID "/config", 10, 1000, 9, 900, 9, 5000, 1234, 2},
	        {"/api/v2/edgedevice/id/" UUID "/info", 3, 300, 3, 300, 3, 0, 50, 0},
	};
	struct ag_ctrl_stats ctrl = {"eth0", 1, 12, 0, 1733399000, 1733399300, urls, 2};
	struct ag_agent_health h;
	struct ag_metric_item items[AG_AGENT_ITEMS + 3];
	struct ag_metrics in;
	Org__Lfedge__Eve__Metrics__DeviceMetric *dm;
	ZMetricMsg *m;
	uint8_t *out = NULL;
	size_t len = 0, n, i;
	uint64_t ns = 1000000000u / (uint64_t)sysconf(_SC_CLK_TCK);

	(void)state;
	memset(&h, 0, sizeof(h));
	h.have_config_age = true;
	h.config_age_s = 42;
	h.clock_synced = true;
	h.spool_entries = 3;
	h.spool_dropped = 1;
	h.edgeview_active = true;
	n = ag_report_agent_items(&h, items, EV_ARRAY_LEN(items));
	assert_int_equal(n, 9); /* no skew */
	items[n].key = "custom.float";
	items[n].type = AG_MI_GAUGE;
	items[n].kind = AG_MI_FLOAT;
	items[n++].v.f = 1.5f;
	items[n].key = "custom.str";
	items[n].type = AG_MI_OTHER;
	items[n].kind = AG_MI_STRING;
	items[n++].v.s = "ok";
	items[n].key = "custom.u32";
	items[n].type = AG_MI_COUNTER;
	items[n].kind = AG_MI_U32;
	items[n++].v.u32 = 7;

	memset(&in, 0, sizeof(in));
	in.dev_id = UUID;
	in.at_sec = 1733399305;
	in.sys = si;
	in.ctrl = &ctrl;
	in.nctrl = 1;
	in.items = items;
	in.nitems = n;
	in.dormant_time_s = 180;
	in.last_received_config = 1733399290;
	in.last_processed_config = 1733399100;
	assert_ev_ok(ag_report_metrics(&in, &out, &len));
	m = org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, len, out);
	assert_non_null(m);
	assert_string_equal(m->devid, UUID);
	assert_int_equal(m->attimestamp->seconds, 1733399305);
	assert_int_equal(m->metric_content_case,
	                 ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM);
	dm = m->dm;
	assert_int_equal(dm->memory->usedmem, 7975 - 3987);
	assert_int_equal(dm->memory->availmem, 3987);
	assert_true(dm->memory->usedpercentage > 50.0 && dm->memory->usedpercentage < 50.1);
	assert_true(dm->memory->usedpercentage + dm->memory->availpercentage == 100.0);
	assert_int_equal(dm->devicememory->memorymb, 7975);
	/* network: both interfaces have counters */
	assert_int_equal(dm->n_network, 2);
	assert_string_equal(dm->network[0]->iname, "eth0");
	assert_string_equal(dm->network[0]->localname, "eth0");
	assert_int_equal(dm->network[0]->rxbytes, 123456789);
	assert_int_equal(dm->network[0]->txbytes, 987654321);
	assert_int_equal(dm->network[0]->rxpkts, 98765);
	assert_int_equal(dm->network[0]->txpkts, 56789);
	assert_int_equal(dm->network[0]->rxerrors, 1);
	assert_int_equal(dm->network[0]->rxdrops, 2);
	assert_int_equal(dm->network[0]->txerrors, 3);
	assert_int_equal(dm->network[0]->txdrops, 4);
	/* disks: the two mounts, then sda's I/O */
	assert_int_equal(dm->n_disk, 3);
	assert_string_equal(dm->disk[0]->mountpath, "/");
	assert_true(dm->disk[0]->total >= dm->disk[0]->used);
	assert_string_equal(dm->disk[2]->disk, "sda");
	assert_int_equal(dm->disk[2]->readbytes, 200);
	assert_int_equal(dm->disk[2]->writebytes, 100);
	assert_int_equal(dm->disk[2]->readcount, 5000);
	assert_int_equal(dm->disk[2]->writecount, 2000);
	assert_int_equal(dm->disk[2]->total, 2048);
	/* cpu: EVE's uptime-as-a-timestamp quirk */
	assert_int_equal(dm->cpumetric->uptime->seconds, 12345);
	assert_int_equal(dm->cpumetric->total_ns, 1710 * ns);
	assert_int_equal(dm->cpumetric->total, 1710 * ns / 1000000000u);
	/* controller connectivity */
	assert_int_equal(dm->n_zedcloud, 1);
	assert_string_equal(dm->zedcloud[0]->ifname, "eth0");
	assert_int_equal(dm->zedcloud[0]->failures, 1);
	assert_int_equal(dm->zedcloud[0]->success, 12);
	assert_int_equal(dm->zedcloud[0]->lastfailure->seconds, 1733399000);
	assert_int_equal(dm->zedcloud[0]->lastsuccess->seconds, 1733399300);
	assert_int_equal(dm->zedcloud[0]->n_urlmetrics, 2);
	assert_string_equal(dm->zedcloud[0]->urlmetrics[0]->url,
	                    "/api/v2/edgedevice/id/" UUID "/config");
	assert_int_equal(dm->zedcloud[0]->urlmetrics[0]->trymsgcount, 10);
	assert_int_equal(dm->zedcloud[0]->urlmetrics[0]->recvbytecount, 5000);
	assert_int_equal(dm->zedcloud[0]->urlmetrics[0]->total_time_spent, 1234);
	assert_int_equal(dm->zedcloud[0]->urlmetrics[0]->sess_resume_count, 2);
	/* items */
	assert_int_equal(dm->n_metricitems, n);
	assert_string_equal(dm->metricitems[0]->key, "agent.config.age_s");
	assert_int_equal(dm->metricitems[0]->type,
	                 ORG__LFEDGE__EVE__METRICS__METRIC_ITEM_TYPE__MetricItemGauge);
	assert_int_equal(dm->metricitems[0]->metric_item_value_case,
	                 ORG__LFEDGE__EVE__METRICS__METRIC_ITEM__METRIC_ITEM_VALUE_UINT64_VALUE);
	assert_int_equal(dm->metricitems[0]->uint64value, 42);
	assert_string_equal(dm->metricitems[1]->key, "agent.clock.synced");
	assert_true(dm->metricitems[1]->boolvalue);
	for (i = 0; i < n; i++)
		assert_string_equal(dm->metricitems[i]->key, items[i].key);
	assert_true(dm->metricitems[n - 3]->floatvalue == 1.5f);
	assert_string_equal(dm->metricitems[n - 2]->stringvalue, "ok");
	assert_int_equal(dm->metricitems[n - 1]->uint32value, 7);
	assert_int_equal(dm->dormant_time_in_seconds, 180);
	assert_int_equal(dm->last_received_config->seconds, 1733399290);
	assert_int_equal(dm->last_processed_config->seconds, 1733399100);
	org__lfedge__eve__metrics__zmetric_msg__free_unpacked(m, NULL);
	free(out);

	/* bad items */
	items[0].kind = (enum ag_mi_kind)9;
	assert_ev_err(ag_report_metrics(&in, &out, &len), EV_ERR_INVALID_ARG);
	items[0].kind = AG_MI_U64;
	items[0].key = NULL;
	assert_ev_err(ag_report_metrics(&in, &out, &len), EV_ERR_INVALID_ARG);

	/* no host facts, nothing else: still a valid message */
	memset(&in, 0, sizeof(in));
	in.dev_id = UUID;
	assert_ev_ok(ag_report_metrics(&in, &out, &len));
	m = org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, len, out);
	assert_non_null(m);
	assert_null(m->dm->memory);
	assert_null(m->dm->cpumetric);
	assert_null(m->dm->last_received_config);
	org__lfedge__eve__metrics__zmetric_msg__free_unpacked(m, NULL);
	free(out);
	ag_sysinfo_free(si);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_device_info),
	        cmocka_unit_test(test_edgeview_info),
	        cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
