/*
 * bench_proc.h - what /proc tells about the dispatcher under test and about
 * the bench itself: resident and private memory, CPU time, and finding a
 * local dispatcher by program name.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ev_attr.h"

struct bench_mem {
	bool valid;
	uint64_t vmrss_kb;   /* VmRSS from /proc/PID/status */
	uint64_t private_kb; /* Private_Clean + Private_Dirty from smaps_rollup */
	bool have_private;   /* smaps_rollup exists and was readable */
};

/* Memory of pid (0 = this process).  EV_ERR_NOT_FOUND if it is gone. */
int bench_proc_mem(pid_t pid, struct bench_mem *out) EV_WARN_UNUSED;

/* utime + stime of pid in clock ticks (sysconf(_SC_CLK_TCK)). */
int bench_proc_cpu_ticks(pid_t pid, uint64_t *out) EV_WARN_UNUSED;

/*
 * Find processes other than ourselves whose argv[0] ends in "/name" or is
 * "name".  *pid is set when exactly one matches; *nfound counts all.
 */
int bench_proc_find(const char *name, pid_t *pid, unsigned *nfound) EV_WARN_UNUSED;

/*
 * The process holding a listening TCP socket (IPv4 or IPv6) on port, other
 * than ourselves; EV_ERR_NOT_FOUND if none is visible to us.
 */
int bench_proc_find_listener(int port, pid_t *pid) EV_WARN_UNUSED;

/* The kernel's short name of pid (/proc/PID/comm) into buf; "?" if unknown. */
void bench_proc_comm(pid_t pid, char *buf, size_t cap);

/* Whether /proc/pid exists. */
bool bench_proc_exists(pid_t pid);

#endif
