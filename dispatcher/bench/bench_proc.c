/* bench_proc.c - small /proc readers for edgeview-bench. */
#include "bench_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_attr.h"
#include "ev_err.h"

/* /proc/PID/status and smaps_rollup are about 1.5 KiB; stat and cmdline less. */
#define PROC_FILE_MAX 16384u
/* /proc/net/tcp: 150 bytes a socket; 8 MiB covers about 50,000 sockets. */
#define PROC_NET_MAX (8u * 1024 * 1024)

/*
 * Read a /proc file into buf (NUL-terminated).  /proc files report size 0,
 * so read until EOF; anything longer than the buffer is cut, which only
 * matters for cmdline, where argv[0] comes first.
 */
static int
read_proc(const char *path, char *buf, size_t cap, size_t *lenp)
{
	size_t len = 0;
	ssize_t n;
	int fd, r;

	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ESRCH ? EV_ERR_NOT_FOUND : EV_ERR_SYSTEM;
	while (len + 1 < cap) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == ESRCH ? EV_ERR_NOT_FOUND : EV_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	r = 0;
out:
	close(fd);
	return r;
}

/* Value in kB of the line "<key> <spaces> N kB"; false if absent. */
static bool
kb_field(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text;
	unsigned long long v;
	char *end;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0) {
			errno = 0;
			v = strtoull(p + klen, &end, 10);
			if (errno != 0 || end == p + klen)
				return false;
			*out = v;
			return true;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

static void
proc_path(char *buf, size_t cap, pid_t pid, const char *leaf)
{
	if (pid == 0)
		snprintf(buf, cap, "/proc/self/%s", leaf);
	else
		snprintf(buf, cap, "/proc/%ld/%s", (long)pid, leaf);
}

int
bench_proc_mem(pid_t pid, struct bench_mem *out)
{
	char path[64], *text = NULL;
	uint64_t clean, dirty;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	if ((text = malloc(PROC_FILE_MAX)) == NULL)
		return EV_ERR_NOMEM;
	proc_path(path, sizeof(path), pid, "status");
	if ((r = read_proc(path, text, PROC_FILE_MAX, &len)) != 0)
		goto out;
	if (!kb_field(text, "VmRSS:", &out->vmrss_kb)) {
		r = EV_ERR_NOT_FOUND; /* a zombie has no VmRSS */
		goto out;
	}
	proc_path(path, sizeof(path), pid, "smaps_rollup");
	if (read_proc(path, text, PROC_FILE_MAX, &len) == 0 &&
	    kb_field(text, "Private_Clean:", &clean) && kb_field(text, "Private_Dirty:", &dirty)) {
		out->private_kb = clean + dirty;
		out->have_private = true;
	}
	out->valid = true;
	r = 0;
out:
	free(text);
	return r;
}

int
bench_proc_cpu_ticks(pid_t pid, uint64_t *out)
{
	char path[64], text[1024], *p, *end;
	unsigned long long ut, st;
	size_t len;
	int r;

	*out = 0;
	proc_path(path, sizeof(path), pid, "stat");
	if ((r = read_proc(path, text, sizeof(text), &len)) != 0)
		return r;
	/* comm may contain spaces and parentheses: fields start after the last ')'. */
	if ((p = strrchr(text, ')')) == NULL)
		return EV_ERR_INVALID_ARG;
	p++;
	/* After ")": state(3) ... utime is field 14, stime 15 (1-based, proc(5)). */
	for (int field = 3; field < 14; field++) {
		while (*p == ' ')
			p++;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	errno = 0;
	ut = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return EV_ERR_INVALID_ARG;
	p = end;
	st = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		return EV_ERR_INVALID_ARG;
	*out = ut + st;
	return 0;
}

bool
bench_proc_exists(pid_t pid)
{
	char path[64];

	proc_path(path, sizeof(path), pid, "");
	return pid > 0 && access(path, F_OK) == 0;
}

static bool
argv0_is(const char *cmdline, const char *name)
{
	const char *base = strrchr(cmdline, '/');

	base = base != NULL ? base + 1 : cmdline;
	return strcmp(base, name) == 0;
}

/* A /proc entry name that is a pid other than ours, else 0. */
static pid_t
pid_of_dirent(const struct dirent *de)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(de->d_name, &end, 10);
	if (errno != 0 || *end != '\0' || end == de->d_name || v <= 0 || v > INT32_MAX ||
	    (pid_t)v == getpid())
		return 0;
	return (pid_t)v;
}

int
bench_proc_find(const char *name, pid_t *pid, unsigned *nfound)
{
	char path[64], text[512];
	struct dirent *de;
	pid_t p, found = 0;
	unsigned n = 0;
	DIR *d;
	size_t len;

	*pid = 0;
	*nfound = 0;
	if ((d = opendir("/proc")) == NULL)
		return EV_ERR_SYSTEM;
	while ((de = readdir(d)) != NULL) {
		if ((p = pid_of_dirent(de)) == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)p);
		/* Processes come and go while we scan; skip what vanished. */
		if (read_proc(path, text, sizeof(text), &len) != 0 || len == 0)
			continue;
		if (argv0_is(text, name)) {
			n++;
			found = p;
		}
	}
	closedir(d);
	if (n == 1)
		*pid = found;
	*nfound = n;
	return 0;
}

