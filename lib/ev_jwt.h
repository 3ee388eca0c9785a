/*
 * ev_jwt.h - the Edge-View session token (edgeview-protocol.md section 1).
 *
 * A compact JWS signed with ES256 by the controller.  Parsing is strict
 * where EVE's verifier (zedagent) is strict: exactly three base64url parts
 * without padding, header {"alg":"ES256","typ":"JWT"}, a 64-byte r||s
 * signature.  Claims are decoded with Go's JSON rules (case-insensitive
 * keys, unknown keys ignored; num > 255 or a fractional exp is an error).
 *
 * Verification is done with OpenSSL (ev_sig), not libjwt: libjwt 1.10
 * accepts padded segments, cannot take an X.509 certificate, and writes
 * claims in sorted order, whereas EVE's controllers write Go struct order;
 * ev_jwt_mint() reproduces that order so the signing input of a minted
 * token is byte-identical to a Go controller's for the same claims.
 *
 * Beyond EVE: optional "nbf" and "iat" claims (which EVE ignores and its
 * controllers do not send) are honoured with EV_JWT_CLOCK_SKEW tolerance,
 * an unknown "aut" is refused up front, and the dispatcher endpoint is
 * validated instead of producing an unusable URL.
 */
#ifndef EV_JWT_H
#define EV_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ev_attr.h"
#include "ev_limits.h"

struct ev_pubkey;
struct ev_privkey;

/* Client authentication types ("aut"). */
enum ev_jwt_aut {
	EV_AUT_HMAC = 0,       /* unspecified: HMAC with the token key only */
	EV_AUT_CONTROLLER = 1, /* commands signed with the controller's key */
	EV_AUT_SSH = 2,        /* commands signed with an engineer's SSH key */
};

struct ev_jwt_claims {
	char *dep;    /* dispatcher endpoint */
	char *sub;    /* device UUID */
	uint64_t exp; /* expiry, Unix seconds */
	char *key;    /* HMAC key ("nonce"): a secret, its raw bytes are the key */
	uint8_t num;  /* instances: 0 or 1 single, 2..5 multi */
	bool enc;     /* encryption requested */
	int32_t aut;  /* enum ev_jwt_aut */
	bool has_nbf, has_iat;
	int64_t nbf, iat;
};

struct ev_jwt {
	char *token; /* the compact token exactly as given */
	size_t token_len;
	size_t signing_len; /* bytes of token covered by the signature */
	uint8_t sig[64];    /* r || s */
	struct ev_jwt_claims claims;
};

/* Parse and syntax-check a token; no signature or time check. */
int ev_jwt_parse(const char *token, size_t len, struct ev_jwt **out) EV_WARN_UNUSED;
void ev_jwt_free(struct ev_jwt *jwt); /* wipes */

/* ES256 against a P-256 key (certificate or PUBLIC KEY via ev_sig).
 * EV_ERR_KEY_CURVE for another key kind, EV_ERR_JWT_SIG if invalid. */
int ev_jwt_verify(const struct ev_jwt *jwt, const struct ev_pubkey *key) EV_WARN_UNUSED;

/* Claims checks.  device_uuid may be NULL (the client has none). */
int ev_jwt_validate(const struct ev_jwt *jwt, time_t now, const char *device_uuid) EV_WARN_UNUSED;

/* The dispatcher endpoint of section 1.4. */
struct ev_dep {
	char host[256];            /* without brackets for IPv6 */
	uint16_t port;             /* 443 when dep has none */
	char hostport[264];        /* as dep wrote it ("host:port" or "host"), the Host header */
	char path[EV_MAX_JWT_DEP]; /* "" or "/..." */
};

int ev_jwt_dep_parse(const char *dep, struct ev_dep *out) EV_WARN_UNUSED;

/* Instance rules of section 1.5.  *effective receives the instance to use
 * (0 = single).  The client variant sets *warning to a message for the
 * user (or NULL) where Go warns and carries on. */
int ev_jwt_device_instance(const struct ev_jwt_claims *c, unsigned inst,
                           unsigned *effective) EV_WARN_UNUSED;
int ev_jwt_client_instance(const struct ev_jwt_claims *c, unsigned inst, unsigned *effective,
                           const char **warning) EV_WARN_UNUSED;

/* Mint an ES256 token with the claims in Go struct order (dep sub exp key
 * num enc aut); nbf/iat are added only when set.  *out is malloc'd. */
int ev_jwt_mint(const struct ev_jwt_claims *c, const struct ev_privkey *key,
                char **out) EV_WARN_UNUSED;
/* The Go-ordered claims JSON alone (for tests and the demo). */
struct ev_buf;
int ev_jwt_claims_encode(const struct ev_jwt_claims *c, struct ev_buf *out) EV_WARN_UNUSED;

#endif
