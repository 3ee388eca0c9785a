/* supervisor.c - one device process per instance, driven by the config file. */
#include "supervisor.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_mem.h"

#define SUP_CONFIG_DIR  "/run/edgeview"
#define SUP_CONFIG_NAME "edge-view-config"
#define SUP_DEP_CA_NAME "edgeviewd-dispatcher-ca.pem"
/* A device process that dies is restarted after this, doubling to the cap. */
#define SUP_RESTART_MIN 1.0
#define SUP_RESTART_MAX 60.0

struct instance {
	pid_t pid;
	unsigned inst;
	double backoff;
	ev_timer restart_w;
	struct supervisor *s;
};

struct supervisor {
	struct device_opts base;
	struct ev_loop *loop;
	char dir[PATH_MAX], file[PATH_MAX], dep_ca[PATH_MAX];
	int ino_fd;
	ev_io ino_w;
	ev_child child_w;
	ev_timer expiry_w;
	ev_signal term_w, int_w;
	uint8_t digest[EV_SHA256_LEN]; /* of the file the instances run with */
	bool running;                  /* device processes of the current config are up */
	bool stopping;                 /* waiting for them to exit */
	bool pending;                  /* reconcile once they have */
	bool exiting;                  /* then leave the loop */
	ev_timer kill_w;
	struct ev_evcfg cfg;
	struct instance inst[EV_MAX_INSTANCES];
	unsigned ninst;
};

static void start_instance(struct supervisor *s, struct instance *in);

/* Stopped processes are waited for by the loop; a process that ignores
 * SIGTERM this long gets SIGKILL. */
#define SUP_STOP_GRACE 5.0

static bool
all_exited(const struct supervisor *s)
{
	for (unsigned i = 0; i < s->ninst; i++)
		if (s->inst[i].pid > 0)
			return false;
	return true;
}

/*
 * Ask every device process to stop.  The supervisor does not block: the
 * loop sees each exit (on_child) and, once all are gone, finishes the stop
 * and carries on with what was pending (a restart, or exiting).
 */
static void
stop_all(struct supervisor *s, const char *why)
{
	if (!s->running)
		return;
	ev_log_notice("stopping %u device process%s: %s", s->ninst, s->ninst == 1 ? "" : "es", why);
	s->running = false;
	s->stopping = true;
	for (unsigned i = 0; i < s->ninst; i++) {
		struct instance *in = &s->inst[i];
		ev_timer_stop(s->loop, &in->restart_w);
		if (in->pid > 0)
			kill(in->pid, SIGTERM);
	}
	ev_timer_stop(s->loop, &s->expiry_w);
	ev_timer_set(&s->kill_w, SUP_STOP_GRACE, 0);
	ev_timer_start(s->loop, &s->kill_w);
	memset(s->digest, 0, sizeof(s->digest));
	/* The dispatcher certificates belonged to that config. */
	if (unlink(s->dep_ca) != 0 && errno != ENOENT)
		ev_log_warn("cannot remove %s: %s", s->dep_ca, strerror(errno));
}

static void reconcile(struct supervisor *s);

/* Every device process is gone: forget them, then do what waited. */
static void
stop_done(struct supervisor *s)
{
	s->stopping = false;
	ev_timer_stop(s->loop, &s->kill_w);
	ev_evcfg_free(&s->cfg);
	s->ninst = 0;
	if (s->exiting)
		ev_break(s->loop, EVBREAK_ALL);
	else if (s->pending) {
		s->pending = false;
		reconcile(s);
	}
}

static void
on_kill(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct supervisor *s = w->data;

	(void)loop;
	(void)revents;
	for (unsigned i = 0; i < s->ninst; i++)
		if (s->inst[i].pid > 0) {
			ev_log_warn("device process %d ignored SIGTERM; killing it",
			            (int)s->inst[i].pid);
			kill(s->inst[i].pid, SIGKILL);
		}
}

