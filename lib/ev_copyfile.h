/*
 * ev_copyfile.h - the file-transfer header (Go copyFile) the device sends
 * before the chunks of a file, edgeview-protocol.md section 9.1.
 *
 * Decoding only checks Go's JSON rules; a receiver about to create a file
 * must also call ev_copyfile_validate(), because the name and sizes come
 * from the peer.
 */
#ifndef EV_COPYFILE_H
#define EV_COPYFILE_H

#include <stdint.h>

#include "ev_attr.h"
#include "ev_json.h"

struct ev_buf;

struct ev_copyfile {
	struct ev_bytes token_hash; /* "tokenHash": never set by Go, so null */
	char *name;                 /* "name": base name of the file */
	int64_t size;               /* "size": bytes; 0 for streamed tar */
	int64_t dirsize;            /* "dirsize": du size for tar/, else 0 */
	char *sha256;               /* "sha256": lowercase hex, "" for tar */
	int64_t modtsec;            /* "modtsec": mtime, Unix seconds */
};

/* Append the Go JSON of f to out.  EV_ERR_TOO_BIG past EV_MAX_COPYFILE_JSON
 * (the decoder's cap); on failure out is unchanged. */
int ev_copyfile_encode(const struct ev_copyfile *f, struct ev_buf *out) EV_WARN_UNUSED;
/* Decode len bytes (<= EV_MAX_COPYFILE_JSON); out is overwritten and left
 * zeroed on failure. */
int ev_copyfile_decode(const char *json, size_t len, struct ev_copyfile *out) EV_WARN_UNUSED;
void ev_copyfile_free(struct ev_copyfile *f);

/* What a receiver checks before it writes a file:
 * EV_ERR_COPYFILE_NAME    name empty, longer than EV_MAX_FILE_NAME, "." or
 *                         "..", or containing '/' (it must be a base name);
 * EV_ERR_COPYFILE_SIZE    size or dirsize negative;
 * EV_ERR_COPYFILE_SHA256  sha256 neither "" nor 64 lowercase hex digits. */
int ev_copyfile_validate(const struct ev_copyfile *f) EV_WARN_UNUSED;

#endif
