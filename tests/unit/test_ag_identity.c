/*
 * test_ag_identity.c - the device identity: key files, EVE's certificate
 * template, and the TPM through a swtpm started for each TPM test.
 *
 * TPM tests are skipped when swtpm is not installed; the ones that plant a
 * foreign key at 0x817FFFFF also need tpm2-tools.
 */
#include "ev_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_mem.h"
#include "ev_sig.h"
#include "identity.h"
#include "tpm.h"

#define PATH_CAP 512

struct fx {
	char *root;
	pid_t swtpm;
	int port;
	char tcti[96];
};

/* ---- helpers ---- */

static void
path_in(char *buf, const struct fx *f, const char *rel)
{
	int n = snprintf(buf, PATH_CAP, "%s%s", f->root, rel);

	assert_true(n > 0 && n < PATH_CAP);
}

static void
put_file(const struct fx *f, const char *rel, const char *data, size_t len, mode_t mode)
{
	char p[PATH_CAP];

	path_in(p, f, rel);
	assert_ev_ok(ev_file_write_atomic(p, data, len, mode, ".t."));
}

static void
put_text(const struct fx *f, const char *rel, const char *text)
{
	put_file(f, rel, text, strlen(text), 0600);
}

/* Copies a fixture from tests/data/identity into the root. */
static void
put_fixture(const struct fx *f, const char *name, const char *rel)
{
	char fixture[PATH_CAP];
	char *data;
	size_t len = 0;

	assert_true(snprintf(fixture, sizeof(fixture), "identity/%s", name) < PATH_CAP);
	data = tv_read_data_file(fixture, &len);
	put_file(f, rel, data, len, 0600);
	free(data);
}

static char *
get_file(const struct fx *f, const char *rel, size_t *len)
{
	char p[PATH_CAP];
	char *buf = NULL;

	path_in(p, f, rel);
	assert_ev_ok(ev_file_read_capped(p, 1u << 20, &buf, len));
	return buf;
}

static bool
has_file(const struct fx *f, const char *rel)
{
	char p[PATH_CAP];
	struct stat st;

	path_in(p, f, rel);
	return stat(p, &st) == 0;
}

static void
rm_file(const struct fx *f, const char *rel)
{
	char p[PATH_CAP];

	path_in(p, f, rel);
	assert_int_equal(unlink(p), 0);
}

static mode_t
file_mode(const struct fx *f, const char *rel)
{
	char p[PATH_CAP];
	struct stat st;

	path_in(p, f, rel);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static struct agent_identity_cfg
cfg_file(const struct fx *f)
{
	struct agent_identity_cfg c = {.root = f->root, .tcti = NULL, .no_tpm = true};

	return c;
}

static struct agent_identity_cfg
cfg_tpm(const struct fx *f)
{
	struct agent_identity_cfg c = {.root = f->root, .tcti = f->tcti, .no_tpm = false};

	return c;
}

/* Signs through the callback and verifies with the key of the certificate
 * as stored in the file (not the identity's own idea of its key). */
static void
sign_and_verify(struct agent_identity *id, const struct fx *f, const char *cert_rel,
                int (*sign)(void *, const uint8_t *, uint8_t *, size_t, size_t *))
{
	static const char msg[] = "a ZInfoMsg payload";
	uint8_t digest[32], sig[80];
	size_t siglen = 0, len = 0;
	struct ev_pubkey *k = NULL;
	char *pem = get_file(f, cert_rel, &len);

	assert_ev_ok(ev_pubkey_from_pem(pem, len, &k));
	assert_int_equal(ev_pubkey_kind(k), EV_KEY_EC_P256);
	assert_ev_ok(ev_sha256(msg, strlen(msg), digest));
	assert_ev_ok(sign(id, digest, sig, sizeof(sig), &siglen));
	assert_int_equal(siglen, 64);
	assert_ev_ok(ev_sig_verify(k, (const uint8_t *)msg, strlen(msg), sig, siglen));
	/* The digest is what is signed: another message does not verify. */
	assert_ev_err(ev_sig_verify(k, (const uint8_t *)"other", 5, sig, siglen),
	              EV_ERR_SIG_INVALID);
	ev_pubkey_free(k);
	free(pem);
}

static void
sign_and_verify_device(struct agent_identity *id, const struct fx *f)
{
	sign_and_verify(id, f, AGENT_DEVICE_CERT_FILE, agent_identity_sign_device);
}

/* Public key bytes of a PEM certificate or key, for "same key" checks. */
static void
cert_pub_of(const char *pem, size_t len, uint8_t out[65])
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	const ASN1_BIT_STRING *bits;

	assert_non_null(x);
	bits = X509_get0_pubkey_bitstr(x);
	assert_int_equal(bits->length, 65);
	memcpy(out, bits->data, 65);
	X509_free(x);
	BIO_free(bio);
}

static void
check_ext_der(X509 *x, int idx, int nid, int critical, const uint8_t *want, size_t wantlen)
{
	X509_EXTENSION *e = X509_get_ext(x, idx);
	const ASN1_OCTET_STRING *v;

	assert_non_null(e);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(e)), nid);
	assert_int_equal(X509_EXTENSION_get_critical(e), critical);
	v = X509_EXTENSION_get_data(e);
	assert_int_equal(v->length, wantlen);
	assert_memory_equal(v->data, want, wantlen);
}

