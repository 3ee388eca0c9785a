/*
 * bench_core.c - throughput of the protocol core on one core.
 *
 *	bench_core [SECONDS_PER_CASE]
 *
 * Each case runs for the given time (default 1 s) and prints operations per
 * second and, for payload cases, MB/s.  These are the per-message costs the
 * device and client pay on top of TLS and websockets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev_buf.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_evx.h"
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_sig.h"
#include "ev_token.h"

static double secs_per_case = 1.0;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef int (*bench_fn)(void *arg);

static void
run(const char *name, bench_fn fn, void *arg, size_t bytes_per_op)
{
	double start = now_s(), el;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 64; i++) {
			if (fn(arg) != 0) {
				fprintf(stderr, "%s: operation failed\n", name);
				exit(1);
			}
		}
		n += 64;
		el = now_s() - start;
	} while (el < secs_per_case);
	if (bytes_per_op > 0)
		printf("%-34s %12.0f ops/s %10.1f MB/s\n", name, (double)n / el,
		       (double)n * (double)bytes_per_op / el / 1e6);
	else
		printf("%-34s %12.0f ops/s\n", name, (double)n / el);
}

struct seal_arg {
	uint8_t *payload;
	size_t len;
	struct ev_buf *out;
	char *env;
	size_t envlen;
};

static const uint8_t hkey[] = "Zk3p9QvXr2LmN8sT";

static int
bench_seal(void *p)
{
	struct seal_arg *a = p;

	ev_buf_reset(a->out);
	return ev_envelope_seal_hmac(hkey, sizeof(hkey) - 1, a->payload, a->len, a->out);
}

static int
bench_open(void *p)
{
	struct seal_arg *a = p;
	struct ev_envelope e;
	int r;

	if ((r = ev_envelope_parse(a->env, a->envlen, &e)) != 0)
		return r;
	r = ev_envelope_check_hmac(&e, hkey, sizeof(hkey) - 1, false);
	ev_envelope_free(&e);
	return r;
}

struct jwt_arg {
	const char *token;
	struct ev_pubkey *pub;
};

static int
bench_jwt(void *p)
{
	struct jwt_arg *a = p;
	struct ev_jwt *jwt = NULL;
	int r;

	if ((r = ev_jwt_parse(a->token, strlen(a->token), &jwt)) == 0)
		r = ev_jwt_verify(jwt, a->pub);
	ev_jwt_free(jwt);
	return r;
}

static int
bench_hash(void *p)
{
	struct jwt_arg *a = p;
	char out[EV_TOKEN_HASH_BUF];

	return ev_token_hash(a->token, strlen(a->token), 1, EV_TOKEN_HASH_FULL, out);
}

/* A signed command as the device checks it (protocol 6.3): parse + verify. */
struct sig_arg {
	struct ev_pubkey *pub;
	char *env;
	size_t envlen;
};

static int
bench_sig_check(void *p)
{
	struct sig_arg *a = p;
	struct ev_envelope e;
	int r;

	if ((r = ev_envelope_parse(a->env, a->envlen, &e)) != 0)
		return r;
	r = ev_envelope_check_sig(&e, a->pub);
	ev_envelope_free(&e);
	return r;
}

static void
sig_case(enum ev_key_kind kind)
{
	static const char cmd[] =
	        "{\"version\":\"0.8.8\",\"clientEPAddr\":\"198.51.100.20:61000\","
	        "\"network\":\"\",\"system\":\"ps\",\"pubsub\":\"\",\"logopt\":\"\","
	        "\"timerange\":\"\",\"isJSON\":false,\"extraline\":0,\"logtype\":"
	        "\"\",\"userinfo\":\"\"}";
	struct ev_privkey *k = NULL;
	struct ev_buf *b = ev_buf_new(EV_MAX_CMD_JSON);
	struct sig_arg a = {0};
	char name[64];

	if (b == NULL || ev_privkey_generate(kind, &k) != 0 || ev_privkey_public(k, &a.pub) != 0 ||
	    ev_envelope_seal_signed(k, (const uint8_t *)cmd, sizeof(cmd) - 1, b) != 0)
		exit(1);
	a.env = (char *)ev_buf_str(b);
	a.envlen = ev_buf_len(b);
	snprintf(name, sizeof(name), "signed command check %s", ev_pubkey_name(a.pub));
	run(name, bench_sig_check, &a, 0);
	ev_pubkey_free(a.pub);
	ev_privkey_free(k);
	ev_buf_free(b);
}

