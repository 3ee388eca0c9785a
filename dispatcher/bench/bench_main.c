/*
 * bench_main.c - edgeview-bench command line, setup and the service loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_msg.h"
#include "ev_err.h"
#include "ev_log.h"
#include "ev_mem.h"

#define EXIT_USAGE 2

/* Bulk receivers get bigger lws chunks; everyone else the lws default. */
#define BULK_RX_CHUNK      16384u
#define SERVICE_BUF        32768u
#define LWS_TIMEOUT_SEC    30u
#define SIGNAL_DEBOUNCE_NS 200000000ull

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	(void)sig;
	/* poll() returns EINTR, so the service loop sees this at once. */
	got_signal = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: edgeview-bench MODE --url wss://HOST:PORT/PATH [options]\n"
	        "\n"
	        "Load generator for Edge-View dispatchers.  Each session is a device side\n"
	        "(X-Hostname bench-<i>-EV-server) and a user side (bench-<i>) sharing one\n"
	        "random X-Session-Token; all test messages are checked end to end.\n"
	        "\n"
	        "modes:\n"
	        "  pingpong   user sides send, device sides echo; relayed msgs/s and RTT\n"
	        "  bulk       user sides stream to device sides; MB/s per session and total\n"
	        "  idle       hold N sessions open; dispatcher memory per session\n"
	        "\n"
	        "options:\n"
	        "  --url URL              ws:// or wss:// URL of the dispatcher (required)\n"
	        "  --cafile FILE          trust only this CA file (hostname is checked)\n"
	        "  --insecure             accept any certificate, skip the hostname check\n"
	        "  --sessions N           sessions (default 1)\n"
	        "  --size S               bytes per test message incl. the %u-byte header\n"
	        "                         (default %u; bulk %u)\n"
	        "  --count M              stop after M messages per session instead of\n"
	        "                         after --duration\n"
	        "  --duration SECONDS     measuring time, or hold time in idle (default %g)\n"
	        "  --rate R               pingpong: at most R messages/s over all sessions\n"
	        "  --dispatcher-pid PID   report this process's memory and CPU (found by\n"
	        "                         name when the URL host is local)\n"
	        "  --json                 one JSON object on stdout instead of a table\n"
	        "  --max-connecting N     handshakes in flight (default %u)\n"
	        "  --ready-timeout SECS   wait this long for all sessions (default %g)\n"
	        "  --drain-timeout SECS   after the run, stop waiting for messages in flight\n"
	        "                         when none arrived for this long (default %g)\n"
	        "  --keepalive SECS       websocket ping interval, 0 = off (default %d)\n"
	        "  --procs P              split the sessions over P processes (one per core)\n"
	        "                         that measure the same window (default 1)\n"
	        "  -v, --verbose          progress and libwebsockets warnings on stderr\n"
	        "  -h, --help             this text\n"
	        "\n"
	        "Exit status: 0 clean run, 1 errors were counted, 2 usage or setup error.\n",
	        BENCH_MSG_HDR_LEN, BENCH_DEFAULT_SIZE, BENCH_DEFAULT_BULK, BENCH_DEFAULT_SECS,
	        BENCH_MAX_CONNECTING, BENCH_READY_TIMEOUT, BENCH_DRAIN_TIMEOUT, EV_KEEPALIVE_SECS);
}

static int
parse_u64(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v = 0;
	char *end = NULL;
	bool ok;

	errno = 0;
	/* strtoull would accept "-1" as a huge number. */
	ok = *s != '-' && *s != '\0';
	if (ok)
		v = strtoull(s, &end, 10);
	ok = ok && errno == 0 && *end == '\0' && v >= min && v <= max;
	if (!ok) {
		ev_log_err("--%s: '%s' is not a number from %llu to %llu", name, s,
		           (unsigned long long)min, (unsigned long long)max);
		return EV_ERR_INVALID_ARG;
	}
	*out = v;
	return 0;
}

