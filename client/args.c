/*
 * args.c - the words of a query: the command line, and each line typed in
 * interactive mode, go through the same option parser.
 *
 * EVE's client takes any word that merely ends in "-h" as -h and lets the
 * last non-option word be the query; here only whole words are options and,
 * in interactive mode, the non-option words of a line are joined with
 * spaces, so "tcpdump/eth0/udp port 53 -time 10" needs no quotes.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ev_limits.h"

int
client_split_line(char *line, char **words, int max, int *n)
{
	char *r = line, *w = line;

	*n = 0;
	for (;;) {
		char quote = 0;

		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (*r == '\0')
			return CLIENT_OK;
		if (*n == max) {
			fprintf(stderr, "edgeview: too many words\n");
			return CLIENT_USAGE;
		}
		words[(*n)++] = w;
		/* A word ends at unquoted white space; quotes group and vanish. */
		for (; *r != '\0'; r++) {
			if (quote != 0 && *r == quote) {
				quote = 0;
			} else if (quote == 0 && (*r == '\'' || *r == '"')) {
				quote = *r;
			} else if (quote == 0 &&
			           (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')) {
				break;
			} else {
				*w++ = *r;
			}
		}
		if (quote != 0) {
			fprintf(stderr, "edgeview: unmatched %c\n", quote);
			return CLIENT_USAGE;
		}
		if (*r != '\0')
			r++;
		*w++ = '\0';
	}
}

static bool
opt_is(const char *a, const char *name)
{
	return strcmp(a, name) == 0;
}

int
client_parse_words(struct client_opts *o, int n, char **w, struct client_parse *p)
{
	size_t qlen = 0;

	p->help = false;
	for (int i = 0; i < n; i++) {
		const char *a = w[i];
		bool more = i + 1 < n;

		/* Go's flag package takes -x and --x alike. */
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (p->line && (opt_is(a, "-token") || opt_is(a, "-token-file") ||
		                opt_is(a, "-inst") || opt_is(a, "-user") || opt_is(a, "-cafile") ||
		                opt_is(a, "-insecure") || opt_is(a, "-key"))) {
			fprintf(stderr, "edgeview: %s is for the command line, not a query\n",
			        w[i]);
			return CLIENT_USAGE;
		}
		if (opt_is(a, "-h") || opt_is(a, "-help")) {
			p->help = true;
		} else if (opt_is(a, "-token") && more) {
			o->token = w[++i];
		} else if (opt_is(a, "-token-file") && more) {
			p->token_file = w[++i];
		} else if (opt_is(a, "-inst") && more) {
			char *end;
			unsigned long v = strtoul(w[++i], &end, 10);
			if (*end != '\0' || w[i][0] == '\0' || v > EV_MAX_INSTANCES) {
				fprintf(stderr, "edgeview: -inst takes 1 to %u\n",
				        EV_MAX_INSTANCES);
				return CLIENT_USAGE;
			}
			o->inst = (unsigned)v;
		} else if (opt_is(a, "-user") && more) {
			o->user = w[++i];
		} else if (opt_is(a, "-key") && more) {
			o->key_path = w[++i];
		} else if (opt_is(a, "-cafile") && more) {
			o->cafile = w[++i];
		} else if (opt_is(a, "-insecure")) {
			o->insecure = true;
		} else if (opt_is(a, "-time") && more) {
			o->timerange = w[++i];
		} else if (opt_is(a, "-type") && more) {
			o->logtype = w[++i];
		} else if (opt_is(a, "-line") && more) {
			/* Go's strconv.Atoi: anything unparsable is 0. */
			char *end;
			o->extraline = strtoll(w[++i], &end, 10);
			if (*end != '\0')
				o->extraline = 0;
		} else if (opt_is(a, "-json")) {
			o->is_json = true;
		} else if (opt_is(a, "-server") || opt_is(a, "-debug")) {
			/* accepted and ignored, as by EVE's client */
		} else if (a[0] == '-' && w[i][1] != '/') {
			fprintf(stderr, "edgeview: unknown option '%s' (see -h)\n", w[i]);
			return CLIENT_USAGE;
		} else if (p->line) {
			size_t len = strlen(w[i]);
			if (qlen + (qlen > 0) + len + 1 > sizeof(p->qbuf)) {
				fprintf(stderr, "edgeview: query too long\n");
				return CLIENT_USAGE;
			}
			if (qlen > 0)
				p->qbuf[qlen++] = ' ';
			memcpy(p->qbuf + qlen, w[i], len + 1);
			qlen += len;
			o->query = p->qbuf;
		} else {
			o->query = w[i]; /* the last word wins, as in Go */
		}
	}
	return CLIENT_OK;
}
