/* sys_ps.c - ps[/<substring>] and top [-line N] from /proc, no exec. */
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_err.h"
#include "ev_query.h"
#include "sys_proc.h"

/* Gap between the two /proc samples top takes for CPU use. */
#define TOP_SAMPLE_NS 500000000L

static long
clk_tck(void)
{
	long t = sysconf(_SC_CLK_TCK);

	return t > 0 ? t : 100;
}

static long
page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? p : 4096;
}

int
sys_ps(struct cmd_ctx *ctx, const char *arg)
{
	const char *filter = arg != NULL ? arg : "";
	char *cmdline = NULL;
	int *pids = NULL;
	size_t n = 0;
	struct sys_meminfo mi;
	double up = 0, tck = (double)clk_tck(), ps = (double)page_size();
	int r;

	if (!ev_query_chars_ok(filter, strlen(filter))) {
		cmd_colour_line(ctx, CMD_RED, "ps: invalid characters in '%s'", filter);
		return EV_ERR_QUERY_CHARS;
	}
	if ((cmdline = malloc(SYS_CMDLINE_MAX)) == NULL)
		return EV_ERR_NOMEM;
	if ((r = sys_proc_list(ctx, &pids, &n)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "ps: cannot list processes: %s", ev_strerror(r));
		goto out;
	}
	if (sys_meminfo_read(ctx, &mi) != 0)
		mi.total = 0;
	if (sys_uptime_read(ctx, &up) != 0)
		up = 0;
	cmd_colour_line(ctx, CMD_CYAN, " - ps: PID Times VMS RSS CPU%% MEM%% Name Cmdline");
	for (size_t i = 0; i < n; i++) {
		struct sys_proc p;
		double user, sys, life, cpu = 0, mem = 0;

		if (sys_proc_read(ctx, pids[i], &p) != 0 ||
		    sys_proc_cmdline(ctx, pids[i], cmdline, SYS_CMDLINE_MAX) != 0)
			continue; /* gone meanwhile */
		if (filter[0] != '\0' && strstr(cmdline, filter) == NULL)
			continue;
		user = (double)p.utime / tck;
		sys = (double)p.stime / tck;
		life = up - (double)p.starttime / tck;
		if (life > 0)
			cpu = (user + sys) / life * 100.0;
		if (mi.total > 0)
			mem = (double)p.rss_pages * ps / ((double)mi.total * 1024.0) * 100.0;
		cmd_printf(ctx,
		           "%06d: {\"cpu\":\"cpu\",\"user\":%.1f,\"system\":%.1f,\"idle\":0.0,"
		           "\"nice\":0.0,\"iowait\":0.0,\"irq\":0.0,\"softirq\":0.0,\"steal\":0.0,"
		           "\"guest\":0.0,\"guestNice\":0.0}, %llu, %llu, %.3f, %.3f, %s, %s\n",
		           p.pid, user, sys, (unsigned long long)p.vsize,
		           (unsigned long long)((double)p.rss_pages * ps), cpu, mem, p.comm,
		           cmdline);
		if (i % 50 == 49)
			fflush(ctx->out);
	}
	r = 0;
out:
	free(pids);
	free(cmdline);
	return r;
}

/* ---- top ---- */

struct top_row {
	struct sys_proc p;
	double cpu; /* percent over the sample gap */
};

/* Lines top may still print (-line N); unlimited when N <= 0. */
struct top_out {
	struct cmd_ctx *ctx;
	int64_t left;
	bool limited;
};

static bool EV_PRINTF(2, 3) top_line(struct top_out *t, const char *fmt, ...)
{
	va_list ap;

	if (t->limited && t->left <= 0)
		return false;
	va_start(ap, fmt);
	vfprintf(t->ctx->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->ctx->out);
	t->left--;
	return true;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? 1 : -1;
	return (x->p.pid > y->p.pid) - (x->p.pid < y->p.pid);
}

