/*
 * demo_protocol.c - the protocol core at work, one step at a time.
 *
 *	demo_protocol [WORKDIR]
 *
 * Mints a session token with a throwaway controller key, verifies it,
 * derives the dispatcher hashes, builds a command, seals and opens its
 * envelope, shows a tampered one refused, signs a command the way the
 * controller's UI would (aut 1), and writes and re-reads the device's
 * edge-view-config under WORKDIR (default build/demo).  Everything printed
 * comes from lib/; nothing here talks to a network.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_sig.h"
#include "ev_token.h"

static int step_no;

static void
step(const char *title)
{
	/* Colour only for a terminal, and never when NO_COLOR is set. */
	bool colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	printf(colour ? "\n\033[1;36m[%d] %s\033[0m\n" : "\n[%d] %s\n", ++step_no, title);
}

static int
fail(const char *what, int r)
{
	fprintf(stderr, "demo: %s: %s\n", what, ev_strerror(r));
	return 1;
}

int
main(int argc, char **argv)
{
	const char *workdir = argc > 1 ? argv[1] : "build/demo";
	const char *uuid = "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01";
	struct ev_privkey *ctrl = NULL;
	struct ev_pubkey *ctrl_pub = NULL;
	struct ev_jwt_claims claims = {0};
	struct ev_jwt *jwt = NULL;
	struct ev_cmd cmd = {0};
	struct ev_envelope env = {0};
	struct ev_evcfg cfg = {0}, back = {0};
	struct ev_buf *b = NULL, *wire = NULL;
	struct ev_dep dep;
	char *token = NULL, *pem = NULL, hash[EV_TOKEN_HASH_BUF], path[4096];
	int r, ret = 1;

	if ((b = ev_buf_new(EV_MAX_ENVELOPE)) == NULL ||
	    (wire = ev_buf_new(EV_MAX_ENVELOPE)) == NULL)
		return fail("buffers", EV_ERR_NOMEM);

	step("controller: a throwaway ES256 signing key (P-256)");
	if ((r = ev_privkey_generate(EV_KEY_EC_P256, &ctrl)) != 0 ||
	    (r = ev_privkey_public(ctrl, &ctrl_pub)) != 0 ||
	    (r = ev_pubkey_to_pem(ctrl_pub, &pem)) != 0) {
		ret = fail("generate key", r);
		goto out;
	}
	printf("%s", pem);

	step("controller: mint a session token (claims in Go struct order)");
	claims.dep = (char *)"127.0.0.1:8443/edge-view";
	claims.sub = (char *)uuid;
	claims.exp = (uint64_t)time(NULL) + 3600;
	claims.key = (char *)"demo-hmac-key-42";
	claims.num = 1;
	if ((r = ev_jwt_claims_encode(&claims, b)) != 0 ||
	    (r = ev_jwt_mint(&claims, ctrl, &token)) != 0) {
		ret = fail("mint", r);
		goto out;
	}
	printf("claims: %s\ntoken:  %s\n", ev_buf_str(b), token);

	step("device agent: parse, verify ES256, validate claims and dispatcher URL");
	if ((r = ev_jwt_parse(token, strlen(token), &jwt)) != 0 ||
	    (r = ev_jwt_verify(jwt, ctrl_pub)) != 0 ||
	    (r = ev_jwt_validate(jwt, time(NULL), uuid)) != 0 ||
	    (r = ev_jwt_dep_parse(jwt->claims.dep, &dep)) != 0) {
		ret = fail("verify token", r);
		goto out;
	}
	printf("signature ok, subject = this device, expires %llu, URL wss://%s%s\n",
	       (unsigned long long)jwt->claims.exp, dep.hostport, dep.path);

	step("both ends: the dispatcher pairing key (section 4.2)");
	if ((r = ev_token_hash(token, strlen(token), 0, EV_TOKEN_HASH_FULL, hash)) != 0) {
		ret = fail("hash", r);
		goto out;
	}
	printf("X-Session-Token (17.3+, 32 bytes): %s\n", hash);
	if ((r = ev_token_hash(token, strlen(token), 0, EV_TOKEN_HASH_SHORT, hash)) != 0) {
		ret = fail("hash", r);
		goto out;
	}
	printf("X-Session-Token (legacy, 16 bytes): %s\n", hash);

	step("client: the command `edgeview -token ... if/lo` as cmdOpt JSON");
	cmd.version = (char *)EV_PROTO_VERSION;
	cmd.client_ep_addr = (char *)"127.0.0.1:50522";
	cmd.network = (char *)"if/lo";
	cmd.userinfo = (char *)"alice <ops&co>";
	ev_buf_reset(b);
	if ((r = ev_cmd_encode(&cmd, b)) != 0) {
		ret = fail("encode command", r);
		goto out;
	}
	printf("%s\n", ev_buf_str(b));

	step("client: seal it in an HMAC envelope (mode 0) keyed by the token's key");
	if ((r = ev_envelope_seal_hmac((const uint8_t *)claims.key, strlen(claims.key),
	                               ev_buf_ptr(b), ev_buf_len(b), wire)) != 0) {
		ret = fail("seal", r);
		goto out;
	}
	printf("%s\n", ev_buf_str(wire));

	step("device: parse the envelope, check the HMAC, decode the command");
	if ((r = ev_envelope_parse(ev_buf_str(wire), ev_buf_len(wire), &env)) != 0 ||
	    (r = ev_envelope_check_hmac(&env, (const uint8_t *)claims.key, strlen(claims.key),
	                                false)) != 0) {
		ret = fail("open", r);
		goto out;
	}
	{
		struct ev_cmd got = {0};
		if ((r = ev_cmd_decode((const char *)env.message.p, env.message.len, &got)) != 0) {
			ret = fail("decode command", r);
			goto out;
		}
		printf("verified; %s = \"%s\", user \"%s\"\n", ev_cmd_kind(&got), got.network,
		       got.userinfo);
		ev_cmd_free(&got);
	}

	step("device: a byte changed on the way is refused");
	env.message.p[2] ^= 0x20;
	r = ev_envelope_check_hmac(&env, (const uint8_t *)claims.key, strlen(claims.key), false);
	printf("tampered envelope: %s (%s)\n", ev_strerror(r), ev_errname(r));
	if (r != EV_ERR_ENV_HMAC)
		goto out;
	ev_envelope_free(&env);

	step("controller UI (aut 1): sign the command with the controller key");
	ev_buf_reset(wire);
	if ((r = ev_envelope_seal_signed(ctrl, ev_buf_ptr(b), ev_buf_len(b), wire)) != 0 ||
	    (r = ev_envelope_parse(ev_buf_str(wire), ev_buf_len(wire), &env)) != 0 ||
	    (r = ev_envelope_check_sig(&env, ctrl_pub)) != 0) {
		ret = fail("signed envelope", r);
		goto out;
	}
	printf("%s\nsignature (r||s, %zu bytes) verifies with signing-cert.pem's key\n",
	       ev_buf_str(wire), env.signature.len);

	step("device agent: write /run/edgeview/edge-view-config atomically, read it back");
	if ((size_t)snprintf(path, sizeof(path), "%s/run/edgeview", workdir) >= sizeof(path)) {
		ret = fail("path", EV_ERR_TOO_BIG);
		goto out;
	}
	cfg.token = token;
	cfg.exp = claims.exp;
	cfg.dev_policy = true;
	cfg.has_gen_id = true;
	cfg.gen_id = 7;
	if ((r = ev_evcfg_write(path, &cfg)) != 0) {
		ret = fail("write config", r);
		goto out;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/run/edgeview/edge-view-config", workdir) >=
	    sizeof(path)) {
		ret = fail("path", EV_ERR_TOO_BIG);
		goto out;
	}
	if ((r = ev_evcfg_load(path, &back)) != 0) {
		ret = fail("load config", r);
		goto out;
	}
	ev_buf_reset(b);
	if ((r = ev_evcfg_format(&back, b)) != 0) {
		ret = fail("format config", r);
		goto out;
	}
	printf("%s:\n%s", path, ev_buf_str(b));
	printf("\ndemo: every step passed\n");
	ret = 0;
out:
	ev_evcfg_free(&back);
	ev_envelope_free(&env);
	ev_jwt_free(jwt);
	ev_buf_free(b);
	ev_buf_free(wire);
	free(token);
	free(pem);
	ev_pubkey_free(ctrl_pub);
	ev_privkey_free(ctrl);
	return ret;
}
