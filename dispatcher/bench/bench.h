/*
 * bench.h - edgeview-bench, a load generator for Edge-View dispatchers.
 *
 * A "session" is the pair of websockets an Edge-View device and client open
 * to a dispatcher under one X-Session-Token (edgeview-protocol.md sections
 * 4.4 and 5.2): the device side connects first, the user side once the
 * device has been admitted, and the dispatcher then relays every message
 * between them.  The bench opens N such sessions through a bounded connect
 * ramp, waits until all are ready, and then drives one of three workloads
 * (pingpong, bulk, idle) while checking every relayed message.
 *
 * Everything runs in one lws service thread: the lws callback
 * (bench_session.c) is the only place that touches sockets, and the few
 * timers are process-wide lws_sul, never one per connection (lws keeps
 * timers in a sorted list, so per-connection timers cost O(n) each).
 */
#ifndef BENCH_H
#define BENCH_H

#include <libwebsockets.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "bench_pacer.h"
#include "bench_proc.h"
#include "bench_stats.h"
#include "ev_attr.h"
#include "ev_limits.h"

#define BENCH_PROTOCOL_NAME   "edgeview-bench"
#define BENCH_USER_AGENT      "edgeview-bench"
#define BENCH_DEVICE_SUFFIX   "-EV-server"
#define BENCH_CTL_MAX         128u    /* raw control strings kept for matching */
#define BENCH_MAX_SESSIONS    100000u /* 200,000 sockets */
#define BENCH_MAX_PROCS       64u
#define BENCH_SYNC_DELAY_NS   20000000ull /* workers start together, 20 ms after the last is ready */
#define BENCH_MAX_SIZE        EV_MAX_WS_MSG /* what our own dispatcher relays */
#define BENCH_DEFAULT_SIZE    64u
#define BENCH_DEFAULT_BULK    16384u
#define BENCH_DEFAULT_SECS    10.0
#define BENCH_MAX_CONNECTING  200u /* handshakes in flight: no SYN floods */
#define BENCH_READY_TIMEOUT   60.0 /* seconds to wait for all sessions */
#define BENCH_DRAIN_TIMEOUT   5.0  /* seconds to wait for in-flight messages */
#define BENCH_STALL_SECS      10u  /* --count without --duration: no progress */
#define BENCH_LOG_CONN_ERRORS 10u  /* connect failures logged one by one */
#define BENCH_FD_RESERVE      64u  /* fds besides the sockets: lws, stdio, /proc */

/* lws_container_of casts straight from char *, which clang's -Wcast-align rejects. */
#define BENCH_CONTAINER_OF(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

enum bench_mode {
	BENCH_PINGPONG,
	BENCH_BULK,
	BENCH_IDLE,
};

enum bench_phase {
	BENCH_PH_CONNECT, /* ramp running, waiting for sessions to be ready */
	BENCH_PH_MEASURE, /* workload running */
	BENCH_PH_DRAIN,   /* no new messages, waiting for the ones in flight */
	BENCH_PH_DONE,
};

enum bench_side {
	BENCH_DEVICE = 0,
	BENCH_USER = 1,
};

enum bench_conn_state {
	BENCH_CS_NEW,
	BENCH_CS_QUEUED,     /* waiting for a connect slot */
	BENCH_CS_CONNECTING, /* TCP, TLS and websocket handshake */
	BENCH_CS_OPEN,       /* upgraded, no YourEndPointIPAddr yet */
	BENCH_CS_READY,      /* admitted by the dispatcher */
	BENCH_CS_FAILED,
	BENCH_CS_CLOSED,
};

struct bench_opts {
	enum bench_mode mode;
	const char *url;
	const char *cafile;
	bool insecure;
	bool json;
	int verbose;
	unsigned sessions;
	size_t size;
	uint64_t count; /* 0: run for duration */
	double duration;
	bool duration_set;
	double rate; /* 0: closed loop */
	pid_t dispatcher_pid;
	unsigned max_connecting;
	double ready_timeout;
	double drain_timeout;
	unsigned keepalive; /* seconds between websocket pings, 0 = off */
	unsigned procs;     /* worker processes, sessions split among them */
	/* from the URL */
	bool tls;
	char *host;    /* without brackets */
	char addr[64]; /* host resolved once: no DNS lookup per connection */
	int port;
	char *path;
	char *host_header; /* host:port as sent in Host */
};

struct bench_session;

struct bench_conn {
	struct bench_session *s;
	struct lws *wsi;
	enum bench_side side;
	enum bench_conn_state state;
	bool in_msg;       /* between first and final fragment */
	bool msg_binary;   /* opcode of the message being received */
	bool msg_over;     /* message larger than our buffer: discard */
	bool ping_due;     /* send a keepalive ping when writeable */
	bool echo_pending; /* device, pingpong: rx holds a message to echo */
	uint8_t *rx;       /* LWS_PRE headroom + msg_size, allocated on first use */
	size_t rx_len;
	char ctl[BENCH_CTL_MAX + 1];
	size_t ctl_len;
	uint64_t expect_seq; /* receiver: next sequence expected */
};

struct bench_session {
	uint32_t id;
	char token[EV_TOKEN_HASH_FULL_LEN + 1];
	struct bench_conn conn[2];
	uint8_t *tx;       /* user side: LWS_PRE + msg_size */
	uint64_t next_seq; /* user side: next sequence to send */
	bool ready;        /* both sides admitted */
	bool failed;       /* never got ready */
	bool broken;       /* a side went away after it was ready */
	bool active;       /* ready when the measurement started */
	bool done;         /* --count reached */
	bool send_armed;   /* pingpong: next ping may go out */
	bool outstanding;  /* pingpong: a ping awaits its echo */
	bool settled;      /* drain: nothing of ours in flight */
	uint64_t due_ns;   /* --rate: when the next ping is due */
	uint64_t win_msgs; /* relayed messages received in the window */
	uint64_t win_bytes;
	uint64_t done_ns; /* end of this session's window */
};

