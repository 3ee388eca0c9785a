/* test_configitems.c - EVE's ConfigItemValueMap file (global.json). */
#include "ev_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_configitems.h"
#include "ev_err.h"
#include "ev_file.h"

#define KEYS "ecdsa-sha2-nistp256 AAAA alice@laptop\nssh-ed25519 AAAA bob"

static void
t_get(void **state)
{
	const char *doc = "{\"GlobalSettings\":{\"edgeview.authen.publickey\":{\"Key\":"
	                  "\"edgeview.authen.publickey\",\"ItemType\":3,\"IntValue\":0,"
	                  "\"StrValue\":\"a\\nb\",\"BoolValue\":false,\"TriStateValue\":0},"
	                  "\"timer.config.interval\":{\"ItemType\":1,\"IntValue\":60}},"
	                  "\"AgentSettings\":{}}";
	char *v = NULL;

	(void)state;
	assert_ev_ok(ev_configitems_get_str(doc, strlen(doc), EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, "a\nb");
	free(v);
	/* an absent item, or one without StrValue, is "" */
	assert_ev_ok(ev_configitems_get_str(doc, strlen(doc), "no.such.item", &v));
	assert_string_equal(v, "");
	free(v);
	assert_ev_ok(ev_configitems_get_str(doc, strlen(doc), "timer.config.interval", &v));
	assert_string_equal(v, "");
	free(v);
	/* Go's rules: struct fields case-insensitive, map keys exact */
	doc = "{\"globalsettings\":{\"edgeview.authen.publickey\":{\"strvalue\":\"x\"}}}";
	assert_ev_ok(ev_configitems_get_str(doc, strlen(doc), EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, "x");
	free(v);
	doc = "{\"GlobalSettings\":{\"EDGEVIEW.AUTHEN.PUBLICKEY\":{\"StrValue\":\"x\"}}}";
	assert_ev_ok(ev_configitems_get_str(doc, strlen(doc), EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, "");
	free(v);
	doc = "{\"GlobalSettings\":null}";
	assert_ev_ok(ev_configitems_get_str(doc, strlen(doc), EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, "");
	free(v);
}

static void
t_get_bad(void **state)
{
	const char *bad[] = {
	        "",
	        "[]",
	        "{\"GlobalSettings\":[]}",
	        "{\"GlobalSettings\":{\"edgeview.authen.publickey\":{\"StrValue\":3}}}",
	        "{\"GlobalSettings\":{\"edgeview.authen.publickey\":[]}}",
	        "{\"GlobalSettings\":{}} trailing",
	};
	const int want[] = {EV_ERR_JSON_SYNTAX, EV_ERR_JSON_NOT_OBJECT, EV_ERR_JSON_TYPE,
	                    EV_ERR_JSON_TYPE,   EV_ERR_JSON_TYPE,       EV_ERR_JSON_SYNTAX};
	char *v = (char *)"x";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_ev_err(
		        ev_configitems_get_str(bad[i], strlen(bad[i]), EV_CI_EDGEVIEW_PUBKEYS, &v),
		        want[i]);
		assert_null(v);
	}
}

static void
t_set_keeps_others(void **state)
{
	char *dir = tv_tmpdir(), path[512], *v = NULL;
	const char *doc = "{\"GlobalSettings\":{\"timer.config.interval\":{\"Key\":"
	                  "\"timer.config.interval\",\"ItemType\":1,\"IntValue\":60}},"
	                  "\"AgentSettings\":{\"zedagent\":{}}}";

	(void)state;
	/* the directory is made as zedagent's would be */
	snprintf(path, sizeof(path), "%s/ConfigItemValueMap/global.json", dir);
	assert_ev_err(ev_configitems_read_str(path, EV_CI_EDGEVIEW_PUBKEYS, &v), EV_ERR_NOT_FOUND);
	assert_ev_ok(ev_configitems_set_str(path, EV_CI_EDGEVIEW_PUBKEYS, KEYS));
	assert_ev_ok(ev_configitems_read_str(path, EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, KEYS);
	free(v);
	assert_ev_ok(ev_file_write_atomic(path, doc, strlen(doc), 0644, "t"));
	assert_ev_ok(ev_configitems_set_str(path, EV_CI_EDGEVIEW_PUBKEYS, "k2"));
	assert_ev_ok(ev_configitems_read_str(path, EV_CI_EDGEVIEW_PUBKEYS, &v));
	assert_string_equal(v, "k2");
	free(v);
	{
		char *text = NULL;
		size_t len = 0;
		assert_ev_ok(ev_file_read_capped(path, 1 << 20, &text, &len));
		assert_non_null(strstr(text, "\"IntValue\":60"));
		assert_non_null(strstr(text, "\"zedagent\""));
		assert_non_null(strstr(text, "\"ItemType\":3"));
		free(text);
	}
	tv_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(t_get),
	        cmocka_unit_test(t_get_bad),
	        cmocka_unit_test(t_set_keeps_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
