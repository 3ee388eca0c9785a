/* sys_pub.c - the pubsub tree, walked without following symlinks. */
#include "sys_pub.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_jsonindent.h"
#include "ev_query.h"

static const char *const persist_agents[] = {"nim",       "tpmmgr",     "volumemgr", "zedagent",
                                             "zedclient", "zedmanager", "zedrouter", NULL};
static const char *const large_agents[] = {"zedagent", "zedmanager", NULL};

struct pub_walk {
	struct cmd_ctx *ctx;
	char *filebuf; /* SYS_PUB_MAX_FILE + 1 */
	struct ev_buf *pretty;
	char last[PATH_MAX];
	size_t files, since_flush;
	bool any_file; /* pubsub-large keeps its files without .json */
};

static bool
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		size_t i = 0;
		while (i < n && hay[i] != '\0' &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of dir's entries (no . and ..); *names malloc'd. */
static int
sorted_names(const char *dir, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	int r = 0;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? EV_ERR_NOT_FOUND : EV_ERR_IO;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (cnt == SYS_PUB_MAX_FILES)
			break;
		if (cnt == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = EV_ERR_NOMEM;
				goto out;
			}
			v = nv;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL) {
			r = EV_ERR_NOMEM;
			goto out;
		}
		cnt++;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	v = NULL;
out:
	if (v != NULL) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
	}
	closedir(d);
	return r;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
show_file(struct pub_walk *w, const char *path, const char *shown_dir, const char *name)
{
	struct cmd_ctx *ctx = w->ctx;
	size_t len = 0;
	ssize_t k;
	bool cut = false;
	int fd;

	if (strcmp(w->last, shown_dir) != 0) {
		cmd_colour_line(ctx, CMD_GREEN, "  %s", shown_dir);
		snprintf(w->last, sizeof(w->last), "%s", shown_dir);
	}
	cmd_printf(ctx, "   service: %s\n", name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		cmd_colour_line(ctx, CMD_RED, "open %s/%s: %s", shown_dir, name, strerror(errno));
		return;
	}
	while (len < SYS_PUB_MAX_FILE &&
	       (k = read(fd, w->filebuf + len, SYS_PUB_MAX_FILE - len)) > 0)
		len += (size_t)k;
	if (len == SYS_PUB_MAX_FILE) {
		char c;
		cut = read(fd, &c, 1) == 1;
	}
	close(fd);
	ev_buf_reset(w->pretty);
	if (cut || ev_json_indent(w->filebuf, len, w->pretty) != 0)
		fwrite(w->filebuf, 1, len, ctx->out);
	else
		fwrite(ev_buf_ptr(w->pretty), 1, ev_buf_len(w->pretty), ctx->out);
	cmd_printf(ctx, "\n");
	if (cut)
		cmd_colour_line(ctx, CMD_RED, "... file cut at %u bytes", SYS_PUB_MAX_FILE);
	w->since_flush += len;
	if (w->since_flush >= 5000) {
		fflush(ctx->out);
		w->since_flush = 0;
	}
}

/* Walk real dir (device path shown), depth-first in name order. */
static void
walk(struct pub_walk *w, const char *dir, const char *shown, int depth)
{
	char **names = NULL;
	size_t n = 0;

	if (sorted_names(dir, &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX], sp[PATH_MAX];
		struct stat st;
		if (w->ctx->stop != NULL && *w->ctx->stop)
			break;
		if (snprintf(p, sizeof(p), "%s/%s", dir, names[i]) >= (int)sizeof(p) ||
		    snprintf(sp, sizeof(sp), "%s/%s", shown, names[i]) >= (int)sizeof(sp) ||
		    lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < SYS_PUB_MAX_DEPTH)
				walk(w, p, sp, depth + 1);
		} else if (S_ISREG(st.st_mode) &&
		           (strstr(names[i], ".json") != NULL || w->any_file) &&
		           w->files < SYS_PUB_MAX_FILES) {
			w->files++;
			show_file(w, p, shown, names[i]);
		}
	}
	free_names(names, n);
}

static void
pub_root(struct pub_walk *w, const char *root, const char *agent, const char *filter)
{
	struct cmd_ctx *ctx = w->ctx;
	char shown[PATH_MAX], real[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	struct stat st;

	cmd_colour_line(ctx, CMD_BLUE, " pubsub in: %s", root);
	snprintf(shown, sizeof(shown), "%s%s", root, agent);
	if (cmd_path(ctx, shown, real, sizeof(real)) != 0)
		return;
	if (lstat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cmd_printf(ctx, "list file error: lstat %s: no such file or directory\n", shown);
		return;
	}
	w->last[0] = '\0';
	if (filter == NULL || filter[0] == '\0') {
		walk(w, real, shown, 0);
		return;
	}
	if (sorted_names(real, &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX], sp[PATH_MAX];
		if (!contains_ci(names[i], filter))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", real, names[i]) >= (int)sizeof(p) ||
		    snprintf(sp, sizeof(sp), "%s/%s", shown, names[i]) >= (int)sizeof(sp) ||
		    lstat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		walk(w, p, sp, 1);
	}
	free_names(names, n);
}

int
sys_pub(struct cmd_ctx *ctx, const char *arg)
{
	struct pub_walk w = {0};
	char agent[256], filter[256] = "";
	const char *s = arg != NULL ? arg : "";
	size_t an = strcspn(s, "/"), fn = 0;
	int r = 0;

	if (an == 0 || an >= sizeof(agent) || !ev_query_dirname_ok(s, an)) {
		cmd_printf(ctx, "pubsub options invalid\n");
		return EV_ERR_QUERY_CHARS;
	}
	memcpy(agent, s, an);
	agent[an] = '\0';
	if (s[an] == '/') {
		fn = strcspn(s + an + 1, "/");
		if (fn >= sizeof(filter) || (fn > 0 && !ev_query_dirname_ok(s + an + 1, fn))) {
			cmd_printf(ctx, "pubsub options invalid\n");
			return EV_ERR_QUERY_CHARS;
		}
		memcpy(filter, s + an + 1, fn);
		filter[fn] = '\0';
	}
	w.ctx = ctx;
	if ((w.filebuf = malloc(SYS_PUB_MAX_FILE + 1)) == NULL ||
	    (w.pretty = ev_buf_new(SYS_PUB_MAX_FILE * 4)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	pub_root(&w, "/run/", agent, filter);
	if (in_list(agent, persist_agents))
		pub_root(&w, "/persist/status/", agent, filter);
	if (in_list(agent, large_agents)) {
		w.any_file = true;
		pub_root(&w, "/persist/pubsub-large/", agent, filter);
	}
	fflush(ctx->out);
out:
	free(w.filebuf);
	ev_buf_free(w.pretty);
	return r;
}
