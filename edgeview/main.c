/*
 * main.c - edgeviewd, the device side of Edge-View.
 *
 *	edgeviewd local QUERY ...           run a query here and print it
 *	edgeviewd --token JWT [--inst N]    serve one session (direct mode)
 *	edgeviewd [--root DIR]              supervised mode: follow edge-view-config
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "ev_log.h"
#include "local.h"
#include "replay.h"
#include "supervisor.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: edgeviewd --token JWT [--inst N] [--cafile FILE] [--root DIR]\n"
	        "                 [--proxy HOST:PORT] [--audit-file PATH] [--log-level L]\n"
	        "                 [--strict] [--replay-window SECONDS]\n"
	        "       edgeviewd local [--root DIR] QUERY [-time T] [-line N] [-json] "
	        "[-type app|dev]\n"
	        "       edgeviewd --help\n\n"
	        "The token may also come from EDGEVIEW_TOKEN.  --root prefixes every EVE path\n"
	        "(/run/edgeview, /persist, /config, /proc, /sys).  --cafile is the only trust\n"
	        "for the dispatcher when given; otherwise the controller's EvDepCerts, EVE's\n"
	        "/persist/certs/wss-server-cacert.pem, then the system store.\n\n"
	        "Commands from our edgeview client carry replay protection (device, token,\n"
	        "connection, sequence number, time); --replay-window bounds the clock skew\n"
	        "accepted (default 120 s).  Commands without it come from EVE's Go client and\n"
	        "are accepted and logged, unless --strict (or EDGEVIEW_STRICT=1) refuses them.\n"
	        "See docs/SECURITY.md.\n");
}

int
main(int argc, char **argv)
{
	ev_log_set_ident("edgeviewd");
	if (argc >= 2 && strcmp(argv[1], "local") == 0)
		return local_main(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	struct device_opts o = {0};
	char *token_copy = NULL;
	int ret;
	o.root = "/";
	o.token = getenv("EDGEVIEW_TOKEN");
	o.strict = getenv("EDGEVIEW_STRICT") != NULL && strcmp(getenv("EDGEVIEW_STRICT"), "1") == 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (strcmp(a, "--token") == 0 && more) {
			/* The token holds the session's HMAC key: keep a copy and
			 * blank the argument, so ps (even a remote ps/ query)
			 * does not show it.  EDGEVIEW_TOKEN avoids argv at all. */
			free(token_copy);
			if ((token_copy = strdup(argv[++i])) == NULL)
				return 1;
			memset(argv[i], 'x', strlen(argv[i]));
			o.token = token_copy;
		} else if (strcmp(a, "--inst") == 0 && more) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || v > 5) {
				fprintf(stderr, "edgeviewd: --inst takes 1 to 5\n");
				ret = 2;
				goto out;
			}
			o.inst = (unsigned)v;
		} else if (strcmp(a, "--cafile") == 0 && more)
			o.cafile = argv[++i];
		else if (strcmp(a, "--root") == 0 && more)
			o.root = argv[++i];
		else if (strcmp(a, "--proxy") == 0 && more)
			o.proxy = argv[++i];
		else if (strcmp(a, "--audit-file") == 0 && more)
			o.audit_file = argv[++i];
		else if (strcmp(a, "--insecure") == 0)
			o.insecure = true;
		else if (strcmp(a, "--strict") == 0)
			o.strict = true;
		else if (strcmp(a, "--replay-window") == 0 && more) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || v == 0 || v > REPLAY_WINDOW_MAX) {
				fprintf(stderr,
				        "edgeviewd: --replay-window takes 1 to %u seconds\n",
				        REPLAY_WINDOW_MAX);
				ret = 2;
				goto out;
			}
			o.replay_window = (unsigned)v;
		} else if (strcmp(a, "--status-debounce") == 0 && more) {
			char *end;
			o.status_debounce = strtod(argv[++i], &end);
			if (*end != '\0' || o.status_debounce <= 0 || o.status_debounce > 3600) {
				fprintf(stderr, "edgeviewd: --status-debounce takes seconds\n");
				ret = 2;
				goto out;
			}
		} else if (strcmp(a, "--log-level") == 0 && more) {
			enum ev_log_level lvl;
			if (ev_log_level_parse(argv[++i], &lvl) != 0) {
				fprintf(stderr, "edgeviewd: unknown log level\n");
				ret = 2;
				goto out;
			}
			ev_log_set_level(lvl);
		} else {
			fprintf(stderr, "edgeviewd: unexpected argument '%s'\n", a);
			usage(stderr);
			ret = 2;
			goto out;
		}
	}
	/* No token: supervised mode, driven by ROOT/run/edgeview/edge-view-config. */
	ret = o.token == NULL ? supervisor_run(&o) : device_run(&o);
out:
	free(token_copy);
	return ret;
}
