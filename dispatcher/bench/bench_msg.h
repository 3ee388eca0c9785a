/*
 * bench_msg.h - the test message edgeview-bench sends through a dispatcher.
 *
 * Every test message is one binary websocket message: a 32-byte header in
 * little-endian order followed by pattern bytes.
 *
 *	off  0  u32 magic        BENCH_MSG_MAGIC
 *	off  4  u32 session      session index of the sender
 *	off  8  u64 seq          per-session sequence, from 0
 *	off 16  u64 ts_ns        CLOCK_MONOTONIC at send time
 *	off 24  u32 payload_len  bytes after the header
 *	off 28  u32 crc          zlib crc32 of bytes 0..27 then the payload
 *
 * The payload is derived from (session, seq) so that two messages never look
 * alike and nothing is trivially compressible; the crc is what the receiver
 * checks, because recomputing the pattern would only repeat that work.
 */
#ifndef BENCH_MSG_H
#define BENCH_MSG_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MSG_MAGIC   0x31425645u /* "EVB1" on the wire */
#define BENCH_MSG_HDR_LEN 32u

struct bench_msg_hdr {
	uint32_t magic;
	uint32_t session;
	uint64_t seq;
	uint64_t ts_ns;
	uint32_t payload_len;
	uint32_t crc;
};

enum bench_msg_verdict {
	BENCH_MSG_OK,
	BENCH_MSG_CORRUPTED, /* too short, bad magic, length or crc */
	BENCH_MSG_MISROUTED, /* intact, but another session's message */
};

/* Fill out[0..total) with a message; total >= BENCH_MSG_HDR_LEN. */
void bench_msg_build(uint8_t *out, size_t total, uint32_t session, uint64_t seq, uint64_t ts_ns);

/*
 * Check a received message against the session it arrived on.  *hdr is
 * filled whenever the header could be read (also for MISROUTED).
 */
enum bench_msg_verdict bench_msg_check(const uint8_t *p, size_t len, uint32_t session,
                                       struct bench_msg_hdr *hdr);

#endif