static void
user_name(long uid, char *buf, size_t cap)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (uid >= 0 && getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, cap, "%.8s", res->pw_name);
	else if (uid >= 0)
		snprintf(buf, cap, "%ld", uid);
	else
		snprintf(buf, cap, "?");
}

static void
fmt_time(uint64_t ticks, long tck, char *buf, size_t cap)
{
	uint64_t cs = ticks * 100 / (uint64_t)tck; /* centiseconds */

	snprintf(buf, cap, "%llu:%02llu.%02llu", (unsigned long long)(cs / 6000),
	         (unsigned long long)(cs / 100 % 60), (unsigned long long)(cs % 100));
}

int
sys_top(struct cmd_ctx *ctx, const char *arg)
{
	struct top_out t = {ctx, ctx->extraline, ctx->extraline > 0};
	struct top_row *rows = NULL;
	struct sys_cpu c0, c1;
	struct sys_meminfo mi;
	struct timespec gap = {0, TOP_SAMPLE_NS};
	int *pids = NULL;
	size_t n = 0, nrows = 0;
	size_t running = 0, sleeping = 0, stopped = 0, zombie = 0;
	double up = 0, tot, la[3] = {0, 0, 0};
	long tck = clk_tck(), ps = page_size();
	char buf[256], tm_s[16];
	struct tm tm;
	bool have_cpu;
	int r;

	(void)arg;
	if ((r = sys_proc_list(ctx, &pids, &n)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "top: cannot list processes: %s", ev_strerror(r));
		goto out;
	}
	if ((rows = calloc(n > 0 ? n : 1, sizeof(*rows))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	have_cpu = sys_cpu_read(ctx, &c0) == 0;
	for (size_t i = 0; i < n; i++)
		if (sys_proc_read(ctx, pids[i], &rows[nrows].p) == 0)
			nrows++;
	nanosleep(&gap, NULL);
	have_cpu = have_cpu && sys_cpu_read(ctx, &c1) == 0;
	for (size_t i = 0; i < nrows; i++) {
		struct sys_proc p2;
		if (sys_proc_read(ctx, rows[i].p.pid, &p2) == 0 &&
		    p2.utime + p2.stime >= rows[i].p.utime + rows[i].p.stime) {
			uint64_t d = p2.utime + p2.stime - rows[i].p.utime - rows[i].p.stime;
			rows[i].cpu = (double)d / ((double)tck * TOP_SAMPLE_NS / 1e9) * 100.0;
			rows[i].p = p2;
		}
		switch (rows[i].p.state) {
		case 'R': running++; break;
		case 'T':
		case 't': stopped++; break;
		case 'Z': zombie++; break;
		default: sleeping++; break;
		}
	}
	qsort(rows, nrows, sizeof(*rows), cmp_row);

	if (sys_uptime_read(ctx, &up) != 0)
		up = 0;
	if (sys_read_rootfile(ctx, "/proc/loadavg", buf, sizeof(buf), NULL) == 0) {
		char *p = buf, *end;
		for (int k = 0; k < 3; k++, p = end) {
			la[k] = strtod(p, &end);
			if (end == p) {
				la[k] = 0;
				break;
			}
		}
	}
	if (localtime_r(&ctx->now, &tm) == NULL ||
	    strftime(tm_s, sizeof(tm_s), "%H:%M:%S", &tm) == 0)
		tm_s[0] = '\0';
	{
		long long mins = (long long)(up / 60), days = mins / 1440;
		if (days > 0)
			snprintf(buf, sizeof(buf), "%lld day%s, %2lld:%02lld", days,
			         days == 1 ? "" : "s", mins % 1440 / 60, mins % 60);
		else
			snprintf(buf, sizeof(buf), "%2lld:%02lld", mins / 60, mins % 60);
	}
	if (!top_line(&t, "top - %s up %s,  load average: %.2f, %.2f, %.2f", tm_s, buf, la[0],
	              la[1], la[2]))
		goto done;
	if (!top_line(&t,
	              "Tasks: %4zu total, %3zu running, %3zu sleeping, %3zu stopped, %3zu zombie",
	              nrows, running, sleeping, stopped, zombie))
		goto done;
	if (have_cpu) {
		double d[8] = {
		        (double)(c1.user - c0.user),       (double)(c1.system - c0.system),
		        (double)(c1.nice - c0.nice),       (double)(c1.idle - c0.idle),
		        (double)(c1.iowait - c0.iowait),   (double)(c1.irq - c0.irq),
		        (double)(c1.softirq - c0.softirq), (double)(c1.steal - c0.steal),
		};
		tot = 0;
		for (int k = 0; k < 8; k++)
			tot += d[k];
		if (tot <= 0) { /* a fixture, or a clock that did not move */
			tot = 1;
			for (int k = 0; k < 8; k++)
				d[k] = 0;
			d[3] = 1;
		}
		if (!top_line(
		            &t,
		            "%%Cpu(s): %4.1f us, %4.1f sy, %4.1f ni, %4.1f id, %4.1f wa, %4.1f hi, "
		            "%4.1f si, %4.1f st",
		            d[0] / tot * 100, d[1] / tot * 100, d[2] / tot * 100, d[3] / tot * 100,
		            d[4] / tot * 100, d[5] / tot * 100, d[6] / tot * 100, d[7] / tot * 100))
			goto done;
	}
	if (sys_meminfo_read(ctx, &mi) == 0) {
		uint64_t cache = mi.buffers + mi.cached + mi.sreclaimable;
		uint64_t used = mi.total > mi.free + cache ? mi.total - mi.free - cache : 0;
		uint64_t avail = mi.have_available ? mi.available : mi.free + cache;
		if (!top_line(&t, "MiB Mem : %8.1f total, %8.1f free, %8.1f used, %8.1f buff/cache",
		              (double)mi.total / 1024, (double)mi.free / 1024, (double)used / 1024,
		              (double)cache / 1024) ||
		    !top_line(&t, "MiB Swap: %8.1f total, %8.1f free, %8.1f used. %8.1f avail Mem",
		              (double)mi.swap_total / 1024, (double)mi.swap_free / 1024,
		              (double)(mi.swap_total - (mi.swap_free < mi.swap_total
		                                                ? mi.swap_free
		                                                : mi.swap_total)) /
		                      1024,
		              (double)avail / 1024))
			goto done;
	} else {
		mi.total = 0;
	}
	if (!top_line(&t, "%s", "") ||
	    !top_line(&t, "%7s %-8s %3s %3s %7s %6s %6s %s %5s %5s %9s %s", "PID", "USER", "PR",
	              "NI", "VIRT", "RES", "SHR", "S", "%CPU", "%MEM", "TIME+", "COMMAND"))
		goto done;
	for (size_t i = 0; i < nrows; i++) {
		const struct sys_proc *p = &rows[i].p;
		char user[32], tbuf[32], pr[24];
		double mem = mi.total > 0 ? (double)p->rss_pages * (double)ps / 1024 /
		                                    (double)mi.total * 100
		                          : 0;
		user_name(p->uid, user, sizeof(user));
		fmt_time(p->utime + p->stime, tck, tbuf, sizeof(tbuf));
		if (p->priority <= -100)
			snprintf(pr, sizeof(pr), "rt");
		else
			snprintf(pr, sizeof(pr), "%lld", (long long)p->priority);
		if (!top_line(&t, "%7d %-8s %3s %3lld %7llu %6llu %6llu %c %5.1f %5.1f %9s %s",
		              p->pid, user, pr, (long long)p->nice,
		              (unsigned long long)(p->vsize / 1024),
		              (unsigned long long)(p->rss_pages * (uint64_t)ps / 1024),
		              (unsigned long long)(p->shared_pages * (uint64_t)ps / 1024), p->state,
		              rows[i].cpu, mem, tbuf, p->comm))
			break;
	}
done:
	r = 0;
out:
	free(rows);
	free(pids);
	return r;
}
