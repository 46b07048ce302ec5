/* The root filesystem of an image: its layers stacked with overlayfs, so a
 * container starts without copying the image, and a 1 GB image costs what
 * a 1 MB one does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"
#include "syscalls.h"
#include "util.h"

#define VFS_HINT "--storage-driver vfs runs it from a merged copy of its layers"

char *keep_overlay_lowerdir_fds(const int *fds, size_t n)
{
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += (size_t) snprintf(NULL, 0, "/proc/self/fd/%d", fds[i]) + (i > 0);
  if (len > KEEP_FSCONFIG_STRING_MAX)
    return NULL;
  char *s = xcalloc(1, len + 1);
  /* overlayfs lists the top layer first; the array lists the base first. */
  for (size_t i = n, at = 0; i-- > 0;)
    at += (size_t) snprintf(s + at, len + 1 - at, "%s/proc/self/fd/%d", i == n - 1 ? "" : ":", fds[i]);
  return s;
}

/* The legacy single-string form, for kernels before "lowerdir+" (6.8).  Store
 * paths are long (three fill the 255 characters fsconfig takes), so each
 * layer is opened (O_PATH, its last component no symlink, as everywhere in
 * keep) and named by its fd, short and already resolved.  The fds go into
 * `held` and must stay open until the mount is created: overlayfs before 6.5
 * resolves the names only then, in this process. */
static int lowerdir_string(int fsfd, char *const *layers, size_t n, int *held, keep_error **err)
{
  for (size_t i = 0; i < n; i++) {
    /* keep's own layer of mount points is already an fd's name. */
    int nofollow = strncmp(layers[i], "/proc/self/fd/", 14) == 0 ? 0 : O_NOFOLLOW;
    held[i] = open(layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC | nofollow);
    if (held[i] < 0)
      return keep_fail_errno(err, "open layer `%s`", layers[i]);
  }
  cleanup_free char *s = keep_overlay_lowerdir_fds(held, n);
  /* E2BIG, not EINVAL: the hints for overlayfs's EINVALs guess at other causes. */
  if (s == NULL) {
    keep_fail(
        err, E2BIG,
        "overlay lowerdir: %zu layers named by fd exceed the %d characters fsconfig takes as one option", n,
        KEEP_FSCONFIG_STRING_MAX);
    return keep_error_hint(err,
                           "this kernel's overlayfs (before 6.8) takes the layers as one option: " VFS_HINT);
  }
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", s, 0) < 0)
    return keep_fail_errno(err, "fsconfig overlay lowerdir `%s` (%zu layers)", s, n);
  return 0;
}

static void close_held(int **held)
{
  for (int *fd = *held; fd && *fd != -2; fd++)
    if (*fd >= 0)
      close(*fd);
  free(*held);
}

/* A private tmpfs on `scratch` (in this mount namespace only) holding the
 * upper and work directories of a writable root; it goes with the container. */
static int scratch_upper(int fsfd, const char *scratch, uid_t uid, gid_t gid, keep_error **err)
{
  cleanup_close int tmp = fs_new_mount("tmpfs", "mode=0755", MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, err);
  if (tmp < 0)
    return keep_error_wrap(err, "writable layer");
  cleanup_close int target = open(scratch, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return keep_fail_errno(err, "open `%s`", scratch);
  if (mount_attach(tmp, target, "the writable layer", scratch, err) < 0)
    return -1;
  cleanup_close int dir = open(scratch, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0 || mkdirat(dir, "upper", 0755) < 0 || mkdirat(dir, "work", 0700) < 0)
    return keep_fail_errno(err, "prepare the writable layer in `%s`", scratch);
  /* The upper directory is the root directory the container sees: its
   * root owns it, not the host root that made it. */
  if (uid != (uid_t) -1 && fchownat(dir, "upper", uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return keep_fail_errno(err, "chown the writable layer in `%s`", scratch);
  cleanup_free char *upper = xasprintf("%s/upper", scratch);
  cleanup_free char *work = xasprintf("%s/work", scratch);
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
      fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
    return keep_fail_errno(err, "fsconfig overlay upperdir `%s`", upper);
  return 0;
}

/* After an EINVAL from overlayfs: what the operator can do about it. */
static int hint_vfs(keep_error **err, const char *why)
{
  if (err && *err && (*err)->errnum == EINVAL)
    keep_error_hint(err, "%s" VFS_HINT, why);
  return -1;
}

int keep_overlay_check_layers(size_t n, keep_error **err)
{
  if (n <= KEEP_OVERLAY_MAX_LAYERS)
    return 0;
  keep_fail(err, 0, "%zu layers: overlayfs stacks at most %d", n, KEEP_OVERLAY_MAX_LAYERS);
  return keep_error_hint(err, VFS_HINT);
}

/* Before Linux 6.5 overlayfs takes its options the legacy way: fsconfig
 * accepts any key, and an unknown one fails only when the mount is created,
 * so "lowerdir+" cannot be tried and taken back there.  An option no
 * overlayfs knows tells the two apart. */
static bool overlay_checks_options(void)
{
  cleanup_close int fd = fsopen("overlay", FSOPEN_CLOEXEC);
  return fd >= 0 && fsconfig(fd, FSCONFIG_SET_STRING, "keep-no-such-option", "1", 0) < 0;
}

int keep_overlay_create(char *const *layers, const char *scratch, uid_t uid, gid_t gid, keep_error **err)
{
  size_t n = strv_len(layers);
  if (n == 0 || (n < 2 && scratch == NULL))
    return keep_fail(err, EINVAL, "overlay: a read-only image root needs two layers (got %zu)", n);
  if (keep_overlay_check_layers(n, err) < 0)
    return -1;
  cleanup_close int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0) {
    keep_fail_errno(err, "fsopen `overlay`");
    return keep_error_hint(err, "keep stacks image layers with overlayfs: load the overlay module "
                                "(Linux 5.11 or later mounts it in a user namespace)");
  }
  /* overlayfs lists the top layer first; the manifest lists the base first. */
  bool plus = overlay_checks_options();
  /* The layers' fds for the legacy form, -2 ending the list. */
  __attribute__((cleanup(close_held))) int *held = xcalloc(n + 1, sizeof(int));
  for (size_t i = 0; i < n; i++)
    held[i] = -1;
  held[n] = -2;
  for (size_t i = n; i-- > 0;) {
    if (plus && fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", layers[i], 0) == 0)
      continue;
    if (plus && (errno != EINVAL || i != n - 1)) {
      keep_fail_errno(err, "fsconfig overlay lowerdir+ `%s` (layer %zu of %zu)", layers[i], n - i, n);
      return hint_vfs(err, "this kernel's overlayfs refuses so many layers: ");
    }
    if (lowerdir_string(fsfd, layers, n, held, err) < 0)
      return hint_vfs(err,
                      "this kernel's overlayfs takes the layers as one option, too long for this many: ");
    break;
  }
  /* Opaque directories are marked with user.overlay.opaque (see
   * layer_unpack.c): the name an overlay mounted in a user namespace reads. */
  if (fsconfig(fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
    return keep_fail_errno(err, "fsconfig overlay userxattr");
  if (scratch && scratch_upper(fsfd, scratch, uid, gid, err) < 0)
    return -1;
  if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    keep_fail_errno(err, "create the overlay root filesystem (%zu layers)", n);
    return hint_vfs(err, "");
  }
  int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return keep_fail_errno(err, "fsmount overlay");
  return mfd;
}