/*
 * Every field of EVE's createDeviceCertTemplate as Go encodes it (the exact
 * DER of the name and of each extension value), and the signature.
 */
static void
check_template(const struct fx *f)
{
	/* SEQUENCE { SET { O = PrintableString }, SET { CN = PrintableString } } */
	static const uint8_t name_der[] = {
	        0x30, 0x2d, 0x31, 0x1d, 0x30, 0x1b, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13,
	        0x14, 'T',  'h',  'e',  ' ',  'L',  'i',  'n',  'u',  'x',  ' ',  'F',
	        'o',  'u',  'n',  'd',  'a',  't',  'i',  'o',  'n',  0x31, 0x0c, 0x30,
	        0x0a, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x03, 'E',  'V',  'E'};
	static const uint8_t ku_der[] = {0x03, 0x02, 0x02, 0x84};
	static const uint8_t eku_der[] = {0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05,
	                                  0x05, 0x07, 0x03, 0x02, 0x06, 0x08, 0x2b, 0x06,
	                                  0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
	static const uint8_t bc_der[] = {0x30, 0x03, 0x01, 0x01, 0xff};
	uint8_t skid_der[22] = {0x04, 0x14}, h[32];
	char *pem;
	size_t len = 0;
	BIO *bio;
	X509 *x;
	BIGNUM *serial;
	unsigned char *nder = NULL;
	int nlen;
	struct tm tb, ta;
	time_t nb, na, now = time(NULL);
	const ASN1_BIT_STRING *bits;

	pem = get_file(f, AGENT_DEVICE_CERT_FILE, &len);
	/* One block, 64-column base64, as Go's pem.EncodeToMemory. */
	assert_true(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	assert_true(strstr(pem, "-----END CERTIFICATE-----\n") == pem + len - 26);
	bio = BIO_new_mem_buf(pem, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	assert_non_null(serial);
	assert_false(BN_is_negative(serial));
	assert_false(BN_is_zero(serial));
	assert_true(BN_num_bits(serial) <= 128);
	BN_free(serial);

	nlen = i2d_X509_NAME(X509_get_subject_name(x), &nder);
	assert_int_equal(nlen, sizeof(name_der));
	assert_memory_equal(nder, name_der, sizeof(name_der));
	OPENSSL_free(nder);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);

	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tb), 1);
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &ta), 1);
	nb = timegm(&tb);
	na = timegm(&ta);
	assert_true(nb <= now - 86400 + 1 && nb >= now - 86400 - 300);
	assert_int_equal(ta.tm_year, tb.tm_year + 20);
	if (!(tb.tm_mon == 1 && tb.tm_mday == 29)) {
		assert_int_equal(ta.tm_mon, tb.tm_mon);
		assert_int_equal(ta.tm_mday, tb.tm_mday);
	}
	assert_int_equal(na % 86400, nb % 86400);

	/* Go's order: keyUsage, extKeyUsage, basicConstraints, subjectKeyId. */
	assert_int_equal(X509_get_ext_count(x), 4);
	check_ext_der(x, 0, NID_key_usage, 1, ku_der, sizeof(ku_der));
	check_ext_der(x, 1, NID_ext_key_usage, 0, eku_der, sizeof(eku_der));
	check_ext_der(x, 2, NID_basic_constraints, 1, bc_der, sizeof(bc_der));
	bits = X509_get0_pubkey_bitstr(x);
	assert_ev_ok(ev_sha256(bits->data, (size_t)bits->length, h));
	memcpy(skid_der + 2, h, 20);
	check_ext_der(x, 3, NID_subject_key_identifier, 0, skid_der, sizeof(skid_der));
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT | XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(x), 1);

	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), EVP_PKEY_EC);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1);
	assert_int_equal(X509_check_issued(x, x), X509_V_OK);

	X509_free(x);
	BIO_free(bio);
	free(pem);
}

/* The identity's accessors agree with the files. */
static void
check_accessors(struct agent_identity *id, const struct fx *f)
{
	size_t len = 0, plen = 0, dlen = 0;
	char *pem = get_file(f, AGENT_DEVICE_CERT_FILE, &len);
	const char *p = agent_identity_device_cert_pem(id, &plen);
	const uint8_t *der = agent_identity_device_cert_der(id, &dlen);
	uint8_t h[32];
	BIO *bio;
	X509 *x;
	unsigned char *xder = NULL;
	int xlen;

	assert_int_equal(plen, len);
	assert_memory_equal(p, pem, len);
	assert_int_equal(p[plen], '\0');
	bio = BIO_new_mem_buf(pem, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	xlen = i2d_X509(x, &xder);
	assert_int_equal(xlen, dlen);
	assert_memory_equal(xder, der, dlen);
	assert_ev_ok(ev_sha256(xder, (size_t)xlen, h));
	assert_memory_equal(agent_identity_device_cert_hash(id), h, 32);
	assert_int_equal(
	        EVP_PKEY_eq(X509_get0_pubkey(x), ev_pubkey_evp(agent_identity_device_pubkey(id))),
	        1);
	assert_true(agent_identity_device_cert_not_after(id) > time(NULL) + 19 * 365 * 86400L);
	OPENSSL_free(xder);
	X509_free(x);
	BIO_free(bio);
	free(pem);
}

/* ---- swtpm ---- */

static bool
have_program(const char *name)
{
	char cmd[128];

	assert_true(snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name) <
	            (int)sizeof(cmd));
	return system(cmd) == 0;
}

