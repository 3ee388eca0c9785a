/* ev_config.c - table-driven settings: defaults, file, flags, dump. */
#include "ev_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_err.h"
#include "ev_file.h"
#include "ev_mem.h"

static void EV_PRINTF(2, 3) seterr(char err[EV_CONFIG_ERR_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, EV_CONFIG_ERR_LEN, fmt, ap);
	va_end(ap);
}

static const struct ev_config_opt *
find_opt(const struct ev_config_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->opts[i].name) == len && strncmp(t->opts[i].name, name, len) == 0)
			return &t->opts[i];
	return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "on") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	         strcmp(v, "off") == 0)
		*out = false;
	else
		return EV_ERR_INVALID_ARG;
	return 0;
}

static int
set_opt(const struct ev_config_opt *o, void *cfg, const char *value, char err[EV_CONFIG_ERR_LEN])
{
	void *dst = (uint8_t *)cfg + o->offset;
	unsigned long long u;
	char *end, *copy;

	if (strlen(value) > EV_CONFIG_MAX_VALUE) {
		seterr(err, "%s: value longer than %u bytes", o->name, EV_CONFIG_MAX_VALUE);
		return EV_ERR_TOO_BIG;
	}
	switch (o->type) {
	case EV_CFG_STRING:
		if ((copy = strdup(value)) == NULL)
			return EV_ERR_NOMEM;
		free(*(char **)dst);
		*(char **)dst = copy;
		return 0;
	case EV_CFG_UINT:
		errno = 0;
		u = strtoull(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || u < o->min ||
		    u > o->max) {
			seterr(err, "%s: '%s' is not a whole number from %llu to %llu", o->name,
			       value, (unsigned long long)o->min, (unsigned long long)o->max);
			return EV_ERR_INVALID_ARG;
		}
		*(uint64_t *)dst = (uint64_t)u;
		return 0;
	case EV_CFG_BOOL:
		if (parse_bool(value, (bool *)dst) != 0) {
			seterr(err, "%s: '%s' is not yes or no", o->name, value);
			return EV_ERR_INVALID_ARG;
		}
		return 0;
	}
	return EV_ERR_INVALID_ARG;
}

int
ev_config_defaults(const struct ev_config_table *t, void *cfg)
{
	char err[EV_CONFIG_ERR_LEN];
	int r;

	for (size_t i = 0; i < t->n; i++)
		if ((r = set_opt(&t->opts[i], cfg, t->opts[i].def, err)) != 0)
			return r;
	return 0;
}

int
ev_config_set(const struct ev_config_table *t, void *cfg, const char *name, const char *value,
              char err[EV_CONFIG_ERR_LEN])
{
	const struct ev_config_opt *o = find_opt(t, name, strlen(name));

	if (o == NULL) {
		seterr(err, "unknown setting '%s'", name);
		return EV_ERR_NOT_FOUND;
	}
	return set_opt(o, cfg, value, err);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
ev_config_load_file(const struct ev_config_table *t, void *cfg, const char *path,
                    char err[EV_CONFIG_ERR_LEN])
{
	char *text = NULL, *line, *next;
	size_t len = 0;
	int r, lineno = 0;

	if ((r = ev_file_read_capped(path, EV_CONFIG_MAX_FILE, &text, &len)) != 0) {
		seterr(err, "%s: %s", path, ev_strerror(r));
		return r;
	}
	if (memchr(text, '\0', len) != NULL) {
		seterr(err, "%s: contains a NUL byte", path);
		r = EV_ERR_NUL_BYTE;
		goto out;
	}
	for (line = text; line != NULL; line = next) {
		char *name, *value, *sep;
		char sub[EV_CONFIG_ERR_LEN];

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		sep = name + strcspn(name, " \t=");
		if (*sep == '\0') {
			seterr(err, "%s:%d: '%s' has no value", path, lineno, name);
			r = EV_ERR_INVALID_ARG;
			goto out;
		}
		value = sep;
		*value++ = '\0';
		value = trim(value);
		if (*value == '=')
			value = trim(value + 1);
		if ((r = ev_config_set(t, cfg, name, value, sub)) != 0) {
			seterr(err, "%s:%d: %s", path, lineno, sub);
			goto out;
		}
	}
	r = 0;
out:
	ev_freezero(text, len);
	return r;
}

const char *
ev_config_find_arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
			continue;
		if (a[2 + n] == '=')
			return a + 3 + n;
		if (a[2 + n] == '\0' && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

int
ev_config_parse_args(const struct ev_config_table *t, void *cfg, int argc, char **argv, int *rest,
                     char err[EV_CONFIG_ERR_LEN])
{
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *value;
		const struct ev_config_opt *o;
		size_t nlen;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2) != 0)
			break;
		eq = strchr(a + 2, '=');
		nlen = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
		if ((o = find_opt(t, a + 2, nlen)) == NULL) {
			seterr(err, "unknown option '%.*s' (see --help)", (int)(nlen + 2), a);
			return EV_ERR_NOT_FOUND;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (o->type == EV_CFG_BOOL)
			value = "yes";
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			seterr(err, "option --%s needs a value", o->name);
			return EV_ERR_INVALID_ARG;
		}
		if ((r = set_opt(o, cfg, value, err)) != 0)
			return r;
	}
	*rest = i;
	return 0;
}

