/* ev_evx.c - the EVX1 encrypted channel: hellos, keys, data frames. */
#include "ev_evx.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_json.h"
#include "ev_mem.h"

#define EVX_ID_RAW_LEN 16u
#define EVX_SEQ_LEN    8u
#define EVX_IV_PREFIX  (EV_GCM_IV_LEN - EVX_SEQ_LEN) /* zero bytes before the seq */
#define EVX_AAD_LEN    (4u + 1 + 1 + EVX_SEQ_LEN)

static const char label_c2d[] = "edgeview evx1 client to device";
static const char label_d2c[] = "edgeview evx1 device to client";
static const uint8_t zero_iv[EV_GCM_IV_LEN];
static const uint8_t zero_hash[EV_SHA256_LEN];

int
ev_evx_random_id(char out[EV_EVX_ID_LEN + 1])
{
	uint8_t raw[EVX_ID_RAW_LEN];
	struct ev_buf *b = NULL;
	int r;

	memset(out, 0, EV_EVX_ID_LEN + 1);
	if ((b = ev_buf_new(EV_EVX_ID_LEN + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_random(raw, sizeof(raw))) != 0 ||
	    (r = ev_b64_encode(EV_B64_URL_RAW, raw, sizeof(raw), b)) != 0)
		goto out;
	if (ev_buf_len(b) != EV_EVX_ID_LEN) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	memcpy(out, ev_buf_ptr(b), EV_EVX_ID_LEN);
	r = 0;
out:
	ev_buf_free(b);
	return r;
}

static bool
is_b64url(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/*
 * The ids are keyed as text, so one 16-byte value must have one spelling:
 * the 22nd character carries 2 bits and 4 zero bits, which only A, Q, g
 * and w have (Go's decoder would accept the other 60 as the same bytes).
 */
bool
ev_evx_id_valid(const char *id)
{
	if (id == NULL || strnlen(id, EV_EVX_ID_LEN + 1) != EV_EVX_ID_LEN)
		return false;
	for (size_t i = 0; i < EV_EVX_ID_LEN - 1; i++)
		if (!is_b64url(id[i]))
			return false;
	return memchr("AQgw", id[EV_EVX_ID_LEN - 1], 4) != NULL;
}

static bool
cipher_is(const struct ev_envelope *e, const char *name)
{
	return e != NULL && e->cipher != NULL && strcmp(e->cipher, name) == 0;
}

bool
ev_evx_is_hello(const struct ev_envelope *e)
{
	return cipher_is(e, EV_EVX_CIPHER_HELLO);
}

bool
ev_evx_is_data(const struct ev_envelope *e)
{
	return cipher_is(e, EV_EVX_CIPHER_DATA);
}

static bool
all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

static int
check_key(const uint8_t *key, size_t keylen)
{
	/* An empty key would make the MAC and the keys public knowledge. */
	if (key == NULL || keylen == 0)
		return EV_ERR_INVALID_ARG;
	if (keylen > EV_MAX_JWT_KEY)
		return EV_ERR_TOO_BIG;
	return 0;
}

/* ---- hello ---- */

int
ev_evx_hello_seal(const uint8_t *key, size_t keylen, const char *session, const char *nonce,
                  struct ev_buf *out)
{
	uint8_t mac[EV_HMAC_LEN];
	struct ev_buf *msg = NULL;
	int r;

	if (out == NULL) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if ((r = check_key(key, keylen)) != 0)
		goto out;
	if (!ev_evx_id_valid(session) || !ev_evx_id_valid(nonce)) {
		r = EV_ERR_EVX_ID;
		goto out;
	}
	if ((msg = ev_buf_new(EV_MAX_EVX_HELLO)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_buf_put_u8(msg, '{')) != 0 || (r = ev_json_put_key(msg, "evx", true)) != 0 ||
	    (r = ev_json_put_u64(msg, 1)) != 0 ||
	    (r = ev_json_put_key(msg, "session", false)) != 0 ||
	    (r = ev_json_put_cstring(msg, session)) != 0 ||
	    (r = ev_json_put_key(msg, "nonce", false)) != 0 ||
	    (r = ev_json_put_cstring(msg, nonce)) != 0 || (r = ev_buf_put_u8(msg, '}')) != 0)
		goto out;
	if ((r = ev_hmac_sha256(key, keylen, ev_buf_ptr(msg), ev_buf_len(msg), mac)) != 0)
		goto out;
	r = ev_envelope_seal_fields(ev_buf_ptr(msg), ev_buf_len(msg), mac, NULL, 0, zero_iv,
	                            sizeof(zero_iv), EV_EVX_CIPHER_HELLO, out);
out:
	ev_buf_free(msg);
	return r;
}

struct hello_json {
	int64_t evx;
	char *session;
	char *nonce;
};

/* Strings are capped loosely so that an over-long id is EV_ERR_EVX_ID. */
static const struct ev_json_field hello_fields[] = {
        {"evx", EV_JSON_I64, offsetof(struct hello_json, evx), 0, 0},
        {"session", EV_JSON_STRING, offsetof(struct hello_json, session), EV_MAX_EVX_HELLO, 0},
        {"nonce", EV_JSON_STRING, offsetof(struct hello_json, nonce), EV_MAX_EVX_HELLO, 0},
};

int
ev_evx_hello_open(const struct ev_envelope *e, const uint8_t *key, size_t keylen,
                  struct ev_evx_hello *out)
{
	static const uint8_t empty[1];
	struct hello_json h = {0, NULL, NULL};
	uint8_t mac[EV_HMAC_LEN];
	json_t *v = NULL;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (e == NULL || out == NULL) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if (!ev_evx_is_hello(e)) {
		r = EV_ERR_EVX_CIPHER;
		goto out;
	}
	if (e->iv.len != EV_GCM_IV_LEN || !all_zero(e->iv.p, e->iv.len)) {
		r = EV_ERR_EVX_IV;
		goto out;
	}
	if (e->signature.len != 0) {
		r = EV_ERR_EVX_FIELDS;
		goto out;
	}
	if ((r = check_key(key, keylen)) != 0)
		goto out;
	/* Authenticate before parsing anything the peer wrote. */
	if ((r = ev_hmac_sha256(key, keylen, e->message.p != NULL ? e->message.p : empty,
	                        e->message.len, mac)) != 0)
		goto out;
	if (!ev_timingsafe_eq(mac, e->hash, sizeof(mac))) {
		r = EV_ERR_ENV_HMAC;
		goto out;
	}
	if (e->message.len > EV_MAX_EVX_HELLO) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	if (e->message.len == 0 ||
	    ev_json_parse((const char *)e->message.p, e->message.len, EV_MAX_EVX_HELLO, &v) != 0 ||
	    !json_is_object(v) ||
	    ev_json_decode(v, hello_fields, EV_ARRAY_LEN(hello_fields), &h) != 0 || h.evx != 1 ||
	    h.session == NULL || h.nonce == NULL) {
		r = EV_ERR_EVX_HELLO;
		goto out;
	}
	if (!ev_evx_id_valid(h.session) || !ev_evx_id_valid(h.nonce)) {
		r = EV_ERR_EVX_ID;
		goto out;
	}
	memcpy(out->session, h.session, EV_EVX_ID_LEN + 1);
	memcpy(out->nonce, h.nonce, EV_EVX_ID_LEN + 1);
	r = 0;
out:
	json_decref(v);
	free(h.session);
	free(h.nonce);
	ev_memzero(mac, sizeof(mac));
	return r;
}

/* ---- channel ---- */

/* key = HKDF-SHA256(ikm = JWT key, salt, label || 0 || session || client nonce || device nonce) */
static int
derive(const uint8_t *key, size_t keylen, const uint8_t salt[EV_SHA256_LEN], const char *label,
       size_t labellen, const char *session, const char *cnonce, const char *dnonce,
       uint8_t out[EV_AES256_KEY_LEN])
{
	uint8_t info[sizeof(label_c2d) + 3 * EV_EVX_ID_LEN];
	size_t n = 0;
	int r;

	if (labellen + 1 + 3 * EV_EVX_ID_LEN > sizeof(info))
		return EV_ERR_INVALID_ARG;
	memcpy(info + n, label, labellen);
	n += labellen;
	info[n++] = 0;
	memcpy(info + n, session, EV_EVX_ID_LEN);
	n += EV_EVX_ID_LEN;
	memcpy(info + n, cnonce, EV_EVX_ID_LEN);
	n += EV_EVX_ID_LEN;
	memcpy(info + n, dnonce, EV_EVX_ID_LEN);
	n += EV_EVX_ID_LEN;
	r = ev_hkdf_sha256(key, keylen, salt, EV_SHA256_LEN, info, n, out, EV_AES256_KEY_LEN);
	ev_memzero(info, sizeof(info));
	return r;
}

int
ev_evx_chan_init(struct ev_evx_chan *c, bool client_side, const char *jwt, size_t jwtlen,
                 const uint8_t *key, size_t keylen, const char *session, const char *client_nonce,
                 const char *device_nonce)
{
	uint8_t salt[EV_SHA256_LEN], c2d[EV_AES256_KEY_LEN], d2c[EV_AES256_KEY_LEN];
	int r;

	if (c == NULL)
		return EV_ERR_INVALID_ARG;
	ev_evx_chan_wipe(c);
	if (jwt == NULL || jwtlen == 0) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if (jwtlen > EV_MAX_JWT) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	if ((r = check_key(key, keylen)) != 0)
		goto out;
	if (!ev_evx_id_valid(session) || !ev_evx_id_valid(client_nonce) ||
	    !ev_evx_id_valid(device_nonce)) {
		r = EV_ERR_EVX_ID;
		goto out;
	}
	if ((r = ev_sha256(jwt, jwtlen, salt)) != 0 ||
	    (r = derive(key, keylen, salt, label_c2d, sizeof(label_c2d) - 1, session, client_nonce,
	                device_nonce, c2d)) != 0 ||
	    (r = derive(key, keylen, salt, label_d2c, sizeof(label_d2c) - 1, session, client_nonce,
	                device_nonce, d2c)) != 0)
		goto out;
	memcpy(c->tx_key, client_side ? c2d : d2c, EV_AES256_KEY_LEN);
	memcpy(c->rx_key, client_side ? d2c : c2d, EV_AES256_KEY_LEN);
	c->client_side = client_side;
	c->ready = true;
	r = 0;
out:
	ev_memzero(salt, sizeof(salt));
	ev_memzero(c2d, sizeof(c2d));
	ev_memzero(d2c, sizeof(d2c));
	return r;
}

void
ev_evx_chan_wipe(struct ev_evx_chan *c)
{
	if (c != NULL)
		ev_memzero(c, sizeof(*c));
}

bool
ev_evx_chan_ready(const struct ev_evx_chan *c)
{
	return c != NULL && c->ready;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (size_t i = 0; i < EVX_SEQ_LEN; i++)
		p[i] = (uint8_t)(v >> (8 * (EVX_SEQ_LEN - 1 - i)));
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (size_t i = 0; i < EVX_SEQ_LEN; i++)
		v = (v << 8) | p[i];
	return v;
}

/* iv = 4 zero bytes || seq; AAD = "evx1" || direction || frame type || seq */
static void
frame_params(bool client_to_device, bool binary, uint64_t seq, uint8_t iv[EV_GCM_IV_LEN],
             uint8_t aad[EVX_AAD_LEN])
{
	memset(iv, 0, EVX_IV_PREFIX);
	put_be64(iv + EVX_IV_PREFIX, seq);
	memcpy(aad, "evx1", 4);
	aad[4] = client_to_device ? 'c' : 'd';
	aad[5] = binary ? 'b' : 't';
	put_be64(aad + 6, seq);
}

int
ev_evx_seal(struct ev_evx_chan *c, bool binary, const uint8_t *pt, size_t len, struct ev_buf *out)
{
	static const uint8_t empty[1];
	uint8_t iv[EV_GCM_IV_LEN], aad[EVX_AAD_LEN];
	uint8_t *ct = NULL;
	uint64_t seq;
	int r;

	if (c == NULL || out == NULL || (pt == NULL && len != 0)) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if (!c->ready) {
		r = EV_ERR_EVX_NO_CHANNEL;
		goto out;
	}
	if (len > EV_MAX_EVX_PLAINTEXT) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	if (c->tx_seq == UINT64_MAX) {
		r = EV_ERR_EVX_EXHAUSTED;
		goto out;
	}
	seq = c->tx_seq + 1;
	frame_params(c->client_side, binary, seq, iv, aad);
	if ((ct = malloc(len + EV_GCM_TAG_LEN)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_aes256gcm_seal(c->tx_key, iv, sizeof(iv), aad, sizeof(aad),
	                           pt != NULL ? pt : empty, len, ct)) != 0 ||
	    (r = ev_envelope_seal_fields(ct, len + EV_GCM_TAG_LEN, zero_hash, NULL, 0, iv,
	                                 sizeof(iv), EV_EVX_CIPHER_DATA, out)) != 0)
		goto out;
	c->tx_seq = seq;
	r = 0;
out:
	free(ct);
	return r;
}

int
ev_evx_open(struct ev_evx_chan *c, const struct ev_envelope *e, bool binary, uint8_t **pt,
            size_t *ptlen)
{
	uint8_t iv[EV_GCM_IV_LEN], aad[EVX_AAD_LEN];
	uint8_t *p = NULL;
	size_t n = 0;
	uint64_t seq;
	int r;

	if (pt != NULL)
		*pt = NULL;
	if (ptlen != NULL)
		*ptlen = 0;
	if (c == NULL || e == NULL || pt == NULL || ptlen == NULL) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if (!c->ready) {
		r = EV_ERR_EVX_NO_CHANNEL;
		goto out;
	}
	if (!ev_evx_is_data(e)) {
		r = EV_ERR_EVX_CIPHER;
		goto out;
	}
	if (e->iv.len != EV_GCM_IV_LEN || !all_zero(e->iv.p, EVX_IV_PREFIX)) {
		r = EV_ERR_EVX_IV;
		goto out;
	}
	if (e->signature.len != 0 || !all_zero(e->hash, sizeof(e->hash))) {
		r = EV_ERR_EVX_FIELDS;
		goto out;
	}
	if (c->rx_seq == UINT64_MAX) {
		r = EV_ERR_EVX_EXHAUSTED;
		goto out;
	}
	/* Exactly the next one: no replay, reordering or dropped frame. */
	seq = get_be64(e->iv.p + EVX_IV_PREFIX);
	if (seq != c->rx_seq + 1) {
		r = EV_ERR_EVX_SEQ;
		goto out;
	}
	if (e->message.len < EV_GCM_TAG_LEN) {
		r = EV_ERR_TRUNCATED;
		goto out;
	}
	n = e->message.len - EV_GCM_TAG_LEN;
	if (n > EV_MAX_EVX_PLAINTEXT) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	frame_params(!c->client_side, binary, seq, iv, aad);
	if ((p = malloc(n + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_aes256gcm_open(c->rx_key, iv, sizeof(iv), aad, sizeof(aad), e->message.p,
	                           e->message.len, p)) != 0)
		goto out;
	p[n] = '\0';
	c->rx_seq = seq;
	*pt = p;
	*ptlen = n;
	p = NULL;
	r = 0;
out:
	ev_freezero(p, n + 1);
	return r;
}
