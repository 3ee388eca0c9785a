/*
 * status.c - EdgeviewStatus publication and multi-instance sums (see
 * status.h for what departs from EVE and why).
 */
#include "status.h"

#include <errno.h>
#include <ev.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_log.h"
#include "ev_status.h"
#include "policy.h"

#define STATUS_TOPIC   "EdgeviewStatus"
#define STATUS_KEY     "global"
#define STATUS_REQUEST "request " STATUS_TOPIC
/* Newer EVE publishers add their persistence; older subscribers ignore it. */
#define STATUS_HELLO    "hello " STATUS_TOPIC " false"
#define STATUS_COMPLETE "complete " STATUS_TOPIC
#define STATUS_DIR      "/run/edgeview/" STATUS_TOPIC
#define STATUS_SOCK     "/run/edgeview/" STATUS_TOPIC ".sock"
#define STATUS_REPORTS  "/run/edgeview/evStats.sock"
#define STATUS_PATH_MAX 4096
/* Datagrams read per wakeup, so a flood cannot starve the device's loop. */
#define STATUS_BURST 16

struct status_msg {
	char *data;
	size_t len;
};

struct status_sub {
	struct status *st;
	unsigned slot;
	int fd;
	bool active; /* the request was answered */
	ev_io rio, wio;
	ev_timer req_w;
	struct status_msg q[STATUS_SUB_QUEUE];
	unsigned qhead, qlen;
};

struct status {
	struct ev_loop *loop;
	unsigned inst;
	struct ev_status own;
	/* the latest report of instance i + 1 (slot 0, ourselves, unused) */
	struct ev_status peer[EV_MAX_INSTANCES];
	double debounce;
	bool pending;
	ev_timer debounce_w;
	/* publication, instance <= 1 */
	int listen_fd;
	ev_io listen_w;
	char json_path[STATUS_PATH_MAX];
	char sock_path[STATUS_PATH_MAX];
	char *json; /* what subscribers were last sent */
	size_t json_len;
	struct status_msg update; /* "update EdgeviewStatus <key> <json>" */
	struct status_sub *subs[STATUS_MAX_SUBSCRIBERS];
	/* reports: bound on instance 1, a sender on instances >= 2 */
	int report_fd;
	ev_io report_w;
	char report_path[STATUS_PATH_MAX];
	bool report_bound;
	uint8_t *report_buf;
	struct status_info info;
};

static void
msg_clear(struct status_msg *m)
{
	free(m->data);
	m->data = NULL;
	m->len = 0;
}

static void
sub_drop(struct status_sub *s, const char *why)
{
	struct status *st = s->st;

	ev_log_info("status subscriber %u dropped: %s", s->slot, why);
	ev_io_stop(st->loop, &s->rio);
	ev_io_stop(st->loop, &s->wio);
	ev_timer_stop(st->loop, &s->req_w);
	close(s->fd);
	for (unsigned i = 0; i < s->qlen; i++)
		msg_clear(&s->q[(s->qhead + i) % STATUS_SUB_QUEUE]);
	st->subs[s->slot] = NULL;
	st->info.subscribers--;
	free(s);
}

/* Sends what the socket takes now; false when s was dropped. */
static bool
sub_flush(struct status_sub *s)
{
	struct status_msg *m;
	ssize_t n;

	while (s->qlen > 0) {
		m = &s->q[s->qhead];
		n = send(s->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(s->st->loop, &s->wio);
			return true;
		}
		if (n < 0 || (size_t)n != m->len) {
			sub_drop(s, n < 0 ? strerror(errno) : "short send");
			return false;
		}
		msg_clear(m);
		s->qhead = (s->qhead + 1) % STATUS_SUB_QUEUE;
		s->qlen--;
	}
	ev_io_stop(s->st->loop, &s->wio);
	return true;
}