static void
on_restart(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct instance *in = w->data;

	(void)loop;
	(void)revents;
	if (in->s->running)
		start_instance(in->s, in);
}

static void
start_instance(struct supervisor *s, struct instance *in)
{
	struct device_opts o = s->base;
	pid_t pid;

	o.token = s->cfg.token;
	o.inst = in->inst;
	if (o.cafile == NULL && s->cfg.dep_certs != NULL)
		o.cafile = s->dep_ca;
	if ((pid = fork()) < 0) {
		ev_log_err("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* The child runs the session on its own loop: let go of the
		 * supervisor's watchers first (libev ties each signal to one
		 * loop, and this copy of the default loop is not ours). */
		ev_signal_stop(s->loop, &s->term_w);
		ev_signal_stop(s->loop, &s->int_w);
		ev_child_stop(s->loop, &s->child_w);
		ev_io_stop(s->loop, &s->ino_w);
		ev_timer_stop(s->loop, &s->expiry_w);
		ev_timer_stop(s->loop, &s->kill_w);
		ev_loop_destroy(s->loop);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		close(s->ino_fd);
		_exit(device_run(&o));
	}
	in->pid = pid;
	ev_log_notice("device process %d started for instance %u", (int)pid, in->inst);
}

static void
on_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct supervisor *s = w->data;

	(void)loop;
	(void)revents;
	for (unsigned i = 0; i < s->ninst; i++) {
		struct instance *in = &s->inst[i];
		if (in->pid != w->rpid)
			continue;
		in->pid = 0;
		if (s->stopping) {
			if (all_exited(s))
				stop_done(s);
			return;
		}
		if (!s->running)
			return;
		/* The device exits by itself only on a fatal error or at expiry;
		 * restart it, slower each time, in case the cause goes away. */
		ev_log_warn(
		        "device process %d (instance %u) exited with status %d; restart in %.0f s",
		        (int)w->rpid, in->inst,
		        WIFEXITED(w->rstatus) ? WEXITSTATUS(w->rstatus) : -1, in->backoff);
		ev_timer_set(&in->restart_w, in->backoff, 0);
		ev_timer_start(s->loop, &in->restart_w);
		in->backoff = in->backoff * 2 > SUP_RESTART_MAX ? SUP_RESTART_MAX : in->backoff * 2;
	}
}

static void
on_expiry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	stop_all(w->data, "the token expired");
}

/* Read the config; run, restart or stop the instances to match it. */
static void
reconcile(struct supervisor *s)
{
	char *text = NULL;
	size_t len = 0;
	uint8_t digest[EV_SHA256_LEN];
	struct ev_evcfg cfg = {0};
	time_t now = time(NULL);
	int r;

	if (s->stopping) {
		s->pending = true; /* look again once the old processes are gone */
		return;
	}
	if ((r = ev_file_read_capped(s->file, EV_MAX_EVCFG_FILE, &text, &len)) != 0) {
		stop_all(s, r == EV_ERR_NOT_FOUND ? "edge-view-config removed" : ev_strerror(r));
		return;
	}
	if ((r = ev_sha256(text, len, digest)) != 0)
		goto out;
	if (s->running && ev_timingsafe_eq(digest, s->digest, sizeof(digest)))
		goto out; /* touched, not changed */
	if ((r = ev_evcfg_parse(text, len, &cfg)) != 0) {
		ev_log_err_r(r, "%s", s->file);
		stop_all(s, "edge-view-config is not valid");
		goto out;
	}
	if (s->running) {
		/* Never two generations at once: start after the old ones exit. */
		stop_all(s, "edge-view-config changed");
		s->pending = true;
		goto out;
	}
	if (cfg.exp <= (uint64_t)now) {
		ev_log_notice("token in %s has expired; nothing to run", s->file);
		goto out;
	}
	if (cfg.dep_certs != NULL &&
	    (r = ev_file_write_atomic(s->dep_ca, cfg.dep_certs, strlen(cfg.dep_certs), 0600,
	                              "edgeviewd-ca")) != 0)
		ev_log_warn_r(r, "cannot write the dispatcher certificates to %s", s->dep_ca);
	s->cfg = cfg;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(s->digest, digest, sizeof(digest));
	s->running = true;
	s->ninst = s->cfg.multi_inst > 1 ? s->cfg.multi_inst : 1;
	for (unsigned i = 0; i < s->ninst; i++) {
		struct instance *in = &s->inst[i];
		in->inst = s->cfg.multi_inst > 1 ? i + 1 : 0;
		in->backoff = SUP_RESTART_MIN;
		in->s = s;
		ev_timer_init(&in->restart_w, on_restart, 0, 0);
		in->restart_w.data = in;
		start_instance(s, in);
	}
	ev_timer_set(&s->expiry_w, (double)(s->cfg.exp - (uint64_t)now), 0);
	ev_timer_start(s->loop, &s->expiry_w);
out:
	ev_evcfg_free(&cfg);
	ev_freezero(text, len);
}

