/*
 * net_pcapdl.h - libpcap, loaded when a capture starts.
 *
 * Linking libpcap into edgeviewd would map it and its dependencies (D-Bus,
 * libsystemd, libgcrypt, compression libraries) into every idle device
 * process, about 0.4 MB of resident memory for a command that runs rarely
 * and only in a worker.  The worker dlopen()s it instead.
 */
#ifndef EV_NET_PCAPDL_H
#define EV_NET_PCAPDL_H

#include <pcap/pcap.h>

#include "ev_attr.h"

struct pcapdl {
	void *handle;
	pcap_t *(*create)(const char *, char *);
	int (*set_snaplen)(pcap_t *, int);
	int (*set_immediate_mode)(pcap_t *, int);
	int (*set_timeout)(pcap_t *, int);
	int (*activate)(pcap_t *);
	int (*compile)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);
	int (*setfilter)(pcap_t *, struct bpf_program *);
	int (*setnonblock)(pcap_t *, int, char *);
	int (*get_selectable_fd)(pcap_t *);
	int (*datalink)(pcap_t *);
	int (*dispatch)(pcap_t *, int, pcap_handler, u_char *);
	int (*stats)(pcap_t *, struct pcap_stat *);
	char *(*geterr)(pcap_t *);
	void (*freecode)(struct bpf_program *);
	void (*close)(pcap_t *);
};

/* 0, or -1 with a reason in err (libpcap not installed, symbol missing). */
int pcapdl_load(struct pcapdl *pl, char *err, size_t errlen) EV_WARN_UNUSED;
void pcapdl_unload(struct pcapdl *pl);

#endif
