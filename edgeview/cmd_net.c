/*
 * cmd_net.c - the table of network commands, and the interface, route and
 * arp commands (commands spec section 2).  The other commands live in
 * net_*.c, one job per file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"
#include "net_nl.h"

/* EVE's port configuration, shown raw by if when present; bigger is cut. */
#define NET_PORTCFG_PATH "/run/zedagent/DevicePortConfig/zedagent.json"
#define NET_PORTCFG_MAX  (256 * 1024)
/* Distinct routing tables listed by route; more are named but not expanded. */
#define NET_ROUTE_TABLES_MAX 256

/* ---- shared helpers ---- */

int
net_parse_seconds(const char *s, long min, long max, long *out)
{
	unsigned long long v;
	char *end;

	*out = 0;
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return EV_ERR_INVALID_ARG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return EV_ERR_INVALID_ARG;
	if (errno == ERANGE || v > (unsigned long long)max || v < (unsigned long long)min)
		return EV_ERR_TIME_RANGE;
	*out = (long)v;
	return 0;
}

int
net_tcpdump_time(const char *timerange, long *secs, bool *clamped)
{
	long v;
	int r;

	*secs = 0;
	*clamped = false;
	if (timerange == NULL || timerange[0] == '\0') {
		*secs = NET_TCPDUMP_DEFAULT_S;
		return 0;
	}
	/* Any positive number is accepted, then cut to the cap as EVE does. */
	r = net_parse_seconds(timerange, 1, 1000000000L, &v);
	if (r == EV_ERR_TIME_RANGE && timerange[0] != '0')
		v = NET_TCPDUMP_MAX_S + 1;
	else if (r != 0)
		return r;
	if (v > NET_TCPDUMP_MAX_S) {
		v = NET_TCPDUMP_MAX_S;
		*clamped = true;
	}
	*secs = v;
	return 0;
}

int
net_tcpdump_args(const char *arg, char *ifname, size_t ifcap, const char **filter)
{
	size_t n;

	*filter = NULL;
	if (ifcap > 0)
		ifname[0] = '\0';
	if (arg == NULL)
		return EV_ERR_INVALID_ARG;
	n = strcspn(arg, "/");
	if (n == 0 || n >= IF_NAMESIZE || n >= ifcap)
		return EV_ERR_INVALID_ARG;
	if (arg[n] == '/' && strlen(arg + n + 1) >= NET_FILTER_MAX)
		return EV_ERR_TOO_BIG;
	memcpy(ifname, arg, n);
	ifname[n] = '\0';
	*filter = arg[n] == '/' ? arg + n + 1 : arg + n;
	return 0;
}

void
net_fmt_duration(int64_t ns, char *out, size_t cap)
{
	static const struct {
		int64_t unit;
		const char *name;
		int digits;
	} u[] = {{1000000000, "s", 9}, {1000000, "ms", 6}, {1000, "µs", 3}};
	int64_t a = ns < 0 ? -ns : ns;

	for (size_t i = 0; i < EV_ARRAY_LEN(u); i++) {
		char frac[16];
		int d = u[i].digits;
		if (a < u[i].unit)
			continue;
		snprintf(frac, sizeof(frac), "%0*lld", d, (long long)(a % u[i].unit));
		while (d > 0 && frac[d - 1] == '0')
			frac[--d] = '\0';
		snprintf(out, cap, "%s%lld%s%s%s", ns < 0 ? "-" : "", (long long)(a / u[i].unit),
		         d > 0 ? "." : "", frac, u[i].name);
		return;
	}
	snprintf(out, cap, "%lldns", (long long)ns);
}

int
net_default_gateways(struct in_addr *gw, int *ifindex, size_t cap, size_t *n)
{
	struct net_route *rt = NULL;
	size_t nrt = 0;
	int r;

	*n = 0;
	if ((r = net_nl_routes(&rt, &nrt)) != 0)
		goto out;
	for (size_t i = 0; i < nrt && *n < cap; i++) {
		if (rt[i].table != 254 || rt[i].dst_len != 0 || !rt[i].has_gw)
			continue;
		gw[*n] = rt[i].gw;
		ifindex[*n] = rt[i].ifindex;
		(*n)++;
	}
	r = 0;
out:
	free(rt);
	return r;
}

