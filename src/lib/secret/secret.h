/* Secrets: values a container needs (a password, a key) that must reach its
 * process and nothing else: never its environment (every `ps e`, inspect and
 * crash dump shows that), never config.json, state files or logs, never a
 * file that outlives the container.
 *
 *   <store>/secrets/           0700, the caller's own (state.h: keep_store_base)
 *   <store>/secrets/NAME       the value, 0600, written atomically
 *   <store>/secrets/.tmp-*     a value being written where O_TMPFILE is
 *                              missing; never a secret
 *
 * `keep run --secret NAME` opens the value here (as the caller, who alone
 * can) and hands the descriptor to the container's init, which copies it
 * onto a tmpfs of its own at /run/secrets, read-only, nosuid, nodev, noexec,
 * owned by the process's user and mode 0400 unless told otherwise.  The
 * tmpfs lives in the container's mount namespace and dies with it.
 *
 * Three parts: the --secret syntax (pure, secret_ref.c), the store
 * (secret_store.c), and the init's tmpfs (secret_mount.c). */
#ifndef KEEP_SECRET_H
#define KEEP_SECRET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

#define KEEP_SECRET_NAME_MAX 64            /* Docker's bound */
#define KEEP_SECRET_MAX_SIZE (500u * 1024) /* Docker's bound: 500 KiB */
#define KEEP_SECRET_TARGET_MAX 255
#define KEEP_MAX_SECRETS 256
#define KEEP_SECRET_DIR "/run/secrets"

/* Docker's rule for names: 1 to 64 of [A-Za-z0-9_.-], starting and ending
 * with a letter or digit (so never `.`, `..`, a temp file or a path). */
int keep_secret_name_check(const char *name, keep_error **err);
/* --secret NAME[,target=PATH,uid=U,gid=G,mode=M] (also Docker's
 * source=NAME and Podman's type=mount) into *out (freed by the caller, also
 * on failure).  A relative target is below /run/secrets; an absolute one
 * must be there too. */
int keep_secret_ref_parse(const char *spec, struct keep_secret_ref *out, keep_error **err);
/* Parse and append to cfg->secrets, refusing a target another secret takes
 * (or a directory of it). */
int keep_secret_ref_add(struct keep_config *cfg, const char *spec, keep_error **err);

/* The caller's secret directory, checked (a directory it owns, mode 0700,
 * never a symlink) and created when `create`; *path (may be NULL) gets its
 * name for messages.  Returns its fd. */
int keep_secret_store_open(bool create, char **path, keep_error **err);

struct keep_secret_info {
  char *name;
  uint64_t size;
  int64_t created; /* seconds since the epoch */
};
void keep_secret_info_free(struct keep_secret_info *v, size_t n);

/* Store the content of `src` (at most KEEP_SECRET_MAX_SIZE bytes, at least
 * one) as `name`: an unnamed temp file (O_TMPFILE; a named one where the
 * filesystem has none), fsync, then a link or rename that never replaces
 * an existing secret. `src_what` names the source in messages. */
int keep_secret_create(int dirfd, const char *dir, const char *name, int src_fd, const char *src_what,
                       keep_error **err);
/* Every secret, sorted by name. */
int keep_secret_list(int dirfd, struct keep_secret_info **out, size_t *n, keep_error **err);
/* One secret's name, size and creation time, checked as keep run checks it. */
int keep_secret_stat(int dirfd, const char *dir, const char *name, struct keep_secret_info *out,
                     keep_error **err);
int keep_secret_remove(int dirfd, const char *dir, const char *name, keep_error **err);
/* Open one value for a container (O_RDONLY, never through a symlink),
 * refusing one that others could read, not the caller's, empty or too big. */
int keep_secret_open_value(int dirfd, const char *dir, const char *name, keep_error **err);
/* keep run: open the value of each of refs into (*fds)[i] (free()d by the
 * caller, who closes them: keep_secret_fds_close). */
int keep_secrets_open(const struct keep_secret_ref *refs, size_t n, int **fds, keep_error **err);
void keep_secret_fds_close(int *fds, size_t n);

/* The container's init, after the root is built and the process's user
 * known: a tmpfs just big enough for the values, each copied from fds[i] to
 * its target, chowned (container ids) and chmodded, the tmpfs made
 * read-only and attached at /run/secrets below rootfd.  Closes fds. */
int keep_secrets_mount(int rootfd, const struct keep_secret_ref *refs, const int *fds, size_t n, uid_t uid,
                       gid_t gid, keep_error **err);

#endif
