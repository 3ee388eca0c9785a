/*
 * ev_jsonindent.h - Go's json.Indent(dst, src, "", "    ") in C: the text
 * the device shows for pubsub files and -json log entries.
 *
 * Token-level: strings and numbers are copied byte for byte, whitespace
 * between tokens is replaced by Go's layout, empty {} and [] stay compact.
 * The input is fully validated on the way (Go's scanner rules); memory is
 * one bit per nesting level, so no parse tree is built.
 */
#ifndef EV_JSONINDENT_H
#define EV_JSONINDENT_H

#include <stddef.h>

#include "ev_attr.h"

struct ev_buf;

/* Deepest nesting re-indented; deeper documents are shown as they are. */
#define EV_JSONINDENT_MAX_DEPTH 1024u

/*
 * Append the indented form of in[0..len) to out.  On failure out is left
 * as it was: EV_ERR_JSON_SYNTAX (not one valid JSON value),
 * EV_ERR_JSON_DEPTH, or EV_ERR_BUF_FULL when out's cap is reached.
 */
int ev_json_indent(const char *in, size_t len, struct ev_buf *out) EV_WARN_UNUSED;

/*
 * The device's display rule: the indented form, or when that fails for
 * any reason, the input unchanged.  Only EV_ERR_BUF_FULL can remain.
 */
int ev_json_indent_or_raw(const char *in, size_t len, struct ev_buf *out) EV_WARN_UNUSED;

#endif