int
net_if_ipv4(const char *ifname, struct in_addr *out)
{
	struct ifaddrs *ifa = NULL;
	int r = EV_ERR_NOT_FOUND;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa) != 0)
		return EV_ERR_SYSTEM;
	for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		memcpy(out, &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr,
		       sizeof(*out));
		r = 0;
		break;
	}
	freeifaddrs(ifa);
	return r;
}

/* ---- arp ---- */

/* /proc/net/arp under the root, for when netlink is not available. */
static int
arp_from_proc(struct cmd_ctx *ctx, const char *filter)
{
	char path[4096], line[512];
	FILE *f = NULL;
	int r;

	if ((r = cmd_path(ctx, "/proc/net/arp", path, sizeof(path))) != 0)
		return r;
	if ((f = fopen(path, "re")) == NULL)
		return EV_ERR_NOT_FOUND;
	if (fgets(line, sizeof(line), f) == NULL) /* header */
		goto out;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* IP address, HW type, Flags, HW address, Mask, Device */
		char *fld[6], *p = line, out[NET_FMT_MAX];
		int nf = 0;
		while (nf < 6) {
			p += strspn(p, " \t\n");
			if (*p == '\0')
				break;
			fld[nf++] = p;
			p += strcspn(p, " \t\n");
			if (*p != '\0')
				*p++ = '\0';
		}
		if (nf < 6)
			continue;
		if (strcmp(fld[2], "0x0") == 0)
			snprintf(out, sizeof(out), "? (%s) at <incomplete>  on %s", fld[0], fld[5]);
		else
			snprintf(out, sizeof(out), "? (%s) at %s [ether] %son %s", fld[0], fld[3],
			         strtoul(fld[2], NULL, 16) & 0x4 ? "PERM " : " ", fld[5]);
		if (filter == NULL || strstr(out, filter) != NULL)
			cmd_printf(ctx, "%s\n", out);
	}
out:
	fclose(f);
	return 0;
}

int
net_print_arp(struct cmd_ctx *ctx, const char *filter)
{
	struct net_neigh *nb = NULL;
	size_t n = 0;
	int r;

	if (filter != NULL && filter[0] == '\0')
		filter = NULL;
	if (net_nl_neighs(&nb, &n) != 0) {
		r = arp_from_proc(ctx, filter);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char ifname[IF_NAMESIZE], line[NET_FMT_MAX];
		if (if_indextoname((unsigned)nb[i].ifindex, ifname) == NULL)
			snprintf(ifname, sizeof(ifname), "if%d", nb[i].ifindex);
		net_fmt_neigh(&nb[i], ifname, line, sizeof(line));
		if (filter == NULL || strstr(line, filter) != NULL)
			cmd_printf(ctx, "%s\n", line);
	}
	r = 0;
out:
	free(nb);
	return r;
}

int
net_cmd_arp(struct cmd_ctx *ctx, const char *arg)
{
	int r;

	if ((r = net_print_arp(ctx, arg)) != 0)
		cmd_colour_line(ctx, CMD_RED, "arp: cannot read the neighbour table: %s",
		                ev_strerror(r));
	return r;
}

/* ---- if ---- */

static unsigned
prefix_len(const struct sockaddr *mask)
{
	const unsigned char *b;
	size_t len;
	unsigned n = 0;

	if (mask == NULL)
		return 0;
	if (mask->sa_family == AF_INET) {
		b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)mask)
		            ->sin_addr;
		len = 4;
	} else if (mask->sa_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr.s6_addr;
		len = 16;
	} else {
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(b[i]);
	return n;
}