static void
on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct supervisor *s = w->data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool ours = false;
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = read(s->ino_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)(void *)p;
			if (e->len > 0 && strcmp(e->name, SUP_CONFIG_NAME) == 0)
				ours = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (ours)
		reconcile(s);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct supervisor *s = w->data;

	(void)revents;
	s->exiting = true;
	if (s->running)
		stop_all(s, "signal");
	else if (!s->stopping)
		ev_break(loop, EVBREAK_ALL);
}

int
supervisor_run(const struct device_opts *base)
{
	static struct supervisor s;
	struct cmd_ctx ctx = {.root = base->root};
	int r;

	memset(&s, 0, sizeof(s));
	s.base = *base;
	s.ino_fd = -1;
	if ((r = cmd_path(&ctx, SUP_CONFIG_DIR, s.dir, sizeof(s.dir))) != 0 ||
	    (r = cmd_path(&ctx, SUP_CONFIG_DIR "/" SUP_CONFIG_NAME, s.file, sizeof(s.file))) != 0 ||
	    (r = cmd_path(&ctx, SUP_CONFIG_DIR "/" SUP_DEP_CA_NAME, s.dep_ca, sizeof(s.dep_ca))) !=
	            0) {
		ev_log_err_r(r, "--root");
		return 1;
	}
	if ((r = ev_dir_ensure(s.dir, 0755)) != 0) {
		ev_log_err_r(r, "%s", s.dir);
		return 1;
	}
	/* Writers rename a temp file into place (MOVED_TO) or write it. */
	if ((s.ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(s.ino_fd, s.dir,
	                      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
	                              IN_CREATE) < 0) {
		ev_log_err("inotify on %s: %s", s.dir, strerror(errno));
		return 1;
	}
	s.loop = ev_default_loop(EVFLAG_AUTO);
	ev_io_init(&s.ino_w, on_inotify, s.ino_fd, EV_READ);
	s.ino_w.data = &s;
	ev_io_start(s.loop, &s.ino_w);
	ev_child_init(&s.child_w, on_child, 0, 0);
	s.child_w.data = &s;
	ev_child_start(s.loop, &s.child_w);
	ev_timer_init(&s.expiry_w, on_expiry, 0, 0);
	s.expiry_w.data = &s;
	ev_timer_init(&s.kill_w, on_kill, 0, 0);
	s.kill_w.data = &s;
	ev_signal_init(&s.term_w, on_signal, SIGTERM);
	ev_signal_init(&s.int_w, on_signal, SIGINT);
	s.term_w.data = s.int_w.data = &s;
	ev_signal_start(s.loop, &s.term_w);
	ev_signal_start(s.loop, &s.int_w);
	ev_log_notice("supervising %s", s.file);
	reconcile(&s);
	ev_run(s.loop, 0);
	close(s.ino_fd);
	ev_evcfg_free(&s.cfg);
	return 0;
}