/* Queues a copy of p; false when s was dropped (full queue or no memory). */
static bool
sub_queue(struct status_sub *s, const char *p, size_t len)
{
	struct status_msg *m;

	if (s->qlen == STATUS_SUB_QUEUE) {
		sub_drop(s, "it does not read");
		return false;
	}
	m = &s->q[(s->qhead + s->qlen) % STATUS_SUB_QUEUE];
	if ((m->data = malloc(len)) == NULL) {
		sub_drop(s, "out of memory");
		return false;
	}
	memcpy(m->data, p, len);
	m->len = len;
	s->qlen++;
	return true;
}

static bool
sub_queue_str(struct status_sub *s, const char *str)
{
	return sub_queue(s, str, strlen(str));
}

static void
on_sub_write(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)sub_flush(w->data);
}

static void
on_sub_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	sub_drop(w->data, "no request in time");
}

static void
sub_answer(struct status_sub *s)
{
	struct status *st = s->st;

	s->active = true;
	ev_timer_stop(st->loop, &s->req_w);
	if (!sub_queue_str(s, STATUS_HELLO))
		return;
	if (st->update.data != NULL && !sub_queue(s, st->update.data, st->update.len))
		return;
	if (!sub_queue_str(s, STATUS_COMPLETE))
		return;
	(void)sub_flush(s);
}

static void
on_sub_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct status_sub *s = w->data;
	char buf[STATUS_REQUEST_MAX];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		sub_drop(s, n < 0 ? strerror(errno) : "closed");
		return;
	}
	if (s->active)
		return; /* EVE reads nothing after the request either */
	/* A full buffer may be a truncated datagram; EVE refuses it too. */
	if ((size_t)n == sizeof(buf) || (size_t)n != strlen(STATUS_REQUEST) ||
	    memcmp(buf, STATUS_REQUEST, (size_t)n) != 0) {
		ev_log_warn_r(EV_ERR_PUBSUB_REQUEST, "status subscriber %u sent %zd bytes", s->slot,
		              n);
		sub_drop(s, "invalid request");
		return;
	}
	sub_answer(s);
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct status *st = w->data;
	struct status_sub *s;
	unsigned slot;
	int fd;

	(void)revents;
	for (int burst = 0; burst < STATUS_BURST; burst++) {
		fd = accept4(st->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				ev_log_warn("status socket: accept: %s", strerror(errno));
			return;
		}
		for (slot = 0; slot < STATUS_MAX_SUBSCRIBERS && st->subs[slot] != NULL; slot++)
			;
		if (slot == STATUS_MAX_SUBSCRIBERS || (s = calloc(1, sizeof(*s))) == NULL) {
			ev_log_warn("status socket: subscriber refused (%u connected)",
			            st->info.subscribers);
			close(fd);
			continue;
		}
		s->st = st;
		s->slot = slot;
		s->fd = fd;
		ev_io_init(&s->rio, on_sub_read, fd, EV_READ);
		ev_io_init(&s->wio, on_sub_write, fd, EV_WRITE);
		ev_timer_init(&s->req_w, on_sub_timeout, STATUS_REQUEST_SECS, 0);
		s->rio.data = s->wio.data = s->req_w.data = s;
		ev_io_start(loop, &s->rio);
		ev_timer_start(loop, &s->req_w);
		st->subs[slot] = s;
		st->info.subscribers++;
	}
}

