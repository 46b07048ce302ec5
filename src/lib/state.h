/* Per-container runtime state: /run/keep/<id> (root) or
 * $XDG_RUNTIME_DIR/keep/<id>; its `owner` file holds the pid of the keep
 * process running it, so a later run or `keep gc` can tell leftovers. */
#ifndef KEEP_STATE_H
#define KEEP_STATE_H

#include <stdbool.h>

#include "error.h"

/* The base directory for the caller, created 0700 and checked to be ours. */
int keep_state_base(char **out, keep_error **err);
int keep_state_create(const char *base, const char *id, keep_error **err);
void keep_state_remove(const char *base, const char *id);
/* Remove state of containers whose keep process is gone; returns count. */
int keep_state_gc(const char *base, keep_error **err);
/* Is the process `pid` a live keep? */
bool keep_owner_alive(const char *base, const char *id);

#endif
