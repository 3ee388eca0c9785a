/*
 * main.c - eve-agent, the device agent core.
 *
 *	eve-agent [--config FILE] [--root DIR] [--once] [options]
 *
 * Onboards the device to an EVE controller (API v2) with a TPM-held or
 * file-held identity, polls its configuration, hands Edge-View sessions to
 * edgeviewd and reports the device's state, Edge-View status, metrics and
 * logs.  Settings come from the table in settings.c: flags, a settings
 * file, --help and --dump-config all follow from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "ev_config.h"
#include "ev_err.h"
#include "ev_log.h"

#define DEFAULT_CONFIG "/etc/eve-agent.conf"

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: eve-agent [--config FILE] [--root DIR] [--once] [options]\n\n"
	        "The device agent core: onboards this device to an EVE controller (device API\n"
	        "v2; identity in a TPM 2.0 or a key file), follows its configuration, hands\n"
	        "Edge-View sessions to edgeviewd (/run/edgeview/edge-view-config) and reports\n"
	        "device info, Edge-View status, metrics and logs.  The controller is named by\n"
	        "/config/server and trusted through /config/root-certificate.pem (plus the\n"
	        "system store); /config/onboard.{cert,key}.pem register a new device.\n\n"
	        "options (also settable as 'name value' lines in the settings file):\n");
	ev_config_usage(&agent_settings_table, out);
	fprintf(out, "  %-30s %s\n", "--config FILE",
	        "read settings from FILE first (default " DEFAULT_CONFIG ", if present)");
	fprintf(out, "  %-30s %s\n", "--dump-config", "print the effective settings and exit");
	fprintf(out, "  %-30s %s\n", "--help", "this text");
	fprintf(out, "  %-30s %s\n", "--version", "print the version");
	fprintf(out, "\nexit status: 0 stopped by a signal, or --once succeeded; 1 a failure;\n"
	             "2 a bad command line or settings file.\n");
}

int
main(int argc, char **argv)
{
	static struct agent a;
	enum ev_log_level lvl;
	bool dump;
	int ret = 2;

	ev_log_set_ident("eve-agent");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("eve-agent %s\n", AGENT_VERSION);
			return 0;
		}
	}
	if (ev_config_load_program(&agent_settings_table, &a.set, argc, argv, DEFAULT_CONFIG,
	                           "eve-agent", &dump) != 0)
		goto out;
	if (dump) {
		ev_config_dump(&agent_settings_table, &a.set, stdout);
		ret = 0;
		goto out;
	}
	if (ev_log_level_parse(a.set.log_level, &lvl) != 0) {
		fprintf(stderr, "eve-agent: unknown log level '%s'\n", a.set.log_level);
		goto out;
	}
	ev_log_set_level(lvl);
	ret = agent_run(&a);
out:
	ev_config_free(&agent_settings_table, &a.set);
	return ret;
}
