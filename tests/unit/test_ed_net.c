/* test_ed_net.c - the pure parts of the network commands: entry formats,
 * flag words, the packet summary decoder, argument parsing, and a few
 * commands run into a memory stream. */
#include "ev_test.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"
#include "net_nl.h"
#include "net_pktsum.h"

static struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void
test_route_format(void **state)
{
	struct net_route r = {0};
	char out[NET_FMT_MAX];

	(void)state;
	r.ifindex = 2;
	r.table = 254;
	r.has_dst = true;
	r.dst = ip4("10.1.0.0");
	r.dst_len = 24;
	r.has_src = true;
	r.src = ip4("10.1.0.5");
	net_fmt_route(&r, out, sizeof(out));
	assert_string_equal(out, "{Ifindex: 2 Dst: 10.1.0.0/24 Src: 10.1.0.5 Gw: <nil> Flags: [] "
	                         "Table: 254 Realm: 0}");
	memset(&r, 0, sizeof(r));
	r.ifindex = 7;
	r.table = 100;
	r.has_gw = true;
	r.gw = ip4("192.0.2.1");
	r.flags = RTNH_F_ONLINK | RTNH_F_PERVASIVE;
	r.realm = 3;
	net_fmt_route(&r, out, sizeof(out));
	assert_string_equal(out, "{Ifindex: 7 Dst: <nil> Src: <nil> Gw: 192.0.2.1 Flags: [onlink "
	                         "pervasive] Table: 100 Realm: 3}");
	/* a small buffer cuts, never overflows */
	net_fmt_route(&r, out, 10);
	assert_int_equal(strlen(out), 9);
}

static void
test_rule_format(void **state)
{
	struct net_rule r = {.prio = 100, .table = 100, .action = 1, .src_len = 24};
	char out[NET_FMT_MAX];

	(void)state;
	r.src = ip4("10.9.0.0");
	net_fmt_rule(&r, out, sizeof(out));
	assert_string_equal(out, "100: table 100, ip rule 100: from 10.9.0.0/24 to all table 100 "
	                         "unicast");
	memset(&r, 0, sizeof(r));
	r.prio = 5;
	r.action = 6;
	r.dst_len = 32;
	r.dst = ip4("198.51.100.7");
	net_fmt_rule(&r, out, sizeof(out));
	assert_string_equal(out, "5: table 0, ip rule 5: from all to 198.51.100.7/32 table 0 "
	                         "blackhole");
	assert_string_equal(net_table_suffix(254), " (main)");
	assert_string_equal(net_table_suffix(255), " (local)");
	assert_string_equal(net_table_suffix(253), " (default)");
	assert_string_equal(net_table_suffix(100), "");
}

static void
test_neigh_format(void **state)
{
	struct net_neigh n = {.ifindex = 3,
	                      .lllen = 6,
	                      .state = NUD_PERMANENT,
	                      .lladdr = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e}};
	char out[NET_FMT_MAX];

	(void)state;
	n.ip = ip4("10.0.0.9");
	net_fmt_neigh(&n, "veth0", out, sizeof(out));
	assert_string_equal(out, "? (10.0.0.9) at 02:aa:bb:cc:dd:0e [ether] PERM on veth0");
	n.state = NUD_REACHABLE;
	net_fmt_neigh(&n, "eth0", out, sizeof(out));
	assert_string_equal(out, "? (10.0.0.9) at 02:aa:bb:cc:dd:0e [ether]  on eth0");
	n.state = NUD_INCOMPLETE;
	net_fmt_neigh(&n, "eth0", out, sizeof(out));
	assert_string_equal(out, "? (10.0.0.9) at <incomplete>  on eth0");
	n.state = NUD_FAILED;
	n.lllen = 0;
	net_fmt_neigh(&n, "eth0", out, sizeof(out));
	assert_string_equal(out, "? (10.0.0.9) at <incomplete>  on eth0");
}

