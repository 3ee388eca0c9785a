/* newlog.c - LogEntry JSON lines and gzip batches for /newlogs (see newlog.h). */
#include "newlog.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_json.h"
#include "ev_mem.h"
#include "ev_status.h"

/* Room for a line built before it is cut: content is pre-cut to one line,
 * and every input byte becomes at most 6 output bytes. */
#define LINE_SCRATCH (7u * AG_NEWLOG_MAX_LINE + 64u * 1024)
#define ELLIPSIS     "..."
/* gzip trailer (CRC32, ISIZE) plus the last, empty deflate block */
#define FINISH_OVERHEAD (8u + 16u)
#define ZCHUNK          16384u
#define NEWLOG_WBITS    14
#define NEWLOG_MEMLEVEL 6

/* Longest prefix of s[0..len) that is at most max bytes and does not end
 * inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static int
put_cut_string(struct ev_buf *b, const char *s, size_t max)
{
	size_t len = strlen(s);

	return ev_json_put_string(b, s, utf8_cut(s, len, max));
}

/* `,"key":` with a key of our own (ev_json_put_key takes C strings only up to NUL,
 * which is what we have, but cuts nothing). */
static int
put_key_cut(struct ev_buf *b, const char *key, size_t max, bool first)
{
	int r;

	if (!first && (r = ev_buf_put_u8(b, ',')) != 0)
		return r;
	if ((r = put_cut_string(b, key, max)) != 0)
		return r;
	return ev_buf_put_u8(b, ':');
}

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static int
put_str_field(struct ev_buf *b, const char *key, const char *val, size_t max, bool *first)
{
	int r;

	if (!nonempty(val))
		return 0;
	if ((r = ev_json_put_key(b, key, *first)) != 0 || (r = put_cut_string(b, val, max)) != 0)
		return r;
	*first = false;
	return 0;
}

static int
cmp_tag(const void *a, const void *b)
{
	const struct ag_log_tag *x = *(const struct ag_log_tag *const *)a;
	const struct ag_log_tag *y = *(const struct ag_log_tag *const *)b;

	return strcmp(x->key, y->key);
}

/* The line with the first clen bytes of content (and "..." if cut). */
static int
build_line(const struct ag_log_entry *e, const struct ag_log_tag *const *tags, uint64_t msgid,
           size_t clen, bool cut, struct ev_buf *b)
{
	bool first = true;
	size_t i;
	int r;

	if ((r = ev_buf_put_u8(b, '{')) != 0 ||
	    (r = put_str_field(b, "severity", e->severity, AG_NEWLOG_MAX_FIELD, &first)) != 0 ||
	    (r = put_str_field(b, "source", e->source, AG_NEWLOG_MAX_FIELD, &first)) != 0 ||
	    (r = put_str_field(b, "iid", e->iid, AG_NEWLOG_MAX_FIELD, &first)) != 0)
		return r;
	if (clen > 0 || cut) {
		struct ev_buf *c = NULL;

		/* Go escapes the whole string; escape prefix and "..." as one. */
		if ((c = ev_buf_new(clen + sizeof(ELLIPSIS))) == NULL)
			return EV_ERR_NOMEM;
		if ((r = ev_buf_put(c, e->content, clen)) != 0 ||
		    (cut && (r = ev_buf_put_str(c, ELLIPSIS)) != 0) ||
		    (r = ev_json_put_key(b, "content", first)) != 0 ||
		    (r = ev_json_put_string(b, ev_buf_str(c), ev_buf_len(c))) != 0) {
			ev_buf_free(c);
			return r;
		}
		ev_buf_free(c);
		first = false;
	}
	if (msgid != 0) {
		if ((r = ev_json_put_key(b, "msgid", first)) != 0 ||
		    (r = ev_json_put_u64(b, msgid)) != 0)
			return r;
		first = false;
	}
	if (e->ntags > 0) {
		if ((r = ev_json_put_key(b, "tags", first)) != 0 ||
		    (r = ev_buf_put_u8(b, '{')) != 0)
			return r;
		for (i = 0; i < e->ntags; i++) {
			if ((r = put_key_cut(b, tags[i]->key, AG_NEWLOG_MAX_TAG, i == 0)) != 0 ||
			    (r = put_cut_string(b, tags[i]->value != NULL ? tags[i]->value : "",
			                        AG_NEWLOG_MAX_TAG)) != 0)
				return r;
		}
		if ((r = ev_buf_put_u8(b, '}')) != 0)
			return r;
		first = false;
	}
	/* *timestamppb.Timestamp: seconds and nanos are omitempty too */
	if ((r = ev_json_put_key(b, "timestamp", first)) != 0 || (r = ev_buf_put_u8(b, '{')) != 0)
		return r;
	first = false;
	if (e->ts_sec != 0 && ((r = ev_json_put_key(b, "seconds", true)) != 0 ||
	                       (r = ev_json_put_i64(b, e->ts_sec)) != 0))
		return r;
	if (e->ts_nanos != 0 && ((r = ev_json_put_key(b, "nanos", e->ts_sec == 0)) != 0 ||
	                         (r = ev_json_put_i64(b, e->ts_nanos)) != 0))
		return r;
	if ((r = ev_buf_put_u8(b, '}')) != 0 ||
	    (r = put_str_field(b, "filename", e->filename, AG_NEWLOG_MAX_FIELD, &first)) != 0 ||
	    (r = put_str_field(b, "function", e->function, AG_NEWLOG_MAX_FIELD, &first)) != 0)
		return r;
	return ev_buf_put_u8(b, '}');
}

