/* sys_log.c - the newlog search of log/<pattern>. */
#include "sys_log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_jsonindent.h"
#include "ev_newlog.h"
#include "ev_query.h"

struct log_file {
	char path[PATH_MAX]; /* real path */
	char shown[PATH_MAX];
	int64_t ms;
};

struct log_search {
	struct cmd_ctx *ctx;
	const char *pattern;
	regex_t re;
	time_t older, newer;
	int64_t context;
	uint64_t idx;   /* running index of text output */
	size_t written; /* bytes printed so far */
	size_t lines_since_flush;
	bool full;
	char *line;  /* EV_NEWLOG_MAX_LINE + 2 */
	char **ring; /* context lines before a hit */
	size_t *ring_len;
	size_t ring_n, ring_head;
	struct ev_buf *fmt;
};

static bool
stopped(const struct log_search *s)
{
	return s->full || (s->ctx->stop != NULL && *s->ctx->stop);
}

/* Print fmt buffer with literal pattern hits in yellow, counting bytes. */
static void
emit(struct log_search *s, const char *text, size_t n)
{
	struct cmd_ctx *ctx = s->ctx;
	size_t pl = strlen(s->pattern);

	if (s->full)
		return;
	if (s->written + n > SYS_LOG_MAX_OUTPUT) {
		cmd_colour_line(ctx, CMD_RED, "\n... output stopped at %u bytes; narrow -time",
		                SYS_LOG_MAX_OUTPUT);
		s->full = true;
		return;
	}
	s->written += n;
	while (n > 0) {
		const char *hit = ctx->colour && pl > 0 ? memmem(text, n, s->pattern, pl) : NULL;
		if (hit == NULL) {
			fwrite(text, 1, n, ctx->out);
			break;
		}
		fwrite(text, 1, (size_t)(hit - text), ctx->out);
		cmd_colour(ctx, CMD_YELLOW, "%.*s", (int)pl, hit);
		n -= (size_t)(hit - text) + pl;
		text = hit + pl;
	}
	if (++s->lines_since_flush >= 20) {
		fflush(ctx->out);
		s->lines_since_flush = 0;
	}
}

/* Format one record line: a hit (numbered) or a context line. */
static void
show_record(struct log_search *s, const char *line, size_t len, bool hit, uint64_t k)
{
	struct ev_newlog_entry e;
	char ts[32];
	int r;

	ev_buf_reset(s->fmt);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (s->ctx->is_json) {
		r = hit ? ev_buf_putf(s->fmt, " (%llu) ", (unsigned long long)k)
		        : ev_buf_put_str(s->fmt, "     ");
		if (r == 0)
			r = ev_json_indent_or_raw(line, len, s->fmt);
		if (r == 0)
			r = ev_buf_put_str(s->fmt, "\n");
		emit(s, ev_buf_str(s->fmt), ev_buf_len(s->fmt));
		return;
	}
	if (hit)
		r = ev_buf_putf(s->fmt, " -(%llu) ", (unsigned long long)k);
	else
		r = ev_buf_put_str(s->fmt, "    ");
	if (r != 0)
		return;
	if (ev_newlog_parse(line, len, &e) != 0) {
		/* not a record (metadata line, or damaged): shown as it is */
		if (ev_buf_put(s->fmt, line, len) == 0 && ev_buf_put_str(s->fmt, "\n") == 0)
			emit(s, ev_buf_str(s->fmt), ev_buf_len(s->fmt));
		return;
	}
	if (e.content_is_json) {
		r = ev_buf_putf(s->fmt, "%s, %s, %s, %s, %s, %s, %s(%llu)\n", e.c_msg, e.severity,
		                e.filename, e.function, e.c_obj_type, e.c_source, e.c_time,
		                (unsigned long long)e.msgid);
	} else {
		size_t cl = strlen(e.content);
		while (cl > 0 && e.content[cl - 1] == '\n')
			cl--;
		ev_newlog_rfc3339((time_t)e.ts_sec, ts, sizeof(ts));
		r = ev_buf_putf(s->fmt, "%.*s, %s, %s, %s(%llu)\n", (int)cl, e.content, e.severity,
		                e.source, ts, (unsigned long long)e.msgid);
	}
	ev_newlog_entry_free(&e);
	if (r == 0)
		emit(s, ev_buf_str(s->fmt), ev_buf_len(s->fmt));
}

