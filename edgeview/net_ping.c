/*
 * net_ping.c - the ping command: one ICMP echo with EVE's 200 ms limit,
 * from an ICMP "ping socket" when the group range allows it, else a raw
 * socket (CAP_NET_RAW).  No controller or Internet target is assumed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"

#define PING_WAIT_MS 200
#define PING_PAYLOAD 56

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint16_t
inet_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int
open_icmp(int family, bool *raw)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd;

	*raw = false;
	if ((fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto)) >= 0)
		return fd;
	*raw = true;
	return socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
}

/* Is buf[0..n) our echo reply?  Raw IPv4 sockets hand over the IP header too. */
static bool
is_reply(const uint8_t *buf, size_t n, int family, bool raw, uint16_t id, uint16_t seq)
{
	size_t off = 0;

	if (family == AF_INET && raw) {
		if (n < 20)
			return false;
		off = (size_t)(buf[0] & 0x0f) * 4;
	}
	if (n < off + 8)
		return false;
	buf += off;
	if (buf[0] != (family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return false;
	/* A ping socket's kernel picks the id and only delivers our replies. */
	if (raw && ((uint16_t)(buf[4] << 8 | buf[5])) != id)
		return false;
	return (uint16_t)(buf[6] << 8 | buf[7]) == seq;
}

/* One echo to target (resolved), optionally from src on ifname. */
static void
ping_one(struct cmd_ctx *ctx, const char *ifname, const struct in_addr *src, const char *target)
{
	struct addrinfo hints = {0}, *ai = NULL;
	uint8_t pkt[8 + PING_PAYLOAD], buf[2048];
	char ip[INET6_ADDRSTRLEN] = "?", dur[32];
	uint16_t id = (uint16_t)(getpid() & 0xffff), seq = 1;
	bool raw = false, ok = false;
	int64_t t0, left;
	int fd = -1, g;

	hints.ai_family = src != NULL ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (strlen(target) > NET_HOST_MAX) {
		cmd_colour_line(ctx, CMD_RED, "resolve error: name too long");
		goto finish;
	}
	if ((g = getaddrinfo(target, NULL, &hints, &ai)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "resolve error: %s", gai_strerror(g));
		goto finish;
	}
	if ((fd = open_icmp(ai->ai_family, &raw)) < 0) {
		cmd_colour_line(ctx, CMD_RED, "ping: cannot open an ICMP socket: %s",
		                strerror(errno));
		goto finish;
	}
	if (ifname != NULL &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0)
		cmd_colour_line(ctx, CMD_RED, "ping: cannot bind to %s: %s", ifname,
		                strerror(errno));
	if (src != NULL && src->s_addr != 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = *src};
		if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0)
			cmd_colour_line(ctx, CMD_RED, "ping: cannot use source %s: %s",
			                inet_ntoa(*src), strerror(errno));
	}
	(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = ai->ai_family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(id >> 8);
	pkt[5] = (uint8_t)id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	for (size_t i = 8; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	/* ICMPv6 sums are the kernel's job (they cover a pseudo-header). */
	if (ai->ai_family == AF_INET) {
		uint16_t c = inet_csum(pkt, sizeof(pkt));
		memcpy(pkt + 2, &c, 2);
	}
	t0 = mono_ns();
	if (sendto(fd, pkt, sizeof(pkt), 0, ai->ai_addr, ai->ai_addrlen) < 0) {
		cmd_colour_line(ctx, CMD_RED, "ping: send to %s: %s", ip, strerror(errno));
		goto finish;
	}
	while ((left = t0 + (int64_t)PING_WAIT_MS * 1000000 - mono_ns()) > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		if (poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0)
			break;
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0)
			continue;
		if (!is_reply(buf, (size_t)n, ai->ai_family, raw, id, seq))
			continue;
		int64_t rtt = mono_ns() - t0;
		net_fmt_duration(rtt, dur, sizeof(dur));
		cmd_printf(ctx, "Ping: got reply from %s, duration %lld nanosec or rtt %s\n", ip,
		           (long long)rtt, dur);
		ok = true;
		break;
	}
finish:
	cmd_printf(ctx, "Ping: run finish\n");
	cmd_printf(ctx, "ping: success %s\n", ok ? "true" : "false");
	fflush(ctx->out);
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
}

static int
ping_gateways(struct cmd_ctx *ctx)
{
	struct in_addr gw[NET_MAX_GATEWAYS];
	int idx[NET_MAX_GATEWAYS];
	size_t n = 0;
	int r;

	cmd_colour_line(ctx, CMD_CYAN,
	                " - no target given: pinging the default gateway(s) of the main table");
	if ((r = net_default_gateways(gw, idx, NET_MAX_GATEWAYS, &n)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "ping: cannot read the routes: %s", ev_strerror(r));
		return r;
	}
	if (n == 0) {
		cmd_colour_line(ctx, CMD_RED, "ping: no default gateway in the main table");
		return EV_ERR_NOT_FOUND;
	}
	for (size_t i = 0; i < n; i++) {
		char ifname[IF_NAMESIZE] = "?", ip[INET_ADDRSTRLEN];
		struct in_addr src;
		bool have = if_indextoname((unsigned)idx[i], ifname) != NULL;
		inet_ntop(AF_INET, &gw[i], ip, sizeof(ip));
		cmd_colour_line(ctx, CMD_CYAN, " - ping %s through intf: %s", ip, ifname);
		if (have && net_if_ipv4(ifname, &src) == 0)
			ping_one(ctx, ifname, &src, ip);
		else
			ping_one(ctx, have ? ifname : NULL, NULL, ip);
	}
	return 0;
}

int
net_cmd_ping(struct cmd_ctx *ctx, const char *arg)
{
	char ifname[IF_NAMESIZE];
	const char *slash;
	struct in_addr src;
	size_t n;

	if (arg == NULL || arg[0] == '\0')
		return ping_gateways(ctx);
	if ((slash = strchr(arg, '/')) == NULL) {
		cmd_colour_line(ctx, CMD_CYAN, " - ping %s", arg);
		ping_one(ctx, NULL, NULL, arg);
		return 0;
	}
	n = (size_t)(slash - arg);
	if (n == 0 || n >= sizeof(ifname) || slash[1] == '\0' || strchr(slash + 1, '/') != NULL) {
		cmd_colour_line(ctx, CMD_RED, "ping: use ping/<target> or ping/<ifname>/<target>");
		return EV_ERR_INVALID_ARG;
	}
	memcpy(ifname, arg, n);
	ifname[n] = '\0';
	if (if_nametoindex(ifname) == 0) {
		cmd_colour_line(ctx, CMD_RED, "ping: no interface %s", ifname);
		return EV_ERR_NOT_FOUND;
	}
	cmd_colour_line(ctx, CMD_CYAN, " - ping %s through intf: %s", slash + 1, ifname);
	if (net_if_ipv4(ifname, &src) != 0) {
		cmd_printf(ctx, "can not find ip address on %s\n", ifname);
		ping_one(ctx, ifname, NULL, slash + 1);
	} else {
		ping_one(ctx, ifname, &src, slash + 1);
	}
	return 0;
}
