/* test_ag_newlog.c - LogEntry lines and gzip batches as EVE's newlogd and Adam expect them. */
#include "ev_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_log.h"
#include "newlog.h"

/* ---- a gzip member, decoded ---- */

struct gz {
	char comment[1024];
	char name[64];
	unsigned long mtime;
	int os;
	uint8_t *body;
	size_t len;
};

/* Decode exactly one gzip member (nothing after it). */
static void
gunzip(const uint8_t *in, size_t inlen, struct gz *g)
{
	z_stream zs;
	gz_header h;
	size_t cap = 1u << 20;
	int zr;

	memset(g, 0, sizeof(*g));
	memset(&zs, 0, sizeof(zs));
	memset(&h, 0, sizeof(h));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	h.comment = (Bytef *)g->comment;
	h.comm_max = sizeof(g->comment) - 1;
	h.name = (Bytef *)g->name;
	h.name_max = sizeof(g->name) - 1;
	assert_int_equal(inflateGetHeader(&zs, &h), Z_OK);
	g->body = malloc(cap);
	assert_non_null(g->body);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = g->body;
	zs.avail_out = (uInt)cap;
	zr = inflate(&zs, Z_FINISH);
	assert_int_equal(zr, Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* one member, nothing after it */
	assert_int_equal(h.done, 1);
	g->len = cap - zs.avail_out;
	g->mtime = h.time;
	g->os = h.os;
	inflateEnd(&zs);
}

/* ---- collecting batches ---- */

struct sink {
	uint8_t *data[256];
	size_t len[256];
	struct ag_newlog_batch meta[256];
	size_t n;
	int fail; /* fail this many emits */
};

static int
collect(void *arg, const struct ag_newlog_batch *b)
{
	struct sink *s = arg;

	if (s->fail > 0) {
		s->fail--;
		return EV_ERR_IO;
	}
	assert_true(s->n < 256);
	s->data[s->n] = malloc(b->len);
	assert_non_null(s->data[s->n]);
	memcpy(s->data[s->n], b->data, b->len);
	s->len[s->n] = b->len;
	s->meta[s->n] = *b;
	s->meta[s->n].data = NULL;
	s->n++;
	return 0;
}

static void
sink_free(struct sink *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->data[i]);
	s->n = 0;
}

static struct ag_newlog *
new_nl(struct sink *s, uint64_t *msgid)
{
	struct ag_newlog_opts o;
	struct ag_newlog *nl = NULL;

	memset(&o, 0, sizeof(o));
	o.dev_id = "8a6ac9f6-1d0b-4f2c-9c0a-6f3c3a1e2b11";
	o.image = "IMGA";
	o.eve_version = "0.1.0-agent";
	o.emit = collect;
	o.emit_arg = s;
	o.msgid = msgid;
	o.min_level = EV_LOG_INFO;
	assert_ev_ok(ag_newlog_new(&o, &nl));
	return nl;
}

static char *
line_json(const struct ag_log_entry *e, uint64_t msgid)
{
	struct ev_buf *b = ev_buf_new(1u << 20);
	uint8_t *p = NULL;
	size_t len;

	assert_non_null(b);
	assert_ev_ok(ag_newlog_entry_json(e, msgid, b));
	assert_ev_ok(ev_buf_take(b, &p, &len));
	ev_buf_free(b);
	return (char *)p;
}

