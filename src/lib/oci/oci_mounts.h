/* The filesystem of an OCI container: its mounts, devices, masked and
 * read-only paths, sysctls. */
#ifndef KEEP_OCI_MOUNTS_H
#define KEEP_OCI_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "oci_spec.h"

struct keep_oci_mount_ctx {
  size_t n_cgroup_dirs; /* the container's own cgroup (v1: one per controller) */
  const char *const *cgroup_names;
  const char *const *cgroup_dirs;
  bool cgroup2;
  int *trees; /* per mount: the idmapped tree create prepared, or -1 (NULL: none) */
  /* keep run, per mount (NULL: none): the bind source its caller opened
   * through no symlink (reopened the same way, and must be the same inode),
   * or -1; and the name its errors give the mount ("volume `SRC:DST`"). */
  const int *sources;
  char *const *names;
  const bool *strict; /* keep's own mount point on the root: never a symlink */
};

/* In create (host root, the host's mount namespace) once the container's
 * init exists: the detached tree of idmapped bind mount m, every attribute
 * set, for init to attach.  Its mappings, or else container_userns's. */
int keep_oci_idmapped_tree(const struct keep_oci_mount *m, int container_userns, keep_error **err);

/* Create the mount points the root lacks, as runc and crun do, from the
 * caller's side (host root when keep runs as root), so a root owned by host
 * root works with a user namespace.  fd-relative, never through a symlink;
 * mount points inside an earlier mount are left to the container. */
int keep_oci_make_mount_points(int rootfd, const struct keep_oci_spec *s, keep_error **err);

/* Every mount of the config in order, then the default /dev nodes and
 * linux.devices; rootfd is the new root (a mount, before pivot_root). */
int keep_oci_mounts_setup(int rootfd, const struct keep_oci_spec *s, const struct keep_oci_mount_ctx *c,
                          keep_error **err);
/* linux.maskedPaths and linux.readonlyPaths. */
int keep_oci_mask_paths(int rootfd, const struct keep_oci_spec *s, keep_error **err);
/* linux.sysctl, written to the container's /proc/sys (after pivot_root). */
int keep_oci_sysctl(const struct keep_oci_spec *s, keep_error **err);

#endif
