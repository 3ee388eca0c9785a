/* settings.c - every setting of eve-agent, with bounds, defaults and help. */
#include <stddef.h>

#include "agent.h"
#include "ev_config.h"

#define OPT_S(n, f, def, mv, help)                                                        \
	{                                                                                 \
		n, EV_CFG_STRING, offsetof(struct agent_settings, f), 0, 0, def, mv, help \
	}
#define OPT_U(n, f, lo, hi, def, mv, help)                                                \
	{                                                                                 \
		n, EV_CFG_UINT, offsetof(struct agent_settings, f), lo, hi, def, mv, help \
	}
#define OPT_B(n, f, def, help)                                                          \
	{                                                                               \
		n, EV_CFG_BOOL, offsetof(struct agent_settings, f), 0, 0, def, "", help \
	}

static const struct ev_config_opt opts[] = {
        OPT_S("root", root, "/", "DIR",
              "prefix of every device path (/config, /persist, /run, /proc, /sys)"),
        OPT_S("server", server, "", "HOST:PORT",
              "the controller; empty: the contents of /config/server"),
        OPT_S("tcti", tcti, "", "TCTI",
              "TPM access, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321; "
              "empty: /dev/tpmrm0 if present"),
        OPT_B("no-tpm", no_tpm, "false", "keep a new device key in /config/device.key.pem"),
        OPT_S("proxy", proxy, "", "HOST:PORT",
              "HTTPS proxy (HTTP CONNECT); empty: https_proxy / no_proxy"),
        OPT_S("serial", serial, "", "TEXT", "hardware serial; empty: from DMI"),
        OPT_S("soft-serial", soft_serial, "", "TEXT", "soft serial (EVE's /config/soft_serial)"),
        OPT_U("config-interval", config_interval, 5, 86400, "60", "SECONDS",
              "config poll period (the controller's timer.config.interval wins); "
              "each wait is 0.3 to 1.0 times it"),
        OPT_U("info-interval", info_interval, 5, 86400, "600", "SECONDS",
              "device info resend period, +-20 %"),
        OPT_U("metric-interval", metric_interval, 5, 3600, "60", "SECONDS", "metrics period"),
        OPT_U("log-interval", log_interval, 1, 3600, "90", "SECONDS", "log upload period"),
        OPT_U("cert-interval", cert_interval, 60, 31536000, "86400", "SECONDS",
              "controller certificate refresh"),
        OPT_U("max-backoff", max_backoff, 1, 86400, "600", "SECONDS",
              "longest wait between failed attempts (exponential, full jitter)"),
        OPT_U("spool-bytes", spool_bytes, 65536, 1u << 30, "33554432", "BYTES",
              "reports kept on disk while the controller is unreachable"),
        OPT_U("clock-skew", clock_skew, 0, 86400, "300", "SECONDS",
              "tolerance for certificate and token times"),
        OPT_U("timeout", timeout, 1, 3600, "120", "SECONDS", "one request, end to end"),
        OPT_U("flush-burst", flush_burst, 1, 100000, "32", "N",
              "queued reports sent at once; the rest follow N a second"),
        OPT_U("start-jitter", start_jitter, 0, 3600, "0", "SECONDS",
              "wait a random 0..SECONDS before the first request (a fleet booting together)"),
        OPT_S("log-level", log_level, "notice", "LEVEL", "error, warn, notice, info or debug"),
        OPT_B("once", once, "false",
              "one cycle (onboard, config, reports), then exit 0 if all went well"),
};

const struct ev_config_table agent_settings_table = {opts, sizeof(opts) / sizeof(opts[0])};