static void
ring_push(struct log_search *s, const char *line, size_t len)
{
	size_t slot;

	if (s->context <= 0)
		return;
	slot = (s->ring_head + s->ring_n) % (size_t)s->context;
	if (s->ring_n == (size_t)s->context) {
		slot = s->ring_head;
		s->ring_head = (s->ring_head + 1) % (size_t)s->context;
	} else {
		s->ring_n++;
	}
	memcpy(s->ring[slot], line, len);
	s->ring_len[slot] = len;
}

/* Search one file; header printed before the first hit (or always). */
static void
search_file(struct log_search *s, const char *path, const char *header, bool always_header)
{
	gzFile gz;
	bool headed = false, cut;
	int64_t after = 0;
	uint64_t k = 0;
	uint64_t lineno = 0, last_shown = 0;

	if ((gz = gzopen(path, "rb")) == NULL)
		return;
	s->ring_n = s->ring_head = 0;
	if (always_header) {
		cmd_colour_line(s->ctx, CMD_RED, "%s", header);
		headed = true;
	}
	while (!stopped(s) && gzgets(gz, s->line, (int)EV_NEWLOG_MAX_LINE + 2) != NULL) {
		size_t len = strlen(s->line);
		bool hit;
		lineno++;
		cut = len > 0 && s->line[len - 1] != '\n' && len > EV_NEWLOG_MAX_LINE;
		if (cut) { /* skip the rest of an overlong line */
			int c;
			while ((c = gzgetc(gz)) != -1 && c != '\n')
				;
			len = EV_NEWLOG_MAX_LINE;
			s->line[len] = '\0';
		}
		hit = regexec(&s->re, s->line, 0, NULL, 0) == 0;
		if (!hit && after > 0) {
			show_record(s, s->line, len, false, 0);
			last_shown = lineno;
			after--;
			continue;
		}
		if (!hit) {
			ring_push(s, s->line, len);
			continue;
		}
		if (!headed) {
			cmd_colour_line(s->ctx, CMD_RED, "%s", header);
			headed = true;
		}
		if (s->context > 0 && last_shown != 0 && lineno - s->ring_n > last_shown + 1)
			emit(s, "--\n", 3);
		for (size_t i = 0; i < s->ring_n; i++) {
			size_t slot = (s->ring_head + i) % (size_t)s->context;
			show_record(s, s->ring[slot], s->ring_len[slot], false, 0);
		}
		s->ring_n = s->ring_head = 0;
		k++;
		s->idx++;
		show_record(s, s->line, len, true, s->ctx->is_json ? k : s->idx);
		last_shown = lineno;
		after = s->context;
	}
	gzclose(gz);
	fflush(s->ctx->out);
}

