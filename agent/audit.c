/* audit.c - tail edgeviewd's audit file into newlog events (see audit.h). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_buf.h"
#include "ev_crypto.h"
#include "ev_encoding.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_log.h"
#include "ev_status.h"
#include "newlog.h"
#include "spool.h"

#define STATE_MAX      512u
#define STATE_TMP      ".audit-state-"
#define ROTATED_SUFFIX ".1"

struct audit_state {
	uint64_t dev, ino, off; /* ino 0: no file seen yet */
	uint32_t skip;          /* inside an over-long line: drop up to its newline */
	uint32_t fp_len;        /* bytes before off that fp covers */
	uint8_t fp[EV_SHA256_LEN];
};

struct ag_audit {
	char *path, *state_path;
	int64_t pid;
	struct ag_newlog *nl;
	struct audit_state st; /* as saved */

	/* during a poll */
	struct ag_spool *sp;
	uint64_t batch_ino, batch_start;
	int emit_err;
};

static int
emit(void *arg, const struct ag_newlog_batch *b)
{
	struct ag_audit *a = arg;
	char key[64];
	int r;

	(void)snprintf(key, sizeof(key), "audit-%" PRIx64 "-%" PRIx64, a->batch_ino,
	               a->batch_start);
	if ((r = ag_spool_put(a->sp, AG_AUDIT_SPOOL_KIND, key, 0, b->data, b->len)) != 0)
		a->emit_err = r;
	return r;
}

static int
state_parse(const char *s, struct audit_state *out)
{
	uint64_t v[6];
	const char *p = s;
	char *end;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "v1 ", 3) != 0)
		return EV_ERR_AUDIT_STATE;
	p += 3;
	for (i = 0; i < EV_ARRAY_LEN(v); i++) {
		if (*p < '0' || *p > '9')
			return EV_ERR_AUDIT_STATE;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno != 0 || *end != ' ')
			return EV_ERR_AUDIT_STATE;
		p = end + 1;
	}
	if (v[3] > 1 || v[4] > AG_AUDIT_FP_LEN || v[4] > v[2])
		return EV_ERR_AUDIT_STATE;
	if (strlen(p) != 2 * EV_SHA256_LEN + 1 || p[2 * EV_SHA256_LEN] != '\n' ||
	    ev_hex_decode(p, 2 * EV_SHA256_LEN, out->fp, sizeof(out->fp)) != 0)
		return EV_ERR_AUDIT_STATE;
	out->dev = v[0];
	out->ino = v[1];
	out->off = v[2];
	out->skip = (uint32_t)v[3];
	out->fp_len = (uint32_t)v[4];
	(void)v[5]; /* reserved */
	return 0;
}

static int
state_save(const struct ag_audit *a, const struct audit_state *s)
{
	char text[STATE_MAX], hex[2 * EV_SHA256_LEN + 1];
	int n;

	ev_hex_encode(s->fp, sizeof(s->fp), hex);
	n = snprintf(text, sizeof(text),
	             "v1 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRIu32 " 0 %s\n",
	             s->dev, s->ino, s->off, s->skip, s->fp_len, hex);
	if (n <= 0 || (size_t)n >= sizeof(text))
		return EV_ERR_TOO_BIG;
	return ev_file_write_atomic(a->state_path, text, (size_t)n, 0600, STATE_TMP);
}

static char *
dup_nonnull(const char *s)
{
	return strdup(s != NULL ? s : "");
}

