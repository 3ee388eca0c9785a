/* sysinfo.c - host facts under a root prefix (see sysinfo.h). */
#include "sysinfo.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ev_crypto.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_log.h"

struct ctx {
	char root[PATH_MAX];
	bool real; /* the root is this host's own */
	struct ag_sysinfo *si;
};

static int
read_rel(const struct ctx *c, const char *rel, size_t max, char **text, size_t *len)
{
	char path[PATH_MAX];
	int r;

	*text = NULL;
	if ((r = ev_path_join(path, sizeof(path), c->root, rel)) != 0)
		return r;
	return ev_file_read_capped(path, max, text, len);
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Copy text without surrounding white space into out (cut to cap - 1). */
static void
copy_trimmed(char *out, size_t cap, const char *text, size_t len)
{
	size_t a = 0, b = len;

	while (a < b && is_space(text[a]))
		a++;
	while (b > a && is_space(text[b - 1]))
		b--;
	if (b - a >= cap)
		b = a + cap - 1;
	memcpy(out, text + a, b - a);
	out[b - a] = '\0';
}

static void
read_str(const struct ctx *c, const char *rel, char *out, size_t cap)
{
	char *text = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (read_rel(c, rel, AG_SYSINFO_MAX_FILE, &text, &len) == 0)
		copy_trimmed(out, cap, text, len);
	free(text);
}

/* A decimal number with nothing but white space after it. */
static bool
parse_u64_exact(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	while (is_space(*s))
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return false;
	while (is_space(*end))
		end++;
	if (*end != '\0')
		return false;
	*out = v;
	return true;
}

/* The next decimal field at *p (white space skipped); *p moves past it. */
static bool
next_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || (*end != '\0' && !is_space(*end)))
		return false;
	*p = end;
	return true;
}

int
ag_sysinfo_parse_cpulist(const char *text, uint32_t *ncpu)
{
	const char *p = text;
	uint64_t n = 0;

	*ncpu = 0;
	while (is_space(*p))
		p++;
	if (*p == '\0')
		return EV_ERR_PROC_FORMAT;
	for (;;) {
		uint64_t a, b;
		char *end;

		if (*p < '0' || *p > '9')
			return EV_ERR_PROC_FORMAT;
		errno = 0;
		a = strtoull(p, &end, 10);
		if (errno != 0)
			return EV_ERR_PROC_FORMAT;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return EV_ERR_PROC_FORMAT;
			b = strtoull(p, &end, 10);
			if (errno != 0 || b < a)
				return EV_ERR_PROC_FORMAT;
			p = end;
		}
		if (b - a >= 65536 || (n += b - a + 1) > 65536)
			return EV_ERR_PROC_FORMAT;
		if (*p != ',')
			break;
		p++;
	}
	while (is_space(*p))
		p++;
	if (*p != '\0')
		return EV_ERR_PROC_FORMAT;
	*ncpu = (uint32_t)n;
	return 0;
}

