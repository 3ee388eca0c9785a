/* test_authkeys.c - authorized_keys lines and lists, and verification against them. */
#include "ev_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_sig.h"

/* The base64 field of the vector ECDSA line. */
static char *
ec_b64(void)
{
	const char *line = tv_str("ec_ssh_authorized_key");
	const char *b = strchr(line, ' ') + 1;
	const char *e = strchr(b, ' ');

	return strndup(b, (size_t)(e - b));
}

static int
parse(const char *line, struct ev_authkey **k)
{
	return ev_authkey_parse(line, strlen(line), k);
}

static size_t
sig_vec(const char *path, uint8_t *buf, size_t cap)
{
	const char *s = tv_str(path);
	size_t n = 0;

	assert_ev_ok(ev_b64_decode(EV_B64_STD, s, strlen(s), buf, cap, &n));
	return n;
}

/* An authorized_keys line with the blob re-encoded after edit(blob). */
static char *
line_with_blob(const char *type, void (*edit)(uint8_t *, size_t *))
{
	char *b64 = ec_b64();
	uint8_t blob[512];
	size_t n = 0;
	struct ev_buf *out = ev_buf_new(4096);
	uint8_t *taken = NULL;
	size_t takenlen = 0;

	assert_non_null(out);
	assert_ev_ok(ev_b64_decode(EV_B64_STD, b64, strlen(b64), blob, sizeof(blob), &n));
	edit(blob, &n);
	assert_ev_ok(ev_buf_putf(out, "%s ", type));
	assert_ev_ok(ev_b64_encode(EV_B64_STD, blob, n, out));
	assert_ev_ok(ev_buf_put_str(out, " edited"));
	assert_ev_ok(ev_buf_take(out, &taken, &takenlen));
	ev_buf_free(out);
	free(b64);
	return (char *)taken;
}

static void
test_vector_lines(void **state)
{
	struct ev_authkey *ec = NULL, *rsa = NULL;
	uint8_t sig[512];
	size_t siglen;
	const char *m = tv_str("cmd2_json");

	(void)state;
	assert_ev_ok(parse(tv_str("ec_ssh_authorized_key"), &ec));
	assert_string_equal(ec->type, "ecdsa-sha2-nistp256");
	assert_string_equal(ec->comment, "alice@laptop");
	assert_string_equal(ec->options, "");
	assert_int_equal(ev_pubkey_kind(ec->key), EV_KEY_EC_P256);
	siglen = sig_vec("ecdsa_sig.sig_b64", sig, sizeof(sig));
	assert_ev_ok(ev_sig_verify(ec->key, (const uint8_t *)m, strlen(m), sig, siglen));

	assert_ev_ok(parse(tv_str("rsa_ssh_authorized_key"), &rsa));
	assert_string_equal(rsa->type, "ssh-rsa");
	assert_string_equal(rsa->comment, "bob@workstation");
	assert_int_equal(ev_pubkey_kind(rsa->key), EV_KEY_RSA);
	siglen = sig_vec("rsa_sig.sig_b64", sig, sizeof(sig));
	assert_ev_ok(ev_sig_verify(rsa->key, (const uint8_t *)m, strlen(m), sig, siglen));
	ev_authkey_free(ec);
	ev_authkey_free(rsa);
}

