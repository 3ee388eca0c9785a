/* ev_jwt.c - Edge-View session tokens: parse, verify, validate, mint. */
#include "ev_jwt.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_json.h"
#include "ev_mem.h"
#include "ev_sig.h"

static const char jwt_header_es256[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";

struct jwt_header {
	char *alg;
	char *typ;
};

static const struct ev_json_field header_fields[] = {
        {"alg", EV_JSON_STRING, offsetof(struct jwt_header, alg), 64, 0},
        {"typ", EV_JSON_STRING, offsetof(struct jwt_header, typ), 64, 0},
};

static const struct ev_json_field claim_fields[] = {
        {"dep", EV_JSON_STRING, offsetof(struct ev_jwt_claims, dep), EV_MAX_JWT_DEP, 0},
        {"sub", EV_JSON_STRING, offsetof(struct ev_jwt_claims, sub), EV_MAX_JWT_SUB, 0},
        {"exp", EV_JSON_U64, offsetof(struct ev_jwt_claims, exp), 0, 0},
        {"key", EV_JSON_STRING, offsetof(struct ev_jwt_claims, key), EV_MAX_JWT_KEY, 0},
        {"num", EV_JSON_U8, offsetof(struct ev_jwt_claims, num), 0, 0},
        {"enc", EV_JSON_BOOL, offsetof(struct ev_jwt_claims, enc), 0, 0},
        {"aut", EV_JSON_I32, offsetof(struct ev_jwt_claims, aut), 0, 0},
        {"nbf", EV_JSON_I64, offsetof(struct ev_jwt_claims, nbf), 0,
         EV_JSON_SEEN(struct ev_jwt_claims, has_nbf)},
        {"iat", EV_JSON_I64, offsetof(struct ev_jwt_claims, iat), 0,
         EV_JSON_SEEN(struct ev_jwt_claims, has_iat)},
};

static void
claims_clear(struct ev_jwt_claims *c)
{
	free(c->dep);
	free(c->sub);
	ev_strfreezero(c->key);
	ev_memzero(c, sizeof(*c));
}

void
ev_jwt_free(struct ev_jwt *jwt)
{
	if (jwt == NULL)
		return;
	claims_clear(&jwt->claims);
	ev_freezero(jwt->token, jwt->token_len);
	ev_freezero(jwt, sizeof(*jwt));
}

/* Decode one base64url segment into a fresh NUL-terminated buffer. */
static int
decode_segment(const char *s, size_t len, uint8_t **out, size_t *outlen)
{
	size_t cap = ev_b64_decoded_max(len) + 1;
	uint8_t *p;
	int r;

	*out = NULL;
	if ((p = malloc(cap)) == NULL)
		return EV_ERR_NOMEM;
	if ((r = ev_b64_decode(EV_B64_URL_RAW, s, len, p, cap, outlen)) != 0) {
		ev_freezero(p, cap);
		return r;
	}
	p[*outlen] = '\0';
	*out = p;
	return 0;
}

static int
parse_header(const char *s, size_t len)
{
	struct jwt_header h = {NULL, NULL};
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	json_t *v = NULL;
	int r;

	if ((r = decode_segment(s, len, &raw, &rawlen)) != 0)
		goto out;
	if (ev_json_parse((const char *)raw, rawlen, EV_MAX_JWT, &v) != 0 || !json_is_object(v) ||
	    ev_json_decode(v, header_fields, EV_ARRAY_LEN(header_fields), &h) != 0) {
		r = EV_ERR_JWT_HEADER;
		goto out;
	}
	if (h.alg == NULL || strcmp(h.alg, "ES256") != 0) {
		r = EV_ERR_JWT_ALG;
		goto out;
	}
	if (h.typ == NULL || strcmp(h.typ, "JWT") != 0) {
		r = EV_ERR_JWT_TYP;
		goto out;
	}
	r = 0;
out:
	json_decref(v);
	free(raw);
	free(h.alg);
	free(h.typ);
	return r;
}

static int
parse_claims(const char *s, size_t len, struct ev_jwt_claims *c)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	json_t *v = NULL;
	int r;

	if ((r = decode_segment(s, len, &raw, &rawlen)) != 0)
		goto out;
	if (ev_json_parse((const char *)raw, rawlen, EV_MAX_JWT, &v) != 0) {
		r = EV_ERR_JWT_CLAIMS;
		goto out;
	}
	/* Go accepts a null payload (all claims zero; validation then fails). */
	if (!json_is_object(v) && !json_is_null(v)) {
		r = EV_ERR_JWT_CLAIMS;
		goto out;
	}
	r = ev_json_decode(v, claim_fields, EV_ARRAY_LEN(claim_fields), c);
out:
	json_decref(v);
	ev_freezero(raw, rawlen);
	return r;
}

