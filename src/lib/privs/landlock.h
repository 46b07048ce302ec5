/* Landlock: the LSM layer on hosts without AppArmor/SELinux. */
#ifndef KEEP_LANDLOCK_H
#define KEEP_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
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

/* A RULES file: one rule a line, `read|write|exec PATH` (PATH absolute,
 * inside the container; `#` starts a comment).  read: read files and list
 * directories beneath PATH; exec: also execute them; write: also write,
 * create, remove, rename and truncate beneath it.  Everything else is
 * denied: the rules replace keep's own (read everywhere, write to the
 * writable mounts); the mounts still decide what is read-only. */
int keep_landlock_rules_load(const char *file, struct keep_landlock_rule **out, size_t *n, keep_error **err);
int keep_landlock_rules_parse(const char *text, const char *label, struct keep_landlock_rule **out, size_t *n,
                              keep_error **err);
const char *keep_landlock_access_name(unsigned access); /* one KEEP_LL_* bit */
/* Like keep_landlock_apply, with a RULES file's rules. */
int keep_landlock_apply_rules(const struct keep_landlock_rule *rules, size_t n, keep_error **err);

#endif