/* A port nothing listens on right now (the kernel's choice); with pair,
 * the next port is free too. */
static int
free_port_pair(bool pair)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int s, s2, port, tries;

	for (tries = 0; tries < 100; tries++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(s >= 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = 0;
		assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
		port = ntohs(a.sin_port);
		if (!pair || port >= 65535) {
			close(s);
			if (!pair)
				return port;
			continue;
		}
		s2 = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(s2 >= 0);
		a.sin_port = htons((uint16_t)(port + 1));
		if (bind(s2, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(s2);
			close(s);
			return port;
		}
		close(s2);
		close(s);
	}
	fail_msg("no two free consecutive ports");
	return -1;
}

static int
free_port(void)
{
	return free_port_pair(false);
}

static bool
port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

static void
swtpm_start(struct fx *f)
{
	char state[PATH_CAP], log[PATH_CAP], tpmstate[PATH_CAP + 8], server[64], ctrl[64];
	int i, fd, status;

	path_in(state, f, "/tpmstate");
	path_in(log, f, "/swtpm.log");
	assert_int_equal(mkdir(state, 0700), 0);
	/* The swtpm TCTI finds the control channel at the next port. */
	f->port = free_port_pair(true);
	snprintf(tpmstate, sizeof(tpmstate), "dir=%s", state);
	snprintf(server, sizeof(server), "type=tcp,port=%d", f->port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d", f->port + 1);
	snprintf(f->tcti, sizeof(f->tcti), "swtpm:host=127.0.0.1,port=%d", f->port);
	f->swtpm = fork();
	assert_true(f->swtpm >= 0);
	if (f->swtpm == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", tpmstate, "--server",
		       server, "--ctrl", ctrl, "--flags", "not-need-init,startup-clear",
		       (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if (port_open(f->port))
			return;
		if (waitpid(f->swtpm, &status, WNOHANG) == f->swtpm) {
			f->swtpm = 0;
			fail_msg("swtpm exited (status %d), see %s", status, log);
		}
		usleep(10 * 1000);
	}
	fail_msg("swtpm does not listen on port %d", f->port);
}

static void
swtpm_stop(struct fx *f)
{
	int status;

	if (f->swtpm <= 0)
		return;
	kill(f->swtpm, SIGTERM);
	waitpid(f->swtpm, &status, 0);
	f->swtpm = 0;
}

/* tpm2-tools against this test's swtpm (only between our own connections:
 * swtpm serves one client at a time). */
static int
tpm2_tool(const struct fx *f, const char *args)
{
	char cmd[1024];

	assert_true(snprintf(cmd, sizeof(cmd), "cd %s && TPM2TOOLS_TCTI='%s' %s >>tools.log 2>&1",
	                     f->root, f->tcti, args) < (int)sizeof(cmd));
	return system(cmd);
}

static int
setup_root(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char cfg[PATH_CAP];

	assert_non_null(f);
	f->root = tv_tmpdir();
	path_in(cfg, f, "/config");
	assert_int_equal(mkdir(cfg, 0755), 0);
	*state = f;
	return 0;
}

static int
setup_tpm(void **state)
{
	struct fx *f;

	setup_root(state);
	f = *state;
	if (have_program("swtpm"))
		swtpm_start(f);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	swtpm_stop(f);
	tv_rmrf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static void
need_swtpm(const struct fx *f)
{
	if (f->swtpm <= 0)
		skip();
}

/* ---- key files ---- */

static void
test_file_create_reload(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	char *pem1, *pem2, *key;
	size_t len1 = 0, len2 = 0, klen = 0;
	uint8_t hash1[32];

	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_true(agent_identity_created(id));
	assert_false(agent_identity_uses_tpm(id));
	assert_int_equal(file_mode(f, AGENT_DEVICE_KEY_FILE), 0600);
	assert_int_equal(file_mode(f, AGENT_DEVICE_CERT_FILE), 0644);
	key = get_file(f, AGENT_DEVICE_KEY_FILE, &klen);
	/* Proper PKCS#8, which every PEM reader takes at its word. */
	assert_true(strncmp(key, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	{
		BIO *bio = BIO_new_mem_buf(key, (int)klen);
		EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

		assert_non_null(pk);
		EVP_PKEY_free(pk);
		BIO_free(bio);
	}
	ev_freezero(key, klen + 1);
	check_template(f);
	check_accessors(id, f);
	sign_and_verify_device(id, f);
	assert_int_equal(agent_identity_hsm_status(id), AGENT_HSM_NOTFOUND);
	assert_string_equal(agent_identity_hsm_info(id), "");
	memcpy(hash1, agent_identity_device_cert_hash(id), 32);
	agent_identity_free(id);
	id = NULL;

	pem1 = get_file(f, AGENT_DEVICE_CERT_FILE, &len1);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_false(agent_identity_created(id));
	assert_false(agent_identity_uses_tpm(id));
	pem2 = get_file(f, AGENT_DEVICE_CERT_FILE, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(pem1, pem2, len1);
	assert_memory_equal(agent_identity_device_cert_hash(id), hash1, 32);
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;

	/* An existing key-file install stays one whatever the configuration
	 * says about TPMs. */
	cfg.no_tpm = false;
	cfg.tcti = "swtpm:host=127.0.0.1,port=1";
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_false(agent_identity_uses_tpm(id));
	assert_int_equal(agent_identity_hsm_status(id), AGENT_HSM_DISABLED);
	agent_identity_free(id);
	free(pem1);
	free(pem2);
}

/* EVE's no-TPM key: SEC1 under a PKCS#8 label, with or without the EC
 * PARAMETERS block of `openssl ecparam -genkey`.  The certificate is made
 * for that key and the key file is left as it was. */
static void
check_eve_key(struct fx *f, const char *fixture)
{
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	char *before, *after, *cert;
	size_t blen = 0, alen = 0, clen = 0;
	uint8_t certpub[65];
	BIO *bio;
	EVP_PKEY *pk;
	unsigned char *kpub = NULL;
	size_t kpublen;

	put_fixture(f, fixture, AGENT_DEVICE_KEY_FILE);
	before = get_file(f, AGENT_DEVICE_KEY_FILE, &blen);
	/* Why the fallback exists: OpenSSL trusts the label and fails. */
	bio = BIO_new_mem_buf(before, (int)blen);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_null(pk);
	BIO_free(bio);

	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_true(agent_identity_created(id)); /* the certificate */
	assert_false(agent_identity_uses_tpm(id));
	after = get_file(f, AGENT_DEVICE_KEY_FILE, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	check_template(f);
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;

	/* The certificate holds the fixture's key. */
	cert = get_file(f, AGENT_DEVICE_CERT_FILE, &clen);
	cert_pub_of(cert, clen, certpub);
	{
		const unsigned char *p;
		struct pem_like {
			char *name, *header;
			unsigned char *data;
			long len;
		} b = {0};

		bio = BIO_new_mem_buf(before, (int)blen);
		do {
			OPENSSL_free(b.name);
			OPENSSL_free(b.header);
			OPENSSL_free(b.data);
			assert_int_equal(PEM_read_bio(bio, &b.name, &b.header, &b.data, &b.len), 1);
		} while (strcmp(b.name, "EC PARAMETERS") == 0);
		p = b.data;
		pk = d2i_AutoPrivateKey(NULL, &p, b.len);
		assert_non_null(pk);
		kpublen = EVP_PKEY_get1_encoded_public_key(pk, &kpub);
		assert_int_equal(kpublen, 65);
		assert_memory_equal(kpub, certpub, 65);
		OPENSSL_free(kpub);
		EVP_PKEY_free(pk);
		OPENSSL_free(b.name);
		OPENSSL_free(b.header);
		OPENSSL_free(b.data);
		BIO_free(bio);
	}

	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_false(agent_identity_created(id));
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	free(before);
	free(after);
	free(cert);
}

static void
test_file_eve_sec1(void **state)
{
	check_eve_key(*state, "eve_sec1_mislabelled.pem");
}

static void
test_file_eve_sec1_params(void **state)
{
	check_eve_key(*state, "eve_sec1_mislabelled_params.pem");
}

static void
test_file_standard_keys(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = {"sec1.pem", "pkcs8.pem"};
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	size_t i;

	for (i = 0; i < EV_ARRAY_LEN(names); i++) {
		put_fixture(f, names[i], AGENT_DEVICE_KEY_FILE);
		if (has_file(f, AGENT_DEVICE_CERT_FILE))
			rm_file(f, AGENT_DEVICE_CERT_FILE);
		assert_ev_ok(agent_identity_open(&cfg, &id));
		sign_and_verify_device(id, f);
		agent_identity_free(id);
		id = NULL;
	}
}

static void
test_file_refused_keys(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *name;
		int err;
	} cases[] = {
	        {"p384_mislabelled.pem", EV_ERR_KEY_CURVE},
	        {"rsa_pkcs8.pem", EV_ERR_KEY_TYPE},
	        {"rsa_pkcs1.pem", EV_ERR_KEY_TYPE},
	        {"pkcs8_encrypted.pem", EV_ERR_KEY_PASSPHRASE},
	};
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	size_t i;

	for (i = 0; i < EV_ARRAY_LEN(cases); i++) {
		put_fixture(f, cases[i].name, AGENT_DEVICE_KEY_FILE);
		assert_ev_err(agent_identity_open(&cfg, &id), cases[i].err);
		assert_null(id);
		assert_false(has_file(f, AGENT_DEVICE_CERT_FILE));
	}
	put_text(f, AGENT_DEVICE_KEY_FILE, "not a key\n");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_KEY_PARSE);
	put_text(f, AGENT_DEVICE_KEY_FILE,
	         "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_KEY_PARSE);
	put_text(f, AGENT_DEVICE_KEY_FILE, "");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_KEY_PARSE);
	assert_false(has_file(f, AGENT_DEVICE_CERT_FILE));
}

static void
test_file_cert_mismatch(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;

	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	/* Another key under the certificate. */
	put_fixture(f, "pkcs8.pem", AGENT_DEVICE_KEY_FILE);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_ID_MISMATCH);
	assert_null(id);
	/* A certificate that is not one. */
	put_text(f, AGENT_DEVICE_CERT_FILE, "garbage\n");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_KEY_PARSE);
	/* A P-384 certificate. */
	{
		EVP_PKEY *k = EVP_EC_gen("P-384");
		X509 *x = X509_new();
		BIO *bio = BIO_new(BIO_s_mem());
		char *data = NULL;
		long n;

		assert_non_null(k);
		X509_set_version(x, X509_VERSION_3);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 3600);
		X509_set_pubkey(x, k);
		assert_true(X509_sign(x, k, EVP_sha256()) > 0);
		assert_int_equal(PEM_write_bio_X509(bio, x), 1);
		n = BIO_get_mem_data(bio, &data);
		put_file(f, AGENT_DEVICE_CERT_FILE, data, (size_t)n, 0644);
		BIO_free(bio);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_KEY_CURVE);
	assert_null(id);
}

static void
test_file_no_config_dir(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	char cfgdir[PATH_CAP];

	/* A missing /config is made (new install under a fresh root). */
	path_in(cfgdir, f, "/config");
	assert_int_equal(rmdir(cfgdir), 0);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	/* A /config that is a file is an error, not a crash. */
	tv_rmrf(cfgdir);
	put_text(f, "/config", "x");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_NOT_DIR);
}

static void
test_sign_args(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	uint8_t digest[32] = {1}, sig[64];
	size_t siglen = 99;

	assert_ev_err(agent_identity_open(NULL, &id), EV_ERR_INVALID_ARG);
	assert_ev_err(agent_identity_open(&cfg, NULL), EV_ERR_INVALID_ARG);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_ev_err(agent_identity_sign_device(id, digest, sig, 63, &siglen), EV_ERR_BUF_FULL);
	assert_int_equal(siglen, 0);
	assert_ev_err(agent_identity_sign_device(id, NULL, sig, 64, &siglen), EV_ERR_INVALID_ARG);
	assert_ev_err(agent_identity_sign_device(NULL, digest, sig, 64, &siglen),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_identity_sign_device(id, digest, sig, 64, NULL), EV_ERR_INVALID_ARG);
	assert_ev_ok(agent_identity_sign_device(id, digest, sig, 64, &siglen));
	assert_int_equal(siglen, 64);
	agent_identity_free(id);
	agent_identity_free(NULL);
}

/* ---- onboarding ---- */

/* A P-256 onboarding certificate and its key, the key in EVE's mislabelled
 * form (what an installer copies into /config). */
static void
make_onboard(const struct fx *f, bool mislabel)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *data = NULL;
	long len;
	int dlen;

	assert_non_null(k);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"onboard", -1, -1,
	                           0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	len = BIO_get_mem_data(bio, &data);
	put_file(f, AGENT_ONBOARD_CERT_FILE, data, (size_t)len, 0644);
	BIO_free(bio);
	bio = BIO_new(BIO_s_mem());
	if (mislabel) {
		/* i2d_PrivateKey of an EC key is SEC1. */
		dlen = i2d_PrivateKey(k, &der);
		assert_true(dlen > 0);
		assert_true(PEM_write_bio(bio, "PRIVATE KEY", "", der, dlen) > 0);
		OPENSSL_clear_free(der, (size_t)dlen);
	} else {
		assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	}
	len = BIO_get_mem_data(bio, &data);
	put_file(f, AGENT_ONBOARD_KEY_FILE, data, (size_t)len, 0600);
	BIO_free(bio);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_onboard(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_file(f);
	struct agent_identity *id = NULL;
	uint8_t digest[32] = {0}, sig[64], h[32];
	size_t siglen = 0, len = 0, plen = 0;
	char *pem;
	const char *p;
	BIO *bio;
	X509 *x;
	unsigned char *der = NULL;
	int dlen;

	/* None: the normal state of a registered device. */
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_int_equal(agent_identity_onboard_error(id), EV_ERR_NOT_FOUND);
	assert_ev_err(agent_identity_sign_onboard(id, digest, sig, sizeof(sig), &siglen),
	              EV_ERR_NOT_FOUND);
	assert_null(agent_identity_onboard_cert_pem(id, &plen));
	assert_int_equal(plen, 0);
	assert_null(agent_identity_onboard_cert_hash(id));
	agent_identity_free(id);
	id = NULL;

	/* Both, the key in EVE's form. */
	make_onboard(f, true);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_ev_ok(agent_identity_onboard_error(id));
	sign_and_verify(id, f, AGENT_ONBOARD_CERT_FILE, agent_identity_sign_onboard);
	pem = get_file(f, AGENT_ONBOARD_CERT_FILE, &len);
	p = agent_identity_onboard_cert_pem(id, &plen);
	assert_int_equal(plen, len);
	assert_memory_equal(p, pem, len);
	bio = BIO_new_mem_buf(pem, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	dlen = i2d_X509(x, &der);
	assert_ev_ok(ev_sha256(der, (size_t)dlen, h));
	assert_memory_equal(agent_identity_onboard_cert_hash(id), h, 32);
	assert_int_equal(
	        EVP_PKEY_eq(X509_get0_pubkey(x), ev_pubkey_evp(agent_identity_onboard_pubkey(id))),
	        1);
	/* Not the device certificate's hash. */
	assert_memory_not_equal(agent_identity_onboard_cert_hash(id),
	                        agent_identity_device_cert_hash(id), 32);
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	agent_identity_free(id);
	id = NULL;

	/* PKCS#8 works too. */
	make_onboard(f, false);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_ev_ok(agent_identity_onboard_error(id));
	agent_identity_free(id);
	id = NULL;

	/* A key that is not the certificate's: the device identity still opens. */
	put_fixture(f, "pkcs8.pem", AGENT_ONBOARD_KEY_FILE);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_int_equal(agent_identity_onboard_error(id), EV_ERR_ID_MISMATCH);
	assert_ev_err(agent_identity_sign_onboard(id, digest, sig, sizeof(sig), &siglen),
	              EV_ERR_ID_MISMATCH);
	assert_null(agent_identity_onboard_cert_pem(id, NULL));
	agent_identity_free(id);
	id = NULL;

	put_fixture(f, "rsa_pkcs8.pem", AGENT_ONBOARD_KEY_FILE);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_int_equal(agent_identity_onboard_error(id), EV_ERR_KEY_TYPE);
	agent_identity_free(id);
	id = NULL;

	/* Half a pair. */
	rm_file(f, AGENT_ONBOARD_KEY_FILE);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_int_equal(agent_identity_onboard_error(id), EV_ERR_ID_ONBOARD_PAIR);
	agent_identity_free(id);
}

/* ---- TPM ---- */

static void
test_tpm_create_reload(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;
	char *pem1, *pem2;
	size_t len1 = 0, len2 = 0;
	uint8_t pub1[65], pub2[65];
	const char *info;

	need_swtpm(f);
	put_text(f, AGENT_TPM_CRED_FILE, "5f3c2b1a-0d9e-4c8b-a7f6-e5d4c3b2a190");
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_true(agent_identity_created(id));
	assert_true(agent_identity_uses_tpm(id));
	assert_false(has_file(f, AGENT_DEVICE_KEY_FILE));
	assert_int_equal(file_mode(f, AGENT_DEVICE_CERT_FILE), 0644);
	assert_int_equal(agent_identity_hsm_status(id), AGENT_HSM_ENABLED);
	info = agent_identity_hsm_info(id);
	/* swtpm: manufacturer IBM, vendor strings "SW  " and " TPM". */
	assert_true(strncmp(info, "IBM-SW   TPM, FW Version ", 25) == 0);
	check_template(f);
	check_accessors(id, f);
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;
	pem1 = get_file(f, AGENT_DEVICE_CERT_FILE, &len1);
	cert_pub_of(pem1, len1, pub1);

	/* The key is at 0x817FFFFF with EVE's template, as tpm2-tools sees it. */
	if (have_program("tpm2_readpublic"))
		assert_int_equal(tpm2_tool(f, "tpm2_readpublic -c 0x817FFFFF"), 0);

	/* Later runs: the persistent key, the same certificate. */
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_false(agent_identity_created(id));
	assert_true(agent_identity_uses_tpm(id));
	pem2 = get_file(f, AGENT_DEVICE_CERT_FILE, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(pem1, pem2, len1);
	cert_pub_of(pem2, len2, pub2);
	assert_memory_equal(pub1, pub2, 65);
	sign_and_verify_device(id, f);
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;

	/* A TPM install is recognised by its files alone (auto TCTI would look
	 * for /dev/tpmrm0, so give the same TCTI but no_tpm must refuse). */
	cfg.no_tpm = true;
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_DISABLED);
	assert_null(id);
	free(pem1);
	free(pem2);
}

static void
test_tpm_credential(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;
	uint8_t digest[32] = {0}, sig[64];
	size_t siglen = 0;

	need_swtpm(f);
	/* Only the first 7 bytes count, as on EVE. */
	put_text(f, AGENT_TPM_CRED_FILE, "secret1-and-the-rest");
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	put_text(f, AGENT_TPM_CRED_FILE, "secret1");
	assert_ev_ok(agent_identity_open(&cfg, &id));
	sign_and_verify_device(id, f);

	/* The password is read at open: a later change affects the next open. */
	put_text(f, AGENT_TPM_CRED_FILE, "wrong99");
	assert_ev_ok(agent_identity_sign_device(id, digest, sig, sizeof(sig), &siglen));
	agent_identity_free(id);
	id = NULL;
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_AUTH);
	assert_null(id);
	put_text(f, AGENT_TPM_CRED_FILE, "secret");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_AUTH);
	rm_file(f, AGENT_TPM_CRED_FILE);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_AUTH);

	/* noDA key: failures never lock it out. */
	put_text(f, AGENT_TPM_CRED_FILE, "secret1");
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
}

