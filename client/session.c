/*
 * session.c - a session through the dispatcher: probe which token hash the
 * device registered with (protocol 4.3), connect, and run one query, or
 * one query per typed line over the same connection (interactive mode):
 * send the command after the dispatcher's first message, print what the
 * device streams until +++Done+++ (7.1, 8.3), end with our own +++Done+++.
 *
 * The protocol has no way to cancel a running command: after Ctrl-C in
 * interactive mode the rest of its output is read and dropped until its
 * +++Done+++, and a query typed meanwhile waits for that.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_evx.h"
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "ev_query.h"
#include "ev_sig.h"
#include "ev_token.h"
#include "ev_ws.h"
#include "signer.h"

#define PROBE_TIMEOUT_MS 10000u /* section 4.3 */
#define LINE_WORDS_MAX   64
#define HELLO_TIMEOUT_S  10.0 /* the device answers the encryption hello at once */

enum phase {
	PH_PROBE,      /* HTTPS probe under way */
	PH_CONNECTING, /* websocket dialled, waiting for the dispatcher's first message */
	PH_HELLO,      /* enc token: our hello sent, waiting for the device's */
	PH_IDLE,       /* connected, no command running */
	PH_RUNNING,    /* a command sent, printing its output */
	PH_DRAINING,   /* interrupted: dropping its output until +++Done+++ */
	PH_END,
};

struct client {
	const struct client_opts *o;
	struct ev_jwt *jwt;
	struct ev_cmd cmd; /* the one-shot query */
	struct ev_dep dep;
	struct ev_ws_loop *l;
	struct ev_ws *ws;
	struct client_input *in;
	struct client_parse *lp;
	char hostname[320];
	char hash[EV_TOKEN_HASH_BUF];
	char full_hash[EV_TOKEN_HASH_BUF]; /* what commands name (evxToken) */
	struct signer *signer;             /* aut 1/2 */
	/* replay protection and encryption of this connection */
	char session_id[EV_EVX_ID_LEN + 1];
	char hello_nonce[EV_EVX_ID_LEN + 1];
	int64_t seq;
	struct ev_evx_chan chan;
	ev_timer hello_w;
	char *ep_addr; /* from YourEndPointIPAddr: */
	char *pending; /* a line typed while an interrupted command drains */
	enum phase phase;
	bool short_hash, probed, alone, interactive, prompting;
	int exit;     /* one-shot: the result; interactive: the last query's */
	int cmd_exit; /* the running query's */
	ev_signal sigint_w, sigterm_w;
	ev_timer redial_w; /* ev_ws may not be freed from its own callback */
};

static int connect_ws(struct client *c);
static void run_line(struct client *c, char *line);

static void
finish(struct client *c, int status)
{
	c->exit = status;
	c->phase = PH_END;
	if (c->in != NULL)
		client_input_pause(c->in);
	if (c->ws != NULL)
		ev_ws_close(c->ws);
	ev_break(c->l->loop, EVBREAK_ALL);
}

/*
 * One message to the device.  sign: a message EVE signs when the token's
 * aut is 1 or 2 (the command, the final +++Done+++; protocol 6.3).  With
 * an enc token everything goes through our channel, a signed message as a
 * whole signed envelope.
 */
