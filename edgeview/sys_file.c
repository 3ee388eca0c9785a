/* sys_file.c - cat/<path>, ls/<path> and du/<dir>, native and confined. */
#include "sys_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ev_err.h"

/* Explain a cmd_user_path() refusal the way EVE words it. */
static void
refuse(struct cmd_ctx *ctx, const char *what, const char *path, int r)
{
	switch (r) {
	case EV_ERR_PATH_BLOCKED:
		cmd_colour_line(ctx, CMD_RED, "directory is blocked for file %s: %s", what, path);
		break;
	case EV_ERR_PATH_KEYFILE:
		cmd_colour_line(ctx, CMD_RED, "file %s can not be %s", path,
		                strcmp(what, "display") == 0 ? "displayed" : "listed");
		break;
	case EV_ERR_PATH_ESCAPE:
		cmd_colour_line(ctx, CMD_RED, "path %s is outside the device's file tree", path);
		break;
	case EV_ERR_NOT_FOUND:
		cmd_colour_line(ctx, CMD_RED, "stat %s: no such file or directory", path);
		break;
	default: cmd_colour_line(ctx, CMD_RED, "%s: %s", path, ev_strerror(r)); break;
	}
}

const char *
sys_sniff_type(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08)
		return "application/x-gzip";
	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return "application/zip";
	if (n >= 5 && memcmp(p, "<?xml", 5) == 0)
		return "text/xml; charset=utf-8";
	for (size_t i = 0; i < n && i < 512; i++) {
		unsigned char c = p[i];
		/* WHATWG's "binary data byte" set */
		if (c <= 0x08 || c == 0x0b || (c >= 0x0e && c <= 0x1a) || (c >= 0x1c && c <= 0x1f))
			return "application/octet-stream";
	}
	return "text/plain; charset=utf-8";
}

void
sys_mode_string(unsigned int mode, char *buf, size_t cap)
{
	static const char rwx[] = "rwxrwxrwx";
	char s[32];
	size_t w = 0;

	if (S_ISDIR(mode))
		s[w++] = 'd';
	if (S_ISLNK(mode))
		s[w++] = 'L';
	if (S_ISBLK(mode) || S_ISCHR(mode))
		s[w++] = 'D';
	if (S_ISFIFO(mode))
		s[w++] = 'p';
	if (S_ISSOCK(mode))
		s[w++] = 'S';
	if (mode & S_ISUID)
		s[w++] = 'u';
	if (mode & S_ISGID)
		s[w++] = 'g';
	if (S_ISCHR(mode))
		s[w++] = 'c';
	if (mode & S_ISVTX)
		s[w++] = 't';
	if (w == 0)
		s[w++] = '-';
	for (int i = 0; i < 9; i++)
		s[w++] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
	s[w] = '\0';
	snprintf(buf, cap, "%s", s);
}

/* Go's time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
static void
go_time_string(const struct timespec *ts, char *buf, size_t cap)
{
	char a[32], z[48], frac[32] = "";
	struct tm tm;

	if (localtime_r(&ts->tv_sec, &tm) == NULL) {
		snprintf(buf, cap, "?");
		return;
	}
	if (strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", &tm) == 0 ||
	    strftime(z, sizeof(z), "%z %Z", &tm) == 0)
		a[0] = z[0] = '\0';
	if (ts->tv_nsec > 0) {
		int k;
		snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
		for (k = (int)strlen(frac) - 1; k > 0 && frac[k] == '0'; k--)
			frac[k] = '\0';
	}
	if (snprintf(buf, cap, "%s%s %s", a, frac, z) >= (int)cap)
		buf[cap - 1] = '\0'; /* cannot happen with the callers' 96 bytes */
}

/* ---- cat ---- */

static int
cat_head(struct cmd_ctx *ctx, int fd, int64_t lines)
{
	char buf[16384];
	size_t total = 0;
	ssize_t k;

	while (lines > 0 && (k = read(fd, buf, sizeof(buf))) > 0) {
		size_t n = 0;
		while (n < (size_t)k && lines > 0) {
			if (buf[n++] == '\n')
				lines--;
		}
		if (total + n > SYS_CAT_MAX_BYTES) {
			fwrite(buf, 1, SYS_CAT_MAX_BYTES - total, ctx->out);
			cmd_colour_line(ctx, CMD_RED, "\n... output cut at %u bytes",
			                SYS_CAT_MAX_BYTES);
			return 0;
		}
		fwrite(buf, 1, n, ctx->out);
		total += n;
	}
	return 0;
}

