#ifndef KEEP_SEALED_EXEC_H
#define KEEP_SEALED_EXEC_H

#include "error.h"

/* Make sure keep runs from a sealed in-memory copy of itself before it
 * touches a container, so nothing inside can rewrite the binary through
 * /proc/<pid>/exe (CVE-2019-5736).  Returns 0 when already sealed; otherwise
 * re-executes (does not return on success). */
int keep_ensure_sealed_self(char **argv, keep_error **err);

#endif
