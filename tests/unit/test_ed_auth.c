/* test_ed_auth.c - the device's check of signed commands (edgeview/auth.c)
 * against the signed-envelope vectors of protocol 15.6, EVE's replies, the
 * rules we add (every key tried, options skipped) and the audit line. */
#include "ev_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_configitems.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_mem.h"
#include "policy.h"

struct fx {
	char *root;
	char ci[512], cert[512];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char dir[512];

	f->root = tv_tmpdir();
	snprintf(dir, sizeof(dir), "%s/run/zedagent/ConfigItemValueMap", f->root);
	assert_ev_ok(ev_dir_ensure(dir, 0755));
	snprintf(dir, sizeof(dir), "%s/run/edgeview", f->root);
	assert_ev_ok(ev_dir_ensure(dir, 0755));
	snprintf(f->ci, sizeof(f->ci), "%s/run/zedagent/ConfigItemValueMap/global.json", f->root);
	snprintf(f->cert, sizeof(f->cert), "%s/run/edgeview/signing-cert.pem", f->root);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tv_rmrf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static void
envelope(const char *name, struct ev_envelope *e)
{
	const char *json = tv_str(name);

	assert_ev_ok(ev_envelope_parse(json, strlen(json), e));
}

static void
set_keys(struct fx *f, const char *text)
{
	assert_ev_ok(ev_configitems_set_str(f->ci, EV_CI_EDGEVIEW_PUBKEYS, text));
}

static void
t_aut2_vectors(void **state)
{
	struct fx *f = *state;
	struct auth *a = NULL;
	struct ev_envelope e;
	struct ev_cmd c;
	char comment[AUTH_COMMENT_MAX], keys[8192], line[512];
	const char *reply;

	/* The vector's key after four keys that do not match: EVE would give up
	 * after three; we try all. */
	snprintf(keys, sizeof(keys), "%s x1\n%s x2\n%s x3\n%s x4\n%s\n",
	         tv_str("rsa_ssh_authorized_key"), tv_str("rsa_ssh_authorized_key"),
	         tv_str("rsa_ssh_authorized_key"), tv_str("rsa_ssh_authorized_key"),
	         tv_str("ec_ssh_authorized_key"));
	set_keys(f, keys);
	assert_ev_ok(auth_new(f->root, EV_AUT_SSH, &a));
	envelope("ecdsa_sig.envelope", &e);
	assert_ev_ok(auth_verify(a, &e, comment, &reply));
	assert_string_equal(comment, "alice@laptop");
	/* the audit line of protocol 15.6 */
	assert_ev_ok(ev_cmd_decode((const char *)e.message.p, e.message.len, &c));
	policy_audit_line(&c, 0, comment, line, sizeof(line));
	assert_string_equal(line, "recv[ep:198.51.100.20:61000, (alice@laptop)] cmd: "
	                          "cp//config/device.cert.pem");
	policy_audit_line(&c, 0, NULL, line, sizeof(line));
	assert_string_equal(line, "recv[ep:198.51.100.20:61000, (alice@example.com)] cmd: "
	                          "cp//config/device.cert.pem");
	ev_cmd_free(&c);
	ev_envelope_free(&e);
	/* The RSA vector verifies against the RSA line. */
	envelope("rsa_sig.envelope", &e);
	assert_ev_ok(auth_verify(a, &e, comment, &reply));
	assert_string_equal(comment, "bob@workstation x1");
	/* A flipped bit: EVE's "not valid". */
	e.signature.p[5] ^= 0x10;
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_SIG_INVALID);
	assert_string_equal(reply, AUTH_MSG_NOT_VALID);
	ev_envelope_free(&e);
	auth_free(a);
}

