/*
 * ev_config.h - one table per program declares every setting: its name
 * (also the --flag and the config-file key), type, bounds, default and help.
 * The same table drives the defaults, the config file, the command line,
 * --help and --dump-config, so the four can never disagree.
 *
 * Config file: one "name value" or "name = value" per line, '#' comments,
 * blank lines ignored.  Flags: --name VALUE, --name=VALUE; a bool is set
 * by a bare --name or --name=yes|no|true|false|1|0.
 */
#ifndef EV_CONFIG_H
#define EV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ev_attr.h"

/* Longest config file we read, and longest value. */
#define EV_CONFIG_MAX_FILE  (256u * 1024)
#define EV_CONFIG_MAX_VALUE 4096u
/* Room for an error message from the parsers. */
#define EV_CONFIG_ERR_LEN 256

enum ev_config_type {
	EV_CFG_STRING, /* char *, malloc'd; "" allowed */
	EV_CFG_UINT,   /* uint64_t within [min, max] */
	EV_CFG_BOOL,   /* bool */
};

struct ev_config_opt {
	const char *name;
	enum ev_config_type type;
	size_t offset;
	uint64_t min, max; /* EV_CFG_UINT only */
	const char *def;   /* default, as it would be written in the file */
	const char *metavar;
	const char *help;
};

struct ev_config_table {
	const struct ev_config_opt *opts;
	size_t n;
};

/* Every option to its default. */
int ev_config_defaults(const struct ev_config_table *t, void *cfg) EV_WARN_UNUSED;
/* Set one option from text; err receives a message on failure. */
int ev_config_set(const struct ev_config_table *t, void *cfg, const char *name, const char *value,
                  char err[EV_CONFIG_ERR_LEN]) EV_WARN_UNUSED;
int ev_config_load_file(const struct ev_config_table *t, void *cfg, const char *path,
                        char err[EV_CONFIG_ERR_LEN]) EV_WARN_UNUSED;
/* Parse argv[1..]: table options, plus the program's own words returned
 * through *rest (argv index of the first non-option, or argc). */
int ev_config_parse_args(const struct ev_config_table *t, void *cfg, int argc, char **argv,
                         int *rest, char err[EV_CONFIG_ERR_LEN]) EV_WARN_UNUSED;
/* The value of --NAME in argv (e.g. "config"), or NULL; for the file that
 * must be read before the other flags are applied. */
const char *ev_config_find_arg(int argc, char **argv, const char *name);
/*
 * The usual start of a program with a settings table: defaults, then the
 * settings file (--config FILE, else default_file if it exists, or none
 * when default_file is NULL), then the flags; --dump-config sets *dump.
 * argv is reordered.  Errors are printed to stderr as "prog: message".
 */
int ev_config_load_program(const struct ev_config_table *t, void *cfg, int argc, char **argv,
                           const char *default_file, const char *prog, bool *dump) EV_WARN_UNUSED;
/* The effective settings as a config file that would reproduce them. */
void ev_config_dump(const struct ev_config_table *t, const void *cfg, FILE *out);
/* Option list for --help. */
void ev_config_usage(const struct ev_config_table *t, FILE *out);
void ev_config_free(const struct ev_config_table *t, void *cfg);

#endif
