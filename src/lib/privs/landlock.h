/* Landlock: the LSM layer on hosts without AppArmor/SELinux. */
#ifndef KEEP_LANDLOCK_H
#define KEEP_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Kernel's Landlock ABI version, or <= 0 when unavailable. */
int keep_landlock_abi(void);

/* Called inside the container after pivot_root.  Restricts the calling
 * process and its descendants to the container's tree: read and execute
 * everywhere under "/", write only under the given writable paths (or
 * everywhere under "/" when root_writable).  Anything reached through an fd
 * from outside the tree (a leaked host directory) is denied.  Also scopes
 * signals and abstract unix sockets when the ABI has it (>= 6). */
int keep_landlock_apply(const char *const *writable, size_t n_writable, bool root_writable, keep_error **err);

#endif
