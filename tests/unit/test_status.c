/* test_status.c - EdgeviewStatus, the /evStats body and Go's RFC 3339 times. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_limits.h"
#include "ev_status.h"

#define STATS_JSON                                                                           \
	"{\"ExpireOn\":1893456000,\"StartedOn\":\"2026-03-01T12:00:00Z\",\"CmdCountDev\":3," \
	"\"CmdCountApp\":1,\"CmdCountExt\":0}"

static const struct ev_evstats evstats_vector = {
        .inst_id = 2,
        .stats = {.expire_on = 1893456000,
                  .started_on = {.sec = 1772366400},
                  .cmd_count_dev = 3,
                  .cmd_count_app = 1},
};

static void
assert_buf_is(struct ev_buf *b, const char *want)
{
	assert_int_equal(ev_buf_len(b), strlen(want));
	assert_memory_equal(ev_buf_ptr(b), want, strlen(want));
}

static void
assert_status_equal(const struct ev_status *a, const struct ev_status *b)
{
	assert_int_equal(a->expire_on, b->expire_on);
	assert_int_equal(a->started_on.sec, b->started_on.sec);
	assert_int_equal(a->started_on.nsec, b->started_on.nsec);
	assert_int_equal(a->started_on.utc_offset, b->started_on.utc_offset);
	assert_int_equal(a->cmd_count_dev, b->cmd_count_dev);
	assert_int_equal(a->cmd_count_app, b->cmd_count_app);
	assert_int_equal(a->cmd_count_ext, b->cmd_count_ext);
}

static int
status_str(const char *json, struct ev_status *s)
{
	return ev_status_decode(json, strlen(json), s);
}

static int
evstats_str(const char *json, struct ev_evstats *e)
{
	return ev_evstats_decode(json, strlen(json), e);
}

static int
parse(const char *s, struct ev_time *t)
{
	return ev_time_parse_rfc3339(s, strlen(s), t);
}

static void
test_evstats_vector(void **state)
{
	const char *want = tv_str("evstats_post");
	struct ev_buf *b = ev_buf_new(EV_MAX_STATUS_JSON);
	struct ev_evstats d;

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_evstats_encode(&evstats_vector, b));
	assert_buf_is(b, want);
	assert_ev_ok(evstats_str(want, &d));
	assert_int_equal(d.inst_id, 2);
	assert_status_equal(&d.stats, &evstats_vector.stats);
	assert_ev_ok(ev_evstats_validate(&d));
	ev_buf_reset(b);
	assert_ev_ok(ev_evstats_encode(&d, b));
	assert_buf_is(b, want);
	ev_buf_free(b);
}

static void
test_status_object_alone(void **state)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_STATUS_JSON);
	struct ev_status d;

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_status_encode(&evstats_vector.stats, b));
	assert_buf_is(b, STATS_JSON);
	assert_ev_ok(status_str(STATS_JSON, &d));
	assert_status_equal(&d, &evstats_vector.stats);
	ev_buf_free(b);
}

/* Expected strings produced by Go 1.26's json.Marshal(time.Unix(sec,
 * nsec).In(time.FixedZone("", off))). */
static const struct {
	int64_t sec;
	int32_t nsec, off;
	const char *go;
} go_times[] = {
        {1772366400, 0, 0, "2026-03-01T12:00:00Z"},
        {1772366400, 500000000, 0, "2026-03-01T12:00:00.5Z"},
        {1772366400, 123456789, 0, "2026-03-01T12:00:00.123456789Z"},
        {1772366400, 100000000, 0, "2026-03-01T12:00:00.1Z"},
        {1772366400, 1, 0, "2026-03-01T12:00:00.000000001Z"},
        {1772366400, 0, 3600, "2026-03-01T13:00:00+01:00"},
        {1772366400, 0, -19800, "2026-03-01T06:30:00-05:30"},
        {1772366400, 0, 30, "2026-03-01T12:00:30+00:00"},
        {1772366400, 0, -30, "2026-03-01T11:59:30+00:00"},
        {1772366400, 0, -90, "2026-03-01T11:58:30-00:01"},
        {0, 0, 0, "1970-01-01T00:00:00Z"},
        {-1, 999999999, 0, "1969-12-31T23:59:59.999999999Z"},
        {-62167219200, 0, 0, "0000-01-01T00:00:00Z"},
        {253402300799, 999999999, 0, "9999-12-31T23:59:59.999999999Z"},
        {253402300799, 0, -3600, "9999-12-31T22:59:59-01:00"},
        {-62167219200, 0, 3600, "0000-01-01T01:00:00+01:00"},
        {951782400, 0, 0, "2000-02-29T00:00:00Z"},
        {-2208988800, 0, 0, "1900-01-01T00:00:00Z"},
        {1709164800, 0, 86340, "2024-02-29T23:59:00+23:59"},
        {1709164800, 0, -86340, "2024-02-28T00:01:00-23:59"},
};

