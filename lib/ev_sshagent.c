/* ev_sshagent.c - ssh-agent protocol client: pure message parsers, then socket I/O. */
#include "ev_sshagent.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_mem.h"
#include "ev_sshwire.h"

/* Longest key type name we keep for display (OpenSSH's longest is ~45). */
#define TYPE_NAME_MAX 64u
#define ED25519_LEN   32u

struct sigalg {
	enum ev_key_kind kind;
	const char *key_type; /* the key blob's type */
	const char *sig_type; /* the signature blob's algorithm */
	const char *curve;    /* ECDSA curve identifier inside the key blob */
};

static const struct sigalg sigalgs[] = {
        {EV_KEY_EC_P256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "nistp256"},
        {EV_KEY_EC_P384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "nistp384"},
        {EV_KEY_EC_P521, "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "nistp521"},
        {EV_KEY_RSA, "ssh-rsa", "rsa-sha2-256", NULL},
        {EV_KEY_ED25519, "ssh-ed25519", "ssh-ed25519", NULL},
};

static const struct sigalg *
sigalg_of(enum ev_key_kind kind)
{
	size_t i;

	for (i = 0; i < EV_ARRAY_LEN(sigalgs); i++)
		if (sigalgs[i].kind == kind)
			return &sigalgs[i];
	return NULL;
}

static bool
is_ecdsa(enum ev_key_kind kind)
{
	return kind == EV_KEY_EC_P256 || kind == EV_KEY_EC_P384 || kind == EV_KEY_EC_P521;
}

/* ---- parsing ---- */

/* Length of a valid UTF-8 sequence at p that encodes a printable code point
 * (U+00A0 and up, no surrogates), or 0. */
static size_t
utf8_printable_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t need, i;

	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* C1 controls, overlong forms, surrogates, beyond U+10FFFF. */
	if ((c == 0xc2 && p[1] < 0xa0) || (c == 0xe0 && p[1] < 0xa0) ||
	    (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return need;
}

/* A comment from the agent ends up on the user's terminal: no control
 * characters or escape sequences get through. */
static char *
printable_dup(const uint8_t *s, size_t n)
{
	char *out;
	size_t i = 0, o = 0, k;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			out[o++] = (char)s[i++];
		} else if ((k = utf8_printable_len(s + i, n - i)) != 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			out[o++] = '?';
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* The type byte of a reply: the wanted one, or a precise error. */
static int
check_type(const uint8_t *msg, size_t len, uint8_t want)
{
	if (len > EV_MAX_AGENT_REPLY)
		return EV_ERR_TOO_BIG;
	if (len == 0)
		return EV_ERR_TRUNCATED;
	if (msg[0] == want)
		return 0;
	if (msg[0] == EV_SSH_AGENT_FAILURE || msg[0] == EV_SSH2_AGENT_FAILURE ||
	    msg[0] == EV_SSH_COM_AGENT2_FAILURE)
		return EV_ERR_AGENT_FAILURE;
	return EV_ERR_AGENT_REPLY_TYPE;
}

static void
id_clear(struct ev_sshagent_id *id)
{
	free(id->blob);
	free(id->type);
	free(id->comment);
	ev_pubkey_free(id->key);
	memset(id, 0, sizeof(*id));
}

static int
id_fill(struct ev_sshagent_id *id, const uint8_t *blob, size_t bloblen, const uint8_t *comment,
        size_t commentlen)
{
	struct ev_sshwire w;
	const uint8_t *type;
	size_t typelen;
	int r;

	memset(id, 0, sizeof(*id));
	ev_sshwire_init(&w, blob, bloblen);
	if (ev_sshwire_get_string(&w, &type, &typelen) != 0 || typelen == 0 ||
	    typelen > TYPE_NAME_MAX) {
		type = (const uint8_t *)"?";
		typelen = 1;
	}
	if ((id->blob = ev_memdup(blob, bloblen > 0 ? bloblen : 1)) == NULL ||
	    (id->type = printable_dup(type, typelen)) == NULL ||
	    (id->comment = printable_dup(comment, commentlen)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	id->bloblen = bloblen;
	/* A key we cannot use is listed, not an error: the agent may hold a
	 * DSA key or a certificate next to the one we want. */
	id->status = ev_pubkey_from_ssh_blob(blob, bloblen, &id->key);
	if (id->status == EV_ERR_NOMEM) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* The agent would hash with SHA-384/512; Edge-View needs SHA-256. */
	if (id->status == 0 && (ev_pubkey_kind(id->key) == EV_KEY_EC_P384 ||
	                        ev_pubkey_kind(id->key) == EV_KEY_EC_P521))
		id->status = EV_ERR_KEY_CURVE;
	r = 0;
out:
	if (r != 0)
		id_clear(id);
	return r;
}

void
ev_sshagent_ids_free(struct ev_sshagent_ids *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->n; i++)
		id_clear(&ids->ids[i]);
	free(ids->ids);
	free(ids);
}

int
ev_sshagent_parse_identities(const uint8_t *msg, size_t len, struct ev_sshagent_ids **out)
{
	struct ev_sshagent_ids *ids = NULL;
	struct ev_sshwire w;
	const uint8_t *blob, *comment;
	size_t bloblen, commentlen;
	uint32_t n, i;
	int r;

	if (out != NULL)
		*out = NULL;
	if ((msg == NULL && len != 0) || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = check_type(msg, len, EV_SSH2_AGENT_IDENTITIES_ANSWER)) != 0)
		return r;
	ev_sshwire_init(&w, msg + 1, len - 1);
	if ((r = ev_sshwire_get_u32(&w, &n)) != 0)
		goto out;
	/* The count is the peer's word: checked before anything is allocated. */
	if (n > EV_MAX_AGENT_IDENTITIES) {
		r = EV_ERR_AGENT_TOO_MANY;
		goto out;
	}
	if ((ids = calloc(1, sizeof(*ids))) == NULL ||
	    (ids->ids = calloc(n > 0 ? n : 1, sizeof(*ids->ids))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = ev_sshwire_get_string(&w, &blob, &bloblen)) != 0 ||
		    (r = ev_sshwire_get_string(&w, &comment, &commentlen)) != 0)
			goto out;
		if ((r = id_fill(&ids->ids[i], blob, bloblen, comment, commentlen)) != 0)
			goto out;
		ids->n++;
	}
	if (!ev_sshwire_done(&w)) {
		r = EV_ERR_TRAILING;
		goto out;
	}
	*out = ids;
	ids = NULL;
	r = 0;
out:
	ev_sshagent_ids_free(ids);
	return r;
}

const struct ev_sshagent_id *
ev_sshagent_ids_first_usable(const struct ev_sshagent_ids *ids)
{
	size_t i;

	for (i = 0; ids != NULL && i < ids->n; i++)
		if (ids->ids[i].status == 0 && ids->ids[i].key != NULL)
			return &ids->ids[i];
	return NULL;
}

const struct ev_sshagent_id *
ev_sshagent_ids_find(const struct ev_sshagent_ids *ids, const struct ev_pubkey *key)
{
	size_t i;

	for (i = 0; ids != NULL && key != NULL && i < ids->n; i++) {
		const struct ev_sshagent_id *id = &ids->ids[i];

		if (id->status == 0 && id->key != NULL &&
		    EVP_PKEY_eq(ev_pubkey_evp(id->key), ev_pubkey_evp(key)) == 1)
			return id;
	}
	ERR_clear_error();
	return NULL;
}

/* (mpint r, mpint s) into fixed-width r || s. */
static int
ecdsa_sig(const uint8_t *data, size_t datalen, size_t half, uint8_t *sig)
{
	struct ev_sshwire w;
	const uint8_t *rr, *ss;
	size_t rlen, slen;

	ev_sshwire_init(&w, data, datalen);
	if (ev_sshwire_get_mpint_pos(&w, &rr, &rlen) != 0 ||
	    ev_sshwire_get_mpint_pos(&w, &ss, &slen) != 0 || !ev_sshwire_done(&w) || rlen > half ||
	    slen > half)
		return EV_ERR_AGENT_SIG_FORMAT;
	memset(sig, 0, 2 * half);
	memcpy(sig + half - rlen, rr, rlen);
	memcpy(sig + 2 * half - slen, ss, slen);
	return 0;
}

int
ev_sshagent_parse_sign_response(const uint8_t *msg, size_t len, enum ev_key_kind kind,
                                size_t siglen, uint8_t *sig, size_t cap, size_t *outlen)
{
	const struct sigalg *alg = sigalg_of(kind);
	struct ev_sshwire w, sw;
	const uint8_t *blob, *name, *data;
	size_t bloblen, namelen, datalen;
	int r;

	if (outlen != NULL)
		*outlen = 0;
	if ((msg == NULL && len != 0) || sig == NULL || outlen == NULL || alg == NULL ||
	    siglen == 0 || siglen > EV_MAX_SIGNATURE)
		return EV_ERR_INVALID_ARG;
	if ((is_ecdsa(kind) && siglen % 2 != 0) || (kind == EV_KEY_ED25519 && siglen != 64))
		return EV_ERR_INVALID_ARG;
	if (cap < siglen)
		return EV_ERR_BUF_FULL;
	if ((r = check_type(msg, len, EV_SSH2_AGENT_SIGN_RESPONSE)) != 0)
		return r;
	ev_sshwire_init(&w, msg + 1, len - 1);
	if ((r = ev_sshwire_get_string(&w, &blob, &bloblen)) != 0)
		return r;
	if (!ev_sshwire_done(&w))
		return EV_ERR_TRAILING;

	ev_sshwire_init(&sw, blob, bloblen);
	if (ev_sshwire_get_string(&sw, &name, &namelen) != 0)
		return EV_ERR_AGENT_SIG_FORMAT;
	if (namelen != strlen(alg->sig_type) || memcmp(name, alg->sig_type, namelen) != 0)
		return EV_ERR_AGENT_SIG_ALG;
	if (ev_sshwire_get_string(&sw, &data, &datalen) != 0 || !ev_sshwire_done(&sw))
		return EV_ERR_AGENT_SIG_FORMAT;

	if (is_ecdsa(kind)) {
		if ((r = ecdsa_sig(data, datalen, siglen / 2, sig)) != 0)
			return r;
	} else if (kind == EV_KEY_RSA) {
		/* Some agents drop leading zero bytes, as OpenSSH's verifier
		 * tolerates; the raw form is always the modulus length. */
		if (datalen == 0 || datalen > siglen)
			return EV_ERR_AGENT_SIG_FORMAT;
		memset(sig, 0, siglen - datalen);
		memcpy(sig + siglen - datalen, data, datalen);
	} else {
		if (datalen != siglen)
			return EV_ERR_AGENT_SIG_FORMAT;
		memcpy(sig, data, datalen);
	}
	*outlen = siglen;
	return 0;
}

/* ---- encoding ---- */

static int
put_u32(struct ev_buf *b, uint32_t v)
{
	uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return ev_buf_put(b, p, sizeof(p));
}

static int
put_string(struct ev_buf *b, const void *p, size_t len)
{
	int r;

	if (len > UINT32_MAX)
		return EV_ERR_TOO_BIG;
	if ((r = put_u32(b, (uint32_t)len)) != 0)
		return r;
	return len > 0 ? ev_buf_put(b, p, len) : 0;
}

static int
put_cstring(struct ev_buf *b, const char *s)
{
	return put_string(b, s, strlen(s));
}

/* A positive BIGNUM as an SSH mpint (a 0x00 byte where the sign bit is set). */
static int
put_mpint_bn(struct ev_buf *b, const BIGNUM *bn)
{
	uint8_t buf[1 + EV_RSA_MAX_SIG];
	int n = BN_num_bytes(bn);
	int r;

	if (n <= 0 || (size_t)n > EV_RSA_MAX_SIG)
		return EV_ERR_KEY_TYPE;
	buf[0] = 0;
	if (BN_bn2bin(bn, buf + 1) != n)
		return EV_ERR_CRYPTO;
	if ((buf[1] & 0x80) != 0)
		r = put_string(b, buf, (size_t)n + 1);
	else
		r = put_string(b, buf + 1, (size_t)n);
	return r;
}

static int
rsa_blob(EVP_PKEY *pk, struct ev_buf *out)
{
	BIGNUM *n = NULL, *e = NULL;
	int r;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = put_cstring(out, "ssh-rsa")) != 0 || (r = put_mpint_bn(out, e)) != 0 ||
	    (r = put_mpint_bn(out, n)) != 0)
		goto out;
	r = 0;
out:
	BN_free(n);
	BN_free(e);
	return r;
}

