/* The container's root filesystem (keep run's directory or image, with
 * keep's layer of missing mount points), and the fd-relative steps every
 * container's filesystem is made with (oci_mounts.c mounts the rest). */
#ifndef KEEP_ROOTFS_H
#define KEEP_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "error.h"

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

/* fsconfig copies a string value with strndup_user(value, 256) (fs/fsopen.c,
 * Linux 5.2 on): at most 255 characters, a longer one is EINVAL. */
#define KEEP_FSCONFIG_STRING_MAX 255
/* overlayfs's one-option "lowerdir" naming the layers' fds (fds[0] the base,
 * listed last), or NULL when longer than KEEP_FSCONFIG_STRING_MAX. */
char *keep_overlay_lowerdir_fds(const int *fds, size_t n);

/* The layers of an image (bottom first) stacked with overlayfs, read-only,
 * or writable with a private tmpfs mounted on `scratch` whose upper
 * directory uid:gid own (-1: its maker); a detached mount. */
int keep_overlay_create(char *const *layers, const char *scratch, uid_t uid, gid_t gid, keep_error **err);

/* The container's root as a detached mount, read-only unless --read-write:
 * the directory `hostroot` (a bind) or the image's layers (an overlay), with
 * keep's layer of missing mount points beneath when the root lacks any.
 * Made by keep as host root before the container exists (so a root or store
 * below a directory the container's root cannot search still works), or by
 * the container's side when keep runs rootless.  A writable image's upper
 * directory belongs to uid:gid (-1: to whoever makes it). */
int keep_rootfs_tree(const struct keep_config *cfg, int hostroot, const int *volume_fds, uid_t uid, gid_t gid,
                     keep_error **err);

/* fds the parent opened belong to the host's mount namespace and cannot be
 * cloned from a new one: re-open `path` and insist on the same inode, so
 * what is mounted is what the parent checked.  With nofollow_what (a volume
 * source), through no symlink, naming it so in errors. */
int keep_reopen_same(int checked_fd, const char *path, const char *nofollow_what, keep_error **err);

/* Paths the workload may write to (for Landlock): /tmp, /run, /dev, volumes
 * with :rw, --tmpfs targets.  NULL-terminated; caller frees with strv_free. */
char **keep_rootfs_writable_paths(const struct keep_config *cfg);

#endif