/* The value of "key" in a "key:  value ..." file, as a number. */
static bool
keyed_u64(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1;

			return next_u64(&v, out);
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

int
ag_sysinfo_parse_meminfo(const char *text, struct ag_sysinfo *si)
{
	uint64_t total, free_kb, avail;

	si->have_mem = false;
	if (!keyed_u64(text, "MemTotal", &total) || !keyed_u64(text, "MemFree", &free_kb))
		return EV_ERR_PROC_FORMAT;
	/* MemAvailable is from Linux 3.14 */
	if (!keyed_u64(text, "MemAvailable", &avail))
		avail = free_kb;
	if (free_kb > total || avail > total)
		return EV_ERR_PROC_FORMAT;
	si->mem_total_kb = total;
	si->mem_free_kb = free_kb;
	si->mem_avail_kb = avail;
	si->have_mem = true;
	return 0;
}

int
ag_sysinfo_parse_stat(const char *text, long clk_tck, struct ag_sysinfo *si)
{
	const char *p = text, *line;
	uint64_t v[8] = {0}, btime, busy, all, ns;
	bool ok;
	size_t i;
	int r = 0;

	si->have_cpu = false;
	si->have_boot_time = false;
	if (clk_tck <= 0 || clk_tck > 1000000000)
		return EV_ERR_INVALID_ARG;
	if (strncmp(p, "cpu ", 4) == 0) {
		p += 4;
		/* user nice system idle iowait irq softirq steal (guest is in user) */
		for (i = 0; i < 8; i++)
			if (!next_u64(&p, &v[i]))
				break;
		/* older kernels have fewer columns; the first four are always there */
		ok = i >= 4;
		for (i = 0; ok && i < 8; i++)
			ok = v[i] <= UINT64_MAX / 16; /* so that the sums cannot wrap */
		if (ok) {
			busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			all = busy + v[3] + v[4];
			ns = 1000000000u / (uint64_t)clk_tck;
			if (ns > 0 && all <= UINT64_MAX / ns) {
				si->cpu_busy_ns = busy * ns;
				si->cpu_total_ns = all * ns;
				si->have_cpu = true;
			}
		}
	}
	if (!si->have_cpu)
		r = EV_ERR_PROC_FORMAT;
	for (line = text; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, "btime ", 6) == 0) {
			const char *b = line + 6;

			if (next_u64(&b, &btime) && btime <= INT64_MAX) {
				si->boot_time = (int64_t)btime;
				si->have_boot_time = true;
			}
			break;
		}
	}
	if (!si->have_boot_time)
		r = EV_ERR_PROC_FORMAT;
	return r;
}

int
ag_sysinfo_parse_uptime(const char *text, uint64_t *ms)
{
	const char *p = text;
	uint64_t sec, frac = 0, scale = 1000;
	char *end;

	*ms = 0;
	while (is_space(*p))
		p++;
	if (*p < '0' || *p > '9')
		return EV_ERR_PROC_FORMAT;
	errno = 0;
	sec = strtoull(p, &end, 10);
	if (errno != 0 || sec > UINT64_MAX / 1000)
		return EV_ERR_PROC_FORMAT;
	p = end;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
			p++;
		}
	}
	if (*p != '\0' && !is_space(*p))
		return EV_ERR_PROC_FORMAT;
	*ms = sec * 1000 + frac;
	return 0;
}

/* Go's net.ParseIP (no zones) then JoinHostPort(ip, "53"). */
static bool
dns_server(const char *ip, char *out, size_t cap)
{
	unsigned char b[16];
	int n;

	if (inet_pton(AF_INET, ip, b) == 1)
		n = snprintf(out, cap, "%s:53", ip);
	else if (inet_pton(AF_INET6, ip, b) == 1)
		n = snprintf(out, cap, "[%s]:53", ip);
	else
		return false;
	return n > 0 && (size_t)n < cap;
}

static void
add_search(struct ag_sysinfo *si, const char *name, size_t len)
{
	char *d;

	if (si->n_dns_search >= AG_SYSINFO_MAX_DNS || len + 2 > AG_SYSINFO_STR_MAX)
		return;
	d = si->dns_search[si->n_dns_search++];
	memcpy(d, name, len);
	/* ensureRooted */
	if (len == 0 || name[len - 1] != '.')
		d[len++] = '.';
	d[len] = '\0';
}

