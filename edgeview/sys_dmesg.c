/* sys_dmesg.c - the kernel ring buffer, formatted as EVE shows it. */
#include "sys_dmesg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "ev_err.h"

#define SYSLOG_ACTION_READ_ALL    3
#define SYSLOG_ACTION_SIZE_BUFFER 10

static void
print_sev(struct cmd_ctx *ctx, int level, const char *s, size_t n)
{
	if (n > INT_MAX)
		n = INT_MAX;
	if (level >= 0 && level <= 3)
		cmd_colour(ctx, CMD_RED, "%.*s", (int)n, s);
	else if (level == 4)
		cmd_colour(ctx, CMD_PURPLE, "%.*s", (int)n, s);
	else
		cmd_printf(ctx, "%.*s", (int)n, s);
}

void
sys_dmesg_print_line(struct cmd_ctx *ctx, const char *line, size_t len)
{
	int level = -1;
	const char *p = line, *end = line + len, *b1, *b2, *q1, *colon;

	/* "<pri>" -> level = pri & 7 */
	if (p < end && *p == '<') {
		const char *q = p + 1;
		int pri = 0;
		while (q < end && *q >= '0' && *q <= '9' && pri < 100000)
			pri = pri * 10 + (*q++ - '0');
		if (q < end && *q == '>' && q > p + 1) {
			level = pri & 7;
			p = q + 1;
		}
	}
	for (const char *q = p; q < end; q++) { /* no terminal escapes from the kernel log */
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			end = q;
			break;
		}
	}
	if (p < end && *p == '[' && (b1 = memchr(p, ']', (size_t)(end - p))) != NULL &&
	    (q1 = b1 + 1 + (b1 + 1 < end && b1[1] == ' ')) < end && *q1 == '[' &&
	    (b2 = memchr(q1, ']', (size_t)(end - q1))) != NULL) {
		/* "[ts][caller] text": timestamp cyan, caller dropped */
		const char *t = b2 + 1;
		cmd_colour(ctx, CMD_CYAN, "%.*s", (int)(b1 + 1 - p), p);
		colon = memchr(t, ':', (size_t)(end - t));
		if (colon != NULL) {
			cmd_colour(ctx, CMD_YELLOW, "%.*s", (int)(colon + 1 - t), t);
			t = colon + 1;
		}
		print_sev(ctx, level, t, (size_t)(end - t));
	} else {
		print_sev(ctx, level, p, (size_t)(end - p));
	}
	fputc('\n', ctx->out);
}

/* /dev/kmsg records "pri,seq,usec,flags;text" into syslog(2) form. */
static size_t
kmsg_to_syslog(const char *rec, size_t n, char *out, size_t cap)
{
	const char *semi = memchr(rec, ';', n), *p = rec;
	unsigned long long f[3] = {0, 0, 0};
	int w;

	if (semi == NULL)
		return 0;
	for (int i = 0; i < 3 && p < semi; i++) {
		char *e;
		errno = 0;
		f[i] = strtoull(p, &e, 10);
		if (errno != 0 || e == p || e > semi)
			return 0;
		p = e < semi ? e + 1 : e;
	}
	n -= (size_t)(semi + 1 - rec);
	while (n > 0 && (semi[n] == '\n'))
		n--;
	w = snprintf(out, cap, "<%llu>[%5llu.%06llu] %.*s", f[0], f[2] / 1000000, f[2] % 1000000,
	             (int)(n > INT_MAX ? INT_MAX : n), semi + 1);
	if (w < 0)
		return 0;
	return (size_t)w < cap ? (size_t)w : cap - 1;
}

/* Read /dev/kmsg-format records from path until EAGAIN/EOF into buf. */
static int
read_kmsg(const char *path, char *buf, size_t cap, size_t *len)
{
	char rec[8192];
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0)
		return errno == ENOENT ? EV_ERR_NOT_FOUND : EV_ERR_IO;
	for (;;) {
		ssize_t k = read(fd, rec, sizeof(rec) - 1);
		size_t start = 0;
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EPIPE)
			continue; /* records overwritten while reading */
		if (k <= 0)
			break;
		/* The kernel returns one record per read; a plain file may hold many. */
		while (start < (size_t)k) {
			char *nl = memchr(rec + start, '\n', (size_t)k - start);
			size_t rl = nl != NULL ? (size_t)(nl - rec - (ssize_t)start)
			                       : (size_t)k - start;
			char line[8400];
			size_t ln = kmsg_to_syslog(rec + start, rl, line, sizeof(line));
			if (rec[start] != ' ' && ln > 0 && *len + ln + 1 < cap) {
				memcpy(buf + *len, line, ln);
				*len += ln;
				buf[(*len)++] = '\n';
			}
			start += rl + 1;
		}
	}
	close(fd);
	return 0;
}

int
sys_dmesg(struct cmd_ctx *ctx, const char *arg)
{
	char *buf = NULL, path[PATH_MAX];
	size_t len = 0, start = 0, nlines = 0;
	int r, size;

	(void)arg;
	if ((buf = malloc(SYS_DMESG_MAX + 1)) == NULL)
		return EV_ERR_NOMEM;
	if (strcmp(ctx->root, "/") == 0 &&
	    (size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0)) > 0 &&
	    (size = klogctl(SYSLOG_ACTION_READ_ALL, buf,
	                    size < (int)SYS_DMESG_MAX ? size : (int)SYS_DMESG_MAX)) >= 0) {
		len = (size_t)size;
	} else {
		if ((r = cmd_path(ctx, "/dev/kmsg", path, sizeof(path))) != 0 ||
		    (r = read_kmsg(path, buf, SYS_DMESG_MAX, &len)) != 0) {
			cmd_colour_line(ctx, CMD_RED,
			                "dmesg: the kernel log is not readable here (needs "
			                "CAP_SYSLOG or access to /dev/kmsg)");
			goto out;
		}
	}
	/* trailing NULs (EVE's bug) and the last newline go */
	while (len > 0 && (buf[len - 1] == '\0' || buf[len - 1] == '\n'))
		len--;
	buf[len] = '\0';
	cmd_colour_line(ctx, CMD_CYAN, "Dmesg:");
	if (ctx->extraline > 0) {
		/* keep the last N lines */
		for (size_t i = len; i > 0; i--)
			if (buf[i - 1] == '\n' && ++nlines == (uint64_t)ctx->extraline) {
				start = i;
				break;
			}
	}
	while (start < len) {
		char *nl = memchr(buf + start, '\n', len - start);
		size_t n = nl != NULL ? (size_t)(nl - (buf + start)) : len - start;
		sys_dmesg_print_line(ctx, buf + start, n);
		start += n + 1;
	}
	r = 0;
out:
	free(buf);
	return r;
}
