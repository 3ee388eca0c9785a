/*
 * ev_sshwire.h - a bounds-checked reader for the SSH wire encoding (RFC 4251
 * section 5: uint32, string, mpint), used on public key blobs from
 * authorized_keys lines and on OpenSSH private key containers.
 *
 * The reader never reads past its end and never allocates; strings are
 * returned as pointers into the input.  Any short read is EV_ERR_TRUNCATED
 * and leaves the reader where it was.
 */
#ifndef EV_SSHWIRE_H
#define EV_SSHWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_sshwire {
	const uint8_t *p;
	size_t len;
};

void ev_sshwire_init(struct ev_sshwire *w, const void *p, size_t len);
int ev_sshwire_get_u32(struct ev_sshwire *w, uint32_t *v) EV_WARN_UNUSED;
int ev_sshwire_get_string(struct ev_sshwire *w, const uint8_t **s, size_t *len) EV_WARN_UNUSED;
/* A string that must equal the C string want: EV_ERR_NOT_FOUND if it does not. */
int ev_sshwire_get_string_eq(struct ev_sshwire *w, const char *want) EV_WARN_UNUSED;
/* A positive mpint in its minimal form (RFC 4251: no needless leading zero);
 * (*s, *len) is its magnitude without the sign byte.  EV_ERR_INVALID_ARG for
 * zero, negative or non-minimal encodings. */
int ev_sshwire_get_mpint_pos(struct ev_sshwire *w, const uint8_t **s, size_t *len) EV_WARN_UNUSED;
/* Whether every byte has been read. */
bool ev_sshwire_done(const struct ev_sshwire *w);

#endif
