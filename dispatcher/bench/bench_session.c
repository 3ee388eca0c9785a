/*
 * bench_session.c - sessions, the connect ramp, the workloads and the lws
 * callback of edgeview-bench.
 *
 * lws rules kept here: one lws_write per WRITEABLE callback, LWS_PRE
 * headroom in every buffer given to lws_write, timers through lws_sul, and
 * receive back-pressure through lws_rx_flow_control while a device side
 * holds a message it has not echoed yet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_msg.h"
#include "ev_buf.h"
#include "ev_crypto.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_log.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_US  1000ull

/* Raw control strings of the dispatcher (edgeview-protocol.md section 5.3). */
#define CTL_NO_DEVICE      "no device online"
#define CTL_ENDPOINT       "YourEndPointIPAddr:"
#define CTL_TOKEN_REQUIRED "token is required"
#define CTL_TOO_MANY_PEERS "can't have more than 2 peers"
#define CTL_RATE_LIMIT     "ServerRateLimit:"

/* Spec section 4.5: endpoints ping with this payload. */
#define KEEPALIVE_PAYLOAD "keepalive"

/*
 * lws turns the time to its next timer into a poll() timeout in whole ms, so
 * a timer less than 1 ms away makes it spin.  The pacer therefore wakes on
 * whole milliseconds and sends everything due by then (and within the slack).
 */
#define PACE_SLACK_NS (500 * NS_PER_US)
#define PACE_WAKE_US  1000

/*
 * Without a policy lws arms a per-connection validity timer and re-inserts
 * it into its sorted timer list on every pong, which costs O(connections);
 * the bench sends its own keepalive pings instead.
 */
static const lws_retry_bo_t no_validity_policy = {
        .secs_since_valid_ping = 0,
        .secs_since_valid_hangup = 0,
};

static void end_measure(struct bench *b);
static void finish(struct bench *b);

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint32_t
sidx(const struct bench *b, const struct bench_session *s)
{
	return (uint32_t)(s - b->sess);
}

static lws_usec_t
secs_to_us(double s)
{
	return (lws_usec_t)(s * 1e6);
}

static const char *
side_name(enum bench_side side)
{
	return side == BENCH_DEVICE ? "device" : "user";
}

static struct bench *
bench_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static struct bench *
bench_of_conn(const struct bench_conn *c)
{
	return lws_context_user(lws_get_context(c->wsi));
}

/* ---- connect ramp ---- */

static void ramp_cb(lws_sorted_usec_list_t *sul);

/* Connects start from a timer, never inside the callback of another wsi. */
static void
ramp_kick(struct bench *b)
{
	if (!b->ramp_stopped && b->q_len > 0)
		lws_sul_schedule(b->ctx, 0, &b->sul_ramp, ramp_cb, 1);
}

static void
enqueue(struct bench *b, struct bench_conn *c)
{
	if (b->ramp_stopped || b->q_len == b->q_cap)
		return;
	b->queue[(b->q_head + b->q_len) % b->q_cap] = c;
	b->q_len++;
	c->state = BENCH_CS_QUEUED;
	ramp_kick(b);
}

static void check_settled(struct bench *b);

static void
session_failed(struct bench *b, struct bench_session *s)
{
	if (s->ready) {
		if (!s->broken) {
			s->broken = true;
			/* A session that breaks mid-run no longer holds up the end. */
			if (s->active && !s->done && b->phase == BENCH_PH_MEASURE &&
			    b->o.count > 0) {
				s->done = true;
				s->done_ns = bench_now_ns();
				if (++b->n_done == b->n_active)
					end_measure(b);
			}
			if (b->phase == BENCH_PH_DRAIN && s->active && !s->settled) {
				s->settled = true;
				if (--b->drain_pending == 0)
					finish(b);
			}
		}
		return;
	}
	if (s->failed)
		return;
	s->failed = true;
	b->n_failed++;
	check_settled(b);
}

static void
conn_failed(struct bench *b, struct bench_conn *c, const char *why)
{
	if (c->state != BENCH_CS_CONNECTING)
		return;
	c->state = BENCH_CS_FAILED;
	/* Handshakes cut short by the end of the run were counted as not ready. */
	if (b->phase == BENCH_PH_DONE)
		return;
	b->in_flight--;
	b->c.connect_errors++;
	if (b->conn_errors_logged++ < BENCH_LOG_CONN_ERRORS)
		ev_log_err(
		        "session %u %s side: connect failed: %s%s", c->s->id, side_name(c->side),
		        why != NULL ? why : "unknown error",
		        why != NULL && strstr(why, "SSL") != NULL
		                ? " (certificate not trusted or not for this host? see --cafile, "
		                  "--insecure, -v)"
		                : "");
	else if (b->conn_errors_logged == BENCH_LOG_CONN_ERRORS + 1)
		ev_log_err("further connect errors are only counted");
	session_failed(b, c->s);
	ramp_kick(b);
}