static void
test_time_format_like_go(void **state)
{
	char out[EV_TIME_STR_MAX];

	(void)state;
	for (size_t i = 0; i < EV_ARRAY_LEN(go_times); i++) {
		struct ev_time t = {go_times[i].sec, go_times[i].nsec, go_times[i].off};

		assert_ev_ok(ev_time_format_rfc3339nano(&t, out, sizeof(out)));
		assert_string_equal(out, go_times[i].go);
	}
}

static void
test_time_format_refusals(void **state)
{
	char out[EV_TIME_STR_MAX];
	struct ev_time t = {253402300800, 0, 0}; /* year 10000 */

	(void)state;
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, sizeof(out)), EV_ERR_TIME_RANGE);
	t.sec = 253402300799;
	t.utc_offset = 60;
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, sizeof(out)), EV_ERR_TIME_RANGE);
	t.sec = -62167219200;
	t.utc_offset = -1; /* local year -1 */
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, sizeof(out)), EV_ERR_TIME_RANGE);
	t.sec = 0;
	t.utc_offset = 86400; /* Go: timezone hour outside of range */
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, sizeof(out)), EV_ERR_TIME_RANGE);
	t.utc_offset = 0;
	t.sec = INT64_MIN;
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, sizeof(out)), EV_ERR_TIME_RANGE);
	t.sec = 0;
	t.nsec = 1000000000;
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, sizeof(out)), EV_ERR_INVALID_ARG);
	t.nsec = 0;
	assert_ev_err(ev_time_format_rfc3339nano(&t, out, 20), EV_ERR_BUF_FULL);
	assert_ev_ok(ev_time_format_rfc3339nano(&t, out, 21));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
}

static void
test_time_parse_like_go(void **state)
{
	struct ev_time t;

	(void)state;
	/* Everything Go writes parses back to the same instant and offset. */
	for (size_t i = 0; i < EV_ARRAY_LEN(go_times); i++) {
		assert_ev_ok(parse(go_times[i].go, &t));
		assert_int_equal(t.nsec, go_times[i].nsec);
		/* Go writes whole minutes of offset: 30 s comes back as +00:00. */
		assert_int_equal(t.utc_offset, go_times[i].off / 60 * 60);
		assert_int_equal(t.sec + t.utc_offset, go_times[i].sec + go_times[i].off);
	}
	/* Values checked against Go's json.Unmarshal into a time.Time. */
	assert_ev_ok(parse("0000-02-29T00:00:00Z", &t));
	assert_int_equal(t.sec, -62162121600);
	assert_ev_ok(parse("2024-02-29T23:59:59.1234567891-23:59", &t));
	assert_int_equal(t.sec, 1709337539);
	assert_int_equal(t.nsec, 123456789); /* digits past nine are dropped */
	assert_int_equal(t.utc_offset, -86340);
	assert_ev_ok(parse("2026-03-01T12:00:00-00:00", &t));
	assert_int_equal(t.sec, 1772366400);
	assert_int_equal(t.utc_offset, 0);
	assert_ev_ok(parse("2026-03-01T12:00:00.000Z", &t));
	assert_int_equal(t.nsec, 0);
}

