/*
 * ev_ctrlcerts.h - the controller's certificates (GET /certs, device-api section 3.5).
 *
 * A ZControllerCert payload is checked the way EVE's VerifyLeavesCertChain
 * does it: INTERMEDIATE entries form the intermediate pool, exactly one
 * SIGNING entry, ECDH_EXCHANGE entries counted (at least one required for
 * /certs, not for a bootstrap config), any other type an error.  The signing
 * leaf and every ECDH leaf must then chain to the roots (the text of
 * /config/root-certificate.pem) at a time chosen by the caller, so the agent
 * can verify "as of" its clock floor before NTP has run.
 *
 * Path building is OpenSSL's, tuned to accept what Go's x509.Verify with
 * default options accepts: every certificate of the roots file is a trust
 * anchor (self-signed or not), no purpose or key-usage checks, and Go's one
 * extended-key-usage rule: a certificate of the chain that lists EKUs must
 * list serverAuth, anyExtendedKeyUsage or a server-gated-crypto EKU.
 *
 * The result keeps what later steps need: the signing certificate's PEM bytes
 * exactly as received (AuthContainers from the controller name it by
 * SHA-256 of those bytes, the 16-byte form being the first half), its public
 * key, and a digest of the certificate set that ignores order, so the agent
 * checkpoints only when the set really changed.
 */
#ifndef EV_CTRLCERTS_H
#define EV_CTRLCERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certs/certs.pb-c.h"
#include "ev_attr.h"
#include "ev_limits.h"

struct ev_ctrlcerts; /* opaque, immutable once made */
struct ev_pubkey;

/* ev_ctrlcerts_verify() flags */
#define EV_CTRLCERTS_REQUIRE_ECDH 0x1u /* /certs: at least one ECDH_EXCHANGE entry */

/*
 * Parse a ZControllerCert payload (at most EV_MAX_CTRLCERTS bytes, at most
 * EV_MAX_CTRLCERTS_COUNT entries) and verify it against roots_pem (the roots
 * file's text, at most EV_MAX_PEM_FILE bytes; non-certificate blocks are
 * skipped like Go's AppendCertsFromPEM) at unix time `at`.  Errors:
 *  EV_ERR_TOO_BIG         payload, roots or entry count over its cap
 *  EV_ERR_CC_PARSE        the payload is not a ZControllerCert
 *  EV_ERR_CC_TYPE         an entry of another type (device types included)
 *  EV_ERR_CC_TWO_SIGNING / EV_ERR_CC_NO_SIGNING / EV_ERR_CC_NO_ECDH
 *  EV_ERR_CC_CERT         a signing/ECDH entry whose first PEM block is not a
 *                         certificate, or an intermediate entry with none
 *  EV_ERR_CC_NO_ROOTS     roots_pem holds no certificate
 *  EV_ERR_CC_UNTRUSTED    no path to a root
 *  EV_ERR_CC_NOT_YET_VALID / EV_ERR_CC_EXPIRED  at `at`, some chain member
 *  EV_ERR_CC_EKU          Go's EKU rule above
 *  EV_ERR_CC_CHAIN        any other path-validation failure (bad signature,
 *                         CA constraints, unhandled critical extension ...)
 *  EV_ERR_KEY_TYPE / EV_ERR_KEY_CURVE  signing key is not RSA or ECDSA
 *                         P-256/384/521 (nothing could be verified with it)
 * Signing-cert checks come before ECDH-cert checks, as in EVE.
 */
int ev_ctrlcerts_verify(const uint8_t *payload, size_t len, const char *roots_pem, size_t roots_len,
                        time_t at, unsigned flags, struct ev_ctrlcerts **out) EV_WARN_UNUSED;

/* The same for a list already decoded, e.g. BootstrapConfig.controller_certs
 * (EVE verifies that one without EV_CTRLCERTS_REQUIRE_ECDH). */
int ev_ctrlcerts_verify_list(Org__Lfedge__Eve__Certs__ZCert *const *certs, size_t n,
                             const char *roots_pem, size_t roots_len, time_t at, unsigned flags,
                             struct ev_ctrlcerts **out) EV_WARN_UNUSED;

void ev_ctrlcerts_free(struct ev_ctrlcerts *c);

/* ZCert.cert of the signing entry, byte for byte (not NUL-terminated). */
const uint8_t *ev_ctrlcerts_signing_pem(const struct ev_ctrlcerts *c, size_t *len);
/* Its public key (owned by c). */
const struct ev_pubkey *ev_ctrlcerts_signing_key(const struct ev_ctrlcerts *c);
/* SHA-256 of ev_ctrlcerts_signing_pem(): the controller's senderCertHash
 * (all 32 bytes for algo 2, the first EV_CERT_HASH_SHORT_LEN for algo 1). */
const uint8_t *ev_ctrlcerts_signing_hash(const struct ev_ctrlcerts *c);
/* Validity of the signing certificate (unix seconds), e.g. for a clock floor. */
time_t ev_ctrlcerts_signing_not_before(const struct ev_ctrlcerts *c);
time_t ev_ctrlcerts_signing_not_after(const struct ev_ctrlcerts *c);
/* Number of ECDH_EXCHANGE entries (0 is possible without REQUIRE_ECDH). */
size_t ev_ctrlcerts_ecdh_count(const struct ev_ctrlcerts *c);
/*
 * SHA-256 over the sorted, de-duplicated set of per-entry digests
 * SHA-256(type, hashAlgo, certHash, cert): equal for the same certificates
 * in any order, different when a certHash (or anything else) changes.
 */
const uint8_t *ev_ctrlcerts_set_digest(const struct ev_ctrlcerts *c);

#endif
