/* ev_newlog.c - newlog LogEntry records, file-name times, -time windows. */
#include "ev_newlog.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ev_err.h"
#include "ev_json.h"
#include "ev_mem.h"

/* 50 years of hours: beyond any log a device keeps, and safe for time_t. */
#define NEWLOG_MAX_HOURS (24.0 * 366 * 50)

void
ev_newlog_entry_free(struct ev_newlog_entry *e)
{
	char **s[] = {&e->severity,   &e->source,   &e->iid,   &e->content,
	              &e->filename,   &e->function, &e->c_msg, &e->c_level,
	              &e->c_obj_type, &e->c_source, &e->c_time};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
	memset(e, 0, sizeof(*e));
}

/* A string member into *out ("" when absent or null). */
static int
get_str(const json_t *o, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);

	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return EV_ERR_JSON_TYPE;
	if (v == NULL || json_is_null(v))
		*out = strdup("");
	else
		*out = ev_strndup(json_string_value(v), json_string_length(v));
	return *out == NULL ? EV_ERR_NOMEM : 0;
}

/* Like get_str, but any scalar is shown as its JSON text (pillar's "pid"
 * and "time" fields are numbers or strings depending on the agent). */
static int
get_any(const json_t *o, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_string(v) || json_is_null(v))
		return get_str(o, key, out);
	if (json_is_object(v) || json_is_array(v))
		return EV_ERR_JSON_TYPE;
	*out = json_dumps(v, JSON_ENCODE_ANY);
	return *out == NULL ? EV_ERR_NOMEM : 0;
}

