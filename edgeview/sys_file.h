/*
 * sys_file.h - cat, ls and du over engineer-given paths.  Every path goes
 * through cmd_user_path() (canonical, under the root, EVE's blocklist),
 * output is capped, and a refusal is one red line: the device keeps serving.
 */
#ifndef EV_SYS_FILE_H
#define EV_SYS_FILE_H

#include "cmd.h"
#include "ev_attr.h"

/* Most bytes cat prints (whole file, head or tail); it says when it cuts. */
#define SYS_CAT_MAX_BYTES (8u * 1024 * 1024)
/* Most entries ls prints for one directory or wildcard. */
#define SYS_LS_MAX_ENTRIES 10000u
/* du: deepest directory level and most entries walked. */
#define SYS_DU_MAX_DEPTH   64
#define SYS_DU_MAX_ENTRIES 1000000u

int sys_cat(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;
int sys_ls(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;
int sys_du(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;

/* The WHATWG-style content type cat prints for the first bytes of a file. */
const char *sys_sniff_type(const unsigned char *p, size_t n);
/* Go's os.FileMode.String() for st_mode ("-rw-r--r--", "drwxr-xr-x", "Lrwxrwxrwx"). */
void sys_mode_string(unsigned int mode, char *buf, size_t cap);

#endif