void
ev_config_dump(const struct ev_config_table *t, const void *cfg, FILE *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ev_config_opt *o = &t->opts[i];
		const void *src = (const uint8_t *)cfg + o->offset;

		switch (o->type) {
		case EV_CFG_STRING: {
			const char *s = *(char *const *)src;
			fprintf(out, "%s %s\n", o->name, s != NULL ? s : "");
			break;
		}
		case EV_CFG_UINT:
			fprintf(out, "%s %llu\n", o->name,
			        (unsigned long long)*(const uint64_t *)src);
			break;
		case EV_CFG_BOOL:
			fprintf(out, "%s %s\n", o->name, *(const bool *)src ? "yes" : "no");
			break;
		}
	}
}

void
ev_config_usage(const struct ev_config_table *t, FILE *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ev_config_opt *o = &t->opts[i];
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->type == EV_CFG_BOOL ? "" : " ",
		         o->type == EV_CFG_BOOL ? "" : o->metavar);
		fprintf(out, "  %-30s %s", left, o->help);
		if (o->def[0] != '\0' && o->type != EV_CFG_BOOL)
			fprintf(out, " (default %s)", o->def);
		else if (o->type == EV_CFG_BOOL)
			fprintf(out, " (default %s)", o->def);
		fputc('\n', out);
	}
}

void
ev_config_free(const struct ev_config_table *t, void *cfg)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->opts[i].type == EV_CFG_STRING) {
			char **p = (char **)(void *)((uint8_t *)cfg + t->opts[i].offset);
			free(*p);
			*p = NULL;
		}
	}
}

int
ev_config_load_program(const struct ev_config_table *t, void *cfg, int argc, char **argv,
                       const char *default_file, const char *prog, bool *dump)
{
	char err[EV_CONFIG_ERR_LEN];
	const char *file;
	int rest, r;

	*dump = false;
	if ((r = ev_config_defaults(t, cfg)) != 0)
		return r;
	file = ev_config_find_arg(argc, argv, "config");
	if (file == NULL && default_file != NULL && access(default_file, F_OK) == 0)
		file = default_file;
	if (file != NULL && (r = ev_config_load_file(t, cfg, file, err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return r;
	}
	/* --config and --dump-config are the program's, not the table's. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			argv[i] = argv[i + 1] = (char *)"--";
			i++;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			argv[i] = (char *)"--";
		} else if (strcmp(argv[i], "--dump-config") == 0) {
			*dump = true;
			argv[i] = (char *)"--";
		}
	}
	/* Drop the placeholders so the table parser sees only its options. */
	rest = 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") != 0)
			argv[rest++] = argv[i];
	argc = rest;
	if ((r = ev_config_parse_args(t, cfg, argc, argv, &rest, err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return r;
	}
	if (rest < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[rest]);
		return EV_ERR_INVALID_ARG;
	}
	return 0;
}