static void
test_tpm_empty_credential(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;

	need_swtpm(f);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	put_text(f, AGENT_TPM_CRED_FILE, "abcdefg");
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_AUTH);
}

/* An interrupted first run (key persisted, no certificate): the next run
 * makes the key again, which is the same primary key, and the certificate. */
static void
test_tpm_resume(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;
	char *pem1, *pem2;
	size_t len1 = 0, len2 = 0;
	uint8_t pub1[65], pub2[65];

	need_swtpm(f);
	put_text(f, AGENT_TPM_CRED_FILE, "first12");
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	pem1 = get_file(f, AGENT_DEVICE_CERT_FILE, &len1);
	cert_pub_of(pem1, len1, pub1);
	rm_file(f, AGENT_DEVICE_CERT_FILE);
	/* Even with another credential: it becomes the key's password. */
	put_text(f, AGENT_TPM_CRED_FILE, "second2");
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_true(agent_identity_created(id));
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;
	pem2 = get_file(f, AGENT_DEVICE_CERT_FILE, &len2);
	cert_pub_of(pem2, len2, pub2);
	assert_memory_equal(pub1, pub2, 65);
	/* A new certificate all the same (new serial). */
	assert_false(len1 == len2 && memcmp(pem1, pem2, len1) == 0);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	assert_false(agent_identity_created(id));
	agent_identity_free(id);
	free(pem1);
	free(pem2);
}

