/* ev_authkeys.c - authorized_keys parsing (sshd(8) format) and key-list verification. */
#include "ev_authkeys.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "ev_sig.h"
#include "ev_sshdl.h"
#include "ev_sshwire.h"

/* Longest key type name we look at (OpenSSH's longest is about 45). */
#define TYPE_NAME_MAX 64u
/* RSA public exponents above 64 bits are refused by OpenSSL for large moduli
 * anyway; no real key has one. */
#define RSA_E_MAX_BYTES 8u
#define ED25519_LEN     32u

struct keytype {
	const char *name; /* authorized_keys / blob type string */
	enum ev_key_kind kind;
	const char *curve; /* SSH curve identifier inside an ECDSA blob */
	const char *group; /* OpenSSL group name */
	size_t field;      /* bytes per coordinate */
	enum ssh_keytypes_e ssh;
};

static const struct keytype keytypes[] = {
        {"ssh-rsa", EV_KEY_RSA, NULL, NULL, 0, SSH_KEYTYPE_RSA},
        {"ecdsa-sha2-nistp256", EV_KEY_EC_P256, "nistp256", "P-256", 32, SSH_KEYTYPE_ECDSA_P256},
        {"ecdsa-sha2-nistp384", EV_KEY_EC_P384, "nistp384", "P-384", 48, SSH_KEYTYPE_ECDSA_P384},
        {"ecdsa-sha2-nistp521", EV_KEY_EC_P521, "nistp521", "P-521", 66, SSH_KEYTYPE_ECDSA_P521},
        {"ssh-ed25519", EV_KEY_ED25519, NULL, NULL, 0, SSH_KEYTYPE_ED25519},
};

enum type_class {
	TYPE_UNKNOWN, /* not a key type name we know of */
	TYPE_REFUSED, /* a real type we do not accept: DSA, certificates, sk-* */
	TYPE_SUPPORTED,
};

struct ev_authkeys {
	size_t n;
	struct ev_authkey *keys[EV_MAX_AUTHKEYS];
};

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool
span_eq(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

static bool
span_contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(s + i, needle, m) == 0)
			return true;
	return false;
}

static const struct keytype *
keytype_by_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < EV_ARRAY_LEN(keytypes); i++)
		if (span_eq(s, n, keytypes[i].name))
			return &keytypes[i];
	return NULL;
}

static enum type_class
classify_type(const char *s, size_t n, const struct keytype **kt)
{
	char name[TYPE_NAME_MAX + 1];

	if ((*kt = keytype_by_name(s, n)) != NULL)
		return TYPE_SUPPORTED;
	if (n == 0 || n > TYPE_NAME_MAX)
		return TYPE_UNKNOWN;
	memcpy(name, s, n);
	name[n] = '\0';
	/* libssh knows DSA, the certificate and the security-key types (and a
	 * few aliases such as "rsa"); the name patterns catch newer ones. */
	const struct ev_sshdl *L = ev_sshdl();

	if ((L != NULL && L->key_type_from_name(name) != SSH_KEYTYPE_UNKNOWN) ||
	    (n > 3 && memcmp(name, "sk-", 3) == 0) || span_contains(s, n, "-cert-v0") ||
	    span_contains(s, n, "@openssh.com"))
		return TYPE_REFUSED;
	return TYPE_UNKNOWN;
}

/* Could s be a key type name at all (used only to pick the error code)? */
static bool
plausible_type(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TYPE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '@'))
			return false;
	}
	return true;
}

static bool
plausible_base64(const char *s, size_t n)
{
	size_t i;

	if (n < 4 || n % 4 != 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			return false;
	}
	return true;
}

/* Length of the run of non-blank characters at s. */
static size_t
token_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && !is_ws(s[i]))
		i++;
	return i;
}

static size_t
skip_ws(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_ws(s[i]))
		i++;
	return i;
}

/* Length of the options field at s, the way sshd reads it: blanks end it
 * unless inside double quotes, and \" never toggles quoting. */
static int
options_len(const char *s, size_t n, size_t *len)
{
	bool quoted = false;
	size_t i;

	*len = 0;
	for (i = 0; i < n && (quoted || !is_ws(s[i])); i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
	}
	if (quoted)
		return EV_ERR_AUTHKEY_SYNTAX;
	*len = i;
	return 0;
}

