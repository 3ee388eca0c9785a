/* client.h - the edgeview CLI's parts. */
#ifndef EV_CLIENT_H
#define EV_CLIENT_H

#include <ev.h>
#include <stdbool.h>
#include <stdio.h>

#include "ev_limits.h"

/* Exit statuses: each failure class has its own. */
enum client_exit {
	CLIENT_OK = 0,
	CLIENT_ERR = 1,         /* other failures */
	CLIENT_USAGE = 2,       /* bad command line, query or token */
	CLIENT_CONNECT = 3,     /* dispatcher unreachable, TLS failure, connection lost */
	CLIENT_NO_DEVICE = 4,   /* nobody serves this token */
	CLIENT_POLICY = 5,      /* the device's policy refused the command */
	CLIENT_VERIFY = 6,      /* a signature or MAC did not verify */
	CLIENT_UNSUPPORTED = 7, /* the device cannot do what the token asks */
	CLIENT_INTERRUPTED = 130,
};

struct client_opts {
	/* the session */
	const char *token;
	unsigned inst;
	const char *user;
	const char *key_path; /* -key or EDGEVIEW_KEY: the signing key */
	const char *cafile;
	bool insecure;
	bool colour;
	/* one query; in interactive mode these are the defaults of each line */
	const char *query;
	const char *timerange;
	long long extraline;
	bool is_json;
	const char *logtype;
};

/* args.c */
struct client_parse {
	bool line;                   /* an interactive line: no session options, words joined */
	bool help;                   /* -h or -help was among the words */
	const char *token_file;      /* -token-file */
	char qbuf[EV_MAX_CMD_FIELD]; /* the joined query of a line */
};
/* Options into o, the query word(s) into o->query; CLIENT_USAGE after a message. */
int client_parse_words(struct client_opts *o, int n, char **w, struct client_parse *p);
/* Split a typed line in place into words; '...' and "..." group. */
int client_split_line(char *line, char **words, int max, int *n);

/* help.c */
void client_usage(FILE *out);
/* General help (topic NULL) or one query's; CLIENT_USAGE for an unknown topic. */
int client_help(FILE *out, const char *topic);
void client_help_interactive(FILE *out);
/* The help text of a command name (usage line in *usage), or NULL. */
const char *client_help_find(const char *name, size_t len, const char **usage);

/* input.c: lines for interactive mode */
struct client_input;
/* line is NULL at the end of input; valid during the call only. */
typedef void (*client_line_fn)(void *arg, char *line);
int client_input_new(struct ev_loop *loop, client_line_fn on_line, void *arg,
                     struct client_input **out);
bool client_input_is_tty(const struct client_input *in);
/* Show the prompt and hand over the next line (from the loop). */
void client_input_prompt(struct client_input *in);
/* Stop reading while a query runs. */
void client_input_pause(struct client_input *in);
/* Ctrl-C at the prompt: drop the typed text, new prompt. */
void client_input_interrupt(struct client_input *in);
/* Also writes the history file. */
void client_input_free(struct client_input *in);

int client_token_main(int argc, char **argv);
/* One query (o->query set) or an interactive session; returns the exit status. */
int client_run(const struct client_opts *o);
/* Writes device output, dropping ANSI colour sequences when !colour. */
void client_output(const unsigned char *p, size_t len, bool colour, FILE *out);
void client_output_reset(void);

#endif
