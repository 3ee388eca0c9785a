/*
 * auth.h - who may sign commands for this device (JWT aut 1 and 2) and the
 * check of a signed envelope, with EVE's replies (protocol 6.3, 6.6).
 *
 * aut 1: the controller's signing certificate, /run/edgeview/signing-cert.pem.
 * aut 2: the authorized_keys lines of the config item
 * "edgeview.authen.publickey" in /run/zedagent/ConfigItemValueMap/global.json.
 * Both are re-read before every verification (as EVE does for aut 2), so a
 * command is never verified against keys the controller has withdrawn.
 *
 * Better than EVE: every trusted key is tried, not only the first three;
 * Ed25519 keys work; a key line with options (from=, command=, ...) is
 * skipped with a warning, because Edge-View cannot enforce what they say;
 * a missing certificate does not stop the device, commands are refused
 * until it appears.
 */
#ifndef EDGEVIEW_AUTH_H
#define EDGEVIEW_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "ev_attr.h"

struct ev_envelope;
struct auth;

#define AUTH_COMMENT_MAX 256 /* key comment kept for the audit line */

/* EVE's replies before "authentication for command failed to verify\n". */
#define AUTH_MSG_NEED_CERT                                                                    \
	"Edgeview requires client authentication signing by Private Ceritificate, +++Verify " \
	"failed+++"
#define AUTH_MSG_NEED_SSH \
	"Edgeview requires client authentication signing by SSH private key,\n+++Verify failed+++"
#define AUTH_MSG_NO_KEYS   "Edgeview SSH public key is empty.\n+++Verify failed+++"
#define AUTH_MSG_NOT_VALID "Edgeview client signed message not valid.\n+++Verify failed+++"
#define AUTH_MSG_CHANGED \
	"Edgeview trusted keys changed on the device; session ended\n+++Verify failed+++"

/* aut is the token's (1, 2; anything else refuses every signature as EVE
 * does).  Missing files are not an error here. */
int auth_new(const char *root, int aut, struct auth **out) EV_WARN_UNUSED;
void auth_free(struct auth *a);

/* The file whose changes matter (for a watcher), or NULL. */
const char *auth_watch_path(const struct auth *a);

/* Re-read the trusted keys; true when they differ from the last read
 * (the caller then ends the client's session). */
bool auth_reload(struct auth *a);

/*
 * Check a signed envelope.  0: verified, comment receives the matching SSH
 * key's comment ("" for aut 1 or none).  Otherwise an EV_ERR_* code and
 * *reply is EVE's specific text (one of AUTH_MSG_*), which the caller sends
 * before the generic failure.  EV_ERR_AUTH_KEYS_CHANGED: the keys changed
 * since the last read; the envelope was not checked.
 */
int auth_verify(struct auth *a, const struct ev_envelope *e, char comment[AUTH_COMMENT_MAX],
                const char **reply) EV_WARN_UNUSED;

#endif
