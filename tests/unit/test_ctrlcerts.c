/* test_ctrlcerts.c - ZControllerCert checks and chain verification (lib/ev_ctrlcerts.h). */
#include "ev_test.h"

#include <stdio.h>

#include "ev_crypto.h"
#include "ev_ctrlcerts.h"
#include "ev_err.h"
#include "ev_sig.h"
#include "tcerts.h"

/* One PKI for the whole file: generating keys is the slow part. */
static struct pki {
	struct tcert *root, *inter, *signing, *ecdh, *ecdh2, *rsa_signing, *inter_leaf, *inter_ecdh,
	        *other_root, *other_leaf, *impostor_root, *impostor_leaf, *expired, *future,
	        *codesign, *anyeku, *noeku, *eku_inter, *eku_inter_leaf, *notca_inter, *notca_leaf,
	        *ed25519, *expired_root, *expired_root_leaf, *sha1;
} P;

static int
setup(void **state)
{
	struct tcert_opts o;

	(void)state;
	P.root = tcert_ca("test root", NULL);
	P.inter = tcert_ca("test intermediate", P.root);
	P.signing = tcert_leaf("controller signing", P.root);
	P.ecdh = tcert_leaf("controller ecdh", P.root);
	P.ecdh2 = tcert_leaf("controller ecdh 2", P.root);
	o = (struct tcert_opts){"rsa signing", EV_KEY_RSA, false,       false,
	                        -TC_DAY,       TC_YEAR,    "serverAuth"};
	P.rsa_signing = tcert_make(&o, P.root);
	P.inter_leaf = tcert_leaf("signing under intermediate", P.inter);
	P.inter_ecdh = tcert_leaf("ecdh under intermediate", P.inter);
	P.other_root = tcert_ca("another root", NULL);
	P.other_leaf = tcert_leaf("foreign signing", P.other_root);
	P.impostor_root = tcert_ca("test root", NULL);
	P.impostor_leaf = tcert_leaf("impostor signing", P.impostor_root);
	o = (struct tcert_opts){"expired", EV_KEY_EC_P256, false,       false,
	                        -TC_YEAR,  -3600,          "serverAuth"};
	P.expired = tcert_make(&o, P.root);
	o = (struct tcert_opts){"future", EV_KEY_EC_P256, false, false, 3600, TC_YEAR, NULL};
	P.future = tcert_make(&o, P.root);
	o = (struct tcert_opts){"code signing", EV_KEY_EC_P256, false,        false,
	                        -TC_DAY,        TC_YEAR,        "codeSigning"};
	P.codesign = tcert_make(&o, P.root);
	o.cn = "any eku";
	o.eku = "anyExtendedKeyUsage,codeSigning";
	P.anyeku = tcert_make(&o, P.root);
	o.cn = "no eku";
	o.eku = NULL;
	P.noeku = tcert_make(&o, P.root);
	o = (struct tcert_opts){"client-only intermediate",
	                        EV_KEY_EC_P256,
	                        true,
	                        false,
	                        -TC_DAY,
	                        TC_YEAR,
	                        "clientAuth"};
	P.eku_inter = tcert_make(&o, P.root);
	P.eku_inter_leaf = tcert_leaf("leaf of client-only intermediate", P.eku_inter);
	o = (struct tcert_opts){"not a CA", EV_KEY_EC_P256, false, false, -TC_DAY, TC_YEAR, NULL};
	P.notca_inter = tcert_make(&o, P.root);
	P.notca_leaf = tcert_leaf("leaf of a non-CA", P.notca_inter);
	o = (struct tcert_opts){"ed25519 signing", EV_KEY_ED25519, false, false,
	                        -TC_DAY,           TC_YEAR,        NULL};
	P.ed25519 = tcert_make(&o, P.root);
	o = (struct tcert_opts){"expired root", EV_KEY_EC_P256, true, false,
	                        -TC_YEAR,       -TC_DAY,        NULL};
	P.expired_root = tcert_make(&o, NULL);
	P.expired_root_leaf = tcert_leaf("leaf of expired root", P.expired_root);
	o = (struct tcert_opts){"sha1 signed", EV_KEY_EC_P256, false, false,
	                        -TC_DAY,       TC_YEAR,        NULL};
	P.sha1 = tcert_make_md(&o, P.root, EVP_sha1());
	for (size_t i = 0; i < sizeof(P) / sizeof(struct tcert *); i++)
		if (((struct tcert **)&P)[i] == NULL)
			return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(P) / sizeof(struct tcert *); i++)
		tcert_free(((struct tcert **)&P)[i]);
	return 0;
}

