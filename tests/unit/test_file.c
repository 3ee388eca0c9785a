/* test_file.c - capped reads, atomic writes, ev_dir_ensure, ev_path_join. */
#include "ev_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_err.h"
#include "ev_file.h"

static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void
join(char *out, size_t cap, const char *a, const char *b)
{
	assert_ev_ok(ev_path_join(out, cap, a, b));
}

/* Entries of dir other than . and .., to catch leftover temp files. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
assert_file_is(const char *path, const char *want)
{
	char *got = NULL;
	size_t len = 0;

	assert_ev_ok(ev_file_read_capped(path, 1024 * 1024, &got, &len));
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_path_join(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
	        {"", "/run/edgeview", "/run/edgeview"},
	        {"/", "/run/edgeview", "/run/edgeview"},
	        {"/tmp/r", "/run/edgeview", "/tmp/r/run/edgeview"},
	        {"/tmp/r/", "run/edgeview", "/tmp/r/run/edgeview"},
	        {"/tmp/r//", "//run", "/tmp/r/run"},
	        {"/tmp/r", "", "/tmp/r"},
	        {"a", "b", "a/b"},
	        {"", "", ""},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < EV_ARRAY_LEN(cases); i++) {
		join(out, sizeof(out), cases[i].a, cases[i].b);
		assert_string_equal(out, cases[i].want);
	}
	/* "abc/def" is 7 bytes plus the NUL. */
	join(out, 8, "abc", "def");
	assert_string_equal(out, "abc/def");
	assert_ev_err(ev_path_join(out, 7, "abc", "def"), EV_ERR_TOO_BIG);
	assert_string_equal(out, "");
	assert_ev_err(ev_path_join(out, 3, "", "abc"), EV_ERR_TOO_BIG);
	assert_ev_err(ev_path_join(out, 0, "", ""), EV_ERR_TOO_BIG);
	assert_ev_err(ev_path_join(out, 1, "x", "y"), EV_ERR_TOO_BIG);
	assert_ev_err(ev_path_join(out, sizeof(out), NULL, "y"), EV_ERR_INVALID_ARG);
}

static void
test_write_atomic_replaces(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX];

	(void)state;
	join(path, sizeof(path), dir, "edge-view-config");
	assert_ev_ok(ev_file_write_atomic(path, "first\n", 6, 0600, "Edgeview-Config"));
	assert_file_is(path, "first\n");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(count_entries(dir), 1);

	assert_ev_ok(ev_file_write_atomic(path, "second, longer\n", 15, 0644, "Edgeview-Config"));
	assert_file_is(path, "second, longer\n");
	assert_int_equal(mode_of(path), 0644);
	assert_int_equal(count_entries(dir), 1);

	/* Empty content is a valid file. */
	assert_ev_ok(ev_file_write_atomic(path, NULL, 0, 0600, "Edgeview-Config"));
	assert_file_is(path, "");
	assert_int_equal(count_entries(dir), 1);
	tv_rmrf(dir);
	free(dir);
}

static void
test_write_atomic_relative(void **state)
{
	char *dir = tv_tmpdir();
	char cwd[PATH_MAX], path[PATH_MAX];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_ev_ok(ev_file_write_atomic("plain", "x", 1, 0600, ".tmp-"));
	assert_int_equal(chdir(cwd), 0);
	join(path, sizeof(path), dir, "plain");
	assert_file_is(path, "x");
	assert_int_equal(count_entries(dir), 1);
	tv_rmrf(dir);
	free(dir);
}

static void
test_write_atomic_failures(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX], sub[PATH_MAX];

	(void)state;
	/* The directory does not exist: nothing is created anywhere. */
	join(path, sizeof(path), dir, "missing/edge-view-config");
	assert_ev_err(ev_file_write_atomic(path, "x", 1, 0600, "Edgeview-Config"),
	              EV_ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_entries(dir), 0);

	/* The target is a directory: rename fails, the temp file is removed. */
	join(sub, sizeof(sub), dir, "adir");
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_ev_err(ev_file_write_atomic(sub, "x", 1, 0600, "Edgeview-Config"), EV_ERR_SYSTEM);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(count_entries(sub), 0);

	/* Bad arguments. */
	join(path, sizeof(path), dir, "f");
	assert_ev_err(ev_file_write_atomic(path, "x", 1, 0600, "a/b"), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_file_write_atomic(path, "x", 1, 0600, NULL), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_file_write_atomic(path, NULL, 1, 0600, "t"), EV_ERR_INVALID_ARG);
	join(path, sizeof(path), dir, "trailing/");
	assert_ev_err(ev_file_write_atomic(path, "x", 1, 0600, "t"), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_file_write_atomic("", "x", 1, 0600, "t"), EV_ERR_INVALID_ARG);
	assert_int_equal(count_entries(dir), 1);
	tv_rmrf(dir);
	free(dir);
}