static void
test_tpm_unreachable(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = {.root = f->root, .no_tpm = false};
	struct agent_identity *id = NULL;
	char tcti[64];

	/* Nothing listens on a port the kernel just handed out and took back. */
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", free_port());
	cfg.tcti = tcti;
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_UNREACHABLE);
	assert_null(id);
	/* No fallback to a key file: that would be a second identity. */
	assert_false(has_file(f, AGENT_DEVICE_KEY_FILE));
	assert_false(has_file(f, AGENT_DEVICE_CERT_FILE));
	cfg.tcti = "device:/nonexistent/tpmrm0";
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_UNREACHABLE);
	cfg.tcti = "nosuchtcti:foo";
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_TCTI);
	cfg.tcti = "swtpm:port=notaport";
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_TCTI);
	assert_false(has_file(f, AGENT_DEVICE_CERT_FILE));
}

/* An existing TPM install whose TPM went away, and signing after open when
 * the TPM stops. */
static void
test_tpm_gone(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;
	uint8_t digest[32] = {0}, sig[64];
	size_t siglen = 9;

	need_swtpm(f);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	swtpm_stop(f);
	assert_ev_err(agent_identity_sign_device(id, digest, sig, sizeof(sig), &siglen),
	              EV_ERR_TPM_UNREACHABLE);
	assert_int_equal(siglen, 0);
	agent_identity_free(id);
	id = NULL;
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_UNREACHABLE);
	/* Auto mode on a machine without /dev/tpmrm0 is still a TPM install. */
	cfg.tcti = NULL;
	if (access(AGENT_TPM_DEFAULT_DEVICE, F_OK) != 0)
		assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_UNREACHABLE);
}

