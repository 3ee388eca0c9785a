/*
 * token_cmd.c - `edgeview token mint` and `edgeview token install`: set up
 * a session without a controller.
 *
 *	edgeview token mint --key K [--cert C] --dispatcher HOST:PORT[/PATH]
 *	                    --device UUID [--ttl 1h] [--inst N] [--aut 0|1|2]
 *	edgeview token install --root DIR --token JWT [--cert C]
 *	                    [--dev-policy on] [--app-policy off] [--ext-policy off]
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "client.h"
#include "ev_authkeys.h"
#include "ev_buf.h"
#include "ev_configitems.h"
#include "ev_crypto.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_mem.h"
#include "ev_sig.h"

#define TOKEN_KEY_BYTES 16 /* random bytes behind the HMAC "key" claim */

static void
mint_usage(FILE *out)
{
	fprintf(out,
	        "usage: edgeview token mint --key FILE [--cert FILE] --dispatcher "
	        "HOST:PORT[/PATH]\n"
	        "                           --device UUID [--ttl DURATION] [--inst N] [--aut "
	        "0|1|2]\n"
	        "                           [--enc]\n"
	        "Prints a session token signed with the controller key FILE (P-256, PEM).  With\n"
	        "--cert, the controller certificate must hold that key's public half.\n"
	        "The path defaults to /edge-view; DURATION is like 90s, 30m, 1h, 2d (default "
	        "1h).\n");
}

/* "90", "90s", "30m", "1h", "2d" into seconds. */
static int
parse_duration(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno != 0 || end == s)
		return EV_ERR_INVALID_ARG;
	if (*end == 'm')
		v *= 60;
	else if (*end == 'h')
		v *= 3600;
	else if (*end == 'd')
		v *= 86400;
	else if (*end != 's' && *end != '\0')
		return EV_ERR_INVALID_ARG;
	if (*end != '\0' && end[1] != '\0')
		return EV_ERR_INVALID_ARG;
	if (v == 0 || v > 366ull * 86400)
		return EV_ERR_INVALID_ARG;
	*out = v;
	return 0;
}

