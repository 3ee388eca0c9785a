/* net_nl.c - rtnetlink dumps with libmnl, and their text (see net_nl.h). */
#include "net_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev_err.h"

/* Receive buffer: big enough for any single netlink datagram of a dump. */
#define NL_RECV_BUF 32768

/* A growing array the dump callbacks append to. */
struct vec {
	void *items;
	size_t n, cap, size;
	int err;
};

static void *
vec_add(struct vec *v)
{
	void *p;

	if (v->n == v->cap) {
		size_t nc = v->cap == 0 ? 64 : v->cap * 2;
		if (v->n >= NET_NL_MAX_ENTRIES) {
			v->err = EV_ERR_TOO_BIG;
			return NULL;
		}
		if ((p = reallocarray(v->items, nc, v->size)) == NULL) {
			v->err = EV_ERR_NOMEM;
			return NULL;
		}
		v->items = p;
		v->cap = nc;
	}
	p = (char *)v->items + v->n * v->size;
	memset(p, 0, v->size);
	v->n++;
	return p;
}

int
net_nl_dump(int bus, uint16_t type, const void *hdr, size_t hdrlen, mnl_cb_t cb, void *data,
            const int *cb_err)
{
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	char *buf = NULL;
	unsigned seq, portid;
	ssize_t got;
	int r, cr;

	if ((buf = malloc(NL_RECV_BUF)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = (unsigned)time(NULL);
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdrlen), hdr, hdrlen);
	if ((nl = mnl_socket_open(bus)) == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = EV_ERR_IO;
		goto out;
	}
	for (;;) {
		if ((got = mnl_socket_recvfrom(nl, buf, NL_RECV_BUF)) <= 0) {
			r = EV_ERR_IO;
			goto out;
		}
		cr = mnl_cb_run(buf, (size_t)got, seq, portid, cb, data);
		if (*cb_err != 0) {
			r = *cb_err;
			goto out;
		}
		if (cr == MNL_CB_STOP)
			break;
		if (cr == MNL_CB_ERROR) {
			r = EV_ERR_IO;
			goto out;
		}
	}
	r = 0;
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	free(buf);
	return r;
}

static int
nl_dump(uint16_t type, const void *hdr, size_t hdrlen, mnl_cb_t cb, struct vec *v)
{
	return net_nl_dump(NETLINK_ROUTE, type, hdr, hdrlen, cb, v, &v->err);
}

static uint32_t
attr_u32(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : 0;
}

/* Copy an IPv4 address attribute; false when it has the wrong size. */
static bool
attr_in4(const struct nlattr *a, struct in_addr *out)
{
	if (mnl_attr_get_payload_len(a) != sizeof(*out))
		return false;
	memcpy(out, mnl_attr_get_payload(a), sizeof(*out));
	return true;
}

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vec *v = data;
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct net_route *r;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rm) ||
	    rm->rtm_family != AF_INET)
		return MNL_CB_OK;
	if ((r = vec_add(v)) == NULL)
		return MNL_CB_ERROR;
	r->table = rm->rtm_table;
	r->dst_len = rm->rtm_dst_len;
	r->flags = rm->rtm_flags;
	r->type = rm->rtm_type;
	mnl_attr_for_each(a, nlh, sizeof(*rm))
	{
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE: r->table = attr_u32(a); break;
		case RTA_DST: r->has_dst = attr_in4(a, &r->dst); break;
		case RTA_PREFSRC: r->has_src = attr_in4(a, &r->src); break;
		case RTA_GATEWAY: r->has_gw = attr_in4(a, &r->gw); break;
		case RTA_OIF: r->ifindex = (int)attr_u32(a); break;
		case RTA_FLOW: r->realm = attr_u32(a); break;
		default: break;
		}
	}
	/* A 0.0.0.0/0 destination is written <nil>, as Go does for the default route. */
	if (r->dst_len == 0)
		r->has_dst = false;
	return MNL_CB_OK;
}