static void
test_tpm_key_kind(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;

	need_swtpm(f);
	if (!have_program("tpm2_createprimary") || !have_program("tpm2_evictcontrol"))
		skip();
	/* Someone else's key (an RSA storage key) at EVE's handle. */
	assert_int_equal(tpm2_tool(f, "tpm2_createprimary -C o -G rsa2048 -c other.ctx"), 0);
	assert_int_equal(tpm2_tool(f, "tpm2_evictcontrol -C o -c other.ctx 0x817FFFFF"), 0);
	/* Without a resource manager the tools leave transient objects behind. */
	assert_int_equal(tpm2_tool(f, "tpm2_flushcontext -t"), 0);
	/* A new install does not overwrite it. */
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_KEY_KIND);
	assert_false(has_file(f, AGENT_DEVICE_CERT_FILE));
	assert_int_equal(tpm2_tool(f, "tpm2_readpublic -c 0x817FFFFF | grep -q rsa"), 0);
	/* An ECC P-256 key with other attributes (fixed to this TPM, subject
	 * to dictionary-attack lockout, no decrypt). */
	assert_int_equal(tpm2_tool(f, "tpm2_evictcontrol -C o -c 0x817FFFFF"), 0);
	assert_int_equal(tpm2_tool(f,
	                           "tpm2_createprimary -C o -G ecc256 -a "
	                           "'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' "
	                           "-c other2.ctx"),
	                 0);
	assert_int_equal(tpm2_tool(f, "tpm2_evictcontrol -C o -c other2.ctx 0x817FFFFF"), 0);
	assert_int_equal(tpm2_tool(f, "tpm2_flushcontext -t"), 0);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_KEY_KIND);
	/* Same for an existing install. */
	assert_int_equal(tpm2_tool(f, "tpm2_evictcontrol -C o -c 0x817FFFFF"), 0);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	assert_int_equal(tpm2_tool(f, "tpm2_evictcontrol -C o -c 0x817FFFFF"), 0);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_NO_KEY);
	assert_int_equal(tpm2_tool(f, "tpm2_evictcontrol -C o -c other.ctx 0x817FFFFF"), 0);
	assert_int_equal(tpm2_tool(f, "tpm2_flushcontext -t"), 0);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_KEY_KIND);
	assert_null(id);
}