static int
send_msg(struct client *c, const char *s, size_t len, bool sign)
{
	static const uint8_t zero[EV_SHA256_LEN];
	struct ev_buf *env = NULL, *ct = NULL;
	uint8_t sig[EV_MAX_SIGNATURE];
	size_t siglen = 0;
	const uint8_t *p = (const uint8_t *)s;
	int r;

	sign = sign && c->jwt->claims.aut != EV_AUT_HMAC;
	if (!sign && !c->jwt->claims.enc)
		return ev_ws_send_hmac(c->ws, c->jwt->claims.key, p, len, false);
	if ((env = ev_buf_new(EV_MAX_ENVELOPE)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (sign) {
		if ((r = signer_sign(c->signer, p, len, sig, sizeof(sig), &siglen)) != 0 ||
		    (r = ev_envelope_seal_fields(p, len, zero, sig, siglen, NULL, 0, NULL, env)) !=
		            0)
			goto out;
		p = (const uint8_t *)ev_buf_str(env);
		len = ev_buf_len(env);
	}
	if (c->jwt->claims.enc) {
		if ((ct = ev_buf_new(EV_MAX_ENVELOPE)) == NULL) {
			r = EV_ERR_NOMEM;
			goto out;
		}
		if ((r = ev_evx_seal(&c->chan, false, p, len, ct)) != 0)
			goto out;
		p = (const uint8_t *)ev_buf_str(ct);
		len = ev_buf_len(ct);
	}
	r = ev_ws_send(c->ws, p, len, false);
out:
	ev_buf_free(ct);
	ev_buf_free(env);
	return r;
}

/* The client's end of the session (section 7.1), then out. */
static void
end_session(struct client *c, int status)
{
	if (c->ws != NULL && ev_ws_is_open(c->ws) && c->phase != PH_HELLO &&
	    (!c->jwt->claims.enc || ev_evx_chan_ready(&c->chan)))
		(void)send_msg(c, "+++Done+++", 10, true);
	finish(c, status);
}

/* A query and its options (o) into cmd; CLIENT_USAGE after saying why. */
static int
build_cmd(struct client *c, const struct client_opts *o, struct ev_cmd *cmd)
{
	enum ev_query_field field;
	enum ev_query_transfer xfer;

	if (ev_query_classify(o->query, cmd, &field, &xfer) != 0) {
		fprintf(stderr, "edgeview: info: %s, not supported (see %s)\n", o->query,
		        c->interactive ? "help" : "edgeview -h");
		return CLIENT_USAGE;
	}
	if (xfer != EV_XFER_NONE) {
		fprintf(stderr,
		        "edgeview: %s needs file or port transfers, not in this client yet\n",
		        o->query);
		return CLIENT_USAGE;
	}
	cmd->version = strdup(EV_PROTO_VERSION);
	cmd->timerange = strdup(o->timerange != NULL   ? o->timerange
	                        : field == EV_Q_LOGOPT ? "0-0.5"
	                                               : "");
	cmd->is_json = o->is_json;
	cmd->extraline = o->extraline;
	cmd->logtype =
	        strdup(o->logtype != NULL && strcmp(o->logtype, "all") != 0 ? o->logtype : "");
	cmd->userinfo = strndup(o->user != NULL ? o->user : "", EV_MAX_USERINFO);
	if (cmd->version == NULL || cmd->timerange == NULL || cmd->logtype == NULL ||
	    cmd->userinfo == NULL) {
		fprintf(stderr, "edgeview: out of memory\n");
		return CLIENT_ERR;
	}
	return CLIENT_OK;
}

static int
send_command(struct client *c, struct ev_cmd *cmd)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_CMD_JSON);
	int r;

	struct timespec now;

	free(cmd->client_ep_addr);
	cmd->client_ep_addr = strdup(c->ep_addr != NULL ? c->ep_addr : "");
	/* Replay protection (docs/SECURITY.md); EVE's device ignores it. */
	clock_gettime(CLOCK_REALTIME, &now);
	cmd->evx = 1;
	free(cmd->evx_device);
	free(cmd->evx_token);
	free(cmd->evx_session);
	cmd->evx_device = strdup(c->jwt->claims.sub != NULL ? c->jwt->claims.sub : "");
	cmd->evx_token = strdup(c->full_hash);
	cmd->evx_session = strdup(c->session_id);
	cmd->evx_seq = ++c->seq;
	cmd->evx_time = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (b == NULL || cmd->client_ep_addr == NULL || cmd->evx_device == NULL ||
	    cmd->evx_token == NULL || cmd->evx_session == NULL)
		r = EV_ERR_NOMEM;
	else if ((r = ev_cmd_encode(cmd, b)) == 0)
		r = send_msg(c, ev_buf_str(b), ev_buf_len(b), true);
	ev_buf_free(b);
	if (r != 0) {
		fprintf(stderr, "edgeview: cannot send the command: %s\n", ev_strerror(r));
		return r;
	}
	c->phase = PH_RUNNING;
	c->cmd_exit = CLIENT_OK;
	client_output_reset();
	return 0;
}

