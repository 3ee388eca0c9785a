/*
 * ev_file.h - small, careful file helpers shared by every program.
 *
 * Reading is always capped, so a hostile or runaway file cannot exhaust
 * memory, and refuses anything but a regular file (a FIFO would block, a
 * device could have side effects).  Writing is atomic the way EVE's zedagent
 * does it (edgeview-protocol.md section 2.1): a temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory, so a
 * reader sees either the old or the new content, never a mix.
 *
 * System failures keep errno for the caller's log line: EV_ERR_SYSTEM for
 * open/mkdir/rename-like calls, EV_ERR_IO for read/write/fsync/close.
 */
#ifndef EV_FILE_H
#define EV_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "ev_attr.h"

/*
 * Read the whole regular file at path into a malloc'd buffer followed by a
 * NUL (not counted in *lenp; lenp may be NULL).  Free the buffer with
 * ev_freezero(buf, len + 1) when it may hold a secret, else free().
 * EV_ERR_TOO_BIG if the file is larger than max (decided from its size
 * before reading, and again while reading in case it grows), EV_ERR_NOT_FOUND
 * if it does not exist, EV_ERR_NOT_REGULAR for a directory, FIFO, socket or
 * device (checked before opening, so a FIFO never blocks, and again on the
 * opened descriptor), EV_ERR_SYSTEM / EV_ERR_IO otherwise.
 */
int ev_file_read_capped(const char *path, size_t max, char **out, size_t *lenp) EV_WARN_UNUSED;

/*
 * Replace path with len bytes of data, atomically.  The temporary file is
 * "<dir of path>/<tmp_prefix>XXXXXX" (mkstemp; Go's os.CreateTemp pattern,
 * zedagent uses "Edgeview-Config"); tmp_prefix must not contain '/'.  The
 * file gets exactly `mode` (fchmod, so the umask does not apply).
 * On any failure before the rename the temporary file is removed and the old
 * file is untouched.  EV_ERR_NOT_FOUND if the directory does not exist.
 * The one failure after the rename is a failed fsync of the directory
 * (EV_ERR_IO): the new content is in place but may not survive a crash;
 * file systems that cannot fsync a directory (EINVAL) are not an error.
 */
int ev_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         const char *tmp_prefix) EV_WARN_UNUSED;

/*
 * Make sure path is a directory: create it (and missing parents, like Go's
 * os.MkdirAll that zedagent uses) with mode, subject to the umask as with
 * mkdir(2).  An existing directory is left as it is, whatever its mode.
 * EV_ERR_NOT_DIR if path (or a parent) exists and is not a directory.
 */
int ev_dir_ensure(const char *path, mode_t mode) EV_WARN_UNUSED;
/* ev_dir_ensure() for the directory part of a file path (nothing to do
 * for a bare name or a file in "/"). */
int ev_dir_ensure_parent(const char *path, mode_t mode) EV_WARN_UNUSED;

/*
 * out = a "/" b with exactly one slash between them: trailing slashes of a
 * and leading slashes of b are dropped.  An empty a gives b unchanged (no
 * --root prefix); an empty b gives a unchanged.  So ("/tmp/r", "/run/x") and
 * ("/tmp/r/", "run/x") give "/tmp/r/run/x", and ("/", "/run/x") gives
 * "/run/x".  EV_ERR_TOO_BIG if the result and its NUL do not fit in cap
 * (out is then "" when cap > 0).
 */
int ev_path_join(char *out, size_t cap, const char *a, const char *b) EV_WARN_UNUSED;

#endif
