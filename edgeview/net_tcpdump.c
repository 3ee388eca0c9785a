/*
 * net_tcpdump.c - the tcpdump command: a libpcap capture on one interface
 * with the engineer's filter compiled by pcap_compile (never a command
 * line), bounded by time and packet count, one summary line per packet
 * streamed as it arrives.
 */
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"
#include "net_pcapdl.h"
#include "net_pktsum.h"

/* Enough of each frame for every header the summary decodes. */
#define TCPDUMP_SNAPLEN 262
#define TCPDUMP_POLL_MS 200

struct cap_state {
	struct cmd_ctx *ctx;
	int dlt;
	int count;
};

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap_state *st = (struct cap_state *)(void *)user;
	char line[PKTSUM_LINE_MAX], ts[16] = "??:??:??";
	time_t t = h->ts.tv_sec;
	struct tm tm;

	if (st->count >= NET_TCPDUMP_MAX_PKTS)
		return;
	if (localtime_r(&t, &tm) != NULL)
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	net_pktsum(st->dlt, bytes, h->caplen, line, sizeof(line));
	cmd_printf(st->ctx, "%s.%06ld %s\n", ts, (long)h->ts.tv_usec, line);
	fflush(st->ctx->out);
	st->count++;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
net_cmd_tcpdump(struct cmd_ctx *ctx, const char *arg)
{
	char ifname[IF_NAMESIZE], errbuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog = {0};
	struct cap_state st = {ctx, 0, 0};
	struct pcap_stat ps;
	const char *filter = NULL;
	pcap_t *p = NULL;
	struct pcapdl pl = {0};
	bool clamped, compiled = false;
	int64_t end;
	long secs;
	int r, fd;

	if (net_tcpdump_args(arg, ifname, sizeof(ifname), &filter) != 0) {
		cmd_colour_line(ctx, CMD_RED,
		                "tcpdump: use tcpdump/<ifname>/[<pcap filter>] [-time <seconds>]");
		return EV_ERR_INVALID_ARG;
	}
	if (strcmp(ifname, "any") != 0 && if_nametoindex(ifname) == 0) {
		cmd_colour_line(ctx, CMD_RED, "tcpdump: no interface %s on this device", ifname);
		return EV_ERR_NOT_FOUND;
	}
	if (net_tcpdump_time(ctx->timerange, &secs, &clamped) != 0) {
		cmd_colour_line(ctx, CMD_RED,
		                "tcpdump: -time takes whole seconds (1-%d), not '%.32s'",
		                NET_TCPDUMP_MAX_S, ctx->timerange);
		return EV_ERR_INVALID_ARG;
	}
	if (clamped)
		cmd_printf(ctx, "tcpdump: -time is capped at %d seconds; capturing for %ld\n",
		           NET_TCPDUMP_MAX_S, secs);
	cmd_colour_line(ctx, CMD_GREEN, "tcpdump -i %s%s%s -c %d (for %ld s)", ifname,
	                filter[0] != '\0' ? " " : "", filter, NET_TCPDUMP_MAX_PKTS, secs);
	fflush(ctx->out);
	if (pcapdl_load(&pl, errbuf, sizeof(errbuf)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "tcpdump: %s", errbuf);
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if ((p = pl.create(ifname, errbuf)) == NULL) {
		cmd_colour_line(ctx, CMD_RED, "tcpdump: %s", errbuf);
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (pl.set_snaplen(p, TCPDUMP_SNAPLEN) != 0 || pl.set_immediate_mode(p, 1) != 0 ||
	    pl.set_timeout(p, TCPDUMP_POLL_MS) != 0 || pl.activate(p) < 0) {
		cmd_colour_line(ctx, CMD_RED, "tcpdump: cannot capture on %s: %s", ifname,
		                pl.geterr(p));
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (pl.compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		cmd_colour_line(ctx, CMD_RED, "tcpdump: bad filter '%s': %s", filter, pl.geterr(p));
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	compiled = true;
	if (pl.setfilter(p, &prog) != 0 || pl.setnonblock(p, 1, errbuf) != 0 ||
	    (fd = pl.get_selectable_fd(p)) < 0) {
		cmd_colour_line(ctx, CMD_RED, "tcpdump: %s", pl.geterr(p));
		r = EV_ERR_SYSTEM;
		goto out;
	}
	st.dlt = pl.datalink(p);
	end = mono_ms() + secs * 1000;
	for (int64_t left; (left = end - mono_ms()) > 0 && st.count < NET_TCPDUMP_MAX_PKTS;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (ctx->stop != NULL && *ctx->stop)
			break;
		(void)poll(&pfd, 1, left < TCPDUMP_POLL_MS ? (int)left : TCPDUMP_POLL_MS);
		if (pl.dispatch(p, NET_TCPDUMP_MAX_PKTS - st.count, on_packet, (u_char *)&st) < 0) {
			cmd_colour_line(ctx, CMD_RED, "tcpdump: %s", pl.geterr(p));
			break;
		}
	}
	cmd_printf(ctx, "%d packets captured%s\n", st.count,
	           st.count >= NET_TCPDUMP_MAX_PKTS ? " (the limit)" : "");
	if (pl.stats(p, &ps) == 0 && ps.ps_drop > 0)
		cmd_printf(ctx, "%u packets dropped by kernel\n", ps.ps_drop);
	r = 0;
out:
	if (compiled)
		pl.freecode(&prog);
	if (p != NULL)
		pl.close(p);
	pcapdl_unload(&pl);
	fflush(ctx->out);
	return r;
}
