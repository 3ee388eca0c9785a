/*
 * main.c - edgeview-dispatcher: settings, listeners, the event loop.
 *
 *	edgeview-dispatcher --listen 127.0.0.1:8443 --cert C --key K
 *
 * See --help, and docs/ARCHITECTURE.md for where this fits.
 */
#include <errno.h>
#include <ev.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "disp.h"
#include "ev_err.h"
#include "ev_log.h"
#include "ev_ws.h"

#define DISP_VERSION "0.1.0"

static volatile sig_atomic_t stop_requested;
static struct lws_context *signal_ctx;

/* poll(2) loop: the handler only asks the loop to return. */
static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (signal_ctx != NULL)
		lws_cancel_service(signal_ctx);
}

/* epoll loop (libev, through lws's event-lib plugin): a signal watcher
 * breaks the loop, then the context is destroyed outside it. */
/*
 * lws 4.1's libev glue re-arms its timer only after socket activity, so on
 * a quiet loop lws timeouts (handshake, ping, unpaired) would wait for the
 * next packet.  Waking lws a few times a second keeps them on time.
 */
#define LWS_TIMER_KICK_SECS 0.25

static void
on_kick(struct ev_loop *evl, ev_timer *w, int revents)
{
	(void)evl;
	(void)revents;
	lws_cancel_service(w->data);
}

/*
 * TLS handshakes allocate and free a few KiB each; with thousands of
 * sessions opening at once glibc keeps the freed pages.  Handing them back
 * now and then keeps RSS near what the open sessions really use.
 */
#define MALLOC_TRIM_SECS 10.0

static void
on_trim(struct ev_loop *evl, ev_timer *w, int revents)
{
	(void)evl;
	(void)w;
	(void)revents;
	malloc_trim(0);
}

static void
on_ev_signal(struct ev_loop *evl, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	stop_requested = 1;
	ev_break(evl, EVBREAK_ALL);
}
static void
usage(FILE *out)
{
	fprintf(out, "usage: edgeview-dispatcher --cert FILE --key FILE [options]\n\n"
	             "The Edge-View dispatcher: pairs a device and a user that present the same\n"
	             "session-token hash and relays their websocket messages.\n\n"
	             "options (also settable as 'name value' lines in --config FILE):\n");
	ev_config_usage(&disp_config_table, out);
	fprintf(out, "  %-30s %s\n", "--config FILE", "read settings from FILE first");
	fprintf(out, "  %-30s %s\n", "--dump-config", "print the effective settings and exit");
	fprintf(out, "  %-30s %s\n", "--help", "this text");
	fprintf(out, "  %-30s %s\n", "--version", "print the version");
}

/* "ADDR:PORT" or "[V6]:PORT" into addr and port. */
static int
split_hostport(const char *s, char *addr, size_t cap, int *port)
{
	const char *colon = strrchr(s, ':'), *a = s;
	size_t alen;
	char *end;
	long p;

	if (colon == NULL)
		return EV_ERR_INVALID_ARG;
	alen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (alen < 2 || s[alen - 1] != ']')
			return EV_ERR_INVALID_ARG;
		a = s + 1;
		alen -= 2;
	}
	if (alen == 0 || alen >= cap)
		return EV_ERR_INVALID_ARG;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
		return EV_ERR_INVALID_ARG;
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	*port = (int)p;
	return 0;
}

static int
parse_proxies(struct disp *d)
{
	char *copy, *tok, *save = NULL;

	if (d->cfg.trusted_proxies[0] == '\0')
		return 0;
	if ((copy = strdup(d->cfg.trusted_proxies)) == NULL)
		return EV_ERR_NOMEM;
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		char **np = realloc(d->proxies, (d->nproxies + 1) * sizeof(*np));
		if (np == NULL || (np[d->nproxies] = strdup(tok)) == NULL) {
			if (np != NULL)
				d->proxies = np;
			free(copy);
			return EV_ERR_NOMEM;
		}
		d->proxies = np;
		d->nproxies++;
	}
	free(copy);
	return 0;
}

