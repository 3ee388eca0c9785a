/* test_ed_sys.c - ps, top, cat, ls, du, dmesg, pub/, log/ and the session
 * header against a fixture tree (commands spec 8) built in a temp dir. */
#include "ev_test.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "basics.h"
#include "cmd.h"
#include "ev_err.h"
#include "ev_newlog.h"
#include "sys_dmesg.h"
#include "sys_file.h"
#include "sys_log.h"
#include "sys_proc.h"
#include "sys_pub.h"

#define NOW 1731492000 /* 2024-11-13T10:00:00Z */
#define APP "6656f860-7563-4bbf-8bba-051f5942ab8d"

static char *root;
static volatile sig_atomic_t stop_flag;

static void
mkdirs(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		fail_msg("mkdir %s", p);
}

static void
put(const char *rel, const char *text)
{
	char p[PATH_MAX], d[PATH_MAX];
	FILE *f;

	snprintf(d, sizeof(d), "%s", rel);
	if (strrchr(d, '/') != NULL) {
		*strrchr(d, '/') = '\0';
		mkdirs(d);
	}
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_non_null(f = fopen(p, "wb"));
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void
put_n(const char *rel, const char *data, size_t n)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_non_null(f = fopen(p, "wb"));
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
put_gz(const char *rel, const char *text)
{
	char p[PATH_MAX], d[PATH_MAX];
	gzFile g;

	snprintf(d, sizeof(d), "%s", rel);
	*strrchr(d, '/') = '\0';
	mkdirs(d);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_non_null(g = gzopen(p, "wb"));
	assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(g), Z_OK);
}