static int
parse_double(const char *name, const char *s, double min, double max, double *out)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min || v > max) {
		ev_log_err("--%s: '%s' is not a number from %g to %g", name, s, min, max);
		return EV_ERR_INVALID_ARG;
	}
	*out = v;
	return 0;
}

static int
parse_mode(const char *s, enum bench_mode *out)
{
	static const struct {
		const char *name;
		enum bench_mode mode;
	} modes[] = {{"pingpong", BENCH_PINGPONG}, {"bulk", BENCH_BULK}, {"idle", BENCH_IDLE}};

	for (size_t i = 0; i < EV_ARRAY_LEN(modes); i++) {
		if (strcmp(s, modes[i].name) == 0) {
			*out = modes[i].mode;
			return 0;
		}
	}
	ev_log_err("unknown mode '%s' (pingpong, bulk or idle)", s);
	return EV_ERR_INVALID_ARG;
}

/* ws[s]://host[:port][/path]; host may be a bracketed IPv6 literal. */
static int
parse_url(struct bench_opts *o)
{
	const char *p = o->url, *auth, *host, *host_end, *auth_end;
	uint64_t port;
	char portbuf[8];
	size_t plen;
	int r = EV_ERR_INVALID_ARG;

	if (strncmp(p, "wss://", 6) == 0) {
		o->tls = true;
		auth = p + 6;
	} else if (strncmp(p, "ws://", 5) == 0) {
		o->tls = false;
		auth = p + 5;
	} else {
		ev_log_err("--url must start with wss:// or ws://");
		return EV_ERR_INVALID_ARG;
	}
	auth_end = auth + strcspn(auth, "/?#");
	if (*auth_end != '\0' && *auth_end != '/')
		goto out;
	if (*auth == '[') {
		host = auth + 1;
		if ((host_end = memchr(host, ']', (size_t)(auth_end - host))) == NULL)
			goto out;
		p = host_end + 1;
	} else {
		host = auth;
		if ((host_end = memchr(host, ':', (size_t)(auth_end - host))) == NULL)
			host_end = auth_end;
		p = host_end;
	}
	if (host_end == host)
		goto out;
	port = o->tls ? 443 : 80;
	if (p < auth_end) {
		plen = (size_t)(auth_end - p - 1);
		if (*p != ':' || plen == 0 || plen >= sizeof(portbuf))
			goto out;
		memcpy(portbuf, p + 1, plen);
		portbuf[plen] = '\0';
		if ((r = parse_u64("url port", portbuf, 1, 65535, &port)) != 0)
			return r;
	}
	o->port = (int)port;
	r = EV_ERR_NOMEM;
	if ((o->host = ev_strndup(host, (size_t)(host_end - host))) == NULL ||
	    (o->host_header = ev_strndup(auth, (size_t)(auth_end - auth))) == NULL ||
	    (o->path = ev_strndup(*auth_end == '/' ? auth_end : "/",
	                          *auth_end == '/' ? strlen(auth_end) : 1)) == NULL)
		return r;
	r = 0;
out:
	if (r == EV_ERR_INVALID_ARG)
		ev_log_err("--url '%s' is not ws[s]://HOST[:PORT]/PATH", o->url);
	return r;
}

enum {
	OPT_URL = 256,
	OPT_CAFILE,
	OPT_INSECURE,
	OPT_SESSIONS,
	OPT_SIZE,
	OPT_COUNT,
	OPT_DURATION,
	OPT_RATE,
	OPT_PID,
	OPT_JSON,
	OPT_MAX_CONNECTING,
	OPT_READY_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_KEEPALIVE,
	OPT_PROCS,
};

