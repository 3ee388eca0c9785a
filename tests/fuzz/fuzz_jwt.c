/* fuzz_jwt.c - session-token parser, claims rules, dep parser, ES256 verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ev_jwt.h"
#include "ev_sig.h"
#include "ev_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The spec's EC test key (section 15.1), so seeds with real signatures verify. */
static const char test_pub_pem[] =
        "-----BEGIN PUBLIC KEY-----\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyrn3VrEw9bwCHvNPmJZVSWEgNffc\n"
        "Thkx2xSQEFO2iQlKEqzkFvL9m12VqLWKa8+IX/u04p7yqhznx9Jl/SXeSw==\n"
        "-----END PUBLIC KEY-----\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_pubkey *pub;
	struct ev_jwt *jwt = NULL;
	struct ev_dep dep;
	char hash[EV_TOKEN_HASH_BUF];
	unsigned eff;
	const char *warn;

	if (pub == NULL && ev_pubkey_from_pem(test_pub_pem, strlen(test_pub_pem), &pub) != 0)
		abort();
	if (ev_token_hash((const char *)data, size, 2, EV_TOKEN_HASH_SHORT, hash) == 0 &&
	    strlen(hash) != EV_TOKEN_HASH_SHORT_LEN)
		abort();
	if (ev_jwt_parse((const char *)data, size, &jwt) != 0)
		return 0;
	/* Results are irrelevant here; only crashes, leaks and UB count. */
	int r = ev_jwt_verify(jwt, pub);
	r |= ev_jwt_validate(jwt, 1800000000, "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01");
	if (jwt->claims.dep != NULL)
		r |= ev_jwt_dep_parse(jwt->claims.dep, &dep);
	r |= ev_jwt_device_instance(&jwt->claims, 2, &eff);
	r |= ev_jwt_client_instance(&jwt->claims, 0, &eff, &warn);
	(void)r;
	ev_jwt_free(jwt);
	return 0;
}
