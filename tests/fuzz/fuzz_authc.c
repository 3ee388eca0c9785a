/*
 * fuzz_authc.c - AuthContainer decoding and verification against a fixed
 * controller (the spec's EC test certificate as signing certificate), the
 * senderCert decoder, and the unverified /certs path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/certs.pb-c.h"
#include "ev_authc.h"
#include "ev_ctrlcerts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* vectors.json "ec_cert_pem", trimmed as Adam sends it (tests/data/authc uses the same). */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBQjCB6qADAgECAgISNDAKBggqhkjOPQQDAjArMSkwJwYDVQQDDCBlZGdldmll\n"
                               "dy10ZXN0LWNvbnRyb2xsZXItc2lnbmluZzAeFw0yNTAxMDEwMDAwMDBaFw0zNTAx\n"
                               "MDEwMDAwMDBaMCsxKTAnBgNVBAMMIGVkZ2V2aWV3LXRlc3QtY29udHJvbGxlci1z\n"
                               "aWduaW5nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyrn3VrEw9bwCHvNPmJZV\n"
                               "SWEgNffcThkx2xSQEFO2iQlKEqzkFvL9m12VqLWKa8+IX/u04p7yqhznx9Jl/SXe\n"
                               "SzAKBggqhkjOPQQDAgNHADBEAiBvLnNbyzVQViteeozgGVWYCu9F3f9Ldkd8DOpF\n"
                               "sOkZvQIgbhggwzgx67IAqoIb9aVFRkbkR8zcFBkEjy/f4l8jn3o=\n"
                               "-----END CERTIFICATE-----";

static struct ev_ctrlcerts *
trust(void)
{
	Org__Lfedge__Eve__Certs__ZControllerCert m =
	        ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert z = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert *zp[1] = {&z};
	struct ev_ctrlcerts *c = NULL;

	z.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING;
	z.cert.data = (uint8_t *)cert_pem;
	z.cert.len = sizeof(cert_pem) - 1;
	m.certs = zp;
	m.n_certs = 1;
	if (ev_ctrlcerts_verify_list(m.certs, m.n_certs, cert_pem, sizeof(cert_pem) - 1,
	                             (time_t)1800000000, 0, &c) != 0)
		abort();
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_ctrlcerts *t;
	struct ev_authc *a = NULL;
	uint8_t *payload = NULL;
	size_t len = 0, pemlen = 0;
	char *pem = NULL;

	if (t == NULL)
		t = trust();
	if (ev_authc_parse(data, size, EV_MAX_AUTHC_PAYLOAD, &a) == 0) {
		/* Results do not matter here; only crashes, leaks and UB do. */
		int r = ev_authc_verify(a, t);

		if (ev_authc_sender_cert_pem(a, &pem, &pemlen) == 0) {
			if (pem == NULL || strlen(pem) != pemlen)
				abort();
			free(pem);
		}
		(void)r;
		ev_authc_free(a);
	}
	if (ev_authc_open(data, size, NULL, 4096, &payload, &len) == 0) {
		if (payload == NULL || len > 4096)
			abort();
		free(payload);
	}
	return 0;
}