int
ag_sysinfo_parse_resolv(const char *text, struct ag_sysinfo *si)
{
	const char *line = text;

	si->n_dns_servers = 0;
	si->n_dns_search = 0;
	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n');
		size_t llen = eol != NULL ? (size_t)(eol - line) : strlen(line);
		const char *f[AG_SYSINFO_MAX_DNS + 1];
		size_t flen[AG_SYSINFO_MAX_DNS + 1], nf = 0, i = 0;

		if (llen > 0 && line[0] != '#' && line[0] != ';') {
			while (i < llen && nf < EV_ARRAY_LEN(f)) {
				while (i < llen && is_space(line[i]))
					i++;
				if (i >= llen)
					break;
				f[nf] = line + i;
				while (i < llen && !is_space(line[i]))
					i++;
				flen[nf] = (size_t)(line + i - f[nf]);
				nf++;
			}
		}
		if (nf >= 2 && flen[0] == 10 && strncmp(f[0], "nameserver", 10) == 0 &&
		    si->n_dns_servers < 3 && flen[1] < 46) {
			char ip[46];

			memcpy(ip, f[1], flen[1]);
			ip[flen[1]] = '\0';
			if (dns_server(ip, si->dns_servers[si->n_dns_servers],
			               sizeof(si->dns_servers[0])))
				si->n_dns_servers++;
		} else if (nf >= 2 && flen[0] == 6 && strncmp(f[0], "domain", 6) == 0) {
			si->n_dns_search = 0;
			add_search(si, f[1], flen[1]);
		} else if (nf >= 1 && flen[0] == 6 && strncmp(f[0], "search", 6) == 0) {
			si->n_dns_search = 0;
			for (i = 1; i < nf; i++)
				add_search(si, f[i], flen[i]);
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	si->have_dns = true;
	return 0;
}

static struct ag_netif *
find_if(struct ag_sysinfo *si, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < si->nifs; i++)
		if (strlen(si->ifs[i].name) == len && memcmp(si->ifs[i].name, name, len) == 0)
			return &si->ifs[i];
	return NULL;
}

int
ag_sysinfo_parse_netdev(const char *text, struct ag_sysinfo *si)
{
	const char *line = text;
	int r = 0;

	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n'), *colon, *name, *p;
		size_t nlen;
		uint64_t v[16];
		struct ag_netif *ni;
		size_t i;

		colon = memchr(line, ':', eol != NULL ? (size_t)(eol - line) : strlen(line));
		if (colon != NULL) {
			name = line;
			while (name < colon && (*name == ' ' || *name == '\t'))
				name++;
			nlen = (size_t)(colon - name);
			ni = find_if(si, name, nlen);
			p = colon + 1;
			for (i = 0; i < 16; i++)
				if (!next_u64(&p, &v[i]))
					break;
			if (i < 16) {
				r = EV_ERR_PROC_FORMAT;
			} else if (ni != NULL) {
				ni->rx_bytes = v[0];
				ni->rx_pkts = v[1];
				ni->rx_errs = v[2];
				ni->rx_drop = v[3];
				ni->tx_bytes = v[8];
				ni->tx_pkts = v[9];
				ni->tx_errs = v[10];
				ni->tx_drop = v[11];
				ni->have_counters = true;
			}
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	return r;
}

static struct ag_disk *
find_disk(struct ag_sysinfo *si, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < si->ndisks; i++)
		if (strlen(si->disks[i].name) == len && memcmp(si->disks[i].name, name, len) == 0)
			return &si->disks[i];
	return NULL;
}

