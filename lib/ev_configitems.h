/*
 * ev_configitems.h - EVE's global configuration items on the device, the
 * file /run/zedagent/ConfigItemValueMap/global.json (Go ConfigItemValueMap):
 *
 *	{"GlobalSettings":{"<key>":{"Key":"<key>","ItemType":3,"IntValue":0,
 *	  "StrValue":"...","BoolValue":false,"TriStateValue":0},...},
 *	 "AgentSettings":{...}}
 *
 * Edge-View reads one item: "edgeview.authen.publickey", the trusted SSH
 * keys of aut = 2 (edgeview-protocol.md 2.3).  The agent writes the file;
 * `edgeview token install --ssh-keys` writes it for tests and labs.  Map
 * keys match exactly (Go maps); the item's fields match case-insensitively
 * (Go structs).
 */
#ifndef EV_CONFIGITEMS_H
#define EV_CONFIGITEMS_H

#include <stddef.h>

#include "ev_attr.h"

#define EV_CI_PATH             "/run/zedagent/ConfigItemValueMap/global.json"
#define EV_CI_EDGEVIEW_PUBKEYS "edgeview.authen.publickey"
#define EV_CI_ITEM_STRING      3 /* Go ConfigItemTypeString */

/* *out = StrValue of GlobalSettings[key] (malloc'd; "" when the item or
 * its StrValue is absent).  Text cap EV_MAX_CONFIGITEMS_FILE;
 * EV_ERR_JSON_* when the document or the item has the wrong shape. */
int ev_configitems_get_str(const char *json, size_t len, const char *key,
                           char **out) EV_WARN_UNUSED;
/* The same from a file; EV_ERR_NOT_FOUND when the file does not exist. */
int ev_configitems_read_str(const char *path, const char *key, char **out) EV_WARN_UNUSED;
/* Set GlobalSettings[key] to a string item, keeping every other item, and
 * replace the file atomically (mode 0644, as zedagent's pubsub files).  A
 * missing file starts from an empty map; a missing directory is made (0755). */
int ev_configitems_set_str(const char *path, const char *key, const char *value) EV_WARN_UNUSED;

#endif