static void
link_at(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* A plain-content LogEntry line at t. */
static char *
rec(char *buf, size_t cap, const char *sev, const char *src, const char *content, long t, int id)
{
	snprintf(buf, cap,
	         "{\"severity\":\"%s\",\"source\":\"%s\",\"iid\":\"12\",\"content\":\"%s\","
	         "\"msgid\":%d,\"timestamp\":{\"seconds\":%ld,\"nanos\":0}}\n",
	         sev, src, content, id, t);
	return buf;
}

static int
setup(void **state)
{
	char name[128], a[512], b[512], c[512], all[2048];

	(void)state;
	root = tv_tmpdir();
	/* /proc */
	put("proc/1/stat", "1 (init) S 0 1 1 0 -1 4194560 100 0 0 0 10 20 0 0 20 0 1 0 5 "
	                   "4096000 100 18446744073709551615 0 0\n");
	put("proc/1/statm", "1000 100 50 1 0 100 0\n");
	put("proc/1/status", "Name:\tinit\nUid:\t0\t0\t0\t0\n");
	put_n("proc/1/cmdline", "/sbin/init\0splash\0", 18);
	put("proc/42/stat", "42 (my (odd) prog) R 1 42 42 0 -1 0 0 0 0 0 150 50 0 0 20 5 1 0 1000 "
	                    "8388608 256 0 0\n");
	put("proc/42/statm", "2048 256 64 1 0 100 0\n");
	put("proc/42/status", "Name:\tprog\nUid:\t0\t0\t0\t0\n");
	put("proc/42/cmdline", "python3");
	put("proc/self", "not a pid\n");
	put("proc/meminfo", "MemTotal:         102400 kB\nMemFree:           51200 kB\n"
	                    "MemAvailable:      61440 kB\nBuffers:            1024 kB\n"
	                    "Cached:             2048 kB\nSwapTotal:             0 kB\n"
	                    "SwapFree:              0 kB\nSReclaimable:       1024 kB\n");
	put("proc/stat", "cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 100 0 50 1000 0 0 0 0 0 0\n"
	                 "btime 1731000000\n");
	put("proc/uptime", "110.00 200.00\n");
	put("proc/loadavg", "0.50 0.25 0.10 2/120 4242\n");
	/* files for cat/ls/du */
	put("etc/os-release", "NAME=\"Test OS\"\nID=test\n");
	put("etc/lines", "l1\nl2\nl3\nl4\nl5\n");
	put("data/bin.dat", "\x01\x02\x03"
	                    "binary");
	put("data/sub/a.txt", "aaaa");
	put("data/sub/b.txt", "bb");
	link_at("../etc/os-release", "data/rel-link");
	link_at("/etc/passwd", "data/abs-link");
	link_at("../../../../../../../../etc", "data/up-link");
	put("persist/vault/secret", "s3cret\n");
	put("persist/clear/x", "x\n");
	put("config/device.key", "KEY\n");
	put("config/device.cert.pem", "CERT\n");
	put("config/server", "zedcloud.example.net\n");
	put("persist/status/uuid", "11111111-2222-3333-4444-555555555555\n");
	put("run/eve-release", "0.0.0-test\n");
	put("run/eve.id", "IMGA\n");
	put("run/zedagent/EdgeNodeInfo/dev.json",
	    "{\"DeviceName\":\"test-dev\",\"EnterpriseName\":\"acme\"}");
	/* pubsub */
	put("run/zedagent/ConfigItemValueMap/global.json",
	    "{\"GlobalSettings\":{\"a\":1},\"b\":[]}");
	put("run/zedagent/AppInstanceConfig/" APP ".json", "{\"DisplayName\":\"app1\"}");
	put("run/zedagent/AppInstanceConfig/restarted", "1\n");
	put("run/zedagent/DevicePortConfig/zedagent.json", "not json {");
	put("persist/status/zedagent/ConfigItemValueMap/global.json.bak", "[1]");
	put("run/nim/DeviceNetworkStatus/global.json", "{\"Ports\":[]}");
	/* dmesg fixture */
	put("dev/kmsg", "6,1,1500000,-;usb 1-1: new device\n"
	                "3,2,2000000,-;[    T1] tpm: failure here\n"
	                " SUBSYSTEM=usb\n"
	                "4,3,3000000,-;warn line\n");
	/* newlog */
	snprintf(all, sizeof(all), "%s%s%s",
	         rec(a, sizeof(a), "info", "zedagent", "disk full error", NOW - 700, 1),
	         rec(b, sizeof(b), "info", "zedagent", "all good", NOW - 690, 2),
	         "{\"severity\":\"error\",\"source\":\"nim\",\"content\":\"{\\\"msg\\\":\\\"net "
	         "error again\\\",\\\"level\\\":\\\"error\\\",\\\"obj_type\\\":\\\"dpc\\\","
	         "\\\"source\\\":\\\"nim\\\",\\\"time\\\":\\\"2024-11-13T09:48:30Z\\\"}\","
	         "\"msgid\":3,\"filename\":\"/pillar/nim.go:10\",\"function\":\"run\","
	         "\"timestamp\":{\"seconds\":1731491310}}\n");
	snprintf(name, sizeof(name), "persist/newlog/keepSentQueue/dev.log.%ld.gz",
	         (long)(NOW - 600) * 1000 + 123);
	put_gz(name, all);
	snprintf(name, sizeof(name), "persist/newlog/keepSentQueue/dev.log.%ld.gz",
	         (long)(NOW - 7200) * 1000);
	put_gz(name, rec(a, sizeof(a), "info", "zedagent", "old error", NOW - 7300, 4));
	snprintf(name, sizeof(name), "persist/newlog/appUpload/app.%s.log.%ld.gz", APP,
	         (long)(NOW - 300) * 1000);
	snprintf(all, sizeof(all), "%s%s", rec(a, sizeof(a), "info", APP, "before", NOW - 310, 5),
	         rec(b, sizeof(b), "info", APP, "app error 1", NOW - 305, 6));
	put_gz(name, all);
	snprintf(name, sizeof(name), "persist/newlog/devUpload/dev.log.%ld.gz",
	         (long)(NOW - 120) * 1000);
	put_gz(name, rec(a, sizeof(a), "info", "kernel", "pending error", NOW - 130, 7));
	put("persist/newlog/panicStacks/pillar-panic-stack.1", "error in panic\n");
	snprintf(all, sizeof(all), "{\"devID\":\"x\"}\n%s",
	         rec(a, sizeof(a), "info", "zedbox", "live error", NOW - 5, 8));
	put("persist/newlog/collect/dev.log.keep.99", all);
	link_at("dev.log.keep.99", "persist/newlog/collect/current.device.log");
	snprintf(all, sizeof(all), "app1\n%s",
	         rec(a, sizeof(a), "info", APP, "app live error", NOW - 4, 9));
	put("persist/newlog/collect/app." APP ".log.77", all);
	(void)c;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tv_rmrf(root);
	free(root);
	return 0;
}

struct opts {
	int64_t line;
	const char *timerange, *type;
	bool json, colour;
	const char *root;
};

/* Run fn(arg) against the fixture; returns the output (free it). */
static char *
run_o(cmd_fn fn, const char *arg, const struct opts *o, int *rc)
{
	struct cmd_ctx ctx = {0};
	char *buf = NULL;
	size_t n = 0;
	int r;

	stop_flag = 0;
	ctx.root = o != NULL && o->root != NULL ? o->root : root;
	assert_non_null(ctx.out = open_memstream(&buf, &n));
	ctx.colour = o != NULL && o->colour;
	ctx.timerange = o != NULL && o->timerange != NULL ? o->timerange : "";
	ctx.extraline = o != NULL ? o->line : 0;
	ctx.is_json = o != NULL && o->json;
	ctx.logtype = o != NULL && o->type != NULL ? o->type : "";
	ctx.now = NOW;
	ctx.stop = &stop_flag;
	r = fn(&ctx, arg);
	if (rc != NULL)
		*rc = r;
	fclose(ctx.out);
	return buf;
}

static char *
run(cmd_fn fn, const char *arg)
{
	return run_o(fn, arg, NULL, NULL);
}

#define assert_has(hay, needle)                                            \
	do {                                                               \
		if (strstr((hay), (needle)) == NULL)                       \
			fail_msg("missing <%s> in:\n%s", (needle), (hay)); \
	} while (0)
#define assert_lacks(hay, needle)                                             \
	do {                                                                  \
		if (strstr((hay), (needle)) != NULL)                          \
			fail_msg("unexpected <%s> in:\n%s", (needle), (hay)); \
	} while (0)

static void
test_ps(void **state)
{
	char *o = run(sys_ps, NULL);

	(void)state;
	assert_has(o, " - ps: PID Times VMS RSS CPU% MEM% Name Cmdline\n");
	/* 200 ticks over 100 s of life = 2 %; 256 pages of 100 MiB = 1 % */
	assert_has(o, "000042: {\"cpu\":\"cpu\",\"user\":1.5,\"system\":0.5,\"idle\":0.0,"
	              "\"nice\":0.0,\"iowait\":0.0,\"irq\":0.0,\"softirq\":0.0,\"steal\":0.0,"
	              "\"guest\":0.0,\"guestNice\":0.0}, 8388608, 1048576, 2.000, 1.000, "
	              "my (odd) prog, python3\n");
	assert_has(o, "000001: ");
	assert_has(o, "/sbin/init splash\n");
	free(o);
	o = run(sys_ps, "python");
	assert_has(o, "000042: ");
	assert_lacks(o, "000001: ");
	free(o);
}

static void
test_ps_bad_filter(void **state)
{
	int rc;
	char *o = run_o(sys_ps, "a;rm", NULL, &rc);

	(void)state;
	assert_int_equal(rc, EV_ERR_QUERY_CHARS);
	assert_has(o, "invalid characters");
	free(o);
}

static void
test_top(void **state)
{
	struct opts op = {.line = 3};
	char *o = run(sys_top, NULL);
	char *nl;
	size_t lines = 0;

	(void)state;
	assert_has(o, "up  0:01,  load average: 0.50, 0.25, 0.10\n");
	assert_has(o, "Tasks:    2 total,   1 running,   1 sleeping,   0 stopped,   0 zombie\n");
	assert_has(o, "%Cpu(s):  0.0 us,  0.0 sy,  0.0 ni, 100.0 id,");
	assert_has(o,
	           "MiB Mem :    100.0 total,     50.0 free,     46.0 used,      4.0 buff/cache\n");
	assert_has(
	        o,
	        "    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n");
	assert_has(o, "     42 root      20   5    8192   1024    256 R   0.0   1.0   0:02.00 my "
	              "(odd) prog\n");
	free(o);
	o = run_o(sys_top, NULL, &op, NULL);
	for (nl = o; (nl = strchr(nl, '\n')) != NULL; nl++)
		lines++;
	assert_int_equal(lines, 3);
	free(o);
}

static void
test_cat(void **state)
{
	struct opts head = {.line = 2}, tail = {.line = -2};
	char *o = run(sys_cat, "/etc/os-release");

	(void)state;
	assert_string_equal(o, " - cat cmd: /etc/os-release\ncontent type: text/plain; "
	                       "charset=utf-8\nNAME=\"Test OS\"\nID=test\n\n");
	free(o);
	o = run_o(sys_cat, "/etc/lines", &head, NULL);
	assert_has(o, "charset=utf-8\nl1\nl2\n\n");
	assert_lacks(o, "l3");
	free(o);
	o = run_o(sys_cat, "/etc/lines", &tail, NULL);
	assert_has(o, "charset=utf-8\nl4\nl5\n\n");
	assert_lacks(o, "l3");
	free(o);
	/* "//", "..", and a relative symlink inside the root are fine */
	o = run(sys_cat, "//data/../etc//os-release");
	assert_has(o, " - cat cmd: /etc/os-release\n");
	free(o);
	o = run(sys_cat, "/data/rel-link");
	assert_has(o, "ID=test");
	free(o);
	o = run(sys_cat, "/data/bin.dat");
	assert_has(o, "content type: application/octet-stream\n\x01\x02\x03"
	              "binary");
	free(o);
}

static void
test_cat_refusals(void **state)
{
	static const struct {
		const char *path, *want;
		int err;
	} cases[] = {
	        {"/persist/vault/secret",
	         "directory is blocked for file display: /persist/vault/secret",
	         EV_ERR_PATH_BLOCKED},
	        {"//persist//clear/x", "directory is blocked for file display",
	         EV_ERR_PATH_BLOCKED},
	        {"/config/device.key", "file /config/device.key can not be displayed",
	         EV_ERR_PATH_KEYFILE},
	        {"/data/abs-link", "is outside the device's file tree", EV_ERR_PATH_ESCAPE},
	        {"/data/up-link/passwd", "is outside the device's file tree", EV_ERR_PATH_ESCAPE},
	        {"/../../../../../../../../etc/passwd", "outside the device", EV_ERR_PATH_ESCAPE},
	        {"/nope", "stat /nope: no such file or directory", EV_ERR_NOT_FOUND},
	        {"/etc", "can not cat a directory", EV_ERR_INVALID_ARG},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		char *o = run_o(sys_cat, cases[i].path, NULL, &rc);
		assert_has(o, cases[i].want);
		assert_lacks(o, "s3cret");
		assert_lacks(o, "root:");
		if (rc != cases[i].err)
			fail_msg("%s: %s", cases[i].path, ev_errname(rc));
		free(o);
	}
}

static void
test_cat_cap(void **state)
{
	char p[PATH_MAX];
	char *o;
	FILE *f;
	static char block[65536];

	(void)state;
	memset(block, 'x', sizeof(block));
	snprintf(p, sizeof(p), "%s/data/big", root);
	assert_non_null(f = fopen(p, "wb"));
	for (size_t i = 0; i < SYS_CAT_MAX_BYTES / sizeof(block) + 2; i++)
		assert_int_equal(fwrite(block, 1, sizeof(block), f), sizeof(block));
	fclose(f);
	o = run(sys_cat, "/data/big");
	assert_true(strlen(o) < SYS_CAT_MAX_BYTES + 200);
	assert_has(o, "... output cut at 8388608 bytes");
	free(o);
	unlink(p);
}

static void
test_ls(void **state)
{
	char *o = run(sys_ls, "/data");

	(void)state;
	assert_has(o, " - ls cmd: /data\n");
	assert_has(o, "Lrwxrwxrwx, ");
	assert_has(o, ", rel-link\n");
	assert_has(o, "drwxr-xr-x, ");
	assert_has(o, ", sub\n");
	/* sorted by name */
	assert_true(strstr(o, "abs-link") < strstr(o, "bin.dat"));
	free(o);
	o = run(sys_ls, "/config/device*");
	assert_has(o, " - ls cmd: /config/device*\n");
	assert_has(o, ", 5, device.cert.pem\n");
	assert_has(o, ", 4, device.key\n");
	assert_lacks(o, "server");
	free(o);
	o = run(sys_ls, "/etc/os-release");
	assert_has(o, "-rw-r--r--, ");
	assert_has(o, ", 23, /etc/os-release\n");
	free(o);
	o = run(sys_ls, "/persist/vault");
	assert_has(o, "directory is blocked");
	free(o);
}

static void
test_du(void **state)
{
	char *o = run(sys_du, "/data/sub");
	struct stat st;
	char p[PATH_MAX], want[64];

	(void)state;
	snprintf(p, sizeof(p), "%s/data/sub", root);
	assert_int_equal(stat(p, &st), 0);
	snprintf(want, sizeof(want), " %lld Bytes\n", (long long)st.st_size + 6);
	if (st.st_size + 6 > 1024)
		snprintf(want, sizeof(want), " %.2f KBytes\n", (double)(st.st_size + 6) / 1024);
	assert_has(o, " - Disk Usage: /data/sub\n");
	assert_has(o, want);
	free(o);
	o = run(sys_du, "/etc/lines");
	assert_has(o, "du: /etc/lines is not a directory");
	free(o);
}

static void
test_dmesg(void **state)
{
	struct opts col = {.colour = true}, last = {.line = 1};
	char *o = run(sys_dmesg, NULL);

	(void)state;
	assert_string_equal(o, "Dmesg:\n[    1.500000] usb 1-1: new device\n"
	                       "[    2.000000] tpm: failure here\n[    3.000000] warn line\n");
	free(o);
	o = run_o(sys_dmesg, NULL, &col, NULL);
	/* caller field dropped, prefix yellow, rest red (priority 3) */
	assert_has(o, "\033[1;36m[    2.000000]\033[0m\033[0;93m tpm:\033[0m\033[1;31m failure "
	              "here\033[0m\n");
	assert_has(o, "\033[1;95m[    3.000000] warn line\033[0m\n");
	free(o);
	o = run_o(sys_dmesg, NULL, &last, NULL);
	assert_string_equal(o, "Dmesg:\n[    3.000000] warn line\n");
	free(o);
}

static void
test_pub(void **state)
{
	char *o = run(sys_pub, "zedagent/config");

	(void)state;
	assert_has(o, " pubsub in: /run/\n");
	assert_has(o, "  /run/zedagent/AppInstanceConfig\n   service: " APP
	              ".json\n{\n    \"DisplayName\": \"app1\"\n}\n");
	/* every matching topic, not only the first */
	assert_has(o, "  /run/zedagent/ConfigItemValueMap\n   service: global.json\n{\n"
	              "    \"GlobalSettings\": {\n        \"a\": 1\n    },\n    \"b\": []\n}\n");
	assert_lacks(o, "restarted");
	assert_has(o,
	           " pubsub in: /persist/status/\n  /persist/status/zedagent/ConfigItemValueMap\n"
	           "   service: global.json.bak\n[\n    1\n]\n");
	assert_has(o, " pubsub in: /persist/pubsub-large/\nlist file error: lstat "
	              "/persist/pubsub-large/zedagent: no such file or directory\n");
	assert_has(o, "  /run/zedagent/DevicePortConfig\n"); /* "config" matches it too */
	free(o);
	o = run(sys_pub, "zedagent/DevicePort");
	assert_has(o, "   service: zedagent.json\nnot json {\n");
	free(o);
	o = run(sys_pub, "nim");
	assert_has(o, "   service: global.json\n{\n    \"Ports\": []\n}\n");
	assert_lacks(o, "pubsub-large");
	free(o);
	o = run(sys_pub, "zedrouter");
	assert_has(o, "list file error: lstat /run/zedrouter: no such file or directory\n");
	free(o);
	o = run(sys_pub, "zedagent/a.b*");
	assert_has(o, "pubsub options invalid");
	free(o);
}

static void
test_log_default_window(void **state)
{
	char *o = run(sys_log, "error");

	(void)state;
	/* files of the last 30 min in time order, the running index, live files */
	assert_has(o, "\n /persist/newlog/keepSentQueue/dev.log.1731491400123.gz, -- "
	              "2024-11-13T09:50:00Z --\n");
	assert_has(o, " -(1) disk full error, info, zedagent, 2024-11-13T09:48:20Z(1)\n");
	assert_has(o, " -(2) net error again, error, /pillar/nim.go:10, run, dpc, nim, "
	              "2024-11-13T09:48:30Z(3)\n");
	assert_has(o, " -(3) app error 1, info, " APP ", 2024-11-13T09:54:55Z(6)\n");
	assert_has(o, " -(4) pending error, info, kernel, 2024-11-13T09:57:50Z(7)\n");
	assert_has(o, "\n current dev log, -- 2024-11-13T10:00:00Z --\n -(5) live error");
	assert_has(o, "\n current app log, -- 2024-11-13T10:00:00Z --\n -(6) app live error");
	assert_lacks(o, "old error");
	assert_lacks(o, "all good");
	assert_lacks(o, "panic");
	free(o);
}

static void
test_log_ranges(void **state)
{
	struct opts old = {.timerange = "3-1"},
	            rfc = {.timerange = "2024-11-13T08:00:00Z-2024-11-13T07:59:00Z"};
	struct opts bad = {.timerange = "abc"}, badz = {.timerange = "2024-11-13T08:00:00+02:00-1"};
	int rc;
	char *o = run_o(sys_log, "error", &old, NULL);

	(void)state;
	assert_has(o, " -(1) old error, info, zedagent, 2024-11-13T07:58:20Z(4)\n");
	assert_lacks(o, "current dev log");
	assert_lacks(o, "disk full");
	free(o);
	o = run_o(sys_log, "error", &rfc, NULL);
	assert_has(o, "old error");
	assert_lacks(o, "disk full");
	free(o);
	o = run_o(sys_log, "error", &bad, &rc);
	assert_int_equal(rc, EV_ERR_LOG_TIME);
	assert_has(o, "time1-time2 format invalid: abc\n");
	free(o);
	o = run_o(sys_log, "error", &badz, &rc);
	assert_int_equal(rc, EV_ERR_LOG_TIME);
	free(o);
}

static void
test_log_type_json_context(void **state)
{
	struct opts dev = {.type = "dev"}, app = {.type = "app"}, js = {.json = true};
	struct opts ctxl = {.line = 1, .timerange = "0-0.25"}, col = {.colour = true};
	char *o = run_o(sys_log, "error", &dev, NULL);

	(void)state;
	assert_has(o, "disk full error");
	assert_has(o, "current dev log");
	assert_lacks(o, "app error");
	assert_lacks(o, "current app log");
	free(o);
	o = run_o(sys_log, "error", &app, NULL);
	assert_has(o, "app error 1");
	assert_has(o, "app live error");
	assert_lacks(o, "disk full");
	assert_lacks(o, "pending");
	assert_lacks(o, "current dev log");
	free(o);
	o = run_o(sys_log, "disk.full", &js, NULL);
	assert_has(o, " (1) {\n    \"severity\": \"info\",\n    \"source\": \"zedagent\",\n"
	              "    \"iid\": \"12\",\n    \"content\": \"disk full error\",\n");
	free(o);
	/* one line of context before the app hit */
	o = run_o(sys_log, "app.error", &ctxl, NULL);
	assert_has(o, "    before, info, " APP ", 2024-11-13T09:54:50Z(5)\n -(1) app error 1");
	free(o);
	o = run_o(sys_log, "full", &col, NULL);
	assert_has(o, "disk \033[0;93mfull\033[0m error");
	free(o);
}

static void
test_newlog_parse(void **state)
{
	struct ev_newlog_entry e;
	time_t a, b;
	int64_t ms;
	const char *bad = "{\"msgid\":\"x\"}";
	const char *good = "{\"content\":\"{\\\"msg\\\":\\\"m\\\",\\\"time\\\":5}\"}\n";

	(void)state;
	assert_ev_err(ev_newlog_parse(bad, strlen(bad), &e), EV_ERR_JSON_TYPE);
	assert_ev_err(ev_newlog_parse("[1]", 3, &e), EV_ERR_JSON_NOT_OBJECT);
	assert_ev_err(ev_newlog_parse("{", 1, &e), EV_ERR_JSON_SYNTAX);
	assert_ev_ok(ev_newlog_parse(good, strlen(good), &e));
	assert_true(e.content_is_json);
	assert_string_equal(e.c_msg, "m");
	assert_string_equal(e.c_time, "5");
	assert_string_equal(e.severity, "");
	ev_newlog_entry_free(&e);
	assert_ev_ok(ev_newlog_name_time("app." APP ".log.1730464687367.gz", &ms));
	assert_int_equal(ms, 1730464687367LL);
	assert_ev_err(ev_newlog_name_time("TempFile123", &ms), EV_ERR_INVALID_ARG);
	assert_ev_ok(ev_newlog_time_range("0.2-2.5", NOW, &a, &b));
	assert_int_equal(a, NOW - 9000);
	assert_int_equal(b, NOW - 720);
	assert_ev_ok(ev_newlog_time_range("2.5-0.2", NOW, &a, &b));
	assert_int_equal(a, NOW - 9000);
	assert_ev_ok(
	        ev_newlog_time_range("2021-08-15T23:15:29Z-2030-01-01T00:00:00.5Z", NOW, &a, &b));
	assert_int_equal(a, 1629069329);
	assert_int_equal(b, NOW); /* clamped */
	assert_ev_err(ev_newlog_time_range("1-2-3", NOW, &a, &b), EV_ERR_LOG_TIME);
	assert_ev_err(ev_newlog_time_range("inf-1", NOW, &a, &b), EV_ERR_LOG_TIME);
	assert_ev_err(ev_newlog_time_range("05", NOW, &a, &b), EV_ERR_LOG_TIME);
	assert_ev_err(
	        ev_newlog_time_range("2021-13-15T23:15:29Z-2021-08-15T23:15:29Z", NOW, &a, &b),
	        EV_ERR_LOG_TIME);
}

static void
test_basics(void **state)
{
	struct basics_info bi = {"192.0.2.1:443", NULL, 1731495600, 2, "ssh-keys", NULL};
	struct cmd_ctx ctx = {0};
	char *buf = NULL, empty[PATH_MAX];
	size_t n = 0;

	(void)state;
	ctx.root = root;
	ctx.now = NOW;
	ctx.timerange = ctx.logtype = "";
	assert_non_null(ctx.out = open_memstream(&buf, &n));
	assert_ev_ok(basics_print(&ctx, &bi));
	fclose(ctx.out);
	assert_has(buf, "Device IPs: [");
	assert_has(buf, "]; Endpoint IP 192.0.2.1:443, instance 2\n");
	assert_has(buf, "  UUID: 11111111-2222-3333-4444-555555555555\n"
	                "  Device: test-dev, Enterprise: acme\n"
	                "  Controller: zedcloud.example.net, (authen ssh-keys)\n"
	                "  EVE-OS release 0.0.0-test, IMGA  Edge-View Ver: 0.8.8, JWT expires at "
	                "2024-11-13T11:00:00Z\n"
	                "  2024-11-13T10:00:00Z(UTC), uptime 110 (sec) = 0 days\n\n");
	free(buf);
	/* an empty root still gets a header */
	snprintf(empty, sizeof(empty), "%s/data/sub", root);
	ctx.root = empty;
	buf = NULL;
	assert_non_null(ctx.out = open_memstream(&buf, &n));
	assert_ev_ok(basics_print(&ctx, NULL));
	fclose(ctx.out);
	assert_has(buf, "; Endpoint IP -\n  UUID: -\n  Device: -, Enterprise: -\n  Controller: -\n"
	                "  EVE-OS release -, -  Edge-View Ver: 0.8.8, JWT expires at -\n");
	free(buf);
}

static void
test_table(void **state)
{
	static const char *const names[] = {"ps", "top", "cat", "ls", "du", "dmesg", "pub", "log"};

	(void)state;
	assert_int_equal(cmd_table_sys_len, 8);
	for (size_t i = 0; i < 8; i++) {
		const struct cmd_def *d = cmd_find(names[i], strlen(names[i]));
		assert_non_null(d);
		assert_non_null(d->run);
		assert_non_null(d->usage);
		assert_non_null(d->help);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ps),
	        cmocka_unit_test(test_ps_bad_filter),
	        cmocka_unit_test(test_top),
	        cmocka_unit_test(test_cat),
	        cmocka_unit_test(test_cat_refusals),
	        cmocka_unit_test(test_cat_cap),
	        cmocka_unit_test(test_ls),
	        cmocka_unit_test(test_du),
	        cmocka_unit_test(test_dmesg),
	        cmocka_unit_test(test_pub),
	        cmocka_unit_test(test_log_default_window),
	        cmocka_unit_test(test_log_ranges),
	        cmocka_unit_test(test_log_type_json_context),
	        cmocka_unit_test(test_newlog_parse),
	        cmocka_unit_test(test_basics),
	        cmocka_unit_test(test_table),
	};
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
