/* config.c - every setting of edgeview-dispatcher, with bounds and defaults. */
#include <stddef.h>

#include "disp.h"
#include "ev_limits.h"

#define OPT_S(n, f, def, mv, help)                                                     \
	{                                                                              \
		n, EV_CFG_STRING, offsetof(struct disp_config, f), 0, 0, def, mv, help \
	}
#define OPT_U(n, f, lo, hi, def, mv, help)                                             \
	{                                                                              \
		n, EV_CFG_UINT, offsetof(struct disp_config, f), lo, hi, def, mv, help \
	}

static const struct ev_config_opt opts[] = {
        OPT_S("listen", listen, "127.0.0.1:8443", "ADDR:PORT", "TLS websocket listener"),
        OPT_S("cert", cert, "", "FILE", "PEM certificate (chain) of the listener"),
        OPT_S("key", key, "", "FILE", "PEM private key of the listener"),
        OPT_S("path", path, "/edge-view", "PATH", "websocket path (the path in the token's dep)"),
        OPT_S("metrics-listen", metrics_listen, "", "ADDR:PORT",
              "plain-HTTP listener for GET /metrics (none if empty)"),
        OPT_S("trusted-proxies", trusted_proxies, "", "IP,IP",
              "proxies whose Cf-Connecting-Ip / X-Forwarded-For are believed"),
        OPT_S("log-level", log_level, "notice", "LEVEL", "error, warn, notice, info or debug"),
        OPT_S("event-loop", event_loop, "epoll", "epoll|poll",
              "epoll (libev; scales to many sockets) or poll (no plugin needed)"),
        OPT_U("max-message", max_message, 1024, 64u * 1024 * 1024, "4194304", "BYTES",
              "largest message relayed; a larger one closes its sender"),
        OPT_U("max-message-unpaired", max_message_unpaired, 256, 64u * 1024 * 1024, "65536",
              "BYTES", "largest message accepted before the peer is there"),
        OPT_U("queue-bytes", queue_bytes, 4096, 1024u * 1024 * 1024, "1048576", "BYTES",
              "outgoing queue per connection; when full its peer is not read"),
        OPT_U("max-connections", max_connections, 1, 1000000, "50000", "N",
              "websocket connections in total"),
        OPT_U("max-per-ip", max_per_ip, 1, 1000000, "50000", "N",
              "websocket connections per client address"),
        OPT_U("handshake-timeout", handshake_timeout, 1, 3600, "10", "SECONDS",
              "time allowed for the TLS handshake and HTTP upgrade"),
        OPT_U("max-header", max_header, 1024, 65535, "4096", "BYTES", "HTTP request header bytes"),
        OPT_U("unpaired-timeout", unpaired_timeout, 0, 86400, "60", "SECONDS",
              "close a user endpoint whose device does not come (0: never)"),
        OPT_U("ping-interval", ping_interval, 0, 3600, "60", "SECONDS",
              "silence before the dispatcher pings an endpoint (0: never)"),
        OPT_U("ping-timeout", ping_timeout, 0, 7200, "150", "SECONDS",
              "silence before an endpoint is declared dead"),
        OPT_U("rx-buffer", rx_buffer, 512, 1024u * 1024, "1024", "BYTES",
              "receive buffer per connection (memory per idle socket)"),
        OPT_U("tx-chunk", tx_chunk, 1024, 1024u * 1024, "65536", "BYTES",
              "largest websocket frame sent; longer messages are fragmented"),
        OPT_U("noroute-notice-after", noroute_notice_after, 1, 1000000, "50", "N",
              "unroutable messages dropped before 'no device online' is sent"),
};

const struct ev_config_table disp_config_table = {opts, sizeof(opts) / sizeof(opts[0])};
