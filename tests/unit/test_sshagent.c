/*
 * test_sshagent.c - the ssh-agent client against a real OpenSSH ssh-agent
 * (keys made by ssh-keygen, added with ssh-add), against a scripted fake
 * agent for broken replies, and its pure parsers on crafted messages.
 */
#include "ev_test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_sig.h"
#include "ev_sshagent.h"

#define PASSPHRASE "correct horse"

/* The keys the real agent holds, in the order they are added. */
enum {
	K_RSA,
	K_P256,
	K_P384,
	K_P521,
	K_ED25519,
	K_PASS, /* a P-256 key whose file has a passphrase */
	K_DSA,
	K_COUNT,
};

static const struct {
	const char *file;
	const char *type; /* ssh-keygen -t */
	const char *bits; /* ssh-keygen -b, or NULL */
	const char *blobtype;
} keydefs[K_COUNT] = {
        [K_RSA] = {"k_rsa", "rsa", "2048", "ssh-rsa"},
        [K_P256] = {"k_p256", "ecdsa", "256", "ecdsa-sha2-nistp256"},
        [K_P384] = {"k_p384", "ecdsa", "384", "ecdsa-sha2-nistp384"},
        [K_P521] = {"k_p521", "ecdsa", "521", "ecdsa-sha2-nistp521"},
        [K_ED25519] = {"k_ed25519", "ed25519", NULL, "ssh-ed25519"},
        [K_PASS] = {"k_pass", "ecdsa", "256", "ecdsa-sha2-nistp256"},
        [K_DSA] = {"k_dsa", "dsa", NULL, "ssh-dss"},
};

static const uint8_t test_msg[] =
        "{\"version\":\"0.8.8\",\"system\":\"cp//config/device.cert.pem\",\"evx\":1}";

static char *dir;
static char agent_sock[256];
static pid_t agent_pid = -1;

static void
path_of(char *out, size_t cap, const char *name)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

/* Run argv with extra environment (NAME=VALUE, NULL-terminated); returns
 * the exit status. */
static int
run(const char *const *argv, const char *const *env)
{
	pid_t pid = fork();
	int st = 0, fd;
	size_t i;

	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* No controlling terminal: ssh-add must use SSH_ASKPASS. */
		setsid();
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static bool
wait_for_socket(const char *path)
{
	struct stat st;
	int i;

	for (i = 0; i < 500; i++) {
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return true;
		usleep(10000);
	}
	return false;
}

static int group_teardown(void **state);

static int
setup_agent(void)
{
	char path[512], askpass[512], env_sock[300], env_askpass[600];
	const char *env[] = {env_sock, env_askpass, "SSH_ASKPASS_REQUIRE=force", NULL};
	FILE *f;
	size_t i;

	dir = tv_tmpdir();
	for (i = 0; i < K_COUNT; i++) {
		const char *argv[16];
		size_t n = 0;

		path_of(path, sizeof(path), keydefs[i].file);
		argv[n++] = "ssh-keygen";
		argv[n++] = "-q";
		argv[n++] = "-t";
		argv[n++] = keydefs[i].type;
		if (keydefs[i].bits != NULL) {
			argv[n++] = "-b";
			argv[n++] = keydefs[i].bits;
		}
		argv[n++] = "-N";
		argv[n++] = i == K_PASS ? PASSPHRASE : "";
		argv[n++] = "-C";
		argv[n++] = keydefs[i].file; /* the comment is the file name */
		argv[n++] = "-f";
		argv[n++] = path;
		argv[n] = NULL;
		if (run(argv, NULL) != 0)
			return -1;
	}
	path_of(agent_sock, sizeof(agent_sock), "agent.sock");
	agent_pid = fork();
	if (agent_pid < 0)
		return -1;
	if (agent_pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* The agent goes away with us, even if we are killed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("ssh-agent", "ssh-agent", "-D", "-a", agent_sock, (char *)NULL);
		_exit(127);
	}
	if (!wait_for_socket(agent_sock))
		return -1;
	path_of(askpass, sizeof(askpass), "askpass.sh");
	if ((f = fopen(askpass, "w")) == NULL)
		return -1;
	fprintf(f, "#!/bin/sh\necho '%s'\n", PASSPHRASE);
	fclose(f);
	chmod(askpass, 0700);
	snprintf(env_sock, sizeof(env_sock), "SSH_AUTH_SOCK=%s", agent_sock);
	snprintf(env_askpass, sizeof(env_askpass), "SSH_ASKPASS=%s", askpass);
	for (i = 0; i < K_COUNT; i++) {
		const char *argv[] = {"ssh-add", "-q", path, NULL};

		path_of(path, sizeof(path), keydefs[i].file);
		if (run(argv, env) != 0)
			return -1;
	}
	return 0;
}

static int
group_setup(void **state)
{
	if (setup_agent() == 0)
		return 0;
	group_teardown(state);
	return -1;
}

static int
group_teardown(void **state)
{
	int st;

	(void)state;
	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		waitpid(agent_pid, &st, 0);
	}
	agent_pid = -1;
	if (dir != NULL) {
		tv_rmrf(dir);
		free(dir);
		dir = NULL;
	}
	return 0;
}

