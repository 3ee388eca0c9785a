/*
 * main.c - edgeview, the support engineer's CLI.
 *
 *	edgeview -token JWT [-inst N] [-user NAME] QUERY [-time T] [-json]
 *	         [-type app|dev] [-line N]
 *	edgeview token mint|install ...
 *
 * The query syntax is EVE's (edgeview-protocol.md 7.3).  Differences: the
 * options may come in any order, only whole words are options (EVE takes
 * any word that merely ends in "-h" as -h), and the token may come from
 * EDGEVIEW_TOKEN or a file (-token-file, EDGEVIEW_TOKEN_FILE) so it stays
 * out of shell history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_query.h"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: edgeview -token JWT [-inst N] [-user NAME] [-cafile FILE] QUERY\n"
	        "                [-time RANGE] [-json] [-type app|dev] [-line N]\n"
	        "       edgeview token mint|install ...\n"
	        "\n"
	        "QUERY is one of EVE's Edge-View queries, e.g. if/lo, route, arp, socket,\n"
	        "nslookup/NAME, ping/HOST, trace/HOST, tcpdump/IF/FILTER, ps/NAME, top,\n"
	        "cat//PATH, ls//PATH, du//PATH, dmesg, pub/AGENT[/TOPIC], log/PATTERN;\n"
	        "several network or system items can be joined with commas.\n"
	        "\n"
	        "  -token JWT      session token (or EDGEVIEW_TOKEN, -token-file FILE,\n"
	        "                  EDGEVIEW_TOKEN_FILE)\n"
	        "  -inst N         device instance, for multi-instance tokens\n"
	        "  -user NAME      who you are, for the device's audit log\n"
	        "  -cafile FILE    trust this CA for the dispatcher (or EDGEVIEW_CAFILE)\n"
	        "  -insecure       do not check the dispatcher's certificate (testing only)\n"
	        "  -time RANGE     log/: hours ago \"0-0.5\" or RFC3339 range; tcpdump: seconds\n"
	        "  -line N         lines of context (log/), head/tail (cat), lines (top, dmesg)\n"
	        "  -json           log/ output as JSON;  -type app|dev  log/ filter\n"
	        "\n"
	        "exit status: 0 ok, 2 usage or token, 3 dispatcher unreachable, 4 no device "
	        "online,\n"
	        "5 refused by the device's policy, 6 verification failed, 130 interrupted\n");
}

static char *
read_token_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = ev_file_read_capped(path, EV_MAX_JWT + 2, &text, &len)) != 0) {
		fprintf(stderr, "edgeview: token file %s: %s\n", path, ev_strerror(r));
		return NULL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}

int
main(int argc, char **argv)
{
	struct client_opts o = {0};
	char *token_owned = NULL;
	const char *token_file = getenv("EDGEVIEW_TOKEN_FILE");
	int ret;

	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return client_token_main(argc - 1, argv + 1);
	o.token = getenv("EDGEVIEW_TOKEN");
	o.cafile = getenv("EDGEVIEW_CAFILE");
	o.colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		/* Go's flag package takes -x and --x alike. */
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-token") == 0 && more) {
			o.token = argv[++i];
		} else if (strcmp(a, "-token-file") == 0 && more) {
			token_file = argv[++i];
		} else if (strcmp(a, "-inst") == 0 && more) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || v > EV_MAX_INSTANCES) {
				fprintf(stderr, "edgeview: -inst takes 1 to %u\n",
				        EV_MAX_INSTANCES);
				return CLIENT_USAGE;
			}
			o.inst = (unsigned)v;
		} else if (strcmp(a, "-user") == 0 && more) {
			o.user = argv[++i];
		} else if (strcmp(a, "-cafile") == 0 && more) {
			o.cafile = argv[++i];
		} else if (strcmp(a, "-insecure") == 0) {
			o.insecure = true;
		} else if (strcmp(a, "-time") == 0 && more) {
			o.timerange = argv[++i];
		} else if (strcmp(a, "-type") == 0 && more) {
			o.logtype = argv[++i];
		} else if (strcmp(a, "-line") == 0 && more) {
			/* Go's strconv.Atoi: anything unparsable is 0. */
			char *end;
			o.extraline = strtoll(argv[++i], &end, 10);
			if (*end != '\0')
				o.extraline = 0;
		} else if (strcmp(a, "-json") == 0) {
			o.is_json = true;
		} else if (strcmp(a, "-server") == 0 || strcmp(a, "-debug") == 0) {
			/* accepted and ignored, as by EVE's client */
		} else if (a[0] == '-' && argv[i][1] != '/') {
			fprintf(stderr, "edgeview: unknown option '%s' (see -h)\n", argv[i]);
			return CLIENT_USAGE;
		} else {
			o.query = argv[i]; /* the last word wins, as in Go */
		}
	}
	if (o.token == NULL && token_file != NULL) {
		if ((token_owned = read_token_file(token_file)) == NULL)
			return CLIENT_USAGE;
		o.token = token_owned;
	}
	if (o.token == NULL) {
		fprintf(stderr, "edgeview: -token option is needed\n");
		usage(stderr);
		return CLIENT_USAGE;
	}
	if (o.query == NULL) {
		fprintf(stderr, "edgeview: no query given (interactive mode is not here yet)\n");
		free(token_owned);
		return CLIENT_USAGE;
	}
	ret = client_run_query(&o);
	free(token_owned);
	return ret;
}
