/* paths.c - EVE paths under --root, and engineer-given paths made safe. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ev_err.h"

/* Canonical prefixes EVE blocks for cat/cp/tar (commands spec 1.3). */
static const char *const blocked_dirs[] = {
        "/persist/clear",
        "/persist/vault",
        "/run/domainmgr/cloudinit",
        "/run/.kube/k3s",
};

int
cmd_path(const struct cmd_ctx *ctx, const char *path, char *out, size_t cap)
{
	size_t rl = strlen(ctx->root);
	int n;

	/* "/" + "/proc" is "/proc", not "//proc". */
	while (rl > 0 && ctx->root[rl - 1] == '/')
		rl--;
	n = snprintf(out, cap, "%.*s%s%s", (int)rl, ctx->root, path[0] == '/' ? "" : "/", path);
	if (n < 0 || (size_t)n >= cap)
		return EV_ERR_TOO_BIG;
	return 0;
}

static bool
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
cmd_user_path(const struct cmd_ctx *ctx, const char *path, char *out, size_t cap, char *shown,
              size_t shown_cap)
{
	char joined[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX];
	const char *rel;
	size_t rl;
	int r;

	if (path == NULL || path[0] == '\0')
		return EV_ERR_INVALID_ARG;
	if ((r = cmd_path(ctx, path, joined, sizeof(joined))) != 0)
		return r;
	if (realpath(ctx->root, real_root) == NULL)
		return EV_ERR_SYSTEM;
	/* realpath() resolves "..", "//" and every symlink, so the checks
	 * below see the file that would really be opened. */
	if (realpath(joined, real) == NULL)
		return errno == ENOENT ? EV_ERR_NOT_FOUND : EV_ERR_SYSTEM;
	rl = strlen(real_root);
	if (strcmp(real_root, "/") == 0)
		rel = real;
	else if (strncmp(real, real_root, rl) == 0 && (real[rl] == '/' || real[rl] == '\0'))
		rel = real[rl] == '\0' ? "/" : real + rl;
	else
		return EV_ERR_PATH_ESCAPE;
	for (size_t i = 0; i < sizeof(blocked_dirs) / sizeof(blocked_dirs[0]); i++)
		if (under(rel, blocked_dirs[i]))
			return EV_ERR_PATH_BLOCKED;
	if (ends_with(rel, ".key") || ends_with(rel, ".key.pem"))
		return EV_ERR_PATH_KEYFILE;
	if (strlen(real) >= cap || (shown != NULL && strlen(rel) >= shown_cap))
		return EV_ERR_TOO_BIG;
	memcpy(out, real, strlen(real) + 1);
	if (shown != NULL)
		memcpy(shown, rel, strlen(rel) + 1);
	return 0;
}
