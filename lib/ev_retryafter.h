/*
 * ev_retryafter.h - the HTTP Retry-After header of a controller's 429/503
 * (RFC 9110 10.2.3), which EVE ignores and eve-agent honours: delta seconds
 * or an IMF-fixdate.  The value comes from the network, so it is parsed
 * here, away from libwebsockets, where it can be fuzzed.
 */
#ifndef EV_RETRYAFTER_H
#define EV_RETRYAFTER_H

#include <stdint.h>

/* Seconds to wait at time now (Unix seconds), at most
 * EV_MAX_RETRY_AFTER_SECS; 0 when v is NULL, empty, malformed, an obsolete
 * date form, or a date not in the future. */
unsigned ev_retry_after_parse(const char *v, int64_t now);

#endif