static void
t_aut2_refusals(void **state)
{
	struct fx *f = *state;
	struct auth *a = NULL;
	struct ev_envelope e;
	char comment[AUTH_COMMENT_MAX], keys[4096];
	const char *reply;

	envelope("ecdsa_sig.envelope", &e);
	/* no keys at all */
	assert_ev_ok(auth_new(f->root, EV_AUT_SSH, &a));
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_NO_TRUSTED_KEYS);
	assert_string_equal(reply, AUTH_MSG_NO_KEYS);
	auth_free(a);
	/* the right key, but with options we cannot enforce: skipped */
	snprintf(keys, sizeof(keys), "from=\"10.0.0.1\" %s\n", tv_str("ec_ssh_authorized_key"));
	set_keys(f, keys);
	assert_ev_ok(auth_new(f->root, EV_AUT_SSH, &a));
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_SIG_INVALID);
	assert_string_equal(reply, AUTH_MSG_NOT_VALID);
	auth_free(a);
	/* bad lines are skipped, a good one after them works */
	snprintf(keys, sizeof(keys),
	         "ssh-dss AAAAB3NzaC1kc3MAAACBAP bad\necdsa-sha2-nistp256 !!!notbase64 bad\n%s\n",
	         tv_str("ec_ssh_authorized_key"));
	set_keys(f, keys);
	assert_ev_ok(auth_new(f->root, EV_AUT_SSH, &a));
	assert_ev_ok(auth_verify(a, &e, comment, &reply));
	/* an unsigned frame: EVE's aut-2 text */
	ev_freezero(e.signature.p, e.signature.len);
	e.signature.p = NULL;
	e.signature.len = 0;
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_SIG_MISSING);
	assert_string_equal(reply, AUTH_MSG_NEED_SSH);
	ev_envelope_free(&e);
	/* keys withdrawn: reported once, then the new list applies */
	envelope("ecdsa_sig.envelope", &e);
	set_keys(f, tv_str("rsa_ssh_authorized_key"));
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_AUTH_KEYS_CHANGED);
	assert_string_equal(reply, AUTH_MSG_CHANGED);
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_SIG_INVALID);
	assert_false(auth_reload(a));
	ev_envelope_free(&e);
	auth_free(a);
}

static void
t_aut1(void **state)
{
	struct fx *f = *state;
	struct auth *a = NULL;
	struct ev_envelope e;
	char comment[AUTH_COMMENT_MAX];
	const char *reply, *pem = tv_str("ec_cert_pem");

	envelope("ecdsa_sig.envelope", &e);
	/* the certificate is not there yet: refused, not fatal */
	assert_ev_ok(auth_new(f->root, EV_AUT_CONTROLLER, &a));
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_AUTH_NO_CERT);
	assert_string_equal(reply, AUTH_MSG_NOT_VALID);
	/* it appears: a change, then verification against it */
	assert_ev_ok(ev_file_write_atomic(f->cert, pem, strlen(pem), 0600, "t"));
	assert_true(auth_reload(a));
	assert_ev_ok(auth_verify(a, &e, comment, &reply));
	assert_string_equal(comment, "");
	ev_envelope_free(&e);
	/* an RSA signature against the EC certificate */
	envelope("rsa_sig.envelope", &e);
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_SIG_INVALID);
	ev_freezero(e.signature.p, e.signature.len);
	e.signature.p = NULL;
	e.signature.len = 0;
	assert_ev_err(auth_verify(a, &e, comment, &reply), EV_ERR_SIG_MISSING);
	assert_string_equal(reply, AUTH_MSG_NEED_CERT);
	ev_envelope_free(&e);
	auth_free(a);
	/* an RSA certificate (PUBLIC KEY block) verifies the RSA vector */
	pem = tv_str("rsa_public_pem");
	assert_ev_ok(ev_file_write_atomic(f->cert, pem, strlen(pem), 0600, "t"));
	assert_ev_ok(auth_new(f->root, EV_AUT_CONTROLLER, &a));
	envelope("rsa_sig.envelope", &e);
	assert_ev_ok(auth_verify(a, &e, comment, &reply));
	ev_envelope_free(&e);
	auth_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(t_aut2_vectors, setup, teardown),
	        cmocka_unit_test_setup_teardown(t_aut2_refusals, setup, teardown),
	        cmocka_unit_test_setup_teardown(t_aut1, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