/* Verify a list against roots (P.root when NULL) at TC_T0 + dt. */
static int
run(const struct tentry *e, size_t n, const char *roots, long dt, unsigned flags,
    struct ev_ctrlcerts **out)
{
	struct ev_ctrlcerts *c = NULL;
	uint8_t *buf;
	size_t len;
	int r;

	if (roots == NULL)
		roots = P.root->pem;
	buf = tcerts_pack(e, n, &len);
	assert_non_null(buf);
	r = ev_ctrlcerts_verify(buf, len, roots, strlen(roots), TC_T0 + dt, flags, &c);
	free(buf);
	if (r == 0)
		assert_non_null(c);
	else
		assert_null(c);
	if (out != NULL)
		*out = c;
	else
		ev_ctrlcerts_free(c);
	return r;
}

#define REQ EV_CTRLCERTS_REQUIRE_ECDH

static void
test_basic(void **state)
{
	struct tentry e[] = {{TC_ECDH, P.ecdh->pem, 0}, {TC_SIGNING, P.signing->pem, 0}};
	struct ev_ctrlcerts *c = NULL;
	uint8_t h[EV_SHA256_LEN];
	const uint8_t *pem;
	size_t len;

	(void)state;
	assert_ev_ok(run(e, 2, NULL, 0, REQ, &c));
	pem = ev_ctrlcerts_signing_pem(c, &len);
	assert_int_equal(len, P.signing->pemlen);
	assert_memory_equal(pem, P.signing->pem, len);
	assert_ev_ok(ev_sha256(P.signing->pem, P.signing->pemlen, h));
	assert_memory_equal(ev_ctrlcerts_signing_hash(c), h, EV_SHA256_LEN);
	assert_int_equal(ev_pubkey_kind(ev_ctrlcerts_signing_key(c)), EV_KEY_EC_P256);
	assert_int_equal(ev_ctrlcerts_ecdh_count(c), 1);
	assert_true(ev_ctrlcerts_signing_not_before(c) == TC_T0 - TC_DAY);
	assert_true(ev_ctrlcerts_signing_not_after(c) == TC_T0 + 10 * TC_YEAR);
	ev_ctrlcerts_free(c);
}

