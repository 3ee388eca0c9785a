/*
 * tpm.h - the few TPM 2.0 operations behind the device identity (device-api
 * section 2.3), through tpm2-tss ESAPI.
 *
 * EVE's layout: the device key is a primary ECC P-256 key of the owner
 * hierarchy (sign|decrypt|noDA|sensitiveDataOrigin|userWithAuth, nameAlg
 * SHA-256, no scheme), whose password is the first 7 bytes of
 * /config/tpm_credential, made persistent at 0x817FFFFF.  The owner
 * hierarchy password is empty, as on EVE.
 *
 * A connection lives only as long as one agent_tpm_open/agent_tpm_close pair:
 * the agent signs a few messages a minute, a TPM simulator serves one client
 * at a time, and a fresh connection recovers from a restarted resource
 * manager on its own.  A TPM that stops answering blocks the caller (ESAPI's
 * synchronous calls have no way out of a wait).
 */
#ifndef AGENT_TPM_H
#define AGENT_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

#define AGENT_TPM_DEVICE_KEY_HANDLE 0x817FFFFFu
#define AGENT_TPM_DEFAULT_TCTI      "device:/dev/tpmrm0"
#define AGENT_TPM_DEFAULT_DEVICE    "/dev/tpmrm0"
/* EVE's MaxPasswdLength: only this many bytes of tpm_credential count. */
#define AGENT_TPM_AUTH_MAX 7u
/* HSMInfo text: "<vendor>-<model>, FW Version a.b.c.d". */
#define AGENT_TPM_INFO_MAX 96u

struct agent_tpm; /* opaque: one ESAPI connection */
typedef struct evp_pkey_st EVP_PKEY;

/* tcti: a tctildr string ("swtpm:host=127.0.0.1,port=2321",
 * "device:/dev/tpmrm0"); NULL or "" means AGENT_TPM_DEFAULT_TCTI.
 * EV_ERR_TPM_UNREACHABLE if nothing answers, EV_ERR_TPM_TCTI for an unknown
 * TCTI name or bad parameters. */
int agent_tpm_open(const char *tcti, struct agent_tpm **out) EV_WARN_UNUSED;
void agent_tpm_close(struct agent_tpm *t);

/* The public key of the persistent device key.  EV_ERR_TPM_NO_KEY if the
 * handle is empty, EV_ERR_TPM_KEY_KIND if it holds a key made from another
 * template (type, curve, name algorithm, attributes or policy differ). */
int agent_tpm_device_key(struct agent_tpm *t, EVP_PKEY **pub) EV_WARN_UNUSED;

/* Makes the device key with password auth (authlen <= AGENT_TPM_AUTH_MAX)
 * and persists it at the handle, as EVE's tpmmgr does on first boot.  A key
 * of the same template already there is replaced: a primary key is derived
 * from the hierarchy seed and the template, so it comes back the same, now
 * with this password.  A key of another kind is never touched
 * (EV_ERR_TPM_KEY_KIND).  EV_ERR_TPM_OWNER_AUTH if the owner hierarchy has a
 * password, EV_ERR_TPM_SPACE if no persistent slot is free. */
int agent_tpm_create_device_key(struct agent_tpm *t, const uint8_t *auth, size_t authlen,
                                EVP_PKEY **pub) EV_WARN_UNUSED;

/* TPM2_Sign of a SHA-256 digest with the device key: ECDSA/SHA-256, password
 * session, null ticket.  sig receives r || s, each left-padded to 32 bytes.
 * EV_ERR_TPM_AUTH for a wrong password, EV_ERR_TPM_NO_KEY if the key is gone. */
int agent_tpm_sign(struct agent_tpm *t, const uint8_t *auth, size_t authlen,
                   const uint8_t digest[32], uint8_t sig[64]) EV_WARN_UNUSED;

/* EVE's HSMInfo text from the fixed TPM properties, e.g.
 * "IBM-SW   TPM, FW Version 8217.4131.22.13878" (swtpm 0.7).  NUL bytes of the vendor
 * strings (which EVE keeps inside its Go string) are left out. */
int agent_tpm_info(struct agent_tpm *t, char *buf, size_t cap) EV_WARN_UNUSED;

#endif