/* The point is rebuilt from its coordinates: a key read from a file may
 * prefer the compressed form, and SSH blobs carry only 04 || X || Y. */
static int
ecdsa_blob(EVP_PKEY *pk, const struct sigalg *alg, size_t field, struct ev_buf *out)
{
	BIGNUM *x = NULL, *y = NULL;
	uint8_t q[1 + 2 * 66];
	int r;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	q[0] = 0x04;
	if (BN_bn2binpad(x, q + 1, (int)field) != (int)field ||
	    BN_bn2binpad(y, q + 1 + field, (int)field) != (int)field) {
		r = EV_ERR_CRYPTO;
		goto out;
	}
	if ((r = put_cstring(out, alg->key_type)) != 0 || (r = put_cstring(out, alg->curve)) != 0 ||
	    (r = put_string(out, q, 1 + 2 * field)) != 0)
		goto out;
	r = 0;
out:
	BN_free(x);
	BN_free(y);
	return r;
}

static int
ed25519_blob(EVP_PKEY *pk, struct ev_buf *out)
{
	uint8_t raw[ED25519_LEN];
	size_t len = sizeof(raw);
	int r;

	if (EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1 || len != ED25519_LEN)
		return EV_ERR_CRYPTO;
	if ((r = put_cstring(out, "ssh-ed25519")) != 0)
		return r;
	return put_string(out, raw, len);
}