static void
print_if_addrs(struct cmd_ctx *ctx, struct ifaddrs *all, const char *name, int family)
{
	for (struct ifaddrs *i = all; i != NULL; i = i->ifa_next) {
		char ip[INET6_ADDRSTRLEN], flags[128];
		const void *a;
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		a = family == AF_INET
		            ? (const void *)&((const struct sockaddr_in *)(const void *)i->ifa_addr)
		                      ->sin_addr
		            : (const void *)&(
		                      (const struct sockaddr_in6 *)(const void *)i->ifa_addr)
		                      ->sin6_addr;
		if (inet_ntop(family, a, ip, sizeof(ip)) == NULL)
			continue;
		net_flag_words(i->ifa_flags, flags, sizeof(flags));
		cmd_printf(ctx, "%s: %s/%u %s\n", name, ip, prefix_len(i->ifa_netmask), flags);
	}
}

/* EVE's port configuration, raw, when this is an EVE device (or a fixture). */
static void
print_port_config(struct cmd_ctx *ctx)
{
	char path[4096];
	char *buf = NULL;
	size_t n;
	FILE *f = NULL;

	if (cmd_path(ctx, NET_PORTCFG_PATH, path, sizeof(path)) != 0 ||
	    (f = fopen(path, "re")) == NULL)
		return;
	if ((buf = malloc(NET_PORTCFG_MAX + 1)) == NULL)
		goto out;
	n = fread(buf, 1, NET_PORTCFG_MAX, f);
	buf[n] = '\0';
	cmd_colour_line(ctx, CMD_CYAN, " - device port configure:");
	cmd_printf(ctx, "%s\n", buf);
	if (n == NET_PORTCFG_MAX)
		cmd_printf(ctx, "(cut at %d bytes)\n", NET_PORTCFG_MAX);
out:
	free(buf);
	fclose(f);
}

int
net_cmd_if(struct cmd_ctx *ctx, const char *arg)
{
	struct if_nameindex *names = NULL;
	struct ifaddrs *all = NULL;
	int r;

	if (arg != NULL && arg[0] == '\0')
		arg = NULL;
	if (getifaddrs(&all) != 0 || (names = if_nameindex()) == NULL) {
		cmd_colour_line(ctx, CMD_RED, "if: cannot list interfaces: %s", strerror(errno));
		r = EV_ERR_SYSTEM;
		goto out;
	}
	for (struct if_nameindex *ni = names; ni->if_index != 0; ni++) {
		if (arg != NULL && strstr(ni->if_name, arg) == NULL)
			continue;
		print_if_addrs(ctx, all, ni->if_name, AF_INET);
		print_if_addrs(ctx, all, ni->if_name, AF_INET6);
	}
	cmd_colour_line(ctx, CMD_CYAN, " ip link info:");
	if (net_print_arp(ctx, arg) != 0)
		cmd_colour_line(ctx, CMD_RED, "if: cannot read the neighbour table");
	print_port_config(ctx);
	r = 0;
out:
	if (names != NULL)
		if_freenameindex(names);
	if (all != NULL)
		freeifaddrs(all);
	return r;
}

/* ---- route ---- */

static void
print_routes(struct cmd_ctx *ctx, const struct net_route *rt, size_t n, uint32_t table, int ifindex)
{
	char line[NET_FMT_MAX];

	for (size_t i = 0; i < n; i++) {
		if (rt[i].table != table || (ifindex > 0 && rt[i].ifindex != ifindex))
			continue;
		net_fmt_route(&rt[i], line, sizeof(line));
		cmd_printf(ctx, "%s\n", line);
	}
}