static int
token_mint(int argc, char **argv)
{
	const char *keyfile = NULL, *certfile = NULL, *disp = NULL, *device = NULL, *ttl = "1h";
	struct ev_pubkey *cert = NULL, *pub = NULL;
	struct ev_jwt_claims c = {0};
	struct ev_privkey *key = NULL;
	struct ev_buf *kb = NULL;
	uint8_t raw[TOKEN_KEY_BYTES];
	char dep[EV_MAX_JWT_DEP], *tok = NULL;
	struct ev_dep parsed;
	uint64_t secs = 0;
	int r, ret = 2;

	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if (strcmp(argv[i], "--key") == 0 && more)
			keyfile = argv[++i];
		else if (strcmp(argv[i], "--cert") == 0 && more)
			certfile = argv[++i];
		else if (strcmp(argv[i], "--dispatcher") == 0 && more)
			disp = argv[++i];
		else if (strcmp(argv[i], "--device") == 0 && more)
			device = argv[++i];
		else if (strcmp(argv[i], "--ttl") == 0 && more)
			ttl = argv[++i];
		else if (strcmp(argv[i], "--inst") == 0 && more)
			c.num = (uint8_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--aut") == 0 && more)
			c.aut = (int32_t)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--enc") == 0)
			c.enc = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			mint_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "edgeview token mint: unexpected '%s'\n", argv[i]);
			mint_usage(stderr);
			return 2;
		}
	}
	if (keyfile == NULL || disp == NULL || device == NULL) {
		mint_usage(stderr);
		return 2;
	}
	if (parse_duration(ttl, &secs) != 0) {
		fprintf(stderr,
		        "edgeview token mint: --ttl '%s' is not a duration (90s, 30m, 1h, 2d)\n",
		        ttl);
		return 2;
	}
	if (c.num > 5 || c.aut < 0 || c.aut > 2) {
		fprintf(stderr, "edgeview token mint: --inst takes 1 to 5, --aut 0, 1 or 2\n");
		return 2;
	}
	/* Real tokens carry the dispatcher's path (section 1.4). */
	snprintf(dep, sizeof(dep), "%s%s", disp, strchr(disp, '/') != NULL ? "" : "/edge-view");
	if (ev_jwt_dep_parse(dep, &parsed) != 0) {
		fprintf(stderr, "edgeview token mint: --dispatcher '%s' is not HOST:PORT[/PATH]\n",
		        disp);
		return 2;
	}
	if ((r = ev_privkey_from_file(keyfile, NULL, &key)) != 0) {
		fprintf(stderr, "edgeview token mint: %s: %s\n", keyfile, ev_strerror(r));
		goto out;
	}
	/* With the certificate the device will verify against, refuse a key
	 * that does not go with it: the token would be rejected on the device. */
	if (certfile != NULL) {
		if ((r = ev_pubkey_from_pem_file(certfile, &cert)) != 0 ||
		    (r = ev_privkey_public(key, &pub)) != 0) {
			fprintf(stderr, "edgeview token mint: %s: %s\n", certfile, ev_strerror(r));
			goto out;
		}
		if (EVP_PKEY_eq(ev_pubkey_evp(cert), ev_pubkey_evp(pub)) != 1) {
			fprintf(stderr, "edgeview token mint: %s does not belong to the key %s\n",
			        certfile, keyfile);
			r = EV_ERR_INVALID_ARG;
			goto out;
		}
	}
	if ((r = ev_random(raw, sizeof(raw))) != 0 || (kb = ev_buf_new(64)) == NULL ||
	    (r = ev_b64_encode(EV_B64_URL_RAW, raw, sizeof(raw), kb)) != 0)
		goto fail;
	c.dep = dep;
	c.sub = (char *)device;
	c.exp = (uint64_t)time(NULL) + secs;
	c.key = (char *)ev_buf_str(kb);
	if ((r = ev_jwt_mint(&c, key, &tok)) != 0)
		goto fail;
	printf("%s\n", tok);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "edgeview token mint: %s\n", ev_strerror(r));
	ret = 1;
out:
	ev_memzero(raw, sizeof(raw));
	ev_strfreezero(tok);
	ev_buf_free(kb);
	ev_pubkey_free(cert);
	ev_pubkey_free(pub);
	ev_privkey_free(key);
	return ret;
}

static void
install_usage(FILE *out)
{
	fprintf(out,
	        "usage: edgeview token install --root DIR --token JWT [--cert FILE]\n"
	        "                              [--dev-policy on|off] [--app-policy on|off]\n"
	        "                              [--ext-policy on|off] [--gen-id N]\n"
	        "                              [--ssh-keys AUTHORIZED_KEYS]\n"
	        "Writes DIR/run/edgeview/edge-view-config (and signing-cert.pem from --cert)\n"
	        "as the device agent does, so edgeviewd can serve the token.  --ssh-keys sets\n"
	        "the trusted SSH keys of aut 2 tokens (the config item\n"
	        "edgeview.authen.publickey in DIR" EV_CI_PATH ").\n");
}

static int
onoff(const char *s, bool *out)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "off") == 0 || strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		*out = false;
	else
		return EV_ERR_INVALID_ARG;
	return 0;
}

/* The trusted keys of aut 2, where EVE's zedagent keeps them. */
static int
install_ssh_keys(const char *root, const char *file)
{
	char path[4200], *text = NULL;
	size_t len = 0, nbad = 0;
	struct ev_authkeys *ks = NULL;
	int r;

	if ((r = ev_file_read_capped(file, EV_MAX_AUTHKEYS_TEXT, &text, &len)) != 0) {
		fprintf(stderr, "edgeview token install: %s: %s\n", file, ev_strerror(r));
		return r;
	}
	/* Say now what the device would skip. */
	if ((r = ev_authkeys_parse(text, len, &ks, &nbad)) != 0 || ev_authkeys_count(ks) == 0) {
		fprintf(stderr, "edgeview token install: %s: no usable SSH public key\n", file);
		r = r != 0 ? r : EV_ERR_NO_TRUSTED_KEYS;
		goto out;
	}
	if (nbad > 0)
		fprintf(stderr, "edgeview token install: %s: %zu line(s) are not usable keys\n",
		        file, nbad);
	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, EV_CI_PATH) >= sizeof(path)) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	r = ev_configitems_set_str(path, EV_CI_EDGEVIEW_PUBKEYS, text);
	if (r != 0)
		fprintf(stderr, "edgeview token install: %s: %s\n", path, ev_strerror(r));
	else
		printf("installed %zu trusted SSH key(s) in %s\n", ev_authkeys_count(ks), path);
