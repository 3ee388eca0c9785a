/* report_info.c - ZInfoMsg for the device and for Edge-View (see report.h). */
#include "report.h"

#include <string.h>

#include "ev_err.h"
#include "ev_status.h"
#include "info/info.pb-c.h"
#include "report_pb.h"
#include "sysinfo.h"

typedef Org__Lfedge__Eve__Info__ZInfoMsg ZInfoMsg;
typedef Org__Lfedge__Eve__Info__ZInfoDevice ZInfoDevice;
typedef Org__Lfedge__Eve__Info__ZInfoEdgeview ZInfoEdgeview;
typedef Org__Lfedge__Eve__Info__ZInfoStorage ZInfoStorage;
typedef Org__Lfedge__Eve__Info__ZInfoDevSW ZInfoDevSW;
typedef Org__Lfedge__Eve__Info__ZInfoDNS ZInfoDNS;
typedef Org__Lfedge__Eve__Info__ZInfoManufacturer ZInfoManufacturer;
typedef Org__Lfedge__Eve__Info__SecurityInfo SecurityInfo;
typedef Org__Lfedge__Eve__Info__ZInfoConfigItem ZInfoConfigItem;
typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus ZInfoConfigItemStatus;
typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry ConfigItemsEntry;
typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__UnknownConfigItemsEntry UnknownEntry;
typedef Org__Lfedge__Eve__Info__AttestationInfo AttestationInfo;
typedef Org__Lfedge__Eve__Info__ErrorInfo ErrorInfo;
typedef Org__Lfedge__Eve__Info__SystemAdapterInfo SystemAdapterInfo;
typedef Org__Lfedge__Eve__Info__DevicePortStatus DevicePortStatus;
typedef Org__Lfedge__Eve__Info__DevicePort DevicePort;

#define MB (1024u * 1024u)

/* EVE's base.RoundToMbytes */
static uint64_t
round_mb(uint64_t bytes)
{
	return bytes / MB + (bytes % MB >= MB / 2 ? 1 : 0);
}

static void
header(struct pbx *a, ZInfoMsg *m, int ztype, const char *dev_id, int64_t sec, int32_t nsec)
{
	org__lfedge__eve__info__zinfo_msg__init(m);
	m->ztype = (Org__Lfedge__Eve__Info__ZInfoTypes)ztype;
	m->devid = pbx_str(a, dev_id, AG_REPORT_MAX_STR);
	if (sec == 0 && nsec == 0)
		pbx_now(&sec, &nsec);
	m->attimestamp = pbx_ts(a, sec, nsec);
}

static void
add_storage(struct pbx *a, ZInfoDevice *d, const struct ag_sysinfo *si)
{
	size_t i, n = si->nfs + si->ndisks;
	ZInfoStorage **l;
	bool have_persist = false;

	if ((l = pbx_array(a, n, sizeof(*l))) == NULL)
		return;
	for (i = 0; i < si->nfs; i++)
		have_persist |= strcmp(si->fs[i].path, "/persist") == 0;
	for (i = 0; i < n; i++) {
		ZInfoStorage *s = pbx_alloc(a, sizeof(*s));

		if (s == NULL)
			return;
		org__lfedge__eve__info__zinfo_storage__init(s);
		if (i < si->nfs) {
			const struct ag_fs *f = &si->fs[i];
			bool persist = strcmp(f->path, "/persist") == 0;

			s->mountpath = pbx_str(a, f->path, AG_REPORT_MAX_STR);
			s->total = round_mb(f->total);
			s->storagelocation = persist;
			/* EVE counts /persist only */
			if (persist || !have_persist)
				d->storage += s->total;
		} else {
			const struct ag_disk *k = &si->disks[i - si->nfs];

			s->device = pbx_str(a, k->name, AG_REPORT_MAX_STR);
			s->total = round_mb(k->size);
		}
		l[i] = s;
	}
	d->storagelist = l;
	d->n_storagelist = n;
}