static void
prompt(struct client *c)
{
	if (c->phase == PH_END || c->prompting)
		return;
	c->prompting = true;
	client_input_prompt(c->in);
}

/* The running query has ended (its +++Done+++, or it cannot end). */
static void
command_end(struct client *c, int status)
{
	if (!c->interactive) {
		end_session(c, status);
		return;
	}
	c->exit = status;
	c->phase = PH_IDLE;
	if (c->pending != NULL) {
		char *line = c->pending;
		c->pending = NULL;
		run_line(c, line);
		free(line);
		return;
	}
	prompt(c);
}

/* Connected, the dispatcher has spoken, and for enc tokens the channel is
 * up: the session can start. */
static void
on_ready(struct client *c)
{
	c->phase = PH_IDLE;
	ev_timer_stop(c->l->loop, &c->hello_w);
	if (!c->interactive) {
		if (send_command(c, &c->cmd) != 0)
			end_session(c, CLIENT_ERR);
		return;
	}
	if (c->pending != NULL) {
		command_end(c, c->exit);
		return;
	}
	prompt(c);
}

/* enc token: open our channel before anything else (docs/SECURITY.md). */
static void
start_hello(struct client *c)
{
	const char *key = c->jwt->claims.key != NULL ? c->jwt->claims.key : "";
	struct ev_buf *b = ev_buf_new(EV_MAX_CMD_JSON);
	int r;

	if (b == NULL)
		r = EV_ERR_NOMEM;
	else if ((r = ev_evx_random_id(c->hello_nonce)) == 0 &&
	         (r = ev_evx_hello_seal((const uint8_t *)key, strlen(key), c->session_id,
	                                c->hello_nonce, b)) == 0)
		r = ev_ws_send(c->ws, (const uint8_t *)ev_buf_str(b), ev_buf_len(b), false);
	ev_buf_free(b);
	if (r != 0) {
		fprintf(stderr, "edgeview: encryption hello: %s\n", ev_strerror(r));
		finish(c, CLIENT_ERR);
		return;
	}
	c->phase = PH_HELLO;
	ev_timer_set(&c->hello_w, HELLO_TIMEOUT_S, 0);
	ev_timer_start(c->l->loop, &c->hello_w);
}

static void
on_hello_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = w->data;

	(void)loop;
	(void)revents;
	if (c->phase != PH_HELLO)
		return;
	fprintf(stderr, "edgeview: the device did not answer the encryption handshake\n");
	finish(c, CLIENT_CONNECT);
}

/* EVE's device cannot do enc (protocol 6.5): say so before any command. */
static void
eve_enc_device(struct client *c)
{
	fprintf(stderr, "edgeview: this device runs EVE's Edge-View, whose encryption cannot work "
	                "(each side keys it with a secret it never shares); ask for a token "
	                "without enc. No command was sent.\n");
	finish(c, CLIENT_UNSUPPORTED);
}

