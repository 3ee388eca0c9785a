/* query.c - from a cmdOpt to command runs (protocol 7.4). */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "ev_cmd.h"
#include "ev_err.h"
#include "ev_query.h"

/* Longest single comma item; longer ones are refused, not cut. */
#define QUERY_MAX_ITEM 4096

static void
print_options(struct cmd_ctx *ctx, const char *who, const char *const *list)
{
	cmd_printf(ctx, "%s: options available: [", who);
	for (size_t i = 0; list[i] != NULL; i++)
		cmd_printf(ctx, i == 0 ? "%s" : " %s", list[i]);
	cmd_printf(ctx, "]\n");
}

/* Run one item "name[/arg]" of a category. */
static void
run_item(struct cmd_ctx *ctx, enum cmd_category cat, const char *item)
{
	const char *slash = strchr(item, '/');
	size_t nlen = slash != NULL ? (size_t)(slash - item) : strlen(item);
	const struct cmd_def *d;

	if (cat == CMD_PUBSUB || cat == CMD_LOG) {
		d = cmd_find(cat == CMD_PUBSUB ? "pub" : "log", 3);
		cmd_title(ctx, cat, item);
	} else {
		d = cmd_find(item, nlen);
		cmd_title(ctx, cat, item);
	}
	if (d == NULL || d->run == NULL) {
		cmd_colour_line(ctx, CMD_RED, "%.*s: not available on this device", (int)nlen,
		                item);
		return;
	}
	if (cat == CMD_PUBSUB || cat == CMD_LOG)
		(void)d->run(ctx, item);
	else
		(void)d->run(ctx, slash != NULL ? slash + 1 : NULL);
	fflush(ctx->out);
}

/* Split s on ',' and run each item, after checking all of them. */
static int
run_list(struct cmd_ctx *ctx, enum cmd_category cat, const char *s, const char *const *list,
         const char *who)
{
	char *copy = NULL, *item, *save = NULL;
	int r = 0;

	if (list != NULL && !ev_query_all_in(s, list)) {
		print_options(ctx, who, list);
		return EV_ERR_QUERY_UNKNOWN;
	}
	if ((copy = strdup(s)) == NULL)
		return EV_ERR_NOMEM;
	/* Validate every item before running any (Go runs nothing then). */
	for (const char *p = s; *p != '\0';) {
		size_t n = strcspn(p, ",");
		bool paths = cat == CMD_SYSTEM;
		if (n > QUERY_MAX_ITEM || (!paths && !ev_query_chars_ok(p, n))) {
			cmd_printf(ctx, "%s options invalid\n",
			           cat == CMD_NETWORK  ? "network"
			           : cat == CMD_PUBSUB ? "pubsub"
			                               : "log");
			r = EV_ERR_QUERY_CHARS;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			/* Paths are checked by the commands; control bytes never pass. */
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
				cmd_printf(ctx, "system options invalid\n");
				r = EV_ERR_QUERY_CHARS;
				goto out;
			}
		}
		if (cat == CMD_PUBSUB) {
			size_t an = strcspn(p, "/,");
			if (!ev_query_dirname_ok(p, an)) {
				cmd_printf(ctx, "pubsub options invalid\n");
				r = EV_ERR_QUERY_CHARS;
				goto out;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (cat == CMD_LOG) {
		run_item(ctx, cat, s); /* a log pattern is one item, commas and all */
		goto out;
	}
	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		if (ctx->stop != NULL && *ctx->stop)
			break;
		run_item(ctx, cat, item);
	}
out:
	free(copy);
	return r;
}

int
query_run(struct cmd_ctx *ctx, const struct ev_cmd *c)
{
	/* Priority network > pubsub > system > logopt (protocol 7.2). */
	if (c->network != NULL && c->network[0] != '\0')
		return run_list(ctx, CMD_NETWORK, c->network, ev_query_network_list, "runNetwork");
	if (c->pubsub != NULL && c->pubsub[0] != '\0')
		return run_list(ctx, CMD_PUBSUB, c->pubsub, ev_query_pubsub_list, "runPubsub");
	if (c->system != NULL && c->system[0] != '\0')
		return run_list(ctx, CMD_SYSTEM, c->system, ev_query_system_list, "runSystem");
	if (c->logopt != NULL && c->logopt[0] != '\0')
		return run_list(ctx, CMD_LOG, c->logopt, NULL, "runLog");
	return 0;
}