static struct ev_sshagent_ids *
list_real(void)
{
	struct ev_sshagent *a = NULL;
	struct ev_sshagent_ids *ids = NULL;

	assert_ev_ok(ev_sshagent_connect(agent_sock, EV_AGENT_TIMEOUT_MS, &a));
	assert_ev_ok(ev_sshagent_list(a, &ids));
	ev_sshagent_close(a);
	assert_int_equal(ids->n, K_COUNT);
	return ids;
}

static struct ev_pubkey *
file_pubkey(int k)
{
	char path[512];
	struct ev_privkey *priv = NULL;
	struct ev_pubkey *pub = NULL;

	path_of(path, sizeof(path), keydefs[k].file);
	assert_ev_ok(ev_privkey_from_file(path, k == K_PASS ? PASSPHRASE : NULL, &priv));
	assert_ev_ok(ev_privkey_public(priv, &pub));
	ev_privkey_free(priv);
	return pub;
}

static void
test_list_identities(void **state)
{
	struct ev_sshagent_ids *ids = list_real();
	size_t i;

	(void)state;
	for (i = 0; i < K_COUNT; i++) {
		const struct ev_sshagent_id *id = &ids->ids[i];

		assert_string_equal(id->comment, keydefs[i].file);
		assert_string_equal(id->type, keydefs[i].blobtype);
		assert_true(id->bloblen > 0);
		switch (i) {
		case K_DSA:
			assert_int_equal(id->status, EV_ERR_AUTHKEY_TYPE);
			assert_null(id->key);
			break;
		case K_P384:
		case K_P521:
			/* readable, but the agent would hash with SHA-384/512 */
			assert_int_equal(id->status, EV_ERR_KEY_CURVE);
			assert_non_null(id->key);
			break;
		default: assert_int_equal(id->status, 0); break;
		}
	}
	assert_ptr_equal(ev_sshagent_ids_first_usable(ids), &ids->ids[K_RSA]);
	/* Each usable identity is the key of its file. */
	for (i = 0; i < K_COUNT; i++) {
		struct ev_pubkey *pub;

		if (i == K_DSA)
			continue;
		pub = file_pubkey((int)i);
		if (ids->ids[i].status == 0)
			assert_ptr_equal(ev_sshagent_ids_find(ids, pub), &ids->ids[i]);
		else
			assert_null(ev_sshagent_ids_find(ids, pub));
		ev_pubkey_free(pub);
	}
	ev_sshagent_ids_free(ids);
}

static void
test_sign_each_type(void **state)
{
	static const int usable[] = {K_RSA, K_P256, K_ED25519, K_PASS};
	struct ev_sshagent_ids *ids = list_real();
	struct ev_sshagent *a = NULL;
	uint8_t sig[EV_MAX_SIGNATURE];
	size_t siglen, i;

	(void)state;
	assert_ev_ok(ev_sshagent_connect(agent_sock, EV_AGENT_TIMEOUT_MS, &a));
	for (i = 0; i < EV_ARRAY_LEN(usable); i++) {
		const struct ev_sshagent_id *id = &ids->ids[usable[i]];
		struct ev_pubkey *pub = file_pubkey(usable[i]);

		/* Several requests over one connection. */
		assert_ev_ok(ev_sshagent_sign(a, id, test_msg, sizeof(test_msg) - 1, sig,
		                              sizeof(sig), &siglen));
		assert_int_equal(siglen, ev_pubkey_sig_len(pub));
		assert_ev_ok(ev_sig_verify(pub, test_msg, sizeof(test_msg) - 1, sig, siglen));
		/* an empty message too */
		assert_ev_ok(ev_sshagent_sign(a, id, NULL, 0, sig, sizeof(sig), &siglen));
		assert_ev_ok(ev_sig_verify(pub, NULL, 0, sig, siglen));
		ev_pubkey_free(pub);
	}
	assert_int_equal(siglen, 64);
	/* Unusable identities are refused before anything is sent. */
	assert_ev_err(ev_sshagent_sign(a, &ids->ids[K_DSA], test_msg, 4, sig, sizeof(sig), &siglen),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(
	        ev_sshagent_sign(a, &ids->ids[K_P384], test_msg, 4, sig, sizeof(sig), &siglen),
	        EV_ERR_INVALID_ARG);
	assert_ev_err(ev_sshagent_sign(a, &ids->ids[K_P256], test_msg, 4, sig, 63, &siglen),
	              EV_ERR_BUF_FULL);
	ev_sshagent_close(a);
	ev_sshagent_ids_free(ids);
}

/* r || s into DER and an ECDSA verification with the given digest. */
static bool
ecdsa_verify_md(const struct ev_pubkey *pub, const char *md, const uint8_t *sig, size_t siglen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)siglen / 2, NULL);
	BIGNUM *s = BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL);
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int n, ok;

	assert_non_null(es);
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	n = i2d_ECDSA_SIG(es, &der);
	assert_true(n > 0);
	assert_int_equal(
	        EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, ev_pubkey_evp(pub), NULL), 1);
	ok = EVP_DigestVerify(ctx, der, (size_t)n, test_msg, sizeof(test_msg) - 1) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return ok;
}

/* The agent's P-384/P-521 signatures convert to r || s, but over SHA-384 /
 * SHA-512: the reason those identities are unusable for Edge-View. */
