/* test_ag_audit.c - edgeviewd's audit file into newlog events: exactly once, across restarts,
 * truncation, rotation and partial lines. */
#include "ev_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "audit.h"
#include "ev_err.h"
#include "spool.h"

struct fx {
	char *dir;
	char log[4096], state[4096], spool[4096];
	struct ag_spool *sp;
	struct ag_audit *a;
	uint64_t msgid;
};

static void
open_audit(struct fx *f)
{
	struct ag_audit_opts o;

	memset(&o, 0, sizeof(o));
	o.path = f->log;
	o.state_path = f->state;
	o.edgeview_pid = 4321;
	o.dev_id = "8a6ac9f6-1d0b-4f2c-9c0a-6f3c3a1e2b11";
	o.image = "IMGA";
	o.eve_version = "0.1.0";
	o.msgid = &f->msgid;
	assert_ev_ok(ag_audit_open(&o, &f->a));
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tv_tmpdir();
	snprintf(f->log, sizeof(f->log), "%s/audit.log", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/audit.offset", f->dir);
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
	f->msgid = 1;
	assert_ev_ok(ag_spool_open(f->spool, NULL, &f->sp));
	open_audit(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	ag_audit_free(f->a);
	ag_spool_close(f->sp);
	tv_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
append(const char *path, const char *text)
{
	FILE *fp = fopen(path, "ab");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static size_t
poll_all(struct fx *f)
{
	size_t n = 0, k;
	int more = 1, rounds = 0;

	while (more && rounds++ < 100) {
		assert_ev_ok(ag_audit_poll(f->a, f->sp, &k, &more));
		n += k;
	}
	return n;
}

/* The messages (content.msg) of all queued newlog batches, in order, one per
 * line; the batches are acknowledged.  Checks each entry's shape. */
static char *
drain(struct fx *f, size_t *nentries)
{
	static char out[1 << 20];
	struct ag_spool_item it;
	size_t at = 0;

	*nentries = 0;
	out[0] = '\0';
	while (ag_spool_peek(f->sp, "newlogs", 0, &it) == 0) {
		static uint8_t body[1 << 20];
		z_stream zs;
		char *line, *next;

		assert_int_equal(strncmp(it.key, "audit-", 6), 0);
		memset(&zs, 0, sizeof(zs));
		assert_int_equal(inflateInit2(&zs, 31), Z_OK);
		zs.next_in = it.data;
		zs.avail_in = (uInt)it.len;
		zs.next_out = body;
		zs.avail_out = sizeof(body) - 1;
		assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
		body[sizeof(body) - 1 - zs.avail_out] = '\0';
		inflateEnd(&zs);
		for (line = (char *)body; *line != '\0'; line = next) {
			json_error_t err;
			json_t *j, *c;
			const char *msg;

			next = strchr(line, '\n');
			assert_non_null(next);
			*next++ = '\0';
			j = json_loads(line, 0, &err);
			assert_non_null(j);
			assert_string_equal(json_string_value(json_object_get(j, "severity")),
			                    "info");
			assert_string_equal(json_string_value(json_object_get(j, "source")),
			                    "edgeview");
			assert_string_equal(json_string_value(json_object_get(j, "iid")), "4321");
			assert_null(json_object_get(j, "tags"));
			assert_null(json_object_get(j, "filename"));
			assert_true(json_integer_value(json_object_get(j, "msgid")) > 0);
			c = json_loads(json_string_value(json_object_get(j, "content")), 0, &err);
			assert_non_null(c);
			assert_string_equal(json_string_value(json_object_get(c, "obj_type")),
			                    "newlog-gen-event");
			assert_string_equal(json_string_value(json_object_get(c, "obj_name")),
			                    "edgeview-cmd");
			assert_string_equal(json_string_value(json_object_get(c, "level")), "info");
			assert_string_equal(json_string_value(json_object_get(c, "source")),
			                    "edgeview");
			assert_int_equal(json_integer_value(json_object_get(c, "pid")), 4321);
			msg = json_string_value(json_object_get(c, "msg"));
			assert_non_null(msg);
			at += (size_t)snprintf(out + at, sizeof(out) - at, "%s\n", msg);
			(*nentries)++;
			json_decref(c);
			json_decref(j);
		}
		assert_ev_ok(ag_spool_result(f->sp, &it, 201, 0, NULL));
		ag_spool_item_free(&it);
	}
	return out;
}

static void
test_lines_and_restart(void **state)
{
	struct fx *f = *state;
	size_t n;
	char *got;

	/* nothing there yet */
	assert_int_equal(poll_all(f), 0);
	append(f->log, "recv[ep:203.0.113.7:50522, (alice)] cmd: pub/global\n"
	               "recv[ep:203.0.113.7:50522] cmd: ping/8.8.8.8\n"
	               "recv[ep-inst-2:198.51.100.1:1] cmd: tcp/localhost:5901 (vm1)\n"
	               "recv[ep:203.0.113.7:50522] cmd: log/s");
	assert_int_equal(poll_all(f), 3); /* the last line is not finished */
	got = drain(f, &n);
	assert_int_equal(n, 3);
	assert_string_equal(got, "recv[ep:203.0.113.7:50522, (alice)] cmd: pub/global\n"
	                         "recv[ep:203.0.113.7:50522] cmd: ping/8.8.8.8\n"
	                         "recv[ep-inst-2:198.51.100.1:1] cmd: tcp/localhost:5901 (vm1)\n");
	append(f->log, "earch -time 1-2\n");
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:203.0.113.7:50522] cmd: log/search -time 1-2\n");
	assert_int_equal(poll_all(f), 0);

	/* the agent restarts: nothing is sent twice, nothing is lost */
	ag_audit_free(f->a);
	append(f->log, "recv[ep:203.0.113.7:50522] cmd: ps/\n");
	open_audit(f);
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:203.0.113.7:50522] cmd: ps/\n");
	ag_audit_free(f->a);
	open_audit(f);
	assert_int_equal(poll_all(f), 0);
	assert_int_equal(ag_spool_count(f->sp, NULL), 0);
}

/* The agent died after queueing a batch but before saving the offset: the
 * batch read again replaces the queued one instead of doubling it. */
static void
test_crash_between_spool_and_offset(void **state)
{
	struct fx *f = *state;
	size_t n;

	append(f->log, "recv[ep:a] cmd: one\nrecv[ep:a] cmd: two\n");
	assert_int_equal(poll_all(f), 2);
	assert_int_equal(ag_spool_count(f->sp, NULL), 1);
	ag_audit_free(f->a);
	assert_int_equal(unlink(f->state), 0); /* as if never saved */
	open_audit(f);
	assert_int_equal(poll_all(f), 2);
	assert_int_equal(ag_spool_count(f->sp, NULL), 1);
	(void)drain(f, &n);
	assert_int_equal(n, 2);
}

static void
test_truncation_and_rewrite(void **state)
{
	struct fx *f = *state;
	size_t n;
	char *got;
	FILE *fp;

	append(f->log, "recv[ep:a] cmd: first line, quite long\nrecv[ep:a] cmd: second\n");
	assert_int_equal(poll_all(f), 2);
	(void)drain(f, &n);
	/* truncated (copytruncate) and written again, shorter */
	assert_non_null(fp = fopen(f->log, "w"));
	fputs("recv[ep:b] cmd: after truncate\n", fp);
	fclose(fp);
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:b] cmd: after truncate\n");
	/* rewritten in place with the same length: the bytes before the offset changed */
	assert_non_null(fp = fopen(f->log, "r+"));
	fputs("recv[ep:c] cmd: rewritten same\n", fp);
	fclose(fp);
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:c] cmd: rewritten same\n");
	/* truncated and grown past the old offset between two polls */
	assert_non_null(fp = fopen(f->log, "w"));
	fputs("recv[ep:d] cmd: x\nrecv[ep:d] cmd: y\nrecv[ep:d] cmd: z\n", fp);
	fclose(fp);
	assert_int_equal(poll_all(f), 3);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:d] cmd: x\nrecv[ep:d] cmd: y\nrecv[ep:d] cmd: z\n");
}

