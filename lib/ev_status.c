/* ev_status.c - EdgeviewStatus, the /evStats body and Go's RFC 3339 times. */
#include "ev_status.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "ev_buf.h"
#include "ev_codec.h"
#include "ev_err.h"
#include "ev_json.h"
#include "ev_limits.h"

#define SECS_PER_DAY 86400
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: Go writes only these years. */
#define TIME_MIN_SEC (-62167219200LL)
#define TIME_MAX_SEC 253402300799LL

/* ---- calendar (proleptic Gregorian, as Go's time package) ---- */

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
days_in_month(int m, int64_t y)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t
ev_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *yp, int *mp, int *dp)
{
	int64_t era, doe, yoe, doy, mpp, y;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mpp = (5 * doy + 2) / 153;
	*dp = (int)(doy - (153 * mpp + 2) / 5 + 1);
	*mp = (int)(mpp < 10 ? mpp + 3 : mpp - 9);
	*yp = y + (*mp <= 2);
}

/* ---- RFC 3339 ---- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s forming a number in [min, max]. */
static bool
parse_num(const char *s, size_t n, int min, int max, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void
put_num(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
ev_time_parse_rfc3339(const char *s, size_t len, struct ev_time *out)
{
	int year, mon, day, hour, min, sec, tzh, tzm;
	int64_t nsec = 0, off = 0;
	size_t i = 19;

	if (s == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	/* The layout of Go's parseRFC3339 (see the header for the forms
	 * beyond RFC 3339 that Go's fallback takes and we refuse). */
	if (len < i || !parse_num(s, 4, 0, 9999, &year) || s[4] != '-' ||
	    !parse_num(s + 5, 2, 1, 12, &mon) || s[7] != '-' ||
	    !parse_num(s + 8, 2, 1, days_in_month(mon, year), &day) || s[10] != 'T' ||
	    !parse_num(s + 11, 2, 0, 23, &hour) || s[13] != ':' ||
	    !parse_num(s + 14, 2, 0, 59, &min) || s[16] != ':' ||
	    !parse_num(s + 17, 2, 0, 59, &sec))
		return EV_ERR_TIME_FORMAT;
	if (len - i >= 2 && s[i] == '.' && is_digit(s[i + 1])) {
		size_t ndig = 0;

		/* Go keeps the first nine digits and ignores the rest. */
		for (i++; i < len && is_digit(s[i]); i++, ndig++) {
			if (ndig < 9)
				nsec = nsec * 10 + (s[i] - '0');
		}
		for (; ndig < 9; ndig++)
			nsec *= 10;
	}
	if (len - i == 1 && s[i] == 'Z') {
		off = 0;
	} else if (len - i == 6 && (s[i] == '+' || s[i] == '-') &&
	           parse_num(s + i + 1, 2, 0, 23, &tzh) && s[i + 3] == ':' &&
	           parse_num(s + i + 4, 2, 0, 59, &tzm)) {
		off = (int64_t)(tzh * 60 + tzm) * 60;
		if (s[i] == '-')
			off = -off;
	} else {
		return EV_ERR_TIME_FORMAT;
	}
	out->sec = ev_days_from_civil(year, mon, day) * SECS_PER_DAY + hour * 3600 + min * 60 +
	           sec - off;
	out->nsec = (int32_t)nsec;
	out->utc_offset = (int32_t)off;
	return 0;
}

int
ev_time_format_rfc3339nano(const struct ev_time *t, char *out, size_t outlen)
{
	char buf[EV_TIME_STR_MAX];
	int64_t local, days, rem, year;
	int mon, day, zone;
	size_t n;

	if (t == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	if (t->nsec < 0 || t->nsec > 999999999)
		return EV_ERR_INVALID_ARG;
	if (t->utc_offset <= -SECS_PER_DAY || t->utc_offset >= SECS_PER_DAY ||
	    t->sec < TIME_MIN_SEC - SECS_PER_DAY || t->sec > TIME_MAX_SEC + SECS_PER_DAY)
		return EV_ERR_TIME_RANGE;
	local = t->sec + t->utc_offset;
	days = floor_div(local, SECS_PER_DAY);
	rem = local - days * SECS_PER_DAY;
	civil_from_days(days, &year, &mon, &day);
	if (year < 0 || year > 9999)
		return EV_ERR_TIME_RANGE;
	put_num(buf, (unsigned)year, 4);
	buf[4] = '-';
	put_num(buf + 5, (unsigned)mon, 2);
	buf[7] = '-';
	put_num(buf + 8, (unsigned)day, 2);
	buf[10] = 'T';
	put_num(buf + 11, (unsigned)(rem / 3600), 2);
	buf[13] = ':';
	put_num(buf + 14, (unsigned)(rem / 60 % 60), 2);
	buf[16] = ':';
	put_num(buf + 17, (unsigned)(rem % 60), 2);
	n = 19;
	if (t->nsec != 0) {
		size_t digits = 9;

		buf[n] = '.';
		put_num(buf + n + 1, (unsigned)t->nsec, 9);
		while (buf[n + digits] == '0')
			digits--;
		n += 1 + digits;
	}
	if (t->utc_offset == 0) {
		buf[n++] = 'Z';
	} else {
		/* Go: whole minutes, truncated toward zero; sign from the minutes. */
		zone = t->utc_offset / 60;
		buf[n++] = zone < 0 ? '-' : '+';
		if (zone < 0)
			zone = -zone;
		put_num(buf + n, (unsigned)(zone / 60), 2);
		buf[n + 2] = ':';
		put_num(buf + n + 3, (unsigned)(zone % 60), 2);
		n += 5;
	}
	if (outlen < n + 1)
		return EV_ERR_BUF_FULL;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

int
ev_time_now(struct ev_time *out)
{
	struct timespec ts;
	struct tm tm;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || localtime_r(&ts.tv_sec, &tm) == NULL)
		return EV_ERR_SYSTEM;
	out->sec = (int64_t)ts.tv_sec;
	out->nsec = (int32_t)ts.tv_nsec;
	out->utc_offset = (int32_t)tm.tm_gmtoff;
	return 0;
}

/* ---- EdgeviewStatus ---- */

/* StartedOn is not in the table: it needs Go's time.Time rules. */
static const struct ev_json_field status_fields[] = {
        {"ExpireOn", EV_JSON_U64, offsetof(struct ev_status, expire_on), 0, 0},
        {"CmdCountDev", EV_JSON_U32, offsetof(struct ev_status, cmd_count_dev), 0, 0},
        {"CmdCountApp", EV_JSON_U32, offsetof(struct ev_status, cmd_count_app), 0, 0},
        {"CmdCountExt", EV_JSON_U32, offsetof(struct ev_status, cmd_count_ext), 0, 0},
};

static const struct ev_json_field evstats_fields[] = {
        {"instID", EV_JSON_I64, offsetof(struct ev_evstats, inst_id), 0, 0},
};

static int
put_status(struct ev_buf *b, const struct ev_status *s)
{
	char ts[EV_TIME_STR_MAX];
	int r;

	if ((r = ev_time_format_rfc3339nano(&s->started_on, ts, sizeof(ts))) != 0 ||
	    (r = ev_buf_put_u8(b, '{')) != 0 || (r = ev_json_put_key(b, "ExpireOn", true)) != 0 ||
	    (r = ev_json_put_u64(b, s->expire_on)) != 0 ||
	    (r = ev_json_put_key(b, "StartedOn", false)) != 0 ||
	    (r = ev_json_put_cstring(b, ts)) != 0 ||
	    (r = ev_json_put_key(b, "CmdCountDev", false)) != 0 ||
	    (r = ev_json_put_u64(b, s->cmd_count_dev)) != 0 ||
	    (r = ev_json_put_key(b, "CmdCountApp", false)) != 0 ||
	    (r = ev_json_put_u64(b, s->cmd_count_app)) != 0 ||
	    (r = ev_json_put_key(b, "CmdCountExt", false)) != 0 ||
	    (r = ev_json_put_u64(b, s->cmd_count_ext)) != 0)
		return r;
	return ev_buf_put_u8(b, '}');
}

int
ev_status_encode(const struct ev_status *s, struct ev_buf *out)
{
	size_t len0;
	int r;

	if (s == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	len0 = ev_buf_len(out);
	r = put_status(out, s);
	return ev_codec_finish(out, len0, EV_MAX_STATUS_JSON, r);
}

int
ev_evstats_encode(const struct ev_evstats *e, struct ev_buf *out)
{
	size_t len0;
	int r;

	if (e == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	len0 = ev_buf_len(out);
	if ((r = ev_buf_put_u8(out, '{')) != 0 || (r = ev_json_put_key(out, "instID", true)) != 0 ||
	    (r = ev_json_put_i64(out, e->inst_id)) != 0 ||
	    (r = ev_json_put_key(out, "stats", false)) != 0 ||
	    (r = put_status(out, &e->stats)) != 0)
		goto out;
	r = ev_buf_put_u8(out, '}');
out:
	return ev_codec_finish(out, len0, EV_MAX_STATUS_JSON, r);
}

static void
save_first(int *saved, int r)
{
	if (*saved == 0)
		*saved = r;
}

/*
 * Go's decoder remembers a type or range error and goes on, but a failing
 * UnmarshalJSON (time.Time's) stops it at once and wins.  So this returns
 * time errors, and leaves the first remembered error in *saved.
 */
static int
status_from_json(const json_t *v, struct ev_status *st, int *saved)
{
	const char *key;
	json_t *val;
	int r;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		save_first(saved, EV_ERR_JSON_TYPE);
		return 0;
	}
	if ((r = ev_json_decode(v, status_fields, EV_ARRAY_LEN(status_fields), st)) != 0)
		save_first(saved, r);
	/* Every occurrence in document order, as Go calls UnmarshalJSON for each. */
	json_object_foreach ((json_t *)v, key, val) {
		struct ev_time t;

		if (!ev_json_key_matches("StartedOn", key, strlen(key)) || json_is_null(val))
			continue;
		if (!json_is_string(val))
			return EV_ERR_JSON_TYPE;
		if ((r = ev_time_parse_rfc3339(json_string_value(val), json_string_length(val),
		                               &t)) != 0)
			return r;
		st->started_on = t;
	}
	return 0;
}

int
ev_status_decode(const char *json, size_t len, struct ev_status *out)
{
	struct ev_status st;
	json_t *v = NULL;
	int r, saved = 0;

	if (out == NULL || (json == NULL && len != 0))
		return EV_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	if ((r = ev_json_parse(json != NULL ? json : "", len, EV_MAX_STATUS_JSON, &v)) != 0 ||
	    (r = status_from_json(v, &st, &saved)) != 0 || (r = saved) != 0)
		goto out;
	*out = st;
out:
	json_decref(v);
	return r;
}

/* One top-level member with a key matching instID, through the table so
 * that its type and range rules are the ones of every other field. */
static int
inst_id_from_json(const char *key, json_t *val, struct ev_evstats *es)
{
	json_t *one = json_object();
	int r;

	if (one == NULL || json_object_set(one, key, val) != 0) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	r = ev_json_decode(one, evstats_fields, EV_ARRAY_LEN(evstats_fields), es);
out:
	json_decref(one);
	return r;
}

int
ev_evstats_decode(const char *json, size_t len, struct ev_evstats *out)
{
	struct ev_evstats es;
	const char *key;
	json_t *v = NULL, *val;
	int r, saved = 0;

	if (out == NULL || (json == NULL && len != 0))
		return EV_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	memset(&es, 0, sizeof(es));
	if ((r = ev_json_parse(json != NULL ? json : "", len, EV_MAX_STATUS_JSON, &v)) != 0)
		goto out;
	if (!json_is_object(v)) {
		r = json_is_null(v) ? 0 : EV_ERR_JSON_TYPE;
		goto out;
	}
	/* Members in document order, so the first remembered error is Go's. */
	json_object_foreach (v, key, val) {
		if (ev_json_key_matches("stats", key, strlen(key))) {
			if ((r = status_from_json(val, &es.stats, &saved)) != 0)
				goto out;
		} else if (ev_json_key_matches("instID", key, strlen(key))) {
			if ((r = inst_id_from_json(key, val, &es)) == EV_ERR_NOMEM)
				goto out;
			if (r != 0)
				save_first(&saved, r);
		}
	}
	r = saved;
out:
	if (r == 0)
		*out = es;
	json_decref(v);
	return r;
}

int
ev_evstats_validate(const struct ev_evstats *e)
{
	if (e == NULL)
		return EV_ERR_INVALID_ARG;
	if (e->inst_id < 2 || e->inst_id > (int64_t)EV_MAX_INSTANCES)
		return EV_ERR_INST_RANGE;
	return 0;
}
