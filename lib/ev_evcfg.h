/*
 * ev_evcfg.h - /run/edgeview/edge-view-config, the file EVE's zedagent hands
 * to the Edge-View container (edgeview-protocol.md sections 1.5 and 2.1).
 *
 * The file is one item per line, "Prefix:value\n", written by zedagent in
 * this order: EvJWToken (always), EdgeViewMultiInst (only when > 1),
 * EvJWTExp (always), EvDepCerts (only when non-empty), EvDevPolicy,
 * EvAppPolicy, EvExtPolicy (always, Go JSON {"enabled":bool}), EvGenID
 * (always).  ev_evcfg_format() reproduces those bytes exactly and
 * ev_evcfg_write() the way they reach the disk (temporary "Edgeview-Config*"
 * file, mode 0600, rename); ev_evcfg_parse() reads them back.
 *
 * Parsing rules (the file is trusted only as far as its format goes):
 *  - The input is at most EV_MAX_EVCFG_FILE bytes (EV_ERR_TOO_BIG) with no
 *    NUL byte (EV_ERR_NUL_BYTE).  Every line outside EvDepCerts is at most
 *    EV_MAX_EVCFG_LINE bytes and the token at most EV_MAX_JWT (EV_ERR_TOO_BIG).
 *  - CRLF line endings are accepted: the \r before each \n is stripped (also
 *    inside EvDepCerts).  A bare \r anywhere else is EV_ERR_CFG_SYNTAX.  The
 *    last line need not end with \n.
 *  - An item is a line that starts with its exact, case-sensitive prefix.
 *    Items may come in any order; each at most once (EV_ERR_CFG_DUPLICATE).
 *  - EvDepCerts spans its own line and every following physical line up to
 *    (not including) the next line that starts with a known prefix, or the
 *    end of the file.  Its value is those lines joined with \n; the \n that
 *    ends the last of them terminates the item and is not part of the value
 *    (the writer adds exactly one \n after the PEM text, so a PEM ending in
 *    \n shows up as an empty line, which belongs to the value).  An empty
 *    value is stored as NULL, like an absent line.
 *  - EvJWToken: non-empty, printable ASCII without spaces (bytes 0x21..0x7e),
 *    else EV_ERR_CFG_TOKEN; the line is mandatory (EV_ERR_CFG_NO_TOKEN).
 *  - Numbers are plain decimal digits, leading zeros allowed as in Go's
 *    strconv; no sign, no spaces; overflow is an error (EV_ERR_CFG_NUMBER).
 *    EvJWTExp is a uint64, EvGenID a uint32.  EdgeViewMultiInst is 0..5
 *    (EV_MAX_INSTANCES); zedagent writes it only when > 1, and 0 and 1 both
 *    mean "single instance" and are stored as 0, so that formatting the
 *    struct again gives a file without the line.  Above 5 invalidates the
 *    configuration (section 1.5).
 *  - Policies are decoded like Go's json.Unmarshal into {Enabled bool}:
 *    case-insensitive key, unknown keys ignored, null leaves false.  Malformed
 *    JSON, a non-object, a non-boolean "enabled", or an empty value are
 *    EV_ERR_CFG_POLICY (the Go device exits on them too).  Absent means false.
 *  - Empty lines are ignored.  A line of the shape "Name:..." (an ASCII
 *    letter, then letters, digits, '_' or '-', then ':') with an unknown Name
 *    is ignored for forward compatibility (EvKubPolicy: is defined by EVE but
 *    never written).  Any other non-empty line is EV_ERR_CFG_SYNTAX.
 *
 * Deliberately stricter than the Go device, which reads a policy from any
 * line that merely *contains* "EvDevPolicy:" (etc.), uses the text after the
 * first occurrence, and lets a repeated line override: here a prefix counts
 * only at the start of a line and a repeated item is an error.  zedagent
 * always writes prefixes at the start of a line, once each, so every file it
 * produces parses the same way; what differs are files it never writes,
 * where a substring inside another value (a certificate, a token) could
 * otherwise silently change a policy, or two policies could disagree.
 * Bare CRs, whitespace in the token and junk lines are rejected for the same
 * reason: they are never written by zedagent and point to corruption.
 */
#ifndef EV_EVCFG_H
#define EV_EVCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

struct ev_buf;

#define EV_EVCFG_DIR        "/run/edgeview"
#define EV_EVCFG_FILE_NAME  "edge-view-config"
#define EV_EVCFG_TMP_PREFIX "Edgeview-Config" /* zedagent's os.CreateTemp pattern */
#define EV_EVCFG_DIR_MODE   0755
#define EV_EVCFG_FILE_MODE  0600

#define EV_EVCFG_PFX_TOKEN      "EvJWToken:"
#define EV_EVCFG_PFX_MULTI_INST "EdgeViewMultiInst:"
#define EV_EVCFG_PFX_EXP        "EvJWTExp:"
#define EV_EVCFG_PFX_DEP_CERTS  "EvDepCerts:"
#define EV_EVCFG_PFX_DEV_POLICY "EvDevPolicy:"
#define EV_EVCFG_PFX_APP_POLICY "EvAppPolicy:"
#define EV_EVCFG_PFX_EXT_POLICY "EvExtPolicy:"
#define EV_EVCFG_PFX_GEN_ID     "EvGenID:"

struct ev_evcfg {
	char *token;         /* the JWT, a secret: ev_evcfg_free() wipes it */
	unsigned multi_inst; /* 2..EV_MAX_INSTANCES, or 0 for single instance */
	uint64_t exp;        /* EvJWTExp, Unix seconds; 0 when absent */
	char *dep_certs;     /* EvDepCerts PEM text with its newlines, or NULL */
	bool dev_policy;
	bool app_policy;
	bool ext_policy;
	bool has_gen_id; /* the EvGenID line was present */
	uint32_t gen_id;
};

/*
 * Parse len bytes of text (need not be NUL-terminated) into out, which is
 * zeroed first and owns its strings only on success (ev_evcfg_free()).
 * Errors: see the rules above.
 */
int ev_evcfg_parse(const char *text, size_t len, struct ev_evcfg *out) EV_WARN_UNUSED;

/*
 * Append zedagent's exact bytes for c to out.  EvGenID is always written,
 * as zedagent does, with 0 when !has_gen_id; so parse(format(c)) equals c
 * except that has_gen_id becomes true.  EV_ERR_INVALID_ARG if c cannot be
 * written so that it parses back the same: token invalid per the rules
 * above, multi_inst > EV_MAX_INSTANCES, or dep_certs holding a \r or a line
 * (after a \n) that starts with a known prefix.  On failure out is left as
 * it was (EV_ERR_BUF_FULL when its cap is too small).
 */
int ev_evcfg_format(const struct ev_evcfg *c, struct ev_buf *out) EV_WARN_UNUSED;

/*
 * Write DIR/edge-view-config atomically like zedagent: DIR is created 0755
 * if missing (with parents), the file is written through a temporary
 * "Edgeview-Config*" file in DIR and gets mode 0600.
 */
int ev_evcfg_write(const char *dir, const struct ev_evcfg *c) EV_WARN_UNUSED;

/* ev_file_read_capped(path, EV_MAX_EVCFG_FILE) then ev_evcfg_parse(). */
int ev_evcfg_load(const char *path, struct ev_evcfg *out) EV_WARN_UNUSED;

/* Free (wiping the token) and zero; NULL and a zeroed struct are fine. */
void ev_evcfg_free(struct ev_evcfg *c);

#endif
