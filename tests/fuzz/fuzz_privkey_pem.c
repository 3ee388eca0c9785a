/*
 * fuzz_privkey_pem.c - private key PEM (SEC1, PKCS#1, PKCS#8, OpenSSH
 * containers through libssh and our own container reader), without a
 * passphrase, then a signature that must verify with the public half.
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
	size_t siglen = 0;
	struct ev_privkey *k = NULL;
	struct ev_pubkey *pub = NULL;

	if (ev_privkey_from_pem((const char *)data, size, NULL, &k) != 0)
		return 0;
	if (ev_privkey_public(k, &pub) == 0 &&
	    ev_sig_sign(k, msg, sizeof(msg) - 1, sig, sizeof(sig), &siglen) == 0 &&
	    ev_sig_verify(pub, msg, sizeof(msg) - 1, sig, siglen) != 0)
		__builtin_trap(); /* a loaded key whose halves disagree */
	ev_pubkey_free(pub);
	ev_privkey_free(k);
	return 0;
}