static const struct option long_opts[] = {
        {"url", required_argument, NULL, OPT_URL},
        {"cafile", required_argument, NULL, OPT_CAFILE},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"sessions", required_argument, NULL, OPT_SESSIONS},
        {"size", required_argument, NULL, OPT_SIZE},
        {"count", required_argument, NULL, OPT_COUNT},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"rate", required_argument, NULL, OPT_RATE},
        {"dispatcher-pid", required_argument, NULL, OPT_PID},
        {"json", no_argument, NULL, OPT_JSON},
        {"max-connecting", required_argument, NULL, OPT_MAX_CONNECTING},
        {"ready-timeout", required_argument, NULL, OPT_READY_TIMEOUT},
        {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
        {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
        {"procs", required_argument, NULL, OPT_PROCS},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* 0 to run, 1 after --help, or an EV_ERR_* code. */
static int
parse_args(int argc, char **argv, struct bench_opts *o)
{
	uint64_t v;
	bool size_set = false;
	int ch, r = 0;

	o->sessions = 1;
	o->duration = BENCH_DEFAULT_SECS;
	o->max_connecting = BENCH_MAX_CONNECTING;
	o->ready_timeout = BENCH_READY_TIMEOUT;
	o->drain_timeout = BENCH_DRAIN_TIMEOUT;
	o->keepalive = EV_KEEPALIVE_SECS;
	o->procs = 1;
	while ((ch = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_URL: o->url = optarg; break;
		case OPT_CAFILE: o->cafile = optarg; break;
		case OPT_INSECURE: o->insecure = true; break;
		case OPT_JSON: o->json = true; break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); return 1;
		case OPT_SESSIONS:
			r = parse_u64("sessions", optarg, 1, BENCH_MAX_SESSIONS, &v);
			o->sessions = (unsigned)v;
			break;
		case OPT_SIZE:
			r = parse_u64("size", optarg, BENCH_MSG_HDR_LEN, BENCH_MAX_SIZE, &v);
			o->size = (size_t)v;
			size_set = true;
			break;
		case OPT_COUNT:
			r = parse_u64("count", optarg, 1, UINT64_C(1) << 48, &o->count);
			break;
		case OPT_DURATION:
			r = parse_double("duration", optarg, 0.001, 1e7, &o->duration);
			o->duration_set = true;
			break;
		case OPT_RATE: r = parse_double("rate", optarg, 0.001, 1e9, &o->rate); break;
		case OPT_PID:
			r = parse_u64("dispatcher-pid", optarg, 1, INT32_MAX, &v);
			o->dispatcher_pid = (pid_t)v;
			break;
		case OPT_MAX_CONNECTING:
			r = parse_u64("max-connecting", optarg, 1, 100000, &v);
			o->max_connecting = (unsigned)v;
			break;
		case OPT_READY_TIMEOUT:
			r = parse_double("ready-timeout", optarg, 0.1, 1e6, &o->ready_timeout);
			break;
		case OPT_DRAIN_TIMEOUT:
			r = parse_double("drain-timeout", optarg, 0.0, 1e6, &o->drain_timeout);
			break;
		case OPT_KEEPALIVE:
			r = parse_u64("keepalive", optarg, 0, 3600, &v);
			o->keepalive = (unsigned)v;
			break;
		case OPT_PROCS:
			r = parse_u64("procs", optarg, 1, BENCH_MAX_PROCS, &v);
			o->procs = (unsigned)v;
			break;
		default: return EV_ERR_INVALID_ARG;
		}
		if (r != 0)
			return r;
	}
	if (optind != argc - 1) {
		ev_log_err(optind >= argc ? "missing MODE" : "exactly one MODE expected");
		return EV_ERR_INVALID_ARG;
	}
	if ((r = parse_mode(argv[optind], &o->mode)) != 0)
		return r;
	if (o->url == NULL) {
		ev_log_err("--url is required");
		return EV_ERR_INVALID_ARG;
	}
	if (o->cafile != NULL && o->insecure) {
		ev_log_err("--cafile and --insecure exclude each other");
		return EV_ERR_INVALID_ARG;
	}
	if (o->rate > 0 && o->mode != BENCH_PINGPONG) {
		ev_log_err("--rate applies to pingpong only");
		return EV_ERR_INVALID_ARG;
	}
	if (o->count > 0 && o->mode == BENCH_IDLE) {
		ev_log_err("--count does not apply to idle");
		return EV_ERR_INVALID_ARG;
	}
	if (o->procs > o->sessions) {
		ev_log_err("--procs %u is more than --sessions %u", o->procs, o->sessions);
		return EV_ERR_INVALID_ARG;
	}
	if (!size_set)
		o->size = o->mode == BENCH_BULK ? BENCH_DEFAULT_BULK : BENCH_DEFAULT_SIZE;
	if ((r = parse_url(o)) != 0)
		return r;
	if (!o->tls && (o->cafile != NULL || o->insecure))
		ev_log_warn("--cafile/--insecure ignored for a ws:// URL");
	return 0;
}

/* lws resolves every connection's address anew, synchronously: do it once. */
static int
resolve_host(struct bench_opts *o)
{
	struct addrinfo hints, *res = NULL, *ai;
	const void *a;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(o->host, NULL, &hints, &res)) != 0 || res == NULL) {
		ev_log_err("cannot resolve '%s': %s", o->host, gai_strerror(e));
		return EV_ERR_NOT_FOUND;
	}
	/* IPv4 first: "localhost" often lists ::1 first while servers listen on 127.0.0.1. */
	for (ai = res; ai != NULL && ai->ai_family != AF_INET; ai = ai->ai_next)
		;
	if (ai == NULL)
		ai = res;
	if (ai->ai_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
	if (inet_ntop(ai->ai_family, a, o->addr, sizeof(o->addr)) == NULL) {
		freeaddrinfo(res);
		return EV_ERR_SYSTEM;
	}
	freeaddrinfo(res);
	return 0;
}

