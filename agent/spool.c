/* spool.c - the on-disk report queue (see spool.h for the rules). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_log.h"
#include "ev_mem.h"

#define SPOOL_TMP_PREFIX ".tmp-"
#define SPOOL_LOCK_NAME  ".lock"
/* "<16>.<8>.<1>.<kind>.<key>" and its NUL */
#define SPOOL_NAME_MAX (16 + 1 + 8 + 1 + 1 + 1 + AG_SPOOL_KIND_MAX + 1 + AG_SPOOL_KEY_MAX + 1)

struct spool_ent {
	uint64_t seq;
	uint32_t gen;
	unsigned flags;
	char kind[AG_SPOOL_KIND_MAX + 1];
	char key[AG_SPOOL_KEY_MAX + 1];
	uint64_t size;
	uint8_t digest[EV_SHA256_LEN]; /* of the payload, to spot an unchanged re-put */
	bool have_digest;
	unsigned attempts;
	double retry_at;
};

struct ag_spool {
	char dir[PATH_MAX];
	int lock_fd;
	uint64_t cap_bytes;
	uint32_t max_entries;
	struct spool_ent *ents; /* ordered by seq: the queue */
	size_t n, alloc;
	uint64_t bytes;
	uint64_t next_seq;
	struct ag_spool_stats st;
};

static bool
kind_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= AG_SPOOL_KIND_MAX)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return true;
}

static bool
key_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= AG_SPOOL_KEY_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

static int
ent_name(const struct spool_ent *e, char *out, size_t cap)
{
	int n;

	if (e->key[0] != '\0')
		n = snprintf(out, cap, "%016" PRIx64 ".%08" PRIx32 ".%x.%s.%s", e->seq, e->gen,
		             e->flags & 0xfu, e->kind, e->key);
	else
		n = snprintf(out, cap, "%016" PRIx64 ".%08" PRIx32 ".%x.%s", e->seq, e->gen,
		             e->flags & 0xfu, e->kind);
	return n > 0 && (size_t)n < cap ? 0 : EV_ERR_TOO_BIG;
}

static int
ent_path(const struct ag_spool *sp, const struct spool_ent *e, char *out, size_t cap)
{
	char name[SPOOL_NAME_MAX];
	int r;

	if ((r = ent_name(e, name, sizeof(name))) != 0)
		return r;
	return ev_path_join(out, cap, sp->dir, name);
}

static bool
parse_hex(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* Only names ent_name() writes are ours; anything else is not touched. */
static bool
parse_name(const char *name, struct spool_ent *e)
{
	const char *kind, *dot;
	uint64_t v;
	size_t klen;

	memset(e, 0, sizeof(*e));
	if (strlen(name) < 16 + 1 + 8 + 1 + 1 + 1 + 1 || name[16] != '.' || name[25] != '.' ||
	    name[27] != '.')
		return false;
	if (!parse_hex(name, 16, &e->seq) || !parse_hex(name + 17, 8, &v))
		return false;
	e->gen = (uint32_t)v;
	if (!parse_hex(name + 26, 1, &v) || (v & ~(uint64_t)AG_SPOOL_DISCARD_ON_FAILURE) != 0)
		return false;
	e->flags = (unsigned)v;
	kind = name + 28;
	dot = strchr(kind, '.');
	klen = dot != NULL ? (size_t)(dot - kind) : strlen(kind);
	if (klen == 0 || klen > AG_SPOOL_KIND_MAX)
		return false;
	memcpy(e->kind, kind, klen);
	e->kind[klen] = '\0';
	if (!kind_ok(e->kind))
		return false;
	if (dot != NULL) {
		if (dot[1] == '\0' || strlen(dot + 1) > AG_SPOOL_KEY_MAX || !key_ok(dot + 1))
			return false;
		memcpy(e->key, dot + 1, strlen(dot + 1) + 1);
	}
	return true;
}

static int
fsync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return EV_ERR_SYSTEM;
	if (fsync(fd) != 0 && errno != EINVAL)
		r = EV_ERR_IO;
	close(fd);
	return r;
}

