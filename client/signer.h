/*
 * signer.h - the support engineer's signing key for signed Edge-View
 * commands (token aut 1: the controller's key; aut 2: an SSH key), found,
 * unlocked and used.
 *
 * Where the key comes from, first match wins:
 *   1. opts.key_path (-key FILE or EDGEVIEW_KEY)
 *   2. the environment variable EdgeviewSshKeyPath
 *   3. a line "EdgeviewSshKeyPath:<path>" in ~/.edgeview/config
 *   4. /clientauth/privatekey (EVE's client container; the directory is
 *      $EDGEVIEW_CLIENTAUTH_DIR when set)
 *   5. aut 2 only: the first RSA, ECDSA or Ed25519 key of a running
 *      ssh-agent ($SSH_AUTH_SOCK)
 *   6. aut 2 only: ~/.ssh/id_ed25519, ~/.ssh/id_ecdsa, ~/.ssh/id_rsa
 * A path named by 1-3 that does not exist is an error, never a reason to
 * look further.  Key files are PEM (SEC1, PKCS#8, PKCS#1) or OpenSSH.  For
 * a passphrase-protected file, the running agent is used when it holds the
 * same key (FILE.pub, or the public half an OpenSSH file carries in clear);
 * otherwise the passphrase is asked on /dev/tty (three tries).
 */
#ifndef EV_CLIENT_SIGNER_H
#define EV_CLIENT_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_sig.h"

struct signer_opts {
	int aut;              /* 1 or 2 */
	const char *key_path; /* -key or EDGEVIEW_KEY, may be NULL */
};

struct signer;

/* On failure prints one "edgeview: ..." line to stderr and returns an
 * EV_ERR_* code (EV_ERR_NOT_FOUND when no key was found at all). */
int signer_open(const struct signer_opts *o, struct signer **out) EV_WARN_UNUSED;
/* A raw Edge-View signature of msg (ev_sig.h forms); cap EV_MAX_SIGNATURE
 * suffices.  Agent signatures are verified before they are returned. */
int signer_sign(struct signer *s, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
                size_t *siglen) EV_WARN_UNUSED;
enum ev_key_kind signer_kind(const struct signer *s);
/* The public half (borrowed). */
const struct ev_pubkey *signer_pubkey(const struct signer *s);
/* "ECDSA P-256 key /home/a/.ssh/id_ecdsa", "ssh-agent key alice@laptop (Ed25519)". */
const char *signer_describe(const struct signer *s);
/* Where the key was found: "-key or EDGEVIEW_KEY", "ssh-agent", "~/.ssh", ... */
const char *signer_origin(const struct signer *s);
void signer_free(struct signer *s);

/* `edgeview key [-key FILE] [-aut 1|2]`: which key a signed session would
 * use, its public line and fingerprint, and a test signature. */
int client_key_main(int argc, char **argv);

#endif
