/* ev_proxy.c - https_proxy / no_proxy for the dispatcher connection. */
#include "ev_proxy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev_err.h"

/* no_proxy: "*", or comma/space separated hosts and ".domain" suffixes. */
static bool
bypassed(const char *no_proxy, const char *host)
{
	size_t hl = strlen(host);
	const char *p = no_proxy;

	while (*p != '\0') {
		size_t n;
		while (*p == ',' || *p == ' ')
			p++;
		n = strcspn(p, ", ");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '*')
			return true;
		{
			const char *e = p;
			size_t en = n;
			if (e[0] == '.') { /* ".example.com" matches below it */
				e++;
				en--;
			}
			if (en == hl && strncasecmp(e, host, hl) == 0)
				return true;
			if (hl > en && host[hl - en - 1] == '.' &&
			    strncasecmp(host + hl - en, e, en) == 0)
				return true;
		}
		p += n;
	}
	return false;
}

int
ev_proxy_pick(const char *https_proxy, const char *no_proxy, const char *dest_host,
              char out[EV_PROXY_MAX])
{
	const char *v = https_proxy, *end;
	size_t n;

	out[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	if (no_proxy != NULL && bypassed(no_proxy, dest_host))
		return 0;
	if (strncasecmp(v, "http://", 7) == 0)
		v += 7;
	else if (strstr(v, "://") != NULL)
		return EV_ERR_INVALID_ARG; /* https:// or socks proxies: not supported */
	end = v + strcspn(v, "/");
	n = (size_t)(end - v);
	/* Credentials would have to travel in a Proxy-Authorization header. */
	if (n == 0 || n >= EV_PROXY_MAX || memchr(v, '@', n) != NULL)
		return EV_ERR_INVALID_ARG;
	{
		const char *colon = memchr(v, ':', n);
		if (colon == NULL || colon == v || colon + 1 == end)
			return EV_ERR_INVALID_ARG;
		for (const char *c = colon + 1; c < end; c++)
			if (*c < '0' || *c > '9')
				return EV_ERR_INVALID_ARG;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int
ev_proxy_for(const char *dest_host, char out[EV_PROXY_MAX])
{
	const char *p = getenv("https_proxy"), *np = getenv("no_proxy");

	if (p == NULL)
		p = getenv("HTTPS_PROXY");
	if (np == NULL)
		np = getenv("NO_PROXY");
	return ev_proxy_pick(p, np, dest_host, out);
}
