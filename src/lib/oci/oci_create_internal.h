/* What create's two sides and start share, and nothing else of the library
 * sees.
 *
 * create (oci_create.c) hands the init (oci_init.c) a struct oci_child
 * across the clone, and `run` (oci_start.c) drives the same create as
 * `create` does before it starts and waits: so the init's arguments, the
 * resources create holds, and the entries between those files are declared
 * here rather than in oci_runtime.h, which is the library's interface. */
#ifndef KEEP_OCI_CREATE_INTERNAL_H
#define KEEP_OCI_CREATE_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "oci_mounts.h"
#include "oci_runtime.h"
#include "oci_state.h"
#include "seccomp_filter.h"
#include "userns.h"

/* What create gives the init; read in the child, after the clone. */
struct oci_child {
  const struct keep_oci_spec *s;
  const struct keep_oci_create_opts *o;
  struct keep_seccomp *seccomp;
  int sock;
  int rootfs_fd;
  int root_tree;                      /* the root cloned by create as host root, or -1 */
  bool root_over_slash;               /* the init attached the root over its "/" */
  int fifo;                           /* exec.fifo, read end: `start` writes to it */
  int close_fds[3];                   /* the parent's: the state lock must never outlive create */
  const struct keep_oci_run_ext *ext; /* keep run's additions, or NULL */
  bool deny_setgroups;
  struct keep_oci_mount_ctx mctx;
};

/* The init (oci_init.c): what keep_oci_spawn_init runs in the new child,
 * arg a struct oci_child.  It never returns. */
void oci_child_entry(void *arg);

/* What `create` holds until it hands the container over. */
struct create_res {
  struct keep_oci_spec spec;
  struct keep_oci_state st;
  struct keep_seccomp *seccomp;
  struct keep_cgroup *cg;
  struct keep_userns_plan userns;
  int rootfs_fd, root_tree, sock, console, master;
  int run_lock; /* keep run: the owner lock of its state (state.h) */
  const struct keep_oci_run_ext *ext;
  pid_t child;
  pid_t portfwd; /* keep-portfwd of -p, or 0 */
  bool done;
};

/* Nothing held yet: every fd -1. */
#define OCI_CREATE_RES_INIT                                                                                  \
  {                                                                                                          \
    .rootfs_fd = -1, .root_tree = -1, .sock = -1, .console = -1, .master = -1, .run_lock = -1, .st = {       \
      .dirfd = -1                                                                                            \
    }                                                                                                        \
  }

/* Create the container described by o into r (oci_create.c).  `block`: the
 * signals an attached run forwards, blocked once the inputs are open and
 * checked (a blocking open stays interruptible), or NULL. */
int oci_do_create(const struct keep_oci_create_opts *o, bool attached, sigset_t *block, sigset_t *old,
                  struct create_res *r, keep_error **err);
/* Undo what create did unless r->done (then the container owns its cgroup
 * and init), and free what r holds. */
void oci_create_release(struct create_res *r);

#endif