static void
test_flag_words(void **state)
{
	char out[128];

	(void)state;
	net_flag_words(IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING, out, sizeof(out));
	assert_string_equal(out, "up|broadcast|multicast|running");
	net_flag_words(IFF_UP | IFF_LOOPBACK | IFF_RUNNING, out, sizeof(out));
	assert_string_equal(out, "up|loopback|running");
	net_flag_words(IFF_POINTOPOINT | IFF_NOARP, out, sizeof(out));
	assert_string_equal(out, "pointtopoint");
	net_flag_words(0, out, sizeof(out));
	assert_string_equal(out, "0");
	net_flag_words(IFF_UP | IFF_BROADCAST, out, 6);
	assert_string_equal(out, "up");
}

static void
test_duration(void **state)
{
	char out[32];

	(void)state;
	net_fmt_duration(850, out, sizeof(out));
	assert_string_equal(out, "850ns");
	net_fmt_duration(12345, out, sizeof(out));
	assert_string_equal(out, "12.345µs");
	net_fmt_duration(1500000, out, sizeof(out));
	assert_string_equal(out, "1.5ms");
	net_fmt_duration(2000000000, out, sizeof(out));
	assert_string_equal(out, "2s");
	net_fmt_duration(2000001000, out, sizeof(out));
	assert_string_equal(out, "2.000001s");
}

static void
test_seconds(void **state)
{
	long v;
	bool clamped;

	(void)state;
	assert_ev_ok(net_parse_seconds("10", 1, 600, &v));
	assert_int_equal(v, 10);
	assert_ev_err(net_parse_seconds("", 1, 600, &v), EV_ERR_INVALID_ARG);
	assert_ev_err(net_parse_seconds("-5", 1, 600, &v), EV_ERR_INVALID_ARG);
	assert_ev_err(net_parse_seconds("+5", 1, 600, &v), EV_ERR_INVALID_ARG);
	assert_ev_err(net_parse_seconds(" 5", 1, 600, &v), EV_ERR_INVALID_ARG);
	assert_ev_err(net_parse_seconds("5s", 1, 600, &v), EV_ERR_INVALID_ARG);
	assert_ev_err(net_parse_seconds("1.5", 1, 600, &v), EV_ERR_INVALID_ARG);
	assert_ev_err(net_parse_seconds("0", 1, 600, &v), EV_ERR_TIME_RANGE);
	assert_ev_err(net_parse_seconds("601", 1, 600, &v), EV_ERR_TIME_RANGE);
	assert_ev_err(net_parse_seconds("99999999999999999999999", 1, 600, &v), EV_ERR_TIME_RANGE);
	assert_ev_err(net_parse_seconds(NULL, 1, 600, &v), EV_ERR_INVALID_ARG);

	assert_ev_ok(net_tcpdump_time("", &v, &clamped));
	assert_int_equal(v, 60);
	assert_false(clamped);
	assert_ev_ok(net_tcpdump_time("3", &v, &clamped));
	assert_int_equal(v, 3);
	assert_ev_ok(net_tcpdump_time("500", &v, &clamped));
	assert_int_equal(v, 120);
	assert_true(clamped);
	assert_ev_ok(net_tcpdump_time("99999999999999999999999", &v, &clamped));
	assert_int_equal(v, 120);
	assert_ev_err(net_tcpdump_time("0", &v, &clamped), EV_ERR_TIME_RANGE);
	assert_ev_err(net_tcpdump_time("abc", &v, &clamped), EV_ERR_INVALID_ARG);
	assert_ev_err(net_tcpdump_time("10-20", &v, &clamped), EV_ERR_INVALID_ARG);
}