static int
load_settings(struct disp *d, int argc, char **argv, bool *dump)
{

	enum ev_log_level lvl;
	int r;

	if ((r = ev_config_load_program(&disp_config_table, &d->cfg, argc, argv, NULL,
	                                "edgeview-dispatcher", dump)) != 0)
		return r;
	if (ev_log_level_parse(d->cfg.log_level, &lvl) != 0) {
		fprintf(stderr,
		        "edgeview-dispatcher: log-level '%s' is not one of error, warn, "
		        "notice, info, debug\n",
		        d->cfg.log_level);
		return EV_ERR_INVALID_ARG;
	}
	ev_log_set_level(lvl);
	if (d->cfg.path[0] != '/') {
		fprintf(stderr, "edgeview-dispatcher: path must start with '/'\n");
		return EV_ERR_INVALID_ARG;
	}
	return parse_proxies(d);
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	/* Thousands of sessions are two sockets each. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static struct disp d;
	struct lws_context_creation_info info;
	struct lws_protocols protocols[2], metrics_protocols[2];
	static lws_retry_bo_t idle_policy;
	char addr[256], maddr[256];
	int port = 0, mport = 0, ret = 1;
	bool dump;
	struct sigaction sa;
	struct ev_loop *loop = NULL;
	void *foreign[1] = {NULL};
	ev_signal sigterm_w, sigint_w;
	ev_timer kick_w, trim_w;

	ev_log_set_ident("edgeview-dispatcher");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("edgeview-dispatcher %s\n", DISP_VERSION);
			return 0;
		}
	}
	if (load_settings(&d, argc, argv, &dump) != 0)
		goto out;
	if (dump) {
		ev_config_dump(&disp_config_table, &d.cfg, stdout);
		ret = 0;
		goto out;
	}
	if (d.cfg.cert[0] == '\0' || d.cfg.key[0] == '\0') {
		fprintf(stderr,
		        "edgeview-dispatcher: --cert and --key are required (see --help)\n");
		goto out;
	}
	if (split_hostport(d.cfg.listen, addr, sizeof(addr), &port) != 0) {
		fprintf(stderr, "edgeview-dispatcher: --listen '%s' is not ADDR:PORT\n",
		        d.cfg.listen);
		goto out;
	}
	if (d.cfg.metrics_listen[0] != '\0' &&
	    split_hostport(d.cfg.metrics_listen, maddr, sizeof(maddr), &mport) != 0) {
		fprintf(stderr, "edgeview-dispatcher: --metrics-listen '%s' is not ADDR:PORT\n",
		        d.cfg.metrics_listen);
		goto out;
	}
	if (disp_tables_new(&d) != 0)
		goto out;
	raise_fd_limit();
	lws_set_log_level(LLL_ERR | LLL_WARN, ev_ws_lws_log);

	memset(protocols, 0, sizeof(protocols));
	protocols[0].name = "edge-view";
	protocols[0].callback = disp_callback;
	protocols[0].per_session_data_size = sizeof(struct disp_pss);
	protocols[0].rx_buffer_size = d.cfg.rx_buffer;
	protocols[0].tx_packet_size = d.cfg.tx_chunk;
	memset(metrics_protocols, 0, sizeof(metrics_protocols));
	metrics_protocols[0].name = "metrics";
	metrics_protocols[0].callback = disp_metrics_callback;
	metrics_protocols[0].per_session_data_size = sizeof(struct disp_pss);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if (strcmp(d.cfg.event_loop, "epoll") == 0) {
		/* poll(2) walks every socket on each wakeup: with thousands of
		 * sessions that, not TLS, becomes the cost.  libev's epoll
		 * backend, driven by us, does not. */
		if ((loop = ev_loop_new(EVBACKEND_EPOLL)) == NULL) {
			ev_log_err("cannot create the epoll event loop");
			goto out;
		}
		foreign[0] = loop;
		info.options |= LWS_SERVER_OPTION_LIBEV;
		info.foreign_loops = foreign;
	} else if (strcmp(d.cfg.event_loop, "poll") != 0) {
		fprintf(stderr, "edgeview-dispatcher: event-loop must be epoll or poll\n");
		goto out;
	}
	info.user = &d;
	info.max_http_header_data = (unsigned short)d.cfg.max_header;
	info.timeout_secs = (unsigned)d.cfg.handshake_timeout;
	info.timeout_secs_ah_idle = (unsigned)d.cfg.handshake_timeout;
	info.fd_limit_per_thread = (unsigned)(d.cfg.max_connections + 64);
	if ((d.ctx = lws_create_context(&info)) == NULL) {
		ev_log_err("cannot create the event loop");
		goto out;
	}
	signal_ctx = d.ctx;

	memset(&info, 0, sizeof(info));
	info.vhost_name = "edge-view";
	info.iface = addr;
	info.port = port;
	info.protocols = protocols;
	info.ssl_cert_filepath = d.cfg.cert;
	info.ssl_private_key_filepath = d.cfg.key;
	/* TLS 1.2 and 1.3 only; HTTP/1.1 only, as every Edge-View peer speaks. */
	info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
	info.alpn = "http/1.1";
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.timeout_secs = (unsigned)d.cfg.handshake_timeout;
	info.timeout_secs_ah_idle = (unsigned)d.cfg.handshake_timeout;
	if (d.cfg.ping_interval > 0) {
		idle_policy.secs_since_valid_ping = (uint16_t)d.cfg.ping_interval;
		idle_policy.secs_since_valid_hangup = (uint16_t)d.cfg.ping_timeout;
		info.retry_and_idle_policy = &idle_policy;
	}
	if (lws_create_vhost(d.ctx, &info) == NULL) {
		ev_log_err("cannot listen on %s (certificate %s, key %s)", d.cfg.listen, d.cfg.cert,
		           d.cfg.key);
		goto out;
	}
	if (mport != 0) {
		memset(&info, 0, sizeof(info));
		info.vhost_name = "metrics";
		info.iface = maddr;
		info.port = mport;
		info.protocols = metrics_protocols;
		if (lws_create_vhost(d.ctx, &info) == NULL) {
			ev_log_err("cannot listen on %s for metrics", d.cfg.metrics_listen);
			goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	ev_log_notice("listening on %s path %s%s%s (%s loop)", d.cfg.listen, d.cfg.path,
	              mport != 0 ? ", metrics on " : "", mport != 0 ? d.cfg.metrics_listen : "",
	              d.cfg.event_loop);
	if (loop != NULL) {
		ev_signal_init(&sigterm_w, on_ev_signal, SIGTERM);
		ev_signal_init(&sigint_w, on_ev_signal, SIGINT);
		ev_signal_start(loop, &sigterm_w);
		ev_signal_start(loop, &sigint_w);
		ev_timer_init(&kick_w, on_kick, LWS_TIMER_KICK_SECS, LWS_TIMER_KICK_SECS);
		kick_w.data = d.ctx;
		ev_timer_start(loop, &kick_w);
		ev_timer_init(&trim_w, on_trim, MALLOC_TRIM_SECS, MALLOC_TRIM_SECS);
		ev_timer_start(loop, &trim_w);
		ev_run(loop, 0);
		ev_timer_stop(loop, &kick_w);
		ev_timer_stop(loop, &trim_w);
		ev_signal_stop(loop, &sigterm_w);
		ev_signal_stop(loop, &sigint_w);
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		while (!stop_requested)
			if (lws_service(d.ctx, 0) < 0)
				break;
	}
	ev_log_notice("shutting down: %llu endpoints open", (unsigned long long)d.ws_count);
	ret = 0;
out:
	signal_ctx = NULL;
	if (d.ctx != NULL)
		lws_context_destroy(d.ctx);
	if (loop != NULL)
		ev_loop_destroy(loop);
	disp_tables_free(&d);
	for (size_t i = 0; i < d.nproxies; i++)
		free(d.proxies[i]);
	free(d.proxies);
	ev_config_free(&disp_config_table, &d.cfg);
	return ret;
}