/* Remove entry i from the index and its file from the directory. */
static int
remove_at(struct ag_spool *sp, size_t i, bool sync)
{
	char path[PATH_MAX];
	int r;

	r = ent_path(sp, &sp->ents[i], path, sizeof(path));
	if (r == 0 && unlink(path) != 0 && errno != ENOENT)
		r = EV_ERR_SYSTEM;
	sp->bytes -= sp->ents[i].size;
	memmove(&sp->ents[i], &sp->ents[i + 1], (sp->n - i - 1) * sizeof(sp->ents[0]));
	sp->n--;
	if (r == 0 && sync)
		r = fsync_dir(sp->dir);
	return r;
}

static int
cmp_ent(const void *a, const void *b)
{
	const struct spool_ent *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->gen != y->gen)
		return x->gen < y->gen ? -1 : 1;
	return 0;
}

static int
grow(struct ag_spool *sp)
{
	struct spool_ent *n;
	size_t na;

	if (sp->n < sp->alloc)
		return 0;
	na = sp->alloc == 0 ? 64 : sp->alloc * 2;
	if (na > AG_SPOOL_MAX_ENTRIES + 1)
		na = AG_SPOOL_MAX_ENTRIES + 1;
	if (na <= sp->n)
		return EV_ERR_TOO_BIG;
	if ((n = realloc(sp->ents, na * sizeof(*n))) == NULL)
		return EV_ERR_NOMEM;
	sp->ents = n;
	sp->alloc = na;
	return 0;
}

static ssize_t
find_key(const struct ag_spool *sp, const char *kind, const char *key)
{
	size_t i;

	if (key[0] == '\0')
		return -1;
	for (i = 0; i < sp->n; i++)
		if (strcmp(sp->ents[i].key, key) == 0 && strcmp(sp->ents[i].kind, kind) == 0)
			return (ssize_t)i;
	return -1;
}

/*
 * Drop the oldest entries until `need` more bytes and one more entry fit.
 * Unkeyed entries go first; `keep` (an entry being replaced, or -1) is never
 * dropped.  Returns the new index of `keep`.
 */
static ssize_t
make_room(struct ag_spool *sp, uint64_t need, bool new_entry, ssize_t keep)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		size_t i = 0;

		while (i < sp->n && (sp->bytes + need > sp->cap_bytes ||
		                     (new_entry && sp->n + 1 > sp->max_entries))) {
			struct spool_ent *e = &sp->ents[i];
			int r;

			if ((ssize_t)i == keep || (pass == 0 && e->key[0] != '\0')) {
				i++;
				continue;
			}
			sp->st.dropped_cap++;
			sp->st.dropped_cap_bytes += e->size;
			ev_log_warn("report spool over its cap: dropping %s entry %" PRIu64
			            " (%" PRIu64 " bytes; %" PRIu64 " dropped so far)",
			            e->kind, e->seq, e->size, sp->st.dropped_cap);
			if ((r = remove_at(sp, i, false)) != 0)
				ev_log_warn_r(r, "report spool: remove dropped entry");
			if (keep > (ssize_t)i)
				keep--;
		}
	}
	return keep;
}

