/*
 * test_ag_http.c - agent/http.c against a real HTTPS server: a Python
 * http.server + ssl script (tests/data/ag_http_server.py) with certificates
 * made here by openssl, and the CONNECT proxy of the integration tests.
 */
#include "ev_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ev_err.h"
#include "ev_log.h"
#include "ev_retryafter.h"
#include "http.h"

#define CAP (64u * 1024)

static struct {
	char *dir;
	char ca1[512], ca2[512], proxy_log[512];
	int main_port, other_port, wrong_port, silent_port, tls11_port, proxy_port, closed_port;
	pid_t server_pid, proxy_pid;
	char last_warn[2048]; /* the module's last warning line */
} T;

static void
capture_log(enum ev_log_level level, const struct ev_log_site *site, const char *msg, void *arg)
{
	(void)site;
	(void)arg;
	if (level <= EV_LOG_WARN)
		snprintf(T.last_warn, sizeof(T.last_warn), "%s", msg);
	if (getenv("AG_HTTP_TEST_VERBOSE") != NULL)
		fprintf(stderr, "[%s] %s\n", ev_log_level_name(level), msg);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(s >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static pid_t
spawn(const char *const argv[], const char *out)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDWR);

		if (fd < 0 || null < 0)
			_exit(126);
		dup2(null, 0);
		dup2(fd, 1);
		if (getenv("AG_HTTP_TEST_VERBOSE") == NULL)
			dup2(null, 2);
		execv(argv[0], (char *const *)(void *)argv);
		_exit(127);
	}
	return pid;
}

/* The first line of a child's output once it says "ready". */
static void
wait_ready(const char *out, char *line, size_t cap)
{
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(out, "r");

		if (f != NULL) {
			bool ok =
			        fgets(line, (int)cap, f) != NULL && strncmp(line, "ready", 5) == 0;
			fclose(f);
			if (ok)
				return;
		}
		usleep(50 * 1000);
	}
	fail_msg("%s never said ready", out);
}

static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
make_certs(const char *d)
{
	char cmd[4096];
	static const char *const leaves[][3] = {
	        /* name, CA, subjectAltName */
	        {"srv", "ca1", "DNS:localhost,IP:127.0.0.1"},
	        {"other", "ca2", "DNS:localhost,IP:127.0.0.1"},
	        {"wrong", "ca1", "DNS:wrong.example"},
	};

	for (int i = 1; i <= 2; i++) {
		snprintf(cmd, sizeof(cmd),
		         "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		         "-nodes -keyout ca%d.key -out ca%d.pem -subj '/CN=agent http test CA %d' "
		         "-days 2 -addext basicConstraints=critical,CA:TRUE "
		         "-addext keyUsage=critical,keyCertSign >/dev/null 2>&1",
		         d, i, i, i);
		assert_int_equal(sh(cmd), 0);
	}
	for (size_t i = 0; i < EV_ARRAY_LEN(leaves); i++) {
		snprintf(cmd, sizeof(cmd),
		         "cd %s && printf 'subjectAltName=%s\\nbasicConstraints=CA:FALSE\\n"
		         "extendedKeyUsage=serverAuth\\n' >%s.ext && "
		         "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		         "-keyout %s.key -out %s.csr -subj '/CN=%s test server' >/dev/null 2>&1 && "
		         "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -set_serial %zu "
		         "-days 2 -extfile %s.ext -out %s.pem >/dev/null 2>&1",
		         d, leaves[i][2], leaves[i][0], leaves[i][0], leaves[i][0], leaves[i][0],
		         leaves[i][0], leaves[i][1], leaves[i][1], i + 10, leaves[i][0],
		         leaves[i][0]);
		assert_int_equal(sh(cmd), 0);
	}
}

/* "ready MAIN OTHER WRONG SILENT TLS11" */
static void
parse_ports(const char *line)
{
	int *const ports[] = {&T.main_port, &T.other_port, &T.wrong_port, &T.silent_port,
	                      &T.tls11_port};
	const char *p = line + 5;

	for (size_t i = 0; i < EV_ARRAY_LEN(ports); i++) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v < 0 || v > 65535)
			fail_msg("bad ready line: %s", line);
		*ports[i] = (int)v;
		p = end;
	}
}

