/* Running one container: the host side (container.c) and the container side
 * (init.c) of `keep run`. */
#ifndef KEEP_CONTAINER_H
#define KEEP_CONTAINER_H

#include <stdbool.h>
#include <stdnoreturn.h>

#include "config.h"
#include "error.h"
#include "rootfs.h"
#include "seccomp_filter.h"

/* Run cfg to completion.  *exit_code gets the container's status (exit code,
 * or 128+signal).  Returns -1 (with err) when keep itself failed: then
 * nothing is left behind. */
int keep_container_run(struct keep_config *cfg, int *exit_code, keep_error **err);

/* What the container side needs, prepared by the parent before clone. */
struct keep_child_ctx {
  const struct keep_config *cfg;
  int sock;       /* to the parent */
  int state_lock; /* the parent's state lock: not the container's */
  struct keep_rootfs_plan plan;
  const struct keep_seccomp *seccomp; /* NULL = unconfined */
  bool deny_setgroups;
  bool new_netns;
};

/* Entry of the cloned child: becomes the container's PID 1. */
noreturn void keep_container_child(struct keep_child_ctx *ctx);

#endif