/* EVE keeps the owner hierarchy without a password; a TPM whose owner set
 * one cannot get a new device key, but an existing one keeps working. */
static void
test_tpm_owner_password(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f);
	struct agent_identity *id = NULL;

	need_swtpm(f);
	if (!have_program("tpm2_changeauth"))
		skip();
	put_text(f, AGENT_TPM_CRED_FILE, "devpass");
	assert_int_equal(tpm2_tool(f, "tpm2_changeauth -c o ownerpw"), 0);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_OWNER_AUTH);
	assert_false(has_file(f, AGENT_DEVICE_CERT_FILE));
	assert_int_equal(tpm2_tool(f, "tpm2_changeauth -c o -p ownerpw"), 0);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	assert_int_equal(tpm2_tool(f, "tpm2_changeauth -c o ownerpw"), 0);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	sign_and_verify_device(id, f);
	agent_identity_free(id);
	id = NULL;
	/* Re-making the key (no certificate) needs the owner again. */
	rm_file(f, AGENT_DEVICE_CERT_FILE);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_TPM_OWNER_AUTH);
}

static void
test_tpm_cert_mismatch(void **state)
{
	struct fx *f = *state;
	struct agent_identity_cfg cfg = cfg_tpm(f), fcfg;
	struct agent_identity *id = NULL;
	struct fx other = {0};
	char cfgdir[PATH_CAP], *pem;
	size_t len = 0;

	need_swtpm(f);
	assert_ev_ok(agent_identity_open(&cfg, &id));
	agent_identity_free(id);
	id = NULL;
	/* The certificate of a key-file identity made elsewhere. */
	other.root = tv_tmpdir();
	path_in(cfgdir, &other, "/config");
	assert_int_equal(mkdir(cfgdir, 0755), 0);
	fcfg = cfg_file(&other);
	assert_ev_ok(agent_identity_open(&fcfg, &id));
	agent_identity_free(id);
	id = NULL;
	pem = get_file(&other, AGENT_DEVICE_CERT_FILE, &len);
	put_file(f, AGENT_DEVICE_CERT_FILE, pem, len, 0644);
	assert_ev_err(agent_identity_open(&cfg, &id), EV_ERR_ID_MISMATCH);
	assert_null(id);
	free(pem);
	tv_rmrf(other.root);
	free(other.root);
}