static void
test_sign_p384_p521_hash(void **state)
{
	static const int keys[] = {K_P384, K_P521};
	static const char *const mds[] = {"SHA384", "SHA512"};
	struct ev_sshagent_ids *ids = list_real();
	struct ev_sshagent *a = NULL;
	uint8_t sig[EV_MAX_SIGNATURE], *reply = NULL;
	size_t siglen, replylen, i;

	(void)state;
	assert_ev_ok(ev_sshagent_connect(agent_sock, EV_AGENT_TIMEOUT_MS, &a));
	for (i = 0; i < EV_ARRAY_LEN(keys); i++) {
		const struct ev_sshagent_id *id = &ids->ids[keys[i]];
		struct ev_buf *req = ev_buf_new(EV_MAX_AGENT_REQUEST);

		assert_ev_ok(ev_sshagent_build_sign_request(id->blob, id->bloblen, test_msg,
		                                            sizeof(test_msg) - 1, 0, req));
		assert_ev_ok(ev_sshagent_request(a, ev_buf_ptr(req), ev_buf_len(req), &reply,
		                                 &replylen));
		assert_ev_ok(ev_sshagent_parse_sign_response(
		        reply, replylen, ev_pubkey_kind(id->key), ev_pubkey_sig_len(id->key), sig,
		        sizeof(sig), &siglen));
		assert_int_equal(siglen, i == 0 ? 96 : 132);
		assert_true(ecdsa_verify_md(id->key, mds[i], sig, siglen));
		assert_ev_err(ev_sig_verify(id->key, test_msg, sizeof(test_msg) - 1, sig, siglen),
		              EV_ERR_SIG_INVALID);
		free(reply);
		ev_buf_free(req);
	}
	ev_sshagent_close(a);
	ev_sshagent_ids_free(ids);
}

/* A fresh key the agent does not hold, as a usable identity. */
static void
foreign_identity(enum ev_key_kind kind, struct ev_sshagent_id *id, struct ev_buf **blob)
{
	struct ev_privkey *priv = NULL;

	memset(id, 0, sizeof(*id));
	assert_ev_ok(ev_privkey_generate(kind, &priv));
	assert_ev_ok(ev_privkey_public(priv, &id->key));
	ev_privkey_free(priv);
	*blob = ev_buf_new(4096);
	assert_ev_ok(ev_sshagent_key_blob(id->key, *blob));
	id->blob = (uint8_t *)ev_buf_ptr(*blob);
	id->bloblen = ev_buf_len(*blob);
}

static void
test_agent_failure_reply(void **state)
{
	struct ev_sshagent *a = NULL;
	struct ev_sshagent_id id;
	struct ev_buf *blob = NULL;
	uint8_t sig[EV_MAX_SIGNATURE];
	size_t siglen = 99;

	(void)state;
	foreign_identity(EV_KEY_EC_P256, &id, &blob);
	assert_ev_ok(ev_sshagent_connect(agent_sock, EV_AGENT_TIMEOUT_MS, &a));
	assert_ev_err(ev_sshagent_sign(a, &id, test_msg, 5, sig, sizeof(sig), &siglen),
	              EV_ERR_AGENT_FAILURE);
	assert_int_equal(siglen, 0);
	/* A failure reply leaves the connection usable. */
	assert_ev_err(ev_sshagent_sign(a, &id, test_msg, 5, sig, sizeof(sig), &siglen),
	              EV_ERR_AGENT_FAILURE);
	ev_pubkey_free(id.key);
	ev_sshagent_close(a);
	ev_buf_free(blob);
}

static char *
read_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	return strdup(line);
}

/* Our blob of each file key is the one ssh-keygen wrote into FILE.pub. */
static void
test_key_blob_matches_ssh_keygen(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < K_COUNT; i++) {
		char path[512], *text;
		struct ev_authkey *ak = NULL;
		struct ev_pubkey *pub, *back = NULL;
		struct ev_buf *blob, *b64;
		const char *field;

		if (i == K_DSA)
			continue;
		blob = ev_buf_new(4096);
		b64 = ev_buf_new(8192);
		pub = file_pubkey((int)i);
		assert_ev_ok(ev_sshagent_key_blob(pub, blob));
		assert_ev_ok(ev_b64_encode(EV_B64_STD, ev_buf_ptr(blob), ev_buf_len(blob), b64));
		assert_true((size_t)snprintf(path, sizeof(path), "%s/%s.pub", dir,
		                             keydefs[i].file) < sizeof(path));
		text = read_line(path);
		field = strchr(text, ' ') + 1;
		assert_int_equal(strncmp(field, ev_buf_str(b64), ev_buf_len(b64)), 0);
		assert_int_equal(field[ev_buf_len(b64)], ' ');
		assert_ev_ok(ev_authkey_parse(text, strlen(text), &ak));
		assert_ev_ok(ev_pubkey_from_ssh_blob(ev_buf_ptr(blob), ev_buf_len(blob), &back));
		assert_int_equal(EVP_PKEY_eq(ev_pubkey_evp(back), ev_pubkey_evp(pub)), 1);
		ev_pubkey_free(back);
		ev_authkey_free(ak);
		free(text);
		ev_pubkey_free(pub);
		ev_buf_free(blob);
		ev_buf_free(b64);
	}
}

