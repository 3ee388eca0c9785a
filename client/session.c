/*
 * session.c - one query through the dispatcher: connect with the token
 * hash, send the command after the dispatcher's first message, print what
 * the device streams until +++Done+++ (protocol 7.1).
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
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_query.h"
#include "ev_token.h"
#include "ev_ws.h"

struct client {
	const struct client_opts *o;
	struct ev_jwt *jwt;
	struct ev_cmd cmd;
	struct ev_dep dep;
	struct ev_ws_loop *l;
	struct ev_ws *ws;
	char hostname[320];
	char hash[EV_TOKEN_HASH_BUF];
	bool short_hash, sent, done, alone;
	int exit;
	ev_signal sigint_w, sigterm_w;
	ev_timer redial_w; /* ev_ws may not be freed from its own callback */
};

static int connect_ws(struct client *c);

static void
finish(struct client *c, int status)
{
	c->exit = status;
	c->done = true;
	ev_ws_close(c->ws);
	ev_break(c->l->loop, EVBREAK_ALL);
}

static int
send_payload(struct client *c, const char *s, size_t len)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	const char *key = c->jwt->claims.key != NULL ? c->jwt->claims.key : "";
	int r;

	if (b == NULL)
		return EV_ERR_NOMEM;
	if ((r = ev_envelope_seal_hmac((const uint8_t *)key, strlen(key), (const uint8_t *)s, len,
	                               b)) == 0)
		r = ev_ws_send(c->ws, ev_buf_ptr(b), ev_buf_len(b), false);
	ev_buf_free(b);
	return r;
}

static void
send_command(struct client *c)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_CMD_JSON);
	int r;

	if (b == NULL || (r = ev_cmd_encode(&c->cmd, b)) != 0 ||
	    (r = send_payload(c, ev_buf_str(b), ev_buf_len(b))) != 0) {
		fprintf(stderr, "edgeview: cannot send the command\n");
		finish(c, CLIENT_ERR);
	}
	c->sent = true;
	ev_buf_free(b);
}

static bool
has(const uint8_t *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle)) != NULL;
}

static void
on_raw(struct client *c, const uint8_t *p, size_t len)
{
	if (len >= 19 && memcmp(p, "YourEndPointIPAddr:", 19) == 0) {
		free(c->cmd.client_ep_addr);
		c->cmd.client_ep_addr =
		        strndup((const char *)p + 19, len - 19 < 64 ? len - 19 : 64);
		if (c->alone) {
			/* Nobody under either hash: the command would go nowhere. */
			fprintf(stderr, "edgeview: no device online\n");
			finish(c, CLIENT_NO_DEVICE);
			return;
		}
		if (!c->sent)
			send_command(c);
		return;
	}
	if (has(p, len, "no device online")) {
		if (!c->sent && !c->short_hash) {
			/* Nobody under the 32-byte hash: maybe a pre-17.3 device
			 * registered with the 16-byte one (section 4.2). */
			c->short_hash = true;
			ev_timer_start(c->l->loop, &c->redial_w);
			return;
		}
		if (!c->sent) {
			c->alone = true; /* decided when the address message follows */
			return;
		}
		fprintf(stderr, "edgeview: no device online\n");
		finish(c, CLIENT_NO_DEVICE);
		return;
	}
	if (has(p, len, "can't have more than 2 peers")) {
		fprintf(stderr,
		        "edgeview: the dispatcher refused: another session is using this token\n");
		finish(c, CLIENT_CONNECT);
	}
}