static int
entry_json(const struct ag_log_entry *e, uint64_t msgid, struct ev_buf *out, bool *was_cut)
{
	const struct ag_log_tag *tags[AG_NEWLOG_MAX_TAGS];
	struct ev_buf *b = NULL;
	size_t full, clen, lo, hi, i;
	const size_t max = AG_NEWLOG_MAX_LINE - 1;
	int r;

	*was_cut = false;
	if (e == NULL || out == NULL || e->ts_nanos < 0 || e->ts_nanos > 999999999 ||
	    e->ntags > AG_NEWLOG_MAX_TAGS || (e->ntags > 0 && e->tags == NULL))
		return EV_ERR_INVALID_ARG;
	for (i = 0; i < e->ntags; i++) {
		if (e->tags[i].key == NULL)
			return EV_ERR_INVALID_ARG;
		tags[i] = &e->tags[i];
	}
	qsort(tags, e->ntags, sizeof(tags[0]), cmp_tag);
	for (i = 1; i < e->ntags; i++)
		if (strcmp(tags[i - 1]->key, tags[i]->key) == 0)
			return EV_ERR_INVALID_ARG; /* a Go map has each key once */

	if ((b = ev_buf_new(LINE_SCRATCH)) == NULL)
		return EV_ERR_NOMEM;
	full = nonempty(e->content) ? strlen(e->content) : 0;
	/* Every byte of content takes at least one byte of the line. */
	clen = utf8_cut(e->content, full, max);
	if ((r = build_line(e, tags, msgid, clen, clen < full, b)) != 0)
		goto out;
	if (ev_buf_len(b) > max) {
		/* The longest content prefix (at a UTF-8 boundary) that fits;
		 * "" + "..." always does with the caps on the other fields. */
		lo = 0;
		hi = clen;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;

			ev_buf_reset(b);
			if ((r = build_line(e, tags, msgid, utf8_cut(e->content, clen, mid), true,
			                    b)) != 0)
				goto out;
			if (ev_buf_len(b) <= max)
				lo = mid;
			else
				hi = mid - 1;
		}
		ev_buf_reset(b);
		if ((r = build_line(e, tags, msgid, utf8_cut(e->content, clen, lo), true, b)) != 0)
			goto out;
		if (ev_buf_len(b) > max) {
			r = EV_ERR_TOO_BIG; /* cannot happen with the caps */
			goto out;
		}
		clen = 0; /* cut */
	}
	*was_cut = clen < full;
	r = ev_buf_put(out, ev_buf_ptr(b), ev_buf_len(b));
out:
	ev_buf_free(b);
	return r;
}

int
ag_newlog_entry_json(const struct ag_log_entry *e, uint64_t msgid, struct ev_buf *out)
{
	bool cut;

	return entry_json(e, msgid, out, &cut);
}