static void
test_rotation(void **state)
{
	struct fx *f = *state;
	char rotated[4200];
	size_t n;
	char *got;

	snprintf(rotated, sizeof(rotated), "%s.1", f->log);
	append(f->log, "recv[ep:a] cmd: old 1\n");
	assert_int_equal(poll_all(f), 1);
	(void)drain(f, &n);
	/* written after our last poll, then rotated away */
	append(f->log, "recv[ep:a] cmd: old 2\n");
	assert_int_equal(rename(f->log, rotated), 0);
	/* the writer still holds the old file: nothing new yet, place kept */
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:a] cmd: old 2\n");
	append(rotated, "recv[ep:a] cmd: old 3\n");
	append(f->log, "recv[ep:b] cmd: new 1\nrecv[ep:b] cmd: new 2\n");
	assert_int_equal(poll_all(f), 3);
	got = drain(f, &n);
	assert_string_equal(
	        got, "recv[ep:a] cmd: old 3\nrecv[ep:b] cmd: new 1\nrecv[ep:b] cmd: new 2\n");
	/* replaced without a .1 copy: the new file is read from its start */
	assert_int_equal(unlink(f->log), 0);
	assert_int_equal(unlink(rotated), 0);
	append(f->log, "recv[ep:c] cmd: fresh\n");
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_string_equal(got, "recv[ep:c] cmd: fresh\n");
}