static void
test_bytes_as_received(void **state)
{
	/* Adam trims the PEM; the hash is over exactly what came, not a re-encoding. */
	char *trimmed = strndup(P.signing->pem, P.signing->pemlen - 1);
	struct tentry e[] = {{TC_SIGNING, trimmed, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct ev_ctrlcerts *c = NULL;
	uint8_t h[EV_SHA256_LEN];
	size_t len;

	(void)state;
	assert_non_null(trimmed);
	assert_ev_ok(run(e, 2, NULL, 0, REQ, &c));
	assert_ev_ok(ev_sha256(trimmed, strlen(trimmed), h));
	assert_memory_equal(ev_ctrlcerts_signing_hash(c), h, EV_SHA256_LEN);
	(void)ev_ctrlcerts_signing_pem(c, &len);
	assert_int_equal(len, strlen(trimmed));
	ev_ctrlcerts_free(c);
	free(trimmed);
}

static void
test_leading_text(void **state)
{
	/* Go's pem.Decode skips text before the first block. */
	size_t n = P.signing->pemlen + 64;
	char *pem = malloc(n);
	struct tentry e[] = {{TC_SIGNING, pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};

	(void)state;
	assert_non_null(pem);
	snprintf(pem, n, "subject=controller\n%s", P.signing->pem);
	assert_ev_ok(run(e, 2, NULL, 0, REQ, NULL));
	free(pem);
}

static void
test_intermediate(void **state)
{
	struct tentry e[] = {{TC_INTER, P.inter->pem, 0},
	                     {TC_SIGNING, P.inter_leaf->pem, 0},
	                     {TC_ECDH, P.inter_ecdh->pem, 0}};

	(void)state;
	assert_ev_ok(run(e, 3, NULL, 0, REQ, NULL));
	/* without the intermediate entry there is no path */
	assert_ev_err(run(e + 1, 2, NULL, 0, REQ, NULL), EV_ERR_CC_UNTRUSTED);
}

static void
test_intermediate_bundle(void **state)
{
	/* One INTERMEDIATE entry may hold several certificates (AppendCertsFromPEM). */
	size_t n = P.inter->pemlen + P.other_root->pemlen + 1;
	char *bundle = malloc(n);
	struct tentry e[] = {{TC_INTER, bundle, 0},
	                     {TC_SIGNING, P.inter_leaf->pem, 0},
	                     {TC_ECDH, P.ecdh->pem, 0}};

	(void)state;
	assert_non_null(bundle);
	snprintf(bundle, n, "%s%s", P.other_root->pem, P.inter->pem);
	assert_ev_ok(run(e, 3, NULL, 0, REQ, NULL));
	free(bundle);
}

static void
test_rsa_and_ed25519(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.rsa_signing->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct ev_ctrlcerts *c = NULL;

	(void)state;
	assert_ev_ok(run(e, 2, NULL, 0, REQ, &c));
	assert_int_equal(ev_pubkey_kind(ev_ctrlcerts_signing_key(c)), EV_KEY_RSA);
	ev_ctrlcerts_free(c);
	/* Go's x509 verifies an Ed25519 chain; ev_authc then refuses to use the key. */
	e[0].pem = P.ed25519->pem;
	assert_ev_ok(run(e, 2, NULL, 0, REQ, &c));
	assert_int_equal(ev_pubkey_kind(ev_ctrlcerts_signing_key(c)), EV_KEY_ED25519);
	ev_ctrlcerts_free(c);
}

static void
test_ecdh_rules(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.signing->pem, 0},
	                     {TC_ECDH, P.ecdh->pem, 0},
	                     {TC_ECDH, P.ecdh2->pem, 0}};
	struct ev_ctrlcerts *c = NULL;

	(void)state;
	assert_ev_err(run(e, 1, NULL, 0, REQ, NULL), EV_ERR_CC_NO_ECDH);
	assert_ev_ok(run(e, 1, NULL, 0, 0, &c)); /* bootstrap config: ECDH optional */
	assert_int_equal(ev_ctrlcerts_ecdh_count(c), 0);
	ev_ctrlcerts_free(c);
	assert_ev_ok(run(e, 3, NULL, 0, REQ, &c));
	assert_int_equal(ev_ctrlcerts_ecdh_count(c), 2);
	ev_ctrlcerts_free(c);
	/* every ECDH leaf must chain too */
	e[2].pem = P.other_leaf->pem;
	assert_ev_err(run(e, 3, NULL, 0, REQ, NULL), EV_ERR_CC_UNTRUSTED);
	e[2].pem = P.expired->pem;
	assert_ev_err(run(e, 3, NULL, 0, REQ, NULL), EV_ERR_CC_EXPIRED);
	e[2].pem = "not a certificate";
	assert_ev_err(run(e, 3, NULL, 0, REQ, NULL), EV_ERR_CC_CERT);
}

static void
test_list_rules(void **state)
{
	struct tentry two[] = {{TC_SIGNING, P.signing->pem, 0},
	                       {TC_ECDH, P.ecdh->pem, 0},
	                       {TC_SIGNING, P.rsa_signing->pem, 0}};
	struct tentry none[] = {{TC_ECDH, P.ecdh->pem, 0}};
	struct tentry typ[] = {
	        {TC_SIGNING, P.signing->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}, {0, "", 0}};
	static const int bad_types[] = {0, 10, 11, 12, 13, 4, 99, -1};
	size_t i;

	(void)state;
	assert_ev_err(run(two, 3, NULL, 0, REQ, NULL), EV_ERR_CC_TWO_SIGNING);
	assert_ev_err(run(none, 1, NULL, 0, REQ, NULL), EV_ERR_CC_NO_SIGNING);
	assert_ev_err(run(none, 0, NULL, 0, 0, NULL), EV_ERR_CC_NO_SIGNING);
	for (i = 0; i < EV_ARRAY_LEN(bad_types); i++) {
		typ[2].type = bad_types[i];
		typ[2].pem = P.ecdh->pem;
		assert_ev_err(run(typ, 3, NULL, 0, REQ, NULL), EV_ERR_CC_TYPE);
	}
}

static void
test_bad_pem(void **state)
{
	struct tentry e[] = {{TC_SIGNING, "garbage", 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry inter[] = {
	        {TC_INTER, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0},
	        {TC_SIGNING, P.signing->pem, 0},
	        {TC_ECDH, P.ecdh->pem, 0}};
	/* a block that decodes but is not a certificate */
	const char *notcert = "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n";
	uint8_t *buf;
	size_t len;
	struct ev_ctrlcerts *c = NULL;

	(void)state;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_CERT);
	e[0].pem = notcert;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_CERT);
	assert_ev_err(run(inter, 3, NULL, 0, REQ, NULL), EV_ERR_CC_CERT);
	/* an empty signing entry (cert field absent) */
	e[0].pem = "";
	e[0].len = 0;
	buf = tcerts_pack(e, 2, &len);
	assert_non_null(buf);
	assert_ev_err(ev_ctrlcerts_verify(buf, len, P.root->pem, P.root->pemlen, TC_T0, REQ, &c),
	              EV_ERR_CC_CERT);
	assert_null(c);
	free(buf);
}

static void
test_roots(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.signing->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	size_t n = P.root->pemlen + P.other_root->pemlen + 256;
	char *mixed = malloc(n);

	(void)state;
	assert_non_null(mixed);
	assert_ev_err(run(e, 2, "", 0, REQ, NULL), EV_ERR_CC_NO_ROOTS);
	assert_ev_err(run(e, 2, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 0,
	                  REQ, NULL),
	              EV_ERR_CC_NO_ROOTS);
	/* other blocks, headers and junk are skipped like Go's AppendCertsFromPEM */
	snprintf(mixed, n,
	         "# bundle\n-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
	         "-----END EC PARAMETERS-----\n%s%s",
	         P.other_root->pem, P.root->pem);
	assert_ev_ok(run(e, 2, mixed, 0, REQ, NULL));
	assert_ev_err(run(e, 2, P.other_root->pem, 0, REQ, NULL), EV_ERR_CC_UNTRUSTED);
	free(mixed);
}

static void
test_trust(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.other_leaf->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};

	(void)state;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_UNTRUSTED);
	/* same issuer name, other key: found by name, refused by signature */
	e[0].pem = P.impostor_leaf->pem;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_CHAIN);
	/* a leaf that is itself in the roots file is an anchor, as in Go */
	e[0].pem = P.other_leaf->pem;
	assert_ev_ok(run(e, 1, P.other_leaf->pem, 0, 0, NULL));
	/* an intermediate that is not a CA */
	e[0].pem = P.notca_leaf->pem;
	{
		struct tentry f[] = {{TC_INTER, P.notca_inter->pem, 0},
		                     {TC_SIGNING, P.notca_leaf->pem, 0},
		                     {TC_ECDH, P.ecdh->pem, 0}};

		assert_ev_err(run(f, 3, NULL, 0, REQ, NULL), EV_ERR_CC_CHAIN);
	}
	/* a SHA-1 signature: Go's x509 refuses it, so do we (security level 1) */
	e[0].pem = P.sha1->pem;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_CHAIN);
}

