/*
 * fuzz_ctrlcerts.c - ZControllerCert parsing and chain verification, and the
 * roots-file PEM reader: the input is used once as a /certs payload (against
 * the spec's EC test certificate as root) and once as the roots text (for a
 * valid payload).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/certs.pb-c.h"
#include "ev_ctrlcerts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* vectors.json "ec_cert_pem", trimmed as Adam sends it. */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBQjCB6qADAgECAgISNDAKBggqhkjOPQQDAjArMSkwJwYDVQQDDCBlZGdldmll\n"
                               "dy10ZXN0LWNvbnRyb2xsZXItc2lnbmluZzAeFw0yNTAxMDEwMDAwMDBaFw0zNTAx\n"
                               "MDEwMDAwMDBaMCsxKTAnBgNVBAMMIGVkZ2V2aWV3LXRlc3QtY29udHJvbGxlci1z\n"
                               "aWduaW5nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyrn3VrEw9bwCHvNPmJZV\n"
                               "SWEgNffcThkx2xSQEFO2iQlKEqzkFvL9m12VqLWKa8+IX/u04p7yqhznx9Jl/SXe\n"
                               "SzAKBggqhkjOPQQDAgNHADBEAiBvLnNbyzVQViteeozgGVWYCu9F3f9Ldkd8DOpF\n"
                               "sOkZvQIgbhggwzgx67IAqoIb9aVFRkbkR8zcFBkEjy/f4l8jn3o=\n"
                               "-----END CERTIFICATE-----";

#define AT ((time_t)1800000000)

/* A valid payload: the test certificate as SIGNING and as ECDH_EXCHANGE. */
static uint8_t *
valid_payload(size_t *len)
{
	Org__Lfedge__Eve__Certs__ZControllerCert m =
	        ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert z[2] = {ORG__LFEDGE__EVE__CERTS__ZCERT__INIT,
	                                       ORG__LFEDGE__EVE__CERTS__ZCERT__INIT};
	Org__Lfedge__Eve__Certs__ZCert *zp[2] = {&z[0], &z[1]};
	uint8_t *buf;

	z[0].type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING;
	z[1].type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE;
	z[0].cert.data = z[1].cert.data = (uint8_t *)cert_pem;
	z[0].cert.len = z[1].cert.len = sizeof(cert_pem) - 1;
	m.certs = zp;
	m.n_certs = 2;
	*len = org__lfedge__eve__certs__zcontroller_cert__get_packed_size(&m);
	if ((buf = malloc(*len)) == NULL)
		abort();
	org__lfedge__eve__certs__zcontroller_cert__pack(&m, buf);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *payload;
	static size_t payload_len;
	struct ev_ctrlcerts *c = NULL;
	size_t n;

	if (payload == NULL) {
		payload = valid_payload(&payload_len);
		/* the fixture itself must verify, or the target tests nothing */
		if (ev_ctrlcerts_verify(payload, payload_len, cert_pem, sizeof(cert_pem) - 1, AT,
		                        EV_CTRLCERTS_REQUIRE_ECDH, &c) != 0)
			abort();
		ev_ctrlcerts_free(c);
		c = NULL;
	}
	if (ev_ctrlcerts_verify(data, size, cert_pem, sizeof(cert_pem) - 1, AT,
	                        size > 0 && (data[0] & 1) ? EV_CTRLCERTS_REQUIRE_ECDH : 0,
	                        &c) == 0) {
		/* every accessor of a verified result must be usable */
		if (ev_ctrlcerts_signing_pem(c, &n) == NULL || n == 0 ||
		    ev_ctrlcerts_signing_key(c) == NULL)
			abort();
		ev_ctrlcerts_free(c);
		c = NULL;
	}
	if (ev_ctrlcerts_verify(payload, payload_len, (const char *)data, size, AT,
	                        EV_CTRLCERTS_REQUIRE_ECDH, &c) == 0)
		ev_ctrlcerts_free(c);
	return 0;
}
