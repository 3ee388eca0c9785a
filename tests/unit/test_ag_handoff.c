/* test_ag_handoff.c - the controller's Edge-View config to edgeviewd's files
 * (agent/handoff.c): token checks, fail-closed removal, the last good
 * session, remote access disabled, the trusted SSH keys. */
#include "ev_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ev_configitems.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_sig.h"
#include "handoff.h"

#define UUID "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01"
#define NOW  ((time_t)1795000000)

struct fx {
	char *root;
	struct ev_privkey *ctl, *other;
	struct ev_pubkey *ctl_pub;
	char *ctl_pem;
	struct handoff h;
	char cfg[600], cert[600];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char dir[600];

	f->root = tv_tmpdir();
	snprintf(dir, sizeof(dir), "%s/config", f->root);
	assert_ev_ok(ev_dir_ensure(dir, 0755));
	assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P256, &f->ctl));
	assert_ev_ok(ev_privkey_generate(EV_KEY_EC_P256, &f->other));
	assert_ev_ok(ev_privkey_public(f->ctl, &f->ctl_pub));
	assert_ev_ok(ev_pubkey_to_pem(f->ctl_pub, &f->ctl_pem));
	handoff_init(&f->h, f->root);
	snprintf(f->cfg, sizeof(f->cfg), "%s/run/edgeview/edge-view-config", f->root);
	snprintf(f->cert, sizeof(f->cert), "%s/run/edgeview/signing-cert.pem", f->root);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	handoff_free(&f->h);
	tv_rmrf(f->root);
	free(f->root);
	free(f->ctl_pem);
	ev_pubkey_free(f->ctl_pub);
	ev_privkey_free(f->ctl);
	ev_privkey_free(f->other);
	free(f);
	return 0;
}

static char *
mint(const struct ev_privkey *k, const char *sub, uint64_t exp, uint8_t num)
{
	struct ev_jwt_claims c = {0};
	char *tok = NULL;

	c.dep = (char *)"127.0.0.1:8443/edge-view";
	c.sub = (char *)sub;
	c.exp = exp;
	c.key = (char *)"Zk3p9QvXr2LmN8sT";
	c.num = num;
	assert_ev_ok(ev_jwt_mint(&c, k, &tok));
	return tok;
}

static int
apply(struct fx *f, const char *token, bool *changed)
{
	Org__Lfedge__Eve__Config__EdgeViewConfig ev =
	        ORG__LFEDGE__EVE__CONFIG__EDGE_VIEW_CONFIG__INIT;
	Org__Lfedge__Eve__Config__DevDebugAccessPolicy dev =
	        ORG__LFEDGE__EVE__CONFIG__DEV_DEBUG_ACCESS_POLICY__INIT;
	struct handoff_in in = {0};

	ev.token = (char *)token;
	dev.allow_dev = true;
	ev.dev_policy = &dev;
	ev.generation_id = 3;
	in.cfg = token != NULL ? &ev : NULL;
	in.signing_pem = f->ctl_pem;
	in.signing_pem_len = strlen(f->ctl_pem);
	in.signing_key = f->ctl_pub;
	in.uuid = UUID;
	in.now = NOW;
	return handoff_apply(&f->h, &in, changed);
}