static void
add_dns(struct pbx *a, ZInfoDevice *d, const struct ag_sysinfo *si)
{
	ZInfoDNS *dns;
	size_t i;

	if (!si->have_dns || (dns = pbx_alloc(a, sizeof(*dns))) == NULL)
		return;
	org__lfedge__eve__info__zinfo_dns__init(dns);
	dns->dnsservers = pbx_array(a, si->n_dns_servers, sizeof(char *));
	for (i = 0; dns->dnsservers != NULL && i < si->n_dns_servers; i++)
		dns->dnsservers[i] = pbx_str(a, si->dns_servers[i], AG_REPORT_MAX_STR);
	dns->n_dnsservers = dns->dnsservers != NULL ? si->n_dns_servers : 0;
	dns->dnssearch = pbx_array(a, si->n_dns_search, sizeof(char *));
	for (i = 0; dns->dnssearch != NULL && i < si->n_dns_search; i++)
		dns->dnssearch[i] = pbx_str(a, si->dns_search[i], AG_REPORT_MAX_STR);
	dns->n_dnssearch = dns->dnssearch != NULL ? si->n_dns_search : 0;
	d->dns = dns;
}

static void
add_minfo(struct pbx *a, ZInfoDevice *d, const struct ag_sysinfo *si)
{
	ZInfoManufacturer *mi;

	if ((mi = pbx_alloc(a, sizeof(*mi))) == NULL)
		return;
	org__lfedge__eve__info__zinfo_manufacturer__init(mi);
	mi->manufacturer = pbx_str(a, si->manufacturer, AG_REPORT_MAX_STR);
	mi->productname = pbx_str(a, si->product_name, AG_REPORT_MAX_STR);
	mi->version = pbx_str(a, si->product_version, AG_REPORT_MAX_STR);
	mi->serialnumber = pbx_str(a, si->product_serial, AG_REPORT_MAX_STR);
	mi->uuid = pbx_str(a, si->product_uuid, AG_REPORT_MAX_STR);
	mi->compatible = pbx_str(a, si->compatible, AG_REPORT_MAX_STR);
	mi->biosvendor = pbx_str(a, si->bios_vendor, AG_REPORT_MAX_STR);
	mi->biosversion = pbx_str(a, si->bios_version, AG_REPORT_MAX_STR);
	mi->biosreleasedate = pbx_str(a, si->bios_date, AG_REPORT_MAX_STR);
	d->minfo = mi;
}

static bool
is_mgmt(const char *const *mgmt, const char *name)
{
	for (; mgmt != NULL && *mgmt != NULL; mgmt++)
		if (strcmp(*mgmt, name) == 0)
			return true;
	return false;
}

static void
add_ports(struct pbx *a, ZInfoDevice *d, const struct ag_sysinfo *si, const char *const *mgmt)
{
	SystemAdapterInfo *sa;
	DevicePortStatus *st, **stl;
	DevicePort **pl;
	size_t i, j;

	if ((sa = pbx_alloc(a, sizeof(*sa))) == NULL || (st = pbx_alloc(a, sizeof(*st))) == NULL ||
	    (stl = pbx_array(a, 1, sizeof(*stl))) == NULL)
		return;
	org__lfedge__eve__info__system_adapter_info__init(sa);
	org__lfedge__eve__info__device_port_status__init(st);
	pl = pbx_array(a, si->nifs, sizeof(*pl));
	for (i = 0; pl != NULL && i < si->nifs; i++) {
		const struct ag_netif *ni = &si->ifs[i];
		DevicePort *p = pbx_alloc(a, sizeof(*p));

		if (p == NULL)
			return;
		org__lfedge__eve__info__device_port__init(p);
		p->ifname = pbx_str(a, ni->name, AG_REPORT_MAX_STR);
		p->name = pbx_str(a, ni->name, AG_REPORT_MAX_STR);
		p->ismgmt = is_mgmt(mgmt, ni->name);
		p->macaddr = pbx_str(a, ni->mac, AG_REPORT_MAX_STR);
		p->up = ni->up;
		p->mtu = ni->mtu;
		if ((p->ipaddrs = pbx_array(a, ni->naddrs, sizeof(char *))) != NULL) {
			for (j = 0; j < ni->naddrs; j++)
				p->ipaddrs[j] = pbx_str(a, ni->addrs[j], AG_REPORT_MAX_STR);
			p->n_ipaddrs = ni->naddrs;
		}
		pl[i] = p;
	}
	st->ports = pl;
	st->n_ports = pl != NULL ? si->nifs : 0;
	stl[0] = st;
	sa->status = stl;
	sa->n_status = 1;
	d->systemadapter = sa;
}