static void
test_time_parse_rejections(void **state)
{
	static const char *bad[] = {
	        "",
	        "x",
	        "2026-03-01T12:00:00",             /* no zone */
	        "2026-03-01 12:00:00Z",            /* space for T */
	        "2026-03-01t12:00:00Z",            /* lowercase t */
	        "2026-03-01T12:00:00z",            /* lowercase z */
	        "2026-03-01T12:00:00.Z",           /* dot without digits */
	        "2026-03-01T12:00:00,5Z",          /* comma (Go's lenient fallback takes it) */
	        "2026-03-01T12:00:00ZZ",           /* trailing */
	        "2026-03-01T12:00:00Z ",           /* trailing space */
	        " 2026-03-01T12:00:00Z",           /* leading space */
	        "2026-02-29T12:00:00Z",            /* not a leap year */
	        "1900-02-29T00:00:00Z",            /* century, not leap */
	        "2026-04-31T00:00:00Z",            /* April has 30 days */
	        "2026-13-01T00:00:00Z",            /* month 13 */
	        "2026-00-01T00:00:00Z",            /* month 0 */
	        "2026-01-00T00:00:00Z",            /* day 0 */
	        "2026-01-01T24:00:00Z",            /* hour 24 */
	        "2026-01-01T23:60:00Z",            /* minute 60 */
	        "2026-01-01T23:59:60Z",            /* leap second */
	        "2026-1-01T00:00:00Z",             /* short month */
	        "2026-01-01T1:00:00Z",             /* one-digit hour (Go fallback takes it) */
	        "+2026-01-01T00:00:00Z",           /* sign */
	        "-001-01-01T00:00:00Z",            /* negative year */
	        "2026-01-01T00:00:00+0100",        /* offset without colon */
	        "2026-01-01T00:00:00+01",          /* short offset */
	        "2026-01-01T00:00:00+1:00",        /* one-digit offset hour */
	        "2026-01-01T00:00:00 +01:00",      /* space before offset */
	        "2026-01-01T00:00:00+24:00",       /* offset hour 24 (Go fallback takes it) */
	        "2026-01-01T00:00:00+01:60",       /* offset minute 60 (Go fallback takes it) */
	        "2026-01-01T00:00:00*01:00",       /* not a sign */
	        "2026-01-01T00:00:00.+01:00",      /* dot without digits */
	        "\357\274\222026-01-01T00:00:00Z", /* fullwidth digit 2 */
	};
	struct ev_time t = {7, 7, 7};

	(void)state;
	for (size_t i = 0; i < EV_ARRAY_LEN(bad); i++) {
		if (parse(bad[i], &t) != EV_ERR_TIME_FORMAT)
			fail_msg("accepted or wrong code for \"%s\"", bad[i]);
	}
	assert_int_equal(t.sec, 7); /* untouched by failures */
	/* An embedded NUL is not the end of the text. */
	assert_ev_err(ev_time_parse_rfc3339("2026-01-01T00:00:00Z\0", 21, &t), EV_ERR_TIME_FORMAT);
	assert_ev_err(ev_time_parse_rfc3339(NULL, 0, &t), EV_ERR_INVALID_ARG);
}

static void
test_time_now_round_trips(void **state)
{
	char out[EV_TIME_STR_MAX];
	struct ev_time now, back;

	(void)state;
	assert_ev_ok(ev_time_now(&now));
	assert_true(now.sec > 1700000000);
	assert_ev_ok(ev_time_format_rfc3339nano(&now, out, sizeof(out)));
	assert_ev_ok(parse(out, &back));
	assert_int_equal(back.sec, now.sec);
	assert_int_equal(back.nsec, now.nsec);
	assert_int_equal(back.utc_offset, now.utc_offset / 60 * 60);
}