int
ev_sshagent_key_blob(const struct ev_pubkey *k, struct ev_buf *out)
{
	const struct sigalg *alg;
	enum ev_key_kind kind;
	size_t start;
	int r;

	if (k == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	kind = ev_pubkey_kind(k);
	if ((alg = sigalg_of(kind)) == NULL)
		return EV_ERR_KEY_TYPE;
	start = ev_buf_len(out);
	if (kind == EV_KEY_RSA)
		r = rsa_blob(ev_pubkey_evp(k), out);
	else if (kind == EV_KEY_ED25519)
		r = ed25519_blob(ev_pubkey_evp(k), out);
	else
		r = ecdsa_blob(ev_pubkey_evp(k), alg, ev_pubkey_sig_len(k) / 2, out);
	if (r != 0) {
		/* Leave out as it was. */
		if (ev_buf_len(out) > start &&
		    ev_buf_consume_end(out, ev_buf_len(out) - start) != 0)
			r = EV_ERR_INVALID_ARG;
		ERR_clear_error();
	}
	return r;
}

int
ev_sshagent_build_list_request(struct ev_buf *out)
{
	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	return ev_buf_put_u8(out, EV_SSH2_AGENTC_REQUEST_IDENTITIES);
}

int
ev_sshagent_build_sign_request(const uint8_t *blob, size_t bloblen, const uint8_t *data, size_t len,
                               uint32_t flags, struct ev_buf *out)
{
	int r;

	if (blob == NULL || (data == NULL && len != 0) || out == NULL)
		return EV_ERR_INVALID_ARG;
	/* type, two strings, flags; written so that it cannot overflow */
	if (bloblen > EV_MAX_AGENT_REQUEST || len > EV_MAX_AGENT_REQUEST - bloblen ||
	    bloblen + len > EV_MAX_AGENT_REQUEST - 13)
		return EV_ERR_TOO_BIG;
	if ((r = ev_buf_put_u8(out, EV_SSH2_AGENTC_SIGN_REQUEST)) != 0 ||
	    (r = put_string(out, blob, bloblen)) != 0 || (r = put_string(out, data, len)) != 0 ||
	    (r = put_u32(out, flags)) != 0)
		return r;
	return 0;
}

/* ---- socket I/O ---- */

struct ev_sshagent {
	int fd; /* -1 once the connection is out of step with the agent */
	int timeout_ms;
};

int
ev_sshagent_connect(const char *path, int timeout_ms, struct ev_sshagent **out)
{
	struct ev_sshagent *a = NULL;
	struct sockaddr_un addr;
	int fd = -1, r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || timeout_ms <= 0)
		return EV_ERR_INVALID_ARG;
	if (path == NULL && ((path = getenv("SSH_AUTH_SOCK")) == NULL || path[0] == '\0'))
		return EV_ERR_AGENT_NONE;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return EV_ERR_AGENT_CONNECT;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	/* A local stream socket connects at once or not at all (EAGAIN
	 * means the agent's backlog is full). */
	if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
		r = EV_ERR_AGENT_CONNECT;
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	a->fd = fd;
	a->timeout_ms = timeout_ms;
	fd = -1;
	*out = a;
	r = 0;
out:
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return r;
}

