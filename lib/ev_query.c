/* ev_query.c - command lists, character classes, client classification. */
#include "ev_query.h"

#include <stdlib.h>
#include <string.h>

#include "ev_cmd.h"
#include "ev_err.h"

const char *const ev_query_network_list[] = {
        "acl",  "addhost",  "app",       "arp",  "connectivity", "flow",   "if",
        "mdns", "nslookup", "showcerts", "ping", "route",        "socket", "speed",
        "tcp",  "tcpdump",  "trace",     "url",  "wireless",     NULL,
};

const char *const ev_query_system_list[] = {
        "app",   "configitem",  "cat", "collectinfo", "cp",         "datastore",
        "dmesg", "download",    "du",  "hw",          "lastreboot", "ls",
        "model", "newlog",      "pci", "ps",          "cipher",     "usb",
        "tar",   "techsupport", "top", "volume",      "pprof",      NULL,
};

const char *const ev_query_pubsub_list[] = {
        "baseosmgr",  "domainmgr", "downloader", "edgeview", "global",    "loguploader",
        "mgmtproxy",  "msrv",      "newlogd",    "nim",      "nodeagent", "tpmmgr",
        "vaultmgr",   "volumemgr", "watcher",    "zedagent", "zedclient", "zedkube",
        "zedmanager", "zedrouter", "zfsmanager", NULL,
};

bool
ev_query_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(" =-_.:,/@", c) != NULL) ||
		    c == '\0')
			return false;
	}
	return true;
}

bool
ev_query_dirname_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

bool
ev_query_base_in(const char *item, size_t len, const char *const *list)
{
	const char *slash = memchr(item, '/', len);
	size_t blen = slash != NULL ? (size_t)(slash - item) : len;

	for (; *list != NULL; list++)
		if (strlen(*list) == blen && strncmp(*list, item, blen) == 0)
			return true;
	return false;
}

bool
ev_query_all_in(const char *s, const char *const *list)
{
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (!ev_query_base_in(p, n, list))
			return false;
		if (comma == NULL)
			return true;
		p = comma + 1;
	}
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
set(char **dst, const char *value)
{
	char *v = strdup(value);

	if (v == NULL)
		return EV_ERR_NOMEM;
	free(*dst);
	*dst = v;
	return 0;
}

int
ev_query_classify(const char *q, struct ev_cmd *cmd, enum ev_query_field *field,
                  enum ev_query_transfer *xfer)
{
	*field = EV_Q_NONE;
	*xfer = EV_XFER_NONE;
	if (q[0] == '\0')
		return EV_ERR_QUERY_EMPTY;
	if (starts(q, "log/")) {
		if (q[4] == '\0')
			return EV_ERR_QUERY_EMPTY;
		*field = EV_Q_LOGOPT;
		if (strcmp(q + 4, "copy-logfiles") == 0)
			*xfer = EV_XFER_LOGFILES;
		return set(&cmd->logopt, q + 4);
	}
	if (starts(q, "pub/")) {
		if (q[4] == '\0' || !ev_query_all_in(q + 4, ev_query_pubsub_list))
			return EV_ERR_QUERY_UNKNOWN;
		*field = EV_Q_PUBSUB;
		return set(&cmd->pubsub, q + 4);
	}
	if (starts(q, "app/") || starts(q, "tcp/")) {
		*field = EV_Q_NETWORK;
		if (starts(q, "tcp/"))
			*xfer = EV_XFER_TCP;
		return set(&cmd->network, q);
	}
	if (starts(q, "app") || starts(q, "cp/") || starts(q, "tar/") || starts(q, "collectinfo")) {
		*field = EV_Q_SYSTEM;
		if (starts(q, "cp/") || starts(q, "collectinfo"))
			*xfer = EV_XFER_FILE;
		else if (starts(q, "tar/"))
			*xfer = EV_XFER_TAR;
		return set(&cmd->system, q);
	}
	if (ev_query_all_in(q, ev_query_network_list)) {
		*field = EV_Q_NETWORK;
		return set(&cmd->network, q);
	}
	if (ev_query_all_in(q, ev_query_system_list)) {
		*field = EV_Q_SYSTEM;
		if (strcmp(q, "techsupport") == 0)
			*xfer = EV_XFER_TECHSUPPORT;
		return set(&cmd->system, q);
	}
	return EV_ERR_QUERY_UNKNOWN;
}
