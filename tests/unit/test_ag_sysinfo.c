/* test_ag_sysinfo.c - host facts from a fake root (tests/data/agent/root) and the parsers. */
#include "ev_test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_encoding.h"
#include "ev_err.h"
#include "sysinfo.h"

static void
test_fake_root(void **state)
{
	struct ag_sysinfo *si = NULL;
	char hex[2 * EV_SHA256_LEN + 1];
	uint64_t ns = 1000000000u / (uint64_t)sysconf(_SC_CLK_TCK);

	(void)state;
	assert_ev_ok(ag_sysinfo_collect(tv_data_path("agent/root"), &si));
	assert_string_equal(si->machine, "aarch64");
	assert_string_equal(si->hostname, "test-host");
	assert_true(si->have_ncpu);
	assert_int_equal(si->ncpu, 5);
	assert_true(si->have_mem);
	assert_int_equal(si->mem_total_kb, 8167004);
	assert_int_equal(si->mem_free_kb, 1024000);
	assert_int_equal(si->mem_avail_kb, 4083502);
	assert_true(si->have_boot_time);
	assert_int_equal(si->boot_time, 1700000000);
	assert_true(si->have_uptime);
	assert_int_equal(si->uptime_ms, 12345670);
	assert_true(si->have_cpu);
	assert_int_equal(si->cpu_busy_ns, 1710 * ns);
	assert_int_equal(si->cpu_total_ns, 6210 * ns);

	/* resolv.conf as EVE's netclone reads it */
	assert_true(si->have_dns);
	assert_int_equal(si->n_dns_servers, 3);
	assert_string_equal(si->dns_servers[0], "10.0.0.1:53");
	assert_string_equal(si->dns_servers[1], "[fe80::1]:53");
	assert_string_equal(si->dns_servers[2], "8.8.8.8:53");
	assert_int_equal(si->n_dns_search, 2);
	assert_string_equal(si->dns_search[0], "example.com.");
	assert_string_equal(si->dns_search[1], "corp.local.");

	/* interfaces: lo and bonding_masters are not ports */
	assert_int_equal(si->nifs, 2);
	assert_string_equal(si->ifs[0].name, "eth0");
	assert_string_equal(si->ifs[0].mac, "52:54:00:12:34:56");
	assert_true(si->ifs[0].up);
	assert_int_equal(si->ifs[0].mtu, 1500);
	assert_int_equal(si->ifs[0].naddrs, 0); /* none under a fake root */
	assert_true(si->ifs[0].have_counters);
	assert_int_equal(si->ifs[0].rx_bytes, 123456789);
	assert_int_equal(si->ifs[0].rx_pkts, 98765);
	assert_int_equal(si->ifs[0].rx_errs, 1);
	assert_int_equal(si->ifs[0].rx_drop, 2);
	assert_int_equal(si->ifs[0].tx_bytes, 987654321);
	assert_int_equal(si->ifs[0].tx_pkts, 56789);
	assert_int_equal(si->ifs[0].tx_errs, 3);
	assert_int_equal(si->ifs[0].tx_drop, 4);
	assert_string_equal(si->ifs[1].name, "wlan0");
	assert_false(si->ifs[1].up);
	assert_int_equal(si->ifs[1].mtu, 1400);
	assert_int_equal(si->ifs[1].tx_bytes, 5);

	/* file systems and disks */
	assert_int_equal(si->nfs, 2);
	assert_string_equal(si->fs[0].path, "/");
	assert_string_equal(si->fs[1].path, "/persist");
	assert_true(si->fs[0].total > 0);
	assert_true(si->fs[0].used <= si->fs[0].total && si->fs[0].free <= si->fs[0].total);
	assert_int_equal(si->ndisks, 1);
	assert_string_equal(si->disks[0].name, "sda");
	assert_int_equal(si->disks[0].size, 4194304ull * 512);
	assert_int_equal(si->disks[0].reads, 5000);
	assert_int_equal(si->disks[0].read_bytes, 409600ull * 512);
	assert_int_equal(si->disks[0].writes, 2000);
	assert_int_equal(si->disks[0].write_bytes, 204800ull * 512);

	assert_string_equal(si->manufacturer, "ACME Corp.");
	assert_string_equal(si->product_name, "Edge Box 3000");
	assert_string_equal(si->product_serial, "SN-0042");
	assert_string_equal(si->product_uuid, "");
	assert_string_equal(si->bios_date, "01/02/2024");
	assert_string_equal(si->compatible, "acme,edgebox.acme,soc");
	assert_true(si->remote_access_disabled);
	assert_true(si->have_sha_root_ca);
	ev_hex_encode(si->sha_root_ca, sizeof(si->sha_root_ca), hex);
	assert_string_equal(hex,
	                    "8010bfcee1842b2a4ce8f67c3e9455f0188f7a15bf39ec61a26feb75cd785821");
	ag_sysinfo_free(si);
}

static void
test_empty_root(void **state)
{
	struct ag_sysinfo *si = NULL;
	char *dir = tv_tmpdir();

	(void)state;
	/* nothing there: empty groups, no failure */
	assert_ev_ok(ag_sysinfo_collect(dir, &si));
	assert_false(si->have_ncpu);
	assert_false(si->have_mem);
	assert_false(si->have_cpu);
	assert_false(si->have_dns);
	assert_int_equal(si->nifs, 0);
	assert_int_equal(si->nfs, 1); /* the root itself */
	assert_false(si->remote_access_disabled);
	assert_false(si->have_sha_root_ca);
	assert_true(si->machine[0] != '\0'); /* uname(2) */
	ag_sysinfo_free(si);
	tv_rmrf(dir);
	free(dir);
}