static void
test_options_and_comment(void **state)
{
	char *b64 = ec_b64(), line[2048];
	struct ev_authkey *k = NULL;
	static const char opts[] =
	        "from=\"10.0.0.1,192.168.0.0/16\",command=\"echo \\\"hi, there\\\"\",no-pty";

	(void)state;
	snprintf(line, sizeof(line), "%s ecdsa-sha2-nistp256 %s  my  key  ", opts, b64);
	assert_ev_ok(parse(line, &k));
	assert_string_equal(k->options, opts);
	assert_string_equal(k->type, "ecdsa-sha2-nistp256");
	assert_string_equal(k->comment, "my  key"); /* inner blanks kept, ends trimmed */
	ev_authkey_free(k);

	/* a quoted value with spaces and a tab separator, CRLF ending */
	snprintf(line, sizeof(line),
	         "  restrict,command=\"/bin/ls -l\"\tecdsa-sha2-nistp256\t%s\r\n", b64);
	assert_ev_ok(parse(line, &k));
	assert_string_equal(k->options, "restrict,command=\"/bin/ls -l\"");
	assert_string_equal(k->comment, "");
	ev_authkey_free(k);

	/* no comment at all */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %s", b64);
	assert_ev_ok(parse(line, &k));
	assert_string_equal(k->comment, "");
	ev_authkey_free(k);
	free(b64);
}

static void
test_syntax_errors(void **state)
{
	char *b64 = ec_b64(), line[2048];
	struct ev_authkey *k = NULL;
	static const char *bad[] = {
	        "",
	        "   \t ",
	        "# just a comment",
	        "  # indented comment",
	        "no-pty,command=\"ls\"",   /* options only */
	        "ecdsa-sha2-nistp256",     /* type only */
	        "ecdsa-sha2-nistp256    ", /* type and blanks */
	        "hello world",             /* garbage */
	        "=== ??? !!!",
	};
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(bad); i++) {
		assert_ev_err(parse(bad[i], &k), EV_ERR_AUTHKEY_SYNTAX);
		assert_null(k);
	}
	/* unterminated quote in the options */
	snprintf(line, sizeof(line), "command=\"ls ecdsa-sha2-nistp256 %s", b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_SYNTAX);
	/* an embedded NUL or line break */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %s x", b64);
	line[5] = '\n';
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_SYNTAX);
	line[5] = '\0';
	assert_ev_err(ev_authkey_parse(line, strlen(line + 6) + 6, &k), EV_ERR_AUTHKEY_SYNTAX);
	assert_ev_err(ev_authkey_parse(NULL, 0, &k), EV_ERR_AUTHKEY_SYNTAX);
	free(b64);
}

static void
test_type_errors(void **state)
{
	char *b64 = ec_b64(), line[2048];
	struct ev_authkey *k = NULL;
	static const char *types[] = {
	        "ssh-foo",
	        "ssh-dss",
	        "ssh-ed25519-cert-v01@openssh.com",
	        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	        "ssh-rsa-cert-v01@openssh.com",
	        "sk-ecdsa-sha2-nistp256@openssh.com",
	        "sk-ssh-ed25519@openssh.com",
	        "rsa-sha2-256",
	};
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(types); i++) {
		snprintf(line, sizeof(line), "%s %s c", types[i], b64);
		assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_TYPE);
		/* with options in front too */
		snprintf(line, sizeof(line), "no-pty,from=\"a b\" %s %s c", types[i], b64);
		assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_TYPE);
	}
	assert_null(k);
	free(b64);
}

static void
test_blob_errors(void **state)
{
	char *b64 = ec_b64(), line[2048];
	struct ev_authkey *k = NULL;
	size_t n = strlen(b64);

	(void)state;
	/* a character outside the alphabet */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %.*s!%s c", 10, b64, b64 + 11);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	/* trailing garbage glued to the base64 field */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %sxyz c", b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	/* base64 glued on after the padding */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %sAAAA c", b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	/* truncated: the last quantum dropped */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %.*s c", (int)(n - 4), b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	/* missing padding */
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %.*s c", (int)(n - 1), b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	/* base64 of nothing useful */
	assert_ev_err(parse("ssh-ed25519 AAAA c", &k), EV_ERR_AUTHKEY_BLOB);
	assert_null(k);
	free(b64);
}

