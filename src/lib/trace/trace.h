/* keep trace and keep run --log-denied: a tracer process beside the run,
 * holding the listener of the container's observed seccomp filter
 * (seccomp_observe.c says how the filter and the handover work). */
#ifndef KEEP_TRACE_H
#define KEEP_TRACE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
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
int keep_trace_start(struct keep_config *cfg, unsigned observe, struct keep_trace *t, keep_error **err);
/* After the run: wait for the tracer and add what it saw to `learned`
 * (NULL: nothing to learn).  *started: the workload loaded the filter. */
int keep_trace_finish(struct keep_trace *t, struct trace_profile *learned, bool *started, keep_error **err);
/* Kill and reap a tracer that finish did not (an error path). */
void keep_trace_abandon(struct keep_trace *t);

#endif