static bool
add_config_items(struct pbx *a, ZInfoDevice *d, const struct ag_device_info *in)
{
	ZInfoConfigItemStatus *cs;
	size_t i;

	if (in->n_config_items == 0 && in->n_unknown_config_items == 0)
		return true;
	if ((in->n_config_items > 0 && in->config_items == NULL) ||
	    (in->n_unknown_config_items > 0 && in->unknown_config_items == NULL) ||
	    in->n_config_items > AG_REPORT_MAX_LIST ||
	    in->n_unknown_config_items > AG_REPORT_MAX_LIST)
		return false;
	if ((cs = pbx_alloc(a, sizeof(*cs))) == NULL)
		return true;
	org__lfedge__eve__info__zinfo_config_item_status__init(cs);
	cs->configitems = pbx_array(a, in->n_config_items, sizeof(*cs->configitems));
	for (i = 0; cs->configitems != NULL && i < in->n_config_items; i++) {
		ConfigItemsEntry *e = pbx_alloc(a, sizeof(*e));
		ZInfoConfigItem *v = pbx_alloc(a, sizeof(*v));

		if (e == NULL || v == NULL)
			return true;
		org__lfedge__eve__info__zinfo_config_item_status__config_items_entry__init(e);
		org__lfedge__eve__info__zinfo_config_item__init(v);
		e->key = pbx_str(a, in->config_items[i].key, AG_REPORT_MAX_STR);
		v->value = pbx_str(a, in->config_items[i].value, AG_REPORT_MAX_STR);
		v->error = pbx_str(a, in->config_items[i].error, AG_REPORT_MAX_STR);
		e->value = v;
		cs->configitems[i] = e;
		cs->n_configitems = i + 1;
	}
	cs->unknownconfigitems =
	        pbx_array(a, in->n_unknown_config_items, sizeof(*cs->unknownconfigitems));
	for (i = 0; cs->unknownconfigitems != NULL && i < in->n_unknown_config_items; i++) {
		UnknownEntry *e = pbx_alloc(a, sizeof(*e));
		ZInfoConfigItem *v = pbx_alloc(a, sizeof(*v));

		if (e == NULL || v == NULL)
			return true;
		org__lfedge__eve__info__zinfo_config_item_status__unknown_config_items_entry__init(
		        e);
		org__lfedge__eve__info__zinfo_config_item__init(v);
		e->key = pbx_str(a, in->unknown_config_items[i].key, AG_REPORT_MAX_STR);
		v->value = pbx_str(a, in->unknown_config_items[i].value, AG_REPORT_MAX_STR);
		v->error = pbx_str(a, in->unknown_config_items[i].error, AG_REPORT_MAX_STR);
		e->value = v;
		cs->unknownconfigitems[i] = e;
		cs->n_unknownconfigitems = i + 1;
	}
	d->configitemstatus = cs;
	return true;
}