void
ev_sshagent_close(struct ev_sshagent *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return EV_ERR_AGENT_TIMEOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return EV_ERR_IO;
	}
}

static int
send_all(int fd, const uint8_t *p, size_t len, int64_t deadline)
{
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = wait_fd(fd, POLLOUT, deadline)) != 0)
			return r;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? EV_ERR_AGENT_CLOSED
			                                             : EV_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
recv_all(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = wait_fd(fd, POLLIN, deadline)) != 0)
			return r;
		n = recv(fd, p, len, 0);
		if (n == 0)
			return EV_ERR_AGENT_CLOSED;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == ECONNRESET ? EV_ERR_AGENT_CLOSED : EV_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ev_sshagent_request(struct ev_sshagent *a, const uint8_t *req, size_t reqlen, uint8_t **reply,
                    size_t *replylen)
{
	uint8_t hdr[4], *frame = NULL, *buf = NULL;
	int64_t deadline;
	uint32_t n;
	int r;

	if (reply != NULL)
		*reply = NULL;
	if (replylen != NULL)
		*replylen = 0;
	if (a == NULL || req == NULL || reqlen == 0 || reply == NULL || replylen == NULL)
		return EV_ERR_INVALID_ARG;
	if (reqlen > EV_MAX_AGENT_REQUEST)
		return EV_ERR_TOO_BIG;
	if (a->fd < 0)
		return EV_ERR_AGENT_CLOSED;
	deadline = now_ms() + a->timeout_ms;
	if ((frame = malloc(4 + reqlen)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	frame[0] = (uint8_t)(reqlen >> 24);
	frame[1] = (uint8_t)(reqlen >> 16);
	frame[2] = (uint8_t)(reqlen >> 8);
	frame[3] = (uint8_t)reqlen;
	memcpy(frame + 4, req, reqlen);
	if ((r = send_all(a->fd, frame, 4 + reqlen, deadline)) != 0 ||
	    (r = recv_all(a->fd, hdr, sizeof(hdr), deadline)) != 0)
		goto out;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > EV_MAX_AGENT_REPLY) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	if (n == 0) {
		r = EV_ERR_TRUNCATED;
		goto out;
	}
	if ((buf = malloc(n)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = recv_all(a->fd, buf, n, deadline)) != 0)
		goto out;
	*reply = buf;
	*replylen = n;
	buf = NULL;
	r = 0;
out:
	/* After a timeout or a refused reply a late or unread remainder would
	 * be taken for the answer to the next request. */
	if (r != 0 && r != EV_ERR_NOMEM && a->fd >= 0) {
		int saved = errno;

		close(a->fd);
		a->fd = -1;
		errno = saved;
	}
	if (frame != NULL)
		ev_freezero(frame, 4 + reqlen);
	free(buf);
	return r;
}

int
ev_sshagent_list(struct ev_sshagent *a, struct ev_sshagent_ids **out)
{
	uint8_t req = EV_SSH2_AGENTC_REQUEST_IDENTITIES, *reply = NULL;
	size_t replylen = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (a == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_sshagent_request(a, &req, 1, &reply, &replylen)) != 0)
		return r;
	r = ev_sshagent_parse_identities(reply, replylen, out);
	free(reply);
	return r;
}

