/*
 * ev_sshagent.h - a small ssh-agent client (draft-miller-ssh-agent): list
 * the agent's keys and have it sign a message, so that a support engineer
 * can sign aut = 2 commands with a key that never leaves the agent.
 *
 * Why our own client: libssh 0.10 can use an agent only to authenticate an
 * SSH session; it exports no public function that signs arbitrary data
 * with an agent key.  The protocol is small (two requests).
 *
 * Every reply is untrusted: the parsers below are pure functions over one
 * agent message (the type byte and its contents, without the uint32 length
 * that frames it), separate from the socket I/O so that they can be fuzzed.
 * Replies are capped at EV_MAX_AGENT_REPLY bytes and EV_MAX_AGENT_IDENTITIES
 * keys, and every signature the agent returns is verified before it is
 * handed out.
 *
 * Signatures come out in Edge-View's raw form (ev_sig.h): ECDSA r || s,
 * each left-padded to the curve size; RSA PKCS#1 v1.5 with SHA-256 (asked
 * for with SSH_AGENT_RSA_SHA2_256; SHA-1 "ssh-rsa" answers are refused);
 * Ed25519 the 64 raw bytes.
 *
 * Only ECDSA P-256 agent keys can sign for Edge-View: an agent hashes
 * P-384 and P-521 messages with SHA-384 and SHA-512 (RFC 5656 6.2.1), and
 * no request asks for SHA-256 instead, while EVE's devices verify every
 * ECDSA signature over SHA-256.  Such identities are listed as unusable.
 */
#ifndef EV_SSHAGENT_H
#define EV_SSHAGENT_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_sig.h"

struct ev_buf;
struct ev_pubkey;

/* Message numbers (draft-miller-ssh-agent section 5.1). */
#define EV_SSH_AGENT_FAILURE              5
#define EV_SSH_AGENT_SUCCESS              6
#define EV_SSH2_AGENTC_REQUEST_IDENTITIES 11
#define EV_SSH2_AGENT_IDENTITIES_ANSWER   12
#define EV_SSH2_AGENTC_SIGN_REQUEST       13
#define EV_SSH2_AGENT_SIGN_RESPONSE       14
/* Other failure numbers some agents send (OpenSSH treats them as 5). */
#define EV_SSH2_AGENT_FAILURE     30
#define EV_SSH_COM_AGENT2_FAILURE 102
/* Sign request flag: an RSA key signs with rsa-sha2-256. */
#define EV_SSH_AGENT_RSA_SHA2_256 2u

struct ev_sshagent_id {
	uint8_t *blob; /* the key blob exactly as the agent sent it */
	size_t bloblen;
	char *type;    /* the blob's key type name ("ssh-dss"), "?" if unreadable */
	char *comment; /* the agent's comment; bytes that are not printable UTF-8 become '?' */
	struct ev_pubkey *key; /* NULL when the blob is not a key we can read */
	/* 0 when the key can sign Edge-View commands, else why not:
	 * EV_ERR_AUTHKEY_TYPE for DSA, certificates, sk-* and unknown types,
	 * EV_ERR_KEY_CURVE for ECDSA P-384 and P-521 (key set; see above),
	 * EV_ERR_KEY_TYPE for RSA outside 1024..8192 bits, EV_ERR_AUTHKEY_BLOB
	 * for damaged blobs.  Not an error of the list. */
	int status;
};

struct ev_sshagent_ids {
	size_t n;
	struct ev_sshagent_id *ids; /* n entries, in the agent's order */
};

/*
 * SSH2_AGENT_IDENTITIES_ANSWER (or a failure) into a list.
 * EV_ERR_TOO_BIG over EV_MAX_AGENT_REPLY; EV_ERR_TRUNCATED for an empty or
 * short message; EV_ERR_TRAILING for bytes after the last key;
 * EV_ERR_AGENT_FAILURE for a failure message; EV_ERR_AGENT_REPLY_TYPE for
 * any other type; EV_ERR_AGENT_TOO_MANY over EV_MAX_AGENT_IDENTITIES keys.
 */
int ev_sshagent_parse_identities(const uint8_t *msg, size_t len,
                                 struct ev_sshagent_ids **out) EV_WARN_UNUSED;
