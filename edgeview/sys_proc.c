/* sys_proc.c - reading /proc under the root, for ps, top and the header. */
#include "sys_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_err.h"

int
sys_read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int fd, r = 0;

	if (len != NULL)
		*len = 0;
	if (cap == 0)
		return EV_ERR_INVALID_ARG;
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return errno == ENOENT ? EV_ERR_NOT_FOUND : EV_ERR_IO;
	while (n < cap - 1) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = EV_ERR_IO;
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return r;
}

int
sys_read_rootfile(const struct cmd_ctx *ctx, const char *path, char *buf, size_t cap, size_t *len)
{
	char full[PATH_MAX];
	int r;

	if ((r = cmd_path(ctx, path, full, sizeof(full))) != 0) {
		if (len != NULL)
			*len = 0;
		return r;
	}
	return sys_read_file(full, buf, cap, len);
}

/* Next whitespace-separated unsigned field; false when none. */
static bool
next_u64(const char **p, uint64_t *v)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno != 0)
		return false;
	*p = end;
	return true;
}

static bool
next_i64(const char **p, int64_t *v)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if ((**p < '0' || **p > '9') && **p != '-')
		return false;
	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (errno != 0 || end == *p)
		return false;
	*p = end;
	return true;
}

static bool
skip_fields(const char **p, int n)
{
	for (int i = 0; i < n; i++) {
		while (**p == ' ')
			(*p)++;
		if (**p == '\0')
			return false;
		while (**p != ' ' && **p != '\0')
			(*p)++;
	}
	return true;
}