static void
test_entry_json(void **state)
{
	struct ag_log_tag tags[] = {{"zeta", "1"}, {"count", "2"}, {"a<b", "x&y"}};
	struct ag_log_entry e;
	char *s;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.severity = "info";
	e.source = "eve-agent";
	e.iid = "1234";
	e.content = "hello \"world\" <tag> & \xe2\x80\xa8 \x01";
	e.tags = tags;
	e.ntags = EV_ARRAY_LEN(tags);
	e.ts_sec = 1733399305;
	e.ts_nanos = 873489712;
	e.filename = "/agent/x.c:12";
	e.function = "main";
	s = line_json(&e, 29839);
	assert_string_equal(
	        s, "{\"severity\":\"info\",\"source\":\"eve-agent\",\"iid\":\"1234\","
	           "\"content\":\"hello \\\"world\\\" \\u003ctag\\u003e \\u0026 \\u2028 \\u0001\","
	           "\"msgid\":29839,\"tags\":{\"a\\u003cb\":\"x\\u0026y\",\"count\":\"2\","
	           "\"zeta\":\"1\"},\"timestamp\":{\"seconds\":1733399305,\"nanos\":873489712},"
	           "\"filename\":\"/agent/x.c:12\",\"function\":\"main\"}");
	free(s);

	/* Go's omitempty everywhere, nanos 0 left out */
	memset(&e, 0, sizeof(e));
	e.ts_sec = 5;
	s = line_json(&e, 0);
	assert_string_equal(s, "{\"timestamp\":{\"seconds\":5}}");
	free(s);
	e.ts_sec = 0;
	e.ts_nanos = 7;
	e.content = "";
	s = line_json(&e, 1);
	assert_string_equal(s, "{\"msgid\":1,\"timestamp\":{\"nanos\":7}}");
	free(s);

	/* bad input */
	{
		struct ev_buf *b = ev_buf_new(1024);
		struct ag_log_tag dup[] = {{"k", "1"}, {"k", "2"}};

		e.ts_nanos = 1000000000;
		assert_ev_err(ag_newlog_entry_json(&e, 1, b), EV_ERR_INVALID_ARG);
		e.ts_nanos = 0;
		e.tags = dup;
		e.ntags = 2;
		assert_ev_err(ag_newlog_entry_json(&e, 1, b), EV_ERR_INVALID_ARG);
		e.ntags = AG_NEWLOG_MAX_TAGS + 1;
		assert_ev_err(ag_newlog_entry_json(&e, 1, b), EV_ERR_INVALID_ARG);
		ev_buf_free(b);
	}
}

/* Lines never reach 64 KiB; content is cut at a UTF-8 boundary with "...". */
static void
test_line_cap(void **state)
{
	static const char *const fill[] = {"a", "<", "\x01", "\xc3\xa9", "\xe2\x82\xac", "\xff"};
	struct ag_log_entry e;
	size_t i, n = 200000;
	char *content = malloc(n + 1), *s;

	(void)state;
	assert_non_null(content);
	for (i = 0; i < EV_ARRAY_LEN(fill); i++) {
		size_t k, fl = strlen(fill[i]);
		json_t *j;
		json_error_t err;
		const char *c;

		for (k = 0; k + fl <= n; k += fl)
			memcpy(content + k, fill[i], fl);
		content[k] = '\0';
		memset(&e, 0, sizeof(e));
		e.severity = "info";
		e.source = "s";
		e.content = content;
		e.ts_sec = 1;
		s = line_json(&e, 42);
		assert_true(strlen(s) + 1 <= AG_NEWLOG_MAX_LINE);
		assert_true(strlen(s) + 1 > AG_NEWLOG_MAX_LINE - 16); /* as much as fits */
		/* still one valid JSON object, content ends in "..." */
		j = json_loads(s, 0, &err);
		if (j == NULL)
			fail_msg("fill %zu: %s", i, err.text);
		c = json_string_value(json_object_get(j, "content"));
		assert_non_null(c);
		assert_int_equal(strcmp(c + strlen(c) - 3, "..."), 0);
		assert_int_equal(json_integer_value(json_object_get(j, "msgid")), 42);
		json_decref(j);
		free(s);
	}
	/* short content is not touched */
	memset(&e, 0, sizeof(e));
	e.content = "short";
	s = line_json(&e, 1);
	assert_non_null(strstr(s, "\"content\":\"short\""));
	free(s);
	free(content);
}

static void
test_header_json(void **state)
{
	struct ev_buf *b = ev_buf_new(4096);
	char big[600];

	(void)state;
	assert_ev_ok(
	        ag_newlog_header_json("8a6ac9f6-1d0b-4f2c-9c0a-6f3c3a1e2b11", "IMGA", "0.1.0", b));
	assert_string_equal(ev_buf_str(b), "{\"devID\":\"8a6ac9f6-1d0b-4f2c-9c0a-6f3c3a1e2b11\","
	                                   "\"image\":\"IMGA\",\"eveVersion\":\"0.1.0\"}");
	ev_buf_reset(b);
	assert_ev_ok(ag_newlog_header_json(NULL, "", "v", b));
	assert_string_equal(ev_buf_str(b), "{\"eveVersion\":\"v\"}");
	ev_buf_reset(b);
	/* not Latin-1 safe as raw UTF-8: escaped, so the comment is ASCII */
	assert_ev_ok(ag_newlog_header_json("d", "caf\xc3\xa9", "\xf0\x9f\x98\x80<", b));
	assert_string_equal(ev_buf_str(b),
	                    "{\"devID\":\"d\",\"image\":\"caf\\u00e9\",\"eveVersion\":"
	                    "\"\\ud83d\\ude00\\u003c\"}");
	ev_buf_reset(b);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_ev_err(ag_newlog_header_json("d", "IMGA", big, b), EV_ERR_REPORT_FIELD);
	ev_buf_free(b);
}

