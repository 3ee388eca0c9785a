/* test_proxy.c - https_proxy / no_proxy selection. */
#include "ev_test.h"

#include "ev_err.h"
#include "ev_proxy.h"

static const char *
pick(const char *proxy, const char *no, const char *host)
{
	static char out[EV_PROXY_MAX];

	assert_ev_ok(ev_proxy_pick(proxy, no, host, out));
	return out;
}

static void
test_pick(void **state)
{
	char out[EV_PROXY_MAX];

	(void)state;
	assert_string_equal(pick(NULL, NULL, "d.example.net"), "");
	assert_string_equal(pick("", NULL, "d.example.net"), "");
	assert_string_equal(pick("http://10.0.0.1:3128", NULL, "d.example.net"), "10.0.0.1:3128");
	assert_string_equal(pick("http://proxy:8080/", NULL, "d.example.net"), "proxy:8080");
	assert_string_equal(pick("proxy:8080", "", "d.example.net"), "proxy:8080");
	assert_string_equal(pick("proxy:8080", "*", "d.example.net"), "");
	assert_string_equal(pick("proxy:8080", "example.net", "d.example.net"), "");
	assert_string_equal(pick("proxy:8080", ".example.net", "d.example.net"), "");
	assert_string_equal(pick("proxy:8080", "other.net, 127.0.0.1", "127.0.0.1"), "");
	assert_string_equal(pick("proxy:8080", "xample.net", "d.example.net"), "proxy:8080");
	assert_string_equal(pick("proxy:8080", "other.net,localhost", "d.example.net"),
	                    "proxy:8080");
	assert_ev_err(ev_proxy_pick("http://user:pw@proxy:8080", NULL, "h", out),
	              EV_ERR_INVALID_ARG);
	assert_string_equal(out, "");
	assert_ev_err(ev_proxy_pick("socks5://proxy:1080", NULL, "h", out), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_proxy_pick("http://proxy", NULL, "h", out), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_proxy_pick("http://proxy:80a", NULL, "h", out), EV_ERR_INVALID_ARG);
	assert_ev_err(ev_proxy_pick("http://:80", NULL, "h", out), EV_ERR_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_pick)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