static int
cmp_file(const void *a, const void *b)
{
	const struct log_file *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* gzip files of the window, from every directory but collect/panic*. */
static int
collect_files(struct log_search *s, const char *newlog, struct log_file **out, size_t *nout)
{
	const char *type = s->ctx->logtype != NULL ? s->ctx->logtype : "";
	struct log_file *v = NULL;
	size_t n = 0;
	DIR *top = NULL, *d = NULL;
	struct dirent *de, *fe;
	int r = 0;

	*out = NULL;
	*nout = 0;
	if ((top = opendir(newlog)) == NULL)
		return EV_ERR_NOT_FOUND;
	if ((v = calloc(SYS_LOG_MAX_FILES, sizeof(*v))) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	while ((de = readdir(top)) != NULL) {
		char dir[PATH_MAX];
		struct stat st;
		if (de->d_name[0] == '.' || strstr(de->d_name, "collect") != NULL ||
		    strstr(de->d_name, "panic") != NULL)
			continue;
		if (strcmp(type, "dev") == 0 && strcmp(de->d_name, "appUpload") == 0)
			continue;
		if (strcmp(type, "app") == 0 && strcmp(de->d_name, "devUpload") == 0)
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", newlog, de->d_name) >= (int)sizeof(dir) ||
		    lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || (d = opendir(dir)) == NULL)
			continue;
		while ((fe = readdir(d)) != NULL) {
			int64_t ms;
			struct log_file *f;
			if (strcmp(type, "app") == 0 && strncmp(fe->d_name, "dev", 3) == 0)
				continue;
			if (strcmp(type, "dev") == 0 && strncmp(fe->d_name, "app", 3) == 0)
				continue;
			if (ev_newlog_name_time(fe->d_name, &ms) != 0 ||
			    ms / 1000 < (int64_t)s->older || ms / 1000 > (int64_t)s->newer)
				continue;
			if (n == SYS_LOG_MAX_FILES) {
				/* keep the newest: replace the oldest kept */
				qsort(v, n, sizeof(*v), cmp_file);
				if (ms <= v[0].ms)
					continue;
				n--;
				memmove(v, v + 1, n * sizeof(*v));
			}
			f = &v[n];
			if (snprintf(f->path, sizeof(f->path), "%s/%s", dir, fe->d_name) >=
			            (int)sizeof(f->path) ||
			    snprintf(f->shown, sizeof(f->shown), "/persist/newlog/%s/%s",
			             de->d_name, fe->d_name) >= (int)sizeof(f->shown) ||
			    lstat(f->path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			f->ms = ms;
			n++;
		}
		closedir(d);
		d = NULL;
	}
	qsort(v, n, sizeof(*v), cmp_file);
	*out = v;
	*nout = n;
	v = NULL;
out:
	free(v);
	if (d != NULL)
		closedir(d);
	closedir(top);
	return r;
}

static void
search_live(struct log_search *s, const char *newlog)
{
	const char *type = s->ctx->logtype != NULL ? s->ctx->logtype : "";
	char now_s[32], header[128], p[PATH_MAX], real[PATH_MAX];
	char **apps = NULL;
	size_t napps = 0;
	DIR *d;
	struct dirent *de;

	ev_newlog_rfc3339(s->ctx->now, now_s, sizeof(now_s));
	if (strcmp(type, "app") != 0) {
		snprintf(header, sizeof(header), "\n current dev log, -- %s --", now_s);
		/* current.device.log is a symlink: resolve it inside the root only */
		if (cmd_user_path(s->ctx, "/persist/newlog/collect/current.device.log", real,
		                  sizeof(real), NULL, 0) == 0)
			search_file(s, real, header, true);
		else
			cmd_colour_line(s->ctx, CMD_RED, "%s", header);
	}
	if (strcmp(type, "dev") == 0 || stopped(s))
		return;
	if (snprintf(p, sizeof(p), "%s/collect", newlog) >= (int)sizeof(p) ||
	    (d = opendir(p)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && napps < 256) {
		char **nv;
		if (strncmp(de->d_name, "app", 3) != 0)
			continue;
		if ((nv = realloc(apps, (napps + 1) * sizeof(*apps))) == NULL)
			break;
		apps = nv;
		if ((apps[napps] = strdup(de->d_name)) == NULL)
			break;
		napps++;
	}
	closedir(d);
	for (size_t i = 0; i < napps; i++) {
		char rel[PATH_MAX];
		snprintf(header, sizeof(header), "\n current app log, -- %s --", now_s);
		if (!stopped(s) &&
		    snprintf(rel, sizeof(rel), "/persist/newlog/collect/%s", apps[i]) <
		            (int)sizeof(rel) &&
		    cmd_user_path(s->ctx, rel, real, sizeof(real), NULL, 0) == 0)
			search_file(s, real, header, true);
		free(apps[i]);
	}
	free(apps);
}

int
sys_log(struct cmd_ctx *ctx, const char *arg)
{
	struct log_search s = {0};
	struct log_file *files = NULL;
	size_t nfiles = 0;
	char newlog[PATH_MAX], ts[32];
	const char *range =
	        ctx->timerange != NULL && ctx->timerange[0] != '\0' ? ctx->timerange : "0-0.5";
	bool re_ok = false;
	int r;

	s.ctx = ctx;
	s.pattern = arg != NULL ? arg : "";
	if (s.pattern[0] == '\0' || !ev_query_chars_ok(s.pattern, strlen(s.pattern))) {
		cmd_printf(ctx, "log options invalid\n");
		return EV_ERR_QUERY_CHARS;
	}
	if ((r = ev_newlog_time_range(range, ctx->now, &s.older, &s.newer)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "time1-time2 format invalid: %s", range);
		return r;
	}
	if (ctx->logtype != NULL && ctx->logtype[0] != '\0' && strcmp(ctx->logtype, "app") != 0 &&
	    strcmp(ctx->logtype, "dev") != 0) {
		cmd_colour_line(ctx, CMD_RED, "-type must be app or dev");
		return EV_ERR_INVALID_ARG;
	}
	/* Only letters, digits, space and = - _ . : , / @ reach here: '.' is
	 * the one ERE metacharacter, as with EVE's grep -E. */
	if (regcomp(&s.re, s.pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		cmd_colour_line(ctx, CMD_RED, "log: bad pattern");
		return EV_ERR_INVALID_ARG;
	}
	re_ok = true;
	s.context = ctx->extraline > 0 ? ctx->extraline : 0;
	if (s.context > SYS_LOG_MAX_CONTEXT)
		s.context = SYS_LOG_MAX_CONTEXT;
	if ((s.line = malloc(EV_NEWLOG_MAX_LINE + 2)) == NULL ||
	    (s.fmt = ev_buf_new(EV_NEWLOG_MAX_LINE * 8)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if (s.context > 0) {
		if ((s.ring = calloc((size_t)s.context, sizeof(*s.ring))) == NULL ||
		    (s.ring_len = calloc((size_t)s.context, sizeof(*s.ring_len))) == NULL) {
			r = EV_ERR_NOMEM;
			goto out;
		}
		for (int64_t i = 0; i < s.context; i++)
			if ((s.ring[i] = malloc(EV_NEWLOG_MAX_LINE + 1)) == NULL) {
				r = EV_ERR_NOMEM;
				goto out;
			}
	}
	if ((r = cmd_path(ctx, "/persist/newlog", newlog, sizeof(newlog))) != 0)
		goto out;
	if (collect_files(&s, newlog, &files, &nfiles) == EV_ERR_NOT_FOUND) {
		cmd_colour_line(ctx, CMD_RED, "no newlog files on this device (/persist/newlog)");
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < nfiles && !stopped(&s); i++) {
		char header[PATH_MAX + 64];
		ev_newlog_rfc3339((time_t)(files[i].ms / 1000), ts, sizeof(ts));
		snprintf(header, sizeof(header), "\n %s, -- %s --", files[i].shown, ts);
		search_file(&s, files[i].path, header, false);
	}
	if (!stopped(&s) && s.newer >= ctx->now - 10)
		search_live(&s, newlog);
	fflush(ctx->out);
	r = 0;
out:
	if (s.ring != NULL)
		for (int64_t i = 0; i < s.context; i++)
			free(s.ring[i]);
	free(s.ring);
	free(s.ring_len);
	free(s.line);
	free(files);
	ev_buf_free(s.fmt);
	if (re_ok)
		regfree(&s.re);
	return r;
}
