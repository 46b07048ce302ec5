/* Per-container runtime state of `keep run`: /run/keep/<id> (root) or
 * $XDG_RUNTIME_DIR/keep/<id>, where <id> is 64 hex digits.
 *
 * Liveness is a lock, not a pid: the keep process running a container holds
 * an exclusive flock on its `owner` file (which also names its pid, for
 * people) for as long as the container exists.  The kernel drops the lock
 * when that process dies, however it dies, so a lock that can be taken means
 * a dead owner, and a pid that was reused can never pass for a live keep.
 *
 * The directory and its locked owner file appear together: creators hold a
 * shared lock on <base>/.lock from the mkdir until the owner is locked, and
 * gc scans under the exclusive lock, so gc never sees a state directory that
 * is still being made (and takes for dead a keep that is only starting). */
#ifndef KEEP_STATE_H
#define KEEP_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* The caller's store (images, secrets): $KEEP_STORE, else /var/lib/keep for
 * root, $XDG_DATA_HOME/keep or ~/.local/share/keep for a user; NULL when
 * none can be named (a user with neither variable set). */
char *keep_store_base(void);
/* mkdir -p: the missing parents 0755, `path` itself with `mode`. */
int keep_mkdir_p(const char *path, mode_t mode, keep_error **err);

/* Lock <dir>/.lock (made 0600 when missing) with flock `how`; returns its fd. */
int keep_dir_lock(const char *dir, int how, keep_error **err);
/* The base directory for the caller, created 0700 and checked to be ours. */
int keep_state_base(char **out, keep_error **err);
/* Create <base>/<id> with its locked owner file; returns the lock's fd,
 * which the caller keeps open (close-on-exec) until keep_state_remove(). */
int keep_state_create(const char *base, const char *id, keep_error **err);
/* Remove <base>/<id>, then drop the lock `lock_fd` (may be -1). */
void keep_state_remove(const char *base, const char *id, int lock_fd);
/* Remove state of containers whose keep process is gone (but those with an
 * exit record: exited detached containers, kept until `keep rm`) and names
 * whose container is gone; returns the count of containers. */
int keep_state_gc(const char *base, keep_error **err);
/* Does a live keep process hold the state <base>/<id>? */
bool keep_owner_alive(const char *base, const char *id);
/* Is `name` a container id of `keep run` (64 lowercase hex digits)?  Other
 * names under the base (`oci`, `.lock`) are never container state. */
bool keep_state_id_valid(const char *name);

/* Names: <base>/.name-NAME is a symlink to the id.  Claimed once the state
 * directory exists (EEXIST: taken by a container that still exists; a
 * claim whose container is gone is taken over), released with it. */
int keep_name_claim(const char *base, const char *name, const char *id, keep_error **err);
void keep_name_release(const char *base, const char *name, const char *id);
/* The id of the container that holds `name` and still exists. */
bool keep_name_lookup(const char *base, const char *name, char id[65]);

#endif
