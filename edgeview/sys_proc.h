/*
 * sys_proc.h - a small /proc reader (under ctx->root) shared by ps, top and
 * the session header: per-process stat/statm/status/cmdline, meminfo,
 * the cpu line of /proc/stat, uptime and loadavg.  Native, no libproc2.
 */
#ifndef EV_SYS_PROC_H
#define EV_SYS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmd.h"
#include "ev_attr.h"

/* Processes looked at by one ps/top run; a host with more is cut here. */
#define SYS_PROC_MAX 16384u
/* A /proc/<pid>/cmdline shown (longer ones are cut). */
#define SYS_CMDLINE_MAX 4096u

struct sys_proc {
	int pid, ppid;
	char comm[64];
	char state;
	uint64_t utime, stime; /* clock ticks */
	int64_t priority, nice;
	uint64_t starttime; /* ticks after boot */
	uint64_t vsize;     /* bytes */
	uint64_t rss_pages, shared_pages;
	long uid; /* -1 if unknown */
};

struct sys_meminfo {
	uint64_t total, free, available, buffers, cached, sreclaimable, shmem; /* kB */
	uint64_t swap_total, swap_free;
	bool have_available;
};

struct sys_cpu {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

/* Read a whole small file (NUL-terminated, cut at cap-1) into buf. */
int sys_read_file(const char *path, char *buf, size_t cap, size_t *len) EV_WARN_UNUSED;
/* root-relative variant: "/proc/meminfo" under ctx->root. */
int sys_read_rootfile(const struct cmd_ctx *ctx, const char *path, char *buf, size_t cap,
                      size_t *len) EV_WARN_UNUSED;

int sys_proc_read(const struct cmd_ctx *ctx, int pid, struct sys_proc *p) EV_WARN_UNUSED;
/* The command line with NULs as spaces, trailing ones trimmed ("" for
 * kernel threads). */
int sys_proc_cmdline(const struct cmd_ctx *ctx, int pid, char *buf, size_t cap) EV_WARN_UNUSED;
/* The numeric entries of <root>/proc in ascending order; *pids malloc'd. */
int sys_proc_list(const struct cmd_ctx *ctx, int **pids, size_t *n) EV_WARN_UNUSED;

int sys_meminfo_read(const struct cmd_ctx *ctx, struct sys_meminfo *m) EV_WARN_UNUSED;
int sys_cpu_read(const struct cmd_ctx *ctx, struct sys_cpu *c) EV_WARN_UNUSED;
int sys_uptime_read(const struct cmd_ctx *ctx, double *up) EV_WARN_UNUSED;

/* ps[/<substring>] and top [-line N] (sys_ps.c). */
int sys_ps(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;
int sys_top(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;

#endif