/* lws's file descriptor tables are sized from RLIMIT_NOFILE at context creation. */
static int
raise_fd_limit(unsigned sessions)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)sessions * 2 + BENCH_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return EV_ERR_SYSTEM;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return EV_ERR_SYSTEM;
	}
	if (rl.rlim_cur < need) {
		ev_log_err("%u sessions need %llu file descriptors; the hard limit is %llu "
		           "(raise it with ulimit -Hn or LimitNOFILE=)",
		           sessions, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
		return EV_ERR_INVALID_ARG;
	}
	return 0;
}

/* localhost, or an address literal that one of our interfaces has. */
static bool
host_is_local(const char *h)
{
	struct ifaddrs *ifa = NULL, *i;
	struct in6_addr a6;
	struct in_addr a4;
	bool v4, v6, local = false;

	if (strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0)
		return true;
	v4 = inet_pton(AF_INET, h, &a4) == 1;
	v6 = !v4 && inet_pton(AF_INET6, h, &a6) == 1;
	if ((!v4 && !v6) || getifaddrs(&ifa) != 0)
		return false;
	for (i = ifa; i != NULL && !local; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (v4 && i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in sin;

			memcpy(&sin, i->ifa_addr, sizeof(sin));
			local = sin.sin_addr.s_addr == a4.s_addr;
		} else if (v6 && i->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 sin6;

			memcpy(&sin6, i->ifa_addr, sizeof(sin6));
			local = memcmp(&sin6.sin6_addr, &a6, sizeof(a6)) == 0;
		}
	}
	freeifaddrs(ifa);
	return local;
}

/*
 * The process to watch: --dispatcher-pid, else for a local URL the process
 * listening on the URL's port (whatever its name, so EVE's Go dispatcher is
 * found too), else the only process called edgeview-dispatcher.
 */