static int
rsa_from_blob(struct ev_sshwire *w, EVP_PKEY **out)
{
	const uint8_t *e, *n;
	size_t elen, nlen;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *be = NULL, *bn = NULL;
	int r;

	*out = NULL;
	if (ev_sshwire_get_mpint_pos(w, &e, &elen) != 0 ||
	    ev_sshwire_get_mpint_pos(w, &n, &nlen) != 0 || !ev_sshwire_done(w)) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	/* An RSA exponent is odd and at least 3; e = 1 would make any
	 * "signature" that equals the padded digest verify. */
	if (elen > RSA_E_MAX_BYTES || (e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3) ||
	    (n[nlen - 1] & 1) == 0) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	/* Size limits give EV_ERR_KEY_TYPE later; refuse absurd sizes early. */
	if (nlen > EV_RSA_MAX_SIG) {
		r = EV_ERR_KEY_TYPE;
		goto out;
	}
	if ((be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	r = ev_pkey_fromdata("RSA", EVP_PKEY_PUBLIC_KEY, bld, EV_ERR_AUTHKEY_BLOB, out);
	bld = NULL;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(be);
	BN_free(bn);
	return r;
}

static int
ecdsa_from_blob(struct ev_sshwire *w, const struct keytype *kt, EVP_PKEY **out)
{
	const uint8_t *q;
	size_t qlen;
	OSSL_PARAM_BLD *bld = NULL;
	int r;

	*out = NULL;
	/* The curve is named twice (type and identifier): both must agree. */
	if (ev_sshwire_get_string_eq(w, kt->curve) != 0 ||
	    ev_sshwire_get_string(w, &q, &qlen) != 0 || !ev_sshwire_done(w)) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	/* OpenSSH writes only uncompressed points: 04 || X || Y. */
	if (qlen != 1 + 2 * kt->field || q[0] != 0x04) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kt->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) != 1) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	/* Fails for a point that is not on the curve. */
	r = ev_pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, bld, EV_ERR_AUTHKEY_BLOB, out);
	bld = NULL;
out:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
ed25519_from_blob(struct ev_sshwire *w, EVP_PKEY **out)
{
	const uint8_t *pk;
	size_t pklen;

	*out = NULL;
	if (ev_sshwire_get_string(w, &pk, &pklen) != 0 || pklen != ED25519_LEN ||
	    !ev_sshwire_done(w))
		return EV_ERR_AUTHKEY_BLOB;
	if ((*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, pklen)) == NULL)
		return EV_ERR_AUTHKEY_BLOB;
	return 0;
}

/* want: the type the line announced, or NULL to take the blob's own. */
static int
blob_to_pubkey(const uint8_t *blob, size_t len, const struct keytype *want, struct ev_pubkey **out)
{
	struct ev_sshwire w;
	const struct keytype *kt;
	const uint8_t *type;
	size_t typelen;
	EVP_PKEY *pk = NULL;
	int r;

	*out = NULL;
	ev_sshwire_init(&w, blob, len);
	if (ev_sshwire_get_string(&w, &type, &typelen) != 0) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	kt = keytype_by_name((const char *)type, typelen);
	if (want != NULL && kt != want) {
		r = EV_ERR_AUTHKEY_MISMATCH;
		goto out;
	}
	if (kt == NULL) {
		r = EV_ERR_AUTHKEY_TYPE;
		goto out;
	}
	switch (kt->kind) {
	case EV_KEY_RSA: r = rsa_from_blob(&w, &pk); break;
	case EV_KEY_EC_P256:
	case EV_KEY_EC_P384:
	case EV_KEY_EC_P521: r = ecdsa_from_blob(&w, kt, &pk); break;
	case EV_KEY_ED25519: r = ed25519_from_blob(&w, &pk); break;
	default: r = EV_ERR_AUTHKEY_TYPE; break;
	}
	if (r != 0)
		goto out;
	r = ev_pubkey_from_evp(pk, out);
out:
	if (r != 0)
		ERR_clear_error();
	EVP_PKEY_free(pk);
	return r;
}

