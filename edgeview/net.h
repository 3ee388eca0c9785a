/*
 * net.h - the network commands of edgeviewd (cmd_net.c has their table)
 * and the small helpers they share.  The argument parsers are pure so the
 * unit tests can drive them.
 */
#ifndef EV_NET_H
#define EV_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "ev_attr.h"

/* tcpdump: capture limits (commands spec 1.3) */
#define NET_TCPDUMP_DEFAULT_S 60
#define NET_TCPDUMP_MAX_S     120
#define NET_TCPDUMP_MAX_PKTS  100
/* Longest filter text handed to pcap_compile. */
#define NET_FILTER_MAX 1024
/* trace: 10 hops, 2 probes a hop, 1 s each; -time at most this */
#define NET_TRACE_HOPS   10
#define NET_TRACE_PROBES 2
#define NET_TRACE_MAX_S  600
/* Longest host name an engineer may give (DNS limit). */
#define NET_HOST_MAX 253
/* Most default gateways pinged or traced when no target is given. */
#define NET_MAX_GATEWAYS 8

int net_cmd_if(struct cmd_ctx *ctx, const char *arg);
int net_cmd_route(struct cmd_ctx *ctx, const char *arg);
int net_cmd_arp(struct cmd_ctx *ctx, const char *arg);
int net_cmd_socket(struct cmd_ctx *ctx, const char *arg);
int net_cmd_nslookup(struct cmd_ctx *ctx, const char *arg);
int net_cmd_ping(struct cmd_ctx *ctx, const char *arg);
int net_cmd_trace(struct cmd_ctx *ctx, const char *arg);
int net_cmd_tcpdump(struct cmd_ctx *ctx, const char *arg);

/*
 * A whole number of seconds in [min, max]: digits only, no sign, no
 * spaces.  EV_ERR_INVALID_ARG otherwise (EV_ERR_TIME_RANGE when out of
 * range).
 */
int net_parse_seconds(const char *s, long min, long max, long *out) EV_WARN_UNUSED;

/*
 * tcpdump's -time: "" gives the default; above NET_TCPDUMP_MAX_S is cut
 * to it with *clamped set; anything but a positive whole number fails.
 */
int net_tcpdump_time(const char *timerange, long *secs, bool *clamped) EV_WARN_UNUSED;

/*
 * "eth0/udp port 53" -> ifname "eth0", *filter "udp port 53" (points into
 * arg); "eth0" or "eth0/" -> empty filter.  EV_ERR_INVALID_ARG for an
 * empty or too long interface name or a too long filter.
 */
int net_tcpdump_args(const char *arg, char *ifname, size_t ifcap,
                     const char **filter) EV_WARN_UNUSED;

/* Go's time.Duration text: "850ns", "12.345µs", "1.5ms", "2.000001s". */
void net_fmt_duration(int64_t ns, char *out, size_t cap);

/* The IPv4 gateways of the main table's default routes, with their interface. */
int net_default_gateways(struct in_addr *gw, int *ifindex, size_t cap, size_t *n) EV_WARN_UNUSED;

/* The first IPv4 address of interface ifname; EV_ERR_NOT_FOUND if none. */
int net_if_ipv4(const char *ifname, struct in_addr *out) EV_WARN_UNUSED;

/* Print the arp lines containing filter (NULL: all). */
int net_print_arp(struct cmd_ctx *ctx, const char *filter) EV_WARN_UNUSED;

#endif