static int
find_dispatcher(struct bench *b)
{
	pid_t pid;
	unsigned n;
	int r;

	if (b->o.dispatcher_pid > 0) {
		if (!bench_proc_exists(b->o.dispatcher_pid)) {
			ev_log_err("--dispatcher-pid %ld: no such process",
			           (long)b->o.dispatcher_pid);
			return EV_ERR_NOT_FOUND;
		}
		b->disp_pid = b->o.dispatcher_pid;
		b->disp_how = "dispatcher-pid";
	} else if (!host_is_local(b->o.host)) {
		return 0;
	} else if (bench_proc_find_listener(b->o.port, &pid) == 0) {
		b->disp_pid = pid;
		b->disp_how = "listener";
	} else if ((r = bench_proc_find("edgeview-dispatcher", &pid, &n)) != 0) {
		ev_log_warn_r(r, "cannot scan /proc for edgeview-dispatcher");
		return 0;
	} else if (n == 1) {
		b->disp_pid = pid;
		b->disp_how = "name";
	} else {
		if (n > 1)
			ev_log_warn("%u edgeview-dispatcher processes, none seen listening on port "
			            "%d; pass --dispatcher-pid",
			            n, b->o.port);
		else
			ev_log_notice(
			        "dispatcher process not found; pass --dispatcher-pid to report "
			        "its memory and CPU");
		return 0;
	}
	bench_proc_comm(b->disp_pid, b->disp_comm, sizeof(b->disp_comm));
	if (b->o.verbose > 0 || !b->o.json)
		ev_log_notice("watching dispatcher pid %ld (%s)", (long)b->disp_pid, b->disp_comm);
	return 0;
}

static void
lws_log_to_ev(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		ev_log_err("lws: %.*s", (int)n, line);
	else
		ev_log_notice("lws: %.*s", (int)n, line);
}

static void
free_opts(struct bench_opts *o)
{
	free(o->host);
	free(o->path);
	free(o->host_header);
	o->host = o->path = o->host_header = NULL;
}

static void
set_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * One process's share of the run: sessions [id_base, id_base + nsess).
 * Fills *out (which may live in shared memory) and returns 0, or an
 * EV_ERR_* code when the run could not start at all.
 */
static int
run_worker(struct bench *b, struct bench_result *out)
{
	struct lws_context_creation_info info;
	struct lws_protocols protocols[2];
	uint64_t last_signal = 0, now;
	int r;

	if ((r = bench_setup(b)) != 0) {
		ev_log_err_r(r, "setting up %u sessions", b->nsess);
		return r;
	}
	lws_set_log_level(b->o.verbose > 0 ? LLL_ERR | LLL_WARN : 0, lws_log_to_ev);
	memset(protocols, 0, sizeof(protocols));
	protocols[0].name = BENCH_PROTOCOL_NAME;
	protocols[0].callback = bench_callback;
	protocols[0].rx_buffer_size = b->o.mode == BENCH_BULK ? BULK_RX_CHUNK : 0;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = b;
	info.options = b->o.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
	info.client_ssl_ca_filepath = b->o.cafile;
	info.pt_serv_buf_size = SERVICE_BUF;
	info.timeout_secs = LWS_TIMEOUT_SEC;
	info.connect_timeout_secs = LWS_TIMEOUT_SEC;
	if ((b->ctx = lws_create_context(&info)) == NULL) {
		ev_log_err("cannot create the libwebsockets context%s",
		           b->o.cafile != NULL ? " (is --cafile a readable PEM file?)" : "");
		return EV_ERR_SYSTEM;
	}
	bench_start(b);
	while (!b->stop) {
		if (lws_service(b->ctx, 0) < 0)
			break;
		if (got_signal) {
			got_signal = 0;
			now = bench_now_ns();
			/* With --procs a Ctrl-C reaches us twice: from the tty and the parent. */
			if (last_signal == 0 || now - last_signal > SIGNAL_DEBOUNCE_NS)
				bench_interrupt(b, false);
			last_signal = now;
		}
	}
	if (!b->stop) {
		ev_log_err("the libwebsockets service loop failed");
		bench_interrupt(b, true);
	}
	/* Closes every socket; callbacks see PH_DONE and count nothing more. */
	lws_context_destroy(b->ctx);
	b->ctx = NULL;
	bench_collect(b, out);
	return 0;
}

static void
split_sessions(struct bench *b, unsigned worker)
{
	unsigned n = b->o.sessions, p = b->o.procs;

	b->worker = worker;
	b->id_base = (uint32_t)((uint64_t)n * worker / p);
	b->nsess = (unsigned)((uint64_t)n * (worker + 1) / p) - b->id_base;
	b->watch_dispatcher = worker == 0;
}

static pid_t workers[BENCH_MAX_PROCS];
static unsigned nworkers;

