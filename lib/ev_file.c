/* ev_file.c - capped reads, atomic writes, directories and path joins. */
#include "ev_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_err.h"
#include "ev_mem.h"

/* Growth step when the size from fstat() was only a hint (procfs says 0). */
#define EV_FILE_READ_STEP 4096u

static int
open_errno_code(int e)
{
	return e == ENOENT ? EV_ERR_NOT_FOUND : EV_ERR_SYSTEM;
}

/* Grow a buffer that may hold a secret: realloc() would leave a stale copy. */
static int
grow_wiped(char **bufp, size_t used, size_t oldcap, size_t newcap)
{
	char *n;

	if ((n = malloc(newcap + 1)) == NULL)
		return EV_ERR_NOMEM;
	if (used > 0)
		memcpy(n, *bufp, used);
	ev_freezero(*bufp, oldcap + 1);
	*bufp = n;
	return 0;
}

int
ev_file_read_capped(const char *path, size_t max, char **out, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = -1, r, saved_errno = 0;

	if (out != NULL)
		*out = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (path == NULL || out == NULL || max >= SIZE_MAX)
		return EV_ERR_INVALID_ARG;

	/* Look before opening: opening a FIFO can block, a device can act. */
	if (stat(path, &st) != 0) {
		r = open_errno_code(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = EV_ERR_NOT_REGULAR;
		goto out;
	}
	/* O_NONBLOCK: if the path was swapped for a FIFO meanwhile, do not hang. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		r = open_errno_code(errno);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = EV_ERR_NOT_REGULAR;
		goto out;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > (uintmax_t)max) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	cap = (size_t)st.st_size;
	if ((buf = malloc(cap + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			/* The size is a hint: the file may have grown since fstat(). */
			size_t step = cap > EV_FILE_READ_STEP ? cap : EV_FILE_READ_STEP, ncap;

			if (cap == max) {
				char extra;

				do
					n = read(fd, &extra, 1);
				while (n < 0 && errno == EINTR);
				if (n < 0) {
					r = EV_ERR_IO;
					goto out;
				}
				if (n > 0) {
					r = EV_ERR_TOO_BIG;
					goto out;
				}
				break;
			}
			ncap = max - cap > step ? cap + step : max;
			if ((r = grow_wiped(&buf, len, cap, ncap)) != 0)
				goto out;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = EV_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	if (lenp != NULL)
		*lenp = len;
	r = 0;
out:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	if (buf != NULL)
		ev_freezero(buf, cap + 1);
	errno = saved_errno;
	return r;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return EV_ERR_IO;
		}
		if (n == 0) {
			errno = EIO;
			return EV_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ev_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                     const char *tmp_prefix)
{
	static const char xs[] = "XXXXXX";
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash;
	size_t tlen;
	bool tmp_made = false;
	int fd = -1, dfd = -1, r, saved_errno = 0;

	if (path == NULL || (data == NULL && len > 0) || tmp_prefix == NULL ||
	    strchr(tmp_prefix, '/') != NULL)
		return EV_ERR_INVALID_ARG;
	slash = strrchr(path, '/');
	if (path[0] == '\0' || (slash != NULL && slash[1] == '\0'))
		return EV_ERR_INVALID_ARG; /* no file name */
	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else if (slash == path) {
		dir[0] = '/';
		dir[1] = '\0';
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return EV_ERR_TOO_BIG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	/* The temporary file must be in the same directory for rename(). */
	if ((r = ev_path_join(tmp, sizeof(tmp) - (sizeof(xs) - 1), dir, tmp_prefix)) != 0)
		return r;
	tlen = strlen(tmp);
	memcpy(tmp + tlen, xs, sizeof(xs));

	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		r = open_errno_code(errno);
		goto out;
	}
	tmp_made = true;
	if ((r = write_all(fd, data, len)) != 0)
		goto out;
	if (fchmod(fd, mode & 07777) != 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (fsync(fd) != 0) {
		r = EV_ERR_IO;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1; /* Linux: closed even when close() fails */
		r = EV_ERR_IO;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	tmp_made = false;
	/* Make the rename itself durable. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		r = EV_ERR_IO;
		goto out;
	}
	if (fsync(dfd) != 0 && errno != EINVAL) {
		r = EV_ERR_IO;
		goto out;
	}
	r = 0;
out:
	saved_errno = errno;
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (tmp_made)
		unlink(tmp);
	errno = saved_errno;
	return r;
}

/* mkdir one level; an existing directory (or symlink to one) is fine. */
static int
mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == ENOTDIR)
		return EV_ERR_NOT_DIR;
	if (errno != EEXIST)
		return EV_ERR_SYSTEM;
	if (stat(path, &st) != 0)
		return EV_ERR_SYSTEM;
	if (!S_ISDIR(st.st_mode))
		return EV_ERR_NOT_DIR;
	return 0;
}

int
ev_dir_ensure(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len;
	int r;

	if (path == NULL || path[0] == '\0')
		return EV_ERR_INVALID_ARG;
	if ((len = strlen(path)) >= sizeof(buf))
		return EV_ERR_TOO_BIG;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	/* Parents first, like os.MkdirAll; each level is checked. */
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if ((r = mkdir_one(buf, mode)) != 0)
			return r;
		if (c == '\0')
			break;
		*p = '/';
	}
	return 0;
}

int
ev_path_join(char *out, size_t cap, const char *a, const char *b)
{
	size_t alen, blen;

	if (out == NULL || a == NULL || b == NULL)
		return EV_ERR_INVALID_ARG;
	alen = strlen(a);
	blen = strlen(b);
	if (alen == 0 || blen == 0) {
		const char *s = alen == 0 ? b : a;
		size_t slen = alen == 0 ? blen : alen;

		if (slen >= cap) {
			if (cap > 0)
				out[0] = '\0';
			return EV_ERR_TOO_BIG;
		}
		memmove(out, s, slen + 1);
		return 0;
	}
	while (alen > 0 && a[alen - 1] == '/')
		alen--;
	while (*b == '/') {
		b++;
		blen--;
	}
	/* alen + 1 + blen + 1 <= cap, written so that it cannot overflow. */
	if (cap < 2 || alen > cap - 2 || blen > cap - 2 - alen) {
		if (cap > 0)
			out[0] = '\0';
		return EV_ERR_TOO_BIG;
	}
	memmove(out, a, alen);
	out[alen] = '/';
	memcpy(out + alen + 1, b, blen);
	out[alen + 1 + blen] = '\0';
	return 0;
}

int
ev_dir_ensure_parent(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	const char *slash;

	if (path == NULL)
		return EV_ERR_INVALID_ARG;
	if ((slash = strrchr(path, '/')) == NULL || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof(dir))
		return EV_ERR_TOO_BIG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return ev_dir_ensure(dir, mode);
}