/* Our encrypted channel: seal on one side, parse + open on the other. */
struct evx_arg {
	struct ev_evx_chan tx, rx;
	uint8_t *payload;
	size_t len;
	struct ev_buf *out;
};

static int
bench_evx(void *p)
{
	struct evx_arg *a = p;
	struct ev_envelope e;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	int r;

	ev_buf_reset(a->out);
	if ((r = ev_evx_seal(&a->tx, false, a->payload, a->len, a->out)) != 0 ||
	    (r = ev_envelope_parse(ev_buf_str(a->out), ev_buf_len(a->out), &e)) != 0)
		return r;
	r = ev_evx_open(&a->rx, &e, false, &pt, &ptlen);
	free(pt);
	ev_envelope_free(&e);
	return r;
}

static void
evx_case(size_t len)
{
	static const char jwt[] = "h.p.s", sess[] = "AAAAAAAAAAAAAAAAAAAAAA",
	                  cn[] = "BBBBBBBBBBBBBBBBBBBBBA", dn[] = "CCCCCCCCCCCCCCCCCCCCCA";
	struct evx_arg a = {0};
	char name[64];

	a.len = len;
	a.payload = calloc(1, len);
	a.out = ev_buf_new(EV_MAX_ENVELOPE);
	if (a.payload == NULL || a.out == NULL ||
	    ev_evx_chan_init(&a.tx, true, jwt, 5, hkey, sizeof(hkey) - 1, sess, cn, dn) != 0 ||
	    ev_evx_chan_init(&a.rx, false, jwt, 5, hkey, sizeof(hkey) - 1, sess, cn, dn) != 0)
		exit(1);
	snprintf(name, sizeof(name), "evx seal+open %zu B", len);
	run(name, bench_evx, &a, len);
	ev_evx_chan_wipe(&a.tx);
	ev_evx_chan_wipe(&a.rx);
	ev_buf_free(a.out);
	free(a.payload);
}

static void
payload_cases(size_t len)
{
	struct seal_arg a = {0};
	char name[64];

	a.len = len;
	a.payload = malloc(len);
	a.out = ev_buf_new(EV_MAX_ENVELOPE);
	if (a.payload == NULL || a.out == NULL)
		exit(1);
	for (size_t i = 0; i < len; i++)
		a.payload[i] = (uint8_t)(i * 7);
	snprintf(name, sizeof(name), "envelope seal hmac %zu B", len);
	run(name, bench_seal, &a, len);
	a.env = (char *)ev_buf_str(a.out);
	a.envlen = ev_buf_len(a.out);
	snprintf(name, sizeof(name), "envelope parse+check %zu B", len);
	run(name, bench_open, &a, len);
	ev_buf_free(a.out);
	free(a.payload);
}

int
main(int argc, char **argv)
{
	struct ev_privkey *k = NULL;
	struct ev_jwt_claims c = {0};
	struct jwt_arg ja = {0};
	char *tok = NULL;

	if (argc > 1)
		secs_per_case = strtod(argv[1], NULL);
	if (secs_per_case <= 0)
		secs_per_case = 1.0;
	payload_cases(64);
	payload_cases(32768);
	evx_case(64);
	evx_case(32768);
	sig_case(EV_KEY_EC_P256);
	sig_case(EV_KEY_EC_P384);
	sig_case(EV_KEY_RSA);
	sig_case(EV_KEY_ED25519);
	if (ev_privkey_generate(EV_KEY_EC_P256, &k) != 0 || ev_privkey_public(k, &ja.pub) != 0)
		return 1;
	c.dep = (char *)"127.0.0.1:8443/edge-view";
	c.sub = (char *)"0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01";
	c.exp = 1893456000;
	c.key = (char *)"Zk3p9QvXr2LmN8sT";
	if (ev_jwt_mint(&c, k, &tok) != 0)
		return 1;
	ja.token = tok;
	run("jwt parse+verify ES256", bench_jwt, &ja, 0);
	run("token hash (instance 1)", bench_hash, &ja, 0);
	free(tok);
	ev_pubkey_free(ja.pub);
	ev_privkey_free(k);
	return 0;
}
