/*
 * device.c - an edgeviewd session with the dispatcher (direct mode).
 *
 * The event loop (libev, shared with lws through ev_ws) never runs a
 * command: each verified command runs in a forked worker whose output
 * arrives through a pipe.  The pipe is read only while the websocket queue
 * is below EV_WS_QUEUE_HIGH, so a slow client stalls the worker's writes
 * instead of growing the device's memory.
 */
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "basics.h"
#include "cmd.h"
#include "ev_buf.h"
#include "ev_cmd.h"
#include "ev_crypto.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_evx.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"
#include "ev_proxy.h"
#include "ev_status.h"
#include "ev_token.h"
#include "ev_ws.h"
#include "policy.h"
#include "query.h"
#include "replay.h"
#include "status.h"

/* One read of command output becomes one text envelope (section 8.1). */
#define DEVICE_OUTPUT_CHUNK (32u * 1024)
#define DEVICE_AUDIT_LINE   2048

struct device {
	struct device_opts o;
	struct ev_jwt *jwt;
	struct ev_evcfg cfg;
	struct ev_dep dep;
	struct ev_ws_loop *l;
	struct ev_ws *ws;
	char hash[EV_TOKEN_HASH_BUF];
	char hostname[320];
	char endpoint[64];
	struct policy_counts counts;
	int audit_fd;
	struct status *status;
	char uuid[EV_MAX_UUID_FILE];
	struct auth *auth;       /* aut 1/2: the trusted signers */
	struct replay *replay;   /* replay protection of commands */
	ev_stat keys_w;          /* the trusted signers' file */
	bool client_seen;        /* a client has spoken since it last left */
	struct ev_evx_chan chan; /* enc tokens: the channel with the current client */
	/* the running command */
	pid_t pid;
	int pipe_fd;
	ev_io pipe_w;
	bool reading;
	ev_timer expiry_w;
	ev_signal sigterm_w, sigint_w;
	int exit_status;
};

static void
send_text(struct device *d, const uint8_t *p, size_t len)
{
	struct ev_buf *b;
	int r;

	if (!ev_evx_chan_ready(&d->chan)) {
		r = ev_ws_send_hmac(d->ws, d->jwt->claims.key, p, len, false);
	} else if ((b = ev_buf_new(EV_MAX_ENVELOPE)) == NULL) {
		r = EV_ERR_NOMEM;
	} else {
		if ((r = ev_evx_seal(&d->chan, false, p, len, b)) == 0)
			r = ev_ws_send(d->ws, (const uint8_t *)ev_buf_str(b), ev_buf_len(b), false);
		ev_buf_free(b);
	}
	if (r != 0)
		ev_log_warn_r(r, "send to client");
}

/* A text frame that is not an envelope (protocol 6.5's error form). */
static void
send_raw(struct device *d, const char *s)
{
	int r = ev_ws_send(d->ws, (const uint8_t *)s, strlen(s), false);

	if (r != 0)
		ev_log_warn_r(r, "send to client");
}

static void
send_str(struct device *d, const char *s)
{
	send_text(d, (const uint8_t *)s, strlen(s));
}

static void
worker_reap(struct device *d, bool kill_it)
{
	int st;

	if (d->pid <= 0)
		return;
	if (kill_it)
		kill(-d->pid, SIGKILL);
	while (waitpid(d->pid, &st, 0) < 0 && errno == EINTR)
		;
	d->pid = 0;
}

static void
worker_stop(struct device *d, bool kill_it)
{
	if (d->pipe_fd >= 0) {
		ev_io_stop(d->l->loop, &d->pipe_w);
		close(d->pipe_fd);
		d->pipe_fd = -1;
		d->reading = false;
	}
	worker_reap(d, kill_it);
}