/* Rewrite the non-ASCII UTF-8 of JSON text as \u escapes (surrogate pairs
 * above U+FFFF).  The input comes from ev_json_put_string, so it is valid. */
static int
json_ascii(const uint8_t *s, size_t len, struct ev_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	int r;

	while (i < len) {
		uint32_t c = s[i], cps[2];
		size_t need = 0, k, ncp = 1;

		if (c < 0x80) {
			if ((r = ev_buf_put_u8(out, (uint8_t)c)) != 0)
				return r;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			c &= 0x0f;
		} else {
			need = 3;
			c &= 0x07;
		}
		if (need >= len - i)
			return EV_ERR_UTF8;
		for (k = 1; k <= need; k++)
			c = c << 6 | (s[i + k] & 0x3fu);
		i += need + 1;
		cps[0] = c;
		if (c >= 0x10000) {
			c -= 0x10000;
			cps[0] = 0xd800 + (c >> 10);
			cps[1] = 0xdc00 + (c & 0x3ff);
			ncp = 2;
		}
		for (k = 0; k < ncp; k++) {
			char u[6] = {'\\',
			             'u',
			             hex[cps[k] >> 12 & 15],
			             hex[cps[k] >> 8 & 15],
			             hex[cps[k] >> 4 & 15],
			             hex[cps[k] & 15]};

			if ((r = ev_buf_put(out, u, sizeof(u))) != 0)
				return r;
		}
	}
	return 0;
}

int
ag_newlog_header_json(const char *dev_id, const char *image, const char *eve_version,
                      struct ev_buf *out)
{
	struct ev_buf *b = NULL, *a = NULL;
	bool first = true;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	if ((b = ev_buf_new(8 * AG_NEWLOG_MAX_HEADER)) == NULL ||
	    (a = ev_buf_new(AG_NEWLOG_MAX_HEADER)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_buf_put_u8(b, '{')) != 0 ||
	    (r = put_str_field(b, "devID", dev_id, AG_NEWLOG_MAX_HEADER, &first)) != 0 ||
	    (r = put_str_field(b, "image", image, AG_NEWLOG_MAX_HEADER, &first)) != 0 ||
	    (r = put_str_field(b, "eveVersion", eve_version, AG_NEWLOG_MAX_HEADER, &first)) != 0 ||
	    (r = ev_buf_put_u8(b, '}')) != 0 ||
	    (r = json_ascii(ev_buf_ptr(b), ev_buf_len(b), a)) != 0) {
		if (r == EV_ERR_BUF_FULL)
			r = EV_ERR_REPORT_FIELD;
		goto out;
	}
	r = ev_buf_put(out, ev_buf_ptr(a), ev_buf_len(a));
out:
	ev_buf_free(b);
	ev_buf_free(a);
	return r;
}

const char *
ag_newlog_severity(enum ev_log_level level)
{
	switch (level) {
	case EV_LOG_ERR: return "error";
	case EV_LOG_WARN: return "warning";
	case EV_LOG_NOTICE: /* EVE logs Notice at logrus's info level */
	case EV_LOG_INFO: return "info";
	case EV_LOG_DEBUG: return "debug";
	}
	return "info";
}

struct lr_item {
	const char *key;
	const char *s; /* NULL: the number n */
	int64_t n;
};

static int
cmp_lr(const void *a, const void *b)
{
	return strcmp(((const struct lr_item *)a)->key, ((const struct lr_item *)b)->key);
}