int
ev_sshagent_sign(struct ev_sshagent *a, const struct ev_sshagent_id *id, const uint8_t *msg,
                 size_t len, uint8_t *sig, size_t cap, size_t *siglen)
{
	static const uint8_t empty[1];
	struct ev_buf *req = NULL;
	uint8_t *reply = NULL;
	size_t replylen = 0, outlen = 0;
	enum ev_key_kind kind;
	int r;

	if (siglen != NULL)
		*siglen = 0;
	if (a == NULL || id == NULL || (msg == NULL && len != 0) || sig == NULL || siglen == NULL)
		return EV_ERR_INVALID_ARG;
	if (id->status != 0 || id->key == NULL)
		return EV_ERR_INVALID_ARG;
	if (msg == NULL)
		msg = empty;
	kind = ev_pubkey_kind(id->key);
	if (cap < ev_pubkey_sig_len(id->key))
		return EV_ERR_BUF_FULL;
	if ((req = ev_buf_new(EV_MAX_AGENT_REQUEST)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_sshagent_build_sign_request(id->blob, id->bloblen, msg, len,
	                                        kind == EV_KEY_RSA ? EV_SSH_AGENT_RSA_SHA2_256 : 0,
	                                        req)) != 0 ||
	    (r = ev_sshagent_request(a, ev_buf_ptr(req), ev_buf_len(req), &reply, &replylen)) != 0)
		goto out;
	if ((r = ev_sshagent_parse_sign_response(reply, replylen, kind, ev_pubkey_sig_len(id->key),
	                                         sig, cap, &outlen)) != 0)
		goto out;
	/* The agent is a separate program that could hand back anything. */
	if (ev_sig_verify(id->key, msg, len, sig, outlen) != 0) {
		r = EV_ERR_AGENT_SIG_INVALID;
		goto out;
	}
	*siglen = outlen;
	r = 0;
out:
	if (r != 0)
		ev_memzero(sig, cap < EV_MAX_SIGNATURE ? cap : EV_MAX_SIGNATURE);
	ev_buf_free(req);
	free(reply);
	return r;
}