static int
group_setup(void **state)
{
	char out[600], line[256], script[4096], proxy[4096], port[16];

	(void)state;
	ev_log_set_sink(capture_log, NULL);
	ev_log_set_level(EV_LOG_DEBUG);
	/* The tests choose proxies themselves. */
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	unsetenv("http_proxy");
	T.dir = tv_tmpdir();
	make_certs(T.dir);
	snprintf(T.ca1, sizeof(T.ca1), "%s/ca1.pem", T.dir);
	snprintf(T.ca2, sizeof(T.ca2), "%s/ca2.pem", T.dir);

	snprintf(script, sizeof(script), "%s", tv_data_path("ag_http_server.py"));
	snprintf(out, sizeof(out), "%s/server.out", T.dir);
	{
		const char *const argv[] = {"/usr/bin/python3", script, T.dir, NULL};
		T.server_pid = spawn(argv, out);
	}
	wait_ready(out, line, sizeof(line));
	parse_ports(line);

	snprintf(proxy, sizeof(proxy), "%s", tv_data_path("../integration/connect_proxy.py"));
	T.proxy_port = free_port();
	snprintf(port, sizeof(port), "%d", T.proxy_port);
	snprintf(T.proxy_log, sizeof(T.proxy_log), "%s/proxy.out", T.dir);
	{
		const char *const argv[] = {"/usr/bin/python3", proxy, port, NULL};
		T.proxy_pid = spawn(argv, T.proxy_log);
	}
	wait_ready(T.proxy_log, line, sizeof(line));
	T.closed_port = free_port();
	return 0;
}

static void
stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static int
group_teardown(void **state)
{
	(void)state;
	stop(T.server_pid);
	stop(T.proxy_pid);
	if (T.dir != NULL) {
		tv_rmrf(T.dir);
		free(T.dir);
	}
	ev_log_set_sink(NULL, NULL);
	return 0;
}

struct opts {
	const char *cafile, *proxy;
	unsigned connect_timeout_ms, timeout_ms;
	bool insecure;
};

static struct agent_http *
client_at(const char *server, const struct opts *o)
{
	struct agent_http_cfg cfg;
	struct agent_http *h = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.server = server;
	cfg.cafile = o != NULL ? o->cafile : T.ca1;
	cfg.proxy = o != NULL ? o->proxy : NULL;
	cfg.connect_timeout_ms =
	        o != NULL && o->connect_timeout_ms != 0 ? o->connect_timeout_ms : 5000;
	cfg.timeout_ms = o != NULL && o->timeout_ms != 0 ? o->timeout_ms : 10000;
	cfg.insecure = o != NULL && o->insecure;
	assert_ev_ok(agent_http_new(&cfg, &h));
	assert_non_null(h);
	return h;
}

static struct agent_http *
client_port(int port, const struct opts *o)
{
	char server[64];

	snprintf(server, sizeof(server), "127.0.0.1:%d", port);
	return client_at(server, o);
}

static int
get(struct agent_http *h, const char *path, size_t cap, struct agent_http_resp *resp)
{
	return agent_http_request(h, "GET", path, NULL, 0, NULL, cap, resp);
}

/* The value of "name: value" in an /inspect answer. */
static const char *
seen(const struct agent_http_resp *resp, const char *name, char *buf, size_t cap)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "\n%s: ", name);
	assert_non_null(resp->body);
	p = strstr((const char *)resp->body, key);
	if (p == NULL && strncmp((const char *)resp->body, key + 1, strlen(key + 1)) == 0)
		p = (const char *)resp->body - 1;
	assert_non_null(p);
	p += strlen(key);
	e = strchr(p, '\n');
	assert_non_null(e);
	assert_true((size_t)(e - p) < cap);
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
	return buf;
}

static bool
is_uuid_v4(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static size_t
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static size_t
proxy_connects(void)
{
	FILE *f = fopen(T.proxy_log, "r");
	char line[256];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "CONNECT ", 8) == 0)
			n++;
	fclose(f);
	return n;
}

/* ---- round trips ---- */

