/* bench_msg.c - build and check edgeview-bench test messages. */
#include "bench_msg.h"

#include <string.h>
#include <zlib.h>

/* The crc covers the header up to (not including) the crc field. */
#define BENCH_MSG_CRC_OFF 28u

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* zlib's crc32 takes a uInt length; payloads are capped far below 4 GiB. */
static uint32_t
crc_of(const uint8_t *p, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, p, BENCH_MSG_CRC_OFF);
	if (len > BENCH_MSG_HDR_LEN)
		c = crc32(c, p + BENCH_MSG_HDR_LEN, (uInt)(len - BENCH_MSG_HDR_LEN));
	return (uint32_t)c;
}

/* splitmix64 step: a cheap, well-mixed word per (session, seq). */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void
fill_pattern(uint8_t *p, size_t len, uint32_t session, uint64_t seq)
{
	uint64_t w = mix64(((uint64_t)session << 40) ^ seq);
	size_t i = 0;

	/* Word-wise so that multi-megabyte bulk messages stay cheap. */
	for (; i + 8 <= len; i += 8) {
		put_le64(p + i, w);
		w += 0x9e3779b97f4a7c15ull;
	}
	for (; i < len; i++)
		p[i] = (uint8_t)(w >> (8 * (i & 7)));
}

void
bench_msg_build(uint8_t *out, size_t total, uint32_t session, uint64_t seq, uint64_t ts_ns)
{
	size_t plen = total - BENCH_MSG_HDR_LEN;

	put_le32(out + 0, BENCH_MSG_MAGIC);
	put_le32(out + 4, session);
	put_le64(out + 8, seq);
	put_le64(out + 16, ts_ns);
	put_le32(out + 24, (uint32_t)plen);
	fill_pattern(out + BENCH_MSG_HDR_LEN, plen, session, seq);
	put_le32(out + BENCH_MSG_CRC_OFF, crc_of(out, total));
}

enum bench_msg_verdict
bench_msg_check(const uint8_t *p, size_t len, uint32_t session, struct bench_msg_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	if (len < BENCH_MSG_HDR_LEN)
		return BENCH_MSG_CORRUPTED;
	hdr->magic = get_le32(p + 0);
	hdr->session = get_le32(p + 4);
	hdr->seq = get_le64(p + 8);
	hdr->ts_ns = get_le64(p + 16);
	hdr->payload_len = get_le32(p + 24);
	hdr->crc = get_le32(p + BENCH_MSG_CRC_OFF);
	if (hdr->magic != BENCH_MSG_MAGIC || (size_t)hdr->payload_len != len - BENCH_MSG_HDR_LEN)
		return BENCH_MSG_CORRUPTED;
	if (crc_of(p, len) != hdr->crc)
		return BENCH_MSG_CORRUPTED;
	if (hdr->session != session)
		return BENCH_MSG_MISROUTED;
	return BENCH_MSG_OK;
}
