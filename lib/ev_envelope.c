/* ev_envelope.c - seal, parse and check Edge-View envelopes (section 6). */
#include "ev_envelope.h"

#include <stdlib.h>
#include <string.h>

#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_mem.h"
#include "ev_sig.h"

/* Caps inside an envelope; the message is bounded by the envelope's size. */
#define ENV_MAX_IV     64
#define ENV_MAX_CIPHER 64

static const struct ev_json_field envelope_fields[] = {
        {"message", EV_JSON_BYTES, offsetof(struct ev_envelope, message), EV_MAX_PAYLOAD, 0},
        {"sha256Hash", EV_JSON_BYTE_ARRAY, offsetof(struct ev_envelope, hash), EV_SHA256_LEN, 0},
        {"Signature", EV_JSON_BYTES, offsetof(struct ev_envelope, signature), EV_MAX_SIGNATURE, 0},
        {"iv", EV_JSON_BYTES, offsetof(struct ev_envelope, iv), ENV_MAX_IV, 0},
        {"cipher", EV_JSON_STRING, offsetof(struct ev_envelope, cipher), ENV_MAX_CIPHER, 0},
};

void
ev_envelope_free(struct ev_envelope *e)
{
	if (e == NULL)
		return;
	ev_bytes_free(&e->message);
	ev_bytes_free(&e->signature);
	ev_bytes_free(&e->iv);
	free(e->cipher);
	ev_memzero(e, sizeof(*e));
}

int
ev_envelope_parse(const char *json, size_t len, struct ev_envelope *out)
{
	json_t *v = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = ev_json_parse(json, len, EV_MAX_ENVELOPE, &v)) != 0)
		return r == EV_ERR_JSON_SYNTAX ? EV_ERR_ENV_NOT_JSON : r;
	r = ev_json_decode(v, envelope_fields, EV_ARRAY_LEN(envelope_fields), out);
	json_decref(v);
	if (r != 0)
		ev_envelope_free(out);
	return r;
}

/* {"message":"<b64>","sha256Hash":[...],"Signature":<sig>[,"iv":..][,"cipher":..]}:
 * iv and cipher are omitempty in Go. */
static int
seal(const uint8_t *payload, size_t len, const uint8_t hash[EV_SHA256_LEN], const uint8_t *sig,
     size_t siglen, const uint8_t *iv, size_t ivlen, const char *cipher, struct ev_buf *out)
{
	static const uint8_t empty[1];
	int r;

	/* Go's []byte("") is non-nil: an empty payload is "", not null. */
	if (payload == NULL)
		payload = empty;
	if ((r = ev_buf_put_u8(out, '{')) != 0 ||
	    (r = ev_json_put_key(out, "message", true)) != 0 ||
	    (r = ev_json_put_b64(out, payload, len)) != 0 ||
	    (r = ev_json_put_key(out, "sha256Hash", false)) != 0 ||
	    (r = ev_json_put_byte_array(out, hash, EV_SHA256_LEN)) != 0 ||
	    (r = ev_json_put_key(out, "Signature", false)) != 0 ||
	    (r = ev_json_put_b64(out, sig, siglen)) != 0)
		return r;
	if (iv != NULL && ivlen != 0 &&
	    ((r = ev_json_put_key(out, "iv", false)) != 0 ||
	     (r = ev_json_put_b64(out, iv, ivlen)) != 0))
		return r;
	if (cipher != NULL && cipher[0] != '\0' &&
	    ((r = ev_json_put_key(out, "cipher", false)) != 0 ||
	     (r = ev_json_put_cstring(out, cipher)) != 0))
		return r;
	return ev_buf_put_u8(out, '}');
}

