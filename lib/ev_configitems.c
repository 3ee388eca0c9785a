/* ev_configitems.c - EVE's ConfigItemValueMap file (global.json). */
#include "ev_configitems.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ev_err.h"
#include "ev_file.h"
#include "ev_json.h"
#include "ev_limits.h"
#include "ev_mem.h"

struct ci_item {
	char *str_value;
};

static const struct ev_json_field item_fields[] = {
        {"StrValue", EV_JSON_STRING, offsetof(struct ci_item, str_value), EV_MAX_CONFIGITEMS_FILE,
         0},
};

int
ev_configitems_get_str(const char *json, size_t len, const char *key, char **out)
{
	json_t *doc = NULL, *settings = NULL, *item;
	struct ci_item it = {0};
	const char *k;
	json_t *v;
	int r;

	if (out == NULL || key == NULL)
		return EV_ERR_INVALID_ARG;
	*out = NULL;
	if ((r = ev_json_parse(json, len, EV_MAX_CONFIGITEMS_FILE, &doc)) != 0)
		goto out;
	if (!json_is_object(doc)) {
		r = EV_ERR_JSON_NOT_OBJECT;
		goto out;
	}
	/* The struct field matches case-insensitively; the last one wins. */
	json_object_foreach (doc, k, v) {
		if (ev_json_key_matches("GlobalSettings", k, strlen(k)))
			settings = v;
	}
	item = NULL;
	if (settings != NULL && !json_is_null(settings)) {
		if (!json_is_object(settings)) {
			r = EV_ERR_JSON_TYPE;
			goto out;
		}
		item = json_object_get(settings, key); /* a Go map: exact key */
	}
	if (item != NULL &&
	    (r = ev_json_decode(item, item_fields, EV_ARRAY_LEN(item_fields), &it)) != 0)
		goto out;
	if (it.str_value == NULL && (it.str_value = strdup("")) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	*out = it.str_value;
	it.str_value = NULL;
	r = 0;
out:
	free(it.str_value);
	json_decref(doc);
	return r;
}

int
ev_configitems_read_str(const char *path, const char *key, char **out)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	*out = NULL;
	if ((r = ev_file_read_capped(path, EV_MAX_CONFIGITEMS_FILE, &text, &len)) != 0)
		return r;
	r = ev_configitems_get_str(text, len, key, out);
	free(text);
	return r;
}

int
ev_configitems_set_str(const char *path, const char *key, const char *value)
{
	json_t *doc = NULL, *settings, *item = NULL;
	char *text = NULL, *old = NULL;
	size_t oldlen = 0;
	int r;

	if (path == NULL || key == NULL || value == NULL)
		return EV_ERR_INVALID_ARG;
	if ((r = ev_dir_ensure_parent(path, 0755)) != 0)
		return r;
	r = ev_file_read_capped(path, EV_MAX_CONFIGITEMS_FILE, &old, &oldlen);
	if (r == 0)
		r = ev_json_parse(old, oldlen, EV_MAX_CONFIGITEMS_FILE, &doc);
	else if (r == EV_ERR_NOT_FOUND)
		r = (doc = json_object()) == NULL ? EV_ERR_NOMEM : 0;
	if (r != 0)
		goto out;
	if (!json_is_object(doc)) {
		r = EV_ERR_JSON_NOT_OBJECT;
		goto out;
	}
	settings = json_object_get(doc, "GlobalSettings");
	if (settings == NULL || json_is_null(settings)) {
		if ((settings = json_object()) == NULL ||
		    json_object_set_new(doc, "GlobalSettings", settings) != 0) {
			r = EV_ERR_NOMEM;
			goto out;
		}
	} else if (!json_is_object(settings)) {
		r = EV_ERR_JSON_TYPE;
		goto out;
	}
	if (json_object_get(doc, "AgentSettings") == NULL &&
	    json_object_set_new(doc, "AgentSettings", json_object()) != 0) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	item = json_pack("{s:s, s:i, s:i, s:s, s:b, s:i}", "Key", key, "ItemType",
	                 EV_CI_ITEM_STRING, "IntValue", 0, "StrValue", value, "BoolValue", 0,
	                 "TriStateValue", 0);
	if (item == NULL || json_object_set_new(settings, key, item) != 0) {
		r = item == NULL ? EV_ERR_INVALID_ARG : EV_ERR_NOMEM; /* not UTF-8 */
		goto out;
	}
	if ((text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	r = ev_file_write_atomic(path, text, strlen(text), 0644, "global.json");
out:
	free(text);
	free(old);
	json_decref(doc);
	return r;
}