static void
test_get_headers(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;
	const char *const extra[] = {"X-Serial-Number: SN-1234", "X-Soft-Serial:soft-5678", NULL};
	char v[128], want[64];

	(void)state;
	assert_ev_ok(agent_http_request(h, "GET", "/inspect", NULL, 0, extra, CAP, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	assert_int_equal(resp.retry_after, 0);
	assert_int_equal(resp.len, strlen((const char *)resp.body));
	assert_string_equal(seen(&resp, "method", v, sizeof(v)), "GET");
	assert_string_equal(seen(&resp, "path", v, sizeof(v)), "/inspect");
	/* GET: no body, so neither Content-Type nor Content-Length */
	assert_string_equal(seen(&resp, "content-type", v, sizeof(v)), "-");
	assert_string_equal(seen(&resp, "content-length", v, sizeof(v)), "-");
	assert_string_equal(seen(&resp, "x-serial-number", v, sizeof(v)), "SN-1234");
	assert_string_equal(seen(&resp, "x-soft-serial", v, sizeof(v)), "soft-5678");
	snprintf(want, sizeof(want), "127.0.0.1:%d", T.main_port);
	assert_string_equal(seen(&resp, "host", v, sizeof(v)), want);
	assert_string_equal(seen(&resp, "count-x-request-id", v, sizeof(v)), "1");
	/* a new connection per request, as EVE does */
	assert_string_equal(seen(&resp, "connection", v, sizeof(v)), "close");
	seen(&resp, "x-request-id", v, sizeof(v));
	assert_true(is_uuid_v4(v));
	assert_string_equal(v, agent_http_last_request_id(h));
	assert_string_equal(agent_http_last_error(h), "");
	agent_http_resp_free(&resp);
	assert_null(resp.body);

	/* a fresh id per request */
	snprintf(want, sizeof(want), "%s", agent_http_last_request_id(h));
	assert_ev_ok(get(h, "/inspect", CAP, &resp));
	seen(&resp, "x-request-id", v, sizeof(v));
	assert_true(is_uuid_v4(v));
	assert_string_not_equal(v, want);
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_post_headers(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;
	static const uint8_t body[] = {0x0a, 0x00, 0xff, 0x10, 0x00};
	char v[128];

	(void)state;
	assert_ev_ok(
	        agent_http_request(h, "POST", "/inspect", body, sizeof(body), NULL, CAP, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(seen(&resp, "method", v, sizeof(v)), "POST");
	assert_string_equal(seen(&resp, "content-type", v, sizeof(v)),
	                    "application/x-proto-binary");
	assert_string_equal(seen(&resp, "content-length", v, sizeof(v)), "5");
	assert_string_equal(seen(&resp, "transfer-encoding", v, sizeof(v)), "-");
	assert_string_equal(seen(&resp, "body", v, sizeof(v)), "0a00ff1000");
	seen(&resp, "x-request-id", v, sizeof(v));
	assert_true(is_uuid_v4(v));
	agent_http_resp_free(&resp);

	/* an empty POST (uuid's payload is 0 bytes before its envelope) */
	assert_ev_ok(agent_http_request(h, "POST", "/inspect", NULL, 0, NULL, CAP, &resp));
	assert_string_equal(seen(&resp, "content-type", v, sizeof(v)),
	                    "application/x-proto-binary");
	assert_string_equal(seen(&resp, "content-length", v, sizeof(v)), "0");
	assert_string_equal(seen(&resp, "body", v, sizeof(v)), "");
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_post_echo_large(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;
	size_t n = 300 * 1024 + 7;
	uint8_t *body = malloc(n);

	(void)state;
	assert_non_null(body);
	for (size_t i = 0; i < n; i++)
		body[i] = (uint8_t)(i * 7 + i / 251);
	assert_ev_ok(agent_http_request(h, "POST", "/echo", body, n, NULL, n, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "application/x-proto-binary");
	assert_int_equal(resp.len, n);
	assert_memory_equal(resp.body, body, n);
	agent_http_resp_free(&resp);
	free(body);
	agent_http_free(h);
}

static void
test_statuses(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;
	double t0;

	(void)state;
	/* Adam's register answer: 201, no body, no Content-Type */
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.content_type, "");
	assert_null(resp.body);
	assert_int_equal(resp.len, 0);
	agent_http_resp_free(&resp);

	/* Go's http.Error bodies */
	assert_ev_ok(get(h, "/status/404?body=no%20config", CAP, &resp));
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	assert_string_equal((const char *)resp.body, "no%20config\n");
	agent_http_resp_free(&resp);
	assert_ev_ok(agent_http_request(h, "POST", "/status/403?body=integrity", NULL, 0, NULL, CAP,
	                                &resp));
	assert_int_equal(resp.status, 403);
	assert_string_equal((const char *)resp.body, "integrity\n");
	agent_http_resp_free(&resp);
	assert_ev_ok(get(h, "/nowhere", CAP, &resp));
	assert_int_equal(resp.status, 404);
	agent_http_resp_free(&resp);

	/* 304 and 204 end at the headers even when the server keeps the
	 * connection open without a length */
	t0 = now_s();
	assert_ev_ok(agent_http_request(h, "POST", "/status/304", (const uint8_t *)"x", 1, NULL,
	                                CAP, &resp));
	assert_int_equal(resp.status, 304);
	assert_null(resp.body);
	agent_http_resp_free(&resp);
	assert_ev_ok(get(h, "/status/204", CAP, &resp));
	assert_int_equal(resp.status, 204);
	agent_http_resp_free(&resp);
	assert_true(now_s() - t0 < 3.0);

	/* redirects are the caller's business */
	assert_ev_ok(get(h, "/redirect", CAP, &resp));
	assert_int_equal(resp.status, 302);
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_retry_after(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_ok(get(h, "/retry", CAP, &resp));
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.retry_after, 7);
	assert_string_equal((const char *)resp.body, "upgrading\n");
	agent_http_resp_free(&resp);
	assert_ev_ok(get(h, "/retrydate", CAP, &resp));
	assert_int_equal(resp.status, 429);
	assert_in_range(resp.retry_after, 100, 121);
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_retry_after_parse(void **state)
{
	const int64_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

	(void)state;
	assert_int_equal(ev_retry_after_parse(NULL, now), 0);
	assert_int_equal(ev_retry_after_parse("", now), 0);
	assert_int_equal(ev_retry_after_parse("120", now), 120);
	assert_int_equal(ev_retry_after_parse(" 5 ", now), 5);
	assert_int_equal(ev_retry_after_parse("0", now), 0);
	assert_int_equal(ev_retry_after_parse("99999999999999999999999", now), 86400);
	assert_int_equal(ev_retry_after_parse("86401", now), 86400);
	assert_int_equal(ev_retry_after_parse("-5", now), 0);
	assert_int_equal(ev_retry_after_parse("5s", now), 0);
	assert_int_equal(ev_retry_after_parse("1.5", now), 0);
	assert_int_equal(ev_retry_after_parse("Sun, 06 Nov 1994 08:50:37 GMT", now), 60);
	assert_int_equal(ev_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now), 0);
	assert_int_equal(ev_retry_after_parse("Sat, 05 Nov 1994 08:49:37 GMT", now), 0);
	assert_int_equal(ev_retry_after_parse("Mon, 07 Nov 1994 08:49:37 GMT", now), 86400);
	assert_int_equal(ev_retry_after_parse("Mon, 07 Nov 1994 08:49:36 GMT", now), 86399);
	assert_int_equal(ev_retry_after_parse("Thu, 01 Jan 2099 00:00:00 GMT", now), 86400);
	assert_int_equal(ev_retry_after_parse("Sun, 06 Nov 1994 08:50:37 UTC", now), 0);
	assert_int_equal(ev_retry_after_parse("Sunday, 06-Nov-94 08:50:37 GMT", now), 0);
	assert_int_equal(ev_retry_after_parse("Sun Nov  6 08:50:37 1994", now), 0);
	assert_int_equal(ev_retry_after_parse("Sun, 06 Foo 1994 08:50:37 GMT", now), 0);
	assert_int_equal(ev_retry_after_parse("Sun, 06 Nov 1994 24:50:37 GMT", now), 0);
	assert_int_equal(ev_retry_after_parse("Sun, 6 Nov 1994 08:50:37 GMT", now), 0);
	/* leap years: 2024-02-29 is a day */
	assert_int_equal(ev_retry_after_parse("Thu, 29 Feb 2024 00:00:10 GMT", 1709164800), 10);
}

static void
test_size_cap(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_ok(get(h, "/big/1000", 1000, &resp));
	assert_int_equal(resp.len, 1000);
	agent_http_resp_free(&resp);
	/* Content-Length over the cap: refused before any body is read */
	assert_ev_err(get(h, "/big/1000", 999, &resp), EV_ERR_HTTP_TOO_BIG);
	assert_null(resp.body);
	assert_non_null(strstr(T.last_warn, "1000 bytes, over the 999-byte cap"));
	/* chunked, so only counting can tell */
	assert_ev_ok(get(h, "/bigchunked/5000", 5000, &resp));
	assert_int_equal(resp.len, 5000);
	assert_int_equal(resp.body[4999], 'y');
	agent_http_resp_free(&resp);
	assert_ev_err(get(h, "/bigchunked/5000", 4999, &resp), EV_ERR_HTTP_TOO_BIG);
	assert_ev_err(get(h, "/bigchunked/300000", 65536, &resp), EV_ERR_HTTP_TOO_BIG);
	assert_non_null(strstr(T.last_warn, "over the 65536-byte cap"));
	/* an error body is capped too */
	assert_ev_err(get(h, "/status/404?body=0123456789", 5, &resp), EV_ERR_HTTP_TOO_BIG);
	agent_http_free(h);
}

static void
test_chunked_and_eof(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_ok(get(h, "/chunked", CAP, &resp));
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/plain");
	assert_int_equal(resp.len, strlen("hello, chunked world"));
	assert_string_equal((const char *)resp.body, "hello, chunked world");
	agent_http_resp_free(&resp);
	/* neither a length nor chunks: the body ends with the connection */
	assert_ev_ok(get(h, "/eof", CAP, &resp));
	assert_string_equal((const char *)resp.body, "until the end");
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_truncated(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_err(get(h, "/truncated", CAP, &resp), EV_ERR_HTTP_TRUNCATED);
	assert_null(resp.body);
	assert_int_equal(resp.status, 0);
	assert_non_null(strstr(T.last_warn, "after 10 of 1000 body bytes"));
	assert_non_null(strstr(agent_http_last_error(h), "after 10 of 1000 body bytes"));
	assert_ev_err(get(h, "/truncchunked", CAP, &resp), EV_ERR_HTTP_TRUNCATED);
	assert_ev_err(get(h, "/close", CAP, &resp), EV_ERR_HTTP_TRUNCATED);
	assert_non_null(strstr(T.last_warn, "before the response headers"));
	/* the client is still usable */
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_malformed(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_err(get(h, "/badcl", CAP, &resp), EV_ERR_HTTP_RESPONSE);
	assert_non_null(strstr(T.last_warn, "Content-Length \"12abc\""));
	assert_ev_err(get(h, "/gzipte", CAP, &resp), EV_ERR_HTTP_RESPONSE);
	assert_ev_err(get(h, "/longtype", CAP, &resp), EV_ERR_HTTP_RESPONSE);
	/* response headers over EV_MAX_HTTP_HEADERS */
	assert_ev_err(get(h, "/hugeheaders", CAP, &resp), EV_ERR_HTTP_RESPONSE);
	assert_non_null(strstr(T.last_warn, "malformed or over"));
	agent_http_free(h);
}

/* ---- TLS ---- */

static void
test_other_ca(void **state)
{
	struct agent_http *h = client_port(T.other_port, NULL);
	struct agent_http_resp resp;
	struct opts o = {.cafile = T.ca2};

	(void)state;
	assert_ev_err(get(h, "/inspect", CAP, &resp), EV_ERR_HTTP_CERT);
	assert_non_null(strstr(T.last_warn, "unable to get local issuer certificate"));
	assert_non_null(strstr(T.last_warn, "other test server"));
	agent_http_free(h);
	/* that CA's file makes it good, and ca1's server bad */
	h = client_port(T.other_port, &o);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_resp_free(&resp);
	agent_http_free(h);
	h = client_port(T.main_port, &o);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_CERT);
	agent_http_free(h);
}

static void
test_system_store_only(void **state)
{
	struct opts o = {.cafile = NULL};
	struct agent_http *h = client_port(T.main_port, &o);
	struct agent_http_resp resp;

	(void)state;
	/* our test CA is not in the system store */
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_CERT);
	agent_http_free(h);
}

static void
test_wrong_name(void **state)
{
	char server[64];
	struct agent_http *h;
	struct agent_http_resp resp;
	struct opts o = {.cafile = T.ca1, .insecure = true};

	(void)state;
	snprintf(server, sizeof(server), "localhost:%d", T.wrong_port);
	h = client_at(server, NULL);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_CERT_NAME);
	assert_non_null(strstr(T.last_warn, "ostname mismatch"));
	agent_http_free(h);
	/* by IP address */
	h = client_port(T.wrong_port, NULL);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_CERT_NAME);
	assert_non_null(strstr(T.last_warn, "IP address mismatch"));
	agent_http_free(h);
	/* tests only */
	h = client_at(server, &o);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
	h = client_port(T.other_port, &o);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
}

static void
test_dns_name(void **state)
{
	char server[64];
	struct agent_http *h;
	struct agent_http_resp resp;
	char v[128];

	(void)state;
	/* the server's certificate names localhost as well */
	snprintf(server, sizeof(server), "https://localhost:%d/", T.main_port);
	h = client_at(server, NULL);
	assert_ev_ok(get(h, "/inspect", CAP, &resp));
	snprintf(server, sizeof(server), "localhost:%d", T.main_port);
	assert_string_equal(seen(&resp, "host", v, sizeof(v)), server);
	agent_http_resp_free(&resp);
	agent_http_free(h);
}

static void
test_old_tls(void **state)
{
	struct agent_http *h;
	struct agent_http_resp resp;

	(void)state;
	if (T.tls11_port == 0)
		skip();
	h = client_port(T.tls11_port, NULL);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_TLS);
	agent_http_free(h);
}

/* ---- connection failures and timeouts ---- */

static void
test_refused(void **state)
{
	struct agent_http *h = client_port(T.closed_port, NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_CONNECT);
	assert_non_null(strstr(T.last_warn, "cannot connect to 127.0.0.1:"));
	agent_http_free(h);
}

static void
test_dns_failure(void **state)
{
	struct agent_http *h = client_at("no-such-host.invalid:443", NULL);
	struct agent_http_resp resp;

	(void)state;
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_DNS);
	assert_non_null(strstr(T.last_warn, "cannot resolve no-such-host.invalid"));
	agent_http_free(h);
}

static void
test_connect_timeout(void **state)
{
	struct opts o = {.cafile = T.ca1, .connect_timeout_ms = 400, .timeout_ms = 5000};
	struct agent_http *h = client_port(T.silent_port, &o);
	struct agent_http_resp resp;
	double t0 = now_s();

	(void)state;
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_TIMEOUT);
	assert_true(now_s() - t0 < 2.0);
	assert_non_null(strstr(T.last_warn, "within 400 ms (in the TLS handshake)"));
	agent_http_free(h);
}

static void
test_response_timeout(void **state)
{
	struct opts o = {.cafile = T.ca1, .timeout_ms = 700};
	struct agent_http *h = client_port(T.main_port, &o);
	struct agent_http_resp resp;
	double t0 = now_s();

	(void)state;
	assert_ev_err(get(h, "/noanswer", CAP, &resp), EV_ERR_HTTP_TIMEOUT);
	assert_non_null(strstr(T.last_warn, "waiting for the response headers"));
	assert_ev_err(get(h, "/slowbody", CAP, &resp), EV_ERR_HTTP_TIMEOUT);
	assert_non_null(strstr(T.last_warn, "reading the body, 10 bytes"));
	assert_true(now_s() - t0 < 3.5);
	/* and then it works again */
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
}

static void
test_many_requests(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;
	size_t fds;

	(void)state;
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	fds = count_fds();
	for (int i = 0; i < 30; i++) {
		assert_ev_ok(agent_http_request(h, "POST", "/echo", (const uint8_t *)"abc", 3, NULL,
		                                CAP, &resp));
		assert_int_equal(resp.len, 3);
		agent_http_resp_free(&resp);
		assert_ev_err(get(h, "/close", CAP, &resp), EV_ERR_HTTP_TRUNCATED);
	}
	/* one connection per request, none left behind */
	assert_int_equal(count_fds(), fds);
	agent_http_free(h);
}

/* ---- proxies ---- */

static void
test_proxy(void **state)
{
	char proxy[64], want[64], v[128];
	struct opts o = {.cafile = T.ca1, .proxy = proxy};
	struct agent_http *h;
	struct agent_http_resp resp;
	size_t before = proxy_connects();
	FILE *f;
	char line[256];
	bool found = false;

	(void)state;
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%d", T.proxy_port);
	h = client_port(T.main_port, &o);
	assert_ev_ok(agent_http_request(h, "POST", "/inspect", (const uint8_t *)"\x01", 1, NULL,
	                                CAP, &resp));
	assert_int_equal(resp.status, 200);
	snprintf(want, sizeof(want), "127.0.0.1:%d", T.main_port);
	/* TLS to the server through the tunnel: Host and certificate name are
	 * the server's */
	assert_string_equal(seen(&resp, "host", v, sizeof(v)), want);
	agent_http_resp_free(&resp);
	agent_http_free(h);
	assert_int_equal(proxy_connects(), before + 1);
	f = fopen(T.proxy_log, "r");
	assert_non_null(f);
	snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%d\n", T.main_port);
	while (fgets(line, sizeof(line), f) != NULL)
		found = found || strcmp(line, want) == 0;
	fclose(f);
	assert_true(found);

	/* "http://" accepted as in https_proxy */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", T.proxy_port);
	h = client_port(T.main_port, &o);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
	assert_int_equal(proxy_connects(), before + 2);
}

static void
test_proxy_env_and_no_proxy(void **state)
{
	char proxy[64];
	struct agent_http *h;
	struct agent_http_resp resp;
	size_t before = proxy_connects();

	(void)state;
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", T.proxy_port);
	setenv("https_proxy", proxy, 1);
	h = client_port(T.main_port, NULL);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
	assert_int_equal(proxy_connects(), before + 1);

	setenv("no_proxy", "example.com,127.0.0.1", 1);
	h = client_port(T.main_port, NULL);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
	assert_int_equal(proxy_connects(), before + 1);
	unsetenv("no_proxy");
	unsetenv("https_proxy");

	/* lws would read http_proxy by itself: it must not */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	h = client_port(T.main_port, NULL);
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
	unsetenv("http_proxy");
	assert_int_equal(proxy_connects(), before + 1);
}

static void
test_proxy_failures(void **state)
{
	char proxy[64];
	struct opts o = {.cafile = T.ca1, .proxy = proxy};
	struct agent_http *h;
	struct agent_http_resp resp;

	(void)state;
	/* the test proxy only tunnels to loopback: 403 for anything else */
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%d", T.proxy_port);
	h = client_at("controller.example.com:443", &o);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_PROXY);
	assert_non_null(
	        strstr(T.last_warn, "refused or failed the CONNECT to controller.example.com:443"));
	agent_http_free(h);
	/* no proxy listening */
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%d", T.closed_port);
	h = client_port(T.main_port, &o);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_CONNECT);
	assert_non_null(strstr(T.last_warn, "cannot connect to proxy 127.0.0.1:"));
	agent_http_free(h);
	/* a proxy name that does not resolve */
	snprintf(proxy, sizeof(proxy), "proxy.invalid:3128");
	h = client_port(T.main_port, &o);
	assert_ev_err(get(h, "/status/201", CAP, &resp), EV_ERR_HTTP_DNS);
	assert_non_null(strstr(T.last_warn, "cannot resolve proxy proxy.invalid"));
	agent_http_free(h);
}