void ev_sshagent_ids_free(struct ev_sshagent_ids *ids);
/* The first usable identity (RSA, ECDSA, Ed25519), or NULL. */
const struct ev_sshagent_id *ev_sshagent_ids_first_usable(const struct ev_sshagent_ids *ids);
/* The usable identity whose public key equals key, or NULL. */
const struct ev_sshagent_id *ev_sshagent_ids_find(const struct ev_sshagent_ids *ids,
                                                  const struct ev_pubkey *key);

/*
 * SSH2_AGENT_SIGN_RESPONSE into a raw signature for a key of the given kind
 * whose raw signatures are siglen bytes (ev_pubkey_sig_len); written to sig
 * (capacity cap), length in *outlen.  Does not verify.  (For P-384 and P-521
 * the result is r || s over SHA-384 / SHA-512 of the message.)
 * Message level: as for the identities, plus EV_ERR_AGENT_FAILURE.
 * Signature level: EV_ERR_AGENT_SIG_ALG when the algorithm is not the one
 * of the kind (ecdsa-sha2-nistpNNN, rsa-sha2-256, ssh-ed25519; "ssh-rsa"
 * SHA-1 and rsa-sha2-512 included); EV_ERR_AGENT_SIG_FORMAT for a blob that
 * does not parse, bad or oversized mpints, a wrong length, trailing bytes.
 * EV_ERR_BUF_FULL when cap < siglen.
 */
int ev_sshagent_parse_sign_response(const uint8_t *msg, size_t len, enum ev_key_kind kind,
                                    size_t siglen, uint8_t *sig, size_t cap,
                                    size_t *outlen) EV_WARN_UNUSED;

/* Requests, appended to out without the uint32 length frame. */
int ev_sshagent_build_list_request(struct ev_buf *out) EV_WARN_UNUSED;
/* flags: EV_SSH_AGENT_RSA_SHA2_256 for RSA keys, else 0.  EV_ERR_TOO_BIG
 * when the request would exceed EV_MAX_AGENT_REQUEST. */
int ev_sshagent_build_sign_request(const uint8_t *blob, size_t bloblen, const uint8_t *data,
                                   size_t len, uint32_t flags, struct ev_buf *out) EV_WARN_UNUSED;

/* The SSH wire blob of a public key (RFC 4253 6.6, RFC 5656, RFC 8709),
 * appended to out: the form of authorized_keys lines and fingerprints. */
int ev_sshagent_key_blob(const struct ev_pubkey *k, struct ev_buf *out) EV_WARN_UNUSED;

/* ---- socket I/O ---- */
struct ev_sshagent; /* one connection */

/*
 * Connect to the agent at path, or at $SSH_AUTH_SOCK when path is NULL.
 * timeout_ms bounds each request with its reply (EV_AGENT_TIMEOUT_MS is
 * the usual value).  EV_ERR_AGENT_NONE when path is NULL and SSH_AUTH_SOCK
 * is unset or empty; EV_ERR_AGENT_CONNECT when nothing answers there (errno
 * kept).
 */
int ev_sshagent_connect(const char *path, int timeout_ms, struct ev_sshagent **out) EV_WARN_UNUSED;
void ev_sshagent_close(struct ev_sshagent *a);

/*
 * Send one request and read one reply message (without its length frame)
 * into a malloc'd buffer (free it).  EV_ERR_AGENT_TIMEOUT, EV_ERR_AGENT_CLOSED
 * (the agent hung up before a whole reply), EV_ERR_TOO_BIG for a reply
 * announced over EV_MAX_AGENT_REPLY (nothing of it is read), EV_ERR_TRUNCATED
 * for an empty reply, EV_ERR_IO for other socket errors (errno kept).
 */
int ev_sshagent_request(struct ev_sshagent *a, const uint8_t *req, size_t reqlen, uint8_t **reply,
                        size_t *replylen) EV_WARN_UNUSED;

/* The agent's identities (see ev_sshagent_parse_identities). */
int ev_sshagent_list(struct ev_sshagent *a, struct ev_sshagent_ids **out) EV_WARN_UNUSED;

/*
 * Have the agent sign msg with a usable identity; the raw signature is
 * checked with ev_sig_verify against id->key first (EV_ERR_AGENT_SIG_INVALID
 * when it does not verify).  EV_ERR_INVALID_ARG for an identity whose
 * status is not 0.
 */
int ev_sshagent_sign(struct ev_sshagent *a, const struct ev_sshagent_id *id, const uint8_t *msg,
                     size_t len, uint8_t *sig, size_t cap, size_t *siglen) EV_WARN_UNUSED;

#endif
