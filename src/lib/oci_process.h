/* Running the process of an OCI config (create/start and exec). */
#ifndef KEEP_OCI_PROCESS_H
#define KEEP_OCI_PROCESS_H

#include <stdbool.h>
#include <stdnoreturn.h>

#include "oci_spec.h"
#include "seccomp_filter.h"

/* In the container, root and cwd already inside it: confine and exec.
 * Never returns; exits 125 (setup), 126 (cannot exec) or 127 (not found). */
noreturn void keep_oci_process_exec(const struct keep_oci_process *p, const struct keep_seccomp *sc,
                                    int tty_fd, bool setgroups_allowed, bool has_personality,
                                    unsigned long persona);

#endif
