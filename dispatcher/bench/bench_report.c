/*
 * bench_report.c - merging worker results, the result table and the --json
 * object of edgeview-bench.
 *
 * Throughput counts only what arrived inside the measuring window (between
 * the start, when all sessions were ready, and the end of --duration or the
 * moment a session reached --count); messages that arrive while draining
 * still count for loss and RTT.  MB means 10^6 bytes.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "ev_err.h"

#define NS_PER_SEC_F 1e9
#define NS_PER_MS_F  1e6
#define RATE_REACHED 0.95 /* --rate counts as reached at 95 % */
#define BUSY_BENCH   90.0 /* % of a core above which the bench may be the limit */

struct summary {
	double window_s;
	double connect_s;
	double msgs_per_s;
	double mbps_total;
	double mbps_avg;
	double pings_per_s;
	bool rate_reached;
	uint64_t errors;
	bool have_mem;
	bool have_private;
	double per_session_rss;     /* bytes */
	double per_session_private; /* bytes */
	bool have_cpu;
	double disp_cpu_pct;
	double self_cpu_pct; /* summed over workers: may exceed 100 */
	unsigned procs;
};

const char *
bench_mode_name(enum bench_mode m)
{
	switch (m) {
	case BENCH_PINGPONG: return "pingpong";
	case BENCH_BULK: return "bulk";
	case BENCH_IDLE: return "idle";
	}
	return "?";
}

static uint64_t
error_total(const struct bench_result *r)
{
	const struct bench_counters *c = &r->c;

	return c->lost + c->misrouted + c->duplicated + c->corrupted + c->peer_lost +
	       c->connect_errors + c->disconnected + c->rejected + c->not_ready;
}

bool
bench_clean(const struct bench_result *r)
{
	return r->valid && error_total(r) == 0 && !r->interrupted;
}

