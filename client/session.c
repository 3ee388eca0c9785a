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
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_query.h"
#include "ev_token.h"
#include "ev_ws.h"

#define PROBE_TIMEOUT_MS 10000u /* section 4.3 */
#define LINE_WORDS_MAX   64

enum phase {
	PH_PROBE,      /* HTTPS probe under way */
	PH_CONNECTING, /* websocket dialled, waiting for the dispatcher's first message */
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

static int
send_payload(struct client *c, const char *s, size_t len)
{
	return ev_ws_send_hmac(c->ws, c->jwt->claims.key, (const uint8_t *)s, len, false);
}

/* The client's end of the session (section 7.1), then out. */
static void
end_session(struct client *c, int status)
{
	if (c->ws != NULL && ev_ws_is_open(c->ws))
		(void)send_payload(c, "+++Done+++", 10);
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

	free(cmd->client_ep_addr);
	cmd->client_ep_addr = strdup(c->ep_addr != NULL ? c->ep_addr : "");
	if (b == NULL || cmd->client_ep_addr == NULL)
		r = EV_ERR_NOMEM;
	else if ((r = ev_cmd_encode(cmd, b)) == 0)
		r = send_payload(c, ev_buf_str(b), ev_buf_len(b));
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

/* Connected and the dispatcher has spoken: the session can start. */
static void
on_ready(struct client *c)
{
	c->phase = PH_IDLE;
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
		on_ready(c);
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

static void
on_message(void *arg, const uint8_t *p, size_t len, bool binary)
{
	struct client *c = arg;
	const char *key = c->jwt->claims.key != NULL ? c->jwt->claims.key : "";
	struct ev_envelope e;
	const uint8_t *done;
	int r;

	if (c->phase == PH_END)
		return;
	if (ev_envelope_parse((const char *)p, len, &e) != 0) {
		on_raw(c, p, len);
		return;
	}
	if ((r = ev_envelope_check_hmac(&e, (const uint8_t *)key, strlen(key), false)) != 0) {
		fprintf(stderr, "edgeview: a message from the device did not verify: %s\n",
		        ev_strerror(r));
		ev_envelope_free(&e);
		end_session(c, CLIENT_VERIFY);
		return;
	}
	if (binary || (c->phase != PH_RUNNING && c->phase != PH_DRAINING)) {
		/* transfers are not in this client yet; nothing is expected between queries */
		ev_envelope_free(&e);
		return;
	}
	done = memmem(e.message.p, e.message.len, "+++Done+++", 10);
	if (c->phase == PH_RUNNING) {
		client_output(e.message.p,
		              done != NULL ? (size_t)(done - e.message.p) : e.message.len,
		              c->o->colour, stdout);
		fflush(stdout);
		if (has(e.message.p, e.message.len, "cmd policy check failed:"))
			c->cmd_exit = CLIENT_POLICY;
		if (has(e.message.p, e.message.len,
		        "authentication for command failed to verify") ||
		    has(e.message.p, e.message.len, "+++Verify failed+++"))
			c->cmd_exit = CLIENT_VERIFY;
	}
	ev_envelope_free(&e);
	if (done != NULL)
		command_end(c, c->phase == PH_DRAINING ? c->exit : c->cmd_exit);
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
	if (c.jwt->claims.aut != 0 || c.jwt->claims.enc) {
		fprintf(stderr,
		        "edgeview: this token asks for %s, which this client does not do yet\n",
		        c.jwt->claims.enc ? "encryption" : "signed commands");
		c.exit = CLIENT_USAGE;
		goto out;
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
