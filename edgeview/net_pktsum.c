/* net_pktsum.c - tcpdump-like one-line frame summaries (see net_pktsum.h). */
#include "net_pktsum.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The line being written; pos never passes cap - 1, so the text stays terminated. */
struct sum {
	char *out;
	size_t cap, pos;
};

static void put(struct sum *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct sum *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->pos + 1 >= s->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->out + s->pos, s->cap - s->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s->pos += (size_t)n;
	if (s->pos >= s->cap)
		s->pos = s->cap - 1;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_ip4(struct sum *s, const uint8_t *a)
{
	put(s, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* RFC 5952 text: lower case, longest run (>1) of zero groups as "::". */
static void
put_ip6(struct sum *s, const uint8_t *a)
{
	int best = -1, bestlen = 0;

	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && be16(a + 2 * j) == 0)
			j++;
		if (j - i > bestlen && j - i > 1) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			put(s, "::");
			i += bestlen - 1;
			continue;
		}
		put(s, (i == 0 || i == best + bestlen) ? "%x" : ":%x", be16(a + 2 * i));
	}
}

static void
put_mac(struct sum *s, const uint8_t *m)
{
	put(s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* An address followed by ".port" as tcpdump -n writes it. */
static void
put_addr(struct sum *s, bool v6, const uint8_t *a)
{
	if (v6)
		put_ip6(s, a);
	else
		put_ip4(s, a);
}

static void
tcp_sum(struct sum *s, bool v6, const uint8_t *src, const uint8_t *dst, const uint8_t *p,
        size_t len, size_t plen)
{
	static const struct {
		uint8_t bit;
		char c;
	} fl[] = {{0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'},
	          {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}, {0x10, '.'}};
	char flags[sizeof(fl) / sizeof(fl[0]) + 1];
	size_t nf = 0, off;

	if (len < 20) {
		put_addr(s, v6, src);
		put(s, " > ");
		put_addr(s, v6, dst);
		put(s, ": [|tcp]");
		return;
	}
	put_addr(s, v6, src);
	put(s, ".%u > ", be16(p));
	put_addr(s, v6, dst);
	put(s, ".%u: ", be16(p + 2));
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (p[13] & fl[i].bit)
			flags[nf++] = fl[i].c;
	flags[nf] = '\0';
	put(s, "Flags [%s], seq %u", flags, be32(p + 4));
	if (p[13] & 0x10)
		put(s, ", ack %u", be32(p + 8));
	put(s, ", win %u", be16(p + 14));
	off = (size_t)(p[12] >> 4) * 4;
	if (off < 20 || off > plen) {
		put(s, ", bad header length %zu", off);
		return;
	}
	put(s, ", length %zu", plen - off);
}

static void
udp_sum(struct sum *s, bool v6, const uint8_t *src, const uint8_t *dst, const uint8_t *p,
        size_t len)
{
	unsigned ulen;

	put_addr(s, v6, src);
	if (len < 8) {
		put(s, " > ");
		put_addr(s, v6, dst);
		put(s, ": [|udp]");
		return;
	}
	put(s, ".%u > ", be16(p));
	put_addr(s, v6, dst);
	ulen = be16(p + 4);
	put(s, ".%u: UDP, length %u", be16(p + 2), ulen >= 8 ? ulen - 8 : 0);
}

static void
icmp_sum(struct sum *s, const uint8_t *p, size_t len, size_t plen)
{
	if (len < 4) {
		put(s, "[|icmp]");
		return;
	}
	switch (p[0]) {
	case 0:
	case 8:
		if (len < 8) {
			put(s, "ICMP echo %s, [|icmp]", p[0] == 8 ? "request" : "reply");
			return;
		}
		put(s, "ICMP echo %s, id %u, seq %u, length %zu", p[0] == 8 ? "request" : "reply",
		    be16(p + 4), be16(p + 6), plen);
		return;
	case 3: put(s, "ICMP unreachable, code %u, length %zu", p[1], plen); return;
	case 11: put(s, "ICMP time exceeded in-transit, length %zu", plen); return;
	default: put(s, "ICMP type %u, code %u, length %zu", p[0], p[1], plen); return;
	}
}

static void
icmp6_sum(struct sum *s, const uint8_t *p, size_t len, size_t plen)
{
	if (len < 4) {
		put(s, "[|icmp6]");
		return;
	}
	switch (p[0]) {
	case 128:
	case 129:
		if (len < 8) {
			put(s, "ICMP6, echo %s, [|icmp6]", p[0] == 128 ? "request" : "reply");
			return;
		}
		put(s, "ICMP6, echo %s, id %u, seq %u, length %zu",
		    p[0] == 128 ? "request" : "reply", be16(p + 4), be16(p + 6), plen);
		return;
	case 135:
		if (len >= 24) {
			put(s, "ICMP6, neighbor solicitation, who has ");
			put_ip6(s, p + 8);
			put(s, ", length %zu", plen);
			return;
		}
		break;
	case 136:
		if (len >= 24) {
			put(s, "ICMP6, neighbor advertisement, tgt is ");
			put_ip6(s, p + 8);
			put(s, ", length %zu", plen);
			return;
		}
		break;
	default: break;
	}
	put(s, "ICMP6, type %u, code %u, length %zu", p[0], p[1], plen);
}

/* The transport part: p[0..len) captured of a payload that claims plen bytes. */
static void
l4_sum(struct sum *s, bool v6, unsigned proto, const uint8_t *src, const uint8_t *dst,
       const uint8_t *p, size_t len, size_t plen)
{
	if (proto == 6) {
		tcp_sum(s, v6, src, dst, p, len, plen);
		return;
	}
	if (proto == 17) {
		udp_sum(s, v6, src, dst, p, len);
		return;
	}
	put_addr(s, v6, src);
	put(s, " > ");
	put_addr(s, v6, dst);
	put(s, ": ");
	if (proto == 1 && !v6)
		icmp_sum(s, p, len, plen);
	else if (proto == 58 && v6)
		icmp6_sum(s, p, len, plen);
	else
		put(s, "ip-proto-%u %zu", proto, plen);
}

static void
ip4_sum(struct sum *s, const uint8_t *p, size_t len)
{
	size_t hl, tot;

	put(s, "IP ");
	if (len < 20 || (p[0] >> 4) != 4) {
		put(s, "[|ip]");
		return;
	}
	hl = (size_t)(p[0] & 0x0f) * 4;
	tot = be16(p + 2);
	if (hl < 20 || hl > len || tot < hl) {
		put_ip4(s, p + 12);
		put(s, " > ");
		put_ip4(s, p + 16);
		put(s, ": bad header length %zu", hl);
		return;
	}
	/* A fragment other than the first carries no transport header. */
	if ((be16(p + 6) & 0x1fff) != 0) {
		put_ip4(s, p + 12);
		put(s, " > ");
		put_ip4(s, p + 16);
		put(s, ": ip-proto-%u fragment, length %zu", p[9], tot - hl);
		return;
	}
	l4_sum(s, false, p[9], p + 12, p + 16, p + hl, (tot < len ? tot : len) - hl, tot - hl);
}

static void
ip6_sum(struct sum *s, const uint8_t *p, size_t len)
{
	size_t plen;

	put(s, "IP6 ");
	if (len < 40 || (p[0] >> 4) != 6) {
		put(s, "[|ip6]");
		return;
	}
	plen = be16(p + 4);
	/* Extension headers are not walked: the next header is shown as-is. */
	l4_sum(s, true, p[6], p + 8, p + 24, p + 40, len - 40 < plen ? len - 40 : plen, plen);
}

static void
arp_sum(struct sum *s, const uint8_t *p, size_t len)
{
	unsigned op;

	put(s, "ARP, ");
	if (len < 8) {
		put(s, "[|arp]");
		return;
	}
	op = be16(p + 6);
	/* Only Ethernet/IPv4 ARP has the fixed 28-byte layout decoded here. */
	if (be16(p) != 1 || be16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4 || len < 28) {
		put(s, "hardware type %u, protocol 0x%04x, op %u, length %zu", be16(p), be16(p + 2),
		    op, len);
		return;
	}
	if (op == 1) {
		put(s, "Request who-has ");
		put_ip4(s, p + 24);
		put(s, " tell ");
		put_ip4(s, p + 14);
	} else if (op == 2) {
		put(s, "Reply ");
		put_ip4(s, p + 14);
		put(s, " is-at ");
		put_mac(s, p + 8);
	} else {
		put(s, "op %u", op);
	}
	put(s, ", length %zu", len);
}

/* Network layer by EtherType. */
static void
ether_payload(struct sum *s, unsigned type, const uint8_t *p, size_t len)
{
	switch (type) {
	case 0x0800: ip4_sum(s, p, len); break;
	case 0x86dd: ip6_sum(s, p, len); break;
	case 0x0806: arp_sum(s, p, len); break;
	default: put(s, "ethertype 0x%04x, length %zu", type, len); break;
	}
}

static void
ether_sum(struct sum *s, const uint8_t *p, size_t len)
{
	unsigned type;

	if (len < 14) {
		put(s, "[|ether]");
		return;
	}
	type = be16(p + 12);
	p += 14;
	len -= 14;
	/* At most two VLAN tags (QinQ). */
	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8); i++) {
		if (len < 4) {
			put(s, "vlan [|vlan]");
			return;
		}
		put(s, "vlan %u, ", be16(p) & 0x0fff);
		type = be16(p + 2);
		p += 4;
		len -= 4;
	}
	if (type < 0x0600) {
		put(s, "802.3, length %u", type);
		return;
	}
	ether_payload(s, type, p, len);
}

/* Bare IP: the version nibble tells IPv4 from IPv6. */
static void
raw_sum(struct sum *s, const uint8_t *p, size_t len)
{
	if (len < 1) {
		put(s, "[|ip]");
		return;
	}
	if ((p[0] >> 4) == 6)
		ip6_sum(s, p, len);
	else
		ip4_sum(s, p, len);
}

/* BSD address families of DLT_NULL/DLT_LOOP: 2 is IPv4; 24, 28, 30 are IPv6. */
static void
loop_sum(struct sum *s, uint32_t af, const uint8_t *p, size_t len)
{
	if (af == 2)
		ip4_sum(s, p, len);
	else if (af == 24 || af == 28 || af == 30 || af == 10)
		ip6_sum(s, p, len);
	else
		put(s, "loopback af %u, length %zu", af, len);
}

void
net_pktsum(int dlt, const uint8_t *pkt, size_t caplen, char *out, size_t cap)
{
	struct sum s = {out, cap, 0};
	uint32_t af;

	if (out == NULL || cap == 0)
		return;
	out[0] = '\0';
	if (pkt == NULL)
		caplen = 0;
	switch (dlt) {
	case PKTSUM_DLT_EN10MB: ether_sum(&s, pkt, caplen); break;
	case PKTSUM_DLT_LINUX_SLL:
		/* packet type, ARPHRD, addr len, addr[8], protocol */
		if (caplen < 16) {
			put(&s, "[|sll]");
			break;
		}
		ether_payload(&s, be16(pkt + 14), pkt + 16, caplen - 16);
		break;
	case PKTSUM_DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr[8] */
		if (caplen < 20) {
			put(&s, "[|sll2]");
			break;
		}
		ether_payload(&s, be16(pkt), pkt + 20, caplen - 20);
		break;
	case PKTSUM_DLT_NULL:
	case PKTSUM_DLT_LOOP:
		if (caplen < 4) {
			put(&s, "[|loop]");
			break;
		}
		if (dlt == PKTSUM_DLT_LOOP)
			af = be32(pkt);
		else
			memcpy(&af, pkt, sizeof(af));
		loop_sum(&s, af, pkt + 4, caplen - 4);
		break;
	case PKTSUM_DLT_RAW:
	case PKTSUM_DLT_RAW_LINUX: raw_sum(&s, pkt, caplen); break;
	default: put(&s, "link type %d, length %zu", dlt, caplen); break;
	}
}
