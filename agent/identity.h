/*
 * identity.h - who the device is: its device key and certificate, and the
 * onboarding pair that signs the one register request (device-api 2.1-2.3).
 *
 * The device key lives in a TPM 2.0 (tpm.h) or, without one, in
 * /config/device.key.pem.  The device certificate /config/device.cert.pem is
 * made once, self-signed with EVE's template, and never replaced: a new
 * certificate would be a new device to the controller.  Which kind an
 * existing install uses is decided as EVE does: "device.cert.pem exists and
 * device.key.pem does not" means the TPM.  A new install uses the TPM when a
 * TCTI is configured or /dev/tpmrm0 exists, unless no_tpm is set; once it
 * chose the TPM it never falls back to a key file (that would make a second
 * identity), so an unreachable TPM is an error the caller retries.
 *
 * Files are read under cfg->root (tests, a --root prefix), written
 * atomically: the key (0600, PKCS#8) before the certificate (0644), so an
 * interrupted first run resumes with the same key.
 *
 * Signatures are EVE's AuthContainer form: ECDSA P-256 over a SHA-256 digest,
 * raw r || s, each left-padded to 32 bytes.
 */
#ifndef AGENT_IDENTITY_H
#define AGENT_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ev_attr.h"

/* Paths under the root prefix (device-api 2.1). */
#define AGENT_DEVICE_CERT_FILE  "/config/device.cert.pem"
#define AGENT_DEVICE_KEY_FILE   "/config/device.key.pem"
#define AGENT_ONBOARD_CERT_FILE "/config/onboard.cert.pem"
#define AGENT_ONBOARD_KEY_FILE  "/config/onboard.key.pem"
#define AGENT_TPM_CRED_FILE     "/config/tpm_credential"

/* The only signature this module makes: P-256 r || s. */
#define AGENT_SIG_LEN 64u

struct agent_identity_cfg {
	const char *root; /* prefix of the /config paths; NULL or "" for none */
	const char *tcti; /* tctildr string; NULL: device:/dev/tpmrm0 if it exists */
	bool no_tpm;      /* a new install keeps its key in a file */
};

/* info.HwSecurityModuleStatus values (ZInfoDevice.HSMStatus, field 26). */
enum agent_hsm_status {
	AGENT_HSM_UNKNOWN = 0,
	AGENT_HSM_NOTFOUND = 1, /* no TPM */
	AGENT_HSM_DISABLED = 2, /* a TPM, but the device key is in a file */
	AGENT_HSM_ENABLED = 3,  /* the device key is in the TPM */
};

struct agent_identity; /* opaque */
struct ev_pubkey;

/*
 * Loads the identity, creating the device key and certificate on the first
 * run.  Fails with:
 *  - EV_ERR_TPM_UNREACHABLE / EV_ERR_TPM_TCTI: the TPM is needed but cannot be
 *    used through cfg->tcti;
 *  - EV_ERR_TPM_AUTH: tpm_credential does not open the device key (checked at
 *    open with one signature, so it never surprises a later request);
 *  - EV_ERR_TPM_NO_KEY: the certificate says TPM, the handle is empty;
 *  - EV_ERR_TPM_KEY_KIND: 0x817FFFFF holds a key of another kind;
 *  - EV_ERR_TPM_DISABLED: the certificate says TPM but cfg->no_tpm is set;
 *  - EV_ERR_KEY_PARSE / EV_ERR_KEY_TYPE / EV_ERR_KEY_CURVE /
 *    EV_ERR_KEY_PASSPHRASE: device.key.pem or device.cert.pem is unreadable,
 *    not P-256, or encrypted;
 *  - EV_ERR_ID_MISMATCH: the certificate's key is not the device key;
 *  - EV_ERR_SYSTEM / EV_ERR_IO / EV_ERR_NOT_FOUND (no /config directory).
 * The onboarding pair is optional: problems with it do not fail the open
 * (see agent_identity_onboard_error).
 */
int agent_identity_open(const struct agent_identity_cfg *cfg,
                        struct agent_identity **out) EV_WARN_UNUSED;
void agent_identity_free(struct agent_identity *id);

/* True if the device key is in the TPM. */
bool agent_identity_uses_tpm(const struct agent_identity *id);
/* True if this open made the device certificate: a new identity (or the end
 * of a first run that was interrupted before the certificate was stored). */
bool agent_identity_created(const struct agent_identity *id);

/* device.cert.pem exactly as stored (what ZRegisterMsg.pemCert and
 * AuthContainer.senderCert carry, base64-encoded), NUL-terminated. */
const char *agent_identity_device_cert_pem(const struct agent_identity *id, size_t *len);
const uint8_t *agent_identity_device_cert_der(const struct agent_identity *id, size_t *len);
/* SHA-256 of the certificate's DER: senderCertHash (32 bytes). */
const uint8_t *agent_identity_device_cert_hash(const struct agent_identity *id);
/* The device public key (borrowed). */
const struct ev_pubkey *agent_identity_device_pubkey(const struct agent_identity *id);
/* The certificate's notAfter, for health reports. */
time_t agent_identity_device_cert_not_after(const struct agent_identity *id);

/*
 * Signing callbacks in the shape of ev_authc_sign_fn: arg is the struct
 * agent_identity.  sig receives AGENT_SIG_LEN bytes (cap must allow them,
 * else EV_ERR_BUF_FULL).  A TPM signature reconnects to the TPM each time
 * (see tpm.h), so it can fail with the TPM errors of agent_identity_open.
 * agent_identity_sign_onboard fails with agent_identity_onboard_error() when
 * there is no usable onboarding pair.
 */
int agent_identity_sign_device(void *arg, const uint8_t digest[32], uint8_t *sig, size_t cap,
                               size_t *siglen) EV_WARN_UNUSED;
int agent_identity_sign_onboard(void *arg, const uint8_t digest[32], uint8_t *sig, size_t cap,
                                size_t *siglen) EV_WARN_UNUSED;

/* 0 if onboard.cert.pem and onboard.key.pem were loaded; EV_ERR_NOT_FOUND if
 * neither exists (the usual state of a registered device); else why they
 * were not usable (EV_ERR_ID_ONBOARD_PAIR when one is missing,
 * EV_ERR_ID_MISMATCH, EV_ERR_KEY_* ...). */
int agent_identity_onboard_error(const struct agent_identity *id);
/* NULL / zero length when not loaded.  The PEM text is the whole file as
 * stored (a chain is allowed; the first certificate is the signer). */
const char *agent_identity_onboard_cert_pem(const struct agent_identity *id, size_t *len);
const uint8_t *agent_identity_onboard_cert_hash(const struct agent_identity *id);
const struct ev_pubkey *agent_identity_onboard_pubkey(const struct agent_identity *id);

/* For ZInfoDevice: HSMStatus, and HSMInfo (EVE's TPM vendor text, "" when the
 * TPM is not in use or could not be asked). */
enum agent_hsm_status agent_identity_hsm_status(const struct agent_identity *id);
const char *agent_identity_hsm_info(const struct agent_identity *id);

#endif