static int
cat_tail(struct cmd_ctx *ctx, int fd, off_t size, int64_t lines)
{
	size_t want = size > (off_t)SYS_CAT_MAX_BYTES ? SYS_CAT_MAX_BYTES : (size_t)size;
	char *buf = NULL;
	size_t n = 0, start;
	int r = 0;

	if ((buf = malloc(want + 1)) == NULL)
		return EV_ERR_NOMEM;
	if (lseek(fd, size - (off_t)want, SEEK_SET) < 0) {
		r = EV_ERR_IO;
		goto out;
	}
	while (n < want) {
		ssize_t k = read(fd, buf + n, want - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	/* Skip a final newline, then walk back over `lines` line starts. */
	start = n;
	if (start > 0 && buf[start - 1] == '\n')
		start--;
	while (start > 0) {
		if (buf[start - 1] == '\n' && --lines == 0)
			break;
		start--;
	}
	if (start == 0 && want < (size_t)size)
		cmd_colour_line(ctx, CMD_RED, "... only the last %u bytes are shown",
		                SYS_CAT_MAX_BYTES);
	fwrite(buf + start, 1, n - start, ctx->out);
out:
	free(buf);
	return r;
}

int
sys_cat(struct cmd_ctx *ctx, const char *arg)
{
	char real[PATH_MAX], shown[PATH_MAX];
	unsigned char head[512];
	struct stat st;
	ssize_t hn;
	int fd = -1, r;

	if (arg == NULL || arg[0] == '\0') {
		cmd_colour_line(ctx, CMD_RED, "cat: a path is needed, e.g. cat//etc/os-release");
		return EV_ERR_INVALID_ARG;
	}
	if ((r = cmd_user_path(ctx, arg, real, sizeof(real), shown, sizeof(shown))) != 0) {
		refuse(ctx, "display", arg, r);
		return r;
	}
	if (stat(real, &st) != 0) {
		refuse(ctx, "display", arg, EV_ERR_NOT_FOUND);
		return EV_ERR_NOT_FOUND;
	}
	if (S_ISDIR(st.st_mode)) {
		cmd_colour_line(ctx, CMD_RED, "can not cat a directory");
		return EV_ERR_INVALID_ARG;
	}
	if (!S_ISREG(st.st_mode)) {
		/* devices and fifos could block or never end */
		cmd_colour_line(ctx, CMD_RED, "can not cat %s: not a regular file", shown);
		return EV_ERR_INVALID_ARG;
	}
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		cmd_colour_line(ctx, CMD_RED, "open %s: %s", shown, strerror(errno));
		return EV_ERR_IO;
	}
	cmd_colour_line(ctx, CMD_CYAN, " - cat cmd: %s", shown);
	hn = pread(fd, head, sizeof(head), 0);
	cmd_printf(ctx, "content type: %s\n", sys_sniff_type(head, hn > 0 ? (size_t)hn : 0));
	fflush(ctx->out);
	if (ctx->extraline < 0 && st.st_size > 0)
		r = cat_tail(ctx, fd, st.st_size,
		             ctx->extraline == INT64_MIN ? INT64_MAX : -ctx->extraline);
	else
		r = cat_head(ctx, fd, ctx->extraline > 0 ? ctx->extraline : INT64_MAX);
	cmd_printf(ctx, "\n");
	fflush(ctx->out);
	close(fd);
	return r;
}

/* ---- ls ---- */

static void
ls_line(struct cmd_ctx *ctx, const struct stat *st, const char *name)
{
	char mode[32], t[96];

	sys_mode_string(st->st_mode, mode, sizeof(mode));
	go_time_string(&st->st_mtim, t, sizeof(t));
	cmd_printf(ctx, "%s, %s, %lld, %s\n", mode, t, (long long)st->st_size, name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List dir's entries (those matching pattern when not NULL), sorted. */
static int
ls_dir(struct cmd_ctx *ctx, const char *dir, const char *pattern)
{
	char **names = NULL;
	size_t n = 0;
	bool cut = false;
	struct dirent *de;
	DIR *d = NULL;
	int dfd, r = 0;

	if ((d = opendir(dir)) == NULL) {
		cmd_colour_line(ctx, CMD_RED, "open %s: %s", dir, strerror(errno));
		return EV_ERR_IO;
	}
	if ((names = calloc(SYS_LS_MAX_ENTRIES, sizeof(*names))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (pattern != NULL && fnmatch(pattern, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (n == SYS_LS_MAX_ENTRIES) {
			cut = true;
			break;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = EV_ERR_NOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	dfd = dirfd(d);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			ls_line(ctx, &st, names[i]);
	}
	if (pattern != NULL && n == 0)
		cmd_colour_line(ctx, CMD_RED, "no match for %s", pattern);
	if (cut)
		cmd_colour_line(ctx, CMD_RED, "... listing cut at %u entries", SYS_LS_MAX_ENTRIES);
out:
	if (names != NULL)
		for (size_t i = 0; i < n; i++)
			free(names[i]);
	free(names);
	closedir(d);
	return r;
}

int
sys_ls(struct cmd_ctx *ctx, const char *arg)
{
	char real[PATH_MAX], shown[PATH_MAX], dir[PATH_MAX];
	const char *slash, *pattern;
	struct stat st;
	int r;

	if (arg == NULL || arg[0] == '\0') {
		cmd_colour_line(ctx, CMD_RED, "ls: a path is needed, e.g. ls//config");
		return EV_ERR_INVALID_ARG;
	}
	r = cmd_user_path(ctx, arg, real, sizeof(real), shown, sizeof(shown));
	if (r == 0) {
		cmd_colour_line(ctx, CMD_CYAN, " - ls cmd: %s", shown);
		if (stat(real, &st) != 0) {
			refuse(ctx, "listing", arg, EV_ERR_NOT_FOUND);
			return EV_ERR_NOT_FOUND;
		}
		if (S_ISDIR(st.st_mode))
			return ls_dir(ctx, real, NULL);
		ls_line(ctx, &st, shown);
		return 0;
	}
	/* A '*' in the last element, when the literal path does not exist. */
	slash = strrchr(arg, '/');
	pattern = slash != NULL ? slash + 1 : arg;
	if (r != EV_ERR_NOT_FOUND || strchr(pattern, '*') == NULL) {
		refuse(ctx, "listing", arg, r);
		return r;
	}
	{
		size_t dl = slash != NULL ? (size_t)(slash - arg) : 0;
		char d[PATH_MAX];
		if (dl >= sizeof(d))
			return EV_ERR_TOO_BIG;
		memcpy(d, arg, dl);
		d[dl] = '\0';
		if (dl == 0)
			snprintf(d, sizeof(d), "/");
		if ((r = cmd_user_path(ctx, d, dir, sizeof(dir), shown, sizeof(shown))) != 0) {
			refuse(ctx, "listing", d, r);
			return r;
		}
	}
	cmd_colour_line(ctx, CMD_CYAN, " - ls cmd: %s/%s", strcmp(shown, "/") == 0 ? "" : shown,
	                pattern);
	return ls_dir(ctx, dir, pattern);
}

/* ---- du ---- */

struct du_state {
	uint64_t bytes;
	size_t entries;
	bool cut;
};

static void
du_walk(int dfd, int depth, struct du_state *s)
{
	DIR *d;
	struct dirent *de;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (s->entries >= SYS_DU_MAX_ENTRIES) {
			s->cut = true;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		s->entries++;
		s->bytes += (uint64_t)st.st_size;
		if (S_ISDIR(st.st_mode)) {
			int sub;
			if (depth + 1 >= SYS_DU_MAX_DEPTH) {
				s->cut = true;
				continue;
			}
			sub = openat(dirfd(d), de->d_name,
			             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				du_walk(sub, depth + 1, s);
		}
	}
	closedir(d);
}

int
sys_du(struct cmd_ctx *ctx, const char *arg)
{
	char real[PATH_MAX], shown[PATH_MAX];
	struct du_state s = {0};
	struct stat st;
	double v;
	int fd, r;

	if (arg == NULL || arg[0] == '\0') {
		cmd_colour_line(ctx, CMD_RED, "du: a directory is needed, e.g. du//persist");
		return EV_ERR_INVALID_ARG;
	}
	if ((r = cmd_user_path(ctx, arg, real, sizeof(real), shown, sizeof(shown))) != 0) {
		refuse(ctx, "listing", arg, r);
		return r;
	}
	if ((fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		cmd_colour_line(ctx, CMD_RED, "du: %s is not a directory", shown);
		return EV_ERR_NOT_DIR;
	}
	s.bytes = (uint64_t)st.st_size;
	du_walk(fd, 0, &s);
	cmd_colour_line(ctx, CMD_CYAN, " - Disk Usage: %s", shown);
	v = (double)s.bytes;
	if (v / (1024.0 * 1024 * 1024) > 1.0)
		cmd_printf(ctx, " %.2f GBytes\n", v / (1024.0 * 1024 * 1024));
	else if (v / (1024.0 * 1024) > 1.0)
		cmd_printf(ctx, " %.2f MBytes\n", v / (1024.0 * 1024));
	else if (v / 1024.0 > 1.0)
		cmd_printf(ctx, " %.2f KBytes\n", v / 1024.0);
	else
		cmd_printf(ctx, " %llu Bytes\n", (unsigned long long)s.bytes);
	if (s.cut)
		cmd_colour_line(ctx, CMD_RED, " (partial: stopped at %u entries or %d levels)",
		                SYS_DU_MAX_ENTRIES, SYS_DU_MAX_DEPTH);
	return 0;
}