int
ag_audit_open(const struct ag_audit_opts *o, struct ag_audit **out)
{
	struct ag_newlog_opts no;
	struct ag_audit *a = NULL;
	char *text = NULL;
	size_t len;
	int r;

	if (out != NULL)
		*out = NULL;
	if (o == NULL || out == NULL || o->path == NULL || o->state_path == NULL)
		return EV_ERR_INVALID_ARG;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return EV_ERR_NOMEM;
	a->pid = o->edgeview_pid;
	if ((a->path = dup_nonnull(o->path)) == NULL ||
	    (a->state_path = dup_nonnull(o->state_path)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	memset(&no, 0, sizeof(no));
	no.dev_id = o->dev_id;
	no.image = o->image;
	no.eve_version = o->eve_version;
	no.emit = emit;
	no.emit_arg = a;
	no.msgid = o->msgid;
	no.source = AG_AUDIT_SOURCE;
	if ((r = ag_newlog_new(&no, &a->nl)) != 0)
		goto out;
	r = ev_file_read_capped(a->state_path, STATE_MAX, &text, &len);
	if (r == 0) {
		if ((r = state_parse(text, &a->st)) != 0) {
			ev_log_warn_r(r, "%s: reading %s from its start", a->state_path, a->path);
			memset(&a->st, 0, sizeof(a->st));
		}
	} else if (r != EV_ERR_NOT_FOUND) {
		ev_log_warn_r(r, "%s: reading %s from its start", a->state_path, a->path);
	}
	*out = a;
	a = NULL;
	r = 0;
out:
	free(text);
	ag_audit_free(a);
	return r;
}

void
ag_audit_free(struct ag_audit *a)
{
	if (a == NULL)
		return;
	ag_newlog_free(a->nl);
	free(a->path);
	free(a->state_path);
	free(a);
}

int
ag_audit_set_pid(struct ag_audit *a, int64_t pid)
{
	if (a == NULL || pid < 0)
		return EV_ERR_INVALID_ARG;
	a->pid = pid;
	return 0;
}

int
ag_audit_set_meta(struct ag_audit *a, const char *dev_id, const char *image,
                  const char *eve_version)
{
	if (a == NULL)
		return EV_ERR_INVALID_ARG;
	return ag_newlog_set_meta(a->nl, dev_id, image, eve_version);
}

uint64_t
ag_audit_offset(const struct ag_audit *a)
{
	return a != NULL ? a->st.off : 0;
}

static int
pread_all(int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got)
{
	size_t at = 0;

	while (at < len) {
		ssize_t n = pread(fd, buf + at, len - at, (off_t)(off + at));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return EV_ERR_IO;
		}
		if (n == 0)
			break;
		at += (size_t)n;
	}
	*got = at;
	return 0;
}

/* Digest of the fp_len bytes before s->off (zeros when there are none);
 * false if they cannot be read. */
static bool
fingerprint(int fd, struct audit_state *s, uint8_t out[EV_SHA256_LEN])
{
	uint8_t b[AG_AUDIT_FP_LEN];
	size_t got;

	if (s->fp_len == 0) {
		memset(out, 0, EV_SHA256_LEN); /* nothing to check */
		return true;
	}
	if (pread_all(fd, b, s->fp_len, s->off - s->fp_len, &got) != 0 || got != s->fp_len)
		return false;
	return ev_sha256(b, got, out) == 0;
}

static int
add_event(struct ag_audit *a, const char *line, size_t len, uint64_t line_off,
          const struct timespec *mtime, size_t *nev)
{
	struct ev_buf *content = NULL;
	struct ag_log_tag fields[2] = {{"obj_name", AG_AUDIT_OBJ_NAME},
	                               {"obj_type", AG_AUDIT_OBJ_TYPE}};
	struct ag_logrus lr;
	struct ag_log_entry e;
	struct ev_time t;
	char msg[AG_AUDIT_MAX_LINE + 1], iid[24];
	const char *sp;
	int r;

	if (len > AG_AUDIT_MAX_LINE)
		len = AG_AUDIT_MAX_LINE;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	t.sec = (int64_t)mtime->tv_sec;
	t.nsec = (int32_t)mtime->tv_nsec;
	/* An optional leading RFC 3339 time, for writers that add one. */
	if (len > 0 && line[0] >= '0' && line[0] <= '9' && (sp = memchr(line, ' ', len)) != NULL) {
		struct ev_time lt;

		if (ev_time_parse_rfc3339(line, (size_t)(sp - line), &lt) == 0) {
			t = lt;
			len -= (size_t)(sp + 1 - line);
			line = sp + 1;
		}
	}
	if (len == 0)
		return 0;
	memcpy(msg, line, len);
	msg[len] = '\0';

	memset(&lr, 0, sizeof(lr));
	lr.level = "info"; /* EVE's Noticef */
	lr.msg = msg;
	lr.source = AG_AUDIT_SOURCE;
	lr.pid = a->pid;
	lr.t_sec = t.sec;
	lr.t_nsec = t.nsec;
	lr.fields = fields;
	lr.nfields = EV_ARRAY_LEN(fields);
	if ((content = ev_buf_new(AG_NEWLOG_MAX_LINE)) == NULL)
		return EV_ERR_NOMEM;
	if ((r = ag_newlog_logrus_json(&lr, content)) != 0)
		goto out;
	memset(&e, 0, sizeof(e));
	e.severity = "info";
	e.source = AG_AUDIT_SOURCE;
	if (a->pid > 0) {
		(void)snprintf(iid, sizeof(iid), "%" PRId64, a->pid);
		e.iid = iid;
	}
	e.content = ev_buf_str(content);
	e.ts_sec = t.sec;
	e.ts_nanos = t.nsec;
	if (ag_newlog_pending(a->nl) == 0)
		a->batch_start = line_off;
	if ((r = ag_newlog_add(a->nl, &e)) != 0)
		goto out;
	/* A full batch was closed before this line went into a new one. */
	if (ag_newlog_pending(a->nl) == 1)
		a->batch_start = line_off;
	if (a->emit_err != 0) {
		r = a->emit_err;
		goto out;
	}
	(*nev)++;
	r = 0;
out:
	ev_buf_free(content);
	return r;
}

/*
 * Read and queue what follows w->off in fd (at most AG_AUDIT_MAX_READ bytes).
 * final: the file will not grow (a rotated one), so a last line without
 * newline is complete.  On success w->off is past the consumed bytes and the
 * events are in the spool; *eof says everything was consumed.
 */
static int
consume(struct ag_audit *a, int fd, const struct stat *st, bool final, struct audit_state *w,
        size_t *nev, bool *eof)
{
	uint8_t *buf = NULL;
	size_t want, got = 0, pos = 0;
	int r;

	*eof = false;
	if ((uint64_t)st->st_size <= w->off) {
		*eof = true;
		return 0;
	}
	want = (uint64_t)st->st_size - w->off > AG_AUDIT_MAX_READ
	               ? AG_AUDIT_MAX_READ
	               : (size_t)((uint64_t)st->st_size - w->off);
	if ((buf = malloc(want)) == NULL)
		return EV_ERR_NOMEM;
	if ((r = pread_all(fd, buf, want, w->off, &got)) != 0)
		goto out;
	a->batch_ino = w->ino;
	a->emit_err = 0;
	if (w->skip && got > 0) {
		uint8_t *nl = memchr(buf, '\n', got);

		pos = nl != NULL ? (size_t)(nl - buf) + 1 : got;
		if (nl != NULL)
			w->skip = 0;
	}
	while (pos < got) {
		uint8_t *nl = memchr(buf + pos, '\n', got - pos);
		size_t len = nl != NULL ? (size_t)(nl - (buf + pos)) : got - pos;

		if (nl == NULL && len < AG_AUDIT_MAX_LINE &&
		    !(final && pos + len == got && w->off + got == (uint64_t)st->st_size))
			break; /* the rest of this line is not written yet */
		if ((r = add_event(a, (const char *)buf + pos, len, w->off + pos, &st->st_mtim,
		                   nev)) != 0)
			goto out;
		if (nl == NULL) {
			/* over-long line without its end (or the end of a rotated file) */
			w->skip = len >= AG_AUDIT_MAX_LINE && !final ? 1 : 0;
			pos = got;
		} else {
			pos += len + 1;
		}
	}
	if ((r = ag_newlog_flush(a->nl)) != 0 || (r = a->emit_err) != 0)
		goto out;
	w->off += pos;
	w->fp_len = w->off < AG_AUDIT_FP_LEN ? (uint32_t)w->off : AG_AUDIT_FP_LEN;
	if (!fingerprint(fd, w, w->fp)) {
		r = EV_ERR_IO;
		goto out;
	}
	*eof = w->off >= (uint64_t)st->st_size;
	r = 0;
out:
	if (r != 0)
		ag_newlog_discard(a->nl); /* read again next time */
	free(buf);
	return r;
}

static int
commit(struct ag_audit *a, const struct audit_state *w)
{
	int r;

	if (memcmp(w, &a->st, sizeof(*w)) == 0)
		return 0;
	if ((r = state_save(a, w)) != 0)
		return r;
	a->st = *w;
	return 0;
}

static int
open_file(const char *path, int *fdp, struct stat *st)
{
	int fd;

	*fdp = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1)
		return errno == ENOENT ? EV_ERR_NOT_FOUND : EV_ERR_SYSTEM;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return EV_ERR_NOT_REGULAR;
	}
	*fdp = fd;
	return 0;
}