static void
t_written(void **state)
{
	struct fx *f = *state;
	struct ev_evcfg c = {0};
	struct stat st;
	char *tok = mint(f->ctl, UUID, NOW + 600, 2);
	bool changed;

	assert_ev_ok(apply(f, tok, &changed));
	assert_true(changed);
	assert_int_equal(f->h.state, HANDOFF_ON);
	assert_ev_ok(ev_evcfg_load(f->cfg, &c));
	assert_string_equal(c.token, tok);
	assert_int_equal(c.exp, NOW + 600);
	assert_int_equal(c.multi_inst, 2);
	assert_true(c.dev_policy);
	assert_false(c.app_policy);
	assert_int_equal(c.gen_id, 3);
	ev_evcfg_free(&c);
	assert_int_equal(stat(f->cert, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the same config again changes nothing */
	assert_ev_ok(apply(f, tok, &changed));
	assert_false(changed);
	/* no Edge-View section: the files go */
	assert_ev_ok(apply(f, NULL, &changed));
	assert_true(changed);
	assert_int_equal(f->h.state, HANDOFF_OFF);
	assert_int_not_equal(access(f->cfg, F_OK), 0);
	assert_int_not_equal(access(f->cert, F_OK), 0);
	free(tok);
}

static void
t_refused(void **state)
{
	struct fx *f = *state;
	char *bad[5];
	bool changed;

	bad[0] = mint(f->other, UUID, NOW + 600, 1);                                 /* signer */
	bad[1] = mint(f->ctl, "11111111-2222-3333-4444-555555555555", NOW + 600, 1); /* sub */
	bad[2] = mint(f->ctl, UUID, NOW - 1, 1);                                     /* expired */
	bad[3] = mint(f->ctl, UUID, NOW + 600, 6);                                   /* num */
	bad[4] = strdup("not.a.token");
	for (size_t i = 0; i < 5; i++) {
		assert_ev_ok(apply(f, bad[i], &changed));
		assert_int_equal(f->h.state, HANDOFF_REFUSED);
		assert_int_not_equal(access(f->cfg, F_OK), 0);
		assert_true(f->h.why[0] != '\0');
		free(bad[i]);
	}
}

static void
t_last_good(void **state)
{
	struct fx *f = *state;
	char *good = mint(f->ctl, UUID, NOW + 600, 1), *expired = mint(f->ctl, UUID, NOW - 5, 1);
	char *text = NULL;
	size_t len = 0;
	bool changed;

	assert_ev_ok(apply(f, good, &changed));
	/* a refused successor: the session of the good token continues */
	assert_ev_ok(apply(f, expired, &changed));
	assert_int_equal(f->h.state, HANDOFF_ON);
	assert_non_null(strstr(f->h.why, "expired"));
	assert_ev_ok(ev_file_read_capped(f->cfg, 1 << 20, &text, &len));
	assert_non_null(strstr(text, good));
	free(text);
	/* remote access disabled overrides everything */
	{
		char p[700];
		snprintf(p, sizeof(p), "%s" HANDOFF_DISABLED_FILE, f->root);
		assert_ev_ok(ev_file_write_atomic(p, "", 0, 0644, "t"));
	}
	assert_true(handoff_remote_access_disabled(&f->h));
	assert_ev_ok(apply(f, good, &changed));
	assert_true(changed);
	assert_int_equal(f->h.state, HANDOFF_DISABLED);
	assert_int_not_equal(access(f->cfg, F_OK), 0);
	free(good);
	free(expired);
}

static void
t_ssh_keys(void **state)
{
	struct fx *f = *state;
	char path[700], *v = NULL;
	struct stat st1, st2;
	bool changed;

	snprintf(path, sizeof(path), "%s" EV_CI_PATH, f->root);
	assert_ev_ok(handoff_set_ssh_keys(&f->h, "ssh-ed25519 AAAA a@b", &changed));
	assert_true(changed);
	assert_ev_ok(ev_configitems_read_str(path, EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, "ssh-ed25519 AAAA a@b");
	free(v);
	assert_int_equal(stat(path, &st1), 0);
	assert_ev_ok(handoff_set_ssh_keys(&f->h, "ssh-ed25519 AAAA a@b", &changed));
	assert_false(changed);
	/* a restarted agent does not rewrite what is there (edgeviewd would end
	 * its session) */
	handoff_free(&f->h);
	handoff_init(&f->h, f->root);
	assert_ev_ok(handoff_set_ssh_keys(&f->h, "ssh-ed25519 AAAA a@b", &changed));
	assert_false(changed);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_ev_ok(handoff_set_ssh_keys(&f->h, NULL, &changed));
	assert_true(changed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(t_written, setup, teardown),
	        cmocka_unit_test_setup_teardown(t_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(t_last_good, setup, teardown),
	        cmocka_unit_test_setup_teardown(t_ssh_keys, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