static void
on_hello_answer(struct client *c, const struct ev_envelope *e)
{
	const char *key = c->jwt->claims.key != NULL ? c->jwt->claims.key : "";
	struct ev_evx_hello h;
	int r;

	if ((r = ev_evx_hello_open(e, (const uint8_t *)key, strlen(key), &h)) != 0 ||
	    strcmp(h.session, c->session_id) != 0) {
		fprintf(stderr, "edgeview: the device's encryption handshake did not verify: %s\n",
		        r != 0 ? ev_strerror(r) : "another session");
		finish(c, CLIENT_VERIFY);
		return;
	}
	if ((r = ev_evx_chan_init(&c->chan, true, c->o->token, strlen(c->o->token),
	                          (const uint8_t *)key, strlen(key), c->session_id, c->hello_nonce,
	                          h.nonce)) != 0) {
		fprintf(stderr, "edgeview: encryption: %s\n", ev_strerror(r));
		finish(c, CLIENT_ERR);
		return;
	}
	on_ready(c);
}

/* ---- interactive lines ---- */

static void
run_line(struct client *c, char *line)
{
	struct client_opts qo = *c->o;
	struct ev_cmd cmd = {0};
	char *w[LINE_WORDS_MAX];
	int n = 0, st;

	if ((st = client_split_line(line, w, LINE_WORDS_MAX, &n)) != CLIENT_OK || n == 0)
		goto again;
	if ((strcmp(w[0], "exit") == 0 || strcmp(w[0], "quit") == 0) && n == 1) {
		end_session(c, c->exit);
		return;
	}
	if (strcmp(w[0], "help") == 0 || strcmp(w[0], "?") == 0) {
		if (n == 1) {
			client_help_interactive(stdout);
			st = CLIENT_OK;
		} else {
			st = client_help(stdout, w[1]);
		}
		goto again;
	}
	qo.query = NULL;
	memset(c->lp, 0, sizeof(*c->lp));
	c->lp->line = true;
	if ((st = client_parse_words(&qo, n, w, c->lp)) != CLIENT_OK)
		goto again;
	if (c->lp->help) {
		st = client_help(stdout, qo.query);
		goto again;
	}
	if (qo.query == NULL) {
		fprintf(stderr, "edgeview: no query on that line (try help)\n");
		st = CLIENT_USAGE;
		goto again;
	}
	if ((st = build_cmd(c, &qo, &cmd)) != CLIENT_OK)
		goto again;
	if (send_command(c, &cmd) != 0) {
		ev_cmd_free(&cmd);
		end_session(c, CLIENT_ERR);
		return;
	}
	ev_cmd_free(&cmd);
	return;
again:
	ev_cmd_free(&cmd);
	c->exit = st;
	prompt(c);
}

/* help, exit and empty lines need no device, so they never wait for one. */
static bool
line_is_local(const char *line)
{
	size_t skip = strspn(line, " \t"), n = strcspn(line + skip, " \t");
	const char *w = line + skip;

	return n == 0 ||
	       (n == 4 && (memcmp(w, "help", 4) == 0 || memcmp(w, "exit", 4) == 0 ||
	                   memcmp(w, "quit", 4) == 0)) ||
	       (n == 1 && w[0] == '?');
}

static void
on_line(void *arg, char *line)
{
	struct client *c = arg;

	c->prompting = false;
	if (line == NULL) {
		/* Ctrl-D or the end of stdin */
		end_session(c, c->phase == PH_DRAINING ? CLIENT_INTERRUPTED : c->exit);
		return;
	}
	if (c->phase != PH_IDLE && !line_is_local(line)) {
		/* An interrupted command is still draining, or we are reconnecting. */
		free(c->pending);
		if ((c->pending = strdup(line)) == NULL) {
			end_session(c, CLIENT_ERR);
			return;
		}
		if (c->phase == PH_DRAINING)
			fprintf(stderr, "edgeview: waiting for the interrupted query to end on the "
			                "device\n");
		return;
	}
	run_line(c, line);
}

/* ---- messages from the dispatcher and the device ---- */

static bool
has(const uint8_t *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle)) != NULL;
}

