/*
 * fuzz_pcap_decode.c - the tcpdump packet summary decoder on arbitrary
 * frames.  The first byte picks the link type; the rest is the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../edgeview/net_pktsum.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = {
	        PKTSUM_DLT_EN10MB, PKTSUM_DLT_LINUX_SLL, PKTSUM_DLT_LINUX_SLL2, PKTSUM_DLT_NULL,
	        PKTSUM_DLT_LOOP,   PKTSUM_DLT_RAW,       PKTSUM_DLT_RAW_LINUX,  147};
	char line[PKTSUM_LINE_MAX], small[17];
	uint8_t *copy;
	int dlt;

	if (size == 0)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	/* An exact-size copy so any read past the capture is caught. */
	if ((copy = malloc(size - 1 > 0 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	net_pktsum(dlt, copy, size - 1, line, sizeof(line));
	if (strlen(line) >= sizeof(line))
		abort();
	net_pktsum(dlt, copy, size - 1, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	free(copy);
	return 0;
}
