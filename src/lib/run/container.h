/* `keep run`: one container, run attached to completion (container.c). */
#ifndef KEEP_CONTAINER_H
#define KEEP_CONTAINER_H

#include "config.h"
#include "error.h"

/* Run cfg to completion.  *exit_code gets the container's status (exit code,
 * or 128+signal).  Returns -1 (with err) when keep itself failed: then
 * nothing is left behind. */
int keep_container_run(struct keep_config *cfg, int *exit_code, keep_error **err);

#endif
