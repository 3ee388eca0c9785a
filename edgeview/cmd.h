/*
 * cmd.h - the diagnostic commands of edgeviewd (edgeview-commands.md).
 *
 * A command is a function that writes text for the engineer to ctx->out.
 * It runs in a worker process of its own (fork, no exec), so it may block;
 * the session streams whatever reaches the pipe behind ctx->out, and a slow
 * client simply makes the worker's writes wait (backpressure).  A command
 * never runs a shell or another program, and treats its argument as
 * untrusted text that has passed only the character-class check of
 * commands spec section 1.3 (ev_query_item_valid()).
 *
 * Every EVE path (/run, /persist, /config, /proc, /sys and the paths of
 * cat/ls/du) is resolved under ctx->root, so tests run against fixture
 * trees (commands spec section 8).
 */
#ifndef EV_CMD_TABLE_H
#define EV_CMD_TABLE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ev_attr.h"

enum cmd_category {
	CMD_NETWORK,
	CMD_SYSTEM,
	CMD_PUBSUB,
	CMD_LOG,
};

struct cmd_ctx {
	const char *root; /* "/" or a fixture tree; never NULL */
	FILE *out;        /* command output (fully buffered; flush at natural points) */
	bool colour;      /* ANSI colours, as EVE's client expects; tests switch them off */
	/* options of the query (cmdOpt) */
	const char *timerange; /* -time: "" when not given */
	int64_t extraline;     /* -line */
	bool is_json;          /* -json */
	const char *logtype;   /* -type: "", "app" or "dev" */
	time_t now;            /* the clock, injectable for tests */
	/* set when the client has left: long commands (tcpdump, trace, log/)
	 * check it and stop early */
	volatile sig_atomic_t *stop;
};

/*
 * arg is the text after the first '/' of the item ("lo" for "if/lo",
 * "/etc/os-release" for "cat//etc/os-release"), or NULL when the item has
 * no '/'.  Returns 0, or an EV_ERR_* after printing a one-line reason.
 */
typedef int (*cmd_fn)(struct cmd_ctx *ctx, const char *arg);

struct cmd_def {
	const char *name; /* "if", "route", "cat", ... */
	enum cmd_category category;
	cmd_fn run;
	const char *usage; /* one line: "if[/<ifname-substring>]" */
	const char *help;  /* a few lines for `edgeview -h <name>` */
};

/* The command tables, one per file that implements commands. */
extern const struct cmd_def cmd_table_net[];
extern const size_t cmd_table_net_len;
extern const struct cmd_def cmd_table_sys[];
extern const size_t cmd_table_sys_len;

/* Look a command up by name in every table; NULL if unknown. */
const struct cmd_def *cmd_find(const char *name, size_t len);

/* ---- output helpers (out.c) ---- */
enum cmd_colour {
	CMD_RED,    /* 1;31 errors, current entries */
	CMD_BLUE,   /* 1;34 sub-sections */
	CMD_CYAN,   /* 1;36 sub-titles */
	CMD_GREEN,  /* 0;32 sub-sub-sections */
	CMD_YELLOW, /* 0;93 highlights */
	CMD_PURPLE, /* 1;95 titles */
};

/* text wrapped in the colour (when ctx->colour) followed by '\n'. */
void cmd_colour_line(struct cmd_ctx *ctx, enum cmd_colour c, const char *fmt, ...) EV_PRINTF(3, 4);
/* The same without the newline. */
void cmd_colour(struct cmd_ctx *ctx, enum cmd_colour c, const char *fmt, ...) EV_PRINTF(3, 4);
/* "\n === Network: <item> ===\n\n" etc. in purple, then flush. */
void cmd_title(struct cmd_ctx *ctx, enum cmd_category cat, const char *item);
/* printf to ctx->out. */
void cmd_printf(struct cmd_ctx *ctx, const char *fmt, ...) EV_PRINTF(2, 3);

/* ---- paths under the root (paths.c) ---- */
/* root + path ("/proc/net/arp") into out; EV_ERR_TOO_BIG if it does not fit. */
int cmd_path(const struct cmd_ctx *ctx, const char *path, char *out, size_t cap) EV_WARN_UNUSED;
/*
 * A path the engineer gave (cat/ls/du/cp): made canonical (realpath) under
 * the root; refused when it leaves the root (.., symlinks), names a blocked
 * directory (/persist/clear, /persist/vault, /run/domainmgr/cloudinit,
 * /run/.kube/k3s) or a key file (*.key, *.key.pem).  out receives the real
 * path on this host; shown (if not NULL) the path as the device shows it.
 */
int cmd_user_path(const struct cmd_ctx *ctx, const char *path, char *out, size_t cap, char *shown,
                  size_t shown_cap) EV_WARN_UNUSED;

#endif