/* json becomes the value subscribers get; pushed to those that have it not. */
static int
set_value(struct status *st, const char *json, size_t len)
{
	struct ev_buf *b = NULL;
	struct status_msg m = {0};
	char *copy = NULL;
	int r;

	if (st->json != NULL && st->json_len == len && memcmp(st->json, json, len) == 0)
		return 0; /* EVE's differ sends nothing for an unchanged value */
	if ((b = ev_buf_new(STATUS_PUBSUB_MSG_LIMIT - 1)) == NULL ||
	    (copy = malloc(len + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_buf_put_str(b, "update " STATUS_TOPIC " ")) != 0 ||
	    (r = ev_b64_encode(EV_B64_STD, (const uint8_t *)STATUS_KEY, strlen(STATUS_KEY), b)) !=
	            0 ||
	    (r = ev_buf_put_u8(b, ' ')) != 0 ||
	    (r = ev_b64_encode(EV_B64_STD, (const uint8_t *)json, len, b)) != 0 ||
	    (r = ev_buf_take(b, (uint8_t **)&m.data, &m.len)) != 0) {
		if (r == EV_ERR_BUF_FULL)
			r = EV_ERR_TOO_BIG;
		goto out;
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	free(st->json);
	st->json = copy;
	st->json_len = len;
	copy = NULL;
	msg_clear(&st->update);
	st->update = m;
	m.data = NULL;
	for (unsigned i = 0; i < STATUS_MAX_SUBSCRIBERS; i++) {
		struct status_sub *s = st->subs[i];
		if (s != NULL && s->active && sub_queue(s, st->update.data, st->update.len))
			(void)sub_flush(s);
	}
	r = 0;
out:
	free(m.data);
	free(copy);
	ev_buf_free(b);
	return r;
}

static void
publish(struct status *st)
{
	struct ev_status v = st->own;
	struct ev_buf *b = NULL;
	int r;

	if (st->inst == 1) {
		/* Go's uint32 sums wrap; so do these. */
		for (unsigned i = 1; i < EV_MAX_INSTANCES; i++) {
			v.cmd_count_dev += st->peer[i].cmd_count_dev;
			v.cmd_count_app += st->peer[i].cmd_count_app;
			v.cmd_count_ext += st->peer[i].cmd_count_ext;
		}
	}
	if ((b = ev_buf_new(EV_MAX_STATUS_JSON)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_status_encode(&v, b)) != 0)
		goto out;
	/* Subscribers still get the value when the file cannot be written. */
	if ((r = ev_file_write_atomic(st->json_path, ev_buf_ptr(b), ev_buf_len(b), 0600, "tmp")) !=
	    0)
		ev_log_warn_r(r, "%s", st->json_path);
	else
		st->info.publications++;
	r = set_value(st, ev_buf_str(b), ev_buf_len(b));
out:
	if (r != 0)
		ev_log_warn_r(r, "publish " STATUS_TOPIC);
	ev_buf_free(b);
}

static int
sun_set(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path))
		return EV_ERR_TOO_BIG;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

static void
report(struct status *st)
{
	struct ev_evstats e = {.inst_id = st->inst, .stats = st->own};
	struct ev_buf *b = NULL;
	struct sockaddr_un sa;
	int r;

	if ((b = ev_buf_new(EV_MAX_STATUS_JSON)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_evstats_encode(&e, b)) != 0 || (r = sun_set(&sa, st->report_path)) != 0)
		goto out;
	if (sendto(st->report_fd, ev_buf_ptr(b), ev_buf_len(b), MSG_DONTWAIT | MSG_NOSIGNAL,
	           (const struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)ev_buf_len(b)) {
		/* EVE drops a failed POST too; the next command reports again. */
		ev_log_warn("report to instance 1 (%s): %s", st->report_path, strerror(errno));
		r = 0;
		goto out;
	}
	st->info.reports_sent++;
	r = 0;
out:
	if (r != 0)
		ev_log_warn_r(r, "report to instance 1");
	ev_buf_free(b);
}

static void
on_debounce(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct status *st = w->data;

	(void)loop;
	(void)revents;
	st->pending = false;
	if (st->inst <= 1)
		publish(st);
	else
		report(st);
}

static void
trigger(struct status *st)
{
	if (st->pending)
		return;
	st->pending = true;
	ev_timer_set(&st->debounce_w, st->debounce, 0);
	ev_timer_start(st->loop, &st->debounce_w);
}

/* One datagram: 0 when stored, else why not. */
static int
report_recv_one(struct status *st, bool *again)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = {st->report_buf, EV_MAX_STATUS_JSON + 1};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	struct ucred cred;
	bool have_cred = false;
	struct ev_evstats e;
	ssize_t n;
	int r;

	*again = false;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	n = recvmsg(st->report_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EINTR)
			*again = true;
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			ev_log_warn("%s: %s", st->report_path, strerror(errno));
		return 0;
	}
	*again = true;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			have_cred = true;
		}
	}
	/* The kernel fills in the sender's real uid; 0600 already keeps other
	 * users out unless they are root. */
	if (!have_cred || cred.uid != getuid())
		r = EV_ERR_STATUS_PEER;
	else if ((mh.msg_flags & MSG_TRUNC) != 0 || (size_t)n > EV_MAX_STATUS_JSON)
		r = EV_ERR_TOO_BIG;
	else if ((r = ev_evstats_decode((const char *)st->report_buf, (size_t)n, &e)) == 0 &&
	         (r = ev_evstats_validate(&e)) == 0) {
		st->peer[e.inst_id - 1] = e.stats;
		st->info.reports_ok++;
		trigger(st);
		return 0;
	}
	st->info.reports_bad++;
	return r;
}

