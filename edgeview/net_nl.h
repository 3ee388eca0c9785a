/*
 * net_nl.h - rtnetlink dumps (routes, policy rules, neighbours) into plain
 * arrays, and the EVE-shaped text of each entry.  The formatting functions
 * are pure so the unit tests can feed them hand-made entries.
 */
#ifndef EV_NET_NL_H
#define EV_NET_NL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "ev_attr.h"

/* Most entries one dump may return; a bigger table is refused, not cut. */
#define NET_NL_MAX_ENTRIES 100000
/* Room for one formatted entry. */
#define NET_FMT_MAX 512

struct net_route {
	int ifindex;
	uint32_t table;
	uint8_t dst_len;
	bool has_dst, has_src, has_gw;
	struct in_addr dst, src, gw;
	uint32_t flags; /* rtm_flags (RTNH_F_*) */
	uint32_t realm; /* RTA_FLOW */
	uint8_t type;   /* RTN_* */
};

struct net_rule {
	uint32_t prio;
	uint32_t table;
	uint8_t action; /* FR_ACT_* */
	uint8_t src_len, dst_len;
	struct in_addr src, dst;
};

struct net_neigh {
	int ifindex;
	struct in_addr ip;
	uint8_t lladdr[32];
	size_t lllen;
	uint16_t state; /* NUD_* */
};

/* IPv4 dumps; *out is malloc'd (free() it), *n its length. */
/* One netlink dump on bus (NETLINK_ROUTE, NETLINK_SOCK_DIAG): send type with
 * the family header hdr, run cb(data) on every answer; a callback reports
 * its own failure through *cb_err, which ends the dump with that code. */
int net_nl_dump(int bus, uint16_t type, const void *hdr, size_t hdrlen, mnl_cb_t cb, void *data,
                const int *cb_err) EV_WARN_UNUSED;
int net_nl_routes(struct net_route **out, size_t *n) EV_WARN_UNUSED;
int net_nl_rules(struct net_rule **out, size_t *n) EV_WARN_UNUSED;
int net_nl_neighs(struct net_neigh **out, size_t *n) EV_WARN_UNUSED;

/* "{Ifindex: 2 Dst: 10.0.0.0/24 Src: 10.0.0.1 Gw: <nil> Flags: [] Table: 254 Realm: 0}" */
void net_fmt_route(const struct net_route *r, char *out, size_t cap);
/* "100: table 100, ip rule 100: from 10.0.0.0/24 to all table 100 unicast" */
void net_fmt_rule(const struct net_rule *r, char *out, size_t cap);
/* "? (10.0.0.2) at 02:00:00:00:00:01 [ether] PERM on veth0" (busybox arp -a) */
void net_fmt_neigh(const struct net_neigh *nb, const char *ifname, char *out, size_t cap);
/* Go's net.Flags words: "up|broadcast|multicast|running" */
void net_flag_words(unsigned ifflags, char *out, size_t cap);
/* " (main)" etc. for the reserved table numbers, "" otherwise */
const char *net_table_suffix(uint32_t table);

#endif