static void
on_parent_signal(int sig)
{
	/* kill() is async-signal-safe; the workers drain and report. */
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i] > 0)
			kill(workers[i], sig);
}

/* --procs: fork the workers, wait for them, merge what they measured. */
static int
run_procs(struct bench *b, struct bench_result *merged)
{
	struct bench_shared *sh;
	size_t len = sizeof(*sh) + (size_t)b->o.procs * sizeof(struct bench_result);
	int status, r = 0;
	pid_t pid;

	memset(merged, 0, sizeof(*merged));
	sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return EV_ERR_SYSTEM;
	memset(sh, 0, len);
	sh->workers = b->o.procs;
	atomic_init(&sh->settled, 0);
	atomic_init(&sh->start_ns, 0);
	fflush(stdout);
	fflush(stderr);
	for (unsigned k = 0; k < b->o.procs; k++) {
		if ((pid = fork()) < 0) {
			ev_log_err("fork: %s", strerror(errno));
			r = EV_ERR_SYSTEM;
			break;
		}
		if (pid == 0) {
			nworkers = 0;
			set_signals(on_signal);
			split_sessions(b, k);
			b->shared = sh;
			if (k > 0 && b->o.verbose == 0)
				ev_log_set_level(EV_LOG_WARN);
			r = run_worker(b, &sh->res[k]);
			bench_teardown(b);
			free_opts(&b->o);
			/* exit, not _exit: stdio was flushed before fork; leak checks run. */
			exit(r == 0 ? 0 : EXIT_USAGE);
		}
		workers[nworkers++] = pid;
	}
	set_signals(on_parent_signal);
	for (unsigned k = 0; k < nworkers; k++) {
		while (waitpid(workers[k], &status, 0) < 0 && errno == EINTR)
			;
		workers[k] = 0;
		if (!sh->res[k].valid) {
			ev_log_err("worker %u ended without results", k);
			if (r == 0)
				r = EV_ERR_SYSTEM;
			continue;
		}
		bench_result_merge(merged, &sh->res[k]);
	}
	if (r != 0 && merged->valid)
		merged->interrupted = true; /* a partial run is never clean */
	munmap(sh, len);
	return merged->valid ? 0 : r;
}

int
main(int argc, char **argv)
{
	struct bench_result *res = NULL;
	struct bench b;
	int r, ret = EXIT_USAGE;

	memset(&b, 0, sizeof(b));
	ev_log_set_ident("edgeview-bench");
	if ((r = parse_args(argc, argv, &b.o)) != 0) {
		if (r == 1)
			ret = 0;
		else
			fprintf(stderr, "try 'edgeview-bench --help'\n");
		goto out;
	}
	b.msg_size = b.o.size;
	if (raise_fd_limit((b.o.sessions + b.o.procs - 1) / b.o.procs) != 0)
		goto out;
	if ((r = resolve_host(&b.o)) != 0 || (r = find_dispatcher(&b)) != 0)
		goto out;
	/* The result holds a histogram of a few pages: keep it off the stack. */
	if ((res = calloc(1, sizeof(*res))) == NULL)
		goto out;
	/* Before the first connect, so that start shows the dispatcher's baseline. */
	if (b.disp_pid > 0 && bench_proc_mem(b.disp_pid, &b.disp_start) != 0)
		ev_log_warn("cannot read the memory of dispatcher pid %ld", (long)b.disp_pid);
	if (b.o.procs > 1) {
		r = run_procs(&b, res);
	} else {
		split_sessions(&b, 0);
		set_signals(on_signal);
		r = run_worker(&b, res);
	}
	if (r != 0)
		goto out;
	if (b.o.json) {
		if (bench_report_json(&b, res, stdout) != 0) {
			ev_log_err("cannot write the JSON report");
			goto out;
		}
	} else {
		bench_report_text(&b, res, stdout);
	}
	fflush(stdout);
	ret = bench_clean(res) ? 0 : 1;
out:
	free(res);
	bench_teardown(&b);
	free_opts(&b.o);
	return ret;
}