static void
on_raw(struct client *c, const uint8_t *p, size_t len)
{
	if (len >= 19 && memcmp(p, "YourEndPointIPAddr:", 19) == 0) {
		free(c->ep_addr);
		c->ep_addr = strndup((const char *)p + 19, len - 19 < 64 ? len - 19 : 64);
		if (c->phase != PH_CONNECTING)
			return;
		if (c->alone) {
			/* Nobody under either hash: the command would go nowhere. */
			fprintf(stderr, "edgeview: no device online\n");
			finish(c, CLIENT_NO_DEVICE);
			return;
		}
		if (c->jwt->claims.enc)
			start_hello(c);
		else
			on_ready(c);
		return;
	}
	if (has(p, len, "Edgeview encrypted message")) {
		if (c->phase == PH_HELLO) {
			eve_enc_device(c);
			return;
		}
		fprintf(stderr, "edgeview: the device: %.*s", (int)(len < 512 ? len : 512), p);
		finish(c, CLIENT_VERIFY);
		return;
	}
	if (has(p, len, "no device online")) {
		switch (c->phase) {
		case PH_CONNECTING:
			if (!c->probed && !c->short_hash) {
				/* A dispatcher without the probe: maybe a pre-17.3 device
				 * registered with the 16-byte hash (section 4.2). */
				c->short_hash = true;
				ev_timer_start(c->l->loop, &c->redial_w);
				return;
			}
			c->alone = true; /* decided when the address message follows */
			return;
		case PH_RUNNING:
		case PH_HELLO:
			fprintf(stderr, "edgeview: no device online\n");
			command_end(c, CLIENT_NO_DEVICE);
			return;
		case PH_DRAINING: command_end(c, c->exit); return;
		default: return; /* the device left between queries; the next says so */
		}
	}
	if (has(p, len, "can't have more than 2 peers")) {
		fprintf(stderr,
		        "edgeview: the dispatcher refused: another session is using this token\n");
		finish(c, CLIENT_CONNECT);
	}
}

/* The signing key was Ed25519 and the device said no: maybe it is EVE's. */
static void
hint_verify_failed(struct client *c)
{
	if (c->signer != NULL && signer_kind(c->signer) == EV_KEY_ED25519)
		fprintf(stderr, "edgeview: the device did not accept the Ed25519 signature; EVE's "
		                "device accepts only RSA and ECDSA keys: use one with -key\n");
}

static void
on_message(void *arg, const uint8_t *p, size_t len, bool binary)
{
	struct client *c = arg;
	const char *key = c->jwt->claims.key != NULL ? c->jwt->claims.key : "";
	struct ev_envelope e;
	const uint8_t *done, *msg;
	uint8_t *pt = NULL;
	size_t msglen, ptlen = 0;
	int r;

	if (c->phase == PH_END)
		return;
	if (ev_envelope_parse((const char *)p, len, &e) != 0) {
		on_raw(c, p, len);
		return;
	}
	if (c->phase == PH_HELLO) {
		if (ev_evx_is_hello(&e))
			on_hello_answer(c, &e);
		else if (ev_envelope_encryption(&e, true) == EV_ENV_GCM_088)
			eve_enc_device(c); /* a Go device's reply, sealed with its own secret */
		ev_envelope_free(&e);
		return;
	}
	if (c->jwt->claims.enc)
		r = ev_evx_open(&c->chan, &e, binary, &pt, &ptlen);
	else
		r = ev_envelope_check_hmac(&e, (const uint8_t *)key, strlen(key), false);
	if (r != 0) {
		fprintf(stderr, "edgeview: a message from the device did not verify: %s\n",
		        ev_strerror(r));
		ev_envelope_free(&e);
		end_session(c, CLIENT_VERIFY);
		return;
	}
	msg = pt != NULL ? pt : e.message.p;
	msglen = pt != NULL ? ptlen : e.message.len;
	if (binary || (c->phase != PH_RUNNING && c->phase != PH_DRAINING)) {
		/* Transfers are not in this client yet.  Between queries only the
		 * device ending the session is expected (its keys changed). */
		if (!binary && memmem(msg, msglen, "+++Verify failed+++", 19) != NULL) {
			client_output(msg, msglen, c->o->colour, stderr);
			fputc('\n', stderr);
			finish(c, CLIENT_VERIFY);
		}
		goto out;
	}
	done = memmem(msg, msglen, "+++Done+++", 10);
	if (c->phase == PH_RUNNING) {
		client_output(msg, done != NULL ? (size_t)(done - msg) : msglen, c->o->colour,
		              stdout);
		fflush(stdout);
		if (has(msg, msglen, "cmd policy check failed:"))
			c->cmd_exit = CLIENT_POLICY;
		if (has(msg, msglen, "cmd not valid:"))
			c->cmd_exit = CLIENT_ERR;
		if (has(msg, msglen, "cmd replay check failed:") ||
		    has(msg, msglen, "authentication for command failed to verify"))
			c->cmd_exit = CLIENT_VERIFY;
		if (has(msg, msglen, "+++Verify failed+++")) {
			/* EVE's client ends here (protocol 6.6): nothing else follows. */
			putchar('\n');
			hint_verify_failed(c);
			ev_freezero(pt, ptlen);
			ev_envelope_free(&e);
			finish(c, CLIENT_VERIFY);
			return;
		}
	}
	if (done != NULL) {
		ev_freezero(pt, ptlen);
		ev_envelope_free(&e);
		command_end(c, c->phase == PH_DRAINING ? c->exit : c->cmd_exit);
		return;
	}
out:
	ev_freezero(pt, ptlen);
	ev_envelope_free(&e);
}

