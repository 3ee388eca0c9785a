/*
 * local.c - `edgeviewd local QUERY`: run a query on this host and print it,
 * with no dispatcher, token or policy.  For an operator at the console, and
 * for the tests, which run every command this way against fixture trees
 * and in network namespaces.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_cmd.h"
#include "ev_err.h"
#include "ev_query.h"
#include "local.h"
#include "query.h"

static void
local_usage(FILE *out)
{
	fprintf(out,
	        "usage: edgeviewd local [--root DIR] [--no-colour] QUERY [-time T] [-line N] "
	        "[-json] [-type app|dev]\n"
	        "Runs QUERY (e.g. if/lo, route, ps/edgeviewd, cat//etc/os-release, log/error)\n"
	        "on this host and prints the result as a remote engineer would see it.\n");
}

int
local_main(int argc, char **argv)
{
	struct ev_cmd c = {0};
	struct cmd_ctx ctx = {0};
	enum ev_query_field field;
	enum ev_query_transfer xfer;
	const char *query = NULL;
	int r, ret = 2;

	ctx.root = "/";
	ctx.out = stdout;
	ctx.colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	ctx.timerange = "";
	ctx.logtype = "";
	ctx.now = time(NULL);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			local_usage(stdout);
			return 0;
		} else if (strcmp(a, "--root") == 0 && more) {
			ctx.root = argv[++i];
		} else if (strcmp(a, "--no-colour") == 0 || strcmp(a, "--no-color") == 0) {
			ctx.colour = false;
		} else if (strcmp(a, "-time") == 0 && more) {
			ctx.timerange = argv[++i];
		} else if (strcmp(a, "-line") == 0 && more) {
			char *end;
			ctx.extraline = strtoll(argv[++i], &end, 10);
			if (*end != '\0') {
				fprintf(stderr, "edgeviewd local: -line takes a whole number\n");
				return 2;
			}
		} else if (strcmp(a, "-json") == 0) {
			ctx.is_json = true;
		} else if (strcmp(a, "-type") == 0 && more) {
			ctx.logtype = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "edgeviewd local: unknown option '%s'\n", a);
			local_usage(stderr);
			return 2;
		} else {
			query = a;
		}
	}
	if (query == NULL) {
		local_usage(stderr);
		return 2;
	}
	if ((r = ev_query_classify(query, &c, &field, &xfer)) != 0) {
		fprintf(stderr, "edgeviewd local: %s: %s\n", query, ev_strerror(r));
		goto out;
	}
	if (xfer != EV_XFER_NONE) {
		fprintf(stderr,
		        "edgeviewd local: %s transfers files or ports; it needs a session\n",
		        query);
		goto out;
	}
	if (field == EV_Q_LOGOPT && ctx.timerange[0] == '\0')
		ctx.timerange = "0-0.5"; /* the client's default for log/ */
	r = query_run(&ctx, &c);
	fflush(stdout);
	ret = r == 0 ? 0 : 1;
out:
	ev_cmd_free(&c);
	return ret;
}