static void
test_status_started_on_rules(void **state)
{
	struct ev_status s;

	(void)state;
	/* null leaves the time alone; so does a missing key. */
	assert_ev_ok(status_str("{\"StartedOn\":null,\"CmdCountExt\":9}", &s));
	assert_int_equal(s.started_on.sec, 0);
	assert_int_equal(s.cmd_count_ext, 9);
	assert_ev_ok(status_str("{\"startedon\":\"2026-03-01T12:00:00.25+02:00\"}", &s));
	assert_int_equal(s.started_on.sec, 1772366400 - 7200);
	assert_int_equal(s.started_on.nsec, 250000000);
	assert_int_equal(s.started_on.utc_offset, 7200);
	assert_ev_err(status_str("{\"StartedOn\":1772366400}", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(status_str("{\"StartedOn\":{}}", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(status_str("{\"StartedOn\":\"yesterday\"}", &s), EV_ERR_TIME_FORMAT);
	/* Every occurrence is parsed, as Go calls UnmarshalJSON for each. */
	assert_ev_err(
	        status_str("{\"StartedOn\":\"bad\",\"startedon\":\"2026-03-01T12:00:00Z\"}", &s),
	        EV_ERR_TIME_FORMAT);
}

static void
test_status_time_error_beats_type_error(void **state)
{
	struct ev_status s;

	(void)state;
	/* Go stops at a failing UnmarshalJSON but only remembers type errors. */
	assert_ev_err(status_str("{\"CmdCountDev\":\"3\",\"StartedOn\":\"bad\"}", &s),
	              EV_ERR_TIME_FORMAT);
	assert_ev_err(status_str("{\"StartedOn\":\"bad\",\"CmdCountDev\":\"3\"}", &s),
	              EV_ERR_TIME_FORMAT);
	assert_ev_err(status_str("{\"CmdCountDev\":1.5,\"StartedOn\":5}", &s), EV_ERR_JSON_TYPE);
}

static void
test_status_number_ranges(void **state)
{
	struct ev_status s, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_ev_ok(
	        status_str("{\"CmdCountDev\":4294967295,\"ExpireOn\":9223372036854775807}", &s));
	assert_int_equal(s.cmd_count_dev, 4294967295u);
	assert_ev_err(status_str("{\"CmdCountDev\":4294967296}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(status_str("{\"CmdCountApp\":-1}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(status_str("{\"ExpireOn\":-1}", &s), EV_ERR_JSON_RANGE);
	assert_ev_err(status_str("{\"CmdCountExt\":\"1\"}", &s), EV_ERR_JSON_TYPE);
	assert_memory_equal(&s, &zero, sizeof(s));
}

static void
test_status_syntax_and_shape(void **state)
{
	struct ev_status s;

	(void)state;
	for (size_t n = 0; n < strlen(STATS_JSON); n++)
		assert_ev_err(ev_status_decode(STATS_JSON, n, &s), EV_ERR_JSON_SYNTAX);
	assert_ev_err(status_str(STATS_JSON "x", &s), EV_ERR_JSON_SYNTAX);
	assert_ev_err(status_str("[]", &s), EV_ERR_JSON_TYPE);
	assert_ev_err(status_str("\"2026-03-01T12:00:00Z\"", &s), EV_ERR_JSON_TYPE);
	assert_ev_ok(status_str("null", &s));
	assert_ev_ok(status_str("{\"EXPIREON\":5,\"other\":[]}", &s));
	assert_int_equal(s.expire_on, 5);
}

static void
test_evstats_decode_rules(void **state)
{
	struct ev_evstats e;

	(void)state;
	assert_ev_ok(evstats_str("{\"INSTID\":3,\"STATS\":{\"startedON\":\"2026-03-01T12:00:00Z\","
	                         "\"cmdcountdev\":4},\"x\":1}",
	                         &e));
	assert_int_equal(e.inst_id, 3);
	assert_int_equal(e.stats.started_on.sec, 1772366400);
	assert_int_equal(e.stats.cmd_count_dev, 4);
	/* Objects under two spellings of the key merge, as in Go. */
	assert_ev_ok(
	        evstats_str("{\"stats\":{\"CmdCountDev\":1},\"Stats\":{\"CmdCountApp\":2}}", &e));
	assert_int_equal(e.stats.cmd_count_dev, 1);
	assert_int_equal(e.stats.cmd_count_app, 2);
	assert_ev_ok(evstats_str("{\"instID\":2,\"stats\":null}", &e));
	assert_ev_ok(evstats_str("null", &e));
	assert_int_equal(e.inst_id, 0);
	assert_ev_err(evstats_str("{\"instID\":\"2\"}", &e), EV_ERR_JSON_TYPE);
	assert_ev_err(evstats_str("{\"instID\":2.5}", &e), EV_ERR_JSON_RANGE);
	assert_ev_err(evstats_str("{\"stats\":\"x\"}", &e), EV_ERR_JSON_TYPE);
	assert_ev_err(evstats_str("{\"stats\":[]}", &e), EV_ERR_JSON_TYPE);
	assert_ev_err(evstats_str("[2]", &e), EV_ERR_JSON_TYPE);
	assert_ev_err(evstats_str("{\"instID\":2}}", &e), EV_ERR_JSON_SYNTAX);
}

static void
test_evstats_first_error_in_document_order(void **state)
{
	struct ev_evstats e;

	(void)state;
	assert_ev_err(evstats_str("{\"instID\":\"x\",\"stats\":{\"CmdCountDev\":-1}}", &e),
	              EV_ERR_JSON_TYPE);
	assert_ev_err(evstats_str("{\"stats\":{\"CmdCountDev\":-1},\"instID\":\"x\"}", &e),
	              EV_ERR_JSON_RANGE);
	assert_ev_err(evstats_str("{\"instID\":\"x\",\"stats\":{\"StartedOn\":\"bad\"}}", &e),
	              EV_ERR_TIME_FORMAT);
}

static void
test_evstats_validate_instance(void **state)
{
	struct ev_evstats e = {0};

	(void)state;
	for (int64_t id = -1; id <= 7; id++) {
		e.inst_id = id;
		if (id >= 2 && id <= 5)
			assert_ev_ok(ev_evstats_validate(&e));
		else
			assert_ev_err(ev_evstats_validate(&e), EV_ERR_INST_RANGE);
	}
	assert_ev_err(ev_evstats_validate(NULL), EV_ERR_INVALID_ARG);
}

static void
test_evstats_size_cap(void **state)
{
	size_t n = EV_MAX_STATUS_JSON + 1;
	char *big = malloc(n);
	struct ev_evstats e;
	struct ev_status s;

	(void)state;
	assert_non_null(big);
	memset(big, '\n', n);
	memcpy(big, "{}", 2);
	assert_ev_err(ev_evstats_decode(big, n, &e), EV_ERR_TOO_BIG);
	assert_ev_err(ev_status_decode(big, n, &s), EV_ERR_TOO_BIG);
	assert_ev_ok(ev_evstats_decode(big, n - 1, &e));
	free(big);
}

static void
test_status_encode_failures_leave_buffer(void **state)
{
	struct ev_buf *b = ev_buf_new(64);
	struct ev_evstats e = evstats_vector;

	(void)state;
	assert_non_null(b);
	assert_ev_ok(ev_buf_put_str(b, "keep"));
	assert_ev_err(ev_evstats_encode(&e, b), EV_ERR_BUF_FULL);
	assert_buf_is(b, "keep");
	e.stats.started_on.sec = 253402300800; /* year 10000: Go refuses too */
	assert_ev_err(ev_status_encode(&e.stats, b), EV_ERR_TIME_RANGE);
	assert_buf_is(b, "keep");
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_evstats_vector),
	        cmocka_unit_test(test_status_object_alone),
	        cmocka_unit_test(test_time_format_like_go),
	        cmocka_unit_test(test_time_format_refusals),
	        cmocka_unit_test(test_time_parse_like_go),
	        cmocka_unit_test(test_time_parse_rejections),
	        cmocka_unit_test(test_time_now_round_trips),
	        cmocka_unit_test(test_status_started_on_rules),
	        cmocka_unit_test(test_status_time_error_beats_type_error),
	        cmocka_unit_test(test_status_number_ranges),
	        cmocka_unit_test(test_status_syntax_and_shape),
	        cmocka_unit_test(test_evstats_decode_rules),
	        cmocka_unit_test(test_evstats_first_error_in_document_order),
	        cmocka_unit_test(test_evstats_validate_instance),
	        cmocka_unit_test(test_evstats_size_cap),
	        cmocka_unit_test(test_status_encode_failures_leave_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
