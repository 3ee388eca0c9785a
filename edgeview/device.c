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

#include "basics.h"
#include "cmd.h"
#include "ev_cmd.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_jwt.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_proxy.h"
#include "ev_status.h"
#include "ev_token.h"
#include "ev_ws.h"
#include "policy.h"
#include "query.h"
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
	int r = ev_ws_send_hmac(d->ws, d->jwt->claims.key, p, len, false);

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
audit(struct device *d, const struct ev_cmd *c)
{
	char line[DEVICE_AUDIT_LINE + 2];
	size_t n;

	policy_audit_line(c, d->o.inst, NULL, line, DEVICE_AUDIT_LINE);
	ev_log_notice("%s", line);
	if (d->audit_fd >= 0) {
		n = strlen(line);
		line[n++] = '\n';
		if (write(d->audit_fd, line, n) != (ssize_t)n)
			ev_log_warn("audit file: short write");
	}
}

static void
handle_command(struct device *d, const uint8_t *p, size_t len)
{
	struct ev_cmd c = {0};
	const char *reason;
	char msg[256];
	int r;

	if ((r = ev_cmd_decode((const char *)p, len, &c)) != 0) {
		/* Go ignores undecodable commands silently; we log why. */
		ev_log_warn_r(r, "command from %s is not valid JSON", d->endpoint);
		return;
	}
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
	audit(d, &c);
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
			if (d->pid > 0) {
				ev_log_info("client left; stopping its command");
				worker_stop(d, true);
			}
		} else if (starts(p, len, "YourEndPointIPAddr:")) {
			size_t n = len - 19 < sizeof(d->endpoint) - 1 ? len - 19
			                                              : sizeof(d->endpoint) - 1;
			memcpy(d->endpoint, p + 19, n);
			d->endpoint[n] = '\0';
			ev_log_info("dispatcher sees this device as %s", d->endpoint);
		} else {
			ev_log_debug("ignored a raw message of %zu bytes", len);
		}
		return;
	}
	if ((r = ev_envelope_check_hmac(&e, (const uint8_t *)key, strlen(key), false)) != 0) {
		ev_log_warn_r(r, "authen failed on json msg");
		send_str(d, "authentication for command failed to verify\n");
		send_str(d, "+++Done+++");
		goto out;
	}
	if (binary) {
		ev_log_debug("binary frame outside a transfer ignored");
		goto out;
	}
	if (contains(e.message.p, e.message.len, "+++Done+++") ||
	    contains(e.message.p, e.message.len, "+++tcpDone+++"))
		goto out; /* the client finishing its session */
	handle_command(d, e.message.p, e.message.len);
out:
	ev_envelope_free(&e);
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
	if (d.jwt->claims.aut != EV_AUT_HMAC || d.jwt->claims.enc) {
		/* Signed commands and the encrypted mode come with their own
		 * verification; until then such a token cannot be served safely. */
		ev_log_err("token asks for %s; this device serves HMAC sessions only for now",
		           d.jwt->claims.enc ? "encryption" : "signed commands (aut 1/2)");
		goto out;
	}
	d.o.inst = inst;
	if ((r = ev_jwt_dep_parse(d.jwt->claims.dep, &d.dep)) != 0 ||
	    (r = ev_token_hash(o->token, strlen(o->token), inst, EV_TOKEN_HASH_FULL, d.hash)) !=
	            0) {
		ev_log_err_r(r, "token");
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
		char *slash = strrchr(audit_path, '/');
		if (slash != NULL && slash != audit_path) {
			*slash = '\0';
			if (ev_dir_ensure(audit_path, 0700) != 0)
				ev_log_warn("cannot create %s", audit_path);
			*slash = '/';
		}
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
	ev_jwt_free(d.jwt);
	return d.exit_status;
}