int
ag_newlog_logrus_json(const struct ag_logrus *l, struct ev_buf *out)
{
	struct lr_item it[8 + AG_NEWLOG_MAX_TAGS];
	struct ev_time t;
	char ts[EV_TIME_STR_MAX];
	size_t n = 0, i, len0;
	int r;

	if (l == NULL || out == NULL || l->nfields > AG_NEWLOG_MAX_TAGS ||
	    (l->nfields > 0 && l->fields == NULL))
		return EV_ERR_INVALID_ARG;
	t.sec = l->t_sec;
	t.nsec = l->t_nsec;
	t.utc_offset = 0;
	if ((r = ev_time_format_rfc3339nano(&t, ts, sizeof(ts))) != 0)
		return r;
	if (l->file != NULL)
		it[n++] = (struct lr_item){"file", l->file, 0};
	if (l->func != NULL)
		it[n++] = (struct lr_item){"func", l->func, 0};
	it[n++] = (struct lr_item){"level", l->level != NULL ? l->level : "info", 0};
	it[n++] = (struct lr_item){"msg", l->msg != NULL ? l->msg : "", 0};
	if (l->pid != 0)
		it[n++] = (struct lr_item){"pid", NULL, l->pid};
	if (l->source != NULL)
		it[n++] = (struct lr_item){"source", l->source, 0};
	it[n++] = (struct lr_item){"time", ts, 0};
	for (i = 0; i < l->nfields; i++) {
		if (l->fields[i].key == NULL || l->fields[i].value == NULL)
			return EV_ERR_INVALID_ARG;
		it[n++] = (struct lr_item){l->fields[i].key, l->fields[i].value, 0};
	}
	qsort(it, n, sizeof(it[0]), cmp_lr);
	for (i = 1; i < n; i++)
		if (strcmp(it[i - 1].key, it[i].key) == 0)
			return EV_ERR_INVALID_ARG;
	len0 = ev_buf_len(out);
	if ((r = ev_buf_put_u8(out, '{')) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = put_key_cut(out, it[i].key, AG_NEWLOG_MAX_TAG, i == 0)) != 0)
			goto out;
		if (it[i].s == NULL)
			r = ev_json_put_i64(out, it[i].n);
		else
			r = put_cut_string(out, it[i].s,
			                   strcmp(it[i].key, "msg") == 0 ? AG_NEWLOG_MAX_MSG
			                                                 : AG_NEWLOG_MAX_FIELD);
		if (r != 0)
			goto out;
	}
	r = ev_buf_put_u8(out, '}');
out:
	if (r != 0 && ev_buf_len(out) > len0 &&
	    ev_buf_consume_end(out, ev_buf_len(out) - len0) != 0)
		r = EV_ERR_INVALID_ARG; /* cannot happen: we only remove what we added */
	return r;
}

/* ---- batches ---- */

struct ag_newlog {
	char *dev_id, *image, *eve_version, *source;
	char *comment; /* FCOMMENT of the open batch; zlib points at it */
	size_t soft, hard;
	ag_newlog_emit_fn emit;
	void *emit_arg;
	uint64_t own_msgid, *msgid;
	enum ev_log_level min_level;

	z_stream zs;
	gz_header hdr;
	bool open;
	struct ev_buf *out;  /* compressed bytes of the open batch */
	struct ev_buf *line; /* scratch */
	size_t unflushed;    /* input since the last sync flush */
	size_t hdr_len;
	struct ag_newlog_batch cur;

	uint8_t *failed; /* a closed batch whose emit failed */
	struct ag_newlog_batch failed_meta;

	bool in_sink;
	struct ag_newlog_stats st;
};

/* zlib's deflateBound() for windowBits 15 / memLevel 8 (what we use), for
 * input that starts after a sync flush, plus slack. */
static size_t
zbound(size_t n)
{
	return n + (n >> 12) + (n >> 14) + (n >> 25) + 7 + 32;
}

int
ag_newlog_set_meta(struct ag_newlog *nl, const char *dev_id, const char *image,
                   const char *eve_version)
{
	struct ev_buf *h = NULL;
	char *d = NULL, *i = NULL, *v = NULL;
	int r;

	if (nl == NULL)
		return EV_ERR_INVALID_ARG;
	/* Check now that the header fits, rather than at the next batch. */
	if ((h = ev_buf_new(AG_NEWLOG_MAX_HEADER + 1)) == NULL)
		return EV_ERR_NOMEM;
	r = ag_newlog_header_json(dev_id, image, eve_version, h);
	ev_buf_free(h);
	if (r != 0)
		return r;
	if ((nonempty(dev_id) && (d = strdup(dev_id)) == NULL) ||
	    (nonempty(image) && (i = strdup(image)) == NULL) ||
	    (nonempty(eve_version) && (v = strdup(eve_version)) == NULL)) {
		free(d);
		free(i);
		free(v);
		return EV_ERR_NOMEM;
	}
	free(nl->dev_id);
	free(nl->image);
	free(nl->eve_version);
	nl->dev_id = d;
	nl->image = i;
	nl->eve_version = v;
	return 0;
}

