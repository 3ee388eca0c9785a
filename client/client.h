/* client.h - the edgeview CLI's parts. */
#ifndef EV_CLIENT_H
#define EV_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

/* Exit statuses: each failure class has its own. */
enum client_exit {
	CLIENT_OK = 0,
	CLIENT_ERR = 1,       /* other failures */
	CLIENT_USAGE = 2,     /* bad command line or token */
	CLIENT_CONNECT = 3,   /* dispatcher unreachable, TLS failure */
	CLIENT_NO_DEVICE = 4, /* nobody serves this token */
	CLIENT_POLICY = 5,    /* the device's policy refused the command */
	CLIENT_VERIFY = 6,    /* a signature or MAC did not verify */
	CLIENT_INTERRUPTED = 130,
};

struct client_opts {
	const char *token;
	unsigned inst;
	const char *user;
	const char *cafile;
	bool insecure;
	const char *query;
	const char *timerange;
	long long extraline;
	bool is_json;
	const char *logtype;
	bool colour;
};

int client_token_main(int argc, char **argv);
int client_run_query(const struct client_opts *o);
/* Writes device output, dropping ANSI colour sequences when !colour. */
void client_output(const unsigned char *p, size_t len, bool colour, FILE *out);

#endif