int
net_cmd_route(struct cmd_ctx *ctx, const char *arg)
{
	struct net_route *rt = NULL;
	struct net_rule *ru = NULL;
	struct ifaddrs *all = NULL;
	uint32_t shown[NET_ROUTE_TABLES_MAX];
	size_t nrt = 0, nru = 0, nshown = 0;
	char line[NET_FMT_MAX];
	int r;

	if (arg != NULL && arg[0] == '\0')
		arg = NULL;
	if ((r = net_nl_rules(&ru, &nru)) != 0 || (r = net_nl_routes(&rt, &nrt)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "route: cannot read the routing tables: %s",
		                ev_strerror(r));
		goto out;
	}
	cmd_colour_line(ctx, CMD_RED, " - ip rule:");
	for (size_t i = 0; i < nru; i++) {
		bool seen = false;
		net_fmt_rule(&ru[i], line, sizeof(line));
		cmd_printf(ctx, "\n%s\n", line);
		if (ru[i].table == 0)
			continue;
		for (size_t k = 0; k < nshown; k++)
			seen = seen || shown[k] == ru[i].table;
		if (seen || nshown == NET_ROUTE_TABLES_MAX)
			continue;
		shown[nshown++] = ru[i].table;
		cmd_colour_line(ctx, CMD_CYAN, " routes in table: %u%s", ru[i].table,
		                net_table_suffix(ru[i].table));
		print_routes(ctx, rt, nrt, ru[i].table, 0);
	}
	if (getifaddrs(&all) != 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	cmd_printf(ctx, "\n");
	for (struct ifaddrs *i = all; i != NULL; i = i->ifa_next) {
		unsigned idx;
		/* One heading per interface: its first IPv4 address entry. */
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (arg != NULL && strstr(i->ifa_name, arg) == NULL)
			continue;
		bool first = true;
		for (struct ifaddrs *j = all; j != i; j = j->ifa_next)
			if (j->ifa_addr != NULL && j->ifa_addr->sa_family == AF_INET &&
			    strcmp(j->ifa_name, i->ifa_name) == 0)
				first = false;
		if (!first || (idx = if_nametoindex(i->ifa_name)) == 0)
			continue;
		cmd_colour_line(ctx, CMD_BLUE, "show route in interfaces: %s", i->ifa_name);
		print_routes(ctx, rt, nrt, 254, (int)idx);
	}
	r = 0;
out:
	if (all != NULL)
		freeifaddrs(all);
	free(rt);
	free(ru);
	return r;
}

/* ---- the table ---- */

const struct cmd_def cmd_table_net[] = {
        {"if", CMD_NETWORK, net_cmd_if, "if[/<ifname-substring>]",
         "IPv4 and IPv6 addresses of every interface (or those whose name contains the\n"
         "substring) with their flags, the neighbour table and EVE's port configuration."},
        {"route", CMD_NETWORK, net_cmd_route, "route[/<ifname-substring>]",
         "IPv4 policy rules, the routes of every table they use, then the main-table\n"
         "routes of each up interface (or those whose name contains the substring)."},
        {"arp", CMD_NETWORK, net_cmd_arp, "arp[/<filter>]",
         "The IPv4 neighbour (ARP) table, lines containing the filter text only."},
        {"socket", CMD_NETWORK, net_cmd_socket, "socket",
         "Listening IPv4 TCP and UDP sockets, then established TCP connections, with\n"
         "their owning processes."},
        {"nslookup", CMD_NETWORK, net_cmd_nslookup, "nslookup/<name-or-ip>",
         "Resolve a name with the device's resolver: addresses, canonical name and name\n"
         "servers; for an IP address, its reverse (PTR) name."},
        {"ping", CMD_NETWORK, net_cmd_ping, "ping[/<target>] | ping/<ifname>/<target>",
         "One ICMP echo (200 ms to answer) to the target, from the interface's address in\n"
         "the second form.  With no target, each default gateway of the main table."},
        {"trace", CMD_NETWORK, net_cmd_trace, "trace[/<target>] [-time <seconds>]",
         "Route to the target with UDP probes: 10 hops, 2 probes a hop, 1 s wait; -time\n"
         "is an overall deadline.  With no target, each default gateway."},
        {"tcpdump", CMD_NETWORK, net_cmd_tcpdump,
         "tcpdump/<ifname>/[<pcap filter>] [-time <seconds>]",
         "Capture on the interface for -time seconds (default 60, at most 120) or 100\n"
         "packets, one summary line per packet, e.g. tcpdump/eth0/udp port 53 -time 10."},
};
const size_t cmd_table_net_len = EV_ARRAY_LEN(cmd_table_net);