static void
adopt(struct audit_state *w, const struct stat *st)
{
	memset(w, 0, sizeof(*w));
	w->dev = (uint64_t)st->st_dev;
	w->ino = (uint64_t)st->st_ino;
}

int
ag_audit_poll(struct ag_audit *a, struct ag_spool *sp, size_t *nevents, int *more)
{
	struct audit_state w;
	struct stat st, ost;
	char rotated[PATH_MAX];
	uint8_t fp[EV_SHA256_LEN];
	size_t nev = 0;
	bool eof = true, have_cur;
	int fd = -1, ofd = -1, r;

	if (nevents != NULL)
		*nevents = 0;
	if (more != NULL)
		*more = 0;
	if (a == NULL || sp == NULL)
		return EV_ERR_INVALID_ARG;
	a->sp = sp;
	w = a->st;
	r = open_file(a->path, &fd, &st);
	if (r != 0 && r != EV_ERR_NOT_FOUND)
		goto out;
	have_cur = r == 0;

	if (w.ino != 0 &&
	    (!have_cur || (uint64_t)st.st_dev != w.dev || (uint64_t)st.st_ino != w.ino)) {
		/* Replaced: finish the old file first if it was only renamed. */
		int n = snprintf(rotated, sizeof(rotated), "%s%s", a->path, ROTATED_SUFFIX);

		if (n > 0 && (size_t)n < sizeof(rotated) && open_file(rotated, &ofd, &ost) == 0 &&
		    (uint64_t)ost.st_dev == w.dev && (uint64_t)ost.st_ino == w.ino &&
		    (uint64_t)ost.st_size >= w.off && fingerprint(ofd, &w, fp) &&
		    memcmp(fp, w.fp, sizeof(fp)) == 0) {
			/* Without a new file the writer may still append to the old one. */
			if ((r = consume(a, ofd, &ost, have_cur, &w, &nev, &eof)) != 0)
				goto out;
			if (!eof || !have_cur) {
				r = commit(a, &w);
				if (more != NULL && !eof)
					*more = 1;
				goto out;
			}
		} else if (!have_cur) {
			r = 0; /* gone for now; keep the place */
			goto out;
		} else if (w.off > 0) {
			ev_log_warn("%s was replaced; anything appended to the old file after "
			            "offset %" PRIu64 " is not sent",
			            a->path, w.off);
		}
		adopt(&w, &st);
		if ((r = commit(a, &w)) != 0)
			goto out;
	} else if (!have_cur) {
		r = 0;
		goto out;
	} else if (w.ino == 0) {
		adopt(&w, &st);
	} else if ((uint64_t)st.st_size < w.off || !fingerprint(fd, &w, fp) ||
	           memcmp(fp, w.fp, sizeof(fp)) != 0) {
		ev_log_notice("%s was truncated or rewritten; reading it from the start", a->path);
		adopt(&w, &st);
	}
	if ((r = consume(a, fd, &st, false, &w, &nev, &eof)) != 0)
		goto out;
	if ((r = commit(a, &w)) != 0)
		goto out;
	if (more != NULL && !eof && w.off < (uint64_t)st.st_size)
		*more = 1;
	r = 0;
out:
	if (nevents != NULL && r == 0)
		*nevents = nev;
	if (fd != -1)
		close(fd);
	if (ofd != -1)
		close(ofd);
	a->sp = NULL;
	return r;
}
