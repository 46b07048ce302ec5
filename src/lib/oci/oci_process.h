/* Running the process of an OCI config (create/start and exec). */
#ifndef KEEP_OCI_PROCESS_H
#define KEEP_OCI_PROCESS_H

#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "oci_spec.h"
#include "seccomp_filter.h"

/* In the container, root and cwd already inside it: confine and exec.
 * Never returns; exits 125 (setup), 126 (cannot exec) or 127 (not found). */
/* process.oomScoreAdj, set on `pid` from outside the container: the
 * container's processes are not dumpable, so their /proc files belong to
 * host root, which their user namespace does not map.  Children and execve
 * keep the value. */
int keep_oci_set_oom_score_adj(pid_t pid, const struct keep_oci_process *p, keep_error **err);

/* Refuse capabilities that no process started by keep can hold (outside
 * keep's own bounding set), naming the set and the capability. */
int keep_oci_caps_grantable(const struct keep_oci_process *p, const char *where, keep_error **err);

noreturn void keep_oci_process_exec(const struct keep_oci_process *p, const struct keep_seccomp *sc,
                                    int tty_fd, bool setgroups_allowed, bool has_personality,
                                    unsigned long persona);

#endif