int
ev_jwt_parse(const char *token, size_t len, struct ev_jwt **out)
{
	struct ev_jwt *jwt = NULL;
	const char *d1, *d2;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r;

	*out = NULL;
	if (len > EV_MAX_JWT)
		return EV_ERR_TOO_BIG;
	if (memchr(token, '\0', len) != NULL)
		return EV_ERR_NUL_BYTE;
	/* Exactly three parts; whitespace means a paste error, not a token. */
	d1 = memchr(token, '.', len);
	d2 = d1 == NULL ? NULL : memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		return EV_ERR_JWT_FORMAT;
	for (size_t i = 0; i < len; i++)
		if (token[i] == ' ' || token[i] == '\t' || token[i] == '\r' || token[i] == '\n')
			return EV_ERR_JWT_FORMAT;
	if ((jwt = calloc(1, sizeof(*jwt))) == NULL)
		return EV_ERR_NOMEM;
	if ((r = parse_header(token, (size_t)(d1 - token))) != 0 ||
	    (r = parse_claims(d1 + 1, (size_t)(d2 - d1 - 1), &jwt->claims)) != 0 ||
	    (r = decode_segment(d2 + 1, len - (size_t)(d2 + 1 - token), &sig, &siglen)) != 0)
		goto out;
	if (siglen != sizeof(jwt->sig)) {
		r = EV_ERR_JWT_SIG_LEN;
		goto out;
	}
	memcpy(jwt->sig, sig, sizeof(jwt->sig));
	if ((jwt->token = ev_strndup(token, len)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	jwt->token_len = len;
	jwt->signing_len = (size_t)(d2 - token);
	*out = jwt;
	jwt = NULL;
	r = 0;
out:
	free(sig);
	ev_jwt_free(jwt);
	return r;
}

int
ev_jwt_verify(const struct ev_jwt *jwt, const struct ev_pubkey *key)
{
	int r;

	/* ES256 means P-256; Go would try any ECDSA curve, we refuse. */
	if (ev_pubkey_kind(key) != EV_KEY_EC_P256)
		return EV_ERR_KEY_CURVE;
	r = ev_sig_verify(key, (const uint8_t *)jwt->token, jwt->signing_len, jwt->sig,
	                  sizeof(jwt->sig));
	if (r == EV_ERR_SIG_INVALID || r == EV_ERR_SIG_LEN)
		return EV_ERR_JWT_SIG;
	return r;
}

int
ev_jwt_validate(const struct ev_jwt *jwt, time_t now, const char *device_uuid)
{
	const struct ev_jwt_claims *c = &jwt->claims;
	struct ev_dep dep;
	int r;

	if (c->exp == 0)
		return EV_ERR_JWT_NO_EXP;
	if (c->dep == NULL || c->dep[0] == '\0')
		return EV_ERR_JWT_NO_DEP;
	if (device_uuid != NULL && (c->sub == NULL || strcmp(c->sub, device_uuid) != 0))
		return EV_ERR_JWT_SUB;
	if (now < 0 || (uint64_t)now > c->exp)
		return EV_ERR_JWT_EXPIRED;
	if (c->has_nbf && c->nbf > (int64_t)now + EV_JWT_CLOCK_SKEW)
		return EV_ERR_JWT_NOT_YET_VALID;
	if (c->has_iat && c->iat > (int64_t)now + EV_JWT_CLOCK_SKEW)
		return EV_ERR_JWT_NOT_YET_VALID;
	if (c->num > EV_MAX_INSTANCES)
		return EV_ERR_JWT_NUM;
	if (c->aut < EV_AUT_HMAC || c->aut > EV_AUT_SSH)
		return EV_ERR_JWT_AUT;
	if ((r = ev_jwt_dep_parse(c->dep, &dep)) != 0)
		return r;
	return 0;
}

static bool
host_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

static bool
ipv6_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || (ch >= '0' && ch <= '9') ||
	       ch == ':' || ch == '.';
}

static int
parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return EV_ERR_JWT_DEP;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EV_ERR_JWT_DEP;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return EV_ERR_JWT_DEP;
	*port = (uint16_t)v;
	return 0;
}