static int
rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vec *v = data;
	const struct fib_rule_hdr *fh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct net_rule *r;

	if (nlh->nlmsg_type != RTM_NEWRULE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*fh) ||
	    fh->family != AF_INET)
		return MNL_CB_OK;
	if ((r = vec_add(v)) == NULL)
		return MNL_CB_ERROR;
	r->table = fh->table;
	r->action = fh->action;
	r->src_len = fh->src_len;
	r->dst_len = fh->dst_len;
	mnl_attr_for_each(a, nlh, sizeof(*fh))
	{
		switch (mnl_attr_get_type(a)) {
		case FRA_TABLE: r->table = attr_u32(a); break;
		case FRA_PRIORITY: r->prio = attr_u32(a); break;
		case FRA_SRC:
			if (!attr_in4(a, &r->src))
				r->src_len = 0;
			break;
		case FRA_DST:
			if (!attr_in4(a, &r->dst))
				r->dst_len = 0;
			break;
		default: break;
		}
	}
	return MNL_CB_OK;
}

static int
neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vec *v = data;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct net_neigh *nb;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || mnl_nlmsg_get_payload_len(nlh) < sizeof(*nd) ||
	    nd->ndm_family != AF_INET)
		return MNL_CB_OK;
	/* /proc/net/arp (what busybox arp reads) leaves NOARP entries out too. */
	if (nd->ndm_state & NUD_NOARP)
		return MNL_CB_OK;
	if ((nb = vec_add(v)) == NULL)
		return MNL_CB_ERROR;
	nb->ifindex = nd->ndm_ifindex;
	nb->state = nd->ndm_state;
	mnl_attr_for_each(a, nlh, sizeof(*nd))
	{
		size_t l = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case NDA_DST: (void)attr_in4(a, &nb->ip); break;
		case NDA_LLADDR:
			if (l <= sizeof(nb->lladdr)) {
				memcpy(nb->lladdr, mnl_attr_get_payload(a), l);
				nb->lllen = l;
			}
			break;
		default: break;
		}
	}
	return MNL_CB_OK;
}

static int
dump_into(uint16_t type, const void *hdr, size_t hdrlen, mnl_cb_t cb, size_t size, void **out,
          size_t *n)
{
	struct vec v = {NULL, 0, 0, size, 0};
	int r;

	*out = NULL;
	*n = 0;
	if ((r = nl_dump(type, hdr, hdrlen, cb, &v)) != 0) {
		free(v.items);
		return r;
	}
	*out = v.items;
	*n = v.n;
	return 0;
}

int
net_nl_routes(struct net_route **out, size_t *n)
{
	struct rtmsg rm = {.rtm_family = AF_INET};
	void *p = NULL;
	int r;

	*out = NULL;
	r = dump_into(RTM_GETROUTE, &rm, sizeof(rm), route_cb, sizeof(**out), &p, n);
	*out = p;
	return r;
}

int
net_nl_rules(struct net_rule **out, size_t *n)
{
	struct fib_rule_hdr fh = {.family = AF_INET};
	void *p = NULL;
	int r;

	*out = NULL;
	r = dump_into(RTM_GETRULE, &fh, sizeof(fh), rule_cb, sizeof(**out), &p, n);
	*out = p;
	return r;
}

int
net_nl_neighs(struct net_neigh **out, size_t *n)
{
	struct ndmsg nd = {.ndm_family = AF_INET};
	void *p = NULL;
	int r;

	*out = NULL;
	r = dump_into(RTM_GETNEIGH, &nd, sizeof(nd), neigh_cb, sizeof(**out), &p, n);
	*out = p;
	return r;
}

static void
ip_or_nil(bool has, const struct in_addr *a, char *buf, size_t cap)
{
	if (!has || inet_ntop(AF_INET, a, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "<nil>");
}

void
net_fmt_route(const struct net_route *r, char *out, size_t cap)
{
	char dst[INET_ADDRSTRLEN + 4], src[INET_ADDRSTRLEN + 8], gw[INET_ADDRSTRLEN + 8];
	char flags[64] = "";

	if (r->has_dst) {
		char ip[INET_ADDRSTRLEN];
		ip_or_nil(true, &r->dst, ip, sizeof(ip));
		snprintf(dst, sizeof(dst), "%s/%u", ip, r->dst_len);
	} else {
		snprintf(dst, sizeof(dst), "<nil>");
	}
	ip_or_nil(r->has_src, &r->src, src, sizeof(src));
	ip_or_nil(r->has_gw, &r->gw, gw, sizeof(gw));
	if (r->flags & RTNH_F_ONLINK)
		snprintf(flags, sizeof(flags), "onlink");
	if (r->flags & RTNH_F_PERVASIVE)
		snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%spervasive",
		         flags[0] != '\0' ? " " : "");
	snprintf(out, cap, "{Ifindex: %d Dst: %s Src: %s Gw: %s Flags: [%s] Table: %u Realm: %u}",
	         r->ifindex, dst, src, gw, flags, r->table, r->realm);
}