static void
start_connect(struct bench *b, struct bench_conn *c)
{
	struct lws_client_connect_info i;

	memset(&i, 0, sizeof(i));
	i.context = b->ctx;
	i.address = b->o.addr;
	i.port = b->o.port;
	i.path = b->o.path;
	i.host = b->o.host_header;
	i.ssl_connection = 0;
	if (b->o.tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (b->o.insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_INSECURE |
			                    LCCSCF_ALLOW_EXPIRED |
			                    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
	}
	/* No subprotocol on the wire (spec section 4.4); bind our handler by name. */
	i.protocol = NULL;
	i.local_protocol_name = BENCH_PROTOCOL_NAME;
	i.alpn = "http/1.1";
	i.userdata = c;
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	i.retry_and_idle_policy = &no_validity_policy;

	c->state = BENCH_CS_CONNECTING;
	b->in_flight++;
	if (lws_client_connect_via_info(&i) == NULL) {
		/* lws may or may not have reported the failure through the callback. */
		c->wsi = NULL;
		conn_failed(b, c, "cannot start the connection");
	}
}

static void
ramp_cb(lws_sorted_usec_list_t *sul)
{
	struct bench *b = BENCH_CONTAINER_OF(sul, struct bench, sul_ramp);
	struct bench_conn *c;

	while (!b->ramp_stopped && b->q_len > 0 && b->in_flight < b->o.max_connecting) {
		c = b->queue[b->q_head];
		b->q_head = (b->q_head + 1) % b->q_cap;
		b->q_len--;
		start_connect(b, c);
	}
}

/* ---- phases ---- */

static void
sample_dispatcher(struct bench *b, struct bench_mem *m, uint64_t *cpu)
{
	if (b->disp_pid <= 0 || !b->watch_dispatcher)
		return;
	if (m != NULL && bench_proc_mem(b->disp_pid, m) != 0)
		ev_log_warn("cannot read the memory of dispatcher pid %ld", (long)b->disp_pid);
	if (cpu != NULL && bench_proc_cpu_ticks(b->disp_pid, cpu) != 0)
		b->have_cpu = false;
}

static void
arm_send(struct bench_session *s)
{
	struct bench_conn *u = &s->conn[BENCH_USER];

	s->send_armed = true;
	if (u->wsi != NULL)
		lws_callback_on_writable(u->wsi);
}

static void pace_cb(lws_sorted_usec_list_t *sul);

static void
pace_disarm(struct bench *b)
{
	struct itimerspec its;

	lws_sul_cancel(&b->sul_pace);
	if (b->pace_fd >= 0) {
		memset(&its, 0, sizeof(its));
		timerfd_settime(b->pace_fd, TFD_TIMER_ABSTIME, &its, NULL);
	}
}

/* Wake at the earliest due time: a timerfd in lws's poll set when we have one. */
static void
pace_reschedule(struct bench *b)
{
	struct bench_pacer_ent e;
	struct itimerspec its;
	uint64_t now, us;

	if (!bench_pacer_peek(&b->pacer, &e)) {
		pace_disarm(b);
		return;
	}
	if (b->pace_fd >= 0) {
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = (time_t)(e.due_ns / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(e.due_ns % NS_PER_SEC);
		if (timerfd_settime(b->pace_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
			return;
	}
	now = bench_now_ns();
	us = e.due_ns > now ? (e.due_ns - now + NS_PER_US - 1) / NS_PER_US : 0;
	lws_sul_schedule(b->ctx, 0, &b->sul_pace, pace_cb, (lws_usec_t)us);
}

static void
pace_fire(struct bench *b)
{
	struct bench_pacer_ent e;
	uint64_t now = bench_now_ns();

	while (bench_pacer_peek(&b->pacer, &e) && e.due_ns <= now + PACE_SLACK_NS) {
		bench_pacer_pop(&b->pacer);
		if (b->phase == BENCH_PH_MEASURE)
			arm_send(&b->sess[e.session]);
	}
	if (b->phase == BENCH_PH_MEASURE)
		pace_reschedule(b);
}

static void
pace_cb(lws_sorted_usec_list_t *sul)
{
	pace_fire(BENCH_CONTAINER_OF(sul, struct bench, sul_pace));
}

/*
 * lws turns the time to its next timer into a poll() timeout in whole
 * milliseconds and spins through the remainder; a timerfd wakes poll()
 * itself, at the exact time.  Without one the pacer falls back to lws_sul.
 */
static void
pace_timer_open(struct bench *b)
{
	lws_sock_file_fd_type u;
	struct lws_vhost *vh;
	int fd;

	b->pace_fd = -1;
	if ((vh = lws_get_vhost_by_name(b->ctx, "default")) == NULL ||
	    (fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		return;
	u.filefd = fd;
	/* From here lws owns the descriptor and closes it with the context. */
	if (lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, u, BENCH_PROTOCOL_NAME, NULL) ==
	    NULL) {
		close(fd);
		return;
	}
	b->pace_fd = fd;
}

static void
pace_timer_read(struct bench *b)
{
	uint64_t expirations;

	if (b->pace_fd >= 0 && read(b->pace_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		ev_log_warn("pacing timer: %s", strerror(errno));
	pace_fire(b);
}

/* Queue a paced session for its next due time, or arm it now if late. */
static void
pace_next(struct bench *b, struct bench_session *s, uint64_t now)
{
	s->due_ns += b->pace_ns;
	/* A session that fell behind may catch up by one interval, not more. */
	if (s->due_ns + b->pace_ns < now)
		s->due_ns = now - b->pace_ns;
	if (s->due_ns <= now) {
		arm_send(s);
		return;
	}
	if (bench_pacer_push(&b->pacer, s->due_ns, sidx(b, s)) != 0) {
		arm_send(s); /* cannot happen: each session is queued at most once */
		return;
	}
	pace_reschedule(b);
}

static void
end_cb(lws_sorted_usec_list_t *sul)
{
	end_measure(BENCH_CONTAINER_OF(sul, struct bench, sul_end));
}

/* Draining ends when nothing has arrived for --drain-timeout. */
static void
drain_cb(lws_sorted_usec_list_t *sul)
{
	struct bench *b = BENCH_CONTAINER_OF(sul, struct bench, sul_drain);
	uint64_t now = bench_now_ns(), quiet = (uint64_t)(b->o.drain_timeout * (double)NS_PER_SEC);

	if (now - b->t_progress < quiet) {
		lws_sul_schedule(b->ctx, 0, &b->sul_drain, drain_cb,
		                 (lws_usec_t)((quiet - (now - b->t_progress)) / NS_PER_US) + 1);
		return;
	}
	ev_log_warn("%u sessions still had messages in flight after %.1f s without progress",
	            b->drain_pending, b->o.drain_timeout);
	finish(b);
}

static void
start_measure(struct bench *b)
{
	uint64_t offset, now;
	uint32_t rnd;

	if (b->phase != BENCH_PH_CONNECT)
		return;
	lws_sul_cancel(&b->sul_ready);
	b->ramp_stopped = true;
	b->q_len = 0;
	b->t_ready = bench_now_ns();
	for (unsigned i = 0; i < b->nsess; i++) {
		struct bench_session *s = &b->sess[i];

		if (s->ready && !s->broken) {
			s->active = true;
			b->n_active++;
		} else {
			b->c.not_ready++;
		}
	}
	if (b->c.not_ready > 0 && b->n_active > 0)
		ev_log_warn("%u of %u sessions ready after %.1f s; measuring with those",
		            b->n_active, b->nsess,
		            (double)(b->t_ready - b->t_start) / (double)NS_PER_SEC);
	else if (b->c.not_ready == 0 && (b->o.verbose > 0 || !b->o.json))
		ev_log_notice("%s%u sessions ready in %.2f s",
		              b->shared != NULL ? "worker 0: " : "", b->n_active,
		              (double)(b->t_ready - b->t_start) / (double)NS_PER_SEC);
	if (b->n_active == 0) {
		ev_log_err("no session is ready: nothing to measure");
		b->t0 = b->t1 = b->t_ready;
		finish(b);
		return;
	}
	b->phase = BENCH_PH_MEASURE;
	b->have_cpu = b->disp_pid > 0 && b->watch_dispatcher;
	sample_dispatcher(b, NULL, &b->disp_cpu0);
	b->cpu0_ns = bench_cpu_ns();
	now = b->t0 = b->t_progress = bench_now_ns();
	for (unsigned i = 0; i < b->nsess; i++) {
		struct bench_session *s = &b->sess[i];

		if (!s->active)
			continue;
		s->done_ns = now;
		if (b->o.mode == BENCH_PINGPONG && b->pace_ns > 0) {
			/* Spread first pings over one interval so the rate starts smooth. */
			if (ev_random(&rnd, sizeof(rnd)) != 0)
				rnd = i * 2654435761u;
			offset = (uint64_t)((double)rnd / 4294967296.0 * (double)b->pace_ns);
			s->due_ns = now + offset;
			if (bench_pacer_push(&b->pacer, s->due_ns, sidx(b, s)) != 0)
				arm_send(s);
		} else if (b->o.mode != BENCH_IDLE) {
			arm_send(s);
		}
	}
	if (b->pace_ns > 0)
		pace_reschedule(b);
	if (b->o.count == 0 || b->o.duration_set || b->o.mode == BENCH_IDLE)
		lws_sul_schedule(b->ctx, 0, &b->sul_end, end_cb, secs_to_us(b->o.duration));
}

static bool
in_flight_done(const struct bench *b, const struct bench_session *s)
{
	if (b->o.mode == BENCH_PINGPONG)
		return !s->outstanding;
	return s->conn[BENCH_DEVICE].expect_seq >= s->next_seq;
}

static void
end_measure(struct bench *b)
{
	if (b->phase != BENCH_PH_MEASURE)
		return;
	b->phase = BENCH_PH_DRAIN;
	b->t1 = bench_now_ns();
	lws_sul_cancel(&b->sul_end);
	pace_disarm(b);
	b->self_cpu_ns = bench_cpu_ns() - b->cpu0_ns;
	sample_dispatcher(b, &b->disp_up, b->have_cpu ? &b->disp_cpu1 : NULL);
	if (bench_proc_mem(0, &b->self_up) != 0)
		ev_log_warn("cannot read our own memory use");
	b->drain_pending = 0;
	for (unsigned i = 0; i < b->nsess; i++) {
		struct bench_session *s = &b->sess[i];

		if (!s->active)
			continue;
		if (!s->done)
			s->done_ns = b->t1;
		if (s->broken || in_flight_done(b, s))
			s->settled = true;
		else
			b->drain_pending++;
	}
	if (b->o.mode == BENCH_IDLE || b->drain_pending == 0) {
		finish(b);
		return;
	}
	b->t_progress = b->t1;
	lws_sul_schedule(b->ctx, 0, &b->sul_drain, drain_cb, secs_to_us(b->o.drain_timeout));
}

static void
finish(struct bench *b)
{
	if (b->phase == BENCH_PH_DONE)
		return;
	if (b->phase == BENCH_PH_MEASURE)
		b->t1 = bench_now_ns();
	b->phase = BENCH_PH_DONE;
	b->t_end = bench_now_ns();
	lws_sul_cancel(&b->sul_ready);
	lws_sul_cancel(&b->sul_end);
	lws_sul_cancel(&b->sul_drain);
	pace_disarm(b);
	lws_sul_cancel(&b->sul_sync);
	b->ramp_stopped = true;
	/* What was sent and never arrived is lost (gaps were counted on arrival). */
	for (unsigned i = 0; i < b->nsess; i++) {
		struct bench_session *s = &b->sess[i];
		const struct bench_conn *rx =
		        &s->conn[b->o.mode == BENCH_PINGPONG ? BENCH_USER : BENCH_DEVICE];

		if (s->active && s->next_seq > rx->expect_seq)
			b->c.lost += s->next_seq - rx->expect_seq;
	}
	b->stop = true;
	lws_cancel_service(b->ctx);
}

static void
start_cb(lws_sorted_usec_list_t *sul)
{
	start_measure(BENCH_CONTAINER_OF(sul, struct bench, sul_sync));
}

/* --procs: wait for the common start time that the last worker sets. */
static void
sync_cb(lws_sorted_usec_list_t *sul)
{
	struct bench *b = BENCH_CONTAINER_OF(sul, struct bench, sul_sync);
	uint64_t start = atomic_load(&b->shared->start_ns), now = bench_now_ns();
	uint64_t give_up =
	        b->t_start + (uint64_t)((b->o.ready_timeout + 10.0) * (double)NS_PER_SEC);

	if (start == 0 && now > give_up) {
		ev_log_warn("worker %u: other workers never got ready; starting alone", b->worker);
		start = now;
	}
	if (start == 0) {
		lws_sul_schedule(b->ctx, 0, &b->sul_sync, sync_cb, 2 * LWS_US_PER_MS);
		return;
	}
	lws_sul_schedule(b->ctx, 0, &b->sul_sync, start_cb,
	                 start > now ? (lws_usec_t)((start - now) / NS_PER_US) : 0);
}

/* All our sessions are ready or failed, or the ready timeout passed. */
static void
settled(struct bench *b)
{
	if (b->phase != BENCH_PH_CONNECT)
		return;
	if (b->shared == NULL) {
		start_measure(b);
		return;
	}
	if (b->sync_announced)
		return;
	b->sync_announced = true;
	lws_sul_cancel(&b->sul_ready);
	if (atomic_fetch_add(&b->shared->settled, 1) + 1 == b->shared->workers)
		atomic_store(&b->shared->start_ns, bench_now_ns() + BENCH_SYNC_DELAY_NS);
	sync_cb(&b->sul_sync);
}

static void
check_settled(struct bench *b)
{
	if (b->phase == BENCH_PH_CONNECT && b->n_ready + b->n_failed == b->nsess)
		settled(b);
}

static void
ready_timeout_cb(lws_sorted_usec_list_t *sul)
{
	settled(BENCH_CONTAINER_OF(sul, struct bench, sul_ready));
}

static void
session_done(struct bench *b, struct bench_session *s, uint64_t now)
{
	if (s->done)
		return;
	s->done = true;
	s->done_ns = now;
	if (++b->n_done == b->n_active)
		end_measure(b);
}

static void
settle_check(struct bench *b, struct bench_session *s)
{
	if (b->phase != BENCH_PH_DRAIN || s->settled || !in_flight_done(b, s))
		return;
	s->settled = true;
	if (--b->drain_pending == 0)
		finish(b);
}

/* Once a second: keepalive pings, stall guard, progress, signals. */
static void
tick_cb(lws_sorted_usec_list_t *sul)
{
	struct bench *b = BENCH_CONTAINER_OF(sul, struct bench, sul_tick);
	uint64_t now = bench_now_ns();
	unsigned ka = b->o.keepalive;

	b->tick++;
	if (ka > 0) {
		for (unsigned i = 0; i < b->nsess; i++) {
			for (int side = 0; side < 2; side++) {
				struct bench_conn *c = &b->sess[i].conn[side];

				/* Spread the pings of all sockets over the interval. */
				if (c->wsi == NULL ||
				    (c->state != BENCH_CS_OPEN && c->state != BENCH_CS_READY) ||
				    (i * 2u + (unsigned)side + b->tick) % ka != 0)
					continue;
				c->ping_due = true;
				lws_callback_on_writable(c->wsi);
			}
		}
	}
	if (b->phase == BENCH_PH_CONNECT && b->o.verbose > 0)
		ev_log_notice("connecting: %u ready, %u failed, %u in flight, %zu queued",
		              b->n_ready, b->n_failed, b->in_flight, b->q_len);
	if (b->phase == BENCH_PH_MEASURE && b->o.count > 0 && !b->o.duration_set &&
	    now - b->t_progress > BENCH_STALL_SECS * NS_PER_SEC) {
		ev_log_err("no message arrived for %u s; stopping", BENCH_STALL_SECS);
		end_measure(b);
	}
	if (b->phase != BENCH_PH_DONE)
		lws_sul_schedule(b->ctx, 0, &b->sul_tick, tick_cb, LWS_US_PER_SEC);
}

/* ---- messages ---- */

static void
handle_control(struct bench *b, struct bench_conn *c)
{
	struct bench_session *s = c->s;
	const char *m = c->ctl;

	if (strncmp(m, CTL_NO_DEVICE, strlen(CTL_NO_DEVICE)) == 0) {
		b->c.ctl_no_device++;
		/* Expected by a device side at admission; afterwards its peer left. */
		if ((s->ready || c->side == BENCH_USER) && b->phase != BENCH_PH_DONE) {
			b->c.peer_lost++;
			if (b->c.peer_lost <= BENCH_LOG_CONN_ERRORS)
				ev_log_err("session %u %s side: peer lost", s->id,
				           side_name(c->side));
		}
	} else if (strncmp(m, CTL_ENDPOINT, strlen(CTL_ENDPOINT)) == 0) {
		b->c.ctl_endpoint++;
		if (c->state != BENCH_CS_OPEN)
			return;
		c->state = BENCH_CS_READY;
		if (c->side == BENCH_DEVICE) {
			/* The user side goes second so the dispatcher sees the device first. */
			enqueue(b, &s->conn[BENCH_USER]);
		} else if (s->conn[BENCH_DEVICE].state == BENCH_CS_READY && !s->failed) {
			s->ready = true;
			b->n_ready++;
			check_settled(b);
		}
	} else if (strncmp(m, CTL_TOKEN_REQUIRED, strlen(CTL_TOKEN_REQUIRED)) == 0) {
		b->c.ctl_token_required++;
		b->c.rejected++;
		c->state = BENCH_CS_FAILED; /* its close is part of the rejection */
		ev_log_err("session %u %s side: dispatcher says '%s'", s->id, side_name(c->side),
		           m);
		session_failed(b, s);
	} else if (strncmp(m, CTL_TOO_MANY_PEERS, strlen(CTL_TOO_MANY_PEERS)) == 0) {
		b->c.ctl_too_many_peers++;
		b->c.rejected++;
		c->state = BENCH_CS_FAILED;
		ev_log_err("session %u %s side: dispatcher says '%s'", s->id, side_name(c->side),
		           m);
		session_failed(b, s);
	} else if (strncmp(m, CTL_RATE_LIMIT, strlen(CTL_RATE_LIMIT)) == 0) {
		b->c.ctl_rate_limit++;
	} else {
		/* Test traffic is binary: text that is no control string was altered. */
		b->c.ctl_unknown++;
		b->c.corrupted++;
	}
}

/* Receiver sequence rule: 0 = in order, 1 = duplicate; a gap resyncs. */
static int
seq_check(struct bench *b, struct bench_conn *c, uint64_t seq, bool count_gap)
{
	if (seq < c->expect_seq) {
		b->c.duplicated++;
		return 1;
	}
	if (seq > c->expect_seq && count_gap)
		b->c.lost += seq - c->expect_seq;
	c->expect_seq = seq + 1;
	return 0;
}

static void
device_message(struct bench *b, struct bench_conn *c, const struct bench_msg_hdr *h, uint64_t now)
{
	struct bench_session *s = c->s;

	/*
	 * In pingpong a missing ping also means a missing echo, which the user
	 * side counts; counting the gap here too would count it twice.
	 */
	if (seq_check(b, c, h->seq, b->o.mode != BENCH_PINGPONG) != 0)
		return;
	b->c.received++;
	b->t_progress = now;
	if (b->phase == BENCH_PH_MEASURE) {
		s->win_msgs++;
		s->win_bytes += c->rx_len;
	}
	if (b->o.mode == BENCH_PINGPONG) {
		/* Hold further input until the echo is written (one buffer in flight). */
		c->echo_pending = true;
		lws_rx_flow_control(c->wsi, 0);
		lws_callback_on_writable(c->wsi);
		return;
	}
	if (b->o.count > 0 && c->expect_seq >= b->o.count && b->phase == BENCH_PH_MEASURE)
		session_done(b, s, now);
	settle_check(b, s);
}

static void
user_message(struct bench *b, struct bench_conn *c, const struct bench_msg_hdr *h, uint64_t now)
{
	struct bench_session *s = c->s;

	if (b->o.mode != BENCH_PINGPONG) {
		/* Our own traffic came back to the sender. */
		b->c.misrouted++;
		return;
	}
	if (seq_check(b, c, h->seq, true) != 0)
		return;
	b->c.received++;
	b->c.round_trips++;
	b->t_progress = now;
	if (h->seq + 1 >= s->next_seq)
		s->outstanding = false;
	if (now >= h->ts_ns)
		bench_hist_add(&b->rtt, now - h->ts_ns);
	if (b->phase == BENCH_PH_MEASURE) {
		s->win_msgs++;
		s->win_bytes += c->rx_len;
		if (b->o.count > 0 && s->next_seq >= b->o.count && !s->outstanding)
			session_done(b, s, now);
		else if (!s->done && !s->outstanding && b->pace_ns > 0)
			pace_next(b, s, now);
		else if (!s->done && !s->outstanding)
			arm_send(s);
	}
	settle_check(b, s);
}

static void
handle_binary(struct bench *b, struct bench_conn *c)
{
	struct bench_msg_hdr h;
	enum bench_msg_verdict v;
	uint64_t now = bench_now_ns();

	v = bench_msg_check(c->rx + LWS_PRE, c->rx_len, c->s->id, &h);
	if (v == BENCH_MSG_CORRUPTED) {
		b->c.corrupted++;
		return;
	}
	if (v == BENCH_MSG_MISROUTED) {
		b->c.misrouted++;
		return;
	}
	if (c->side == BENCH_DEVICE)
		device_message(b, c, &h, now);
	else
		user_message(b, c, &h, now);
}

static int
conn_receive(struct bench *b, struct bench_conn *c, const uint8_t *in, size_t len)
{
	if (!c->in_msg) {
		c->in_msg = true;
		c->msg_binary = lws_frame_is_binary(c->wsi) != 0;
		c->msg_over = false;
		c->ctl_len = 0;
		if (c->msg_binary && c->echo_pending) {
			/* Flow control should prevent this; never overwrite the echo. */
			c->msg_over = true;
		} else if (c->msg_binary) {
			c->rx_len = 0;
			if (c->rx == NULL && (c->rx = malloc(LWS_PRE + b->msg_size)) == NULL) {
				ev_log_err_r(EV_ERR_NOMEM, "receive buffer");
				return -1;
			}
		}
	}
	if (c->msg_binary) {
		if (!c->msg_over && len <= b->msg_size - c->rx_len) {
			memcpy(c->rx + LWS_PRE + c->rx_len, in, len);
			c->rx_len += len;
		} else {
			c->msg_over = true;
		}
	} else {
		/* Control strings are short; keep the start, which is all we match. */
		size_t room = BENCH_CTL_MAX - c->ctl_len;
		size_t n = len < room ? len : room;

		memcpy(c->ctl + c->ctl_len, in, n);
		c->ctl_len += n;
		c->ctl[c->ctl_len] = '\0';
	}
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	c->in_msg = false;
	if (!c->msg_binary)
		handle_control(b, c);
	else if (c->msg_over)
		b->c.corrupted++;
	else
		handle_binary(b, c);
	return 0;
}

static int
write_ping(struct bench *b, struct bench_conn *c)
{
	uint8_t buf[LWS_PRE + sizeof(KEEPALIVE_PAYLOAD)];
	size_t n = sizeof(KEEPALIVE_PAYLOAD) - 1;

	memcpy(buf + LWS_PRE, KEEPALIVE_PAYLOAD, n);
	c->ping_due = false;
	if (lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_PING) < (int)n)
		return -1;
	b->c.pings_sent++;
	return 0;
}

static int
write_test_message(struct bench *b, struct bench_session *s)
{
	struct bench_conn *u = &s->conn[BENCH_USER];

	if (s->tx == NULL && (s->tx = malloc(LWS_PRE + b->msg_size)) == NULL) {
		ev_log_err_r(EV_ERR_NOMEM, "send buffer");
		return -1;
	}
	bench_msg_build(s->tx + LWS_PRE, b->msg_size, s->id, s->next_seq, bench_now_ns());
	if (lws_write(u->wsi, s->tx + LWS_PRE, b->msg_size, LWS_WRITE_BINARY) < (int)b->msg_size)
		return -1;
	s->next_seq++;
	b->c.sent++;
	return 0;
}

static bool
user_wants_send(const struct bench *b, const struct bench_session *s)
{
	if (b->phase != BENCH_PH_MEASURE || !s->active || s->done || s->broken)
		return false;
	if (b->o.mode == BENCH_PINGPONG)
		return s->send_armed && !s->outstanding &&
		       (b->o.count == 0 || s->next_seq < b->o.count);
	if (b->o.mode == BENCH_BULK)
		return b->o.count == 0 || s->next_seq < b->o.count;
	return false;
}

static int
conn_writeable(struct bench *b, struct bench_conn *c)
{
	struct bench_session *s = c->s;

	if (c->side == BENCH_DEVICE && c->echo_pending) {
		/* The echo goes first: it is on the measured round trip. */
		if (lws_write(c->wsi, c->rx + LWS_PRE, c->rx_len, LWS_WRITE_BINARY) <
		    (int)c->rx_len)
			return -1;
		b->c.echoed++;
		c->echo_pending = false;
		c->rx_len = 0;
		lws_rx_flow_control(c->wsi, 1);
		if (c->ping_due)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->ping_due) {
		if (write_ping(b, c) != 0)
			return -1;
		if (c->side == BENCH_USER && user_wants_send(b, s))
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->side != BENCH_USER || !user_wants_send(b, s))
		return 0;
	if (write_test_message(b, s) != 0)
		return -1;
	if (b->o.mode == BENCH_PINGPONG) {
		s->send_armed = false;
		s->outstanding = true;
	} else {
		/* Bulk: the next message as soon as this one has left. */
		lws_callback_on_writable(c->wsi);
	}
	return 0;
}

/* ---- connection life cycle ---- */

static void
conn_established(struct bench *b, struct bench_conn *c)
{
	if (c->state != BENCH_CS_CONNECTING)
		return;
	c->state = BENCH_CS_OPEN;
	b->in_flight--;
	ramp_kick(b);
}

static void
conn_closed(struct bench *b, struct bench_conn *c)
{
	enum bench_conn_state was = c->state;

	if (was == BENCH_CS_CONNECTING) {
		conn_failed(b, c, "closed during the handshake");
		return;
	}
	c->state = BENCH_CS_CLOSED;
	if (b->phase == BENCH_PH_DONE || (was != BENCH_CS_OPEN && was != BENCH_CS_READY))
		return;
	b->c.disconnected++;
	if (b->c.disconnected <= BENCH_LOG_CONN_ERRORS)
		ev_log_err("session %u %s side: connection closed by the dispatcher", c->s->id,
		           side_name(c->side));
	session_failed(b, c->s);
}

static int
append_headers(struct bench_conn *c, void *in, size_t len)
{
	unsigned char **p = in, *end = *p + len;
	char host[48];
	int n;

	n = snprintf(host, sizeof(host), "bench-%u%s", c->s->id,
	             c->side == BENCH_DEVICE ? BENCH_DEVICE_SUFFIX : "");
	if (n < 0 || (size_t)n >= sizeof(host))
		return -1;
	/* Spec section 4.4; no Origin, no subprotocol, no extensions. */
	if (lws_add_http_header_by_name(c->wsi, (const unsigned char *)"User-Agent:",
	                                (const unsigned char *)BENCH_USER_AGENT,
	                                (int)strlen(BENCH_USER_AGENT), p, end) ||
	    lws_add_http_header_by_name(c->wsi, (const unsigned char *)"X-EdgeView-Version:",
	                                (const unsigned char *)EV_PROTO_VERSION,
	                                (int)strlen(EV_PROTO_VERSION), p, end) ||
	    lws_add_http_header_by_name(c->wsi, (const unsigned char *)"X-Hostname:",
	                                (const unsigned char *)host, n, p, end) ||
	    lws_add_http_header_by_name(c->wsi, (const unsigned char *)"X-Session-Token:",
	                                (const unsigned char *)c->s->token,
	                                (int)strlen(c->s->token), p, end))
		return -1;
	return 0;
}

int
bench_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct bench_conn *c = user != NULL ? user : lws_get_opaque_user_data(wsi);
	struct bench *b;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE: pace_timer_read(bench_of(wsi)); break;
	case LWS_CALLBACK_RAW_CLOSE_FILE: bench_of(wsi)->pace_fd = -1; break;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (c == NULL)
			break;
		c->wsi = wsi;
		return append_headers(c, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c == NULL)
			break;
		conn_failed(bench_of(wsi), c, in != NULL ? (const char *)in : NULL);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c == NULL)
			break;
		c->wsi = wsi;
		conn_established(bench_of(wsi), c);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c == NULL)
			break;
		return conn_receive(bench_of(wsi), c, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c == NULL || c->wsi == NULL)
			break;
		b = bench_of_conn(c);
		return conn_writeable(b, c);
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG: bench_of(wsi)->c.pongs++; break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c == NULL)
			break;
		conn_closed(bench_of(wsi), c);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c == NULL)
			break;
		/* A connect error may come without CLOSED; settle it here too. */
		if (c->state == BENCH_CS_CONNECTING)
			conn_failed(bench_of(wsi), c, "connection destroyed");
		c->wsi = NULL;
		break;
	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- setup and teardown ---- */

static int
make_token(char out[EV_TOKEN_HASH_FULL_LEN + 1])
{
	uint8_t raw[EV_SHA256_LEN];
	struct ev_buf *buf = NULL;
	int r;

	if ((buf = ev_buf_new(EV_TOKEN_HASH_FULL_LEN)) == NULL)
		return EV_ERR_NOMEM;
	/* Shaped like a real token hash: base64url of 32 random bytes. */
	if ((r = ev_random(raw, sizeof(raw))) != 0 ||
	    (r = ev_b64_encode(EV_B64_URL_RAW, raw, sizeof(raw), buf)) != 0)
		goto out;
	if (ev_buf_len(buf) != EV_TOKEN_HASH_FULL_LEN) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	memcpy(out, ev_buf_ptr(buf), EV_TOKEN_HASH_FULL_LEN);
	out[EV_TOKEN_HASH_FULL_LEN] = '\0';
	r = 0;
out:
	ev_buf_free(buf);
	return r;
}

int
bench_setup(struct bench *b)
{
	unsigned n = b->nsess;
	int r;

	bench_hist_init(&b->rtt);
	b->phase = BENCH_PH_CONNECT;
	b->pace_fd = -1;
	if ((b->sess = calloc(n, sizeof(*b->sess))) == NULL ||
	    (b->queue = calloc((size_t)n * 2, sizeof(*b->queue))) == NULL)
		return EV_ERR_NOMEM;
	b->q_cap = (size_t)n * 2;
	if (b->o.mode == BENCH_PINGPONG && b->o.rate > 0) {
		/* --rate is over all sessions of all workers: each gets rate / sessions. */
		b->pace_ns = (uint64_t)((double)b->o.sessions / b->o.rate * (double)NS_PER_SEC);
		if (b->pace_ns == 0)
			b->pace_ns = 1;
		if ((r = bench_pacer_init(&b->pacer, n)) != 0)
			return r;
	}
	for (unsigned i = 0; i < n; i++) {
		struct bench_session *s = &b->sess[i];

		s->id = b->id_base + i;
		for (int side = 0; side < 2; side++) {
			s->conn[side].s = s;
			s->conn[side].side = (enum bench_side)side;
			s->conn[side].state = BENCH_CS_NEW;
		}
		if ((r = make_token(s->token)) != 0)
			return r;
	}
	return 0;
}

void
bench_start(struct bench *b)
{
	b->pace_fd = -1;
	if (b->pace_ns > 0)
		pace_timer_open(b);
	b->t_start = bench_now_ns();
	for (unsigned i = 0; i < b->nsess; i++)
		enqueue(b, &b->sess[i].conn[BENCH_DEVICE]);
	lws_sul_schedule(b->ctx, 0, &b->sul_ready, ready_timeout_cb,
	                 secs_to_us(b->o.ready_timeout));
	lws_sul_schedule(b->ctx, 0, &b->sul_tick, tick_cb, LWS_US_PER_SEC);
	ramp_kick(b);
}

void
bench_interrupt(struct bench *b, bool hard)
{
	if (b->phase == BENCH_PH_DONE)
		return;
	if (!b->interrupted) {
		b->interrupted = true;
		ev_log_warn(hard ? "stopped" : "interrupted");
		if (b->phase == BENCH_PH_MEASURE && !hard) {
			end_measure(b);
			return;
		}
	}
	if (b->phase == BENCH_PH_CONNECT)
		b->t_ready = b->t0 = b->t1 = bench_now_ns();
	finish(b);
}

void
bench_collect(const struct bench *b, struct bench_result *out)
{
	memset(out, 0, sizeof(*out));
	out->valid = true;
	out->interrupted = b->interrupted;
	out->sessions = b->nsess;
	out->n_active = b->n_active;
	out->t_start = b->t_start;
	out->t_ready = b->t_ready;
	out->t0 = b->t0;
	out->t1 = b->t1;
	for (unsigned i = 0; i < b->nsess; i++) {
		const struct bench_session *s = &b->sess[i];
		double w, mbps;

		if (!s->active)
			continue;
		out->relayed += s->win_msgs;
		out->bytes += s->win_bytes;
		w = s->done_ns > b->t0 ? (double)(s->done_ns - b->t0) / (double)NS_PER_SEC : 0;
		mbps = w > 0 ? (double)s->win_bytes / 1e6 / w : 0;
		if (out->mbps_n == 0 || mbps < out->mbps_min)
			out->mbps_min = mbps;
		if (mbps > out->mbps_max)
			out->mbps_max = mbps;
		out->mbps_sum += mbps;
		out->mbps_n++;
	}
	out->self_cpu_ns = b->self_cpu_ns;
	out->self_up = b->self_up;
	out->disp_up = b->disp_up;
	out->have_cpu = b->have_cpu;
	out->disp_cpu0 = b->disp_cpu0;
	out->disp_cpu1 = b->disp_cpu1;
	out->c = b->c;
	out->rtt = b->rtt;
}

void
bench_teardown(struct bench *b)
{
	if (b->sess != NULL) {
		for (unsigned i = 0; i < b->nsess; i++) {
			free(b->sess[i].tx);
			free(b->sess[i].conn[0].rx);
			free(b->sess[i].conn[1].rx);
		}
	}
	free(b->sess);
	free(b->queue);
	bench_pacer_free(&b->pacer);
	b->sess = NULL;
	b->queue = NULL;
}
