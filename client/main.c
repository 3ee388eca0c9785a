/*
 * main.c - edgeview, the support engineer's CLI.
 *
 *	edgeview -token JWT [-inst N] [-user NAME] [QUERY] [-time T] [-json]
 *	         [-type app|dev] [-line N]
 *	edgeview -h [QUERY]
 *	edgeview token mint|install ...
 *
 * The query syntax is EVE's (edgeview-protocol.md 7.3).  Differences: the
 * options may come in any order, only whole words are options (EVE takes
 * any word that merely ends in "-h" as -h), the token may come from
 * EDGEVIEW_TOKEN or a file (-token-file, EDGEVIEW_TOKEN_FILE) so it stays
 * out of shell history, and without a query the session is interactive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_limits.h"
#include "ev_mem.h"
#include "signer.h"

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
	struct client_parse *p = NULL;
	char *token_owned = NULL;
	int ret;

	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return client_token_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "key") == 0)
		return client_key_main(argc - 1, argv + 1);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CLIENT_ERR;
	o.token = getenv("EDGEVIEW_TOKEN");
	o.cafile = getenv("EDGEVIEW_CAFILE");
	o.key_path = getenv("EDGEVIEW_KEY");
	o.colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	p->token_file = getenv("EDGEVIEW_TOKEN_FILE");
	if ((ret = client_parse_words(&o, argc - 1, argv + 1, p)) != CLIENT_OK)
		goto out;
	if (p->help) {
		/* Needs no token: -h, -h ps, ps -h. */
		ret = client_help(stdout, o.query);
		goto out;
	}
	if (o.token == NULL && p->token_file != NULL) {
		ret = CLIENT_USAGE;
		if ((token_owned = read_token_file(p->token_file)) == NULL)
			goto out;
		o.token = token_owned;
	}
	if (o.token == NULL) {
		fprintf(stderr, "edgeview: -token option is needed\n");
		client_usage(stderr);
		ret = CLIENT_USAGE;
		goto out;
	}
	ret = client_run(&o);
out:
	ev_strfreezero(token_owned);
	free(p);
	return ret;
}