static void
on_message(void *arg, const uint8_t *p, size_t len, bool binary)
{
	struct client *c = arg;
	const char *key = c->jwt->claims.key != NULL ? c->jwt->claims.key : "";
	struct ev_envelope e;
	const uint8_t *done;
	int r;

	if (ev_envelope_parse((const char *)p, len, &e) != 0) {
		on_raw(c, p, len);
		return;
	}
	if ((r = ev_envelope_check_hmac(&e, (const uint8_t *)key, strlen(key), false)) != 0) {
		fprintf(stderr, "edgeview: a message from the device did not verify: %s\n",
		        ev_strerror(r));
		ev_envelope_free(&e);
		finish(c, CLIENT_VERIFY);
		return;
	}
	if (binary) {
		ev_envelope_free(&e);
		return; /* file and TCP transfers are not part of this client yet */
	}
	done = memmem(e.message.p, e.message.len, "+++Done+++", 10);
	client_output(e.message.p, done != NULL ? (size_t)(done - e.message.p) : e.message.len,
	              c->o->colour, stdout);
	fflush(stdout);
	if (has(e.message.p, e.message.len, "cmd policy check failed:"))
		c->exit = CLIENT_POLICY;
	if (has(e.message.p, e.message.len, "authentication for command failed to verify") ||
	    has(e.message.p, e.message.len, "+++Verify failed+++"))
		c->exit = CLIENT_VERIFY;
	ev_envelope_free(&e);
	if (done != NULL) {
		(void)send_payload(c, "+++Done+++", 10);
		finish(c, c->exit);
	}
}

static void
on_close(void *arg, bool will_retry, const char *why)
{
	struct client *c = arg;

	if (c->done)
		return;
	if (!will_retry) {
		fprintf(stderr, "edgeview: cannot reach the dispatcher %s: %s\n", c->dep.hostport,
		        why);
		finish(c, CLIENT_CONNECT);
	}
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
	if (c->ws != NULL && ev_ws_is_open(c->ws))
		(void)send_payload(c, "+++Done+++", 10);
	finish(c, CLIENT_INTERRUPTED);
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
	return ev_ws_new(c->l, &wc, &cb, c, &c->ws);
}

int
client_run_query(const struct client_opts *o)
{
	struct client c;
	struct ev_ws_loop_cfg lc = {0};
	enum ev_query_field field;
	enum ev_query_transfer xfer;
	const char *warn = NULL;
	unsigned inst = 0;
	char host[256];
	int r;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.exit = CLIENT_OK;
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
	if (c.jwt->claims.aut != 0 || c.jwt->claims.enc) {
		fprintf(stderr,
		        "edgeview: this token asks for %s, which this client does not do yet\n",
		        c.jwt->claims.enc ? "encryption" : "signed commands");
		c.exit = CLIENT_USAGE;
		goto out;
	}
	if ((r = ev_query_classify(o->query, &c.cmd, &field, &xfer)) != 0) {
		fprintf(stderr, "edgeview: info: %s, not supported (see edgeview -h)\n", o->query);
		c.exit = CLIENT_USAGE;
		goto out;
	}
	if (xfer != EV_XFER_NONE) {
		fprintf(stderr,
		        "edgeview: %s needs file or port transfers, not in this client yet\n",
		        o->query);
		c.exit = CLIENT_USAGE;
		goto out;
	}
	c.cmd.version = strdup(EV_PROTO_VERSION);
	c.cmd.timerange = strdup(o->timerange != NULL   ? o->timerange
	                         : field == EV_Q_LOGOPT ? "0-0.5"
	                                                : "");
	c.cmd.is_json = o->is_json;
	c.cmd.extraline = o->extraline;
	c.cmd.logtype =
	        strdup(o->logtype != NULL && strcmp(o->logtype, "all") != 0 ? o->logtype : "");
	c.cmd.userinfo = strndup(o->user != NULL ? o->user : "", EV_MAX_USERINFO);
	if (c.cmd.version == NULL || c.cmd.timerange == NULL || c.cmd.logtype == NULL ||
	    c.cmd.userinfo == NULL) {
		c.exit = CLIENT_ERR;
		goto out;
	}
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
	if ((r = connect_ws(&c)) != 0) {
		fprintf(stderr, "edgeview: %s\n", ev_strerror(r));
		c.exit = CLIENT_CONNECT;
		goto out;
	}
	ev_timer_init(&c.redial_w, on_redial, 0, 0);
	c.redial_w.data = &c;
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
out:
	ev_ws_free(c.ws);
	ev_ws_loop_free(c.l);
	ev_cmd_free(&c.cmd);
	ev_jwt_free(c.jwt);
	return c.exit;
}