static void
test_long_lines_and_time_prefix(void **state)
{
	struct fx *f = *state;
	char *big = malloc(3 * AG_AUDIT_MAX_LINE), *got;
	size_t n;

	assert_non_null(big);
	memset(big, 'x', 3 * AG_AUDIT_MAX_LINE - 1);
	big[3 * AG_AUDIT_MAX_LINE - 1] = '\0';
	append(f->log, "recv[ep:a] cmd: ");
	append(f->log, big); /* no newline yet, longer than a line may be */
	assert_int_equal(poll_all(f), 1);
	append(f->log, big);
	append(f->log, "\nrecv[ep:a] cmd: next\n");
	assert_int_equal(poll_all(f), 1);
	got = drain(f, &n);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(got), AG_AUDIT_MAX_LINE + 1 + strlen("recv[ep:a] cmd: next\n"));
	assert_int_equal(strncmp(got, "recv[ep:a] cmd: xxx", 19), 0);
	assert_string_equal(got + AG_AUDIT_MAX_LINE + 1, "recv[ep:a] cmd: next\n");

	/* an RFC 3339 time in front is the event's time */
	append(f->log, "2024-12-05T11:48:25.5Z recv[ep:a] cmd: timed\n\n");
	assert_int_equal(poll_all(f), 1); /* the empty line is no event */
	{
		struct ag_spool_item it;
		uint8_t body[4096];
		z_stream zs;

		assert_ev_ok(ag_spool_peek(f->sp, NULL, 0, &it));
		memset(&zs, 0, sizeof(zs));
		assert_int_equal(inflateInit2(&zs, 31), Z_OK);
		zs.next_in = it.data;
		zs.avail_in = (uInt)it.len;
		zs.next_out = body;
		zs.avail_out = sizeof(body) - 1;
		assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
		body[sizeof(body) - 1 - zs.avail_out] = '\0';
		inflateEnd(&zs);
		assert_non_null(strstr((char *)body,
		                       "\"timestamp\":{\"seconds\":1733399305,\"nanos\":"
		                       "500000000}"));
		assert_non_null(
		        strstr((char *)body, "\\\"time\\\":\\\"2024-12-05T11:48:25.5Z\\\""));
		assert_non_null(strstr((char *)body, "\\\"msg\\\":\\\"recv[ep:a] cmd: timed\\\""));
		ag_spool_item_free(&it);
	}
	(void)drain(f, &n);
	free(big);
}

static void
test_bad_state_file(void **state)
{
	struct fx *f = *state;
	FILE *fp;
	size_t n;

	append(f->log, "recv[ep:a] cmd: one\n");
	ag_audit_free(f->a);
	assert_non_null(fp = fopen(f->state, "w"));
	fputs("v1 1 2 nonsense\n", fp);
	fclose(fp);
	open_audit(f); /* logged, starts from the beginning */
	assert_int_equal(ag_audit_offset(f->a), 0);
	assert_int_equal(poll_all(f), 1);
	(void)drain(f, &n);
	assert_int_equal(ag_audit_offset(f->a), strlen("recv[ep:a] cmd: one\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_lines_and_restart, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_crash_between_spool_and_offset, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_truncation_and_rewrite, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_long_lines_and_time_prefix, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_state_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
