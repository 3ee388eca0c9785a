/*
 * net_dns.c - the nslookup command with the device's resolver: addresses
 * from getaddrinfo (so /etc/hosts counts, as in Go), CNAME, NS and PTR
 * records from libresolv.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"

/* DNS answers bigger than this are not read (TCP fallback not needed here). */
#define DNS_ANSWER_MAX 8192
/* Most records of one kind printed. */
#define DNS_MAX_RECORDS 64

/*
 * Query name for records of type and print every answer of that type as
 * "<prefix><name>"; returns how many were printed, or -1 (and *why) when
 * the query failed.
 */
static int
query_names(struct cmd_ctx *ctx, const char *name, int type, const char *prefix, const char **why)
{
	struct __res_state rs;
	unsigned char ans[DNS_ANSWER_MAX];
	ns_msg msg;
	int len, found = 0;

	*why = "";
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0) {
		*why = "resolver not configured";
		return -1;
	}
	/* Bound the wait: 2 s a try, 2 tries, whatever resolv.conf says. */
	rs.retrans = 2;
	rs.retry = 2;
	len = res_nquery(&rs, name, ns_c_in, type, ans, sizeof(ans));
	if (len < 0) {
		*why = hstrerror(rs.res_h_errno);
		found = -1;
		goto out;
	}
	if (ns_initparse(ans, len > (int)sizeof(ans) ? (int)sizeof(ans) : len, &msg) != 0) {
		*why = "malformed answer";
		found = -1;
		goto out;
	}
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && found < DNS_MAX_RECORDS; i++) {
		char host[NS_MAXDNAME];
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || (int)ns_rr_type(rr) != type)
			continue;
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr), host,
		              sizeof(host)) < 0)
			continue;
		cmd_printf(ctx, "%s%s.\n", prefix, host);
		found++;
	}
out:
	res_nclose(&rs);
	return found;
}

static void
lookup_addresses(struct cmd_ctx *ctx, const char *name)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int g;

	cmd_colour_line(ctx, CMD_CYAN, " - net.LookupIP: %s", name);
	if ((g = getaddrinfo(name, NULL, &hints, &ai)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "lookup %s: %s", name, gai_strerror(g));
		return;
	}
	for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
		char ip[INET6_ADDRSTRLEN];
		if (getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof(ip), NULL, 0,
		                NI_NUMERICHOST) != 0)
			continue;
		cmd_printf(ctx, " IN %s %s\n", a->ai_family == AF_INET6 ? "AAAA" : "A", ip);
	}
	freeaddrinfo(ai);
}

/* "4.3.2.1.in-addr.arpa" or the nibble form of ip6.arpa. */
static void
reverse_name(int family, const unsigned char *a, char *out, size_t cap)
{
	size_t pos = 0;

	if (family == AF_INET) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		return;
	}
	for (int i = 15; i >= 0 && pos + 4 < cap; i--) {
		static const char hex[] = "0123456789abcdef";
		out[pos++] = hex[a[i] & 0xf];
		out[pos++] = '.';
		out[pos++] = hex[a[i] >> 4];
		out[pos++] = '.';
	}
	snprintf(out + pos, cap - pos, "ip6.arpa");
}

int
net_cmd_nslookup(struct cmd_ctx *ctx, const char *arg)
{
	unsigned char a[16];
	char rev[80];
	const char *why;
	int family = 0, n;

	if (arg == NULL || arg[0] == '\0') {
		cmd_printf(ctx, "usage: nslookup/<name-or-ip>, e.g. nslookup/example.com or "
		                "nslookup/192.0.2.1\n");
		return 0;
	}
	if (strlen(arg) > NET_HOST_MAX || strchr(arg, '/') != NULL || strchr(arg, ' ') != NULL) {
		cmd_colour_line(ctx, CMD_RED, "nslookup: '%.64s' is not a host name or address",
		                arg);
		return EV_ERR_INVALID_ARG;
	}
	if (inet_pton(AF_INET, arg, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, arg, a) == 1)
		family = AF_INET6;
	if (family != 0) {
		reverse_name(family, a, rev, sizeof(rev));
		cmd_colour_line(ctx, CMD_CYAN, " - Reverse lookup: %s", arg);
		if ((n = query_names(ctx, rev, ns_t_ptr, " IN PTR ", &why)) < 0)
			cmd_colour_line(ctx, CMD_RED, "lookup %s: %s", rev, why);
		else if (n == 0)
			cmd_printf(ctx, "no PTR record\n");
		return 0;
	}
	lookup_addresses(ctx, arg);
	cmd_colour(ctx, CMD_CYAN, " - Canonical Name: ");
	if (query_names(ctx, arg, ns_t_cname, "", &why) <= 0)
		cmd_printf(ctx, "%s%s\n", arg, arg[strlen(arg) - 1] == '.' ? "" : ".");
	cmd_colour_line(ctx, CMD_CYAN, " - Name Server: ");
	if ((n = query_names(ctx, arg, ns_t_ns, "", &why)) < 0)
		cmd_colour_line(ctx, CMD_RED, "lookup %s: %s", arg, why);
	else if (n == 0)
		cmd_printf(ctx, "no NS record for %s\n", arg);
	return 0;
}