int
ev_envelope_seal_fields(const uint8_t *payload, size_t len, const uint8_t hash[EV_SHA256_LEN],
                        const uint8_t *sig, size_t siglen, const uint8_t *iv, size_t ivlen,
                        const char *cipher, struct ev_buf *out)
{
	size_t before = ev_buf_len(out);
	int r;

	if (len > EV_MAX_PAYLOAD)
		return EV_ERR_TOO_BIG;
	if ((r = seal(payload, len, hash, sig, siglen, iv, ivlen, cipher, out)) == 0)
		return 0;
	/* Drop a half-written envelope; removing only what seal() added cannot fail. */
	if (ev_buf_len(out) > before && ev_buf_consume_end(out, ev_buf_len(out) - before) != 0)
		return EV_ERR_INVALID_ARG;
	return r;
}

int
ev_envelope_seal_hmac(const uint8_t *key, size_t keylen, const uint8_t *payload, size_t len,
                      struct ev_buf *out)
{
	uint8_t mac[EV_HMAC_LEN];
	int r;

	if (len > EV_MAX_PAYLOAD)
		return EV_ERR_TOO_BIG;
	if ((r = ev_hmac_sha256(key, keylen, payload, len, mac)) != 0)
		return r;
	return seal(payload, len, mac, NULL, 0, NULL, 0, NULL, out);
}

int
ev_envelope_seal_signed(const struct ev_privkey *key, const uint8_t *payload, size_t len,
                        struct ev_buf *out)
{
	static const uint8_t zero[EV_SHA256_LEN];
	uint8_t sig[EV_MAX_SIGNATURE];
	size_t siglen = 0;
	int r;

	if (len > EV_MAX_PAYLOAD)
		return EV_ERR_TOO_BIG;
	if ((r = ev_sig_sign(key, payload, len, sig, sizeof(sig), &siglen)) != 0)
		return r;
	return seal(payload, len, zero, sig, siglen, NULL, 0, NULL, out);
}

enum ev_envelope_enc
ev_envelope_encryption(const struct ev_envelope *e, bool token_enc)
{
	if ((e->cipher != NULL && strcmp(e->cipher, "AES-GCM") == 0) || e->iv.len == 12)
		return EV_ENV_GCM_088;
	if (e->iv.len > 0 || (e->cipher != NULL && e->cipher[0] != '\0'))
		return EV_ENV_CFB_IV;
	if (token_enc)
		return EV_ENV_CFB_NOIV;
	return EV_ENV_PLAIN;
}

int
ev_envelope_check_hmac(const struct ev_envelope *e, const uint8_t *key, size_t keylen,
                       bool token_enc)
{
	static const uint8_t empty[1];
	uint8_t mac[EV_HMAC_LEN];
	int r;

	switch (ev_envelope_encryption(e, token_enc)) {
	case EV_ENV_GCM_088: return EV_ERR_ENV_GCM_UNSUPPORTED;
	case EV_ENV_CFB_IV:
	case EV_ENV_CFB_NOIV: return EV_ERR_ENV_CFB_UNSUPPORTED;
	case EV_ENV_PLAIN: break;
	}
	if ((r = ev_hmac_sha256(key, keylen, e->message.p != NULL ? e->message.p : empty,
	                        e->message.len, mac)) != 0)
		return r;
	r = ev_timingsafe_eq(mac, e->hash, sizeof(mac)) ? 0 : EV_ERR_ENV_HMAC;
	ev_memzero(mac, sizeof(mac));
	return r;
}

int
ev_envelope_check_sig(const struct ev_envelope *e, const struct ev_pubkey *key)
{
	static const uint8_t empty[1];

	if (e->signature.len == 0)
		return EV_ERR_SIG_MISSING;
	return ev_sig_verify(key, e->message.p != NULL ? e->message.p : empty, e->message.len,
	                     e->signature.p, e->signature.len);
}

int
ev_envelope_check_authkeys(const struct ev_envelope *e, const struct ev_authkeys *keys,
                           const struct ev_authkey **match)
{
	static const uint8_t empty[1];

	*match = NULL;
	if (e->signature.len == 0)
		return EV_ERR_SIG_MISSING;
	return ev_authkeys_verify(keys, e->message.p != NULL ? e->message.p : empty, e->message.len,
	                          e->signature.p, e->signature.len, match);
}