static void
test_tcpdump_args(void **state)
{
	char ifn[IF_NAMESIZE], longname[NET_FILTER_MAX + 16];
	const char *f;

	(void)state;
	assert_ev_ok(net_tcpdump_args("eth0/udp port 53", ifn, sizeof(ifn), &f));
	assert_string_equal(ifn, "eth0");
	assert_string_equal(f, "udp port 53");
	assert_ev_ok(net_tcpdump_args("eth0/", ifn, sizeof(ifn), &f));
	assert_string_equal(f, "");
	assert_ev_ok(net_tcpdump_args("lo", ifn, sizeof(ifn), &f));
	assert_string_equal(ifn, "lo");
	assert_string_equal(f, "");
	/* the filter keeps its slashes: "net 10.0.0.0/8" */
	assert_ev_ok(net_tcpdump_args("br0/net 10.0.0.0/8", ifn, sizeof(ifn), &f));
	assert_string_equal(f, "net 10.0.0.0/8");
	assert_ev_err(net_tcpdump_args("/udp", ifn, sizeof(ifn), &f), EV_ERR_INVALID_ARG);
	assert_ev_err(net_tcpdump_args(NULL, ifn, sizeof(ifn), &f), EV_ERR_INVALID_ARG);
	assert_ev_err(net_tcpdump_args("averyveryverylongifname0/x", ifn, sizeof(ifn), &f),
	              EV_ERR_INVALID_ARG);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[3] = '/';
	assert_ev_err(net_tcpdump_args(longname, ifn, sizeof(ifn), &f), EV_ERR_TOO_BIG);
}

/* ---- packet summaries ---- */

static const uint8_t eth_hdr_ip4[14] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};