static void
add_sw(struct pbx *a, ZInfoDevice *d, const struct ag_device_info *in)
{
	ZInfoDevSW *sw, **l;

	if ((sw = pbx_alloc(a, sizeof(*sw))) == NULL || (l = pbx_array(a, 1, sizeof(*l))) == NULL)
		return;
	org__lfedge__eve__info__zinfo_dev_sw__init(sw);
	sw->activated = true;
	sw->partitionlabel = pbx_str(a, in->partition_label != NULL ? in->partition_label : "IMGA",
	                             AG_REPORT_MAX_STR);
	sw->partitionstate = pbx_str(a, "active", AG_REPORT_MAX_STR);
	sw->status = ORG__LFEDGE__EVE__INFO__ZSW_STATE__INSTALLED;
	sw->shortversion = pbx_str(a, in->sw_version, AG_REPORT_MAX_STR);
	sw->longversion = pbx_str(a, in->sw_long_version, AG_REPORT_MAX_STR);
	sw->downloadprogress = 100;
	sw->userstatus = ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__UPDATED;
	l[0] = sw;
	d->swlist = l;
	d->n_swlist = 1;
}

static void
add_sys(struct pbx *a, ZInfoDevice *d, const struct ag_device_info *in)
{
	const struct ag_sysinfo *si = in->sys;
	SecurityInfo *sec;

	if (si == NULL)
		return;
	d->machinearch = pbx_str(a, si->machine, AG_REPORT_MAX_STR);
	d->cpuarch = pbx_str(a, si->machine, AG_REPORT_MAX_STR);
	d->platform = pbx_str(a, si->machine, AG_REPORT_MAX_STR);
	if (si->have_ncpu)
		d->ncpu = si->ncpu;
	if (si->have_mem)
		d->memory = si->mem_total_kb / 1024;
	add_storage(a, d, si);
	add_dns(a, d, si);
	add_minfo(a, d, si);
	if (si->have_boot_time)
		d->boottime = pbx_ts(a, si->boot_time, 0);
	d->hostname = pbx_str(a, si->hostname, AG_REPORT_MAX_STR);
	if (si->have_sha_root_ca && (sec = pbx_alloc(a, sizeof(*sec))) != NULL) {
		uint8_t *h = pbx_alloc(a, sizeof(si->sha_root_ca));

		org__lfedge__eve__info__security_info__init(sec);
		if (h != NULL) {
			memcpy(h, si->sha_root_ca, sizeof(si->sha_root_ca));
			sec->sha_root_ca.data = h;
			sec->sha_root_ca.len = sizeof(si->sha_root_ca);
		}
		d->sec_info = sec;
	}
	if (in->with_ports)
		add_ports(a, d, si, in->mgmt_ports);
}