int
sys_proc_read(const struct cmd_ctx *ctx, int pid, struct sys_proc *p)
{
	char path[64], buf[2048];
	const char *s, *lp, *rp;
	uint64_t u;
	int64_t ppid;
	size_t n;
	int r;

	memset(p, 0, sizeof(*p));
	p->uid = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((r = sys_read_rootfile(ctx, path, buf, sizeof(buf), &n)) != 0)
		return r;
	/* "pid (comm) S ppid ...": comm may hold spaces and ')'. */
	if ((lp = strchr(buf, '(')) == NULL || (rp = strrchr(buf, ')')) == NULL || rp < lp ||
	    rp[1] != ' ' || rp[2] == '\0')
		return EV_ERR_SYSTEM;
	n = (size_t)(rp - lp - 1);
	if (n >= sizeof(p->comm))
		n = sizeof(p->comm) - 1;
	memcpy(p->comm, lp + 1, n);
	p->comm[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p->comm[i] < 0x20 || p->comm[i] == 0x7f)
			p->comm[i] = '?';
	p->pid = pid;
	p->state = rp[2];
	s = rp + 3;
	/* fields 4.. : ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice threads itreal
	 * starttime vsize rss */
	if (!next_i64(&s, &ppid) || !skip_fields(&s, 9) || !next_u64(&s, &p->utime) ||
	    !next_u64(&s, &p->stime) || !skip_fields(&s, 2) || !next_i64(&s, &p->priority) ||
	    !next_i64(&s, &p->nice) || !skip_fields(&s, 2) || !next_u64(&s, &p->starttime) ||
	    !next_u64(&s, &p->vsize) || !next_u64(&s, &p->rss_pages))
		return EV_ERR_SYSTEM;
	p->ppid = (int)ppid;
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (sys_read_rootfile(ctx, path, buf, sizeof(buf), &n) == 0) {
		s = buf;
		if (next_u64(&s, &u) && next_u64(&s, &u) && next_u64(&s, &u))
			p->shared_pages = u;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (sys_read_rootfile(ctx, path, buf, sizeof(buf), &n) == 0 &&
	    (s = strstr(buf, "\nUid:")) != NULL) {
		s += 5;
		while (*s == '\t' || *s == ' ')
			s++;
		if (next_u64(&s, &u) && u <= LONG_MAX)
			p->uid = (long)u;
	}
	return 0;
}

int
sys_proc_cmdline(const struct cmd_ctx *ctx, int pid, char *buf, size_t cap)
{
	char path[64];
	size_t n;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((r = sys_read_rootfile(ctx, path, buf, cap, &n)) != 0)
		return r;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	return 0;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
sys_proc_list(const struct cmd_ctx *ctx, int **pids, size_t *np)
{
	char dir[PATH_MAX];
	DIR *d = NULL;
	struct dirent *de;
	int *v = NULL;
	size_t n = 0;
	int r;

	*pids = NULL;
	*np = 0;
	if ((r = cmd_path(ctx, "/proc", dir, sizeof(dir))) != 0)
		goto out;
	if ((d = opendir(dir)) == NULL) {
		r = EV_ERR_NOT_FOUND;
		goto out;
	}
	if ((v = calloc(SYS_PROC_MAX, sizeof(*v))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL && n < SYS_PROC_MAX) {
		char *end;
		long pid;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		pid = strtol(de->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT_MAX)
			continue;
		v[n++] = (int)pid;
	}
	qsort(v, n, sizeof(*v), cmp_int);
	*pids = v;
	*np = n;
	v = NULL;
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	free(v);
	return r;
}

static bool
meminfo_field(const char *buf, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	const char *s;

	for (s = buf; s != NULL && *s != '\0'; s = strchr(s, '\n'), s = s != NULL ? s + 1 : NULL) {
		if (strncmp(s, key, kl) == 0 && s[kl] == ':') {
			s += kl + 1;
			return next_u64(&s, v);
		}
	}
	return false;
}

int
sys_meminfo_read(const struct cmd_ctx *ctx, struct sys_meminfo *m)
{
	char buf[8192];
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = sys_read_rootfile(ctx, "/proc/meminfo", buf, sizeof(buf), NULL)) != 0)
		return r;
	if (!meminfo_field(buf, "MemTotal", &m->total))
		return EV_ERR_SYSTEM;
	(void)meminfo_field(buf, "MemFree", &m->free);
	m->have_available = meminfo_field(buf, "MemAvailable", &m->available);
	(void)meminfo_field(buf, "Buffers", &m->buffers);
	(void)meminfo_field(buf, "Cached", &m->cached);
	(void)meminfo_field(buf, "SReclaimable", &m->sreclaimable);
	(void)meminfo_field(buf, "Shmem", &m->shmem);
	(void)meminfo_field(buf, "SwapTotal", &m->swap_total);
	(void)meminfo_field(buf, "SwapFree", &m->swap_free);
	return 0;
}

int
sys_cpu_read(const struct cmd_ctx *ctx, struct sys_cpu *c)
{
	char buf[4096];
	const char *s;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = sys_read_rootfile(ctx, "/proc/stat", buf, sizeof(buf), NULL)) != 0)
		return r;
	if (strncmp(buf, "cpu ", 4) != 0)
		return EV_ERR_SYSTEM;
	s = buf + 4;
	if (!next_u64(&s, &c->user) || !next_u64(&s, &c->nice) || !next_u64(&s, &c->system) ||
	    !next_u64(&s, &c->idle))
		return EV_ERR_SYSTEM;
	/* Older kernels stop here; the rest stay 0. */
	if (next_u64(&s, &c->iowait) && next_u64(&s, &c->irq) && next_u64(&s, &c->softirq))
		(void)next_u64(&s, &c->steal);
	return 0;
}

int
sys_uptime_read(const struct cmd_ctx *ctx, double *up)
{
	char buf[128], *end;
	int r;

	*up = 0;
	if ((r = sys_read_rootfile(ctx, "/proc/uptime", buf, sizeof(buf), NULL)) != 0)
		return r;
	errno = 0;
	*up = strtod(buf, &end);
	if (errno != 0 || end == buf || *up < 0 || *up > 1e12) {
		*up = 0;
		return EV_ERR_SYSTEM;
	}
	return 0;
}