static void
test_logrus_json(void **state)
{
	struct ag_log_tag f[] = {{"obj_type", "newlog-gen-event"}, {"obj_name", "edgeview-cmd"}};
	struct ag_logrus l;
	struct ev_buf *b = ev_buf_new(65536);

	(void)state;
	memset(&l, 0, sizeof(l));
	l.level = "info";
	l.msg = "recv[ep:203.0.113.7:50522, (alice)] cmd: tcp/localhost:5901 (vm)";
	l.source = "edgeview";
	l.pid = 77;
	l.t_sec = 1733399305;
	l.t_nsec = 873489000;
	l.fields = f;
	l.nfields = 2;
	assert_ev_ok(ag_newlog_logrus_json(&l, b));
	assert_string_equal(
	        ev_buf_str(b),
	        "{\"level\":\"info\",\"msg\":\"recv[ep:203.0.113.7:50522, (alice)] cmd: "
	        "tcp/localhost:5901 (vm)\",\"obj_name\":\"edgeview-cmd\",\"obj_type\":"
	        "\"newlog-gen-event\",\"pid\":77,\"source\":\"edgeview\",\"time\":"
	        "\"2024-12-05T11:48:25.873489Z\"}");
	ev_buf_reset(b);
	l.fields = NULL;
	l.nfields = 0;
	l.file = "agent/spool.c:10";
	l.func = "put";
	l.pid = 0;
	l.t_nsec = 0;
	assert_ev_ok(ag_newlog_logrus_json(&l, b));
	assert_string_equal(ev_buf_str(b),
	                    "{\"file\":\"agent/spool.c:10\",\"func\":\"put\",\"level\":\"info\","
	                    "\"msg\":\"recv[ep:203.0.113.7:50522, (alice)] cmd: tcp/localhost:5901 "
	                    "(vm)\",\"source\":\"edgeview\",\"time\":\"2024-12-05T11:48:25Z\"}");
	/* a field may not repeat a fixed key */
	{
		struct ag_log_tag bad[] = {{"msg", "x"}};

		l.fields = bad;
		l.nfields = 1;
		assert_ev_err(ag_newlog_logrus_json(&l, b), EV_ERR_INVALID_ARG);
	}
	ev_buf_free(b);
	assert_string_equal(ag_newlog_severity(EV_LOG_NOTICE), "info");
	assert_string_equal(ag_newlog_severity(EV_LOG_WARN), "warning");
	assert_string_equal(ag_newlog_severity(EV_LOG_ERR), "error");
	assert_string_equal(ag_newlog_severity(EV_LOG_DEBUG), "debug");
}

