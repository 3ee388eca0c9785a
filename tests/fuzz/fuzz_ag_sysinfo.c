/*
 * fuzz_ag_sysinfo.c - the /proc, /sys and resolv.conf parsers of the agent's
 * host facts.  The first byte picks the parser, the rest is the file text.
 * agent/ is not part of libevcommon, so the module is compiled in here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/sysinfo.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ag_sysinfo *si;
	char *text;
	uint32_t ncpu;
	uint64_t ms;
	size_t i;
	int r;

	if (size < 1 || size > AG_SYSINFO_MAX_FILE)
		return 0;
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if ((si = calloc(1, sizeof(*si))) == NULL) {
		free(text);
		return 0;
	}
	/* interfaces and disks the counters can land on */
	si->nifs = 2;
	memcpy(si->ifs[0].name, "eth0", 5);
	memcpy(si->ifs[1].name, "lo", 3);
	si->ndisks = 1;
	memcpy(si->disks[0].name, "sda", 4);
	switch (data[0] % 7) {
	case 0: r = ag_sysinfo_parse_cpulist(text, &ncpu); break;
	case 1: r = ag_sysinfo_parse_meminfo(text, si); break;
	case 2: r = ag_sysinfo_parse_stat(text, 100, si); break;
	case 3: r = ag_sysinfo_parse_uptime(text, &ms); break;
	case 4:
		r = ag_sysinfo_parse_resolv(text, si);
		if (si->n_dns_servers > 3 || si->n_dns_search > AG_SYSINFO_MAX_DNS)
			abort();
		for (i = 0; i < si->n_dns_search; i++)
			if (strlen(si->dns_search[i]) >= AG_SYSINFO_STR_MAX)
				abort();
		break;
	case 5: r = ag_sysinfo_parse_netdev(text, si); break;
	default: r = ag_sysinfo_parse_diskstats(text, si); break;
	}
	if (r != 0 && r != EV_ERR_PROC_FORMAT)
		abort();
	if (si->have_mem &&
	    (si->mem_free_kb > si->mem_total_kb || si->mem_avail_kb > si->mem_total_kb))
		abort();
	if (si->have_cpu && si->cpu_busy_ns > si->cpu_total_ns)
		abort();
	free(si);
	free(text);
	return 0;
}