static uint64_t
min_nonzero(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

void
bench_result_merge(struct bench_result *into, const struct bench_result *from)
{
	struct bench_hist *h = &into->rtt;
	const struct bench_hist *fh = &from->rtt;

	if (!from->valid)
		return;
	if (!into->valid) {
		*into = *from;
		return;
	}
	into->interrupted |= from->interrupted;
	into->sessions += from->sessions;
	into->t_start = min_nonzero(into->t_start, from->t_start);
	if (from->t_ready > into->t_ready)
		into->t_ready = from->t_ready;
	/* A worker that measured nothing has no window to contribute. */
	if (from->n_active > 0) {
		into->t0 = into->n_active > 0 ? min_nonzero(into->t0, from->t0) : from->t0;
		if (into->n_active == 0 || from->t1 > into->t1)
			into->t1 = from->t1;
	}
	into->n_active += from->n_active;
	into->relayed += from->relayed;
	into->bytes += from->bytes;
	if (from->mbps_n > 0) {
		if (into->mbps_n == 0 || from->mbps_min < into->mbps_min)
			into->mbps_min = from->mbps_min;
		if (from->mbps_max > into->mbps_max)
			into->mbps_max = from->mbps_max;
		into->mbps_sum += from->mbps_sum;
		into->mbps_n += from->mbps_n;
	}
	into->self_cpu_ns += from->self_cpu_ns;
	into->self_up.vmrss_kb += from->self_up.vmrss_kb;
	into->self_up.valid = into->self_up.valid && from->self_up.valid;
	/* Only one worker watches the dispatcher. */
	if (from->disp_up.valid)
		into->disp_up = from->disp_up;
	if (from->have_cpu) {
		into->have_cpu = true;
		into->disp_cpu0 = from->disp_cpu0;
		into->disp_cpu1 = from->disp_cpu1;
	}
#define BENCH_COUNTER_ADD_(name) into->c.name += from->c.name;
	BENCH_COUNTERS(BENCH_COUNTER_ADD_)
#undef BENCH_COUNTER_ADD_
	h->count += fh->count;
	h->sum_ns += fh->sum_ns;
	if (fh->min_ns < h->min_ns)
		h->min_ns = fh->min_ns;
	if (fh->max_ns > h->max_ns)
		h->max_ns = fh->max_ns;
	for (unsigned i = 0; i < BENCH_HIST_BUCKETS; i++)
		h->bucket[i] += fh->bucket[i];
}

static void
summarize(const struct bench *b, const struct bench_result *r, struct summary *m)
{
	memset(m, 0, sizeof(*m));
	m->procs = b->o.procs;
	if (r->t1 > r->t0)
		m->window_s = (double)(r->t1 - r->t0) / NS_PER_SEC_F;
	if (r->t_ready > r->t_start)
		m->connect_s = (double)(r->t_ready - r->t_start) / NS_PER_SEC_F;
	m->mbps_avg = r->mbps_n > 0 ? r->mbps_sum / r->mbps_n : 0;
	if (m->window_s > 0) {
		m->msgs_per_s = (double)r->relayed / m->window_s;
		m->mbps_total = (double)r->bytes / 1e6 / m->window_s;
		m->pings_per_s = (double)r->c.sent / m->window_s;
		m->self_cpu_pct = (double)r->self_cpu_ns / NS_PER_SEC_F / m->window_s * 100;
	}
	m->rate_reached = b->o.rate <= 0 || m->pings_per_s >= RATE_REACHED * b->o.rate;
	m->errors = error_total(r);
	if (b->disp_start.valid && r->disp_up.valid && r->n_active > 0) {
		m->have_mem = true;
		m->per_session_rss =
		        ((double)r->disp_up.vmrss_kb - (double)b->disp_start.vmrss_kb) * 1024.0 /
		        r->n_active;
		m->have_private = b->disp_start.have_private && r->disp_up.have_private;
		m->per_session_private =
		        ((double)r->disp_up.private_kb - (double)b->disp_start.private_kb) *
		        1024.0 / r->n_active;
	}
	if (r->have_cpu && r->disp_cpu1 >= r->disp_cpu0 && m->window_s > 0) {
		long tck = sysconf(_SC_CLK_TCK);

		if (tck > 0) {
			m->have_cpu = true;
			m->disp_cpu_pct = (double)(r->disp_cpu1 - r->disp_cpu0) / (double)tck /
			                  m->window_s * 100;
		}
	}
}

static double
ms(uint64_t ns)
{
	return (double)ns / NS_PER_MS_F;
}

static double
mib(uint64_t kb)
{
	return (double)kb / 1024.0;
}

static const char *
how_found(const char *how)
{
	if (how == NULL)
		return "?";
	if (strcmp(how, "listener") == 0)
		return "listens on the URL port";
	if (strcmp(how, "name") == 0)
		return "found by name in /proc";
	return "from --dispatcher-pid";
}

#define ROW(f, name, ...)                        \
	do {                                     \
		fprintf((f), "  %-20s", (name)); \
		fprintf((f), __VA_ARGS__);       \
		fputc('\n', (f));                \
	} while (0)

static void
text_dispatcher(const struct bench *b, const struct bench_result *r, const struct summary *m,
                FILE *f)
{
	if (b->disp_pid <= 0)
		return;
	ROW(f, "dispatcher pid", "%ld %s (%s)", (long)b->disp_pid, b->disp_comm,
	    how_found(b->disp_how));
	if (b->disp_start.valid && r->disp_up.valid) {
		ROW(f, "dispatcher VmRSS", "%.1f MiB at start, %.1f MiB with all sessions up",
		    mib(b->disp_start.vmrss_kb), mib(r->disp_up.vmrss_kb));
		if (m->have_private)
			ROW(f, "dispatcher Private",
			    "%.1f MiB at start, %.1f MiB with all sessions up",
			    mib(b->disp_start.private_kb), mib(r->disp_up.private_kb));
	}
	if (m->have_mem && b->o.mode == BENCH_IDLE && m->have_private)
		ROW(f, "per session",
		    "%.0f bytes VmRSS, %.0f bytes Private (dispatcher growth / %u)",
		    m->per_session_rss, m->per_session_private, r->n_active);
	else if (m->have_mem && b->o.mode == BENCH_IDLE)
		ROW(f, "per session", "%.0f bytes VmRSS (dispatcher growth / %u)",
		    m->per_session_rss, r->n_active);
	if (m->have_cpu && b->o.mode != BENCH_IDLE)
		ROW(f, "dispatcher CPU", "%.1f %% of one core", m->disp_cpu_pct);
}

static void
text_mode(const struct bench *b, const struct bench_result *r, const struct summary *m, FILE *f)
{
	const struct bench_counters *c = &r->c;
	const struct bench_hist *h = &r->rtt;

	if (b->o.mode == BENCH_PINGPONG) {
		ROW(f, "round trips", "%llu of %llu pings answered",
		    (unsigned long long)c->round_trips, (unsigned long long)c->sent);
		ROW(f, "relayed", "%.1f msgs/s (every ping and every pong counts as one)",
		    m->msgs_per_s);
		ROW(f, "RTT ms", "p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  (mean %.3f, n %llu)",
		    ms(bench_hist_percentile(h, 50)), ms(bench_hist_percentile(h, 90)),
		    ms(bench_hist_percentile(h, 99)), ms(h->max_ns), ms(bench_hist_mean(h)),
		    (unsigned long long)h->count);
		if (b->o.rate > 0)
			ROW(f, "target rate", "%.1f pings/s: %s (%.1f pings/s sent)", b->o.rate,
			    m->rate_reached ? "reached" : "NOT reached", m->pings_per_s);
	} else if (b->o.mode == BENCH_BULK) {
		ROW(f, "messages", "%llu sent, %llu received", (unsigned long long)c->sent,
		    (unsigned long long)c->received);
		ROW(f, "per session MB/s", "min %.2f  avg %.2f  max %.2f", r->mbps_min, m->mbps_avg,
		    r->mbps_max);
		ROW(f, "total", "%.2f MB/s, %.1f msgs/s (MB = 10^6 bytes)", m->mbps_total,
		    m->msgs_per_s);
	}
}

void
bench_report_text(const struct bench *b, const struct bench_result *r, FILE *f)
{
	const struct bench_counters *c = &r->c;
	struct summary m;

	summarize(b, r, &m);
	fprintf(f, "edgeview-bench %s  %s\n", bench_mode_name(b->o.mode), b->o.url);
	ROW(f, "sessions", "%u ready of %u (connect %.2f s, at most %u handshakes in flight%s)",
	    r->n_active, b->o.sessions, m.connect_s, b->o.max_connecting * m.procs,
	    m.procs > 1 ? ", all workers" : "");
	if (b->o.mode != BENCH_IDLE)
		ROW(f, "message size", "%zu bytes (header included)", b->msg_size);
	ROW(f, b->o.mode == BENCH_IDLE ? "held" : "measured", "%.2f s", m.window_s);
	text_mode(b, r, &m, f);
	text_dispatcher(b, r, &m, f);
	if (r->self_up.valid)
		ROW(f, "bench", "%.1f MiB VmRSS, %.1f %% CPU of one core (%u process%s)",
		    mib(r->self_up.vmrss_kb), m.self_cpu_pct, m.procs, m.procs > 1 ? "es" : "");
	ROW(f, "control msgs",
	    "no-device-online %llu, endpoint-addr %llu, rate-limit %llu, other text %llu",
	    (unsigned long long)c->ctl_no_device, (unsigned long long)c->ctl_endpoint,
	    (unsigned long long)c->ctl_rate_limit, (unsigned long long)c->ctl_unknown);
	ROW(f, "keepalive", "%llu pings sent, %llu pongs", (unsigned long long)c->pings_sent,
	    (unsigned long long)c->pongs);
	ROW(f, "errors",
	    "lost %llu, misrouted %llu, duplicated %llu, corrupted %llu, peer_lost %llu,",
	    (unsigned long long)c->lost, (unsigned long long)c->misrouted,
	    (unsigned long long)c->duplicated, (unsigned long long)c->corrupted,
	    (unsigned long long)c->peer_lost);
	ROW(f, "", "connect %llu, disconnected %llu, rejected %llu, not_ready %llu",
	    (unsigned long long)c->connect_errors, (unsigned long long)c->disconnected,
	    (unsigned long long)c->rejected, (unsigned long long)c->not_ready);
	ROW(f, "result", "%s",
	    bench_clean(r)   ? "clean"
	    : r->interrupted ? "INTERRUPTED"
	                     : "ERRORS");
	if (b->o.mode != BENCH_IDLE && m.self_cpu_pct > BUSY_BENCH * m.procs)
		fprintf(f, "note: the bench itself was busy; for more load run more --procs "
		           "(one per core) or more bench machines\n");
}

/* ---- JSON ---- */

static int
set_new(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return EV_ERR_NOMEM;
	return json_object_set_new(obj, key, v) == 0 ? 0 : EV_ERR_NOMEM;
}

static int
set_u64(json_t *obj, const char *key, uint64_t v)
{
	/* json_int_t is long long: counters stay far below 2^63. */
	return set_new(obj, key, json_integer((json_int_t)v));
}

static int
set_real(json_t *obj, const char *key, double v)
{
	return set_new(obj, key, json_real(v));
}

static json_t *
mem_json(const struct bench_mem *m)
{
	json_t *o;

	if (!m->valid)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	if (set_u64(o, "vmrss_kb", m->vmrss_kb) != 0 ||
	    (m->have_private && set_u64(o, "private_kb", m->private_kb) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
json_errors(const struct bench_result *res, json_t *root)
{
	const struct bench_counters *c = &res->c;
	json_t *e = json_object();
	int r;

	if (e == NULL)
		return EV_ERR_NOMEM;
	if ((r = set_u64(e, "lost", c->lost)) != 0 || (r = set_u64(e, "misrouted", c->misrouted)) ||
	    (r = set_u64(e, "duplicated", c->duplicated)) ||
	    (r = set_u64(e, "corrupted", c->corrupted)) ||
	    (r = set_u64(e, "peer_lost", c->peer_lost)) ||
	    (r = set_u64(e, "connect", c->connect_errors)) ||
	    (r = set_u64(e, "disconnected", c->disconnected)) ||
	    (r = set_u64(e, "rejected", c->rejected)) ||
	    (r = set_u64(e, "not_ready", c->not_ready)) ||
	    (r = set_u64(e, "total", error_total(res)))) {
		json_decref(e);
		return r;
	}
	return set_new(root, "errors", e);
}

static int
json_control(const struct bench_result *res, json_t *root)
{
	const struct bench_counters *c = &res->c;
	json_t *o = json_object();
	int r;

	if (o == NULL)
		return EV_ERR_NOMEM;
	if ((r = set_u64(o, "no_device_online", c->ctl_no_device)) != 0 ||
	    (r = set_u64(o, "endpoint_addr", c->ctl_endpoint)) ||
	    (r = set_u64(o, "token_required", c->ctl_token_required)) ||
	    (r = set_u64(o, "too_many_peers", c->ctl_too_many_peers)) ||
	    (r = set_u64(o, "rate_limit", c->ctl_rate_limit)) ||
	    (r = set_u64(o, "other_text", c->ctl_unknown)) ||
	    (r = set_u64(o, "keepalive_pings", c->pings_sent)) ||
	    (r = set_u64(o, "keepalive_pongs", c->pongs))) {
		json_decref(o);
		return r;
	}
	return set_new(root, "control", o);
}

static int
json_pingpong(const struct bench *b, const struct bench_result *res, const struct summary *m,
              json_t *o)
{
	const struct bench_hist *h = &res->rtt;
	json_t *rtt = json_object();
	int r;

	if (rtt == NULL)
		return EV_ERR_NOMEM;
	if ((r = set_u64(o, "pings_sent", res->c.sent)) != 0 ||
	    (r = set_u64(o, "pings_echoed", res->c.echoed)) ||
	    (r = set_u64(o, "round_trips", res->c.round_trips)) ||
	    (r = set_u64(o, "relayed_in_window", res->relayed)) ||
	    (r = set_real(o, "relayed_msgs_per_s", m->msgs_per_s)) ||
	    (r = set_real(o, "pings_per_s", m->pings_per_s)) ||
	    (r = set_u64(rtt, "samples", h->count)) ||
	    (r = set_real(rtt, "p50", ms(bench_hist_percentile(h, 50)))) ||
	    (r = set_real(rtt, "p90", ms(bench_hist_percentile(h, 90)))) ||
	    (r = set_real(rtt, "p99", ms(bench_hist_percentile(h, 99)))) ||
	    (r = set_real(rtt, "max", ms(h->max_ns))) ||
	    (r = set_real(rtt, "min", ms(h->count > 0 ? h->min_ns : 0))) ||
	    (r = set_real(rtt, "mean", ms(bench_hist_mean(h))))) {
		json_decref(rtt);
		return r;
	}
	if ((r = set_new(o, "rtt_ms", rtt)) != 0)
		return r;
	if (b->o.rate > 0 && ((r = set_real(o, "rate_target", b->o.rate)) != 0 ||
	                      (r = set_new(o, "rate_reached", json_boolean(m->rate_reached)))))
		return r;
	return 0;
}

static int
json_mode(const struct bench *b, const struct bench_result *res, const struct summary *m,
          json_t *root)
{
	json_t *o = json_object();
	int r;

	if (o == NULL)
		return EV_ERR_NOMEM;
	if (b->o.mode == BENCH_PINGPONG) {
		r = json_pingpong(b, res, m, o);
	} else if (b->o.mode == BENCH_IDLE) {
		if ((r = set_u64(o, "sessions_held", res->n_active)) == 0 &&
		    (r = set_real(o, "held_s", m->window_s)) == 0 &&
		    (r = set_new(o, "dispatcher_per_session_vmrss_bytes",
		                 m->have_mem ? json_real(m->per_session_rss) : json_null())) == 0)
			r = set_new(o, "dispatcher_per_session_private_bytes",
			            m->have_private ? json_real(m->per_session_private)
			                            : json_null());
	} else {
		if ((r = set_u64(o, "sent", res->c.sent)) != 0 ||
		    (r = set_u64(o, "received", res->c.received)) ||
		    (r = set_u64(o, "received_in_window", res->relayed)) ||
		    (r = set_u64(o, "bytes_in_window", res->bytes)) ||
		    (r = set_real(o, "total_MBps", m->mbps_total)) ||
		    (r = set_real(o, "msgs_per_s", m->msgs_per_s)) ||
		    (r = set_real(o, "session_MBps_min", res->mbps_min)) ||
		    (r = set_real(o, "session_MBps_avg", m->mbps_avg)))
			goto out;
		r = set_real(o, "session_MBps_max", res->mbps_max);
	}
	if (r != 0)
		goto out;
	r = set_new(root, bench_mode_name(b->o.mode), o);
	o = NULL;
out:
	json_decref(o);
	return r;
}

static int
json_dispatcher(const struct bench *b, const struct bench_result *res, const struct summary *m,
                json_t *root)
{
	json_t *o;
	int r;

	if (b->disp_pid <= 0)
		return set_new(root, "dispatcher", json_null());
	if ((o = json_object()) == NULL)
		return EV_ERR_NOMEM;
	if ((r = set_u64(o, "pid", (uint64_t)b->disp_pid)) != 0 ||
	    (r = set_new(o, "pid_source", json_string(b->disp_how))) ||
	    (r = set_new(o, "name", json_string(b->disp_comm))) ||
	    (r = set_new(o, "start", mem_json(&b->disp_start))) ||
	    (r = set_new(o, "all_up", mem_json(&res->disp_up))))
		goto out;
	if (m->have_mem && (r = set_real(o, "per_session_vmrss_bytes", m->per_session_rss)) != 0)
		goto out;
	if (m->have_private &&
	    (r = set_real(o, "per_session_private_bytes", m->per_session_private)) != 0)
		goto out;
	if (m->have_cpu && (r = set_real(o, "cpu_percent", m->disp_cpu_pct)) != 0)
		goto out;
	r = set_new(root, "dispatcher", o);
	o = NULL;
out:
	json_decref(o);
	return r;
}

static int
json_bench(const struct bench_result *res, const struct summary *m, json_t *root)
{
	json_t *o = json_object();
	int r;

	if (o == NULL)
		return EV_ERR_NOMEM;
	if ((r = set_u64(o, "procs", m->procs)) != 0 ||
	    (r = set_new(o, "vmrss_kb",
	                 res->self_up.valid ? json_integer((json_int_t)res->self_up.vmrss_kb)
	                                    : json_null())) ||
	    (r = set_real(o, "cpu_percent", m->self_cpu_pct))) {
		json_decref(o);
		return r;
	}
	return set_new(root, "bench", o);
}

int
bench_report_json(const struct bench *b, const struct bench_result *res, FILE *f)
{
	json_t *root = json_object();
	struct summary m;
	int r;

	if (root == NULL)
		return EV_ERR_NOMEM;
	summarize(b, res, &m);
	if ((r = set_new(root, "mode", json_string(bench_mode_name(b->o.mode)))) != 0 ||
	    (r = set_new(root, "url", json_string(b->o.url))) ||
	    (r = set_u64(root, "sessions", b->o.sessions)) ||
	    (r = set_u64(root, "sessions_ready", res->n_active)) ||
	    (r = set_u64(root, "message_size", b->msg_size)) ||
	    (r = set_u64(root, "count", b->o.count)) ||
	    (r = set_real(root, "duration_s", b->o.duration)) ||
	    (r = set_real(root, "connect_s", m.connect_s)) ||
	    (r = set_real(root, "window_s", m.window_s)) || (r = json_mode(b, res, &m, root)) ||
	    (r = json_dispatcher(b, res, &m, root)) || (r = json_bench(res, &m, root)) ||
	    (r = json_control(res, root)) || (r = json_errors(res, root)) ||
	    (r = set_new(root, "interrupted", json_boolean(res->interrupted))) ||
	    (r = set_new(root, "clean", json_boolean(bench_clean(res)))))
		goto out;
	/* 10 significant digits: enough for ns-derived values, no %.17g noise. */
	if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) !=
	    0) {
		r = EV_ERR_IO;
		goto out;
	}
	fputc('\n', f);
	r = 0;
out:
	json_decref(root);
	return r;
}