static void
on_pipe(struct ev_loop *loop, ev_io *w, int revents)
{
	struct device *d = w->data;
	uint8_t buf[DEVICE_OUTPUT_CHUNK];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(d->pipe_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		send_text(d, buf, (size_t)n);
		if (ev_ws_queued(d->ws) >= EV_WS_QUEUE_HIGH) {
			/* Backpressure: resume in on_writable(). */
			ev_io_stop(d->l->loop, &d->pipe_w);
			d->reading = false;
		}
		return;
	}
	worker_stop(d, false);
	send_str(d, "+++Done+++");
}

static void
worker_child(struct device *d, const struct ev_cmd *c, int out_fd)
{
	struct cmd_ctx ctx = {0};
	volatile sig_atomic_t stop = 0;
	FILE *out;

	/* Own process group, default signals, only the pipe left open. */
	setpgid(0, 0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(1);
	close_range(3, ~0U, 0);
	if ((out = fdopen(STDOUT_FILENO, "w")) == NULL)
		_exit(1);
	setvbuf(out, NULL, _IOFBF, DEVICE_OUTPUT_CHUNK);
	ctx.root = d->o.root;
	ctx.out = out;
	ctx.colour = true; /* EVE's client expects the colours */
	ctx.timerange = c->timerange != NULL ? c->timerange : "";
	ctx.extraline = c->extraline;
	ctx.is_json = c->is_json;
	ctx.logtype = c->logtype != NULL ? c->logtype : "";
	ctx.now = time(NULL);
	ctx.stop = &stop;
	/* The session header first, as EVE's device prints it (section 8.2). */
	struct basics_info bi = {0};
	bi.endpoint = c->client_ep_addr;
	bi.jwt_expiry = (time_t)d->jwt->claims.exp;
	bi.instance = (int)d->o.inst;
	if (basics_print(&ctx, &bi) != 0)
		cmd_printf(&ctx, "(session header incomplete)\n");
	fflush(out);
	/* A refused query has already printed why; the exit code is for us. */
	int r = query_run(&ctx, c);
	fflush(out);
	_exit(r == 0 ? 0 : 1);
}

static void
worker_start(struct device *d, const struct ev_cmd *c)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		send_str(d, "device: cannot run the command (pipe)\n");
		send_str(d, "+++Done+++");
		return;
	}
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		send_str(d, "device: cannot run the command (fork)\n");
		send_str(d, "+++Done+++");
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		worker_child(d, c, fds[1]);
	}
	close(fds[1]);
	setpgid(pid, pid);
	d->pid = pid;
	d->pipe_fd = fds[0];
	fcntl(d->pipe_fd, F_SETFL, O_NONBLOCK);
	ev_io_init(&d->pipe_w, on_pipe, d->pipe_fd, EV_READ);
	d->pipe_w.data = d;
	ev_io_start(d->l->loop, &d->pipe_w);
	d->reading = true;
}