/* ---- arguments ---- */

static void
test_bad_config(void **state)
{
	static const char *const bad[] = {
	        "",
	        "   ",
	        "http://127.0.0.1:1",
	        "ftp://h:1",
	        "[::1]:443",
	        "host:0",
	        "host:65536",
	        "host:",
	        "host:12a",
	        "a b:443",
	        ":443",
	        "host/path:1",
	        "user@host:443",
	        ".host:443",
	        "host:443:1",
	};
	struct agent_http_cfg cfg;
	struct agent_http *h = (struct agent_http *)(void *)&cfg;
	char path[600];

	(void)state;
	for (size_t i = 0; i < EV_ARRAY_LEN(bad); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.server = bad[i];
		cfg.cafile = T.ca1;
		h = (struct agent_http *)(void *)&cfg;
		if (agent_http_new(&cfg, &h) != EV_ERR_INVALID_ARG)
			fail_msg("server \"%s\" accepted", bad[i]);
		assert_null(h);
	}
	memset(&cfg, 0, sizeof(cfg));
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_new(NULL, &h), EV_ERR_INVALID_ARG);
	/* accepted forms */
	cfg.cafile = T.ca1;
	cfg.server = " \thttps://ctrl.example.com\n";
	assert_ev_ok(agent_http_new(&cfg, &h));
	agent_http_free(h);
	cfg.server = "HTTPS://ctrl.example.com:8443/";
	assert_ev_ok(agent_http_new(&cfg, &h));
	agent_http_free(h);
	/* proxies */
	cfg.proxy = "socks5://127.0.0.1:1080";
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_INVALID_ARG);
	cfg.proxy = "user:pw@127.0.0.1:3128";
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_INVALID_ARG);
	cfg.proxy = "127.0.0.1";
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_INVALID_ARG);
	cfg.proxy = NULL;
	setenv("https_proxy", "https://127.0.0.1:3128", 1);
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_INVALID_ARG);
	unsetenv("https_proxy");
	/* trust file */
	snprintf(path, sizeof(path), "%s/missing.pem", T.dir);
	cfg.cafile = path;
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_IO);
	assert_non_null(strstr(T.last_warn, "missing.pem"));
	snprintf(path, sizeof(path), "%s/srv.ext", T.dir); /* not a certificate */
	assert_ev_err(agent_http_new(&cfg, &h), EV_ERR_KEY_PARSE);
	assert_null(h);
}