static void
test_time(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.signing->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry x[] = {{TC_SIGNING, P.expired->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry f[] = {{TC_SIGNING, P.future->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry rl[] = {{TC_SIGNING, P.expired_root_leaf->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	size_t n = P.root->pemlen + P.expired_root->pemlen + 1;
	char *roots = malloc(n);

	(void)state;
	assert_non_null(roots);
	assert_ev_err(run(x, 2, NULL, 0, REQ, NULL), EV_ERR_CC_EXPIRED);
	assert_ev_ok(run(x, 2, NULL, -TC_DAY, REQ, NULL)); /* "as of" an earlier floor */
	assert_ev_err(run(f, 2, NULL, 0, REQ, NULL), EV_ERR_CC_NOT_YET_VALID);
	assert_ev_ok(run(f, 2, NULL, 7200, REQ, NULL));
	/* a 1970 clock fails on the root first */
	assert_ev_err(run(e, 2, NULL, -TC_T0 + 10, REQ, NULL), EV_ERR_CC_NOT_YET_VALID);
	assert_ev_err(run(e, 2, NULL, 11 * TC_YEAR, REQ, NULL), EV_ERR_CC_EXPIRED);
	snprintf(roots, n, "%s%s", P.expired_root->pem, P.root->pem);
	assert_ev_err(run(rl, 2, roots, 0, REQ, NULL), EV_ERR_CC_EXPIRED);
	free(roots);
}

static void
test_eku(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.codesign->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry i[] = {{TC_INTER, P.eku_inter->pem, 0},
	                     {TC_SIGNING, P.eku_inter_leaf->pem, 0},
	                     {TC_ECDH, P.ecdh->pem, 0}};

	(void)state;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_EKU);
	e[0].pem = P.anyeku->pem;
	assert_ev_ok(run(e, 2, NULL, 0, REQ, NULL));
	e[0].pem = P.noeku->pem;
	assert_ev_ok(run(e, 2, NULL, 0, REQ, NULL));
	/* an ECDH leaf is held to the same rule */
	e[1].pem = P.codesign->pem;
	assert_ev_err(run(e, 2, NULL, 0, REQ, NULL), EV_ERR_CC_EKU);
	/* Go checks EKUs along the chain: a clientAuth-only intermediate blocks serverAuth */
	assert_ev_err(run(i, 3, NULL, 0, REQ, NULL), EV_ERR_CC_EKU);
}

static void
test_set_digest(void **state)
{
	struct tentry a[] = {{TC_SIGNING, P.signing->pem, 0},
	                     {TC_ECDH, P.ecdh->pem, 0},
	                     {TC_INTER, P.inter->pem, 0}};
	struct tentry b[] = {{TC_INTER, P.inter->pem, 0},
	                     {TC_ECDH, P.ecdh->pem, 0},
	                     {TC_SIGNING, P.signing->pem, 0},
	                     {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry c[] = {{TC_SIGNING, P.signing->pem, 0},
	                     {TC_ECDH, P.ecdh2->pem, 0},
	                     {TC_INTER, P.inter->pem, 0}};
	struct ev_ctrlcerts *x = NULL, *y = NULL, *z = NULL;

	(void)state;
	assert_ev_ok(run(a, 3, NULL, 0, REQ, &x));
	assert_ev_ok(run(b, 4, NULL, 0, REQ, &y)); /* other order, a duplicate */
	assert_ev_ok(run(c, 3, NULL, 0, REQ, &z));
	assert_memory_equal(ev_ctrlcerts_set_digest(x), ev_ctrlcerts_set_digest(y), EV_SHA256_LEN);
	assert_memory_not_equal(ev_ctrlcerts_set_digest(x), ev_ctrlcerts_set_digest(z),
	                        EV_SHA256_LEN);
	ev_ctrlcerts_free(x);
	ev_ctrlcerts_free(y);
	ev_ctrlcerts_free(z);
}

static void
test_parse_and_caps(void **state)
{
	struct tentry e[] = {{TC_SIGNING, P.signing->pem, 0}, {TC_ECDH, P.ecdh->pem, 0}};
	struct tentry many[EV_MAX_CTRLCERTS_COUNT + 1];
	static const uint8_t garbage[] = {0x0a, 0xff, 0xff};
	struct ev_ctrlcerts *c = NULL;
	uint8_t *big;
	size_t i, len;

	(void)state;
	assert_ev_err(ev_ctrlcerts_verify(garbage, sizeof(garbage), P.root->pem, P.root->pemlen,
	                                  TC_T0, REQ, &c),
	              EV_ERR_CC_PARSE);
	assert_ev_err(ev_ctrlcerts_verify(NULL, 0, P.root->pem, P.root->pemlen, TC_T0, REQ, &c),
	              EV_ERR_CC_NO_SIGNING);
	/* a field of the wrong wire type */
	assert_ev_err(ev_ctrlcerts_verify((const uint8_t *)"\x08\x01", 2, P.root->pem,
	                                  P.root->pemlen, TC_T0, REQ, &c),
	              EV_ERR_CC_PARSE);
	assert_null(c);
	for (i = 0; i < EV_ARRAY_LEN(many); i++)
		many[i] = (struct tentry){TC_ECDH, P.ecdh->pem, 0};
	many[0].type = TC_SIGNING;
	many[0].pem = P.signing->pem;
	assert_ev_ok(run(many, EV_MAX_CTRLCERTS_COUNT, NULL, 0, REQ, NULL));
	assert_ev_err(run(many, EV_MAX_CTRLCERTS_COUNT + 1, NULL, 0, REQ, NULL), EV_ERR_TOO_BIG);
	big = calloc(1, EV_MAX_CTRLCERTS + 1);
	assert_non_null(big);
	assert_ev_err(ev_ctrlcerts_verify(big, EV_MAX_CTRLCERTS + 1, P.root->pem, P.root->pemlen,
	                                  TC_T0, REQ, &c),
	              EV_ERR_TOO_BIG);
	free(big);
	big = tcerts_pack(e, 2, &len);
	assert_non_null(big);
	assert_ev_err(
	        ev_ctrlcerts_verify(big, len, P.root->pem, EV_MAX_PEM_FILE + 1, TC_T0, REQ, &c),
	        EV_ERR_TOO_BIG);
	assert_ev_err(ev_ctrlcerts_verify(big, len, P.root->pem, P.root->pemlen, TC_T0, 0x80, &c),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(ev_ctrlcerts_verify(big, len, P.root->pem, P.root->pemlen, TC_T0, REQ, NULL),
	              EV_ERR_INVALID_ARG);
	free(big);
}

static void
test_verify_list(void **state)
{
	Org__Lfedge__Eve__Certs__ZControllerCert *m;
	struct tentry e[] = {{TC_SIGNING, P.signing->pem, 0}};
	struct ev_ctrlcerts *c = NULL;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = tcerts_pack(e, 1, &len);
	assert_non_null(buf);
	m = org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, len, buf);
	assert_non_null(m);
	assert_ev_ok(ev_ctrlcerts_verify_list(m->certs, m->n_certs, P.root->pem, P.root->pemlen,
	                                      TC_T0, 0, &c));
	ev_ctrlcerts_free(c);
	assert_ev_err(ev_ctrlcerts_verify_list(m->certs, m->n_certs, P.root->pem, P.root->pemlen,
	                                       TC_T0, REQ, &c),
	              EV_ERR_CC_NO_ECDH);
	{
		Org__Lfedge__Eve__Certs__ZCert *nul[1] = {NULL};

		assert_ev_err(
		        ev_ctrlcerts_verify_list(nul, 1, P.root->pem, P.root->pemlen, TC_T0, 0, &c),
		        EV_ERR_INVALID_ARG);
	}
	org__lfedge__eve__certs__zcontroller_cert__free_unpacked(m, NULL);
	free(buf);
}

/* The fixture made by an independent encoder (tests/data/authc/make_fixtures.py). */
static void
test_fixture(void **state)
{
	struct ev_ctrlcerts *c = NULL;
	char *certs, *roots;
	size_t certslen, rootslen;
	uint8_t h[EV_SHA256_LEN];
	const uint8_t *pem;
	size_t pemlen;

	(void)state;
	certs = tv_read_data_file("authc/certs.pb", &certslen);
	roots = tv_read_data_file("authc/roots.pem", &rootslen);
	assert_ev_ok(ev_ctrlcerts_verify((const uint8_t *)certs, certslen, roots, rootslen, TC_T0,
	                                 REQ, &c));
	pem = ev_ctrlcerts_signing_pem(c, &pemlen);
	assert_true(pemlen > 0 && pem[pemlen - 1] == '-'); /* trimmed, as Adam sends it */
	assert_ev_ok(ev_sha256(pem, pemlen, h));
	assert_memory_equal(h, ev_ctrlcerts_signing_hash(c), EV_SHA256_LEN);
	ev_ctrlcerts_free(c);
	/* the spec's test cert is valid 2025-01-01 .. 2035-01-01 */
	assert_ev_err(ev_ctrlcerts_verify((const uint8_t *)certs, certslen, roots, rootslen,
	                                  1700000000, REQ, &c),
	              EV_ERR_CC_NOT_YET_VALID);
	free(certs);
	free(roots);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_basic),
	        cmocka_unit_test(test_bytes_as_received),
	        cmocka_unit_test(test_leading_text),
	        cmocka_unit_test(test_intermediate),
	        cmocka_unit_test(test_intermediate_bundle),
	        cmocka_unit_test(test_rsa_and_ed25519),
	        cmocka_unit_test(test_ecdh_rules),
	        cmocka_unit_test(test_list_rules),
	        cmocka_unit_test(test_bad_pem),
	        cmocka_unit_test(test_roots),
	        cmocka_unit_test(test_trust),
	        cmocka_unit_test(test_time),
	        cmocka_unit_test(test_eku),
	        cmocka_unit_test(test_set_digest),
	        cmocka_unit_test(test_parse_and_caps),
	        cmocka_unit_test(test_verify_list),
	        cmocka_unit_test(test_fixture),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
