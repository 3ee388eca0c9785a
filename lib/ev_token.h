/*
 * ev_token.h - the session-token hash, the dispatcher's pairing key
 * (edgeview-protocol.md section 4.2).
 *
 *	H = SHA-256(JWT)            for instance 0 (single instance)
 *	H = SHA-256(JWT "." N)      for instance N >= 1
 *	full  = base64url_nopad(H)        43 characters (EVE 17.3 and later)
 *	short = base64url_nopad(H[0..15]) 22 characters (older endpoints)
 *
 * The short form is computed from the truncated digest, never by cutting
 * the full string: its last character differs.
 */
#ifndef EV_TOKEN_H
#define EV_TOKEN_H

#include <stddef.h>

#include "ev_attr.h"
#include "ev_limits.h"

enum ev_token_hash_form {
	EV_TOKEN_HASH_FULL,  /* 32-byte digest, 43 characters */
	EV_TOKEN_HASH_SHORT, /* 16-byte digest, 22 characters */
};

#define EV_TOKEN_HASH_BUF (EV_TOKEN_HASH_FULL_LEN + 1)

/* out receives the NUL-terminated hash.  inst 0 means no instance suffix;
 * inst above EV_MAX_INSTANCES is EV_ERR_INST_RANGE. */
int ev_token_hash(const char *jwt, size_t len, unsigned inst, enum ev_token_hash_form form,
                  char out[EV_TOKEN_HASH_BUF]) EV_WARN_UNUSED;

/* A short, loggable prefix of a hash ("T5TizYe7…"): the full hash is the
 * session key and never goes to a log. out needs 12 bytes. */
void ev_token_hash_log_prefix(const char *hash, char out[12]);

#endif
