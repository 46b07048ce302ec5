/* State of OCI containers: <root>/<id>/ holds state.json (written once the
 * container is created, atomically), config.json (the config it was created
 * with, for exec), exec.fifo (the created container waits on it until
 * `start`), a `started` mark, and the lock that serialises concurrent calls.
 * The status is derived, not stored: a killed keep leaves nothing stale. */
#ifndef KEEP_OCI_STATE_H
#define KEEP_OCI_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

enum keep_oci_status { OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_PAUSED, OCI_STOPPED };

struct keep_oci_state {
  char *id, *bundle, *dir, *cgroup_rel, *oci_version;
  pid_t pid;
  unsigned long long start_time; /* of pid, from /proc/PID/stat: detects pid reuse */
  char *created;                 /* RFC 3339 */
  json_t *annotations;           /* owned */
  bool cgroup_owned;             /* keep created the cgroup: delete removes it */
  enum keep_oci_status status;
  int dirfd; /* the state directory, locked (flock) */
};

/* Default root: /run/keep/oci (root) or $XDG_RUNTIME_DIR/keep/oci. */
char *keep_oci_default_root(void);
/* Is `id` a safe container id (no '/', no "..", printable, <= 1024)? */
bool keep_oci_id_valid(const char *id);

/* mkdir <root>/<id> (EEXIST: "container already exists") and lock it. */
int keep_oci_state_new(const char *root, const char *id, struct keep_oci_state *st, keep_error **err);
/* The OCI state of `keep run`, kept in the directory `dir` that its own
 * owner-locked state (state.h) made: opened and locked. */
int keep_oci_state_adopt(const char *dir, const char *id, struct keep_oci_state *st, keep_error **err);
/* Open and lock an existing container's state, and compute its status. */
int keep_oci_state_open(const char *root, const char *id, struct keep_oci_state *st, keep_error **err);
/* Write state.json atomically (temp file + rename). */
int keep_oci_state_save(const struct keep_oci_state *st, keep_error **err);
/* Recompute st->status from the process and the marks. */
void keep_oci_state_refresh(struct keep_oci_state *st);
/* The spec's state object (ociVersion, id, status, pid, bundle, annotations). */
json_t *keep_oci_state_json(const struct keep_oci_state *st);
/* Remove the state directory. */
int keep_oci_state_remove(struct keep_oci_state *st, keep_error **err);
void keep_oci_state_free(struct keep_oci_state *st);

unsigned long long keep_proc_start_time(pid_t pid);
const char *keep_oci_status_name(enum keep_oci_status s);

#endif