static void
on_report(struct ev_loop *loop, ev_io *w, int revents)
{
	struct status *st = w->data;
	bool again = true;
	int r;

	(void)loop;
	(void)revents;
	for (int burst = 0; burst < STATUS_BURST && again; burst++) {
		if ((r = report_recv_one(st, &again)) != 0)
			ev_log_warn_r(r, "evStats report refused");
	}
}

/* Binds fd to path unless a live process answers there; a stale socket file
 * (a crashed instance) is replaced.  The socket gets mode 0600 from the
 * start, so there is no window in which another user may connect. */
static int
bind_fresh(int fd, int type, const char *path)
{
	struct sockaddr_un sa;
	struct stat sb;
	mode_t old;
	int probe = -1, r, rc;

	if ((r = sun_set(&sa, path)) != 0)
		goto out;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			r = EV_ERR_STATUS_IN_USE;
			goto out;
		}
		if ((probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0) {
			r = EV_ERR_SYSTEM;
			goto out;
		}
		if (connect(probe, (const struct sockaddr *)&sa, sizeof(sa)) == 0) {
			r = EV_ERR_STATUS_IN_USE;
			goto out;
		}
		if (unlink(path) != 0 && errno != ENOENT) {
			r = EV_ERR_SYSTEM;
			goto out;
		}
	}
	/* No threads here, so the process-wide umask can be borrowed. */
	old = umask(0177);
	rc = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0) {
		r = errno == EADDRINUSE ? EV_ERR_STATUS_IN_USE : EV_ERR_SYSTEM;
		goto out;
	}
	r = 0;
out:
	if (probe >= 0)
		close(probe);
	return r;
}

