/*
 * main.c - edgeviewd, the device side of Edge-View.
 *
 *	edgeviewd local QUERY ...     run a query here and print it
 *
 * (The dispatcher session modes, supervised and direct, are being added.)
 */
#include <stdio.h>
#include <string.h>

#include "ev_log.h"
#include "local.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: edgeviewd local [--root DIR] QUERY [-time T] [-line N] [-json] "
		     "[-type app|dev]\n"
		     "       edgeviewd --help\n");
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
	usage(stderr);
	return 2;
}
