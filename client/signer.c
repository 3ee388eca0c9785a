/*
 * signer.c - finding, unlocking and using the key that signs commands of
 * aut 1/2 sessions (search order in signer.h), and `edgeview key`.
 */
#include "signer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "client.h"
#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_crypto.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_mem.h"
#include "ev_sig.h"
#include "ev_sshagent.h"
#include "ev_sshwire.h"

#define PASSPHRASE_TRIES 3
#define CLIENTAUTH_DIR   "/clientauth"
#define OPENSSH_BEGIN    "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END      "-----END OPENSSH PRIVATE KEY-----"
#define OPENSSH_MAGIC    "openssh-key-v1" /* followed by a NUL byte */
#define LOOKED_MAX       2048u            /* the "looked for" list of the error line */

struct signer {
	struct ev_privkey *priv; /* a key file, or NULL for an agent key */
	struct ev_pubkey *pub;   /* always set; for agent keys it is the identity's */
	/* agent keys */
	char *agent_sock;
	struct ev_sshagent_ids *ids;
	const struct ev_sshagent_id *id;
	char *desc;
	char *comment; /* of FILE.pub or the agent's; "" when none */
	const char *origin;
};

/* A key file named by the user (error if missing) or by convention. */
enum how {
	EXPLICIT,
	IMPLICIT,
};

static char *xprintf(const char *fmt, ...) EV_PRINTF(1, 2);
static void looked(struct ev_buf *b, const char *fmt, ...) EV_PRINTF(2, 3);

static char *
xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) != n) {
		free(s);
		s = NULL;
	}
	va_end(ap);
	return s;
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	ev_privkey_free(s->priv);
	if (s->ids == NULL)
		ev_pubkey_free(s->pub);
	ev_sshagent_ids_free(s->ids);
	free(s->agent_sock);
	free(s->desc);
	free(s->comment);
	free(s);
}

enum ev_key_kind
signer_kind(const struct signer *s)
{
	return ev_pubkey_kind(s->pub);
}

const struct ev_pubkey *
signer_pubkey(const struct signer *s)
{
	return s->pub;
}

const char *
signer_describe(const struct signer *s)
{
	return s->desc;
}

const char *
signer_origin(const struct signer *s)
{
	return s->origin;
}

int
signer_sign(struct signer *s, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
            size_t *siglen)
{
	struct ev_sshagent *a = NULL;
	int r;

	if (siglen != NULL)
		*siglen = 0;
	if (s == NULL || sig == NULL || siglen == NULL)
		return EV_ERR_INVALID_ARG;
	if (s->priv != NULL)
		return ev_sig_sign(s->priv, msg, len, sig, cap, siglen);
	/* One connection per signature: a session can outlive an agent
	 * restart, and an idle connection holds nothing worth keeping. */
	if ((r = ev_sshagent_connect(s->agent_sock, EV_AGENT_TIMEOUT_MS, &a)) != 0)
		return r;
	r = ev_sshagent_sign(a, s->id, msg, len, sig, cap, siglen);
	ev_sshagent_close(a);
	return r;
}

/* The comment of FILE.pub when it holds the same key (for the public line). */
static char *
pub_file_comment(const char *path, const struct ev_pubkey *pub)
{
	struct ev_authkey *ak = NULL;
	char *pubpath = NULL, *text = NULL, *c;
	size_t len = 0;

	if ((pubpath = xprintf("%s.pub", path)) != NULL &&
	    ev_file_read_capped(pubpath, EV_MAX_AUTHKEY_LINE, &text, &len) == 0 &&
	    ev_authkey_parse(text, len, &ak) == 0 &&
	    EVP_PKEY_eq(ev_pubkey_evp(ak->key), ev_pubkey_evp(pub)) == 1)
		c = strdup(ak->comment);
	else
		c = strdup("");
	ERR_clear_error();
	ev_authkey_free(ak);
	free(text);
	free(pubpath);
	return c;
}