int
ev_jwt_dep_parse(const char *dep, struct ev_dep *out)
{
	const char *s = dep, *slash, *hp_end, *host, *host_end, *port = NULL;
	size_t hplen, hostlen, i;

	memset(out, 0, sizeof(*out));
	/* Section 1.4: one "https://", then one "http://", nothing else. */
	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	slash = strchr(s, '/');
	hp_end = slash != NULL ? slash : s + strlen(s);
	hplen = (size_t)(hp_end - s);
	if (hplen == 0 || hplen >= sizeof(out->hostport))
		return EV_ERR_JWT_DEP;
	if (s[0] == '[') {
		host = s + 1;
		host_end = memchr(host, ']', hplen - 1);
		if (host_end == NULL)
			return EV_ERR_JWT_DEP;
		if (host_end + 1 < hp_end) {
			if (host_end[1] != ':')
				return EV_ERR_JWT_DEP;
			port = host_end + 2;
		}
		for (const char *p = host; p < host_end; p++)
			if (!ipv6_char_ok(*p))
				return EV_ERR_JWT_DEP;
	} else {
		host = s;
		host_end = memchr(s, ':', hplen);
		if (host_end != NULL)
			port = host_end + 1;
		else
			host_end = hp_end;
		for (const char *p = host; p < host_end; p++)
			if (!host_char_ok(*p))
				return EV_ERR_JWT_DEP;
	}
	hostlen = (size_t)(host_end - host);
	if (hostlen == 0 || hostlen >= sizeof(out->host))
		return EV_ERR_JWT_DEP;
	out->port = 443;
	if (port != NULL && parse_port(port, (size_t)(hp_end - port), &out->port) != 0)
		return EV_ERR_JWT_DEP;
	memcpy(out->host, host, hostlen);
	memcpy(out->hostport, s, hplen);
	if (slash != NULL) {
		size_t plen = strlen(slash);
		if (plen >= sizeof(out->path))
			return EV_ERR_JWT_DEP;
		/* A path, not a query or fragment, in visible ASCII. */
		for (i = 0; i < plen; i++)
			if (slash[i] <= 0x20 || slash[i] >= 0x7f || slash[i] == '?' ||
			    slash[i] == '#')
				return EV_ERR_JWT_DEP;
		memcpy(out->path, slash, plen + 1);
	}
	return 0;
}

int
ev_jwt_device_instance(const struct ev_jwt_claims *c, unsigned inst, unsigned *effective)
{
	*effective = 0;
	if (inst > EV_MAX_INSTANCES)
		return EV_ERR_INST_RANGE;
	if (c->num > 1 && inst == 0)
		return EV_ERR_INST_REQUIRED;
	if (c->num == 1 && inst > 0)
		return EV_ERR_INST_UNEXPECTED;
	/* Go lets "-inst 3" run with num 2; nobody could reach it, so refuse. */
	if (c->num > 1 && inst > c->num)
		return EV_ERR_INST_RANGE;
	*effective = inst;
	return 0;
}

