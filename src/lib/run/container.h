/* `keep run`: one container, run attached to completion (container.c). */
#ifndef KEEP_CONTAINER_H
#define KEEP_CONTAINER_H

#include "config.h"
#include "error.h"

/* Run cfg to completion.  *exit_code gets the container's status (exit code,
 * or 128+signal).  Returns -1 (with err) when keep itself failed: then
 * nothing is left behind.  record: container.json (service.h), or NULL. */
int keep_container_run(struct keep_config *cfg, const char *record, int *exit_code, keep_error **err);

/* Detached (keep run -d): create and start cfg, return once it runs.  The
 * caller becomes its monitor: h gets the owner lock of its state, the
 * init's pid and, with -t, the terminal.  h->record is container.json; h->reuse_lock >= 0: a restart
 * of the container cfg->id, whose state that lock holds. */
struct keep_handover {
  const char *record;
  int reuse_lock;
  int lock;
  pid_t pid;
  int master; /* -t: the terminal's master */
};
int keep_container_start_detached(struct keep_config *cfg, struct keep_handover *h, keep_error **err);

#endif