int
ev_pubkey_from_ssh_blob(const uint8_t *blob, size_t len, struct ev_pubkey **out)
{
	if (out != NULL)
		*out = NULL;
	if ((blob == NULL && len != 0) || out == NULL)
		return EV_ERR_INVALID_ARG;
	return blob_to_pubkey(blob, len, NULL, out);
}

/* libssh must read the same blob as the same type: a second parser as a
 * cross-check of ours (it reads the body by the type we pass it). */
static int
libssh_check(const char *b64, size_t len, const struct keytype *kt)
{
	const struct ev_sshdl *L = ev_sshdl();
	char *s = NULL;
	ssh_key key = NULL;
	int r;

	if (L == NULL)
		return EV_ERR_LIBSSH;
	if ((s = ev_strndup(b64, len)) == NULL)
		return EV_ERR_NOMEM;
	if (L->pki_import_pubkey_base64(s, kt->ssh, &key) != SSH_OK) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	r = L->key_type(key) == kt->ssh ? 0 : EV_ERR_AUTHKEY_MISMATCH;
out:
	L->key_free(key);
	free(s);
	return r;
}

void
ev_authkey_free(struct ev_authkey *k)
{
	if (k == NULL)
		return;
	ev_pubkey_free(k->key);
	free(k->type);
	free(k->comment);
	free(k->options);
	free(k);
}

