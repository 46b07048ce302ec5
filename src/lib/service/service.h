/* Containers as services (keep run -d and the verbs that manage it): the
 * flags of a service, the record keep keeps of every container it runs, and
 * finding a container by name or id prefix.
 *
 * A container of `keep run` lives in <base>/<id>/ (state.h): beside the
 * owner lock and the OCI state it holds
 *   container.json  what keep run was asked, written once at create: name,
 *                   image, command, the service settings, the defences an
 *                   exec'd process must get (record.c)
 *   exit.json       how it ended: written by its monitor when it exits
 *   stopping        a mark `keep stop` leaves: no restart after this exit
 *   ctr.log[.N]     its output (monitor/keep-monitor.c), bounded
 * and <base>/.name-NAME is a symlink to <id>: names are claimed atomically. */
#ifndef KEEP_SERVICE_H
#define KEEP_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

/* keep run's flags and image config with the id of an existing container
 * (cmd_run.c), for a restart; and the directory of compiled filters. */
void keep_run_config_reuse_id(const char *id);
char *keep_cache_dir(bool rootless);

/* Defaults: no restart, stop timeout 10 s, logs 10 MB x 3 files. */
void keep_service_default(struct keep_service *s);
/* One service flag of keep run (name, restart, stop-signal, stop-timeout,
 * log-opt) with its value; --stop-signal sets *stop_signal. */
int keep_service_flag(struct keep_service *s, const char *flag, const char *value, int *stop_signal,
                      keep_error **err);
/* [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 characters (Docker's rule). */
bool keep_container_name_valid(const char *name);

/* container.json for cfg: `run_args` is keep run's command line (argv[0]
 * "run"), kept so a restart builds the same container again. */
char *keep_record_text(const struct keep_config *cfg, const char *image, int argc, char *const *argv);

enum keep_ctr_status { KEEP_CTR_CREATED, KEEP_CTR_RUNNING, KEEP_CTR_EXITED, KEEP_CTR_DEAD };

/* One container of keep run, opened read-only (no lock taken). */
struct keep_ctr {
  char id[65];
  char *dir;
  int dirfd;
  json_t *record; /* container.json, or NULL (a run that had not written it yet) */
  json_t *state;  /* state.json, or NULL */
  json_t *exit;   /* exit.json, or NULL */
  pid_t pid;      /* the init, when running */
  enum keep_ctr_status status;
};

/* The id of the container named `ref`, or whose id starts with `ref` (at
 * least 3 hex digits, and only one may match). */
int keep_ctr_find(const char *base, const char *ref, char id[65], keep_error **err);
int keep_ctr_open(const char *base, const char *id, struct keep_ctr *c, keep_error **err);
void keep_ctr_free(struct keep_ctr *c);
/* The ids of every container under base, sorted by creation (newest first). */
char **keep_ctr_list(const char *base);
const char *keep_ctr_status_name(enum keep_ctr_status s);
/* A string field of the record (or NULL). */
const char *keep_ctr_str(const struct keep_ctr *c, const char *key);
/* Send sig to the container's init, checking that the pid is still it. */
int keep_ctr_signal(const struct keep_ctr *c, int sig, keep_error **err);
/* Block until the container's keep (run or monitor) is gone; timeout_ms < 0:
 * forever.  Returns 0, or 1 on timeout. */
int keep_ctr_wait_gone(const char *base, const char *id, int timeout_ms);

/* keep run -d (detach.c): fork the monitor, which leaves the caller's
 * session, creates and starts cfg and becomes keep-monitor; returns once
 * the container runs (or with why it could not start).  record is
 * container.json; reuse_lock >= 0 restarts the existing container cfg->id;
 * hold_fds (the image's layer locks) stay open for the container's life. */
int keep_service_detach(struct keep_config *cfg, const char *record, int reuse_lock, const int *hold_fds,
                        size_t n_hold, keep_error **err);
/* The monitor's part, in the process that becomes it: returns only on
 * failure.  status_fd (or -1) gets "ok" once the container runs. */
int keep_service_start(struct keep_config *cfg, const char *record, int reuse_lock, int status_fd,
                       const int *hold_fds, size_t n_hold, keep_error **err);

/* After the monitor saw the init exit (exited.c): record it (exit.json) and
 * remove the cgroup.  Returns 1 when the restart policy wants it run again,
 * 0 when not, -1 on error.  lock: the owner lock the monitor held. */
struct keep_exit_info {
  int exit_code;
  unsigned long long log_dropped;
};
int keep_service_exited(const char *base, const char *id, int lock, const struct keep_exit_info *x,
                        keep_error **err);
/* Count the OOM kills of the cgroup `rel` (NULL: none), then remove it,
 * now that nothing runs in it; true when one was killed. */
bool keep_service_end_cgroup(const char *rel);
/* Why the restart the policy asked for failed, kept in exit.json. */
int keep_service_note_restart_error(const char *base, const char *id, const char *msg);

#endif