int
ag_newlog_new(const struct ag_newlog_opts *o, struct ag_newlog **out)
{
	struct ag_newlog *nl = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (o == NULL || out == NULL || o->emit == NULL)
		return EV_ERR_INVALID_ARG;
	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return EV_ERR_NOMEM;
	nl->soft = o->soft_cap != 0 ? o->soft_cap : AG_NEWLOG_SOFT_CAP;
	nl->hard = o->hard_cap != 0 ? o->hard_cap : AG_NEWLOG_HARD_CAP;
	/* A lone line must always fit, whatever the header. */
	if (nl->soft > nl->hard || nl->hard < 10 + AG_NEWLOG_MAX_HEADER + 1 +
	                                              zbound(AG_NEWLOG_MAX_LINE) +
	                                              FINISH_OVERHEAD) {
		r = EV_ERR_INVALID_ARG;
		goto out;
	}
	nl->emit = o->emit;
	nl->emit_arg = o->emit_arg;
	nl->own_msgid = 1;
	nl->msgid = o->msgid != NULL ? o->msgid : &nl->own_msgid;
	if (*nl->msgid == 0)
		*nl->msgid = 1;
	nl->min_level = o->min_level;
	if ((r = ag_newlog_set_meta(nl, o->dev_id, o->image, o->eve_version)) != 0)
		goto out;
	if ((nl->source = strdup(o->source != NULL ? o->source : "eve-agent")) == NULL ||
	    (nl->out = ev_buf_new(nl->hard + 2 * ZCHUNK)) == NULL ||
	    (nl->line = ev_buf_new(AG_NEWLOG_MAX_LINE + 1)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	*out = nl;
	nl = NULL;
	r = 0;
out:
	ag_newlog_free(nl);
	return r;
}

static void
close_stream(struct ag_newlog *nl)
{
	if (nl->open)
		deflateEnd(&nl->zs);
	nl->open = false;
	free(nl->comment);
	nl->comment = NULL;
	ev_buf_reset(nl->out);
	nl->unflushed = 0;
	memset(&nl->cur, 0, sizeof(nl->cur));
}

void
ag_newlog_free(struct ag_newlog *nl)
{
	if (nl == NULL)
		return;
	if (nl->out != NULL)
		close_stream(nl);
	free(nl->dev_id);
	free(nl->image);
	free(nl->eve_version);
	free(nl->source);
	free(nl->failed);
	ev_buf_free(nl->out);
	ev_buf_free(nl->line);
	free(nl);
}

void
ag_newlog_discard(struct ag_newlog *nl)
{
	if (nl == NULL)
		return;
	close_stream(nl);
	free(nl->failed);
	nl->failed = NULL;
}

static int
open_batch(struct ag_newlog *nl)
{
	struct ev_buf *h = NULL;
	size_t hlen;
	int r;

	if ((h = ev_buf_new(AG_NEWLOG_MAX_HEADER + 1)) == NULL)
		return EV_ERR_NOMEM;
	if ((r = ag_newlog_header_json(nl->dev_id, nl->image, nl->eve_version, h)) != 0 ||
	    (r = ev_buf_take(h, (uint8_t **)&nl->comment, &hlen)) != 0) {
		ev_buf_free(h);
		return r;
	}
	ev_buf_free(h);
	memset(&nl->zs, 0, sizeof(nl->zs));
	/* A gzip wrapper (+16) around a deflate stream with a 16 KiB window and
	 * memLevel 6: 96 KiB of zlib state instead of 256 KiB for the default
	 * 32 KiB / 8, held while a batch is open (idle memory, BENCHMARKS.md).
	 * Log lines repeat within a few lines, so the ratio barely moves. */
	if (deflateInit2(&nl->zs, Z_BEST_COMPRESSION, Z_DEFLATED, NEWLOG_WBITS + 16,
	                 NEWLOG_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(nl->comment);
		nl->comment = NULL;
		return EV_ERR_ZLIB;
	}
	nl->open = true;
	memset(&nl->hdr, 0, sizeof(nl->hdr));
	nl->hdr.time = (uLong)time(NULL);
	nl->hdr.os = 255; /* "unknown", as Go's gzip writer */
	nl->hdr.comment = (Bytef *)nl->comment;
	if (deflateSetHeader(&nl->zs, &nl->hdr) != Z_OK) {
		close_stream(nl);
		return EV_ERR_ZLIB;
	}
	nl->hdr_len = 10 + hlen + 1;
	nl->unflushed = 0;
	memset(&nl->cur, 0, sizeof(nl->cur));
	return 0;
}

static int
zrun(struct ag_newlog *nl, const void *in, size_t len, int flush)
{
	uint8_t chunk[ZCHUNK];
	int zr, r;

	nl->zs.next_in = (Bytef *)(uintptr_t)in;
	nl->zs.avail_in = (uInt)len;
	for (;;) {
		nl->zs.next_out = chunk;
		nl->zs.avail_out = sizeof(chunk);
		zr = deflate(&nl->zs, flush);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return EV_ERR_ZLIB;
		if ((r = ev_buf_put(nl->out, chunk, sizeof(chunk) - nl->zs.avail_out)) != 0)
			return r == EV_ERR_BUF_FULL ? EV_ERR_ZLIB : r;
		if (flush == Z_FINISH ? zr == Z_STREAM_END
		                      : nl->zs.avail_out != 0 && nl->zs.avail_in == 0)
			break;
		if (zr == Z_BUF_ERROR && nl->zs.avail_out != 0)
			return EV_ERR_ZLIB; /* no progress possible */
	}
	return 0;
}

static int
emit_failed(struct ag_newlog *nl)
{
	struct ag_newlog_batch b;
	int r;

	if (nl->failed == NULL)
		return 0;
	b = nl->failed_meta;
	b.data = nl->failed;
	if ((r = nl->emit(nl->emit_arg, &b)) != 0) {
		nl->st.emit_failures++;
		return r;
	}
	free(nl->failed);
	nl->failed = NULL;
	return 0;
}

static int
close_batch(struct ag_newlog *nl)
{
	struct ag_newlog_batch b;
	int r;

	if (!nl->open)
		return 0;
	if (nl->cur.nentries == 0) {
		close_stream(nl);
		return 0;
	}
	if ((r = zrun(nl, NULL, 0, Z_FINISH)) != 0) {
		close_stream(nl);
		return r;
	}
	b = nl->cur;
	b.data = ev_buf_ptr(nl->out);
	b.len = ev_buf_len(nl->out);
	nl->st.batches++;
	nl->st.bytes_out += b.len;
	if (b.len > nl->st.max_batch)
		nl->st.max_batch = b.len;
	if ((r = nl->emit(nl->emit_arg, &b)) != 0) {
		nl->st.emit_failures++;
		if (nl->failed != NULL) {
			nl->st.lost_batches++;
			free(nl->failed);
			nl->failed = NULL;
		}
		nl->failed_meta = b;
		nl->failed_meta.data = NULL;
		if (ev_buf_take(nl->out, &nl->failed, &b.len) != 0)
			nl->st.lost_batches++;
	}
	close_stream(nl);
	return r;
}

static int
add_line(struct ag_newlog *nl, const uint8_t *line, size_t len, uint64_t msgid)
{
	size_t worst;
	int r;

	if (!nl->open && (r = open_batch(nl)) != 0)
		return r;
	worst = ev_buf_len(nl->out) + (nl->cur.nentries == 0 ? nl->hdr_len : 0) +
	        zbound(nl->unflushed + len) + FINISH_OVERHEAD;
	if (worst > nl->hard && nl->unflushed > 0) {
		/* Make the count exact before deciding. */
		if ((r = zrun(nl, NULL, 0, Z_SYNC_FLUSH)) != 0)
			goto fail;
		nl->unflushed = 0;
		worst = ev_buf_len(nl->out) + zbound(len) + FINISH_OVERHEAD;
	}
	if (worst > nl->hard) {
		if (nl->cur.nentries == 0)
			return EV_ERR_TOO_BIG; /* excluded by the caps in ag_newlog_new */
		/* An emit failure keeps the batch for later; carry on. */
		(void)close_batch(nl);
		if ((r = open_batch(nl)) != 0)
			return r;
	}
	if ((r = zrun(nl, line, len, Z_NO_FLUSH)) != 0)
		goto fail;
	nl->unflushed += len;
	if (nl->cur.nentries == 0)
		nl->cur.first_msgid = msgid;
	nl->cur.last_msgid = msgid;
	nl->cur.nentries++;
	nl->st.entries++;
	nl->st.bytes_in += len;
	if (ev_buf_len(nl->out) >= nl->soft)
		(void)close_batch(nl); /* the line is in; a failed emit is retried */
	return 0;
fail:
	close_stream(nl);
	return r;
}

int
ag_newlog_add(struct ag_newlog *nl, const struct ag_log_entry *e)
{
	uint64_t msgid;
	bool cut;
	int r;

	if (nl == NULL || e == NULL)
		return EV_ERR_INVALID_ARG;
	(void)emit_failed(nl); /* stays queued if it fails again */
	msgid = *nl->msgid;
	ev_buf_reset(nl->line);
	if ((r = entry_json(e, msgid, nl->line, &cut)) != 0)
		return r;
	if (cut)
		nl->st.truncated++;
	if ((r = ev_buf_put_u8(nl->line, '\n')) != 0)
		return r;
	(*nl->msgid)++;
	return add_line(nl, ev_buf_ptr(nl->line), ev_buf_len(nl->line), msgid);
}

int
ag_newlog_flush(struct ag_newlog *nl)
{
	int r;

	if (nl == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = emit_failed(nl)) != 0)
		return r;
	return close_batch(nl);
}

size_t
ag_newlog_pending(const struct ag_newlog *nl)
{
	return nl != NULL && nl->open ? nl->cur.nentries : 0;
}

uint64_t
ag_newlog_next_msgid(const struct ag_newlog *nl)
{
	return nl != NULL ? *nl->msgid : 0;
}

void
ag_newlog_get_stats(const struct ag_newlog *nl, struct ag_newlog_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (nl != NULL)
		*st = nl->st;
}

int
ag_newlog_log(struct ag_newlog *nl, enum ev_log_level level, const struct ev_log_site *site,
              const char *msg)
{
	struct ev_buf *content = NULL;
	struct ag_logrus lr;
	struct ag_log_entry e;
	struct timespec ts;
	char iid[24], fileline[AG_NEWLOG_MAX_FIELD];
	int r;

	if (nl == NULL || msg == NULL)
		return EV_ERR_INVALID_ARG;
	if (level > nl->min_level)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&lr, 0, sizeof(lr));
	memset(&e, 0, sizeof(e));
	fileline[0] = '\0';
	if (site != NULL && site->file != NULL)
		(void)snprintf(fileline, sizeof(fileline), "%s:%d", site->file, site->line);
	lr.level = ag_newlog_severity(level);
	lr.msg = msg;
	lr.source = nl->source;
	lr.file = fileline[0] != '\0' ? fileline : NULL;
	lr.func = site != NULL ? site->func : NULL;
	lr.pid = (int64_t)getpid();
	lr.t_sec = (int64_t)ts.tv_sec;
	lr.t_nsec = (int32_t)ts.tv_nsec;
	if ((content = ev_buf_new(AG_NEWLOG_MAX_LINE)) == NULL)
		return EV_ERR_NOMEM;
	if ((r = ag_newlog_logrus_json(&lr, content)) != 0)
		goto out;
	(void)snprintf(iid, sizeof(iid), "%ld", (long)getpid());
	e.severity = lr.level;
	e.source = nl->source;
	e.iid = iid;
	e.content = ev_buf_str(content);
	e.ts_sec = lr.t_sec;
	e.ts_nanos = lr.t_nsec;
	e.filename = lr.file;
	e.function = lr.func;
	r = ag_newlog_add(nl, &e);
out:
	ev_buf_free(content);
	return r;
}

void
ag_newlog_sink(enum ev_log_level level, const struct ev_log_site *site, const char *msg, void *arg)
{
	struct ag_newlog *nl = arg;

	if (nl == NULL || nl->in_sink)
		return;
	nl->in_sink = true;
	if (ag_newlog_log(nl, level, site, msg) != 0)
		nl->st.sink_failures++;
	nl->in_sink = false;
}
