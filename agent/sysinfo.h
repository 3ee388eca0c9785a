/*
 * sysinfo.h - facts about a generic Linux host for the device info and
 * metrics (device-api.md 5.2, 6.1), read the way EVE's zedagent reads them
 * where a plain host has the same source.
 *
 * Everything is read under a root prefix ("" or "/" = this host; tests
 * point it at a fake tree): <root>/proc, <root>/sys, <root>/etc,
 * <root>/config, and statvfs of <root>/ and <root>/persist.  Two facts have
 * no file under /proc or /sys on every kernel and come from the calling
 * process when the root is the real one: the machine (uname(2); under a
 * fake root <root>/proc/sys/kernel/arch if present) and the interface
 * addresses (getifaddrs(3); none under a fake root).
 *
 * Only what was read is reported: every group has a have_* flag, and a
 * missing or malformed file leaves its group empty (logged at debug
 * level) rather than failing the whole collection.  Kernel files are
 * capped (AG_SYSINFO_MAX_FILE) and parsed with range checks.
 */
#ifndef AG_SYSINFO_H
#define AG_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "ev_limits.h"

#define AG_SYSINFO_MAX_FILE  (1024u * 1024) /* one /proc or /sys file */
#define AG_SYSINFO_MAX_IFS   64u
#define AG_SYSINFO_MAX_ADDRS 16u /* per interface */
#define AG_SYSINFO_MAX_DNS   16u /* servers, and search domains */
#define AG_SYSINFO_MAX_DISKS 32u
#define AG_SYSINFO_NAME_MAX  64u  /* interface and disk names */
#define AG_SYSINFO_STR_MAX   256u /* hostname, DMI strings, DNS names */

struct ag_netif {
	char name[AG_SYSINFO_NAME_MAX];
	char mac[18]; /* "aa:bb:cc:dd:ee:ff", "" if none */
	bool up;      /* IFF_UP and operstate up (or unknown, as for tunnels) */
	uint32_t mtu;
	char addrs[AG_SYSINFO_MAX_ADDRS][46]; /* INET6_ADDRSTRLEN */
	size_t naddrs;
	bool have_counters; /* from /proc/net/dev */
	uint64_t rx_bytes, rx_pkts, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_pkts, tx_errs, tx_drop;
};

struct ag_fs {
	char path[16];              /* "/" or "/persist", as reported */
	uint64_t total, used, free; /* bytes; free = available to non-root */
};

struct ag_disk {
	char name[AG_SYSINFO_NAME_MAX]; /* "sda" */
	uint64_t size;                  /* bytes */
	uint64_t read_bytes, write_bytes, reads, writes;
};

struct ag_sysinfo {
	char machine[65]; /* uname -m */
	char hostname[AG_SYSINFO_STR_MAX];

	bool have_ncpu;
	uint32_t ncpu; /* online CPUs */

	bool have_mem;
	uint64_t mem_total_kb, mem_free_kb, mem_avail_kb;

	bool have_boot_time;
	int64_t boot_time; /* btime, Unix seconds */

	bool have_uptime;
	uint64_t uptime_ms;

	bool have_cpu;
	uint64_t cpu_busy_ns;  /* all CPUs, all but idle and iowait */
	uint64_t cpu_total_ns; /* all CPUs, everything */

	/* as EVE's netclone.DnsReadConfig gives them: at most 3 servers, only
	 * IP addresses, written "ip:53" / "[ip6]:53"; search domains rooted
	 * ("example.com."); a "domain" line sets the search list */
	bool have_dns;
	char dns_servers[AG_SYSINFO_MAX_DNS][56];
	size_t n_dns_servers;
	char dns_search[AG_SYSINFO_MAX_DNS][AG_SYSINFO_STR_MAX];
	size_t n_dns_search; /* "search", or the "domain" line as Go reads it */

	struct ag_netif ifs[AG_SYSINFO_MAX_IFS];
	size_t nifs;

	struct ag_fs fs[2];
	size_t nfs;

	struct ag_disk disks[AG_SYSINFO_MAX_DISKS];
	size_t ndisks;

	/* DMI (x86) and device tree (Arm); "" when unreadable (serial and
	 * UUID need root) */
	char manufacturer[AG_SYSINFO_STR_MAX], product_name[AG_SYSINFO_STR_MAX];
	char product_version[AG_SYSINFO_STR_MAX], product_serial[AG_SYSINFO_STR_MAX];
	char product_uuid[AG_SYSINFO_STR_MAX], bios_vendor[AG_SYSINFO_STR_MAX];
	char bios_version[AG_SYSINFO_STR_MAX], bios_date[AG_SYSINFO_STR_MAX];
	char compatible[AG_SYSINFO_STR_MAX];

	bool remote_access_disabled; /* <root>/config/remote_access_disabled exists */
	bool have_sha_root_ca;       /* SHA-256 of <root>/config/root-certificate.pem */
	uint8_t sha_root_ca[EV_SHA256_LEN];
};

/* Collect everything (about 30 small reads).  root NULL = "".  Fails only
 * for EV_ERR_NOMEM / EV_ERR_INVALID_ARG / a root path too long. */
int ag_sysinfo_collect(const char *root, struct ag_sysinfo **out) EV_WARN_UNUSED;
void ag_sysinfo_free(struct ag_sysinfo *si);

/* The parsers, for tests and fuzzing (text NUL-terminated, len bytes). */
int ag_sysinfo_parse_cpulist(const char *text, uint32_t *ncpu) EV_WARN_UNUSED;
int ag_sysinfo_parse_meminfo(const char *text, struct ag_sysinfo *si) EV_WARN_UNUSED;
int ag_sysinfo_parse_stat(const char *text, long clk_tck, struct ag_sysinfo *si) EV_WARN_UNUSED;
int ag_sysinfo_parse_uptime(const char *text, uint64_t *ms) EV_WARN_UNUSED;
int ag_sysinfo_parse_resolv(const char *text, struct ag_sysinfo *si) EV_WARN_UNUSED;
/* Fills the counters of interfaces already in si->ifs (by name). */
int ag_sysinfo_parse_netdev(const char *text, struct ag_sysinfo *si) EV_WARN_UNUSED;
/* Fills the I/O counters of disks already in si->disks (by name). */
int ag_sysinfo_parse_diskstats(const char *text, struct ag_sysinfo *si) EV_WARN_UNUSED;

#endif
