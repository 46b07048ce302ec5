#ifndef KEEP_SEALED_EXEC_H
#define KEEP_SEALED_EXEC_H

#include "error.h"

/* Make sure keep runs from a sealed in-memory copy of itself before it
 * touches a container, so nothing inside can rewrite the binary through
 * /proc/<pid>/exe (CVE-2019-5736).  Returns 0 when already sealed; otherwise
 * re-executes (does not return on success). */
int keep_ensure_sealed_self(char **argv, keep_error **err);
/* The path keep was started from (the sealed copy has none): a detached
 * container's monitor runs keep again from it.  keep_self_remember() runs
 * first thing in main. */
void keep_self_remember(void);
const char *keep_self_path(void);
/* A sealed, close-on-exec memfd holding what src holds (`name` names it). */
int keep_sealed_copy(int src, const char *name, keep_error **err);
/* keep's helper program `name` beside keep (a build tree, one install
 * directory), else where it was installed; NULL when neither has it. */
char *keep_helper_path(const char *name);

#endif
