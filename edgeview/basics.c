/* basics.c - the session header, from files under the root and getifaddrs. */
#include "basics.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ev_err.h"
#include "ev_json.h"
#include "ev_limits.h"
#include "ev_newlog.h"
#include "sys_proc.h"

/* An EdgeNodeInfo file is small; anything bigger is not one. */
#define BASICS_MAX_NODEINFO (64u * 1024)

/* First line of a small file under the root, printable bytes only; "-" if none. */
static void
first_line(const struct cmd_ctx *ctx, const char *path, char *buf, size_t cap)
{
	size_t n;

	if (sys_read_rootfile(ctx, path, buf, cap, &n) != 0 || n == 0) {
		snprintf(buf, cap, "-");
		return;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	if (n == 0)
		snprintf(buf, cap, "-");
}

static bool
skip_ifname(const char *name)
{
	return strncmp(name, "bn", 2) == 0 || strncmp(name, "flannel", 7) == 0 ||
	       strcmp(name, "cni0") == 0;
}

static void
device_ips(struct cmd_ctx *ctx)
{
	struct ifaddrs *ifa = NULL;
	bool first = true;

	cmd_printf(ctx, "Device IPs: [");
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
			char ip[INET_ADDRSTRLEN];
			if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
			    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ||
			    skip_ifname(i->ifa_name))
				continue;
			if (inet_ntop(AF_INET,
			              &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, ip,
			              sizeof(ip)) == NULL)
				continue;
			cmd_printf(ctx, first ? "%s" : " %s", ip);
			first = false;
		}
		freeifaddrs(ifa);
	}
	cmd_printf(ctx, "]");
}

static void
json_field(const json_t *o, const char *key, char *buf, size_t cap)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v) && json_string_length(v) > 0)
		snprintf(buf, cap, "%s", json_string_value(v));
	else
		snprintf(buf, cap, "-");
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* DeviceName and EnterpriseName from the first EdgeNodeInfo file (name order). */
static void
node_info(const struct cmd_ctx *ctx, char *dev, size_t dcap, char *ent, size_t ecap)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], *buf = NULL, *best = NULL;
	struct dirent *de;
	json_t *j = NULL;
	DIR *d;
	size_t n;

	snprintf(dev, dcap, "-");
	snprintf(ent, ecap, "-");
	if (cmd_path(ctx, "/run/zedagent/EdgeNodeInfo", dir, sizeof(dir)) != 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0 &&
		    (best == NULL || strcmp(de->d_name, best) < 0)) {
			free(best);
			best = strdup(de->d_name);
		}
	}
	closedir(d);
	if (best == NULL || (buf = malloc(BASICS_MAX_NODEINFO)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, best);
	if (sys_read_file(path, buf, BASICS_MAX_NODEINFO, &n) != 0 ||
	    ev_json_parse(buf, n, BASICS_MAX_NODEINFO, &j) != 0 || !json_is_object(j))
		goto out;
	json_field(j, "DeviceName", dev, dcap);
	json_field(j, "EnterpriseName", ent, ecap);
out:
	json_decref(j);
	free(buf);
	free(best);
}

int
basics_print(struct cmd_ctx *ctx, const struct basics_info *info)
{
	char uuid[EV_MAX_UUID_FILE], server[512], rel[256], id[256], dev[256], ent[256];
	char now_s[32], exp_s[32];
	double up = 0;
	long long ups;

	device_ips(ctx);
	cmd_printf(ctx, "; Endpoint IP %s",
	           info != NULL && info->endpoint != NULL ? info->endpoint : "-");
	if (info != NULL && info->proxy != NULL)
		cmd_printf(ctx, " (proxy %s)", info->proxy);
	if (info != NULL && info->instance > 0)
		cmd_printf(ctx, ", instance %d", info->instance);
	cmd_printf(ctx, "\n");
	first_line(ctx, "/persist/status/uuid", uuid, sizeof(uuid));
	cmd_printf(ctx, "  UUID: %s\n", uuid);
	node_info(ctx, dev, sizeof(dev), ent, sizeof(ent));
	cmd_printf(ctx, "  Device: %s, Enterprise: %s\n", dev, ent);
	first_line(ctx, "/config/server", server, sizeof(server));
	cmd_printf(ctx, "  Controller: %s", server);
	if (info != NULL && info->auth_mode != NULL)
		cmd_printf(ctx, ", (authen %s)", info->auth_mode);
	cmd_printf(ctx, "\n");
	first_line(ctx, "/run/eve-release", rel, sizeof(rel));
	first_line(ctx, "/run/eve.id", id, sizeof(id));
	if (info != NULL && info->jwt_expiry != 0)
		ev_newlog_rfc3339(info->jwt_expiry, exp_s, sizeof(exp_s));
	else
		snprintf(exp_s, sizeof(exp_s), "-");
	cmd_printf(ctx, "  EVE-OS release %s, %s  Edge-View Ver: %s, JWT expires at %s\n", rel, id,
	           info != NULL && info->version != NULL ? info->version : EV_PROTO_VERSION, exp_s);
	ev_newlog_rfc3339(ctx->now, now_s, sizeof(now_s));
	if (sys_uptime_read(ctx, &up) != 0)
		up = 0;
	ups = (long long)up;
	cmd_printf(ctx, "  %s(UTC), uptime %lld (sec) = %lld days\n\n", now_s, ups, ups / 86400);
	fflush(ctx->out);
	return 0;
}