static int
get_int(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return EV_ERR_JSON_TYPE;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int
ev_newlog_parse(const char *line, size_t len, struct ev_newlog_entry *e)
{
	json_t *root = NULL, *content = NULL;
	const json_t *ts;
	int64_t msgid = 0;
	int r;

	memset(e, 0, sizeof(*e));
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if ((r = ev_json_parse(line, len, EV_NEWLOG_MAX_LINE, &root)) != 0)
		goto out;
	if (!json_is_object(root)) {
		r = EV_ERR_JSON_NOT_OBJECT;
		goto out;
	}
	if ((r = get_str(root, "severity", &e->severity)) != 0 ||
	    (r = get_str(root, "source", &e->source)) != 0 ||
	    (r = get_str(root, "iid", &e->iid)) != 0 ||
	    (r = get_str(root, "content", &e->content)) != 0 ||
	    (r = get_str(root, "filename", &e->filename)) != 0 ||
	    (r = get_str(root, "function", &e->function)) != 0 ||
	    (r = get_int(root, "msgid", &msgid)) != 0)
		goto out;
	e->msgid = (uint64_t)msgid;
	ts = json_object_get(root, "timestamp");
	if (ts != NULL && !json_is_null(ts)) {
		if (!json_is_object(ts)) {
			r = EV_ERR_JSON_TYPE;
			goto out;
		}
		if ((r = get_int(ts, "seconds", &e->ts_sec)) != 0 ||
		    (r = get_int(ts, "nanos", &e->ts_nanos)) != 0)
			goto out;
	}
	/* content: a JSON object from pillar's logger, else plain text. */
	if (e->content[0] == '{' &&
	    ev_json_parse(e->content, strlen(e->content), EV_NEWLOG_MAX_LINE, &content) == 0 &&
	    json_is_object(content)) {
		if ((r = get_any(content, "msg", &e->c_msg)) != 0 ||
		    (r = get_any(content, "level", &e->c_level)) != 0 ||
		    (r = get_any(content, "obj_type", &e->c_obj_type)) != 0 ||
		    (r = get_any(content, "source", &e->c_source)) != 0 ||
		    (r = get_any(content, "time", &e->c_time)) != 0)
			goto out;
		e->content_is_json = true;
	} else {
		char **c[] = {&e->c_msg, &e->c_level, &e->c_obj_type, &e->c_source, &e->c_time};
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			if ((*c[i] = strdup("")) == NULL) {
				r = EV_ERR_NOMEM;
				goto out;
			}
	}
	r = 0;
out:
	if (r != 0)
		ev_newlog_entry_free(e);
	json_decref(content);
	json_decref(root);
	return r;
}

int
ev_newlog_name_time(const char *name, int64_t *ms)
{
	const char *last, *prev;
	int64_t v = 0;

	*ms = 0;
	if ((last = strrchr(name, '.')) == NULL || last == name)
		return EV_ERR_INVALID_ARG;
	for (prev = last - 1; prev > name && *prev != '.'; prev--)
		;
	if (*prev != '.')
		return EV_ERR_INVALID_ARG;
	prev++;
	if (prev == last || last - prev > 15)
		return EV_ERR_INVALID_ARG;
	for (const char *p = prev; p < last; p++) {
		if (*p < '0' || *p > '9')
			return EV_ERR_INVALID_ARG;
		v = v * 10 + (*p - '0');
	}
	*ms = v;
	return 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EV_ERR_LOG_TIME;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DDThh:mm:ss[.frac]Z", exactly len bytes. */
static int
parse_rfc3339z(const char *s, size_t len, time_t *out)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, se;
	size_t i = 19;
	time_t t;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' || (s[len - 1] != 'Z' && s[len - 1] != 'z'))
		return EV_ERR_LOG_TIME;
	if (digits(s, 4, &y) != 0 || digits(s + 5, 2, &mo) != 0 || digits(s + 8, 2, &d) != 0 ||
	    digits(s + 11, 2, &h) != 0 || digits(s + 14, 2, &mi) != 0 ||
	    digits(s + 17, 2, &se) != 0)
		return EV_ERR_LOG_TIME;
	if (s[i] == '.') {
		if (++i >= len - 1)
			return EV_ERR_LOG_TIME;
		for (; i < len - 1; i++)
			if (s[i] < '0' || s[i] > '9')
				return EV_ERR_LOG_TIME;
	}
	if (i != len - 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return EV_ERR_LOG_TIME;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1)
		return EV_ERR_LOG_TIME;
	*out = t;
	return 0;
}

static int
parse_hours(const char *s, size_t len, double *out)
{
	char buf[32], *end;
	double v;

	if (len == 0 || len >= sizeof(buf))
		return EV_ERR_LOG_TIME;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++) /* no "inf", "nan", hex or signs */
		if ((buf[i] < '0' || buf[i] > '9') && buf[i] != '.')
			return EV_ERR_LOG_TIME;
	errno = 0;
	v = strtod(buf, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > NEWLOG_MAX_HOURS)
		return EV_ERR_LOG_TIME;
	*out = v;
	return 0;
}

int
ev_newlog_time_range(const char *spec, time_t now, time_t *older, time_t *newer)
{
	const char *zdash = strstr(spec, "Z-"), *dash;
	time_t a, b;
	int r;

	*older = *newer = 0;
	if (zdash != NULL) {
		if ((r = parse_rfc3339z(spec, (size_t)(zdash + 1 - spec), &a)) != 0 ||
		    (r = parse_rfc3339z(zdash + 2, strlen(zdash + 2), &b)) != 0)
			return r;
		if (a > now)
			a = now;
		if (b > now)
			b = now;
	} else {
		double h1, h2;
		if ((dash = strchr(spec, '-')) == NULL || strchr(dash + 1, '-') != NULL)
			return EV_ERR_LOG_TIME;
		if ((r = parse_hours(spec, (size_t)(dash - spec), &h1)) != 0 ||
		    (r = parse_hours(dash + 1, strlen(dash + 1), &h2)) != 0)
			return r;
		a = now - (time_t)(h1 * 3600.0);
		b = now - (time_t)(h2 * 3600.0);
	}
	*older = a < b ? a : b;
	*newer = a < b ? b : a;
	return 0;
}

void
ev_newlog_rfc3339(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (cap == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}