static void
test_connect_errors(void **state)
{
	struct ev_sshagent *a = (struct ev_sshagent *)1;
	char path[512], longpath[200];
	char *saved = getenv("SSH_AUTH_SOCK") ? strdup(getenv("SSH_AUTH_SOCK")) : NULL;

	(void)state;
	unsetenv("SSH_AUTH_SOCK");
	assert_ev_err(ev_sshagent_connect(NULL, 1000, &a), EV_ERR_AGENT_NONE);
	assert_null(a);
	setenv("SSH_AUTH_SOCK", "", 1);
	assert_ev_err(ev_sshagent_connect(NULL, 1000, &a), EV_ERR_AGENT_NONE);
	setenv("SSH_AUTH_SOCK", agent_sock, 1);
	assert_ev_ok(ev_sshagent_connect(NULL, 1000, &a));
	ev_sshagent_close(a);
	path_of(path, sizeof(path), "no-such.sock");
	assert_ev_err(ev_sshagent_connect(path, 1000, &a), EV_ERR_AGENT_CONNECT);
	path_of(path, sizeof(path), "k_rsa"); /* not a socket */
	assert_ev_err(ev_sshagent_connect(path, 1000, &a), EV_ERR_AGENT_CONNECT);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_ev_err(ev_sshagent_connect(longpath, 1000, &a), EV_ERR_AGENT_CONNECT);
	assert_ev_err(ev_sshagent_connect(agent_sock, 0, &a), EV_ERR_INVALID_ARG);
	if (saved != NULL)
		setenv("SSH_AUTH_SOCK", saved, 1);
	else
		unsetenv("SSH_AUTH_SOCK");
	free(saved);
}

/* ---- crafted messages ---- */

struct msg {
	uint8_t b[8192];
	size_t n;
};

static void
m_u8(struct msg *m, uint8_t v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = v;
}

static void
m_u32(struct msg *m, uint32_t v)
{
	m_u8(m, (uint8_t)(v >> 24));
	m_u8(m, (uint8_t)(v >> 16));
	m_u8(m, (uint8_t)(v >> 8));
	m_u8(m, (uint8_t)v);
}

static void
m_bytes(struct msg *m, const void *p, size_t n)
{
	assert_true(n <= sizeof(m->b) - m->n);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
m_str(struct msg *m, const void *p, size_t n)
{
	m_u32(m, (uint32_t)n);
	m_bytes(m, p, n);
}

static void
m_cstr(struct msg *m, const char *s)
{
	m_str(m, s, strlen(s));
}

/* An identities answer with the given blobs and comments. */
static void
identities(struct msg *m, size_t n, const struct msg *blobs, const char *const *comments)
{
	size_t i;

	m->n = 0;
	m_u8(m, EV_SSH2_AGENT_IDENTITIES_ANSWER);
	m_u32(m, (uint32_t)n);
	for (i = 0; i < n; i++) {
		m_str(m, blobs[i].b, blobs[i].n);
		m_cstr(m, comments[i]);
	}
}

static void
p256_blob(struct msg *blob, struct ev_pubkey **pubp)
{
	struct ev_privkey *priv = NULL;
	struct ev_pubkey *pub = NULL;
	struct ev_buf *b = ev_buf_new(4096);

	assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P256, &priv));
	assert_ev_ok(ev_privkey_public(priv, &pub));
	assert_ev_ok(ev_sshagent_key_blob(pub, b));
	blob->n = 0;
	m_bytes(blob, ev_buf_ptr(b), ev_buf_len(b));
	ev_buf_free(b);
	ev_privkey_free(priv);
	if (pubp != NULL)
		*pubp = pub;
	else
		ev_pubkey_free(pub);
}

static int
parse_ids(const struct msg *m, struct ev_sshagent_ids **ids)
{
	return ev_sshagent_parse_identities(m->b, m->n, ids);
}

