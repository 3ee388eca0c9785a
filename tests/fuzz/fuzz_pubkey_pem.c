/*
 * fuzz_pubkey_pem.c - the first PEM block of a text as a public key
 * (CERTIFICATE or PUBLIC KEY), then a verification with it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_limits.h"
#include "ev_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "+++Done+++";
	uint8_t sig[EV_MAX_SIGNATURE];
	struct ev_pubkey *k = NULL;
	char *pem = NULL;
	int r;

	memset(sig, 0x5a, sizeof(sig));
	if (ev_pubkey_from_pem((const char *)data, size, &k) != 0)
		return 0;
	r = ev_sig_verify(k, msg, sizeof(msg) - 1, sig, ev_pubkey_sig_len(k));
	(void)r;
	r = ev_sig_verify(k, msg, sizeof(msg) - 1, sig, 64);
	(void)r;
	if (ev_pubkey_to_pem(k, &pem) == 0) {
		struct ev_pubkey *k2 = NULL;

		/* what we write we must read back */
		if (ev_pubkey_from_pem(pem, strlen(pem), &k2) != 0)
			__builtin_trap();
		ev_pubkey_free(k2);
	}
	free(pem);
	ev_pubkey_free(k);
	return 0;
}
