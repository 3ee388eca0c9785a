/*
 * net_pktsum.h - one tcpdump-like summary line per captured frame, for the
 * tcpdump command.  Self-contained (libc only) so the fuzz target can
 * include net_pktsum.c directly; the frame bytes are untrusted.
 */
#ifndef EV_NET_PKTSUM_H
#define EV_NET_PKTSUM_H

#include <stddef.h>
#include <stdint.h>

/* Link types, the DLT_* values of libpcap (pcap.h is not needed here). */
#define PKTSUM_DLT_NULL       0   /* BSD loopback: 4-byte AF in host order */
#define PKTSUM_DLT_EN10MB     1   /* Ethernet */
#define PKTSUM_DLT_RAW        12  /* bare IPv4/IPv6 (OpenBSD number) */
#define PKTSUM_DLT_RAW_LINUX  101 /* bare IPv4/IPv6 (LINKTYPE_RAW) */
#define PKTSUM_DLT_LOOP       108 /* loopback: 4-byte AF in network order */
#define PKTSUM_DLT_LINUX_SLL  113 /* "any" device, cooked v1 */
#define PKTSUM_DLT_LINUX_SLL2 276 /* cooked v2 */

/* Longest summary line, NUL included; longer ones are cut. */
#define PKTSUM_LINE_MAX 256

/*
 * Describe the frame pkt[0..caplen) of link type dlt in out (cap bytes,
 * always NUL-terminated, no newline), e.g.
 * "IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1, win 512, length 0".
 * Truncated or malformed frames give a summary ending in "[|tcp]" etc.
 */
void net_pktsum(int dlt, const uint8_t *pkt, size_t caplen, char *out, size_t cap);

#endif