static void
test_parse_identities(void **state)
{
	struct msg blobs[4], m;
	/* ESC [, BEL, the C1 CSI (c2 9b), then UTF-8 "é" */
	static const char hostile[] = "bad\x1b[31m\x07\xc2\x9b\x63\x61\x66\xc3\xa9";
	const char *comments[] = {"ok@host", hostile, "cert", "sk"};
	struct ev_sshagent_ids *ids = NULL;

	(void)state;
	p256_blob(&blobs[0], NULL);
	/* a blob with a bad point */
	blobs[1] = blobs[0];
	blobs[1].b[blobs[1].n - 1] ^= 1;
	blobs[2].n = 0;
	m_cstr(&blobs[2], "ssh-ed25519-cert-v01@openssh.com");
	m_cstr(&blobs[2], "nonce");
	blobs[3].n = 0;
	m_cstr(&blobs[3], "sk-ssh-ed25519@openssh.com");
	identities(&m, 4, blobs, comments);
	assert_ev_ok(parse_ids(&m, &ids));
	assert_int_equal(ids->n, 4);
	assert_int_equal(ids->ids[0].status, 0);
	assert_string_equal(ids->ids[0].comment, "ok@host");
	assert_int_equal(ids->ids[1].status, EV_ERR_AUTHKEY_BLOB);
	/* ESC, BEL and the C1 CSI become '?', UTF-8 text stays */
	assert_string_equal(ids->ids[1].comment, "bad?[31m???caf\xc3\xa9");
	assert_int_equal(ids->ids[2].status, EV_ERR_AUTHKEY_TYPE);
	assert_string_equal(ids->ids[2].type, "ssh-ed25519-cert-v01@openssh.com");
	assert_int_equal(ids->ids[3].status, EV_ERR_AUTHKEY_TYPE);
	assert_null(ids->ids[3].key);
	assert_ptr_equal(ev_sshagent_ids_first_usable(ids), &ids->ids[0]);
	ev_sshagent_ids_free(ids);

	/* no keys at all */
	identities(&m, 0, NULL, NULL);
	assert_ev_ok(parse_ids(&m, &ids));
	assert_int_equal(ids->n, 0);
	assert_null(ev_sshagent_ids_first_usable(ids));
	ev_sshagent_ids_free(ids);

	/* every malformation has its code, and *out stays NULL */
	ids = (struct ev_sshagent_ids *)1;
	assert_ev_err(ev_sshagent_parse_identities(m.b, 0, &ids), EV_ERR_TRUNCATED);
	assert_null(ids);
	identities(&m, 0, NULL, NULL);
	assert_ev_err(ev_sshagent_parse_identities(m.b, 3, &ids), EV_ERR_TRUNCATED);
	identities(&m, 1, blobs, comments);
	assert_ev_err(ev_sshagent_parse_identities(m.b, m.n - 1, &ids), EV_ERR_TRUNCATED);
	m_u8(&m, 0);
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_TRAILING);
	identities(&m, 1, blobs, comments);
	m.b[4] = 2; /* claims two keys */
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_TRUNCATED);
	m.n = 0;
	m_u8(&m, EV_SSH2_AGENT_IDENTITIES_ANSWER);
	m_u32(&m, EV_MAX_AGENT_IDENTITIES + 1);
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_TOO_MANY);
	m.b[4] = 0xff; /* 0x000000ff.. huge count, nothing allocated */
	m.b[1] = 0xff;
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_TOO_MANY);
	m.n = 0;
	m_u8(&m, EV_SSH_AGENT_FAILURE);
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_FAILURE);
	m.b[0] = EV_SSH2_AGENT_FAILURE;
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_FAILURE);
	m.b[0] = EV_SSH_COM_AGENT2_FAILURE;
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_FAILURE);
	m.b[0] = EV_SSH2_AGENT_SIGN_RESPONSE;
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_REPLY_TYPE);
	m.b[0] = EV_SSH_AGENT_SUCCESS;
	assert_ev_err(parse_ids(&m, &ids), EV_ERR_AGENT_REPLY_TYPE);
	assert_ev_err(ev_sshagent_parse_identities(m.b, EV_MAX_AGENT_REPLY + 1, &ids),
	              EV_ERR_TOO_BIG);
	assert_ev_err(ev_sshagent_parse_identities(NULL, 1, &ids), EV_ERR_INVALID_ARG);
	assert_null(ids);
}

/* A sign response around the signature blob (alg, data). */
static void
sign_response(struct msg *m, const char *alg, const void *data, size_t datalen)
{
	struct msg inner = {.n = 0};

	m_cstr(&inner, alg);
	m_str(&inner, data, datalen);
	m->n = 0;
	m_u8(m, EV_SSH2_AGENT_SIGN_RESPONSE);
	m_str(m, inner.b, inner.n);
}

/* (mpint r, mpint s) of given raw encodings (sign bytes included). */
static void
rs_data(struct msg *d, const void *r, size_t rlen, const void *s, size_t slen)
{
	d->n = 0;
	m_str(d, r, rlen);
	m_str(d, s, slen);
}

static int
parse_sig(const struct msg *m, enum ev_key_kind kind, size_t siglen, uint8_t *sig, size_t *outlen)
{
	return ev_sshagent_parse_sign_response(m->b, m->n, kind, siglen, sig, EV_MAX_SIGNATURE,
	                                       outlen);
}