static void
test_batch_roundtrip(void **state)
{
	struct sink s = {0};
	uint64_t msgid = 100;
	struct ag_newlog *nl = new_nl(&s, &msgid);
	struct ag_log_entry e;
	struct gz g;
	time_t t0 = time(NULL);
	char content[64], *expect = calloc(1, 65536);
	size_t i, at = 0;

	(void)state;
	assert_non_null(expect);
	for (i = 0; i < 20; i++) {
		char *line;

		snprintf(content, sizeof(content), "event %zu", i);
		memset(&e, 0, sizeof(e));
		e.severity = "info";
		e.source = "eve-agent";
		e.content = content;
		e.ts_sec = 1700000000 + (int64_t)i;
		assert_ev_ok(ag_newlog_add(nl, &e));
		line = line_json(&e, 100 + i);
		at += (size_t)snprintf(expect + at, 65536 - at, "%s\n", line);
		free(line);
	}
	assert_int_equal(ag_newlog_pending(nl), 20);
	assert_int_equal(s.n, 0);
	assert_ev_ok(ag_newlog_flush(nl));
	assert_int_equal(s.n, 1);
	assert_int_equal(ag_newlog_pending(nl), 0);
	assert_int_equal(s.meta[0].nentries, 20);
	assert_int_equal(s.meta[0].first_msgid, 100);
	assert_int_equal(s.meta[0].last_msgid, 119);
	assert_int_equal(msgid, 120); /* the shared counter moved */
	gunzip(s.data[0], s.len[0], &g);
	assert_string_equal(g.comment, "{\"devID\":\"8a6ac9f6-1d0b-4f2c-9c0a-6f3c3a1e2b11\","
	                               "\"image\":\"IMGA\",\"eveVersion\":\"0.1.0-agent\"}");
	assert_string_equal(g.name, "");
	assert_int_equal(g.os, 255);
	assert_true(g.mtime >= (unsigned long)t0 && g.mtime <= (unsigned long)time(NULL));
	assert_int_equal(g.len, at);
	assert_memory_equal(g.body, expect, at);
	/* XFL says "best compression" as Go writes it; header flags: FCOMMENT only */
	assert_int_equal(s.data[0][3], 0x10);
	assert_int_equal(s.data[0][8], 2);
	free(g.body);

	/* an empty flush emits nothing */
	assert_ev_ok(ag_newlog_flush(nl));
	assert_int_equal(s.n, 1);

	/* gzip(1) reads it too */
	{
		char *dir = tv_tmpdir(), path[4096], cmd[8300], out[65536];
		FILE *f;
		size_t got;

		snprintf(path, sizeof(path), "%s/dev.log.1.gz", dir);
		assert_non_null(f = fopen(path, "wb"));
		assert_int_equal(fwrite(s.data[0], 1, s.len[0], f), s.len[0]);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
		if ((f = popen(cmd, "r")) != NULL) {
			got = fread(out, 1, sizeof(out), f);
			if (pclose(f) == 0) {
				assert_int_equal(got, at);
				assert_memory_equal(out, expect, at);
			}
		}
		tv_rmrf(dir);
		free(dir);
	}
	free(expect);
	sink_free(&s);
	ag_newlog_free(nl);
}

/* xorshift: incompressible content */
static uint64_t rng = 88172645463325252ull;
static char
rnd_char(void)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return al[rng % 64];
}

static void
check_batches(struct sink *s, size_t total_entries, bool expect_full)
{
	size_t i, seen = 0;
	uint64_t next = 0;

	for (i = 0; i < s->n; i++) {
		struct gz g;
		size_t k, lines = 0;

		if (s->len[i] > AG_NEWLOG_HARD_CAP)
			fail_msg("batch %zu is %zu bytes", i, s->len[i]);
		/* every batch but the last was closed at about 50,000 bytes */
		if (expect_full && i + 1 < s->n && s->len[i] < AG_NEWLOG_SOFT_CAP - 8000)
			fail_msg("batch %zu closed early at %zu bytes", i, s->len[i]);
		gunzip(s->data[i], s->len[i], &g);
		if (getenv("AG_TEST_VERBOSE") != NULL)
			print_message("batch %zu: %zu bytes, %zu entries, %zu bytes of text\n", i,
			              s->len[i], s->meta[i].nentries, g.len);
		for (k = 0; k < g.len; k++)
			lines += g.body[k] == '\n';
		assert_int_equal(lines, s->meta[i].nentries);
		if (i > 0)
			assert_int_equal(s->meta[i].first_msgid, next);
		next = s->meta[i].last_msgid + 1;
		seen += lines;
		free(g.body);
	}
	assert_int_equal(seen, total_entries);
}

static void
test_batch_caps(void **state)
{
	struct sink s = {0};
	struct ag_newlog *nl = new_nl(&s, NULL);
	struct ag_log_entry e;
	struct ag_newlog_stats st;
	char *content = malloc(70000);
	size_t i, k, n;

	(void)state;
	assert_non_null(content);
	/* 1: compressible lines (logs look like this) */
	for (i = 0; i < 6000; i++) {
		snprintf(content, 200, "config poll %zu: controller answered 304 in %zu ms", i,
		         i % 97);
		memset(&e, 0, sizeof(e));
		e.severity = "info";
		e.source = "eve-agent";
		e.content = content;
		e.ts_sec = 1700000000 + (int64_t)i;
		assert_ev_ok(ag_newlog_add(nl, &e));
	}
	assert_ev_ok(ag_newlog_flush(nl));
	assert_true(s.n >= 2);
	check_batches(&s, 6000, true);
	sink_free(&s);

	/* 2: incompressible lines of random sizes, up to the maximum */
	for (n = 0, i = 0; i < 300; i++, n++) {
		size_t len = i % 10 == 0 ? 69999 : (size_t)(rng % 9000);

		for (k = 0; k < len; k++)
			content[k] = rnd_char();
		content[len] = '\0';
		memset(&e, 0, sizeof(e));
		e.content = content;
		e.ts_sec = 1;
		assert_ev_ok(ag_newlog_add(nl, &e));
	}
	assert_ev_ok(ag_newlog_flush(nl));
	check_batches(&s, n, false);
	ag_newlog_get_stats(nl, &st);
	assert_true(st.max_batch <= AG_NEWLOG_HARD_CAP);
	assert_true(st.truncated >= 30);
	sink_free(&s);

	/* 3: one maximal incompressible line alone fits */
	for (k = 0; k < 69999; k++)
		content[k] = rnd_char();
	content[k] = '\0';
	e.content = content;
	assert_ev_ok(ag_newlog_add(nl, &e));
	assert_ev_ok(ag_newlog_flush(nl));
	assert_int_equal(s.n, 1);
	assert_true(s.len[0] <= AG_NEWLOG_HARD_CAP);
	check_batches(&s, 1, false);
	sink_free(&s);
	free(content);
	ag_newlog_free(nl);
}