static void
audit(struct device *d, const struct ev_cmd *c, const char *key_comment)
{
	char line[DEVICE_AUDIT_LINE + 2];
	size_t n;

	policy_audit_line(c, d->o.inst,
	                  key_comment != NULL && *key_comment != '\0' ? key_comment : NULL, line,
	                  DEVICE_AUDIT_LINE);
	ev_log_notice("%s", line);
	if (d->audit_fd >= 0) {
		/* The file's lines start with the time (RFC 3339, UTC): the agent
		 * reports each event at the time it happened. */
		char out[DEVICE_AUDIT_LINE + 48];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(out + n, sizeof(out) - n, ".%03ldZ %s\n",
		                      ts.tv_nsec / 1000000, line);
		if (n >= sizeof(out))
			n = sizeof(out) - 1;
		if (write(d->audit_fd, out, n) != (ssize_t)n)
			ev_log_warn("audit file: short write");
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
handle_command(struct device *d, const uint8_t *p, size_t len, const char *key_comment)
{
	struct ev_cmd c = {0};
	const char *reason;
	char msg[256];
	bool legacy;
	int r;

	if ((r = ev_cmd_decode((const char *)p, len, &c)) != 0) {
		/* Go ignores undecodable commands silently, and its client then
		 * waits forever; we say why and end the command. */
		ev_log_warn_r(r, "command from %s is not valid JSON", d->endpoint);
		snprintf(msg, sizeof(msg), "cmd not valid: %s\n", ev_strerror(r));
		send_str(d, msg);
		send_str(d, "+++Done+++");
		return;
	}
	if ((r = replay_check(d->replay, &c, now_ms(), &legacy)) != 0) {
		snprintf(msg, sizeof(msg), "cmd replay check failed: %s", ev_strerror(r));
		ev_log_notice("refused: %s (%s)", msg, ev_errname(r));
		send_str(d, msg);
		send_str(d, "+++Done+++");
		goto out;
	}
	if (legacy)
		ev_log_notice("legacy command without replay protection (EVE client) from %s",
		              d->endpoint);
	if (d->pid > 0) {
		/* One command at a time; a new one means the old is abandoned. */
		worker_stop(d, true);
	}
	if (policy_check(&d->cfg, &c, &d->counts, &reason) != 0) {
		snprintf(msg, sizeof(msg), "cmd policy check failed: %s", reason);
		ev_log_notice("refused: %s", msg);
		send_str(d, msg);
		send_str(d, "+++Done+++");
		goto out;
	}
	audit(d, &c, key_comment);
	status_count(d->status, &d->counts);
	worker_start(d, &c);
out:
	ev_cmd_free(&c);
}

static bool
starts(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(p, prefix, n) == 0;
}

static bool
contains(const uint8_t *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle)) != NULL;
}

/* EVE's answer to any envelope that does not verify (protocol 6.6). */
static void
verify_failed(struct device *d, const char *specific)
{
	if (specific != NULL)
		send_str(d, specific);
	send_str(d, "authentication for command failed to verify\n");
	send_str(d, "+++Done+++");
}

/* The client has left (or must leave): forget its channel. */
static void
client_gone(struct device *d)
{
	if (d->pid > 0)
		worker_stop(d, true);
	ev_evx_chan_wipe(&d->chan);
	d->client_seen = false;
}

/* The trusted signers changed: the session of the current client ends
 * (device API 9.6, fail closed); new commands use the new keys. */
static void
keys_changed(struct device *d)
{
	ev_log_notice("trusted keys changed%s",
	              d->client_seen ? "; ending the client's session" : "");
	if (!d->client_seen)
		return;
	send_str(d, AUTH_MSG_CHANGED);
	client_gone(d);
}

