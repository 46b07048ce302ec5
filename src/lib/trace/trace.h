/* keep trace and keep run --log-denied: a tracer process beside the run,
 * holding the listener of the container's observed seccomp filter
 * (seccomp_observe.c says how the filter and the handover work). */
#ifndef KEEP_TRACE_H
#define KEEP_TRACE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "trace_landlock.h"
#include "trace_profile.h"

struct keep_trace {
  pid_t pid;    /* the tracer */
  int results;  /* what it reports, read end */
  int handover; /* the end the container sends the listener on */
};
#define KEEP_TRACE_INIT                                                                                      \
  {                                                                                                          \
    .pid = -1, .results = -1, .handover = -1                                                                 \
  }

/* Before keep_container_run: compile cfg's profile observed
 * (KEEP_SECCOMP_OBSERVE_*) into cfg->seccomp_prepared and fork the tracer.
 * Denied calls are logged on stderr, one line each. */
struct keep_config;
/* learn_paths: also the paths read, written and executed (--landlock-out). */
int keep_trace_start(struct keep_config *cfg, unsigned observe, bool learn_paths, struct keep_trace *t,
                     keep_error **err);
/* After the run: wait for the tracer and add what it saw to `learned` and
 * `paths` (NULL: not wanted).  *started: the workload loaded the filter. */
int keep_trace_finish(struct keep_trace *t, struct trace_profile *learned, struct trace_paths *paths,
                      bool *started, keep_error **err);
/* Kill and reap a tracer that finish did not (an error path). */
void keep_trace_abandon(struct keep_trace *t);

#endif