/* The tpm.h layer on its own: errors without a key, the info text. */
static void
test_tpm_layer(void **state)
{
	struct fx *f = *state;
	struct agent_tpm *t = NULL;
	EVP_PKEY *pub = NULL, *pub2 = NULL;
	uint8_t digest[32] = {0}, sig[64];
	char info[AGENT_TPM_INFO_MAX], small[8];

	need_swtpm(f);
	assert_ev_ok(agent_tpm_open(f->tcti, &t));
	assert_ev_err(agent_tpm_device_key(t, &pub), EV_ERR_TPM_NO_KEY);
	assert_null(pub);
	assert_ev_err(agent_tpm_sign(t, NULL, 0, digest, sig), EV_ERR_TPM_NO_KEY);
	assert_ev_err(agent_tpm_create_device_key(t, (const uint8_t *)"12345678", 8, &pub),
	              EV_ERR_INVALID_ARG);
	assert_ev_ok(agent_tpm_create_device_key(t, (const uint8_t *)"pw", 2, &pub));
	assert_ev_ok(agent_tpm_device_key(t, &pub2));
	assert_int_equal(EVP_PKEY_eq(pub, pub2), 1);
	assert_ev_ok(agent_tpm_sign(t, (const uint8_t *)"pw", 2, digest, sig));
	assert_ev_err(agent_tpm_sign(t, (const uint8_t *)"pX", 2, digest, sig), EV_ERR_TPM_AUTH);
	assert_ev_ok(agent_tpm_info(t, info, sizeof(info)));
	assert_ev_err(agent_tpm_info(t, small, sizeof(small)), EV_ERR_BUF_FULL);
	assert_string_equal(small, "");
	EVP_PKEY_free(pub);
	EVP_PKEY_free(pub2);
	agent_tpm_close(t);
	agent_tpm_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_file_create_reload, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_file_eve_sec1, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_file_eve_sec1_params, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_file_standard_keys, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_file_refused_keys, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_file_cert_mismatch, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_file_no_config_dir, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_sign_args, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_onboard, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_create_reload, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_credential, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_empty_credential, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_resume, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_unreachable, setup_root, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_gone, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_key_kind, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_owner_password, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_cert_mismatch, setup_tpm, teardown),
	        cmocka_unit_test_setup_teardown(test_tpm_layer, setup_tpm, teardown),
	};

	/* tpm2-tss logs every TPM error it returns; the tests provoke many.
	 * TSS2_LOG=all+error in the environment shows them. */
	setenv("TSS2_LOG", "all+none", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
