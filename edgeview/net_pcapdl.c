/* net_pcapdl.c - libpcap through dlopen (see net_pcapdl.h for why). */
#include "net_pcapdl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The soname of Debian's libpcap0.8 package. */
#define PCAPDL_SONAME "libpcap.so.0.8"

#define PCAPDL_SYM(field, name)                                           \
	do {                                                              \
		*(void **)(&pl->field) = dlsym(pl->handle, name);         \
		if (pl->field == NULL) {                                  \
			snprintf(err, errlen, "libpcap has no %s", name); \
			goto fail;                                        \
		}                                                         \
	} while (0)

int
pcapdl_load(struct pcapdl *pl, char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	if ((pl->handle = dlopen(PCAPDL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "cannot load %s (install libpcap0.8): %s", PCAPDL_SONAME,
		         dlerror());
		return -1;
	}
	PCAPDL_SYM(create, "pcap_create");
	PCAPDL_SYM(set_snaplen, "pcap_set_snaplen");
	PCAPDL_SYM(set_immediate_mode, "pcap_set_immediate_mode");
	PCAPDL_SYM(set_timeout, "pcap_set_timeout");
	PCAPDL_SYM(activate, "pcap_activate");
	PCAPDL_SYM(compile, "pcap_compile");
	PCAPDL_SYM(setfilter, "pcap_setfilter");
	PCAPDL_SYM(setnonblock, "pcap_setnonblock");
	PCAPDL_SYM(get_selectable_fd, "pcap_get_selectable_fd");
	PCAPDL_SYM(datalink, "pcap_datalink");
	PCAPDL_SYM(dispatch, "pcap_dispatch");
	PCAPDL_SYM(stats, "pcap_stats");
	PCAPDL_SYM(geterr, "pcap_geterr");
	PCAPDL_SYM(freecode, "pcap_freecode");
	PCAPDL_SYM(close, "pcap_close");
	return 0;
fail:
	pcapdl_unload(pl);
	return -1;
}

void
pcapdl_unload(struct pcapdl *pl)
{
	if (pl->handle != NULL)
		dlclose(pl->handle);
	memset(pl, 0, sizeof(*pl));
}