static void
on_close(void *arg, bool will_retry, const char *why)
{
	struct client *c = arg;

	if (c->phase == PH_END)
		return;
	if (!will_retry) {
		fprintf(stderr, "edgeview: cannot reach the dispatcher %s: %s\n", c->dep.hostport,
		        why);
		finish(c, CLIENT_CONNECT);
		return;
	}
	if (c->phase == PH_CONNECTING)
		return; /* ev_ws dials again */
	if (!c->interactive) {
		fprintf(stderr, "edgeview: lost the dispatcher %s: %s\n", c->dep.hostport, why);
		finish(c, CLIENT_CONNECT);
		return;
	}
	/* Interactive: a new connection is a new session; the query is lost. */
	fprintf(stderr, "edgeview: lost the dispatcher (%s); reconnecting\n", why);
	if (c->phase == PH_RUNNING || c->phase == PH_DRAINING) {
		c->exit = CLIENT_CONNECT;
		c->phase = PH_CONNECTING;
		prompt(c);
	}
	c->phase = PH_CONNECTING;
	c->alone = false;
}

static void
on_redial(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = w->data;

	(void)loop;
	(void)revents;
	ev_ws_free(c->ws);
	c->ws = NULL;
	if (connect_ws(c) != 0)
		finish(c, CLIENT_CONNECT);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct client *c = w->data;

	(void)loop;
	(void)revents;
	if (w->signum == SIGINT && c->interactive) {
		switch (c->phase) {
		case PH_RUNNING:
			/* No cancel in the protocol: drop the rest of its output. */
			fflush(stdout);
			fprintf(stderr, "%sinterrupted\n", c->o->colour ? "\033[0m\n" : "\n");
			c->phase = PH_DRAINING;
			c->exit = CLIENT_INTERRUPTED;
			prompt(c);
			return;
		case PH_IDLE:
		case PH_DRAINING:
			if (c->prompting && client_input_is_tty(c->in)) {
				free(c->pending);
				c->pending = NULL;
				client_input_interrupt(c->in);
				return;
			}
			break;
		default: break;
		}
	}
	end_session(c, CLIENT_INTERRUPTED);
}

