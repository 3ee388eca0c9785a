/* ev_retryafter.c - the HTTP Retry-After header (see ev_retryafter.h). */
#include "ev_retryafter.h"

#include <stdbool.h>
#include <string.h>

#include "ev_limits.h"
#include "ev_status.h"

static bool
take_digits(const char **p, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", the form RFC 9110 requires
 * senders to use; the obsolete forms are not accepted. */
static bool
parse_imf_fixdate(const char *s, int64_t *out)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p = s, *f;
	unsigned day, year, hh, mm, ss, mon;

	if (strlen(s) != 29)
		return false;
	for (f = days; *f != '\0'; f += 3)
		if (strncmp(p, f, 3) == 0)
			break;
	if (*f == '\0' || strncmp(p + 3, ", ", 2) != 0)
		return false;
	p += 5;
	if (!take_digits(&p, 2, &day) || *p++ != ' ')
		return false;
	for (f = months; *f != '\0'; f += 3)
		if (strncmp(p, f, 3) == 0)
			break;
	if (*f == '\0' || p[3] != ' ')
		return false;
	mon = (unsigned)(f - months) / 3 + 1;
	p += 4;
	if (!take_digits(&p, 4, &year) || *p++ != ' ' || !take_digits(&p, 2, &hh) || *p++ != ':' ||
	    !take_digits(&p, 2, &mm) || *p++ != ':' || !take_digits(&p, 2, &ss) ||
	    strcmp(p, " GMT") != 0)
		return false;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return false;
	*out = ev_days_from_civil(year, (int)mon, (int)day) * 86400 + hh * 3600 + mm * 60 + ss;
	return true;
}

unsigned
ev_retry_after_parse(const char *v, int64_t now)
{
	int64_t when;
	size_t n;

	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;
	if (v[0] >= '0' && v[0] <= '9') {
		unsigned long long secs = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9')
				return 0;
			if (secs < EV_MAX_RETRY_AFTER_SECS)
				secs = secs * 10 + (unsigned)(v[i] - '0');
		}
		return secs > EV_MAX_RETRY_AFTER_SECS ? EV_MAX_RETRY_AFTER_SECS : (unsigned)secs;
	}
	{
		char date[30];
		if (n >= sizeof(date))
			return 0;
		memcpy(date, v, n);
		date[n] = '\0';
		if (!parse_imf_fixdate(date, &when) || when <= now)
			return 0;
	}
	return when - now > (int64_t)EV_MAX_RETRY_AFTER_SECS ? EV_MAX_RETRY_AFTER_SECS
	                                                     : (unsigned)(when - now);
}