static void
test_this_host(void **state)
{
	struct ag_sysinfo *si = NULL;

	(void)state;
	assert_ev_ok(ag_sysinfo_collect("/", &si));
	assert_true(si->have_ncpu && si->ncpu >= 1);
	assert_true(si->have_mem && si->mem_total_kb > 0);
	assert_true(si->have_boot_time && si->have_uptime && si->have_cpu);
	assert_true(si->nfs >= 1);
	ag_sysinfo_free(si);
}

static void
test_cpulist(void **state)
{
	static const struct {
		const char *in;
		int r;
		uint32_t n;
	} t[] = {
	        {"0\n", 0, 1},
	        {"0-7\n", 0, 8},
	        {"0-3,5,7-8", 0, 7},
	        {"  2 ", 0, 1},
	        {"", EV_ERR_PROC_FORMAT, 0},
	        {"3-1", EV_ERR_PROC_FORMAT, 0},
	        {"a", EV_ERR_PROC_FORMAT, 0},
	        {"1,", EV_ERR_PROC_FORMAT, 0},
	        {"1-", EV_ERR_PROC_FORMAT, 0},
	        {"0-99999", EV_ERR_PROC_FORMAT, 0},
	        {"1 2", EV_ERR_PROC_FORMAT, 0},
	        {"99999999999999999999", EV_ERR_PROC_FORMAT, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < EV_ARRAY_LEN(t); i++) {
		uint32_t n = 99;
		int r = ag_sysinfo_parse_cpulist(t[i].in, &n);

		if (r != t[i].r || n != t[i].n)
			fail_msg("\"%s\": r=%d n=%u", t[i].in, r, n);
	}
}

static void
test_parsers(void **state)
{
	struct ag_sysinfo *si = calloc(1, sizeof(*si));
	uint64_t ms;

	(void)state;
	assert_non_null(si);
	/* meminfo without MemAvailable (old kernels) */
	assert_ev_ok(ag_sysinfo_parse_meminfo("MemTotal: 100 kB\nMemFree: 40 kB\n", si));
	assert_int_equal(si->mem_avail_kb, 40);
	assert_ev_err(ag_sysinfo_parse_meminfo("MemTotal: 100 kB\n", si), EV_ERR_PROC_FORMAT);
	assert_false(si->have_mem);
	assert_ev_err(ag_sysinfo_parse_meminfo("MemTotal: 10 kB\nMemFree: 40 kB\n", si),
	              EV_ERR_PROC_FORMAT);
	assert_ev_err(ag_sysinfo_parse_meminfo("MemTotal: x kB\nMemFree: 40 kB\n", si),
	              EV_ERR_PROC_FORMAT);

	/* stat: four columns are enough; garbage is not */
	assert_ev_ok(ag_sysinfo_parse_stat("cpu 1 2 3 4\nbtime 7\n", 100, si));
	assert_int_equal(si->cpu_busy_ns, 6 * 10000000ull);
	assert_int_equal(si->boot_time, 7);
	assert_ev_err(ag_sysinfo_parse_stat("cpu 1 2 3\nbtime 7\n", 100, si), EV_ERR_PROC_FORMAT);
	assert_false(si->have_cpu);
	assert_true(si->have_boot_time);
	assert_ev_err(ag_sysinfo_parse_stat("cpu 1 2 3 4\n", 100, si), EV_ERR_PROC_FORMAT);
	assert_ev_err(ag_sysinfo_parse_stat("cpu 18446744073709551615 1 1 1\nbtime 1\n", 100, si),
	              EV_ERR_PROC_FORMAT);

	assert_ev_ok(ag_sysinfo_parse_uptime("350735.47 234388.90\n", &ms));
	assert_int_equal(ms, 350735470);
	assert_ev_ok(ag_sysinfo_parse_uptime("5", &ms));
	assert_int_equal(ms, 5000);
	assert_ev_err(ag_sysinfo_parse_uptime("-5", &ms), EV_ERR_PROC_FORMAT);
	assert_ev_err(ag_sysinfo_parse_uptime("5x", &ms), EV_ERR_PROC_FORMAT);

	/* resolv.conf: a later "search" or "domain" wins; servers must be IPs */
	assert_ev_ok(ag_sysinfo_parse_resolv("search a b\ndomain c\nnameserver ::1\n"
	                                     "nameserver 1.2.3.4%eth0\nnameserver 1.02.3.4\n",
	                                     si));
	assert_int_equal(si->n_dns_search, 1);
	assert_string_equal(si->dns_search[0], "c.");
	assert_int_equal(si->n_dns_servers, 1);
	assert_string_equal(si->dns_servers[0], "[::1]:53");
	assert_ev_ok(ag_sysinfo_parse_resolv("search\n", si));
	assert_int_equal(si->n_dns_search, 0);

	/* netdev: a short line is an error, other interfaces are fine */
	si->nifs = 1;
	memset(&si->ifs[0], 0, sizeof(si->ifs[0]));
	memcpy(si->ifs[0].name, "eth0", 5);
	assert_ev_ok(
	        ag_sysinfo_parse_netdev("h1\nh2\n  eth1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	                                "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	                                si));
	assert_int_equal(si->ifs[0].tx_bytes, 9);
	assert_ev_err(ag_sysinfo_parse_netdev("  eth0: 1 2 3\n", si), EV_ERR_PROC_FORMAT);
	free(si);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fake_root), cmocka_unit_test(test_empty_root),
	        cmocka_unit_test(test_this_host), cmocka_unit_test(test_cpulist),
	        cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