int
ag_report_device_info(const struct ag_device_info *in, uint8_t **out, size_t *outlen)
{
	struct pbx a = {0};
	ZInfoMsg m;
	ZInfoDevice *d;
	int r;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL || out == NULL || outlen == NULL || in->dev_id == NULL ||
	    in->dev_id[0] == '\0' || in->at_nsec < 0 || in->at_nsec > 999999999)
		return EV_ERR_INVALID_ARG;
	header(&a, &m, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice, in->dev_id, in->at_sec,
	       in->at_nsec);
	if ((d = pbx_alloc(&a, sizeof(*d))) == NULL) {
		r = a.err;
		goto out;
	}
	org__lfedge__eve__info__zinfo_device__init(d);
	add_sys(&a, d, in);
	d->powercyclecounter = in->have_power_cycle_counter ? in->power_cycle_counter : -1;
	add_sw(&a, d, in);
	d->lastrebootreason = pbx_str(&a, in->last_reboot_reason, AG_REPORT_MAX_STR);
	if (in->last_reboot_time != 0)
		d->lastreboottime = pbx_ts(&a, in->last_reboot_time, 0);
	d->restartcounter = in->restart_counter;
	d->hsmstatus = (Org__Lfedge__Eve__Info__HwSecurityModuleStatus)in->hsm_status;
	d->hsminfo = pbx_str(&a, in->hsm_info, AG_REPORT_MAX_STR);
	if (!add_config_items(&a, d, in)) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	d->rebootconfigcounter = in->reboot_config_counter;
	d->last_boot_reason = (Org__Lfedge__Eve__Info__BootReason)in->last_boot_reason;
	d->maintenance_mode = in->maintenance_mode;
	d->reboot_inprogress = in->reboot_inprogress;
	d->state = (Org__Lfedge__Eve__Info__ZDeviceState)in->state;
	d->shutdown_config_counter = in->shutdown_config_counter;
	if (in->have_attestation) {
		AttestationInfo *ai = pbx_alloc(&a, sizeof(*ai));

		if (ai != NULL) {
			org__lfedge__eve__info__attestation_info__init(ai);
			ai->state = (Org__Lfedge__Eve__Info__AttestationState)in->attestation_state;
			if (in->attestation_error != NULL && in->attestation_error[0] != '\0') {
				ErrorInfo *ei = pbx_alloc(&a, sizeof(*ei));

				if (ei != NULL) {
					org__lfedge__eve__info__error_info__init(ei);
					ei->description = pbx_str(&a, in->attestation_error,
					                          AG_REPORT_MAX_STR);
					ei->severity =
					        ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR;
					ai->error = ei;
				}
			}
			d->attestation_info = ai;
		}
	}
	d->api_capability = (Org__Lfedge__Eve__Info__APICapability)(in->api_capability != 0
	                                                                    ? in->api_capability
	                                                                    : AG_API_CAPABILITY);
	d->remote_access_disabled = in->remote_access_disabled >= 0
	                                    ? in->remote_access_disabled != 0
	                                    : in->sys != NULL && in->sys->remote_access_disabled;
	d->device_name = pbx_str(&a, in->device_name, AG_REPORT_MAX_STR);
	d->enterprise_name = pbx_str(&a, in->enterprise_name, AG_REPORT_MAX_STR);
	d->enterprise_id = pbx_str(&a, in->enterprise_id, AG_REPORT_MAX_STR);
	d->project_name = pbx_str(&a, in->project_name, AG_REPORT_MAX_STR);
	d->project_id = pbx_str(&a, in->project_id, AG_REPORT_MAX_STR);
	if (a.err != 0) {
		r = a.err;
		goto out;
	}
	m.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	m.dinfo = d;
	r = pbx_pack(&m.base, AG_REPORT_MAX, out, outlen);
out:
	pbx_free(&a);
	return r;
}

int
ag_report_edgeview(const char *dev_id, const struct ev_status *st, int64_t at_sec, int32_t at_nsec,
                   uint8_t **out, size_t *outlen)
{
	struct pbx a = {0};
	ZInfoMsg m;
	ZInfoEdgeview *e;
	int r;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (dev_id == NULL || dev_id[0] == '\0' || st == NULL || out == NULL || outlen == NULL ||
	    at_nsec < 0 || at_nsec > 999999999 || st->started_on.nsec < 0 ||
	    st->started_on.nsec > 999999999)
		return EV_ERR_INVALID_ARG;
	/* Go: timestamppb.New(time.Unix(int64(ExpireOn), 0)) */
	if (st->expire_on > INT64_MAX)
		return EV_ERR_REPORT_FIELD;
	header(&a, &m, ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiEdgeview, dev_id, at_sec, at_nsec);
	if ((e = pbx_alloc(&a, sizeof(*e))) != NULL) {
		org__lfedge__eve__info__zinfo_edgeview__init(e);
		e->expire_time = pbx_ts(&a, (int64_t)st->expire_on, 0);
		e->started_time = pbx_ts(&a, st->started_on.sec, st->started_on.nsec);
		e->count_dev = st->cmd_count_dev;
		e->count_app = st->cmd_count_app;
		e->count_ext = st->cmd_count_ext;
	}
	if (a.err != 0) {
		r = a.err;
		goto out;
	}
	m.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_EVINFO;
	m.evinfo = e;
	r = pbx_pack(&m.base, AG_REPORT_MAX, out, outlen);
out:
	pbx_free(&a);
	return r;
}