int
ev_authkey_parse(const char *line, size_t len, struct ev_authkey **out)
{
	struct ev_authkey *k = NULL;
	const struct keytype *kt = NULL;
	const char *opt = "", *type, *b64, *comment;
	size_t optlen = 0, typelen, b64len, commentlen, i, n, t2;
	uint8_t *blob = NULL;
	size_t bloblen = 0, blobcap;
	enum type_class cls;
	int r;

	if (out != NULL)
		*out = NULL;
	if ((line == NULL && len != 0) || out == NULL)
		return EV_ERR_INVALID_ARG;
	if (len > EV_MAX_AUTHKEY_LINE)
		return EV_ERR_TOO_BIG;
	if (len == 0)
		return EV_ERR_AUTHKEY_SYNTAX;
	if (line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len) != NULL || memchr(line, '\n', len) != NULL ||
	    memchr(line, '\r', len) != NULL)
		return EV_ERR_AUTHKEY_SYNTAX;
	while (len > 0 && is_ws(line[len - 1]))
		len--;
	i = skip_ws(line, len);
	if (i == len || line[i] == '#')
		return EV_ERR_AUTHKEY_SYNTAX;

	/* Like sshd: a line starts with the key type unless it has options. */
	n = token_len(line + i, len - i);
	if ((cls = classify_type(line + i, n, &kt)) == TYPE_UNKNOWN) {
		if ((r = options_len(line + i, len - i, &optlen)) != 0)
			return r;
		opt = line + i;
		t2 = i + optlen + skip_ws(line + i + optlen, len - i - optlen);
		n = token_len(line + t2, len - t2);
		if (n == 0) {
			/* options alone, or a lone word */
			return EV_ERR_AUTHKEY_SYNTAX;
		}
		if ((cls = classify_type(line + t2, n, &kt)) == TYPE_UNKNOWN) {
			/* Neither field is a type we know: an unknown type if the
			 * shape otherwise fits, else just garbage. */
			size_t n1 = token_len(line + i, len - i);
			size_t b1 = i + n1 + skip_ws(line + i + n1, len - i - n1);
			size_t b2 = t2 + n + skip_ws(line + t2 + n, len - t2 - n);

			if (plausible_type(line + i, n1) &&
			    plausible_base64(line + b1, token_len(line + b1, len - b1)))
				return EV_ERR_AUTHKEY_TYPE;
			if (plausible_type(line + t2, n) &&
			    plausible_base64(line + b2, token_len(line + b2, len - b2)))
				return EV_ERR_AUTHKEY_TYPE;
			return EV_ERR_AUTHKEY_SYNTAX;
		}
		i = t2;
	} else {
		optlen = 0;
	}
	if (cls == TYPE_REFUSED)
		return EV_ERR_AUTHKEY_TYPE;
	type = line + i;
	typelen = n;
	i += n;
	i += skip_ws(line + i, len - i);
	b64 = line + i;
	if ((b64len = token_len(b64, len - i)) == 0)
		return EV_ERR_AUTHKEY_SYNTAX;
	i += b64len;
	i += skip_ws(line + i, len - i);
	comment = line + i;
	commentlen = len - i;

	blobcap = ev_b64_decoded_max(b64len);
	if ((blob = malloc(blobcap)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (ev_b64_decode(EV_B64_STD, b64, b64len, blob, blobcap, &bloblen) != 0) {
		r = EV_ERR_AUTHKEY_BLOB;
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = blob_to_pubkey(blob, bloblen, kt, &k->key)) != 0 ||
	    (r = libssh_check(b64, b64len, kt)) != 0)
		goto out;
	if ((k->type = ev_strndup(type, typelen)) == NULL ||
	    (k->comment = ev_strndup(comment, commentlen)) == NULL ||
	    (k->options = ev_strndup(opt, optlen)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	ev_authkey_free(k);
	free(blob);
	return r;
}

void
ev_authkeys_free(struct ev_authkeys *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++)
		ev_authkey_free(ks->keys[i]);
	free(ks);
}

int
ev_authkeys_parse(const char *text, size_t len, struct ev_authkeys **out, size_t *nbad)
{
	struct ev_authkeys *ks = NULL;
	struct ev_authkey *k = NULL;
	size_t pos = 0, bad = 0, lineno = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (nbad != NULL)
		*nbad = 0;
	if ((text == NULL && len != 0) || out == NULL)
		return EV_ERR_INVALID_ARG;
	if (len > EV_MAX_AUTHKEYS_TEXT)
		return EV_ERR_TOO_BIG;
	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return EV_ERR_NOMEM;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, j;

		pos += n + (nl != NULL ? 1 : 0);
		lineno++;
		j = skip_ws(s, n);
		if (j == n || s[j] == '#' || (s[j] == '\r' && j + 1 == n))
			continue;
		if (ks->n == EV_MAX_AUTHKEYS) {
			bad++;
			continue;
		}
		if ((r = ev_authkey_parse(s, n, &k)) == EV_ERR_NOMEM)
			goto out;
		if (r != 0) {
			/* The content may be a near-miss secret: log the reason only. */
			EV_LOG_(EV_LOG_INFO, r, "authorized_keys line %zu skipped", lineno);
			bad++;
			continue;
		}
		ks->keys[ks->n++] = k;
		k = NULL;
	}
	*out = ks;
	ks = NULL;
	if (nbad != NULL)
		*nbad = bad;
	r = 0;
out:
	ev_authkeys_free(ks);
	return r;
}

size_t
ev_authkeys_count(const struct ev_authkeys *ks)
{
	return ks != NULL ? ks->n : 0;
}

const struct ev_authkey *
ev_authkeys_get(const struct ev_authkeys *ks, size_t i)
{
	return ks != NULL && i < ks->n ? ks->keys[i] : NULL;
}

int
ev_authkeys_verify(const struct ev_authkeys *ks, const uint8_t *msg, size_t len, const uint8_t *sig,
                   size_t siglen, const struct ev_authkey **match)
{
	int r, failure = EV_ERR_SIG_INVALID;
	size_t i;

	if (match != NULL)
		*match = NULL;
	if ((msg == NULL && len != 0) || (sig == NULL && siglen != 0))
		return EV_ERR_INVALID_ARG;
	if (ks == NULL || ks->n == 0)
		return EV_ERR_NO_TRUSTED_KEYS;
	for (i = 0; i < ks->n; i++) {
		r = ev_sig_verify(ks->keys[i]->key, msg, len, sig, siglen);
		if (r == 0) {
			if (match != NULL)
				*match = ks->keys[i];
			return 0;
		}
		/* A wrong length or a mismatch just means "not this key"; keep
		 * a real failure to report if no key matches. */
		if (r != EV_ERR_SIG_LEN && r != EV_ERR_SIG_INVALID)
			failure = r;
	}
	return failure;
}