static void
test_type_mismatch(void **state)
{
	char *b64 = ec_b64(), line[2048];
	struct ev_authkey *k = NULL;

	(void)state;
	snprintf(line, sizeof(line), "ssh-rsa %s alice", b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_MISMATCH);
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp384 %s alice", b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_MISMATCH);
	snprintf(line, sizeof(line), "ssh-ed25519 %s alice", b64);
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_MISMATCH);
	assert_null(k);
	free(b64);
}

/* blob edits: vector ECDSA blob = string type(19), string curve(8), string Q(65) */
static void
edit_point_off_curve(uint8_t *b, size_t *n)
{
	b[*n - 1] ^= 0x01;
}

static void
edit_compressed_point(uint8_t *b, size_t *n)
{
	(void)n;
	b[4 + 19 + 4 + 8 + 4] = 0x02;
}

static void
edit_curve_name(uint8_t *b, size_t *n)
{
	(void)n;
	memcpy(b + 4 + 19 + 4, "nistp384", 8);
}

static void
edit_short_point(uint8_t *b, size_t *n)
{
	/* Q length 65 -> 64, and drop the last byte */
	b[4 + 19 + 4 + 8 + 3] = 64;
	(*n)--;
}

static void
edit_huge_length(uint8_t *b, size_t *n)
{
	(void)n;
	b[4 + 19] = 0xff; /* curve string length 0xff000008 */
}

static void
edit_trailing_bytes(uint8_t *b, size_t *n)
{
	b[(*n)++] = 0; /* valid base64, but a byte after the key */
}

static void
test_bad_ecdsa_blobs(void **state)
{
	void (*edits[])(uint8_t *, size_t *) = {
	        edit_point_off_curve, edit_compressed_point, edit_curve_name,
	        edit_short_point,     edit_huge_length,      edit_trailing_bytes,
	};
	struct ev_authkey *k = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(edits); i++) {
		char *line = line_with_blob("ecdsa-sha2-nistp256", edits[i]);

		assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
		assert_null(k);
		free(line);
	}
}

/* An ssh-rsa line for (e, n) given as hex. */
static char *
rsa_line(const char *ehex, const uint8_t *nmag, size_t nlen)
{
	struct ev_buf *blob = ev_buf_new(4096), *out = ev_buf_new(8192);
	uint8_t e[16], hdr[4], *taken = NULL;
	size_t elen = strlen(ehex) / 2, takenlen = 0;

	assert_non_null(blob);
	assert_non_null(out);
	assert_ev_ok(ev_hex_decode(ehex, strlen(ehex), e, elen));
	hdr[0] = hdr[1] = hdr[2] = 0;
	hdr[3] = 7;
	assert_ev_ok(ev_buf_put(blob, hdr, 4));
	assert_ev_ok(ev_buf_put(blob, "ssh-rsa", 7));
	hdr[3] = (uint8_t)elen;
	assert_ev_ok(ev_buf_put(blob, hdr, 4));
	assert_ev_ok(ev_buf_put(blob, e, elen));
	hdr[2] = (uint8_t)((nlen + 1) >> 8);
	hdr[3] = (uint8_t)(nlen + 1);
	assert_ev_ok(ev_buf_put(blob, hdr, 4));
	assert_ev_ok(ev_buf_put_u8(blob, 0));
	assert_ev_ok(ev_buf_put(blob, nmag, nlen));
	assert_ev_ok(ev_buf_put_str(out, "ssh-rsa "));
	assert_ev_ok(ev_b64_encode(EV_B64_STD, ev_buf_ptr(blob), ev_buf_len(blob), out));
	assert_ev_ok(ev_buf_take(out, &taken, &takenlen));
	ev_buf_free(blob);
	ev_buf_free(out);
	return (char *)taken;
}