out:
	ev_authkeys_free(ks);
	free(text);
	return r;
}

static int
token_install(int argc, char **argv)
{
	const char *root = NULL, *token = getenv("EDGEVIEW_TOKEN"), *cert = NULL, *sshkeys = NULL;
	struct ev_evcfg cfg = {0};
	struct ev_jwt *jwt = NULL;
	char dir[4096], path[4200], *pem = NULL;
	size_t pemlen = 0;
	int r;

	cfg.dev_policy = true;
	cfg.has_gen_id = true;
	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if (strcmp(argv[i], "--root") == 0 && more)
			root = argv[++i];
		else if (strcmp(argv[i], "--token") == 0 && more)
			token = argv[++i];
		else if (strcmp(argv[i], "--cert") == 0 && more)
			cert = argv[++i];
		else if (strcmp(argv[i], "--ssh-keys") == 0 && more)
			sshkeys = argv[++i];
		else if (strcmp(argv[i], "--dev-policy") == 0 && more &&
		         onoff(argv[i + 1], &cfg.dev_policy) == 0)
			i++;
		else if (strcmp(argv[i], "--app-policy") == 0 && more &&
		         onoff(argv[i + 1], &cfg.app_policy) == 0)
			i++;
		else if (strcmp(argv[i], "--ext-policy") == 0 && more &&
		         onoff(argv[i + 1], &cfg.ext_policy) == 0)
			i++;
		else if (strcmp(argv[i], "--gen-id") == 0 && more)
			cfg.gen_id = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			install_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "edgeview token install: unexpected '%s'\n", argv[i]);
			install_usage(stderr);
			return 2;
		}
	}
	if (root == NULL || token == NULL) {
		install_usage(stderr);
		return 2;
	}
	if ((r = ev_jwt_parse(token, strlen(token), &jwt)) != 0) {
		fprintf(stderr, "edgeview token install: token: %s\n", ev_strerror(r));
		return 1;
	}
	cfg.token = (char *)token;
	cfg.exp = jwt->claims.exp;
	cfg.multi_inst = jwt->claims.num > 1 ? jwt->claims.num : 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/run/edgeview", root) >= sizeof(dir)) {
		fprintf(stderr, "edgeview token install: --root is too long\n");
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	if ((r = ev_evcfg_write(dir, &cfg)) != 0) {
		fprintf(stderr, "edgeview token install: %s: %s\n", dir, ev_strerror(r));
		goto out;
	}
	if (cert != NULL) {
		snprintf(path, sizeof(path), "%s/signing-cert.pem", dir);
		if ((r = ev_file_read_capped(cert, EV_MAX_PEM_FILE, &pem, &pemlen)) != 0 ||
		    (r = ev_file_write_atomic(path, pem, pemlen, 0600, "signing-cert")) != 0) {
			fprintf(stderr, "edgeview token install: %s: %s\n", cert, ev_strerror(r));
			goto out;
		}
	}
	if (sshkeys != NULL && (r = install_ssh_keys(root, sshkeys)) != 0)
		goto out;
	printf("installed %s/edge-view-config (expires %llu)\n", dir, (unsigned long long)cfg.exp);
	r = 0;
out:
	free(pem);
	ev_jwt_free(jwt);
	return r == 0 ? 0 : 1;
}

int
client_token_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "mint") == 0)
		return token_mint(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return token_install(argc - 1, argv + 1);
	fprintf(stderr, "usage: edgeview token mint|install ... (--help for each)\n");
	return 2;
}