/* Ethernet + IPv4 header (no options) + l4 bytes into out; returns length. */
static size_t
mk_ip4(uint8_t *out, uint8_t proto, const uint8_t *l4, size_t l4len)
{
	uint8_t ip[20] = {0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
	size_t tot = 20 + l4len;

	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	memcpy(out, eth_hdr_ip4, 14);
	memcpy(out + 14, ip, 20);
	memcpy(out + 34, l4, l4len);
	return 34 + l4len;
}

static void
sum(int dlt, const uint8_t *p, size_t n, char *out)
{
	net_pktsum(dlt, p, n, out, PKTSUM_LINE_MAX);
}

static void
test_pkt_tcp_syn(void **state)
{
	uint8_t tcp[20] = {0x04, 0xd2, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0};
	uint8_t f[128];
	char out[PKTSUM_LINE_MAX];
	size_t n = mk_ip4(f, 6, tcp, sizeof(tcp));

	(void)state;
	sum(PKTSUM_DLT_EN10MB, f, n, out);
	assert_string_equal(out, "IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 100, win 64240, "
	                         "length 0");
	f[34 + 13] = 0x18; /* PSH|ACK */
	f[34 + 11] = 7;
	sum(PKTSUM_DLT_EN10MB, f, n, out);
	assert_string_equal(out, "IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [P.], seq 100, ack 7, "
	                         "win 64240, length 0");
	/* cut in the TCP header */
	sum(PKTSUM_DLT_EN10MB, f, 40, out);
	assert_string_equal(out, "IP 10.0.0.1 > 10.0.0.2: [|tcp]");
}

static void
test_pkt_udp_icmp(void **state)
{
	uint8_t udp[12] = {0x30, 0x39, 0, 53, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
	uint8_t icmp[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 5};
	uint8_t f[128];
	char out[PKTSUM_LINE_MAX];
	size_t n;

	(void)state;
	n = mk_ip4(f, 17, udp, sizeof(udp));
	sum(PKTSUM_DLT_EN10MB, f, n, out);
	assert_string_equal(out, "IP 10.0.0.1.12345 > 10.0.0.2.53: UDP, length 4");
	/* the same as bare IP, and behind a loopback header */
	sum(PKTSUM_DLT_RAW, f + 14, n - 14, out);
	assert_string_equal(out, "IP 10.0.0.1.12345 > 10.0.0.2.53: UDP, length 4");
	n = mk_ip4(f, 1, icmp, sizeof(icmp));
	sum(PKTSUM_DLT_EN10MB, f, n, out);
	assert_string_equal(out, "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 5, "
	                         "length 16");
	f[34] = 0;
	sum(PKTSUM_DLT_EN10MB, f, n, out);
	assert_string_equal(out, "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 4660, seq 5, "
	                         "length 16");
	f[34] = 11;
	sum(PKTSUM_DLT_EN10MB, f, n, out);
	assert_string_equal(out,
	                    "IP 10.0.0.1 > 10.0.0.2: ICMP time exceeded in-transit, length 16");
}

static void
test_pkt_arp(void **state)
{
	uint8_t f[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0,    0, 0,  1, 0x08, 0x06,
	                 0,    1,    0x08, 0,    6,    4,    0,    1, 0x02, 0, 0,  0, 0,    1,
	                 10,   0,    0,    1,    0,    0,    0,    0, 0,    0, 10, 0, 0,    2};
	char out[PKTSUM_LINE_MAX];

	(void)state;
	sum(PKTSUM_DLT_EN10MB, f, sizeof(f), out);
	assert_string_equal(out, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
	f[21] = 2;
	sum(PKTSUM_DLT_EN10MB, f, sizeof(f), out);
	assert_string_equal(out, "ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01, length 28");
	sum(PKTSUM_DLT_EN10MB, f, 30, out);
	assert_string_equal(out, "ARP, hardware type 1, protocol 0x0800, op 2, length 16");
}

static void
test_pkt_ip6_udp(void **state)
{
	uint8_t f[14 + 40 + 10] = {0x33, 0x33, 0,    0,    0, 1, 0x02, 0, 0,  0,  0,
	                           1,    0x86, 0xdd, 0x60, 0, 0, 0,    0, 10, 17, 64};
	char out[PKTSUM_LINE_MAX];

	(void)state;
	f[22] = 0xfe; /* src fe80::1 */
	f[23] = 0x80;
	f[37] = 1;
	f[38] = 0x20; /* dst 2001:db8::53 */
	f[39] = 0x01;
	f[40] = 0x0d;
	f[41] = 0xb8;
	f[53] = 0x53;
	f[54] = 0x02; /* sport 546 */
	f[55] = 0x22;
	f[56] = 0x02; /* dport 547 */
	f[57] = 0x23;
	f[59] = 10;
	sum(PKTSUM_DLT_EN10MB, f, sizeof(f), out);
	assert_string_equal(out, "IP6 fe80::1.546 > 2001:db8::53.547: UDP, length 2");
	/* Linux cooked capture ("any"), protocol at offset 14 */
	{
		uint8_t sll[16 + 50] = {0, 0, 0, 1, 0, 6};
		sll[14] = 0x86;
		sll[15] = 0xdd;
		memcpy(sll + 16, f + 14, 50);
		sum(PKTSUM_DLT_LINUX_SLL, sll, sizeof(sll), out);
		assert_string_equal(out, "IP6 fe80::1.546 > 2001:db8::53.547: UDP, length 2");
	}
}

static void
test_pkt_truncated(void **state)
{
	uint8_t tcp[20] = {0x04, 0xd2, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x02};
	uint8_t f[128];
	char out[PKTSUM_LINE_MAX], tiny[8];
	size_t n = mk_ip4(f, 6, tcp, sizeof(tcp));

	(void)state;
	/* every prefix of a frame, on every link type: no crash, always terminated */
	static const int dlts[] = {PKTSUM_DLT_NULL,
	                           PKTSUM_DLT_EN10MB,
	                           PKTSUM_DLT_RAW,
	                           PKTSUM_DLT_LOOP,
	                           PKTSUM_DLT_LINUX_SLL,
	                           PKTSUM_DLT_LINUX_SLL2,
	                           999};
	for (size_t d = 0; d < sizeof(dlts) / sizeof(dlts[0]); d++)
		for (size_t k = 0; k <= n; k++) {
			uint8_t *copy = malloc(k + 1);
			memcpy(copy, f, k);
			sum(dlts[d], copy, k, out);
			assert_true(strlen(out) < PKTSUM_LINE_MAX);
			net_pktsum(dlts[d], copy, k, tiny, sizeof(tiny));
			assert_true(strlen(tiny) < sizeof(tiny));
			free(copy);
		}
	sum(PKTSUM_DLT_EN10MB, f, 10, out);
	assert_string_equal(out, "[|ether]");
	sum(PKTSUM_DLT_EN10MB, f, 20, out);
	assert_string_equal(out, "IP [|ip]");
	sum(PKTSUM_DLT_EN10MB, NULL, 0, out);
	assert_string_equal(out, "[|ether]");
	/* a header length beyond the capture */
	f[14] = 0x4f;
	sum(PKTSUM_DLT_EN10MB, f, 40, out);
	assert_string_equal(out, "IP 10.0.0.1 > 10.0.0.2: bad header length 60");
}

/* ---- commands into a memory stream ---- */

struct mem {
	char *buf;
	size_t len;
	struct cmd_ctx ctx;
};

static void
mem_open(struct mem *m, const char *timerange)
{
	memset(m, 0, sizeof(*m));
	m->ctx.out = open_memstream(&m->buf, &m->len);
	assert_non_null(m->ctx.out);
	m->ctx.root = "/";
	m->ctx.timerange = timerange;
	m->ctx.logtype = "";
}

static void
mem_close(struct mem *m)
{
	fclose(m->ctx.out);
}

static void
test_cmd_table(void **state)
{
	static const char *const names[] = {"if",       "route", "arp",   "socket",
	                                    "nslookup", "ping",  "trace", "tcpdump"};

	(void)state;
	assert_int_equal(cmd_table_net_len, 8);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct cmd_def *d = cmd_find(names[i], strlen(names[i]));
		assert_non_null(d);
		assert_int_equal(d->category, CMD_NETWORK);
		assert_non_null(d->run);
		assert_non_null(d->usage);
		assert_non_null(d->help);
	}
}

static void
test_cmd_errors(void **state)
{
	struct mem m;

	(void)state;
	mem_open(&m, "abc");
	assert_ev_err(net_cmd_tcpdump(&m.ctx, "lo/udp"), EV_ERR_INVALID_ARG);
	mem_close(&m);
	assert_non_null(strstr(m.buf, "-time takes whole seconds"));
	free(m.buf);

	mem_open(&m, "");
	assert_ev_err(net_cmd_tcpdump(&m.ctx, "no-such-if0/"), EV_ERR_NOT_FOUND);
	assert_ev_err(net_cmd_tcpdump(&m.ctx, NULL), EV_ERR_INVALID_ARG);
	assert_ev_err(net_cmd_trace(&m.ctx, "a/b"), EV_ERR_INVALID_ARG);
	assert_ev_err(net_cmd_ping(&m.ctx, "lo/"), EV_ERR_INVALID_ARG);
	assert_ev_err(net_cmd_ping(&m.ctx, "no-such-if0/10.0.0.1"), EV_ERR_NOT_FOUND);
	assert_ev_ok(net_cmd_nslookup(&m.ctx, NULL));
	mem_close(&m);
	assert_non_null(strstr(m.buf, "no interface no-such-if0"));
	assert_non_null(strstr(m.buf, "usage: nslookup/<name-or-ip>"));
	free(m.buf);

	mem_open(&m, "0");
	assert_ev_err(net_cmd_trace(&m.ctx, "127.0.0.1"), EV_ERR_INVALID_ARG);
	mem_close(&m);
	free(m.buf);
}

static void
test_cmd_loopback(void **state)
{
	struct mem m;

	(void)state;
	mem_open(&m, "");
	m.ctx.colour = true;
	assert_ev_ok(net_cmd_if(&m.ctx, "lo"));
	assert_ev_ok(net_cmd_route(&m.ctx, NULL));
	mem_close(&m);
	assert_non_null(strstr(m.buf, "lo: 127.0.0.1/8 up|loopback|running"));
	assert_non_null(strstr(m.buf, "\033[1;36m ip link info:\033[0m"));
	assert_non_null(strstr(m.buf, " routes in table: 255 (local)"));
	assert_non_null(strstr(m.buf, "Dst: 127.0.0.1/32 Src: 127.0.0.1"));
	free(m.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_route_format), cmocka_unit_test(test_rule_format),
	        cmocka_unit_test(test_neigh_format), cmocka_unit_test(test_flag_words),
	        cmocka_unit_test(test_duration),     cmocka_unit_test(test_seconds),
	        cmocka_unit_test(test_tcpdump_args), cmocka_unit_test(test_pkt_tcp_syn),
	        cmocka_unit_test(test_pkt_udp_icmp), cmocka_unit_test(test_pkt_arp),
	        cmocka_unit_test(test_pkt_ip6_udp),  cmocka_unit_test(test_pkt_truncated),
	        cmocka_unit_test(test_cmd_table),    cmocka_unit_test(test_cmd_errors),
	        cmocka_unit_test(test_cmd_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