int
ag_sysinfo_parse_diskstats(const char *text, struct ag_sysinfo *si)
{
	const char *line = text;
	int r = 0;

	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n'), *p = line, *name;
		uint64_t major, minor, v[7];
		struct ag_disk *d;
		size_t i, nlen;

		if (!next_u64(&p, &major) || !next_u64(&p, &minor)) {
			if (eol != line && *line != '\0')
				r = EV_ERR_PROC_FORMAT;
			line = eol != NULL ? eol + 1 : NULL;
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		nlen = (size_t)(p - name);
		/* reads merged sectors ms writes merged sectors */
		for (i = 0; i < 7; i++)
			if (!next_u64(&p, &v[i]))
				break;
		if (i < 7)
			r = EV_ERR_PROC_FORMAT;
		else if ((d = find_disk(si, name, nlen)) != NULL && v[2] <= UINT64_MAX / 512 &&
		         v[6] <= UINT64_MAX / 512) {
			d->reads = v[0];
			d->read_bytes = v[2] * 512;
			d->writes = v[4];
			d->write_bytes = v[6] * 512;
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	return r;
}

static bool
name_ok(const char *n)
{
	size_t i;

	if (n[0] == '\0' || n[0] == '.' || strlen(n) >= AG_SYSINFO_NAME_MAX)
		return false;
	for (i = 0; n[i] != '\0'; i++) {
		char ch = n[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' ||
		      ch == ':' || ch == '@'))
			return false;
	}
	return true;
}

static bool
mac_ok(const char *m)
{
	size_t i;

	if (strlen(m) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		char ch = m[i];

		if (i % 3 == 2 ? ch != ':'
		               : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		                   (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

static int
cmp_if(const void *a, const void *b)
{
	return strcmp(((const struct ag_netif *)a)->name, ((const struct ag_netif *)b)->name);
}

static void
collect_ifs(struct ctx *c)
{
	struct ag_sysinfo *si = c->si;
	char dir[PATH_MAX], rel[PATH_MAX], buf[64];
	struct dirent *de;
	DIR *d;

	if (ev_path_join(dir, sizeof(dir), c->root, "/sys/class/net") != 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && si->nifs < AG_SYSINFO_MAX_IFS) {
		struct ag_netif *ni = &si->ifs[si->nifs];
		char path[PATH_MAX];
		struct stat st;
		uint64_t v;

		if (!name_ok(de->d_name) || strcmp(de->d_name, "lo") == 0 ||
		    strlen(de->d_name) >= IFNAMSIZ)
			continue;
		if (ev_path_join(path, sizeof(path), dir, de->d_name) != 0 ||
		    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue; /* bonding_masters and the like */
		memset(ni, 0, sizeof(*ni));
		memcpy(ni->name, de->d_name, strlen(de->d_name) + 1);
		(void)snprintf(rel, sizeof(rel), "/sys/class/net/%s/address", ni->name);
		read_str(c, rel, buf, sizeof(buf));
		if (mac_ok(buf))
			memcpy(ni->mac, buf, 18);
		(void)snprintf(rel, sizeof(rel), "/sys/class/net/%s/mtu", ni->name);
		read_str(c, rel, buf, sizeof(buf));
		if (parse_u64_exact(buf, &v) && v <= UINT32_MAX)
			ni->mtu = (uint32_t)v;
		(void)snprintf(rel, sizeof(rel), "/sys/class/net/%s/flags", ni->name);
		read_str(c, rel, buf, sizeof(buf));
		if (strncmp(buf, "0x", 2) == 0) {
			char *end;

			errno = 0;
			v = strtoull(buf + 2, &end, 16);
			if (errno == 0 && *end == '\0' && end != buf + 2 && (v & IFF_UP) != 0) {
				(void)snprintf(rel, sizeof(rel), "/sys/class/net/%s/operstate",
				               ni->name);
				read_str(c, rel, buf, sizeof(buf));
				ni->up = strcmp(buf, "up") == 0 || strcmp(buf, "unknown") == 0;
			}
		}
		si->nifs++;
	}
	closedir(d);
	qsort(si->ifs, si->nifs, sizeof(si->ifs[0]), cmp_if);

	if (c->real) {
		struct ifaddrs *ifa = NULL, *i;

		if (getifaddrs(&ifa) != 0)
			return;
		for (i = ifa; i != NULL; i = i->ifa_next) {
			struct ag_netif *ni;
			const void *a;

			if (i->ifa_addr == NULL || i->ifa_name == NULL)
				continue;
			if (i->ifa_addr->sa_family == AF_INET)
				a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)
				             ->sin_addr;
			else if (i->ifa_addr->sa_family == AF_INET6)
				a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)
				             ->sin6_addr;
			else
				continue;
			ni = find_if(si, i->ifa_name, strlen(i->ifa_name));
			if (ni == NULL || ni->naddrs >= AG_SYSINFO_MAX_ADDRS)
				continue;
			if (inet_ntop(i->ifa_addr->sa_family, a, ni->addrs[ni->naddrs],
			              sizeof(ni->addrs[0])) != NULL)
				ni->naddrs++;
		}
		freeifaddrs(ifa);
	}
}

static void
collect_fs(struct ctx *c, const char *rel)
{
	struct ag_sysinfo *si = c->si;
	char path[PATH_MAX];
	struct statvfs vf;
	struct stat st;
	struct ag_fs *f;
	uint64_t unit;

	if (si->nfs >= EV_ARRAY_LEN(si->fs) || ev_path_join(path, sizeof(path), c->root, rel) != 0)
		return;
	if (path[0] == '\0')
		memcpy(path, "/", 2);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || statvfs(path, &vf) != 0)
		return;
	unit = vf.f_frsize != 0 ? vf.f_frsize : vf.f_bsize;
	if (unit == 0 || vf.f_blocks > UINT64_MAX / unit || vf.f_bfree > vf.f_blocks ||
	    vf.f_bavail > vf.f_blocks)
		return;
	f = &si->fs[si->nfs++];
	memset(f, 0, sizeof(*f));
	memcpy(f->path, rel, strlen(rel) + 1);
	f->total = (uint64_t)vf.f_blocks * unit;
	f->used = (uint64_t)(vf.f_blocks - vf.f_bfree) * unit;
	f->free = (uint64_t)vf.f_bavail * unit;
}

static bool
skip_disk(const char *n)
{
	static const char *const prefixes[] = {"loop", "ram", "zram", "fd", "sr", "nbd"};
	size_t i;

	for (i = 0; i < EV_ARRAY_LEN(prefixes); i++)
		if (strncmp(n, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int
cmp_disk(const void *a, const void *b)
{
	return strcmp(((const struct ag_disk *)a)->name, ((const struct ag_disk *)b)->name);
}

static void
collect_disks(struct ctx *c)
{
	struct ag_sysinfo *si = c->si;
	char dir[PATH_MAX], rel[PATH_MAX], buf[64], *text = NULL;
	struct dirent *de;
	size_t len;
	DIR *d;
	int r;

	if (ev_path_join(dir, sizeof(dir), c->root, "/sys/block") != 0 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && si->ndisks < AG_SYSINFO_MAX_DISKS) {
		struct ag_disk *dk = &si->disks[si->ndisks];
		uint64_t sectors;

		if (!name_ok(de->d_name) || skip_disk(de->d_name))
			continue;
		memset(dk, 0, sizeof(*dk));
		memcpy(dk->name, de->d_name, strlen(de->d_name) + 1);
		(void)snprintf(rel, sizeof(rel), "/sys/block/%s/size", dk->name);
		read_str(c, rel, buf, sizeof(buf));
		if (!parse_u64_exact(buf, &sectors) || sectors == 0 || sectors > UINT64_MAX / 512)
			continue; /* empty card readers and the like */
		dk->size = sectors * 512;
		si->ndisks++;
	}
	closedir(d);
	qsort(si->disks, si->ndisks, sizeof(si->disks[0]), cmp_disk);
	if (si->ndisks > 0 &&
	    read_rel(c, "/proc/diskstats", AG_SYSINFO_MAX_FILE, &text, &len) == 0 &&
	    (r = ag_sysinfo_parse_diskstats(text, si)) != 0)
		ev_log_debug_r(r, "%s/proc/diskstats", c->root);
	free(text);
}

/* EVE's massageCompatible: the NUL-separated list joined with '.', other
 * control characters dropped. */
static void
read_compatible(struct ctx *c)
{
	char *text = NULL, *out = c->si->compatible;
	size_t len = 0, i, n = 0;

	if (read_rel(c, "/proc/device-tree/compatible", AG_SYSINFO_MAX_FILE, &text, &len) != 0) {
		free(text);
		return;
	}
	if (len > 0 && (unsigned char)text[len - 1] < 0x20)
		len--;
	for (i = 0; i < len && n + 1 < AG_SYSINFO_STR_MAX; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\0')
			out[n++] = '.';
		else if (ch >= 0x20 && ch != 0x7f)
			out[n++] = (char)ch;
	}
	out[n] = '\0';
	free(text);
}

static void
collect(struct ctx *c)
{
	struct ag_sysinfo *si = c->si;
	struct utsname u;
	char *text = NULL, path[PATH_MAX];
	size_t len;
	struct stat st;
	int r;

	if (!c->real)
		read_str(c, "/proc/sys/kernel/arch", si->machine, sizeof(si->machine));
	if (si->machine[0] == '\0' && uname(&u) == 0)
		copy_trimmed(si->machine, sizeof(si->machine), u.machine, strlen(u.machine));
	read_str(c, "/proc/sys/kernel/hostname", si->hostname, sizeof(si->hostname));
	if (si->hostname[0] == '\0' && c->real &&
	    gethostname(si->hostname, sizeof(si->hostname)) != 0)
		si->hostname[0] = '\0';
	si->hostname[sizeof(si->hostname) - 1] = '\0';

	if (read_rel(c, "/sys/devices/system/cpu/online", AG_SYSINFO_MAX_FILE, &text, &len) == 0 &&
	    ag_sysinfo_parse_cpulist(text, &si->ncpu) == 0)
		si->have_ncpu = true;
	free(text);
	text = NULL;
	if (!si->have_ncpu && c->real) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		if (n > 0 && n <= 65536) {
			si->ncpu = (uint32_t)n;
			si->have_ncpu = true;
		}
	}

#define PARSE_FILE(rel, call)                                                                     \
	do {                                                                                      \
		if (read_rel(c, rel, AG_SYSINFO_MAX_FILE, &text, &len) == 0 && (r = (call)) != 0) \
			ev_log_debug_r(r, "%s%s", c->root, rel);                                  \
		free(text);                                                                       \
		text = NULL;                                                                      \
	} while (0)
	PARSE_FILE("/proc/meminfo", ag_sysinfo_parse_meminfo(text, si));
	PARSE_FILE("/proc/stat", ag_sysinfo_parse_stat(text, sysconf(_SC_CLK_TCK), si));
	PARSE_FILE("/proc/uptime", ag_sysinfo_parse_uptime(text, &si->uptime_ms));
	si->have_uptime = si->uptime_ms > 0;
	PARSE_FILE("/etc/resolv.conf", ag_sysinfo_parse_resolv(text, si));
	collect_ifs(c);
	if (si->nifs > 0)
		PARSE_FILE("/proc/net/dev", ag_sysinfo_parse_netdev(text, si));
#undef PARSE_FILE

	collect_fs(c, "/");
	collect_fs(c, "/persist");
	collect_disks(c);

	read_str(c, "/sys/class/dmi/id/sys_vendor", si->manufacturer, sizeof(si->manufacturer));
	read_str(c, "/sys/class/dmi/id/product_name", si->product_name, sizeof(si->product_name));
	read_str(c, "/sys/class/dmi/id/product_version", si->product_version,
	         sizeof(si->product_version));
	read_str(c, "/sys/class/dmi/id/product_serial", si->product_serial,
	         sizeof(si->product_serial));
	read_str(c, "/sys/class/dmi/id/product_uuid", si->product_uuid, sizeof(si->product_uuid));
	read_str(c, "/sys/class/dmi/id/bios_vendor", si->bios_vendor, sizeof(si->bios_vendor));
	read_str(c, "/sys/class/dmi/id/bios_version", si->bios_version, sizeof(si->bios_version));
	read_str(c, "/sys/class/dmi/id/bios_date", si->bios_date, sizeof(si->bios_date));
	read_compatible(c);

	if (ev_path_join(path, sizeof(path), c->root, "/config/remote_access_disabled") == 0 &&
	    stat(path, &st) == 0)
		si->remote_access_disabled = true;
	if (read_rel(c, "/config/root-certificate.pem", EV_MAX_PEM_FILE, &text, &len) == 0 &&
	    ev_sha256(text, len, si->sha_root_ca) == 0)
		si->have_sha_root_ca = true;
	free(text);
}

int
ag_sysinfo_collect(const char *root, struct ag_sysinfo **out)
{
	struct ctx c;
	size_t n;

	if (out != NULL)
		*out = NULL;
	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	memset(&c, 0, sizeof(c));
	if (root == NULL)
		root = "";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (n >= sizeof(c.root))
		return EV_ERR_TOO_BIG;
	memcpy(c.root, root, n);
	c.root[n] = '\0';
	c.real = n == 0;
	if ((c.si = calloc(1, sizeof(*c.si))) == NULL)
		return EV_ERR_NOMEM;
	collect(&c);
	*out = c.si;
	return 0;
}

void
ag_sysinfo_free(struct ag_sysinfo *si)
{
	free(si);
}
