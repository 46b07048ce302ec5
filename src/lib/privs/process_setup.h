/* The environment and the user of keep run's workload. */
#ifndef KEEP_PROCESS_SETUP_H
#define KEEP_PROCESS_SETUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "util.h"

/* Parse a docker-style --env-file: KEY=VALUE lines, '#' comments, a bare KEY
 * takes the caller's value (skipped when unset).  Appends to *env; at most
 * KEEP_MAX_ENV entries in all. */
int keep_env_file_parse(const char *path, struct strv_builder *env, keep_error **err);
/* -e KEY=VALUE or -e KEY (caller's value; skipped when unset). */
int keep_env_add_arg(const char *arg, struct strv_builder *env, keep_error **err);

/* Build the workload's environment from nothing: PATH, HOME, HOSTNAME,
 * TERM (with tty), then `asked` (later entries win, in the place the name
 * first had).  Linear in the number of entries. */
char **keep_env_build(char *const *asked, const char *home, const char *hostname, bool tty);

struct keep_user {
  uid_t uid;
  gid_t gid;
  char *home; /* from the container's /etc/passwd, or "/" */
};
/* Resolve "UID[:GID]" / "name[:group]" against the container's /etc/passwd
 * and /etc/group read through rootfd (never NSS: host code must not load the
 * container's libraries).  spec NULL = root. */
int keep_user_resolve(int rootfd, const char *spec, struct keep_user *out, keep_error **err);
/* Pure parsers, exposed for unit tests. */
int keep_passwd_find(const char *passwd, const char *name, uid_t uid_or_neg, uid_t *uid, gid_t *gid,
                     char **home);
int keep_group_find(const char *group, const char *name, gid_t *gid);

#endif