static const char *
rule_action(uint8_t action)
{
	/* FR_ACT_* numbers, named as Go's netlink names the equal RTN_* types. */
	switch (action) {
	case FR_ACT_TO_TBL: return "unicast";
	case FR_ACT_GOTO: return "goto";
	case FR_ACT_NOP: return "nop";
	case FR_ACT_BLACKHOLE: return "blackhole";
	case FR_ACT_UNREACHABLE: return "unreachable";
	case FR_ACT_PROHIBIT: return "prohibit";
	default: return "unspec";
	}
}

static void
prefix_or_all(uint8_t len, const struct in_addr *a, char *buf, size_t cap)
{
	char ip[INET_ADDRSTRLEN];

	if (len == 0 || inet_ntop(AF_INET, a, ip, sizeof(ip)) == NULL)
		snprintf(buf, cap, "all");
	else
		snprintf(buf, cap, "%s/%u", ip, len);
}

void
net_fmt_rule(const struct net_rule *r, char *out, size_t cap)
{
	char src[INET_ADDRSTRLEN + 4], dst[INET_ADDRSTRLEN + 4];

	prefix_or_all(r->src_len, &r->src, src, sizeof(src));
	prefix_or_all(r->dst_len, &r->dst, dst, sizeof(dst));
	snprintf(out, cap, "%u: table %u, ip rule %u: from %s to %s table %u %s", r->prio, r->table,
	         r->prio, src, dst, r->table, rule_action(r->action));
}

void
net_fmt_neigh(const struct net_neigh *nb, const char *ifname, char *out, size_t cap)
{
	char ip[INET_ADDRSTRLEN], hw[3 * sizeof(nb->lladdr)] = "";
	bool complete =
	        (nb->state & (NUD_PERMANENT | NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE)) !=
	                0 &&
	        nb->lllen > 0;

	if (inet_ntop(AF_INET, &nb->ip, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	for (size_t i = 0, pos = 0; complete && i < nb->lllen; i++, pos = strlen(hw))
		snprintf(hw + pos, sizeof(hw) - pos, i == 0 ? "%02x" : ":%02x", nb->lladdr[i]);
	if (!complete)
		snprintf(out, cap, "? (%s) at <incomplete>  on %s", ip, ifname);
	else
		snprintf(out, cap, "? (%s) at %s [ether] %son %s", ip, hw,
		         (nb->state & NUD_PERMANENT) ? "PERM " : " ", ifname);
}

void
net_flag_words(unsigned ifflags, char *out, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *word;
	} w[] = {{IFF_UP, "up"},
	         {IFF_BROADCAST, "broadcast"},
	         {IFF_LOOPBACK, "loopback"},
	         {IFF_POINTOPOINT, "pointtopoint"},
	         {IFF_MULTICAST, "multicast"},
	         {IFF_RUNNING, "running"}};
	size_t pos = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < EV_ARRAY_LEN(w); i++) {
		int k;
		if (!(ifflags & w[i].bit))
			continue;
		k = snprintf(out + pos, cap - pos, "%s%s", pos > 0 ? "|" : "", w[i].word);
		if (k < 0 || (size_t)k >= cap - pos) {
			out[pos] = '\0'; /* whole words only */
			return;
		}
		pos += (size_t)k;
	}
	if (pos == 0)
		snprintf(out, cap, "0");
}

const char *
net_table_suffix(uint32_t table)
{
	switch (table) {
	case RT_TABLE_DEFAULT: return " (default)";
	case RT_TABLE_MAIN: return " (main)";
	case RT_TABLE_LOCAL: return " (local)";
	default: return "";
	}
}