static void
test_parse_sign_ecdsa(void **state)
{
	uint8_t r32[32], s33[33], sig[EV_MAX_SIGNATURE], want[64];
	uint8_t small[2] = {0x01, 0x02}, neg[1] = {0x80}, nonmin[3] = {0x00, 0x01, 0x02};
	uint8_t zero[1] = {0x00}, big[34];
	struct msg d, m;
	size_t outlen = 7;

	(void)state;
	memset(r32, 0x11, sizeof(r32));
	s33[0] = 0x00; /* sign byte before a high bit */
	memset(s33 + 1, 0xee, 32);
	rs_data(&d, r32, sizeof(r32), s33, sizeof(s33));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_ok(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen));
	assert_int_equal(outlen, 64);
	memcpy(want, r32, 32);
	memset(want + 32, 0xee, 32);
	assert_memory_equal(sig, want, 64);

	/* short r and s are left-padded to the curve size */
	rs_data(&d, small, sizeof(small), small, 1);
	sign_response(&m, "ecdsa-sha2-nistp384", d.b, d.n);
	assert_ev_ok(parse_sig(&m, EV_KEY_EC_P384, 96, sig, &outlen));
	assert_int_equal(outlen, 96);
	assert_int_equal(sig[46], 0x01);
	assert_int_equal(sig[47], 0x02);
	assert_int_equal(sig[95], 0x01);
	assert_int_equal(sig[0] | sig[45] | sig[48] | sig[94], 0);
	rs_data(&d, small, sizeof(small), small, sizeof(small));
	sign_response(&m, "ecdsa-sha2-nistp521", d.b, d.n);
	assert_ev_ok(parse_sig(&m, EV_KEY_EC_P521, 132, sig, &outlen));
	assert_int_equal(outlen, 132);

	/* the algorithm must be the key's */
	sign_response(&m, "ecdsa-sha2-nistp384", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_ALG);
	assert_int_equal(outlen, 0);
	sign_response(&m, "ssh-ed25519", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_ALG);

	/* bad mpints: negative, non-minimal, zero, too long for the curve */
	rs_data(&d, neg, sizeof(neg), small, sizeof(small));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	rs_data(&d, small, sizeof(small), nonmin, sizeof(nonmin));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	rs_data(&d, zero, 0, small, sizeof(small));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	memset(big, 0x22, sizeof(big));
	rs_data(&d, big, 33, small, sizeof(small));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	/* s missing, or something after s */
	d.n = 0;
	m_str(&d, small, sizeof(small));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	rs_data(&d, small, sizeof(small), small, sizeof(small));
	m_u8(&d, 0);
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);

	/* the signature blob: cut inside, or bytes after it */
	rs_data(&d, small, sizeof(small), small, sizeof(small));
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	m.b[4] -= 2; /* the outer string ends inside the inner data */
	m.n -= 2;
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	sign_response(&m, "ecdsa-sha2-nistp256", d.b, d.n);
	m.n -= 1;
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_TRUNCATED);
	m.n += 1;
	m_u8(&m, 0);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_TRAILING);
	m.n = 0;
	m_u8(&m, EV_SSH2_AGENT_SIGN_RESPONSE);
	m_cstr(&m, "x"); /* not a signature blob at all */
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	m.n = 0;
	m_u8(&m, EV_SSH2_AGENT_SIGN_RESPONSE);
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_TRUNCATED);
	m.b[0] = EV_SSH_AGENT_FAILURE;
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_FAILURE);
	m.b[0] = EV_SSH2_AGENT_IDENTITIES_ANSWER;
	assert_ev_err(parse_sig(&m, EV_KEY_EC_P256, 64, sig, &outlen), EV_ERR_AGENT_REPLY_TYPE);
	assert_ev_err(ev_sshagent_parse_sign_response(m.b, 0, EV_KEY_EC_P256, 64, sig, 64, &outlen),
	              EV_ERR_TRUNCATED);
	assert_ev_err(ev_sshagent_parse_sign_response(m.b, EV_MAX_AGENT_REPLY + 1, EV_KEY_EC_P256,
	                                              64, sig, 64, &outlen),
	              EV_ERR_TOO_BIG);
	assert_ev_err(
	        ev_sshagent_parse_sign_response(m.b, m.n, EV_KEY_EC_P256, 64, sig, 63, &outlen),
	        EV_ERR_BUF_FULL);
	assert_ev_err(
	        ev_sshagent_parse_sign_response(m.b, m.n, EV_KEY_EC_P256, 63, sig, 64, &outlen),
	        EV_ERR_INVALID_ARG);
}

