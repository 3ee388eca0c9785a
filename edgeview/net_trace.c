/*
 * net_trace.c - the trace command: UDP probes with a rising TTL, the ICMP
 * answers read from the socket error queue (IP_RECVERR), as tracepath
 * does, so no raw socket and no traceroute program are needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"

#define TRACE_WAIT_MS   1000
#define TRACE_BASE_PORT 33434
#define TRACE_PAYLOAD   32

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum probe_result { PROBE_TIMEOUT, PROBE_HOP, PROBE_REACHED, PROBE_UNREACH, PROBE_ERROR };

/*
 * One probe with the given TTL; on an answer, *from is who answered and
 * *us the round trip in microseconds.  *note gets "!H" etc. for an
 * unreachable other than the port.
 */
static enum probe_result
probe(const struct sockaddr_in *dst, int ttl, int port, int wait_ms, struct in_addr *from,
      int64_t *us, const char **note, int *err)
{
	struct sockaddr_in to = *dst;
	uint8_t payload[TRACE_PAYLOAD] = {0};
	struct timespec t0, t1;
	enum probe_result res = PROBE_TIMEOUT;
	int fd, on = 1;

	*note = "";
	*err = 0;
	to.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		*err = errno;
		return PROBE_ERROR;
	}
	if (setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, SOL_IP, IP_TTL, &ttl, sizeof(ttl)) != 0 ||
	    connect(fd, (const struct sockaddr *)&to, sizeof(to)) != 0) {
		*err = errno;
		res = PROBE_ERROR;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (send(fd, payload, sizeof(payload), 0) < 0) {
		*err = errno;
		res = PROBE_ERROR;
		goto out;
	}
	for (int64_t end = mono_ms() + wait_ms, left; (left = end - mono_ms()) > 0;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint8_t data[512], cbuf[512];
		struct iovec iov = {data, sizeof(data)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
		if (!(pfd.revents & POLLERR)) {
			/* Something listens on the port and answered: the target itself. */
			(void)recv(fd, data, sizeof(data), MSG_DONTWAIT);
			*from = dst->sin_addr;
			res = PROBE_REACHED;
			break;
		}
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			struct sockaddr_in off;
			if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR ||
			    c->cmsg_len < CMSG_LEN(sizeof(ee) + sizeof(off)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP) {
				*err = (int)ee.ee_errno;
				res = PROBE_ERROR;
				goto out;
			}
			*from = off.sin_addr;
			if (ee.ee_type == 11) {
				res = PROBE_HOP;
			} else if (ee.ee_type == 3 && ee.ee_code == 3) {
				res = PROBE_REACHED;
			} else {
				static const char *const codes[] = {"!N", "!H", "!P",
				                                    "",   "!F", "!S"};
				*note = ee.ee_code < EV_ARRAY_LEN(codes) ? codes[ee.ee_code] : "!X";
				res = PROBE_UNREACH;
			}
			goto out;
		}
	}
out:
	close(fd);
	return res;
}

/* Trace to target; deadline is an absolute mono_ms() time or 0. */
static int
trace_one(struct cmd_ctx *ctx, const char *target, int64_t deadline)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
	struct sockaddr_in dst;
	char ip[INET_ADDRSTRLEN];
	bool done = false;
	int g, r = 0;

	if (strlen(target) > NET_HOST_MAX) {
		cmd_colour_line(ctx, CMD_RED, "trace: target name too long");
		return EV_ERR_INVALID_ARG;
	}
	if ((g = getaddrinfo(target, NULL, &hints, &ai)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "trace: %s: %s", target, gai_strerror(g));
		return EV_ERR_NOT_FOUND;
	}
	memcpy(&dst, ai->ai_addr, sizeof(dst));
	freeaddrinfo(ai);
	inet_ntop(AF_INET, &dst.sin_addr, ip, sizeof(ip));
	cmd_printf(ctx, "traceroute to %s (%s), %d hops max, %d probes each\n", target, ip,
	           NET_TRACE_HOPS, NET_TRACE_PROBES);
	fflush(ctx->out);
	for (int ttl = 1; ttl <= NET_TRACE_HOPS && !done; ttl++) {
		struct in_addr last = {0};
		cmd_printf(ctx, "%2d ", ttl);
		for (int p = 0; p < NET_TRACE_PROBES; p++) {
			struct in_addr from = {0};
			const char *note;
			int64_t us = 0;
			int wait = TRACE_WAIT_MS, err;
			enum probe_result pr;
			if (ctx->stop != NULL && *ctx->stop) {
				done = true;
				break;
			}
			if (deadline != 0) {
				int64_t left = deadline - mono_ms();
				if (left <= 0) {
					cmd_printf(ctx, " (-time deadline reached)");
					done = true;
					break;
				}
				if (left < wait)
					wait = (int)left;
			}
			pr = probe(&dst, ttl, TRACE_BASE_PORT + ttl * NET_TRACE_PROBES + p, wait,
			           &from, &us, &note, &err);
			if (pr == PROBE_ERROR) {
				cmd_printf(ctx, " %s", strerror(err));
				done = true;
				r = EV_ERR_IO;
				break;
			}
			if (pr == PROBE_TIMEOUT) {
				cmd_printf(ctx, " *");
				continue;
			}
			if (from.s_addr != last.s_addr) {
				char fip[INET_ADDRSTRLEN];
				inet_ntop(AF_INET, &from, fip, sizeof(fip));
				cmd_printf(ctx, " %s", fip);
				last = from;
			}
			cmd_printf(ctx, "  %lld.%03lld ms%s%s", (long long)(us / 1000),
			           (long long)(us % 1000), note[0] != '\0' ? " " : "", note);
			if (pr == PROBE_REACHED || pr == PROBE_UNREACH)
				done = true;
		}
		cmd_printf(ctx, "\n");
		fflush(ctx->out);
	}
	return r;
}

int
net_cmd_trace(struct cmd_ctx *ctx, const char *arg)
{
	struct in_addr gw[NET_MAX_GATEWAYS];
	int idx[NET_MAX_GATEWAYS];
	int64_t deadline = 0;
	size_t n = 0;
	long secs;
	int r;

	if (ctx->timerange != NULL && ctx->timerange[0] != '\0') {
		if (net_parse_seconds(ctx->timerange, 1, NET_TRACE_MAX_S, &secs) != 0) {
			cmd_colour_line(
			        ctx, CMD_RED,
			        "trace: -time takes whole seconds from 1 to %d, not '%.32s'",
			        NET_TRACE_MAX_S, ctx->timerange);
			return EV_ERR_INVALID_ARG;
		}
		deadline = mono_ms() + secs * 1000;
	}
	if (arg != NULL && arg[0] != '\0') {
		if (strchr(arg, '/') != NULL) {
			cmd_colour_line(ctx, CMD_RED, "trace: use trace/<target>");
			return EV_ERR_INVALID_ARG;
		}
		return trace_one(ctx, arg, deadline);
	}
	cmd_colour_line(ctx, CMD_CYAN,
	                " - no target given: tracing to the default gateway(s) of the main table");
	if ((r = net_default_gateways(gw, idx, NET_MAX_GATEWAYS, &n)) != 0 || n == 0) {
		cmd_colour_line(ctx, CMD_RED, "trace: no default gateway in the main table");
		return r != 0 ? r : EV_ERR_NOT_FOUND;
	}
	for (size_t i = 0; i < n; i++) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &gw[i], ip, sizeof(ip));
		cmd_colour_line(ctx, CMD_CYAN, " traceroute to %s", ip);
		if ((r = trace_one(ctx, ip, deadline)) != 0)
			return r;
	}
	return 0;
}