static void
test_emit_failure_keeps_batch(void **state)
{
	struct sink s = {0};
	struct ag_newlog *nl = new_nl(&s, NULL);
	struct ag_log_entry e;
	struct ag_newlog_stats st;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.content = "kept";
	e.ts_sec = 1;
	assert_ev_ok(ag_newlog_add(nl, &e));
	s.fail = 2;
	assert_ev_err(ag_newlog_flush(nl), EV_ERR_IO);
	assert_int_equal(s.n, 0);
	assert_ev_err(ag_newlog_flush(nl), EV_ERR_IO); /* offered again, fails again */
	assert_ev_ok(ag_newlog_flush(nl));
	assert_int_equal(s.n, 1);
	check_batches(&s, 1, false);
	ag_newlog_get_stats(nl, &st);
	assert_int_equal(st.emit_failures, 2);
	assert_int_equal(st.lost_batches, 0);
	sink_free(&s);

	/* discard drops both the open batch and a failed one */
	assert_ev_ok(ag_newlog_add(nl, &e));
	s.fail = 2; /* the flush, and the retry at the next add */
	assert_ev_err(ag_newlog_flush(nl), EV_ERR_IO);
	assert_ev_ok(ag_newlog_add(nl, &e));
	ag_newlog_discard(nl);
	assert_ev_ok(ag_newlog_flush(nl));
	assert_int_equal(s.n, 0);
	ag_newlog_free(nl);
}

static void
test_own_log_lines(void **state)
{
	struct sink s = {0};
	struct ag_newlog *nl = new_nl(&s, NULL);
	struct ev_log_site site = {"agent/agent.c", "agent_poll", 42};
	struct gz g;
	json_t *j, *c;
	json_error_t err;
	char *nlpos;

	(void)state;
	ag_newlog_sink(EV_LOG_NOTICE, &site, "config changed", nl);
	ag_newlog_sink(EV_LOG_DEBUG, &site, "not sent: above min_level", nl);
	assert_int_equal(ag_newlog_pending(nl), 1);
	assert_ev_ok(ag_newlog_flush(nl));
	assert_int_equal(s.n, 1);
	gunzip(s.data[0], s.len[0], &g);
	nlpos = memchr(g.body, '\n', g.len);
	assert_non_null(nlpos);
	*nlpos = '\0';
	j = json_loads((char *)g.body, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "severity")), "info");
	assert_string_equal(json_string_value(json_object_get(j, "source")), "eve-agent");
	assert_string_equal(json_string_value(json_object_get(j, "filename")), "agent/agent.c:42");
	assert_string_equal(json_string_value(json_object_get(j, "function")), "agent_poll");
	assert_int_equal(json_integer_value(json_object_get(j, "msgid")), 1);
	c = json_loads(json_string_value(json_object_get(j, "content")), 0, &err);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "msg")), "config changed");
	assert_string_equal(json_string_value(json_object_get(c, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(c, "source")), "eve-agent");
	assert_int_equal(json_integer_value(json_object_get(c, "pid")), getpid());
	json_decref(c);
	json_decref(j);
	free(g.body);
	sink_free(&s);
	ag_newlog_free(nl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_entry_json),
	        cmocka_unit_test(test_line_cap),
	        cmocka_unit_test(test_header_json),
	        cmocka_unit_test(test_logrus_json),
	        cmocka_unit_test(test_batch_roundtrip),
	        cmocka_unit_test(test_batch_caps),
	        cmocka_unit_test(test_emit_failure_keeps_batch),
	        cmocka_unit_test(test_own_log_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