/* A write that fails half-way (file size limit): old content survives. */
static void
test_write_atomic_write_error_keeps_old(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX];
	static char big[64 * 1024];
	struct rlimit old, lim;
	void (*old_handler)(int);

	(void)state;
	join(path, sizeof(path), dir, "edge-view-config");
	assert_ev_ok(ev_file_write_atomic(path, "old\n", 4, 0600, "Edgeview-Config"));

	memset(big, 'A', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_ev_err(ev_file_write_atomic(path, big, sizeof(big), 0600, "Edgeview-Config"),
	              EV_ERR_IO);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	assert_file_is(path, "old\n");
	assert_int_equal(count_entries(dir), 1);
	tv_rmrf(dir);
	free(dir);
}

static void
test_read_capped(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX];
	char *buf = (char *)0x1;
	size_t len = 99;

	(void)state;
	join(path, sizeof(path), dir, "f");
	put_file(path, "0123456789");
	assert_ev_ok(ev_file_read_capped(path, 10, &buf, &len));
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);

	assert_ev_err(ev_file_read_capped(path, 9, &buf, &len), EV_ERR_TOO_BIG);
	assert_null(buf);
	assert_int_equal(len, 0);

	/* lenp is optional. */
	assert_ev_ok(ev_file_read_capped(path, 100, &buf, NULL));
	assert_string_equal(buf, "0123456789");
	free(buf);

	put_file(path, "");
	assert_ev_ok(ev_file_read_capped(path, 0, &buf, &len));
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	tv_rmrf(dir);
	free(dir);
}

static void
test_read_capped_missing(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX];
	char *buf = NULL;

	(void)state;
	join(path, sizeof(path), dir, "nope");
	assert_ev_err(ev_file_read_capped(path, 100, &buf, NULL), EV_ERR_NOT_FOUND);
	assert_int_equal(errno, ENOENT);
	assert_null(buf);
	tv_rmrf(dir);
	free(dir);
}

static void
test_read_capped_not_regular(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX];
	char *buf = NULL;

	(void)state;
	/* A FIFO with no writer: must be refused, not waited on. */
	join(path, sizeof(path), dir, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_ev_err(ev_file_read_capped(path, 100, &buf, NULL), EV_ERR_NOT_REGULAR);
	assert_null(buf);
	assert_ev_err(ev_file_read_capped(dir, 100, &buf, NULL), EV_ERR_NOT_REGULAR);
	assert_ev_err(ev_file_read_capped("/dev/null", 100, &buf, NULL), EV_ERR_NOT_REGULAR);
	assert_null(buf);
	tv_rmrf(dir);
	free(dir);
}

/* procfs files report size 0: the reader must grow, and still honour max. */
static void
test_read_capped_size_hint(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_ev_ok(ev_file_read_capped("/proc/self/status", 1024 * 1024, &buf, &len));
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
	assert_ev_err(ev_file_read_capped("/proc/self/status", 16, &buf, &len), EV_ERR_TOO_BIG);
	assert_null(buf);
}

static void
test_dir_ensure(void **state)
{
	char *dir = tv_tmpdir();
	char path[PATH_MAX], file[PATH_MAX];
	mode_t old_umask = umask(022);

	(void)state;
	join(path, sizeof(path), dir, "run/edgeview/");
	assert_ev_ok(ev_dir_ensure(path, 0755));
	assert_int_equal(mode_of(path), 0755);
	/* Existing directory: fine, mode untouched. */
	assert_int_equal(chmod(path, 0700), 0);
	assert_ev_ok(ev_dir_ensure(path, 0755));
	assert_int_equal(mode_of(path), 0700);

	join(file, sizeof(file), dir, "afile");
	put_file(file, "x");
	assert_ev_err(ev_dir_ensure(file, 0755), EV_ERR_NOT_DIR);
	join(path, sizeof(path), file, "below");
	assert_ev_err(ev_dir_ensure(path, 0755), EV_ERR_NOT_DIR);
	assert_ev_err(ev_dir_ensure("", 0755), EV_ERR_INVALID_ARG);
	assert_ev_ok(ev_dir_ensure("/", 0755));
	umask(old_umask);
	tv_rmrf(dir);
	free(dir);
}

static void
test_dir_ensure_parent(void **state)
{
	char *dir = tv_tmpdir(), path[PATH_MAX], sub[PATH_MAX];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_ev_ok(ev_dir_ensure_parent(path, 0700));
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_not_equal(access(path, F_OK), 0);      /* only the directory */
	assert_ev_ok(ev_dir_ensure_parent(path, 0700));   /* already there */
	assert_ev_ok(ev_dir_ensure_parent("file", 0700)); /* no directory part */
	assert_ev_ok(ev_dir_ensure_parent("/file", 0700));
	assert_ev_err(ev_dir_ensure_parent(NULL, 0700), EV_ERR_INVALID_ARG);
	tv_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_path_join),
	        cmocka_unit_test(test_write_atomic_replaces),
	        cmocka_unit_test(test_write_atomic_relative),
	        cmocka_unit_test(test_write_atomic_failures),
	        cmocka_unit_test(test_write_atomic_write_error_keeps_old),
	        cmocka_unit_test(test_read_capped),
	        cmocka_unit_test(test_read_capped_missing),
	        cmocka_unit_test(test_read_capped_not_regular),
	        cmocka_unit_test(test_read_capped_size_hint),
	        cmocka_unit_test(test_dir_ensure),
	        cmocka_unit_test(test_dir_ensure_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