static int
load(struct ag_spool *sp)
{
	DIR *d = NULL;
	struct dirent *de;
	size_t i;
	int r;

	if ((d = opendir(sp->dir)) == NULL)
		return EV_ERR_SYSTEM;
	while ((de = readdir(d)) != NULL) {
		struct spool_ent e;
		char path[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.') {
			if (strncmp(de->d_name, SPOOL_TMP_PREFIX, strlen(SPOOL_TMP_PREFIX)) == 0 &&
			    ev_path_join(path, sizeof(path), sp->dir, de->d_name) == 0)
				(void)unlink(path); /* a put that did not finish */
			continue;
		}
		if (!parse_name(de->d_name, &e)) {
			ev_log_warn("report spool: ignoring %s/%s (not a spool entry)", sp->dir,
			            de->d_name);
			continue;
		}
		if ((r = ev_path_join(path, sizeof(path), sp->dir, de->d_name)) != 0)
			goto out;
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
		    (uint64_t)st.st_size > AG_SPOOL_MAX_ITEM) {
			ev_log_warn("report spool: ignoring %s (not a regular file or too big)",
			            path);
			continue;
		}
		e.size = (uint64_t)st.st_size;
		if (sp->n >= AG_SPOOL_MAX_ENTRIES) {
			ev_log_warn("report spool: more than %u entries, ignoring %s",
			            AG_SPOOL_MAX_ENTRIES, path);
			continue;
		}
		if ((r = grow(sp)) != 0)
			goto out;
		sp->ents[sp->n++] = e;
	}
	if (sp->n > 1)
		qsort(sp->ents, sp->n, sizeof(sp->ents[0]), cmp_ent);
	/* A crash between writing a replacement and removing what it replaced
	 * leaves both: the newest of a (kind, key) or of a seq wins. */
	for (i = 0; i < sp->n;) {
		size_t j;
		bool older = false;

		for (j = i + 1; j < sp->n && !older; j++)
			older = sp->ents[j].seq == sp->ents[i].seq ||
			        (sp->ents[i].key[0] != '\0' &&
			         strcmp(sp->ents[j].key, sp->ents[i].key) == 0 &&
			         strcmp(sp->ents[j].kind, sp->ents[i].kind) == 0);
		if (older) {
			if ((r = remove_at(sp, i, false)) != 0)
				ev_log_warn_r(r, "report spool: remove superseded entry");
			continue;
		}
		i++;
	}
	sp->bytes = 0;
	for (i = 0; i < sp->n; i++)
		sp->bytes += sp->ents[i].size;
	sp->next_seq = sp->n > 0 ? sp->ents[sp->n - 1].seq + 1 : 1;
	/* The caps may have been lowered since the entries were written. */
	(void)make_room(sp, 0, false, -1);
	r = 0;
out:
	closedir(d);
	return r;
}

int
ag_spool_open(const char *dir, const struct ag_spool_opts *opts, struct ag_spool **out)
{
	struct ag_spool *sp = NULL;
	char lock[PATH_MAX];
	int r;

	if (out != NULL)
		*out = NULL;
	if (dir == NULL || dir[0] == '\0' || out == NULL)
		return EV_ERR_INVALID_ARG;
	if (opts != NULL && opts->max_entries > AG_SPOOL_MAX_ENTRIES)
		return EV_ERR_INVALID_ARG;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return EV_ERR_NOMEM;
	sp->lock_fd = -1;
	sp->cap_bytes =
	        opts != NULL && opts->cap_bytes != 0 ? opts->cap_bytes : AG_SPOOL_DEFAULT_CAP;
	sp->max_entries = opts != NULL && opts->max_entries != 0 ? opts->max_entries
	                                                         : AG_SPOOL_DEFAULT_MAX_ENTRIES;
	if (strlen(dir) >= sizeof(sp->dir)) {
		r = EV_ERR_TOO_BIG;
		goto out;
	}
	memcpy(sp->dir, dir, strlen(dir) + 1);
	if ((r = ev_dir_ensure(sp->dir, 0700)) != 0)
		goto out;
	if ((r = ev_path_join(lock, sizeof(lock), sp->dir, SPOOL_LOCK_NAME)) != 0)
		goto out;
	if ((sp->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		r = errno == EWOULDBLOCK ? EV_ERR_SPOOL_LOCKED : EV_ERR_SYSTEM;
		goto out;
	}
	if ((r = load(sp)) != 0)
		goto out;
	*out = sp;
	sp = NULL;
	r = 0;
out:
	ag_spool_close(sp);
	return r;
}

void
ag_spool_close(struct ag_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->lock_fd != -1)
		close(sp->lock_fd);
	free(sp->ents);
	free(sp);
}