static void
test_parse_sign_rsa_ed25519(void **state)
{
	uint8_t raw[256], sig[EV_MAX_SIGNATURE], ed[65];
	struct msg m;
	size_t outlen;

	(void)state;
	memset(raw, 0x5c, sizeof(raw));
	sign_response(&m, "rsa-sha2-256", raw, sizeof(raw));
	assert_ev_ok(parse_sig(&m, EV_KEY_RSA, 256, sig, &outlen));
	assert_int_equal(outlen, 256);
	assert_memory_equal(sig, raw, 256);
	/* leading zero bytes dropped by the agent come back */
	sign_response(&m, "rsa-sha2-256", raw, 250);
	assert_ev_ok(parse_sig(&m, EV_KEY_RSA, 256, sig, &outlen));
	assert_int_equal(outlen, 256);
	assert_int_equal(sig[0] | sig[5], 0);
	assert_int_equal(sig[6], 0x5c);
	/* SHA-1 and SHA-512 RSA signatures are refused */
	sign_response(&m, "ssh-rsa", raw, sizeof(raw));
	assert_ev_err(parse_sig(&m, EV_KEY_RSA, 256, sig, &outlen), EV_ERR_AGENT_SIG_ALG);
	sign_response(&m, "rsa-sha2-512", raw, sizeof(raw));
	assert_ev_err(parse_sig(&m, EV_KEY_RSA, 256, sig, &outlen), EV_ERR_AGENT_SIG_ALG);
	sign_response(&m, "rsa-sha2-256", raw, sizeof(raw));
	assert_ev_err(parse_sig(&m, EV_KEY_RSA, 255, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	sign_response(&m, "rsa-sha2-256", raw, 0);
	assert_ev_err(parse_sig(&m, EV_KEY_RSA, 256, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);

	memset(ed, 0x42, sizeof(ed));
	sign_response(&m, "ssh-ed25519", ed, 64);
	assert_ev_ok(parse_sig(&m, EV_KEY_ED25519, 64, sig, &outlen));
	assert_int_equal(outlen, 64);
	assert_memory_equal(sig, ed, 64);
	sign_response(&m, "ssh-ed25519", ed, 63);
	assert_ev_err(parse_sig(&m, EV_KEY_ED25519, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	sign_response(&m, "ssh-ed25519", ed, 65);
	assert_ev_err(parse_sig(&m, EV_KEY_ED25519, 64, sig, &outlen), EV_ERR_AGENT_SIG_FORMAT);
	sign_response(&m, "ecdsa-sha2-nistp256", ed, 64);
	assert_ev_err(parse_sig(&m, EV_KEY_ED25519, 64, sig, &outlen), EV_ERR_AGENT_SIG_ALG);
}

static void
test_build_requests(void **state)
{
	static const uint8_t want[] = {13, 0, 0,   0,   2,   'k', 'b', 0, 0,
	                               0,  3, 'a', 'b', 'c', 0,   0,   0, 2};
	struct ev_buf *b = ev_buf_new(EV_MAX_AGENT_REQUEST);
	uint8_t *big = calloc(1, EV_MAX_AGENT_REQUEST);

	(void)state;
	assert_ev_ok(ev_sshagent_build_sign_request(
	        (const uint8_t *)"kb", 2, (const uint8_t *)"abc", 3, EV_SSH_AGENT_RSA_SHA2_256, b));
	assert_int_equal(ev_buf_len(b), sizeof(want));
	assert_memory_equal(ev_buf_ptr(b), want, sizeof(want));
	ev_buf_reset(b);
	assert_ev_ok(ev_sshagent_build_list_request(b));
	assert_int_equal(ev_buf_len(b), 1);
	assert_int_equal(ev_buf_ptr(b)[0], 11);
	ev_buf_reset(b);
	/* exactly at the cap, then one byte over */
	assert_ev_ok(ev_sshagent_build_sign_request(big, 1, big, EV_MAX_AGENT_REQUEST - 14, 0, b));
	assert_int_equal(ev_buf_len(b), EV_MAX_AGENT_REQUEST);
	ev_buf_reset(b);
	assert_ev_err(ev_sshagent_build_sign_request(big, 1, big, EV_MAX_AGENT_REQUEST - 13, 0, b),
	              EV_ERR_TOO_BIG);
	assert_ev_err(ev_sshagent_build_sign_request(big, SIZE_MAX, big, 2, 0, b), EV_ERR_TOO_BIG);
	assert_ev_err(ev_sshagent_build_sign_request(big, 2, big, SIZE_MAX, 0, b), EV_ERR_TOO_BIG);
	assert_int_equal(ev_buf_len(b), 0);
	free(big);
	ev_buf_free(b);
}

/* ---- a scripted fake agent ---- */

enum fake_mode {
	FAKE_REPLY_CLOSE, /* write the reply, hang up */
	FAKE_SILENT,      /* read the request, say nothing for 3 s */
};

struct fake {
	pid_t pid;
	char sock[300];
};

/* Listens before forking, so the parent may connect at once. */
static void
fake_start(struct fake *f, const uint8_t *reply, size_t len, enum fake_mode mode)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	static int serial;
	int lfd, cfd;

	snprintf(f->sock, sizeof(f->sock), "%s/fake%d.sock", dir, serial++);
	memcpy(addr.sun_path, f->sock, strlen(f->sock) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		uint8_t hdr[4], buf[4096];
		size_t need, off = 0;
		ssize_t n;

		if ((cfd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		/* one request: length, then body */
		while (off < 4 && (n = read(cfd, hdr + off, 4 - off)) > 0)
			off += (size_t)n;
		need = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		while (need > 0 &&
		       (n = read(cfd, buf, need < sizeof(buf) ? need : sizeof(buf))) > 0)
			need -= (size_t)n;
		if (mode == FAKE_SILENT) {
			sleep(3);
			_exit(0);
		}
		off = 0;
		while (off < len && (n = write(cfd, reply + off, len - off)) > 0)
			off += (size_t)n;
		close(cfd);
		_exit(0);
	}
	close(lfd);
}

static void
fake_stop(struct fake *f)
{
	int st;

	kill(f->pid, SIGKILL);
	waitpid(f->pid, &st, 0);
	unlink(f->sock);
}

/* A framed reply: length prefix announcing announced bytes, then body. */
static size_t
frame(uint8_t *out, uint32_t announced, const uint8_t *body, size_t len)
{
	out[0] = (uint8_t)(announced >> 24);
	out[1] = (uint8_t)(announced >> 16);
	out[2] = (uint8_t)(announced >> 8);
	out[3] = (uint8_t)announced;
	memcpy(out + 4, body, len);
	return 4 + len;
}

static int
fake_list(const uint8_t *reply, size_t len, enum fake_mode mode, int timeout_ms,
          struct ev_sshagent_ids **ids, int *second)
{
	struct fake f;
	struct ev_sshagent *a = NULL;
	int r;

	fake_start(&f, reply, len, mode);
	assert_ev_ok(ev_sshagent_connect(f.sock, timeout_ms, &a));
	r = ev_sshagent_list(a, ids);
	if (second != NULL)
		*second = ev_sshagent_list(a, ids);
	ev_sshagent_close(a);
	fake_stop(&f);
	return r;
}

static void
test_fake_agent_replies(void **state)
{
	static const uint8_t empty_answer[] = {EV_SSH2_AGENT_IDENTITIES_ANSWER, 0, 0, 0, 0};
	static const uint8_t failure[] = {EV_SSH_AGENT_FAILURE};
	struct ev_sshagent_ids *ids = NULL;
	uint8_t buf[64];
	size_t n;
	int second = 0;
	struct timespec t0, t1;

	(void)state;
	n = frame(buf, sizeof(empty_answer), empty_answer, sizeof(empty_answer));
	assert_ev_ok(fake_list(buf, n, FAKE_REPLY_CLOSE, 5000, &ids, NULL));
	assert_int_equal(ids->n, 0);
	ev_sshagent_ids_free(ids);
	ids = NULL;

	n = frame(buf, 1, failure, 1);
	assert_ev_err(fake_list(buf, n, FAKE_REPLY_CLOSE, 5000, &ids, NULL), EV_ERR_AGENT_FAILURE);
	/* announced over the cap: refused before reading it */
	n = frame(buf, EV_MAX_AGENT_REPLY + 1, empty_answer, sizeof(empty_answer));
	assert_ev_err(fake_list(buf, n, FAKE_REPLY_CLOSE, 5000, &ids, &second), EV_ERR_TOO_BIG);
	/* and the connection is not used again */
	assert_int_equal(second, EV_ERR_AGENT_CLOSED);
	/* the agent hangs up in the middle of the reply, or of the length */
	n = frame(buf, 9, empty_answer, sizeof(empty_answer));
	assert_ev_err(fake_list(buf, n, FAKE_REPLY_CLOSE, 5000, &ids, NULL), EV_ERR_AGENT_CLOSED);
	assert_ev_err(fake_list(buf, 2, FAKE_REPLY_CLOSE, 5000, &ids, NULL), EV_ERR_AGENT_CLOSED);
	assert_ev_err(fake_list(buf, 0, FAKE_REPLY_CLOSE, 5000, &ids, NULL), EV_ERR_AGENT_CLOSED);
	/* a zero-length message */
	n = frame(buf, 0, empty_answer, 0);
	assert_ev_err(fake_list(buf, n, FAKE_REPLY_CLOSE, 5000, &ids, NULL), EV_ERR_TRUNCATED);
	/* silence: the timeout ends the wait */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_ev_err(fake_list(buf, 0, FAKE_SILENT, 300, &ids, &second), EV_ERR_AGENT_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	assert_int_equal(second, EV_ERR_AGENT_CLOSED);
	assert_null(ids);
}

/* A well-formed signature that does not verify is never handed out. */
static void
test_fake_agent_bad_signature(void **state)
{
	struct ev_sshagent_id id;
	struct ev_buf *blob = NULL;
	struct ev_sshagent *a = NULL;
	struct fake f;
	struct msg m;
	uint8_t ed[64], reply[256], sig[EV_MAX_SIGNATURE];
	size_t n, siglen = 5;

	(void)state;
	foreign_identity(EV_KEY_ED25519, &id, &blob);
	memset(ed, 0x42, sizeof(ed));
	sign_response(&m, "ssh-ed25519", ed, sizeof(ed));
	n = frame(reply, (uint32_t)m.n, m.b, m.n);
	fake_start(&f, reply, n, FAKE_REPLY_CLOSE);
	assert_ev_ok(ev_sshagent_connect(f.sock, 5000, &a));
	memset(sig, 0xaa, sizeof(sig));
	assert_ev_err(ev_sshagent_sign(a, &id, test_msg, 10, sig, sizeof(sig), &siglen),
	              EV_ERR_AGENT_SIG_INVALID);
	assert_int_equal(siglen, 0);
	assert_int_equal(sig[0] | sig[63], 0); /* wiped */
	ev_sshagent_close(a);
	fake_stop(&f);
	ev_pubkey_free(id.key);
	ev_buf_free(blob);
}

/* Asked without SSH_AGENT_RSA_SHA2_256, OpenSSH's agent answers with a SHA-1
 * "ssh-rsa" signature, which is refused. */
static void
test_rsa_sha1_refused(void **state)
{
	struct ev_sshagent_ids *ids = list_real();
	const struct ev_sshagent_id *id = &ids->ids[K_RSA];
	struct ev_sshagent *a = NULL;
	struct ev_buf *req = ev_buf_new(EV_MAX_AGENT_REQUEST);
	uint8_t sig[EV_MAX_SIGNATURE], *reply = NULL;
	size_t siglen = 1, replylen;

	(void)state;
	assert_ev_ok(ev_sshagent_connect(agent_sock, EV_AGENT_TIMEOUT_MS, &a));
	assert_ev_ok(ev_sshagent_build_sign_request(id->blob, id->bloblen, test_msg, 8, 0, req));
	assert_ev_ok(ev_sshagent_request(a, ev_buf_ptr(req), ev_buf_len(req), &reply, &replylen));
	assert_ev_err(ev_sshagent_parse_sign_response(reply, replylen, EV_KEY_RSA, 256, sig,
	                                              sizeof(sig), &siglen),
	              EV_ERR_AGENT_SIG_ALG);
	assert_int_equal(siglen, 0);
	free(reply);
	ev_buf_free(req);
	ev_sshagent_close(a);
	ev_sshagent_ids_free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_list_identities),
	        cmocka_unit_test(test_sign_each_type),
	        cmocka_unit_test(test_sign_p384_p521_hash),
	        cmocka_unit_test(test_agent_failure_reply),
	        cmocka_unit_test(test_rsa_sha1_refused),
	        cmocka_unit_test(test_key_blob_matches_ssh_keygen),
	        cmocka_unit_test(test_connect_errors),
	        cmocka_unit_test(test_parse_identities),
	        cmocka_unit_test(test_parse_sign_ecdsa),
	        cmocka_unit_test(test_parse_sign_rsa_ed25519),
	        cmocka_unit_test(test_build_requests),
	        cmocka_unit_test(test_fake_agent_replies),
	        cmocka_unit_test(test_fake_agent_bad_signature),
	};

	/* A failed write to a fake agent that hung up must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
