/* The filesystem of an OCI container: its mounts, devices, masked and
 * read-only paths, sysctls. */
#ifndef KEEP_OCI_MOUNTS_H
#define KEEP_OCI_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "oci_spec.h"

struct keep_oci_mount_ctx {
  size_t n_cgroup_dirs;   /* the container's own cgroup (v1: one per controller) */
  const char *const *cgroup_names;
  const char *const *cgroup_dirs;
  bool cgroup2;
};

/* Every mount of the config in order, then the default /dev nodes and
 * linux.devices; rootfd is the new root (a mount, before pivot_root). */
int keep_oci_mounts_setup(int rootfd, const struct keep_oci_spec *s, const struct keep_oci_mount_ctx *c,
                          keep_error **err);
/* linux.maskedPaths and linux.readonlyPaths. */
int keep_oci_mask_paths(int rootfd, const struct keep_oci_spec *s, keep_error **err);
/* linux.sysctl, written to the container's /proc/sys (after pivot_root). */
int keep_oci_sysctl(const struct keep_oci_spec *s, keep_error **err);

#endif