static int
connect_ws(struct client *c)
{
	struct ev_ws_cfg wc = {0};
	struct ev_ws_callbacks cb = {NULL, on_message, on_close, NULL};
	int r;

	if ((r = ev_token_hash(c->o->token, strlen(c->o->token), c->o->inst,
	                       c->short_hash ? EV_TOKEN_HASH_SHORT : EV_TOKEN_HASH_FULL,
	                       c->hash)) != 0)
		return r;
	wc.host = c->dep.host;
	wc.port = c->dep.port;
	wc.hostport = c->dep.hostport;
	wc.path = c->dep.path;
	wc.token_hash = c->hash;
	wc.hostname = c->hostname;
	wc.insecure = c->o->insecure;
	wc.max_attempts = 3;
	c->phase = PH_CONNECTING;
	c->alone = false;
	/* Each connection is a new session for replay protection. */
	ev_evx_chan_wipe(&c->chan);
	c->seq = 0;
	if ((r = ev_evx_random_id(c->session_id)) != 0)
		return r;
	return ev_ws_new(c->l, &wc, &cb, c, &c->ws);
}

static void on_probe(void *arg, int status, const char *body);

static int
start_probe(struct client *c)
{
	struct ev_ws_cfg wc = {0};
	int r;

	if ((r = ev_token_hash(c->o->token, strlen(c->o->token), c->o->inst,
	                       c->short_hash ? EV_TOKEN_HASH_SHORT : EV_TOKEN_HASH_FULL,
	                       c->hash)) != 0)
		return r;
	wc.host = c->dep.host;
	wc.port = c->dep.port;
	wc.hostport = c->dep.hostport;
	wc.path = c->dep.path;
	wc.token_hash = c->hash;
	wc.insecure = c->o->insecure;
	c->phase = PH_PROBE;
	return ev_ws_probe(c->l, &wc, PROBE_TIMEOUT_MS, on_probe, c);
}

static void
on_probe(void *arg, int status, const char *body)
{
	struct client *c = arg;
	int r;

	if (c->phase != PH_PROBE)
		return;
	if (status < 0) {
		fprintf(stderr, "edgeview: cannot reach the dispatcher %s: %s\n", c->dep.hostport,
		        body);
		finish(c, CLIENT_CONNECT);
		return;
	}
	if (strstr(body, "server is connected") != NULL) {
		c->probed = true;
	} else if (strstr(body, "no device online") != NULL) {
		if (c->short_hash) {
			fprintf(stderr, "edgeview: no device online\n");
			finish(c, CLIENT_NO_DEVICE);
			return;
		}
		/* Maybe a pre-17.3 device, registered with the 16-byte hash. */
		c->short_hash = true;
		if ((r = start_probe(c)) != 0) {
			fprintf(stderr, "edgeview: probe: %s\n", ev_strerror(r));
			finish(c, CLIENT_ERR);
		}
		return;
	} else {
		/* A dispatcher without the probe (EVE's example): connect, and fall
		 * back to the short hash if nobody is there. */
		c->short_hash = false;
		c->probed = false;
	}
	if ((r = connect_ws(c)) != 0) {
		fprintf(stderr, "edgeview: %s\n", ev_strerror(r));
		finish(c, CLIENT_CONNECT);
	}
}