/* Every counter of a run; an X-macro so that merging workers cannot miss one. */
#define BENCH_COUNTERS(X)                                                      \
	X(sent)        /* test messages written by user sides */               \
	X(echoed)      /* pingpong: written back by device sides */            \
	X(received)    /* test messages that passed every check */             \
	X(round_trips) /* pingpong: echoes back at the user side */            \
	X(lost)                                                                \
	X(misrouted)                                                           \
	X(duplicated)                                                          \
	X(corrupted)                                                           \
	X(peer_lost)                                                           \
	X(connect_errors)                                                      \
	X(disconnected) /* a socket closed before the end of the run */        \
	X(rejected)     /* token is required / can't have more than 2 peers */ \
	X(not_ready)    /* sessions not ready when the measurement started */  \
	X(ctl_no_device)                                                       \
	X(ctl_endpoint)                                                        \
	X(ctl_token_required)                                                  \
	X(ctl_too_many_peers)                                                  \
	X(ctl_rate_limit)                                                      \
	X(ctl_unknown) /* other text messages (also counted corrupted) */      \
	X(pings_sent)  /* websocket keepalive pings */                         \
	X(pongs)

struct bench_counters {
#define BENCH_COUNTER_FIELD_(name) uint64_t name;
	BENCH_COUNTERS(BENCH_COUNTER_FIELD_)
#undef BENCH_COUNTER_FIELD_
};

/*
 * What a run produced, in a flat struct: a worker process writes it into
 * shared memory and the parent merges the workers' results into one.
 */
struct bench_result {
	bool valid;
	bool interrupted;
	unsigned sessions;
	unsigned n_active;
	uint64_t t_start, t_ready, t0, t1; /* CLOCK_MONOTONIC ns */
	uint64_t relayed;                  /* test messages received inside the window */
	uint64_t bytes;
	unsigned mbps_n; /* sessions behind mbps_min/max/sum */
	double mbps_min, mbps_max, mbps_sum;
	uint64_t self_cpu_ns; /* our own CPU time inside the window */
	struct bench_mem self_up;
	struct bench_mem disp_up;
	bool have_cpu;
	uint64_t disp_cpu0, disp_cpu1;
	struct bench_counters c;
	struct bench_hist rtt;
};

/*
 * Shared by the workers of --procs: each one announces when its sessions
 * are settled, and the last one sets the common start time, so that every
 * worker measures the same window.
 */
struct bench_shared {
	unsigned workers;
	_Atomic unsigned settled;
	_Atomic uint64_t start_ns;
	struct bench_result res[]; /* one per worker */
};

struct bench {
	struct bench_opts o;
	struct lws_context *ctx;
	struct bench_session *sess;
	unsigned nsess;   /* sessions of this process */
	uint32_t id_base; /* global number of sess[0] */
	size_t msg_size;
	enum bench_phase phase;

	/* --procs */
	struct bench_shared *shared;
	unsigned worker;
	bool sync_announced;
	lws_sorted_usec_list_t sul_sync;

	/* connect ramp */
	struct bench_conn **queue;
	size_t q_head, q_len, q_cap;
	unsigned in_flight;
	bool ramp_stopped;
	unsigned n_ready, n_failed, n_active, n_done, drain_pending;
	unsigned conn_errors_logged;

	lws_sorted_usec_list_t sul_ramp, sul_tick, sul_ready, sul_end, sul_drain, sul_pace;
	struct bench_pacer pacer;
	uint64_t pace_ns; /* per-session interval with --rate */
	int pace_fd;      /* timerfd owned by lws, or -1 */
	unsigned tick;

	uint64_t t_start, t_ready, t0, t1, t_end, t_progress;
	bool stop;
	bool interrupted;
	uint64_t cpu0_ns; /* our CPU time at t0 */

	struct bench_counters c;
	struct bench_hist rtt;

	/* the dispatcher under test, when known */
	pid_t disp_pid;
	const char *disp_how; /* "dispatcher-pid", "listener" or "name" */
	char disp_comm[32];
	bool watch_dispatcher; /* this process samples it (worker 0) */
	struct bench_mem disp_start, disp_up, self_up;
	bool have_cpu;
	uint64_t disp_cpu0, disp_cpu1;
	uint64_t self_cpu_ns;
};

/* bench_session.c */
int bench_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len);
/* Allocate this process's sessions and make tokens; before lws_service. */
int bench_setup(struct bench *b) EV_WARN_UNUSED;
/* Begin connecting (the context exists). */
void bench_start(struct bench *b);
/*
 * SIGINT/SIGTERM: the first one ends the measurement early (in-flight
 * messages still drain), a second one stops; hard stops at once.
 */
void bench_interrupt(struct bench *b, bool hard);
/* The numbers of a finished run. */
void bench_collect(const struct bench *b, struct bench_result *out);
void bench_teardown(struct bench *b);
uint64_t bench_now_ns(void);
uint64_t bench_cpu_ns(void);

/* bench_report.c */
void bench_result_merge(struct bench_result *into, const struct bench_result *from);
bool bench_clean(const struct bench_result *r);
/* b supplies the options, the dispatcher's identity and its start sample. */
void bench_report_text(const struct bench *b, const struct bench_result *r, FILE *f);
int bench_report_json(const struct bench *b, const struct bench_result *r, FILE *f) EV_WARN_UNUSED;
const char *bench_mode_name(enum bench_mode m);

#endif