static int
open_publication(struct status *st, const char *root)
{
	char dir[STATUS_PATH_MAX], restarted[STATUS_PATH_MAX];
	char *old = NULL;
	size_t len = 0;
	struct ev_status prev;
	int r;

	if ((r = ev_path_join(dir, sizeof(dir), root, STATUS_DIR)) != 0 ||
	    (r = ev_path_join(st->json_path, sizeof(st->json_path), dir, STATUS_KEY ".json")) !=
	            0 ||
	    (r = ev_path_join(restarted, sizeof(restarted), dir, "restarted")) != 0 ||
	    (r = ev_path_join(st->sock_path, sizeof(st->sock_path), root, STATUS_SOCK)) != 0)
		goto out;
	if ((r = ev_dir_ensure(dir, 0700)) != 0) {
		ev_log_err_r(r, "%s", dir);
		goto out;
	}
	if (unlink(restarted) != 0 && errno != ENOENT)
		ev_log_warn("%s: %s", restarted, strerror(errno));
	/* Serve what the previous run published until we publish, as EVE's
	 * pubsub does; only a value that decodes is served. */
	if (ev_file_read_capped(st->json_path, EV_MAX_STATUS_JSON, &old, &len) == 0 &&
	    ev_status_decode(old, len, &prev) == 0 && (r = set_value(st, old, len)) != 0)
		goto out;
	st->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (st->listen_fd < 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if ((r = bind_fresh(st->listen_fd, SOCK_SEQPACKET, st->sock_path)) != 0) {
		ev_log_err_r(r, "%s", st->sock_path);
		close(st->listen_fd);
		st->listen_fd = -1;
		goto out;
	}
	if (listen(st->listen_fd, (int)STATUS_MAX_SUBSCRIBERS) != 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	ev_io_init(&st->listen_w, on_accept, st->listen_fd, EV_READ);
	st->listen_w.data = st;
	ev_io_start(st->loop, &st->listen_w);
	r = 0;
out:
	free(old);
	return r;
}

static int
open_reports(struct status *st, const char *root)
{
	struct sockaddr_un sa;
	int one = 1;
	int r;

	if ((r = ev_path_join(st->report_path, sizeof(st->report_path), root, STATUS_REPORTS)) !=
	            0 ||
	    (r = sun_set(&sa, st->report_path)) != 0) /* fail now, not at each report */
		goto out;
	st->report_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (st->report_fd < 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (st->inst >= 2) {
		r = 0;
		goto out;
	}
	if (setsockopt(st->report_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if ((r = bind_fresh(st->report_fd, SOCK_DGRAM, st->report_path)) != 0) {
		ev_log_err_r(r, "%s", st->report_path);
		goto out;
	}
	st->report_bound = true;
	if ((st->report_buf = malloc(EV_MAX_STATUS_JSON + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	ev_io_init(&st->report_w, on_report, st->report_fd, EV_READ);
	st->report_w.data = st;
	ev_io_start(st->loop, &st->report_w);
	r = 0;
out:
	return r;
}

static void
status_free(struct status *st)
{
	if (st == NULL)
		return;
	for (unsigned i = 0; i < STATUS_MAX_SUBSCRIBERS; i++) {
		if (st->subs[i] != NULL)
			sub_drop(st->subs[i], "publisher closes");
	}
	ev_timer_stop(st->loop, &st->debounce_w);
	if (st->listen_fd >= 0) {
		ev_io_stop(st->loop, &st->listen_w);
		close(st->listen_fd);
		if (unlink(st->sock_path) != 0 && errno != ENOENT)
			ev_log_warn("%s: %s", st->sock_path, strerror(errno));
	}
	if (st->report_fd >= 0) {
		ev_io_stop(st->loop, &st->report_w);
		close(st->report_fd);
	}
	if (st->report_bound && unlink(st->report_path) != 0 && errno != ENOENT)
		ev_log_warn("%s: %s", st->report_path, strerror(errno));
	free(st->report_buf);
	free(st->json);
	msg_clear(&st->update);
	free(st);
}

int
status_open(struct ev_loop *loop, const char *root, unsigned inst, uint64_t expire_on,
            const struct ev_time *started, double debounce_secs, struct status **out)
{
	struct status *st = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (loop == NULL || root == NULL || started == NULL || out == NULL ||
	    !(debounce_secs >= 0)) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	if (inst > EV_MAX_INSTANCES) {
		r = EV_ERR_INST_RANGE;
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	st->loop = loop;
	st->inst = inst;
	st->own.expire_on = expire_on;
	st->own.started_on = *started;
	st->debounce = debounce_secs;
	st->listen_fd = -1;
	st->report_fd = -1;
	ev_timer_init(&st->debounce_w, on_debounce, debounce_secs, 0);
	st->debounce_w.data = st;
	if (inst <= 1 && (r = open_publication(st, root)) != 0)
		goto out;
	if (inst >= 1 && (r = open_reports(st, root)) != 0)
		goto out;
	/* Instance 0/1 announce themselves at start; the others wait for a
	 * command, as EVE does. */
	if (inst <= 1)
		trigger(st);
	*out = st;
	st = NULL;
	r = 0;
out:
	status_free(st);
	return r;
}

void
status_count(struct status *st, const struct policy_counts *totals)
{
	if (st == NULL || totals == NULL)
		return;
	st->own.cmd_count_dev = totals->dev;
	st->own.cmd_count_app = totals->app;
	st->own.cmd_count_ext = totals->ext;
	trigger(st);
}

void
status_get_info(const struct status *st, struct status_info *out)
{
	memset(out, 0, sizeof(*out));
	if (st != NULL)
		*out = st->info;
}

void
status_close(struct status *st)
{
	if (st == NULL)
		return;
	if (st->pending) {
		ev_timer_stop(st->loop, &st->debounce_w);
		on_debounce(st->loop, &st->debounce_w, 0);
	}
	status_free(st);
}