static void
test_bad_rsa_blobs(void **state)
{
	uint8_t n[256];
	struct ev_authkey *k = NULL;
	char *line;

	(void)state;
	memset(n, 0xc3, sizeof(n)); /* odd, top bit set: encoded with a 00 prefix */
	/* a sane shape parses (it is only a public key) */
	line = rsa_line("010001", n, sizeof(n));
	assert_ev_ok(parse(line, &k));
	assert_string_equal(ev_pubkey_name(k->key), "RSA 2048");
	ev_authkey_free(k);
	k = NULL;
	free(line);
	/* even exponent, e = 1 */
	line = rsa_line("010000", n, sizeof(n));
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	free(line);
	line = rsa_line("01", n, sizeof(n));
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	free(line);
	/* a needless leading zero on e (non-minimal mpint), a negative e */
	line = rsa_line("00010001", n, sizeof(n));
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	free(line);
	line = rsa_line("81", n, sizeof(n));
	assert_ev_err(parse(line, &k), EV_ERR_AUTHKEY_BLOB);
	free(line);
	/* a 512-bit modulus: a real key type, too small */
	line = rsa_line("010001", n, 64);
	assert_ev_err(parse(line, &k), EV_ERR_KEY_TYPE);
	free(line);
	assert_null(k);
}

static void
test_ssh_blob_api(void **state)
{
	char *b64 = ec_b64();
	uint8_t blob[256];
	size_t n = 0;
	struct ev_pubkey *k = NULL;

	(void)state;
	assert_ev_ok(ev_b64_decode(EV_B64_STD, b64, strlen(b64), blob, sizeof(blob), &n));
	assert_ev_ok(ev_pubkey_from_ssh_blob(blob, n, &k));
	assert_int_equal(ev_pubkey_kind(k), EV_KEY_EC_P256);
	ev_pubkey_free(k);
	assert_ev_err(ev_pubkey_from_ssh_blob(blob, n - 1, &k), EV_ERR_AUTHKEY_BLOB);
	assert_ev_err(ev_pubkey_from_ssh_blob(blob, 3, &k), EV_ERR_AUTHKEY_BLOB);
	blob[4] = 'X'; /* "Xcdsa-sha2-nistp256" */
	assert_ev_err(ev_pubkey_from_ssh_blob(blob, n, &k), EV_ERR_AUTHKEY_TYPE);
	assert_null(k);
	free(b64);
}

static void
test_too_long_line(void **state)
{
	char *line = malloc(EV_MAX_AUTHKEY_LINE + 2);
	struct ev_authkey *k = NULL;
	char *b64 = ec_b64();
	int n;

	(void)state;
	assert_non_null(line);
	n = snprintf(line, EV_MAX_AUTHKEY_LINE + 2, "ecdsa-sha2-nistp256 %s ", b64);
	memset(line + n, 'c', EV_MAX_AUTHKEY_LINE + 1 - (size_t)n);
	line[EV_MAX_AUTHKEY_LINE + 1] = '\0';
	assert_ev_err(ev_authkey_parse(line, EV_MAX_AUTHKEY_LINE + 1, &k), EV_ERR_TOO_BIG);
	/* exactly at the cap is fine: a long comment */
	assert_ev_ok(ev_authkey_parse(line, EV_MAX_AUTHKEY_LINE, &k));
	assert_int_equal(strlen(k->comment), EV_MAX_AUTHKEY_LINE - (size_t)n);
	ev_authkey_free(k);
	free(line);
	free(b64);
}

/* An ssh line for a fresh libssh key. */
static char *
fresh_line(enum ssh_keytypes_e type, int bits, const char *comment)
{
	ssh_key key = NULL;
	char *b64 = NULL, *line;
	size_t n;

	assert_int_equal(ssh_pki_generate(type, bits, &key), SSH_OK);
	assert_int_equal(ssh_pki_export_pubkey_base64(key, &b64), SSH_OK);
	n = strlen(b64) + 128;
	line = malloc(n);
	assert_non_null(line);
	snprintf(line, n, "%s %s %s", ssh_key_type_to_char(type), b64, comment);
	ssh_string_free_char(b64);
	ssh_key_free(key);
	return line;
}

