/*
 * fuzz_authkeys.c - authorized_keys text: list parsing, single-line parsing,
 * SSH blob decoding, and a verification against every key found.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ev_authkeys.h"
#include "ev_limits.h"
#include "ev_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "{\"version\":\"0.8.8\",\"system\":\"cp//config\"}";
	uint8_t sig[EV_MAX_SIGNATURE];
	struct ev_authkeys *ks = NULL;
	struct ev_authkey *k = NULL;
	struct ev_pubkey *pk = NULL;
	const struct ev_authkey *match = NULL;
	size_t nbad = 0, i;
	int r;

	/* A fixed bogus signature: in range for every curve, never valid. */
	memset(sig, 0x5a, sizeof(sig));
	if (ev_authkeys_parse((const char *)data, size, &ks, &nbad) == 0) {
		for (i = 0; i < ev_authkeys_count(ks); i++) {
			const struct ev_authkey *a = ev_authkeys_get(ks, i);

			r = ev_sig_verify(a->key, msg, sizeof(msg) - 1, sig,
			                  ev_pubkey_sig_len(a->key));
			(void)r;
		}
		r = ev_authkeys_verify(ks, msg, sizeof(msg) - 1, sig, 64, &match);
		(void)r;
		ev_authkeys_free(ks);
	}
	if (ev_authkey_parse((const char *)data, size, &k) == 0)
		ev_authkey_free(k);
	if (ev_pubkey_from_ssh_blob(data, size, &pk) == 0)
		ev_pubkey_free(pk);
	return 0;
}