int
ag_spool_put(struct ag_spool *sp, const char *kind, const char *key, unsigned flags,
             const uint8_t *data, size_t len)
{
	struct spool_ent e, *old = NULL;
	char path[PATH_MAX], oldpath[PATH_MAX];
	ssize_t at;
	int r;

	if (sp == NULL || !kind_ok(kind) || (data == NULL && len > 0) ||
	    (flags & ~AG_SPOOL_DISCARD_ON_FAILURE) != 0)
		return EV_ERR_INVALID_ARG;
	if (key == NULL)
		key = "";
	if (!key_ok(key))
		return EV_ERR_INVALID_ARG;
	if (len > AG_SPOOL_MAX_ITEM || len > sp->cap_bytes)
		return EV_ERR_TOO_BIG;

	memset(&e, 0, sizeof(e));
	memcpy(e.kind, kind, strlen(kind) + 1);
	memcpy(e.key, key, strlen(key) + 1);
	e.flags = flags;
	e.size = len;
	if ((r = ev_sha256(data, len, e.digest)) != 0)
		return r;
	e.have_digest = true;

	at = find_key(sp, kind, key);
	if (at >= 0) {
		old = &sp->ents[at];
		if (old->have_digest && old->flags == flags && old->size == len &&
		    memcmp(old->digest, e.digest, sizeof(e.digest)) == 0)
			return 0; /* the same report again: keep its retry state */
		at = make_room(sp, len > old->size ? len - old->size : 0, false, at);
		old = &sp->ents[at];
		e.seq = old->seq;
		e.gen = old->gen + 1;
	} else {
		(void)make_room(sp, len, true, -1);
		if (sp->n >= sp->max_entries)
			return EV_ERR_TOO_BIG; /* cannot happen unless max_entries is 0 */
		if ((r = grow(sp)) != 0)
			return r;
		e.seq = sp->next_seq;
	}
	if ((r = ent_path(sp, &e, path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_write_atomic(path, data, len, 0600, SPOOL_TMP_PREFIX)) != 0)
		return r;
	if (old != NULL) {
		/* The new generation is on disk: a crash from here on leaves both,
		 * and load() keeps the newer. */
		if (ent_path(sp, old, oldpath, sizeof(oldpath)) == 0 && unlink(oldpath) != 0 &&
		    errno != ENOENT)
			ev_log_warn("report spool: cannot remove %s: %s", oldpath, strerror(errno));
		(void)fsync_dir(sp->dir);
		sp->bytes -= old->size;
		*old = e;
		sp->bytes += e.size;
		sp->st.replaced++;
		return 0;
	}
	sp->ents[sp->n++] = e;
	sp->bytes += e.size;
	sp->next_seq++;
	return 0;
}

int
ag_spool_peek(struct ag_spool *sp, const char *kind, double now, struct ag_spool_item *out)
{
	size_t i;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (sp == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	for (i = 0; i < sp->n;) {
		struct spool_ent *e = &sp->ents[i];
		char path[PATH_MAX], *buf = NULL;
		size_t len = 0;

		if ((kind != NULL && strcmp(e->kind, kind) != 0) ||
		    (e->attempts > 0 && e->retry_at > now)) {
			i++;
			continue;
		}
		if ((r = ent_path(sp, e, path, sizeof(path))) == 0)
			r = ev_file_read_capped(path, AG_SPOOL_MAX_ITEM, &buf, &len);
		if (r == EV_ERR_NOMEM)
			return r;
		if (r != 0 || len != e->size) {
			/* Someone else touched our directory: the entry is lost. */
			ev_log_warn_r(r, "report spool: %s entry %" PRIu64 " unreadable, dropped",
			              e->kind, e->seq);
			free(buf);
			(void)remove_at(sp, i, true);
			continue;
		}
		out->seq = e->seq;
		out->gen = e->gen;
		out->flags = e->flags;
		out->attempts = e->attempts;
		memcpy(out->kind, e->kind, sizeof(out->kind));
		memcpy(out->key, e->key, sizeof(out->key));
		out->data = (uint8_t *)buf;
		out->len = len;
		return 0;
	}
	return EV_ERR_SPOOL_EMPTY;
}

void
ag_spool_item_free(struct ag_spool_item *it)
{
	if (it == NULL)
		return;
	free(it->data);
	memset(it, 0, sizeof(*it));
}

enum ag_spool_outcome
ag_spool_classify(int s)
{
	switch (s) {
	case 200:
	case 201:
	case 204:
	case 304: return AG_SPOOL_SENT;
	case 401:
	case 403:
	case 407:
	case 408:
	case 429: return AG_SPOOL_RETRY;
	default: break;
	}
	if (s >= 500 && s < 600)
		return AG_SPOOL_RETRY;
	if (s >= 400 && s < 500)
		return AG_SPOOL_DROPPED;
	/* no answer, or an answer that is neither success nor refusal */
	return AG_SPOOL_STOP;
}

static double
retry_delay(unsigned attempts)
{
	double d = AG_SPOOL_RETRY_MIN_SECS;
	unsigned i;

	for (i = 1; i < attempts && d < AG_SPOOL_RETRY_MAX_SECS; i++)
		d *= 2;
	return d > AG_SPOOL_RETRY_MAX_SECS ? AG_SPOOL_RETRY_MAX_SECS : d;
}

int
ag_spool_result(struct ag_spool *sp, const struct ag_spool_item *it, int http_status, double now,
                enum ag_spool_outcome *outcome)
{
	enum ag_spool_outcome oc = ag_spool_classify(http_status);
	struct spool_ent *e = NULL;
	size_t i;
	int r = 0;

	if (sp == NULL || it == NULL)
		return EV_ERR_INVALID_ARG;
	if (oc != AG_SPOOL_SENT && (it->flags & AG_SPOOL_DISCARD_ON_FAILURE) != 0)
		oc = AG_SPOOL_DROPPED;
	if (outcome != NULL)
		*outcome = oc;
	for (i = 0; i < sp->n; i++) {
		if (sp->ents[i].seq == it->seq) {
			e = &sp->ents[i];
			break;
		}
	}
	switch (oc) {
	case AG_SPOOL_SENT: sp->st.sent++; break;
	case AG_SPOOL_DROPPED:
		if ((it->flags & AG_SPOOL_DISCARD_ON_FAILURE) != 0) {
			sp->st.discarded++;
		} else {
			sp->st.dropped_refused++;
			ev_log_err("report spool: controller refused %s entry %" PRIu64
			           " with %d, dropped",
			           it->kind, it->seq, http_status);
		}
		break;
	case AG_SPOOL_RETRY:
	case AG_SPOOL_STOP: break;
	}
	if (e == NULL || e->gen != it->gen)
		return 0; /* gone, or replaced by content the controller has not seen */
	if (oc == AG_SPOOL_SENT || oc == AG_SPOOL_DROPPED) {
		r = remove_at(sp, i, true);
	} else if (oc == AG_SPOOL_RETRY) {
		e->attempts++;
		e->retry_at = now + retry_delay(e->attempts);
	}
	return r;
}

void
ag_spool_get_stats(const struct ag_spool *sp, struct ag_spool_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (sp == NULL)
		return;
	*st = sp->st;
	st->entries = sp->n;
	st->bytes = sp->bytes;
	st->cap_bytes = sp->cap_bytes;
	st->max_entries = sp->max_entries;
}

size_t
ag_spool_count(const struct ag_spool *sp, const char *kind)
{
	size_t i, n = 0;

	if (sp == NULL)
		return 0;
	for (i = 0; i < sp->n; i++)
		if (kind == NULL || strcmp(sp->ents[i].kind, kind) == 0)
			n++;
	return n;
}