static void
test_list_fifth_key_matches(void **state)
{
	struct ev_buf *text = ev_buf_new(64 * 1024);
	struct ev_authkeys *ks = NULL;
	const struct ev_authkey *match = NULL;
	char *l1 = fresh_line(SSH_KEYTYPE_ECDSA_P256, 256, "k1");
	char *l2 = fresh_line(SSH_KEYTYPE_ED25519, 0, "k2");
	char *l4 = fresh_line(SSH_KEYTYPE_ECDSA_P384, 384, "k4");
	uint8_t sig[512];
	size_t siglen = sig_vec("ecdsa_sig.sig_b64", sig, sizeof(sig)), nbad = 99;
	const char *m = tv_str("cmd2_json");

	(void)state;
	assert_non_null(text);
	/* EVE tries only the first three lines; the matching key is the fifth */
	assert_ev_ok(ev_buf_putf(text, "# trusted operators\n%s\n\n%s\r\n%s\n  \n%s\n%s\n", l1, l2,
	                         tv_str("rsa_ssh_authorized_key"), l4,
	                         tv_str("ec_ssh_authorized_key")));
	assert_ev_ok(ev_authkeys_parse(ev_buf_str(text), ev_buf_len(text), &ks, &nbad));
	assert_int_equal(nbad, 0);
	assert_int_equal(ev_authkeys_count(ks), 5);
	assert_ev_ok(ev_authkeys_verify(ks, (const uint8_t *)m, strlen(m), sig, siglen, &match));
	assert_ptr_equal(match, ev_authkeys_get(ks, 4));
	assert_string_equal(match->comment, "alice@laptop");
	/* the RSA signature matches the third */
	siglen = sig_vec("rsa_sig.sig_b64", sig, sizeof(sig));
	assert_ev_ok(ev_authkeys_verify(ks, (const uint8_t *)m, strlen(m), sig, siglen, &match));
	assert_string_equal(match->comment, "bob@workstation");
	/* no key verifies */
	assert_ev_err(ev_authkeys_verify(ks, (const uint8_t *)"x", 1, sig, siglen, &match),
	              EV_ERR_SIG_INVALID);
	assert_null(match);
	assert_ev_err(ev_authkeys_verify(ks, (const uint8_t *)m, strlen(m), sig, 17, &match),
	              EV_ERR_SIG_INVALID);
	assert_null(ev_authkeys_get(ks, 5));
	ev_authkeys_free(ks);
	ev_buf_free(text);
	free(l1);
	free(l2);
	free(l4);
}

static void
test_list_bad_lines_counted(void **state)
{
	struct ev_buf *text = ev_buf_new(64 * 1024);
	struct ev_authkeys *ks = NULL;
	size_t nbad = 0;
	char *b64 = ec_b64();

	(void)state;
	assert_non_null(text);
	assert_ev_ok(ev_buf_putf(text,
	                         "garbage line here\n"
	                         "ssh-rsa %s mismatch\n"
	                         "ssh-ed25519-cert-v01@openssh.com %s cert\n"
	                         "%s\n"
	                         "ecdsa-sha2-nistp256 %s!! broken\n"
	                         "# comment\n"
	                         "%s", /* last line without a newline */
	                         b64, b64, tv_str("ec_ssh_authorized_key"), b64,
	                         tv_str("rsa_ssh_authorized_key")));
	assert_ev_ok(ev_authkeys_parse(ev_buf_str(text), ev_buf_len(text), &ks, &nbad));
	assert_int_equal(nbad, 4);
	assert_int_equal(ev_authkeys_count(ks), 2);
	assert_string_equal(ev_authkeys_get(ks, 0)->comment, "alice@laptop");
	assert_string_equal(ev_authkeys_get(ks, 1)->comment, "bob@workstation");
	ev_authkeys_free(ks);
	ev_buf_free(text);
	free(b64);
}

