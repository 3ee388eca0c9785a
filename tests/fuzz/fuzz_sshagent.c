/*
 * fuzz_sshagent.c - ssh-agent replies (one message: type byte and body, no
 * length frame): the identities answer, and the sign response read as a
 * signature of every key kind.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ev_limits.h"
#include "ev_sig.h"
#include "ev_sshagent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		enum ev_key_kind kind;
		size_t siglen;
	} kinds[] = {
	        {EV_KEY_EC_P256, 64}, {EV_KEY_EC_P384, 96}, {EV_KEY_EC_P521, 132},
	        {EV_KEY_RSA, 256},    {EV_KEY_RSA, 512},    {EV_KEY_RSA, 128},
	        {EV_KEY_ED25519, 64},
	};
	uint8_t sig[EV_MAX_SIGNATURE];
	struct ev_sshagent_ids *ids = NULL;
	const struct ev_sshagent_id *id;
	size_t i, outlen = 0;
	int r;

	if (ev_sshagent_parse_identities(data, size, &ids) == 0) {
		id = ev_sshagent_ids_first_usable(ids);
		if (id != NULL) {
			/* the usable key's own kind and length */
			r = ev_sshagent_parse_sign_response(data, size, ev_pubkey_kind(id->key),
			                                    ev_pubkey_sig_len(id->key), sig,
			                                    sizeof(sig), &outlen);
			(void)r;
			(void)ev_sshagent_ids_find(ids, id->key);
		}
		for (i = 0; i < ids->n; i++)
			if (strlen(ids->ids[i].comment) > size || strlen(ids->ids[i].type) > 64)
				__builtin_trap();
		ev_sshagent_ids_free(ids);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		r = ev_sshagent_parse_sign_response(data, size, kinds[i].kind, kinds[i].siglen, sig,
		                                    sizeof(sig), &outlen);
		if (r == 0 && outlen != kinds[i].siglen)
			__builtin_trap();
	}
	return 0;
}