static bool
is_exactly(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

/* A verified payload: a command, or the client's own markers. */
static void
handle_payload(struct device *d, const uint8_t *p, size_t len, bool binary, const char *comment)
{
	if (binary) {
		/* No transfer is started by this device yet, so nothing may steer
		 * one: an unsolicited binary frame starts nothing (weakness 5). */
		if (contains(p, len, "\"mappingId\""))
			ev_log_notice("tcpData without a verified TCP setup ignored");
		else
			ev_log_notice("binary frame outside a transfer ignored");
		return;
	}
	if (contains(p, len, "+++Done+++") || contains(p, len, "+++tcpDone+++"))
		return; /* the client finishing its session */
	handle_command(d, p, len, comment);
}

/*
 * aut 1/2, a text frame (protocol 6.3).  hmac_ok: the frame also carried a
 * valid MAC (or came through the encrypted channel), which lets the
 * client's unsigned post-transfer "+++Done+++" pass quietly instead of
 * drawing three verify-failed replies (weakness 21).
 */
static void
handle_signed(struct device *d, const struct ev_envelope *e, bool hmac_ok)
{
	char comment[AUTH_COMMENT_MAX];
	const char *reply = NULL;
	int r;

	if (e->signature.len == 0 && hmac_ok &&
	    is_exactly(e->message.p, e->message.len, "+++Done+++"))
		return;
	if ((r = auth_verify(d->auth, e, comment, &reply)) != 0) {
		if (r == EV_ERR_AUTH_KEYS_CHANGED) {
			keys_changed(d);
			return;
		}
		ev_log_warn("authen failed on json msg: %s (%s)", ev_strerror(r), ev_errname(r));
		verify_failed(d, reply);
		return;
	}
	handle_payload(d, e->message.p, e->message.len, false, comment);
}

/* enc tokens: everything travels in our channel (docs/SECURITY.md). */
static void
handle_encrypted(struct device *d, const struct ev_envelope *e, bool binary)
{
	const char *key = d->jwt->claims.key != NULL ? d->jwt->claims.key : "";
	struct ev_evx_hello h;
	struct ev_envelope inner;
	struct ev_buf *b = NULL;
	char nonce[EV_EVX_ID_LEN + 1];
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	int r;

	if (ev_evx_is_hello(e)) {
		if (binary ||
		    (r = ev_evx_hello_open(e, (const uint8_t *)key, strlen(key), &h)) != 0) {
			ev_log_warn("authen failed on json msg: encryption hello not valid");
			verify_failed(d, NULL);
			return;
		}
		client_gone(d); /* a hello starts a new client session */
		if ((r = ev_evx_random_id(nonce)) != 0 ||
		    (r = ev_evx_chan_init(&d->chan, false, d->jwt->token, d->jwt->token_len,
		                          (const uint8_t *)key, strlen(key), h.session, h.nonce,
		                          nonce)) != 0 ||
		    (b = ev_buf_new(EV_MAX_CMD_JSON)) == NULL ||
		    (r = ev_evx_hello_seal((const uint8_t *)key, strlen(key), h.session, nonce,
		                           b)) != 0 ||
		    (r = ev_ws_send(d->ws, (const uint8_t *)ev_buf_str(b), ev_buf_len(b), false)) !=
		            0) {
			ev_log_warn_r(r != 0 ? r : EV_ERR_NOMEM, "encryption hello");
			ev_evx_chan_wipe(&d->chan);
		} else {
			d->client_seen = true;
			ev_log_info("encrypted session %.6s... started", h.session);
		}
		ev_buf_free(b);
		return;
	}
	if (!ev_evx_is_data(e)) {
		if (e->iv.len > 0 || (e->cipher != NULL && *e->cipher != '\0')) {
			/* EVE's client: its key is never shared (protocol 6.5). */
			ev_log_warn("authen failed on json msg: EVE 0.8.8 encryption cannot work");
			send_raw(
			        d,
			        "Edgeview encrypted message: this device does not accept EVE 0.8.8 "
			        "encryption, which cannot work (each side keys it with a secret it "
			        "never shares); use the edgeview C client or a token without "
			        "enc\n");
			return;
		}
		ev_log_warn(
		        "authen failed on json msg: not encrypted, the token asks for encryption");
		verify_failed(d, NULL);
		return;
	}
	if ((r = ev_evx_open(&d->chan, e, binary, &pt, &ptlen)) != 0) {
		ev_log_warn("authen failed on json msg: %s (%s)", ev_strerror(r), ev_errname(r));
		verify_failed(d, NULL);
		return;
	}
	d->client_seen = true;
	if (d->jwt->claims.aut != EV_AUT_HMAC && !binary) {
		/* Signed messages travel as a whole signed envelope. */
		if (ev_envelope_parse((const char *)pt, ptlen, &inner) == 0) {
			handle_signed(d, &inner, true);
			ev_envelope_free(&inner);
		} else {
			struct ev_envelope bare = {.message = {pt, ptlen}};
			handle_signed(d, &bare, true);
		}
	} else {
		handle_payload(d, pt, ptlen, binary, NULL);
	}
	ev_freezero(pt, ptlen);
}

static void
on_message(void *arg, const uint8_t *p, size_t len, bool binary)
{
	struct device *d = arg;
	struct ev_envelope e;
	const char *key = d->jwt->claims.key != NULL ? d->jwt->claims.key : "";
	int r;

	if ((r = ev_envelope_parse((const char *)p, len, &e)) != 0) {
		/* Raw dispatcher strings (section 5.3). */
		if (starts(p, len, "no device online")) {
			if (d->pid > 0)
				ev_log_info("client left; stopping its command");
			client_gone(d);
		} else if (starts(p, len, "YourEndPointIPAddr:")) {
			size_t n = len - 19 < sizeof(d->endpoint) - 1 ? len - 19
			                                              : sizeof(d->endpoint) - 1;
			memcpy(d->endpoint, p + 19, n);
			d->endpoint[n] = '\0';
			ev_log_info("dispatcher sees this device as %s", d->endpoint);
		} else {
			ev_log_notice("ignored a message of %zu bytes that is not an envelope",
			              len);
		}
		return;
	}
	if (d->jwt->claims.enc) {
		handle_encrypted(d, &e, binary);
		goto out;
	}
	d->client_seen = true;
	r = ev_envelope_check_hmac(&e, (const uint8_t *)key, strlen(key), false);
	if (d->jwt->claims.aut != EV_AUT_HMAC && !binary) {
		/* Signed text: the MAC is not required (EVE), the signature is. */
		handle_signed(d, &e, r == 0);
		goto out;
	}
	if (r != 0) {
		ev_log_warn_r(r, "authen failed on json msg");
		verify_failed(d, NULL);
		goto out;
	}
	handle_payload(d, e.message.p, e.message.len, binary, NULL);
out:
	ev_envelope_free(&e);
}

static void
on_keys_file(struct ev_loop *loop, ev_stat *w, int revents)
{
	struct device *d = w->data;

	(void)loop;
	(void)revents;
	if (auth_reload(d->auth))
		keys_changed(d);
}

static void
on_open(void *arg)
{
	struct device *d = arg;
	char prefix[12];

	ev_token_hash_log_prefix(d->hash, prefix);
	ev_log_notice("connected to the dispatcher %s%s as %s (session %s)", d->dep.hostport,
	              d->dep.path, d->hostname, prefix);
	/* The TLS handshake's scratch memory is freed now; give it back, since
	 * a device mostly waits idle for an engineer. */
	malloc_trim(0);
}

static void
on_close(void *arg, bool will_retry, const char *why)
{
	struct device *d = arg;

	ev_log_warn("dispatcher connection lost (%s)%s", why, will_retry ? "; reconnecting" : "");
	worker_stop(d, true);
}

static void
on_writable(void *arg)
{
	struct device *d = arg;

	if (d->pipe_fd >= 0 && !d->reading) {
		ev_io_start(d->l->loop, &d->pipe_w);
		d->reading = true;
	}
}

static void
on_expiry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct device *d = w->data;

	(void)revents;
	/* EVE relies on its init script to kill an expired device; we stop. */
	ev_log_notice("session token expired; stopping");
	d->exit_status = 0;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	ev_log_notice("signal %d; stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static int
load_identity(struct device *d, char *uuid, size_t cap)
{
	char path[4096], *text = NULL;
	size_t len = 0;
	struct cmd_ctx ctx = {.root = d->o.root};
	int r;

	uuid[0] = '\0';
	if ((r = cmd_path(&ctx, "/persist/status/uuid", path, sizeof(path))) != 0)
		return r;
	if (ev_file_read_capped(path, EV_MAX_UUID_FILE, &text, &len) == 0) {
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
		if (len < cap) {
			memcpy(uuid, text, len);
			uuid[len] = '\0';
		}
		free(text);
	}
	if ((r = cmd_path(&ctx, "/run/edgeview/edge-view-config", path, sizeof(path))) != 0)
		return r;
	if ((r = ev_evcfg_load(path, &d->cfg)) != 0) {
		ev_log_warn_r(r, "%s: policies unknown, every command will be refused", path);
		memset(&d->cfg, 0, sizeof(d->cfg));
	}
	return 0;
}

int
device_run(const struct device_opts *o)
{
	struct device d;
	struct ev_ws_loop_cfg lc = {0};
	struct ev_ws_cfg wc = {0};
	struct ev_ws_callbacks cb = {on_open, on_message, on_close, on_writable};
	struct cmd_ctx ctx = {.root = o->root};
	char uuid[EV_MAX_UUID_FILE], host[256], ca[4096], audit_path[4096];
	unsigned inst = 0;
	struct ev_time started;
	struct replay_cfg rc = {0};
	char proxy[EV_PROXY_MAX];
	time_t now = time(NULL);
	int r;

	memset(&d, 0, sizeof(d));
	d.o = *o;
	d.pipe_fd = -1;
	d.audit_fd = -1;
	d.exit_status = 1;
	if ((r = ev_jwt_parse(o->token, strlen(o->token), &d.jwt)) != 0) {
		ev_log_err_r(r, "token");
		goto out;
	}
	/* StartedOn of EdgeviewStatus is when the token was taken in. */
	if ((r = ev_time_now(&started)) != 0) {
		ev_log_err_r(r, "clock");
		goto out;
	}
	if ((r = load_identity(&d, uuid, sizeof(uuid))) != 0)
		goto out;
	if ((r = ev_jwt_validate(d.jwt, now, uuid[0] != '\0' ? uuid : NULL)) != 0) {
		ev_log_err_r(r, "token");
		goto out;
	}
	if ((r = ev_jwt_device_instance(&d.jwt->claims, o->inst, &inst)) != 0) {
		ev_log_err_r(r, "token has num %u, instance %u", d.jwt->claims.num, o->inst);
		goto out;
	}
	d.o.inst = inst;
	if ((r = ev_jwt_dep_parse(d.jwt->claims.dep, &d.dep)) != 0 ||
	    (r = ev_token_hash(o->token, strlen(o->token), inst, EV_TOKEN_HASH_FULL, d.hash)) !=
	            0) {
		ev_log_err_r(r, "token");
		goto out;
	}
	/* Commands must name this device: its UUID, else the token's. */
	snprintf(d.uuid, sizeof(d.uuid), "%s", uuid[0] != '\0' ? uuid : d.jwt->claims.sub);
	rc.window_secs = o->replay_window > 0 ? o->replay_window : REPLAY_WINDOW_DEFAULT;
	rc.strict = o->strict;
	rc.uuid = d.uuid;
	rc.token_hash = d.hash;
	if ((r = replay_new(&rc, &d.replay)) != 0) {
		ev_log_err_r(r, "replay protection");
		goto out;
	}
	if (d.jwt->claims.aut != EV_AUT_HMAC &&
	    (r = auth_new(o->root, d.jwt->claims.aut, &d.auth)) != 0) {
		ev_log_err_r(r, "trusted signers");
		goto out;
	}
	if (gethostname(host, sizeof(host)) != 0)
		memcpy(host, "edge-node", 10);
	host[sizeof(host) - 1] = '\0';
	if (inst > 0)
		snprintf(d.hostname, sizeof(d.hostname), "%s-inst-%u-EV-server", host, inst);
	else
		snprintf(d.hostname, sizeof(d.hostname), "%s-EV-server", host);

	/* Trust: --cafile, else EVE's pinned dispatcher CA, else the system. */
	lc.cafile = o->cafile;
	if (lc.cafile == NULL &&
	    cmd_path(&ctx, "/persist/certs/wss-server-cacert.pem", ca, sizeof(ca)) == 0 &&
	    access(ca, R_OK) == 0)
		lc.cafile = ca;
	/* --proxy, else https_proxy / no_proxy from the environment. */
	lc.proxy = o->proxy;
	if (lc.proxy == NULL) {
		if ((r = ev_proxy_for(d.dep.host, proxy)) != 0)
			ev_log_warn("https_proxy is not usable (http://HOST:PORT without "
			            "credentials); connecting directly");
		if (proxy[0] != '\0') {
			lc.proxy = proxy;
			ev_log_notice("connecting through the proxy %s", proxy);
		}
	}
	if ((r = ev_ws_loop_new(&lc, &d.l)) != 0) {
		ev_log_err_r(r, "event loop");
		goto out;
	}
	/* Published at start, before the dispatcher answers (protocol 11.3). */
	if ((r = status_open(d.l->loop, o->root, inst, d.jwt->claims.exp, &started,
	                     o->status_debounce > 0 ? o->status_debounce : STATUS_DEBOUNCE_SECS,
	                     &d.status)) != 0) {
		ev_log_err_r(r, "EdgeviewStatus publication");
		if (inst <= 1)
			goto out; /* as EVE: no status, no session */
	}
	if (cmd_path(&ctx, o->audit_file != NULL ? o->audit_file : "/persist/edgeview/audit.log",
	             audit_path, sizeof(audit_path)) == 0) {
		if (ev_dir_ensure_parent(audit_path, 0700) != 0)
			ev_log_warn("cannot create the directory of %s", audit_path);
		d.audit_fd = open(audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (d.audit_fd < 0)
			ev_log_warn("audit file %s: %s (audit lines go to the log only)",
			            audit_path, strerror(errno));
	}
	wc.host = d.dep.host;
	wc.port = d.dep.port;
	wc.hostport = d.dep.hostport;
	wc.path = d.dep.path;
	wc.token_hash = d.hash;
	wc.hostname = d.hostname;
	wc.insecure = o->insecure;
	wc.max_attempts = 0;
	if ((r = ev_ws_new(d.l, &wc, &cb, &d, &d.ws)) != 0) {
		ev_log_err_r(r, "dispatcher connection");
		goto out;
	}
	ev_timer_init(&d.expiry_w, on_expiry, (double)(d.jwt->claims.exp - (uint64_t)now) + 1, 0);
	d.expiry_w.data = &d;
	ev_timer_start(d.l->loop, &d.expiry_w);
	if (auth_watch_path(d.auth) != NULL) {
		/* Prompt end of sessions when the controller withdraws a key;
		 * every verification re-reads the keys as well. */
		ev_stat_init(&d.keys_w, on_keys_file, auth_watch_path(d.auth), 1.0);
		d.keys_w.data = &d;
		ev_stat_start(d.l->loop, &d.keys_w);
	}
	ev_signal_init(&d.sigterm_w, on_signal, SIGTERM);
	ev_signal_init(&d.sigint_w, on_signal, SIGINT);
	ev_signal_start(d.l->loop, &d.sigterm_w);
	ev_signal_start(d.l->loop, &d.sigint_w);
	signal(SIGPIPE, SIG_IGN);
	ev_log_notice("device %s, instance %u, dispatcher %s%s, token expires in %llu s",
	              uuid[0] != '\0' ? uuid : "(no /persist/status/uuid)", inst, d.dep.hostport,
	              d.dep.path, (unsigned long long)(d.jwt->claims.exp - (uint64_t)now));
	d.exit_status = 0;
	ev_run(d.l->loop, 0);
	ev_timer_stop(d.l->loop, &d.expiry_w);
	if (d.auth != NULL && auth_watch_path(d.auth) != NULL)
		ev_stat_stop(d.l->loop, &d.keys_w);
	ev_signal_stop(d.l->loop, &d.sigterm_w);
	ev_signal_stop(d.l->loop, &d.sigint_w);
out:
	worker_stop(&d, true);
	status_close(d.status);
	ev_ws_free(d.ws);
	ev_ws_loop_free(d.l);
	if (d.audit_fd >= 0)
		close(d.audit_fd);
	ev_evcfg_free(&d.cfg);
	ev_evx_chan_wipe(&d.chan);
	auth_free(d.auth);
	replay_free(d.replay);
	ev_jwt_free(d.jwt);
	return d.exit_status;
}