static void
test_list_cap(void **state)
{
	struct ev_buf *text = ev_buf_new(EV_MAX_AUTHKEYS_TEXT);
	struct ev_authkeys *ks = NULL;
	size_t nbad = 0, i;
	char *b64 = ec_b64();

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 70; i++)
		assert_ev_ok(ev_buf_putf(text, "ecdsa-sha2-nistp256 %s key%zu\n", b64, i));
	assert_ev_ok(ev_authkeys_parse(ev_buf_str(text), ev_buf_len(text), &ks, &nbad));
	assert_int_equal(ev_authkeys_count(ks), EV_MAX_AUTHKEYS);
	assert_int_equal(nbad, 70 - EV_MAX_AUTHKEYS);
	assert_string_equal(ev_authkeys_get(ks, EV_MAX_AUTHKEYS - 1)->comment, "key63");
	ev_authkeys_free(ks);
	ev_buf_free(text);
	free(b64);
}

static void
test_list_empty_and_limits(void **state)
{
	struct ev_authkeys *ks = NULL;
	size_t nbad = 7;
	uint8_t sig[64] = {0};
	const struct ev_authkey *match = (const struct ev_authkey *)1;
	char *big;

	(void)state;
	assert_ev_ok(ev_authkeys_parse("", 0, &ks, &nbad));
	assert_int_equal(nbad, 0);
	assert_int_equal(ev_authkeys_count(ks), 0);
	assert_ev_err(ev_authkeys_verify(ks, (const uint8_t *)"m", 1, sig, sizeof(sig), &match),
	              EV_ERR_NO_TRUSTED_KEYS);
	assert_null(match);
	ev_authkeys_free(ks);
	assert_ev_ok(ev_authkeys_parse("# nothing\n\n   \n", 16, &ks, NULL));
	assert_int_equal(ev_authkeys_count(ks), 0);
	ev_authkeys_free(ks);
	assert_ev_err(ev_authkeys_verify(NULL, (const uint8_t *)"m", 1, sig, sizeof(sig), NULL),
	              EV_ERR_NO_TRUSTED_KEYS);
	assert_int_equal(ev_authkeys_count(NULL), 0);
	big = calloc(1, EV_MAX_AUTHKEYS_TEXT + 1);
	assert_non_null(big);
	memset(big, '\n', EV_MAX_AUTHKEYS_TEXT + 1);
	assert_ev_err(ev_authkeys_parse(big, EV_MAX_AUTHKEYS_TEXT + 1, &ks, &nbad), EV_ERR_TOO_BIG);
	assert_null(ks);
	/* a line over the cap inside a list is one bad line (a long comment) */
	nbad = strlen(tv_str("ec_ssh_authorized_key"));
	memcpy(big, tv_str("ec_ssh_authorized_key"), nbad);
	memset(big + nbad, 'c', EV_MAX_AUTHKEY_LINE);
	assert_ev_ok(ev_authkeys_parse(big, EV_MAX_AUTHKEYS_TEXT, &ks, &nbad));
	assert_int_equal(nbad, 1);
	assert_int_equal(ev_authkeys_count(ks), 0);
	ev_authkeys_free(ks);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vector_lines),
	        cmocka_unit_test(test_options_and_comment),
	        cmocka_unit_test(test_syntax_errors),
	        cmocka_unit_test(test_type_errors),
	        cmocka_unit_test(test_blob_errors),
	        cmocka_unit_test(test_type_mismatch),
	        cmocka_unit_test(test_bad_ecdsa_blobs),
	        cmocka_unit_test(test_bad_rsa_blobs),
	        cmocka_unit_test(test_ssh_blob_api),
	        cmocka_unit_test(test_too_long_line),
	        cmocka_unit_test(test_list_fifth_key_matches),
	        cmocka_unit_test(test_list_bad_lines_counted),
	        cmocka_unit_test(test_list_cap),
	        cmocka_unit_test(test_list_empty_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
