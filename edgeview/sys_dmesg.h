/*
 * sys_dmesg.h - dmesg [-line N]: the kernel log through klogctl(2) (needs
 * CAP_SYSLOG), else /dev/kmsg read without blocking, coloured like EVE.
 * Under a fixture root (not "/") only <root>/dev/kmsg is read, as a file.
 */
#ifndef EV_SYS_DMESG_H
#define EV_SYS_DMESG_H

#include "cmd.h"
#include "ev_attr.h"

/* Most kernel-log bytes looked at (EVE stops at 64 KiB; the ring is larger). */
#define SYS_DMESG_MAX (4u * 1024 * 1024)

int sys_dmesg(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;
/* One syslog(2)-format line ("<pri>[ts][caller] text" or "<pri>[ts] text"). */
void sys_dmesg_print_line(struct cmd_ctx *ctx, const char *line, size_t len);

#endif