int
ev_jwt_client_instance(const struct ev_jwt_claims *c, unsigned inst, unsigned *effective,
                       const char **warning)
{
	*effective = 0;
	*warning = NULL;
	if (inst > EV_MAX_INSTANCES)
		return EV_ERR_INST_RANGE;
	if (c->num > 1 && inst == 0) {
		*warning = "Edgeview is in multi-instance mode, try '-inst 1' here";
		*effective = 1;
		return 0;
	}
	if (c->num > 1 && inst > c->num)
		return EV_ERR_INST_RANGE;
	if (c->num == 1 && inst > 1)
		return EV_ERR_INST_RANGE;
	if (c->num == 1 && inst == 1) {
		*warning = "Edgeview is not in multi-instance mode, instance ignored here";
		return 0;
	}
	*effective = inst;
	return 0;
}

int
ev_jwt_claims_encode(const struct ev_jwt_claims *c, struct ev_buf *b)
{
	int r;

	if ((r = ev_buf_put_u8(b, '{')) != 0 || (r = ev_json_put_key(b, "dep", true)) != 0 ||
	    (r = ev_json_put_cstring(b, c->dep)) != 0 ||
	    (r = ev_json_put_key(b, "sub", false)) != 0 ||
	    (r = ev_json_put_cstring(b, c->sub)) != 0 ||
	    (r = ev_json_put_key(b, "exp", false)) != 0 || (r = ev_json_put_u64(b, c->exp)) != 0 ||
	    (r = ev_json_put_key(b, "key", false)) != 0 ||
	    (r = ev_json_put_cstring(b, c->key)) != 0 ||
	    (r = ev_json_put_key(b, "num", false)) != 0 || (r = ev_json_put_u64(b, c->num)) != 0 ||
	    (r = ev_json_put_key(b, "enc", false)) != 0 || (r = ev_json_put_bool(b, c->enc)) != 0 ||
	    (r = ev_json_put_key(b, "aut", false)) != 0 || (r = ev_json_put_i64(b, c->aut)) != 0)
		return r;
	if (c->has_nbf &&
	    ((r = ev_json_put_key(b, "nbf", false)) != 0 || (r = ev_json_put_i64(b, c->nbf)) != 0))
		return r;
	if (c->has_iat &&
	    ((r = ev_json_put_key(b, "iat", false)) != 0 || (r = ev_json_put_i64(b, c->iat)) != 0))
		return r;
	return ev_buf_put_u8(b, '}');
}

int
ev_jwt_mint(const struct ev_jwt_claims *c, const struct ev_privkey *key, char **out)
{
	struct ev_buf *claims = NULL, *tok = NULL;
	uint8_t sig[EV_MAX_SIGNATURE];
	size_t siglen = 0;
	uint8_t *p = NULL;
	int r;

	*out = NULL;
	if (ev_privkey_kind(key) != EV_KEY_EC_P256)
		return EV_ERR_KEY_CURVE;
	if ((claims = ev_buf_new(EV_MAX_JWT)) == NULL || (tok = ev_buf_new(EV_MAX_JWT)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_jwt_claims_encode(c, claims)) != 0 ||
	    (r = ev_b64_encode(EV_B64_URL_RAW, (const uint8_t *)jwt_header_es256,
	                       strlen(jwt_header_es256), tok)) != 0 ||
	    (r = ev_buf_put_u8(tok, '.')) != 0 ||
	    (r = ev_b64_encode(EV_B64_URL_RAW, ev_buf_ptr(claims), ev_buf_len(claims), tok)) != 0)
		goto out;
	if ((r = ev_sig_sign(key, ev_buf_ptr(tok), ev_buf_len(tok), sig, sizeof(sig), &siglen)) !=
	    0)
		goto out;
	if ((r = ev_buf_put_u8(tok, '.')) != 0 ||
	    (r = ev_b64_encode(EV_B64_URL_RAW, sig, siglen, tok)) != 0 ||
	    (r = ev_buf_take(tok, &p, NULL)) != 0)
		goto out;
	*out = (char *)p;
	r = 0;
out:
	ev_buf_free(claims);
	ev_buf_free(tok);
	return r;
}
