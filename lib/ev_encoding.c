/* ev_encoding.c - base64 (Go semantics) and hex. */
#include "ev_encoding.h"

#include "ev_buf.h"
#include "ev_err.h"

/*
 * Map one character to its 6-bit value, or -1, with arithmetic instead of a
 * table: each range test yields an all-ones mask when c is inside it.
 */
static int
b64_value(enum ev_b64_variant v, unsigned char c)
{
	int ch = c, ret = -1;
	int c62 = v == EV_B64_STD ? '+' : '-';
	int c63 = v == EV_B64_STD ? '/' : '_';

	ret += (((('A' - 1) - ch) & (ch - ('Z' + 1))) >> 8) & (ch - 'A' + 1);
	ret += (((('a' - 1) - ch) & (ch - ('z' + 1))) >> 8) & (ch - 'a' + 27);
	ret += (((('0' - 1) - ch) & (ch - ('9' + 1))) >> 8) & (ch - '0' + 53);
	ret += ((((c62 - 1) - ch) & (ch - (c62 + 1))) >> 8) & 63;
	ret += ((((c63 - 1) - ch) & (ch - (c63 + 1))) >> 8) & 64;
	return ret;
}

static char
b64_char(enum ev_b64_variant v, unsigned int x)
{
	int c62 = v == EV_B64_STD ? '+' : '-';
	int c63 = v == EV_B64_STD ? '/' : '_';
	int in = (int)x, out = 'A' + in;

	/* Adjust the offset for each range x falls beyond, branch-free. */
	out += ((25 - in) >> 8) & ('a' - 'A' - 26);
	out -= ((51 - in) >> 8) & ('a' - '0' + 26);
	out += ((61 - in) >> 8) & (c62 - ('0' + 10));
	out += ((62 - in) >> 8) & (c63 - c62 - 1);
	return (char)out;
}

size_t
ev_b64_encoded_len(enum ev_b64_variant v, size_t n)
{
	if (v == EV_B64_STD)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
ev_b64_decoded_max(size_t n)
{
	return n / 4 * 3 + 3;
}

int
ev_b64_encode(enum ev_b64_variant v, const uint8_t *in, size_t inlen, struct ev_buf *out)
{
	size_t olen = ev_b64_encoded_len(v, inlen), i, o = 0;
	uint8_t *dst;
	int r;

	if ((r = ev_buf_reserve(out, olen, &dst)) != 0)
		return r;
	for (i = 0; i + 3 <= inlen; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		dst[o++] = (uint8_t)b64_char(v, w >> 18 & 63);
		dst[o++] = (uint8_t)b64_char(v, w >> 12 & 63);
		dst[o++] = (uint8_t)b64_char(v, w >> 6 & 63);
		dst[o++] = (uint8_t)b64_char(v, w & 63);
	}
	if (i < inlen) {
		uint32_t w = (uint32_t)in[i] << 16;
		if (i + 1 < inlen)
			w |= (uint32_t)in[i + 1] << 8;
		dst[o++] = (uint8_t)b64_char(v, w >> 18 & 63);
		dst[o++] = (uint8_t)b64_char(v, w >> 12 & 63);
		if (i + 1 < inlen)
			dst[o++] = (uint8_t)b64_char(v, w >> 6 & 63);
		else if (v == EV_B64_STD)
			dst[o++] = '=';
		if (v == EV_B64_STD)
			dst[o++] = '=';
	}
	ev_buf_commit(out, o);
	return 0;
}

int
ev_b64_decode(enum ev_b64_variant v, const char *in, size_t inlen, uint8_t *out, size_t outcap,
              size_t *outlen)
{
	uint32_t acc = 0;
	size_t nq = 0, o = 0, npad = 0, i;

	*outlen = 0;
	if (outcap < ev_b64_decoded_max(inlen))
		return EV_ERR_INVALID_ARG;
	for (i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];
		int x;

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (v != EV_B64_STD)
				return EV_ERR_B64_PADDING;
			/* Padding may only complete a quantum of 2 or 3 symbols. */
			if (nq < 2 || nq + npad >= 4)
				return EV_ERR_B64_PADDING;
			npad++;
			continue;
		}
		if (npad > 0)
			return EV_ERR_B64_PADDING; /* data after '=' */
		if ((x = b64_value(v, c)) < 0)
			return EV_ERR_B64_CHAR;
		acc = acc << 6 | (uint32_t)x;
		if (++nq == 4) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
			nq = 0;
		}
	}
	if (v == EV_B64_STD) {
		if (nq == 0 && npad == 0)
			goto done;
		if (nq + npad != 4)
			return nq == 1 ? EV_ERR_B64_LENGTH : EV_ERR_B64_PADDING;
	} else if (nq == 1) {
		return EV_ERR_B64_LENGTH;
	}
	if (nq == 2) {
		out[o++] = (uint8_t)(acc >> 4);
	} else if (nq == 3) {
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
done:
	*outlen = o;
	return 0;
}

void
ev_hex_encode(const uint8_t *in, size_t inlen, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < inlen; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * inlen] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ev_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	if (inlen != 2 * outlen)
		return EV_ERR_HEX;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return EV_ERR_HEX;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int32_t
ev_utf8_decode(const uint8_t *s, size_t n, size_t *width)
{
	uint32_t c = s[0], min;
	size_t need, i;

	*width = 1;
	if (c < 0x80)
		return (int32_t)c;
	if ((c & 0xe0) == 0xc0) {
		need = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (n < need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*width = need + 1;
	return (int32_t)c;
}