static void
test_bad_request(void **state)
{
	struct agent_http *h = client_port(T.main_port, NULL);
	struct agent_http_resp resp;
	const char *const crlf[] = {"X-Serial-Number: a\r\nX-Evil: 1", NULL};
	const char *const own[] = {"content-type: text/plain", NULL};
	const char *const rid[] = {"X-Request-Id: 1", NULL};
	const char *const noname[] = {": v", NULL};
	const char *const nocolon[] = {"X-Serial-Number", NULL};
	char longpath[AGENT_HTTP_MAX_PATH + 2];
	char longhdr[AGENT_HTTP_MAX_EXTRA_HEADERS + 16];
	const char *const big[] = {longhdr, NULL};

	(void)state;
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longhdr, "X-Long: ", 8);
	memset(longhdr + 8, 'v', sizeof(longhdr) - 9);
	longhdr[sizeof(longhdr) - 1] = '\0';
	resp.status = 77;
	assert_ev_err(agent_http_request(h, "PUT", "/echo", NULL, 0, NULL, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_int_equal(resp.status, 0);
	assert_ev_err(
	        agent_http_request(h, "GET", "/echo", (const uint8_t *)"x", 1, NULL, CAP, &resp),
	        EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "POST", "/echo", NULL, 1, NULL, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(get(h, "echo", CAP, &resp), EV_ERR_INVALID_ARG);
	assert_ev_err(get(h, "/a b", CAP, &resp), EV_ERR_INVALID_ARG);
	assert_ev_err(get(h, "/a\r\nX-Evil: 1", CAP, &resp), EV_ERR_INVALID_ARG);
	assert_ev_err(get(h, longpath, CAP, &resp), EV_ERR_INVALID_ARG);
	assert_ev_err(get(h, "/echo", 0, &resp), EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", "/inspect", NULL, 0, crlf, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", "/inspect", NULL, 0, own, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", "/inspect", NULL, 0, rid, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", "/inspect", NULL, 0, noname, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", "/inspect", NULL, 0, nocolon, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", "/inspect", NULL, 0, big, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, NULL, "/inspect", NULL, 0, NULL, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(agent_http_request(h, "GET", NULL, NULL, 0, NULL, CAP, &resp),
	              EV_ERR_INVALID_ARG);
	/* still fine afterwards */
	assert_ev_ok(get(h, "/status/201", CAP, &resp));
	agent_http_free(h);
	agent_http_free(NULL);
	agent_http_resp_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_headers),
	        cmocka_unit_test(test_post_headers),
	        cmocka_unit_test(test_post_echo_large),
	        cmocka_unit_test(test_statuses),
	        cmocka_unit_test(test_retry_after),
	        cmocka_unit_test(test_retry_after_parse),
	        cmocka_unit_test(test_size_cap),
	        cmocka_unit_test(test_chunked_and_eof),
	        cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_other_ca),
	        cmocka_unit_test(test_system_store_only),
	        cmocka_unit_test(test_wrong_name),
	        cmocka_unit_test(test_dns_name),
	        cmocka_unit_test(test_old_tls),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_dns_failure),
	        cmocka_unit_test(test_connect_timeout),
	        cmocka_unit_test(test_response_timeout),
	        cmocka_unit_test(test_many_requests),
	        cmocka_unit_test(test_proxy),
	        cmocka_unit_test(test_proxy_env_and_no_proxy),
	        cmocka_unit_test(test_proxy_failures),
	        cmocka_unit_test(test_bad_config),
	        cmocka_unit_test(test_bad_request),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