#define MAX_LISTEN_INODES 8u

/* Split line in place at blanks into at most max fields; returns the count. */
static unsigned
split_fields(char *line, char **f, unsigned max)
{
	unsigned n = 0;

	while (n < max) {
		while (*line == ' ')
			line++;
		if (*line == '\0')
			break;
		f[n++] = line;
		while (*line != ' ' && *line != '\0')
			line++;
		if (*line == '\0')
			break;
		*line++ = '\0';
	}
	return n;
}

/* Inodes of LISTEN sockets on port in one of /proc/net/tcp{,6}. */
static void
listen_inodes(const char *path, int port, unsigned long long *ino, unsigned *n)
{
	char *text = NULL, *line, *next, *f[12], *colon, *end;
	unsigned long long v;
	size_t len;

	if ((text = malloc(PROC_NET_MAX)) == NULL)
		return;
	/* A machine with very many sockets is cut off; the listener comes early. */
	if (read_proc(path, text, PROC_NET_MAX, &len) != 0)
		goto out;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		/* sl local rem st tx:rx tr:when retr uid timeout inode */
		if (split_fields(line, f, EV_ARRAY_LEN(f)) < 10 || strcmp(f[3], "0A") != 0 ||
		    (colon = strchr(f[1], ':')) == NULL)
			continue;
		errno = 0;
		v = strtoull(colon + 1, &end, 16);
		if (errno != 0 || *end != '\0' || v != (unsigned long long)port)
			continue;
		v = strtoull(f[9], &end, 10);
		if (errno != 0 || *end != '\0' || *n >= MAX_LISTEN_INODES)
			continue;
		ino[(*n)++] = v;
	}
out:
	free(text);
}

static bool
pid_holds_inode(pid_t pid, const unsigned long long *ino, unsigned n)
{
	char path[64], link[64], want[64];
	struct dirent *de;
	ssize_t len;
	DIR *d;
	bool hit = false;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return false;
	while (!hit && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd/%.16s", (long)pid, de->d_name);
		if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[len] = '\0';
		for (unsigned i = 0; i < n && !hit; i++) {
			snprintf(want, sizeof(want), "socket:[%llu]", ino[i]);
			hit = strcmp(link, want) == 0;
		}
	}
	closedir(d);
	return hit;
}

int
bench_proc_find_listener(int port, pid_t *pid)
{
	unsigned long long ino[MAX_LISTEN_INODES];
	struct dirent *de;
	unsigned n = 0;
	pid_t p;
	DIR *d;

	*pid = 0;
	listen_inodes("/proc/net/tcp", port, ino, &n);
	listen_inodes("/proc/net/tcp6", port, ino, &n);
	if (n == 0)
		return EV_ERR_NOT_FOUND;
	if ((d = opendir("/proc")) == NULL)
		return EV_ERR_SYSTEM;
	while ((de = readdir(d)) != NULL) {
		if ((p = pid_of_dirent(de)) != 0 && pid_holds_inode(p, ino, n)) {
			*pid = p;
			break;
		}
	}
	closedir(d);
	return *pid != 0 ? 0 : EV_ERR_NOT_FOUND;
}

void
bench_proc_comm(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	size_t len;

	proc_path(path, sizeof(path), pid, "comm");
	if (cap == 0)
		return;
	if (read_proc(path, buf, cap, &len) != 0 || len == 0) {
		snprintf(buf, cap, "?");
		return;
	}
	if (buf[len - 1] == '\n')
		buf[len - 1] = '\0';
}
