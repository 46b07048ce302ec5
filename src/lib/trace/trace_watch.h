/* keep trace --landlock-out: the paths a call reads, writes or executes. */
#ifndef KEEP_TRACE_WATCH_H
#define KEEP_TRACE_WATCH_H

#include <linux/seccomp.h>
#include <sys/types.h>

#include "trace_landlock.h"

/* `name`: libseccomp's name of the call `d` that process `pid` makes. */
void trace_watch_call(struct trace_paths *p, pid_t pid, const char *name, const struct seccomp_data *d);

#endif
