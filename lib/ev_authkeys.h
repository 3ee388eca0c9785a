/*
 * ev_authkeys.h - OpenSSH authorized_keys lines, the trusted client keys of
 * aut = 2 (edgeview-protocol.md sections 2.3 and 6.3).
 *
 * A line is [options] keytype base64-blob [comment] as in sshd(8).  Only
 * plain ssh-rsa, ecdsa-sha2-nistp256/384/521 and ssh-ed25519 keys are
 * accepted; certificates, security keys (sk-*) and DSA are refused.  The
 * options field is kept verbatim but not enforced (EVE ignores it too).
 * Unlike EVE, which tries only the first three lines, verification tries
 * every key of the list.
 */
#ifndef EV_AUTHKEYS_H
#define EV_AUTHKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_pubkey;

struct ev_authkey {
	struct ev_pubkey *key;
	char *type;    /* the key type field, e.g. "ecdsa-sha2-nistp256" */
	char *comment; /* rest of the line, trimmed; "" when absent (audit keyComment) */
	char *options; /* verbatim options field; "" when absent */
};

struct ev_authkeys; /* opaque list of at most EV_MAX_AUTHKEYS keys */

/*
 * One line (a trailing "\n" or "\r\n" is allowed).  EV_ERR_TOO_BIG over
 * EV_MAX_AUTHKEY_LINE; EV_ERR_AUTHKEY_SYNTAX for blank, comment-only or
 * malformed lines; EV_ERR_AUTHKEY_TYPE for unknown, certificate, sk-* and
 * DSA types; EV_ERR_AUTHKEY_BLOB for bad base64 or key data;
 * EV_ERR_AUTHKEY_MISMATCH when the key data is of another type than the
 * type field; EV_ERR_KEY_TYPE for RSA keys outside 1024..8192 bits.
 */
int ev_authkey_parse(const char *line, size_t len, struct ev_authkey **out) EV_WARN_UNUSED;
void ev_authkey_free(struct ev_authkey *k);

/* A public key from its SSH wire blob (RFC 4253 section 6.6 / RFC 5656 /
 * RFC 8709), with the same rules and codes as ev_authkey_parse. */
int ev_pubkey_from_ssh_blob(const uint8_t *blob, size_t len, struct ev_pubkey **out) EV_WARN_UNUSED;

/*
 * A whole authorized_keys text (EV_ERR_TOO_BIG over EV_MAX_AUTHKEYS_TEXT).
 * Blank lines and '#' comments are skipped; a bad line is skipped and
 * counted in *nbad (may be NULL), as are valid lines past the first
 * EV_MAX_AUTHKEYS keys.  An empty result is not an error here.
 */
int ev_authkeys_parse(const char *text, size_t len, struct ev_authkeys **out,
                      size_t *nbad) EV_WARN_UNUSED;
void ev_authkeys_free(struct ev_authkeys *ks);
size_t ev_authkeys_count(const struct ev_authkeys *ks);
/* NULL when i is out of range. */
const struct ev_authkey *ev_authkeys_get(const struct ev_authkeys *ks, size_t i);

/*
 * Tries every key in order; on success *match (may be NULL) is the first
 * key that verifies.  EV_ERR_NO_TRUSTED_KEYS for an empty (or NULL) list,
 * EV_ERR_SIG_INVALID when no key verifies.
 */
int ev_authkeys_verify(const struct ev_authkeys *ks, const uint8_t *msg, size_t len,
                       const uint8_t *sig, size_t siglen,
                       const struct ev_authkey **match) EV_WARN_UNUSED;

#endif
