/*
 * ev_proxy.h - which HTTP CONNECT proxy, if any, to use for a host, from
 * the conventional environment (https_proxy / HTTPS_PROXY, no_proxy /
 * NO_PROXY), as curl and Go's net/http read them.
 */
#ifndef EV_PROXY_H
#define EV_PROXY_H

#include <stddef.h>

#include "ev_attr.h"

#define EV_PROXY_MAX 256 /* "host:port" of a proxy */

/*
 * out receives "host:port" of the proxy for dest_host, or "" for a direct
 * connection.  EV_ERR_INVALID_ARG when the variable is set but unusable
 * (credentials in it, no port, not http://), out is then "".
 */
int ev_proxy_for(const char *dest_host, char out[EV_PROXY_MAX]) EV_WARN_UNUSED;
/* The same with explicit values (tests): NULL means unset. */
int ev_proxy_pick(const char *https_proxy, const char *no_proxy, const char *dest_host,
                  char out[EV_PROXY_MAX]) EV_WARN_UNUSED;

#endif