int
client_run(const struct client_opts *o)
{
	struct client c;
	struct ev_ws_loop_cfg lc = {0};
	const char *warn = NULL;
	unsigned inst = 0;
	char host[256];
	int r;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.exit = CLIENT_OK;
	c.interactive = o->query == NULL;
	if ((r = ev_jwt_parse(o->token, strlen(o->token), &c.jwt)) != 0 ||
	    (r = ev_jwt_validate(c.jwt, time(NULL), NULL)) != 0) {
		fprintf(stderr, "edgeview: token: %s\n", ev_strerror(r));
		c.exit = CLIENT_USAGE;
		goto out;
	}
	if ((r = ev_jwt_client_instance(&c.jwt->claims, o->inst, &inst, &warn)) != 0) {
		fprintf(stderr, "edgeview: maximum instance is %u, cannot use instance %u\n",
		        c.jwt->claims.num > 1 ? c.jwt->claims.num : 1, o->inst);
		c.exit = CLIENT_USAGE;
		goto out;
	}
	if (warn != NULL)
		fprintf(stderr, "edgeview: %s\n", warn);
	if ((r = ev_token_hash(o->token, strlen(o->token), inst, EV_TOKEN_HASH_FULL,
	                       c.full_hash)) != 0) {
		fprintf(stderr, "edgeview: token: %s\n", ev_strerror(r));
		c.exit = CLIENT_USAGE;
		goto out;
	}
	if (c.jwt->claims.aut != EV_AUT_HMAC) {
		struct signer_opts so = {.aut = c.jwt->claims.aut, .key_path = o->key_path};
		if (signer_open(&so, &c.signer) != 0) {
			c.exit = CLIENT_USAGE;
			goto out;
		}
	}
	/* A bad query is a usage error before any network traffic. */
	if (!c.interactive && (c.exit = build_cmd(&c, o, &c.cmd)) != CLIENT_OK)
		goto out;
	if ((r = ev_jwt_dep_parse(c.jwt->claims.dep, &c.dep)) != 0) {
		fprintf(stderr, "edgeview: token: %s\n", ev_strerror(r));
		c.exit = CLIENT_USAGE;
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0)
		memcpy(host, "edgeview-client", 16);
	host[sizeof(host) - 1] = '\0';
	if (inst > 0)
		snprintf(c.hostname, sizeof(c.hostname), "%s-inst-%u", host, inst);
	else
		snprintf(c.hostname, sizeof(c.hostname), "%s", host);
	lc.cafile = o->cafile;
	if ((r = ev_ws_loop_new(&lc, &c.l)) != 0) {
		fprintf(stderr, "edgeview: %s\n", ev_strerror(r));
		c.exit = CLIENT_ERR;
		goto out;
	}
	if (c.interactive && ((c.lp = calloc(1, sizeof(*c.lp))) == NULL ||
	                      client_input_new(c.l->loop, on_line, &c, &c.in) != CLIENT_OK)) {
		c.exit = CLIENT_ERR;
		goto out;
	}
	if ((r = start_probe(&c)) != 0) {
		fprintf(stderr, "edgeview: %s\n", ev_strerror(r));
		c.exit = CLIENT_ERR;
		goto out;
	}
	ev_timer_init(&c.redial_w, on_redial, 0, 0);
	c.redial_w.data = &c;
	ev_timer_init(&c.hello_w, on_hello_timeout, HELLO_TIMEOUT_S, 0);
	c.hello_w.data = &c;
	ev_signal_init(&c.sigint_w, on_signal, SIGINT);
	ev_signal_init(&c.sigterm_w, on_signal, SIGTERM);
	c.sigint_w.data = c.sigterm_w.data = &c;
	ev_signal_start(c.l->loop, &c.sigint_w);
	ev_signal_start(c.l->loop, &c.sigterm_w);
	signal(SIGPIPE, SIG_IGN);
	ev_run(c.l->loop, 0);
	/* Let the final +++Done+++ leave before the socket goes. */
	for (int i = 0; i < 20 && c.ws != NULL && ev_ws_queued(c.ws) > 0; i++)
		ev_run(c.l->loop, EVRUN_ONCE);
	ev_signal_stop(c.l->loop, &c.sigint_w);
	ev_signal_stop(c.l->loop, &c.sigterm_w);
	ev_timer_stop(c.l->loop, &c.redial_w);
	ev_timer_stop(c.l->loop, &c.hello_w);
out:
	ev_evx_chan_wipe(&c.chan);
	signer_free(c.signer);
	client_input_free(c.in);
	ev_ws_free(c.ws);
	ev_ws_loop_free(c.l);
	ev_cmd_free(&c.cmd);
	ev_jwt_free(c.jwt);
	free(c.ep_addr);
	free(c.pending);
	free(c.lp);
	return c.exit;
}