static int
signer_from_file(struct ev_privkey **priv, const char *path, const char *origin,
                 struct signer **out)
{
	struct signer *s = NULL;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_privkey_public(*priv, &s->pub)) != 0)
		goto out;
	s->priv = *priv;
	*priv = NULL;
	s->origin = origin;
	if ((s->desc = xprintf("%s key %s", ev_pubkey_name(s->pub), path)) == NULL ||
	    (s->comment = pub_file_comment(path, s->pub)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	signer_free(s);
	return r;
}

/* ids is taken over; id is one of its entries; for_path names the key file
 * the agent stands in for, or NULL. */
static int
signer_from_agent(const char *sock, struct ev_sshagent_ids **ids, const struct ev_sshagent_id *id,
                  const char *origin, const char *for_path, struct signer **out)
{
	struct signer *s = NULL;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->agent_sock = strdup(sock)) == NULL ||
	    (s->comment = strdup(id->comment)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	s->ids = *ids;
	*ids = NULL;
	s->id = id;
	s->pub = id->key;
	s->origin = origin;
	s->desc = xprintf("ssh-agent key %s%s(%s)%s%s", id->comment,
	                  id->comment[0] != '\0' ? " " : "", ev_pubkey_name(id->key),
	                  for_path != NULL ? " for " : "", for_path != NULL ? for_path : "");
	if (s->desc == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	signer_free(s);
	return r;
}

/* The running agent's identities; *sock is $SSH_AUTH_SOCK. */
static int
agent_identities(const char **sock, struct ev_sshagent_ids **ids)
{
	struct ev_sshagent *a = NULL;
	int r;

	*ids = NULL;
	if ((*sock = env_nonempty("SSH_AUTH_SOCK")) == NULL)
		return EV_ERR_AGENT_NONE;
	if ((r = ev_sshagent_connect(*sock, EV_AGENT_TIMEOUT_MS, &a)) != 0)
		return r;
	r = ev_sshagent_list(a, ids);
	ev_sshagent_close(a);
	return r;
}

/* The public half an OpenSSH private key file carries in clear, or NULL. */
static struct ev_pubkey *
openssh_public(const char *text, size_t len)
{
	const char *b, *e;
	uint8_t *bin = NULL;
	size_t cap, binlen = 0;
	struct ev_sshwire w;
	const uint8_t *blob;
	size_t bloblen;
	uint32_t nkeys;
	struct ev_pubkey *pk = NULL;

	if ((b = memmem(text, len, OPENSSH_BEGIN, strlen(OPENSSH_BEGIN))) == NULL)
		return NULL;
	b += strlen(OPENSSH_BEGIN);
	if ((e = memmem(b, len - (size_t)(b - text), OPENSSH_END, strlen(OPENSSH_END))) == NULL)
		return NULL;
	cap = ev_b64_decoded_max((size_t)(e - b));
	if ((bin = malloc(cap > 0 ? cap : 1)) == NULL)
		goto out;
	/* Go's rules, which the decoder follows, skip the line breaks. */
	if (ev_b64_decode(EV_B64_STD, b, (size_t)(e - b), bin, cap, &binlen) != 0 ||
	    binlen < sizeof(OPENSSH_MAGIC) ||
	    memcmp(bin, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0)
		goto out;
	ev_sshwire_init(&w, bin + sizeof(OPENSSH_MAGIC), binlen - sizeof(OPENSSH_MAGIC));
	/* cipher, kdf, kdf options, number of keys, first public key */
	if (ev_sshwire_get_string(&w, &blob, &bloblen) != 0 ||
	    ev_sshwire_get_string(&w, &blob, &bloblen) != 0 ||
	    ev_sshwire_get_string(&w, &blob, &bloblen) != 0 ||
	    ev_sshwire_get_u32(&w, &nkeys) != 0 || nkeys != 1 ||
	    ev_sshwire_get_string(&w, &blob, &bloblen) != 0)
		goto out;
	if (ev_pubkey_from_ssh_blob(blob, bloblen, &pk) != 0)
		pk = NULL;
out:
	if (bin != NULL)
		ev_freezero(bin, cap > 0 ? cap : 1);
	return pk;
}

/* The public key of an encrypted key file without its passphrase: from
 * FILE.pub, else from the clear part of an OpenSSH file; NULL if neither. */
static struct ev_pubkey *
encrypted_file_public(const char *path, bool *openssh)
{
	struct ev_authkey *ak = NULL;
	struct ev_pubkey *pk = NULL;
	char *text = NULL, *pubpath = NULL;
	size_t len = 0;

	*openssh = false;
	if (ev_file_read_capped(path, EV_MAX_PEM_FILE, &text, &len) == 0) {
		*openssh = memmem(text, len, OPENSSH_BEGIN, strlen(OPENSSH_BEGIN)) != NULL;
		if (*openssh)
			pk = openssh_public(text, len);
		ev_freezero(text, len + 1);
		text = NULL;
	}
	if (pk != NULL)
		return pk;
	if ((pubpath = xprintf("%s.pub", path)) == NULL)
		return NULL;
	if (ev_file_read_capped(pubpath, EV_MAX_AUTHKEY_LINE, &text, &len) == 0 &&
	    ev_authkey_parse(text, len, &ak) == 0) {
		pk = ak->key;
		ak->key = NULL;
	}
	ev_authkey_free(ak);
	free(text);
	free(pubpath);
	return pk;
}

static bool
have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Asks on /dev/tty with echo off (OpenSSL's UI restores the terminal on
 * Ctrl-C); up to three passphrases. */
static int
unlock_with_passphrase(const char *path, struct ev_privkey **priv)
{
	char pass[EV_MAX_PASSPHRASE];
	char *prompt = NULL;
	int r = EV_ERR_KEY_PASSPHRASE, tries;

	*priv = NULL;
	if ((prompt = xprintf("Enter passphrase for key '%s': ", path)) == NULL)
		return EV_ERR_NOMEM;
	for (tries = 0; tries < PASSPHRASE_TRIES; tries++) {
		if (EVP_read_pw_string_min(pass, 0, (int)sizeof(pass) - 1, prompt, 0) != 0) {
			ERR_clear_error();
			fprintf(stderr, "edgeview: key %s: no passphrase was entered\n", path);
			r = EV_ERR_KEY_PASSPHRASE;
			goto out;
		}
		r = ev_privkey_from_file(path, pass, priv);
		ev_memzero(pass, sizeof(pass));
		if (r != EV_ERR_KEY_PASSPHRASE)
			break;
		if (tries + 1 < PASSPHRASE_TRIES)
			fprintf(stderr, "edgeview: wrong passphrase, try again\n");
	}
	if (r == EV_ERR_KEY_PASSPHRASE)
		fprintf(stderr, "edgeview: key %s: wrong passphrase (%d tries)\n", path,
		        PASSPHRASE_TRIES);
	else if (r == EV_ERR_KEY_UNSUPPORTED)
		fprintf(stderr,
		        "edgeview: key %s is a passphrase-protected OpenSSH RSA key, which cannot "
		        "be "
		        "read here; add it to ssh-agent or convert it: ssh-keygen -p -m PKCS8 -f "
		        "%s\n",
		        path, path);
	else if (r != 0)
		fprintf(stderr, "edgeview: key %s: %s\n", path, ev_strerror(r));
out:
	ev_memzero(pass, sizeof(pass));
	free(prompt);
	return r;
}

/* Whether the agent lists pub at all, usable or not. */
static bool
agent_holds(const struct ev_sshagent_ids *ids, const struct ev_pubkey *pub)
{
	size_t i;
	bool found = false;

	for (i = 0; ids != NULL && i < ids->n && !found; i++)
		found = ids->ids[i].key != NULL &&
		        EVP_PKEY_eq(ev_pubkey_evp(ids->ids[i].key), ev_pubkey_evp(pub)) == 1;
	ERR_clear_error();
	return found;
}

/* An encrypted key file: the agent if it holds the same key, else ask. */
static int
open_encrypted(const char *path, const char *origin, struct signer **out)
{
	struct ev_sshagent_ids *ids = NULL;
	const struct ev_sshagent_id *id = NULL;
	struct ev_privkey *priv = NULL;
	struct ev_pubkey *pub = NULL;
	const char *sock = NULL;
	bool openssh = false, in_agent;
	int r;

	*out = NULL;
	pub = encrypted_file_public(path, &openssh);
	if (pub != NULL && agent_identities(&sock, &ids) == 0 &&
	    (id = ev_sshagent_ids_find(ids, pub)) != NULL) {
		r = signer_from_agent(sock, &ids, id, origin, path, out);
		goto out;
	}
	in_agent = pub != NULL && agent_holds(ids, pub);
	if (pub != NULL && openssh && ev_pubkey_kind(pub) == EV_KEY_RSA) {
		fprintf(stderr,
		        "edgeview: key %s is a passphrase-protected OpenSSH RSA key, which cannot "
		        "be "
		        "read here; add it to ssh-agent (ssh-add %s) or convert it: ssh-keygen -p "
		        "-m "
		        "PKCS8 -f %s\n",
		        path, path, path);
		r = EV_ERR_KEY_UNSUPPORTED;
		goto out;
	}
	if (!have_tty() && in_agent) {
		fprintf(stderr,
		        "edgeview: key %s is passphrase-protected and there is no terminal to ask; "
		        "ssh-agent holds it but cannot sign for Edge-View with this %s key (it "
		        "hashes "
		        "with SHA-384/512); use an unencrypted key\n",
		        path, ev_pubkey_name(pub));
		r = EV_ERR_KEY_PASSPHRASE;
		goto out;
	}
	if (!have_tty()) {
		fprintf(stderr,
		        "edgeview: key %s is passphrase-protected and there is no terminal to ask; "
		        "add it to ssh-agent or use an unencrypted key\n",
		        path);
		r = EV_ERR_KEY_PASSPHRASE;
		goto out;
	}
	if ((r = unlock_with_passphrase(path, &priv)) != 0)
		goto out;
	r = signer_from_file(&priv, path, origin, out);
out:
	ev_privkey_free(priv);
	ev_pubkey_free(pub);
	ev_sshagent_ids_free(ids);
	return r;
}

static int
open_file(const char *path, const char *origin, enum how how, struct signer **out)
{
	struct ev_privkey *priv = NULL;
	struct stat st;
	int r;

	*out = NULL;
	if (stat(path, &st) != 0) {
		if (how == IMPLICIT && (errno == ENOENT || errno == ENOTDIR))
			return EV_ERR_NOT_FOUND;
		fprintf(stderr, "edgeview: key file %s (%s): %s\n", path, origin, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? EV_ERR_NOT_FOUND : EV_ERR_SYSTEM;
	}
	r = ev_privkey_from_file(path, NULL, &priv);
	if (r == EV_ERR_KEY_PASSPHRASE)
		return open_encrypted(path, origin, out);
	if (r == 0)
		r = signer_from_file(&priv, path, origin, out);
	if (r == EV_ERR_KEY_TYPE || r == EV_ERR_KEY_CURVE)
		fprintf(stderr,
		        "edgeview: key file %s: %s (RSA 1024-8192, ECDSA P-256/384/521 or Ed25519 "
		        "needed)\n",
		        path, ev_strerror(r));
	else if (r == EV_ERR_KEY_PARSE)
		fprintf(stderr,
		        "edgeview: key file %s: not a private key (PEM SEC1, PKCS#8, PKCS#1 or "
		        "OpenSSH)\n",
		        path);
	else if (r == EV_ERR_SYSTEM || r == EV_ERR_IO)
		fprintf(stderr, "edgeview: key file %s: %s\n", path, strerror(errno));
	else if (r != 0)
		fprintf(stderr, "edgeview: key file %s: %s\n", path, ev_strerror(r));
	ev_privkey_free(priv);
	return r;
}

/* "EdgeviewSshKeyPath:<path>" (or '=') in ~/.edgeview/config; *path is
 * malloc'd, NULL when the file or the line is absent. */
static int
config_key_path(const char *home, char **path)
{
	char cfg[PATH_MAX], *text = NULL;
	const char *p, *end, *nl, *v, *ve;
	static const char key[] = "EdgeviewSshKeyPath";
	size_t len = 0;
	int r;

	*path = NULL;
	if ((r = ev_path_join(cfg, sizeof(cfg), home, ".edgeview/config")) != 0)
		return 0;
	if ((r = ev_file_read_capped(cfg, EV_MAX_CLIENT_CONFIG, &text, &len)) != 0) {
		if (r == EV_ERR_NOT_FOUND)
			return 0;
		fprintf(stderr, "edgeview: %s: %s\n", cfg,
		        r == EV_ERR_SYSTEM || r == EV_ERR_IO ? strerror(errno) : ev_strerror(r));
		return r;
	}
	end = text + len;
	for (p = text; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(nl - p) <= sizeof(key) - 1 || memcmp(p, key, sizeof(key) - 1) != 0)
			continue;
		v = p + sizeof(key) - 1;
		while (v < nl && (*v == ' ' || *v == '\t'))
			v++;
		if (v == nl || (*v != ':' && *v != '='))
			continue;
		v++;
		ve = nl;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
			ve--;
		if (ve == v)
			continue;
		if (ve - v >= 2 && v[0] == '~' && v[1] == '/')
			*path = xprintf("%s/%.*s", home, (int)(ve - v - 2), v + 2);
		else
			*path = ev_strndup(v, (size_t)(ve - v));
		r = *path != NULL ? 0 : EV_ERR_NOMEM;
		goto out;
	}
	r = 0;
out:
	free(text);
	return r;
}

static void
looked(struct ev_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (ev_buf_len(b) > 0 && ev_buf_put_str(b, ", ") != 0)
		return;
	va_start(ap, fmt);
	r = ev_buf_vputf(b, fmt, ap);
	va_end(ap);
	(void)r; /* a cut list still helps */
}

int
signer_open(const struct signer_opts *o, struct signer **out)
{
	static const char *const ssh_names[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	struct ev_sshagent_ids *ids = NULL;
	const struct ev_sshagent_id *id;
	struct ev_buf *seen = NULL;
	const char *home, *v, *sock = NULL, *dir;
	char path[PATH_MAX], sshdir[PATH_MAX], *cfgpath = NULL;
	size_t i;
	int r;

	if (out != NULL)
		*out = NULL;
	if (o == NULL || out == NULL || (o->aut != 1 && o->aut != 2)) {
		fprintf(stderr, "edgeview: signed commands need a token with aut 1 or 2\n");
		return EV_ERR_INVALID_ARG;
	}
	if (o->key_path != NULL && o->key_path[0] != '\0')
		return open_file(o->key_path, "-key or EDGEVIEW_KEY", EXPLICIT, out);
	if ((v = env_nonempty("EdgeviewSshKeyPath")) != NULL)
		return open_file(v, "EdgeviewSshKeyPath", EXPLICIT, out);
	if ((seen = ev_buf_new(LOOKED_MAX)) == NULL)
		return EV_ERR_NOMEM;
	home = env_nonempty("HOME");
	looked(seen, "EdgeviewSshKeyPath (not set)");
	if (home != NULL) {
		if ((r = config_key_path(home, &cfgpath)) != 0)
			goto out;
		if (cfgpath != NULL) {
			r = open_file(cfgpath, "~/.edgeview/config", EXPLICIT, out);
			goto out;
		}
		looked(seen, "~/.edgeview/config");
	}

	if ((dir = env_nonempty("EDGEVIEW_CLIENTAUTH_DIR")) == NULL)
		dir = CLIENTAUTH_DIR;
	if (ev_path_join(path, sizeof(path), dir, "privatekey") == 0) {
		if ((r = open_file(path, "EVE's client key", IMPLICIT, out)) != EV_ERR_NOT_FOUND)
			goto out;
		looked(seen, "%s", path);
	}

	if (o->aut == 1) {
		fprintf(stderr, "edgeview: this token (aut 1) needs the controller's private key: "
		                "-key FILE\n");
		r = EV_ERR_NOT_FOUND;
		goto out;
	}

	r = agent_identities(&sock, &ids);
	if (r == 0 && (id = ev_sshagent_ids_first_usable(ids)) != NULL) {
		r = signer_from_agent(sock, &ids, id, "ssh-agent", NULL, out);
		goto out;
	}
	if (r == EV_ERR_AGENT_NONE)
		looked(seen, "ssh-agent (SSH_AUTH_SOCK not set)");
	else if (r == 0)
		looked(seen, "ssh-agent (no RSA, ECDSA P-256 or Ed25519 key)");
	else
		looked(seen, "ssh-agent (%s)", ev_strerror(r));

	for (i = 0; i < EV_ARRAY_LEN(ssh_names); i++) {
		if (home == NULL) {
			looked(seen, "~/.ssh (HOME not set)");
			break;
		}
		if (ev_path_join(sshdir, sizeof(sshdir), home, ".ssh") != 0 ||
		    ev_path_join(path, sizeof(path), sshdir, ssh_names[i]) != 0)
			continue;
		if ((r = open_file(path, "default SSH key", IMPLICIT, out)) != EV_ERR_NOT_FOUND)
			goto out;
		looked(seen, "~/.ssh/%s", ssh_names[i]);
	}
	fprintf(stderr,
	        "edgeview: no SSH key to sign commands with (token aut 2); looked for %s; give one "
	        "with -key FILE or EDGEVIEW_KEY=FILE, or add one to ssh-agent\n",
	        ev_buf_str(seen));
	r = EV_ERR_NOT_FOUND;
out:
	if (r == EV_ERR_NOMEM)
		fprintf(stderr, "edgeview: out of memory\n");
	ev_sshagent_ids_free(ids);
	ev_buf_free(seen);
	free(cfgpath);
	return r;
}

/* ---- edgeview key ---- */

static void
key_usage(FILE *f)
{
	fprintf(f,
	        "usage: edgeview key [-key FILE] [-aut 1|2]\n"
	        "Shows which key signed commands would use (token aut 1: the controller's key;\n"
	        "aut 2, the default: an SSH key) and signs a test message with it.  Search order:\n"
	        "-key FILE or EDGEVIEW_KEY, EdgeviewSshKeyPath, \"EdgeviewSshKeyPath:<path>\" in\n"
	        "~/.edgeview/config, /clientauth/privatekey, then for aut 2 a running ssh-agent\n"
	        "and ~/.ssh/id_ed25519, id_ecdsa, id_rsa.\n");
}

/* SHA256:<unpadded base64>, OpenSSH's fingerprint, and the public line. */
static int
print_public(const struct signer *s)
{
	struct ev_buf *blob = NULL, *b64 = NULL;
	uint8_t md[EV_SHA256_LEN];
	struct ev_sshwire w;
	const uint8_t *type;
	const char *str;
	size_t n, typelen;
	int r;

	if ((blob = ev_buf_new(4096)) == NULL || (b64 = ev_buf_new(8192)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_sshagent_key_blob(signer_pubkey(s), blob)) != 0 ||
	    (r = ev_sha256(ev_buf_ptr(blob), ev_buf_len(blob), md)) != 0 ||
	    (r = ev_b64_encode(EV_B64_STD, md, sizeof(md), b64)) != 0)
		goto out;
	str = ev_buf_str(b64);
	n = strcspn(str, "=");
	printf("fingerprint:    SHA256:%.*s\n", (int)n, str);
	ev_buf_reset(b64);
	if ((r = ev_b64_encode(EV_B64_STD, ev_buf_ptr(blob), ev_buf_len(blob), b64)) != 0)
		goto out;
	/* The blob starts with the key type name, as the line does. */
	ev_sshwire_init(&w, ev_buf_ptr(blob), ev_buf_len(blob));
	if ((r = ev_sshwire_get_string(&w, &type, &typelen)) != 0)
		goto out;
	printf("public key:     %.*s %s", (int)typelen, (const char *)type, ev_buf_str(b64));
	if (s->comment[0] != '\0')
		printf(" %s", s->comment);
	printf("\n");
	r = 0;
out:
	ev_buf_free(blob);
	ev_buf_free(b64);
	return r;
}

static int
parse_aut(const char *s, int *aut)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || (v != 1 && v != 2))
		return EV_ERR_INVALID_ARG;
	*aut = (int)v;
	return 0;
}

int
client_key_main(int argc, char **argv)
{
	struct signer_opts o = {.aut = 2, .key_path = NULL};
	struct signer *s = NULL;
	uint8_t msg[48], sig[EV_MAX_SIGNATURE];
	size_t siglen = 0;
	int i, r, ret = CLIENT_ERR;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if ((strcmp(a, "-key") == 0 || strcmp(a, "--key") == 0) && more) {
			o.key_path = argv[++i];
		} else if ((strcmp(a, "-aut") == 0 || strcmp(a, "--aut") == 0) && more) {
			if (parse_aut(argv[++i], &o.aut) != 0) {
				fprintf(stderr, "edgeview key: -aut must be 1 or 2\n");
				return CLIENT_USAGE;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0 ||
		           strcmp(a, "--help") == 0) {
			key_usage(stdout);
			return CLIENT_OK;
		} else {
			fprintf(stderr, "edgeview key: unexpected '%s'\n", a);
			key_usage(stderr);
			return CLIENT_USAGE;
		}
	}
	if (o.key_path == NULL)
		o.key_path = env_nonempty("EDGEVIEW_KEY");
	if (signer_open(&o, &s) != 0)
		goto out;
	printf("key:            %s\n", signer_describe(s));
	printf("found via:      %s\n", signer_origin(s));
	if ((r = print_public(s)) != 0) {
		fprintf(stderr, "edgeview key: public key: %s\n", ev_strerror(r));
		goto out;
	}
	memcpy(msg, "edgeview key test ", 18);
	if ((r = ev_random(msg + 18, sizeof(msg) - 18)) != 0 ||
	    (r = signer_sign(s, msg, sizeof(msg), sig, sizeof(sig), &siglen)) != 0 ||
	    (r = ev_sig_verify(signer_pubkey(s), msg, sizeof(msg), sig, siglen)) != 0) {
		fprintf(stderr, "edgeview key: test signature: %s\n", ev_strerror(r));
		goto out;
	}
	printf("test signature: %zu bytes, verified\n", siglen);
	if (signer_kind(s) == EV_KEY_ED25519)
		printf("note: EVE's own devices accept only RSA and ECDSA keys; Ed25519 needs "
		       "edgeviewd\n");
	ret = CLIENT_OK;
out:
	fflush(stdout);
	signer_free(s);
	return ret;
}
