/* The container's filesystem: the read-only root, /proc, /sys, /dev, tmpfs
 * mounts and volumes, assembled fd-relative and finished with pivot_root. */
#ifndef KEEP_ROOTFS_H
#define KEEP_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "error.h"

struct keep_rootfs_plan {
  const struct keep_config *cfg;
  int rootfs_fd;         /* O_PATH|O_DIRECTORY of the host root, opened by the parent */
  int root_tree;         /* the root, made by the parent (keep_rootfs_tree), or -1 */
  const int *volume_fds; /* O_PATH of each bind source (cfg->mounts order), -1 for tmpfs */
  size_t n_cgroup_dirs;  /* the container's own cgroup, shown read-only */
  const char *const *cgroup_names;
  const char *const *cgroup_dirs;
  bool cgroup2; /* mount a cgroup2 fs (private cgroup namespace) */
  bool tty_gid; /* gid 5 (tty) is mapped: give devpts gid=5 */
};

/* Runs inside the new mount namespace as root of the user namespace.  On
 * return the process's root and cwd are the container's "/". */
int keep_rootfs_setup(const struct keep_rootfs_plan *p, keep_error **err);

/* /dev: a fresh tmpfs with only the safe nodes, private devpts, shm, mqueue. */
int keep_dev_setup(int newroot, bool tty_gid, keep_error **err);

/* Hide dirfd/path (relative, no symlinks on the way): an empty read-only
 * tmpfs over a directory, /dev/null over a file; missing is fine.  `base`
 * only names it in messages. */
int keep_mask_path(int dirfd, const char *base, const char *path, keep_error **err);
/* Re-attach dirfd/path onto itself read-only (recursively); missing is fine. */
int keep_make_readonly(int dirfd, const char *base, const char *path, keep_error **err);

/* Make newroot (a mount) the root with pivot_root and detach the old one;
 * never chroot.  Ends with cwd at the new "/". */
int keep_pivot_root(int newroot, keep_error **err);

/* overlayfs stacks at most this many lower layers (the kernel's OVL_MAX_STACK). */
#define KEEP_OVERLAY_MAX_LAYERS 500
/* Whether n layers can be stacked with overlayfs: the error says how many it
 * takes and names --storage-driver vfs, which runs any number. */
int keep_overlay_check_layers(size_t n, keep_error **err);

/* The layers of an image (bottom first) stacked with overlayfs, read-only,
 * or writable with a private tmpfs mounted on `scratch`; a detached mount. */
int keep_overlay_create(char *const *layers, const char *scratch, keep_error **err);

/* The container's root as a detached mount, read-only unless --read-write:
 * the directory `hostroot` (a bind) or the image's layers (an overlay), with
 * keep's layer of missing mount points beneath when the root lacks any.
 * Made by keep as host root before the container exists (so a root or store
 * below a directory the container's root cannot search still works), or by
 * the container's side when keep runs rootless or the image's root is
 * writable (its tmpfs must be mounted inside the container's namespace). */
int keep_rootfs_tree(const struct keep_config *cfg, int hostroot, const int *volume_fds, keep_error **err);

/* Paths the workload may write to (for Landlock): /tmp, /run, /dev, volumes
 * with :rw, --tmpfs targets.  NULL-terminated; caller frees with strv_free. */
char **keep_rootfs_writable_paths(const struct keep_config *cfg);

#endif
