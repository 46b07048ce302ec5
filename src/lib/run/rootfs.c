/* The container's root filesystem, and the masks and read-only views.
 *
 * Every step works on file descriptors: paths are opened with openat2()
 * below the root and mounts are attached with move_mount() onto those fds,
 * so a symlink planted in the image (or swapped in by a racing process)
 * cannot redirect a mount onto the host (CVE-2021-30465, CVE-2018-15664,
 * CVE-2024-45310). */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "syscalls.h"
#include "util.h"

#define ATTR_SAFE (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Hide what `path` (below dirfd) names: an empty read-only tmpfs over a
 * directory, the host's /dev/null over a file.  Missing entries are fine. */
int keep_mask_path(int dirfd, const char *base, const char *path, keep_error **err)
{
  cleanup_free char *where = xasprintf("%s/%s", base, path);
  long fd = sys_openat2(dirfd, path, O_PATH | O_CLOEXEC | O_NOFOLLOW, 0,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return keep_fail_errno(err, "open `%s` to mask it", where);
  }
  cleanup_close int target = (int) fd;
  struct stat st;
  if (fstat(target, &st) < 0)
    return keep_fail_errno(err, "stat `%s`", where);
  cleanup_close int src = -1;
  if (S_ISDIR(st.st_mode))
    src = fs_new_mount("tmpfs", "size=0,mode=0555", ATTR_SAFE | MOUNT_ATTR_RDONLY, err);
  else if ((src = bind_clone(AT_FDCWD, "/dev/null", 0, err)) >= 0 &&
           mount_set_attrs(src, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, 0, where, err) <
               0)
    return -1;
  if (src < 0)
    return keep_error_wrap(err, "mask `%s`", where);
  return mount_attach(src, target, "a mask", where, err);
}

/* Re-attach dirfd/path onto itself read-only. */
int keep_make_readonly(int dirfd, const char *base, const char *path, keep_error **err)
{
  cleanup_free char *where = xasprintf("%s/%s", base, path);
  long fd = sys_openat2(dirfd, path, O_PATH | O_CLOEXEC | O_NOFOLLOW, 0,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return keep_fail_errno(err, "open `%s` to make it read-only", where);
  }
  cleanup_close int target = (int) fd;
  cleanup_close int clone = bind_clone(target, "", 1, err);
  if (clone < 0)
    return -1;
  if (mount_set_attrs(clone, MOUNT_ATTR_RDONLY | ATTR_SAFE, 0, 1, where, err) < 0)
    return -1;
  return mount_attach(clone, target, "a read-only view", where, err);
}

/* fds the parent opened belong to the host's mount namespace and cannot be
 * cloned from here; re-open the same path and insist on the same inode, so
 * what is mounted is what the parent checked.  A volume source is opened
 * again through no symlink (`what` names it), as the parent opened it. */
int keep_reopen_same(int checked_fd, const char *path, const char *nofollow_what, keep_error **err)
{
  int fd =
      nofollow_what ? open_host_nofollow_checked(path, nofollow_what, err) : open(path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return nofollow_what ? -1 : keep_fail_errno(err, "open `%s`", keep_q(path));
  struct stat a, b;
  if (fstat(checked_fd, &a) < 0 || fstat(fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
    close(fd);
    return keep_fail(err, ESTALE, "%s%s`%s` changed while the container was being set up",
                     nofollow_what ? nofollow_what : "", nofollow_what ? " " : "", keep_q(path));
  }
  return fd;
}

char **keep_rootfs_writable_paths(const struct keep_config *cfg)
{
  char **v = NULL;
  static const char *const fixed[] = {"/tmp", "/run", "/dev", "/proc"};
  for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
    strv_push(&v, fixed[i]);
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (cfg->mounts[i].writable || cfg->mounts[i].kind == KEEP_MOUNT_TMPFS)
      strv_push(&v, cfg->mounts[i].dst);
  if (v == NULL)
    v = xcalloc(1, sizeof(char *));
  return v;
}

int keep_pivot_root(int newroot, keep_error **err)
{
  /* pivot_root(".", ".") stacks the old root under the new one; detaching it
   * leaves nothing of the host reachable.  Never chroot: chroot can be
   * escaped by a process holding a directory fd outside. */
  if (fchdir(newroot) < 0)
    return keep_fail_errno(err, "fchdir to the new root");
  if (sys_pivot_root(".", ".") < 0)
    return keep_fail_errno(err, "pivot_root");
  if (umount2(".", MNT_DETACH) < 0)
    return keep_fail_errno(err, "detach the old root");
  if (chdir("/") < 0)
    return keep_fail_errno(err, "chdir `/`");
  return 0;
}

/* The mount points keep itself needs in every root. */
static const char *const own_mount_points[] = {"proc", "sys", "dev", "tmp", "run"};

static bool below_a_volume(const struct keep_config *cfg, const char *dst)
{
  for (size_t i = 0; i < cfg->n_mounts; i++) {
    const char *v = cfg->mounts[i].dst;
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
      n--;
    if (strncmp(dst, v, n) == 0 && dst[n] == '/' && dst[n + 1])
      return true;
  }
  return false;
}

/* Docker's init layer, made only when needed.  A root may lack the
 * directories keep mounts on (a FROM-scratch image holding one binary, an
 * image with no /run) or a volume's target; keep never writes to the root,
 * so the missing ones come from a small tmpfs of its own stacked beneath the
 * root with overlayfs.  Returns that tmpfs (a detached mount), or -1 with
 * nothing set in err when the root has every mount point. */
static int init_layer(int root, const struct keep_config *cfg, const int *volume_fds, keep_error **err)
{
  cleanup_close int layer = -1;
  for (size_t i = 0; i < ARRAY_SIZE(own_mount_points) + cfg->n_mounts; i++) {
    bool own = i < ARRAY_SIZE(own_mount_points);
    const struct keep_mount_req *m = own ? NULL : &cfg->mounts[i - ARRAY_SIZE(own_mount_points)];
    const char *dst = own ? own_mount_points[i] : m->dst;
    bool dir = true;
    struct stat st;
    if (own) {
      /* Present, even as a symlink: the mount step decides (and refuses one). */
      if (fstatat(root, dst, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
        continue;
    } else {
      if (below_a_volume(cfg, dst))
        continue; /* inside another volume: nothing of the root's */
      keep_error *e = NULL;
      int fd = open_in_root(root, dst, 0, &e);
      bool missing = fd < 0 && e && e->errnum == ENOENT;
      keep_error_free(&e);
      if (fd >= 0)
        close(fd);
      if (!missing)
        continue;
      int src = volume_fds[i - ARRAY_SIZE(own_mount_points)];
      dir = m->kind == KEEP_MOUNT_TMPFS || (src >= 0 && fstat(src, &st) == 0 && S_ISDIR(st.st_mode));
    }
    if (layer < 0 &&
        (layer = fs_new_mount("tmpfs", "mode=0755,size=64k", MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, err)) < 0)
      return keep_error_wrap(err, "the layer of missing mount points");
    cleanup_close int made = create_in_root(layer, dst, dir, err);
    if (made < 0)
      return -1;
  }
  return steal_fd(&layer);
}

/* Kernels before 6.15 refuse a detached mount as an overlayfs layer (it
 * must be in the caller's mount namespace). */
static bool kernel_before(unsigned major, unsigned minor)
{
  struct utsname u;
  unsigned ma = 0, mi = 0;
  if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
    return false;
  return ma < major || (ma == major && mi < minor);
}

int keep_rootfs_tree(const struct keep_config *cfg, int hostroot, const int *volume_fds, uid_t uid, gid_t gid,
                     keep_error **err)
{
  /* An image is its layers stacked; a directory is bound as it is. */
  cleanup_close int root =
      cfg->layers
          ? keep_overlay_create(cfg->layers, cfg->read_write ? cfg->layers_scratch : NULL, uid, gid, err)
          : bind_clone(hostroot, "", 0, err);
  if (root < 0)
    return keep_error_wrap(err, "root filesystem `%s`", cfg->rootfs);
  /* Mount points the root lacks: stack keep's init layer beneath it.  A
   * writable directory root is the host's own directory, left as it is. */
  if (cfg->layers || !cfg->read_write) {
    cleanup_close int layer = init_layer(root, cfg, volume_fds, err);
    if (layer < 0 && *err)
      return -1;
    if (layer >= 0) {
      cleanup_free char *layer_path = xasprintf("/proc/self/fd/%d", layer);
      cleanup_free char *root_path = xasprintf("/proc/self/fd/%d", root);
      cleanup_strv char **lowers = NULL;
      strv_push(&lowers, layer_path);
      if (cfg->layers)
        for (char *const *l = cfg->layers; *l; l++)
          strv_push(&lowers, *l);
      else
        strv_push(&lowers, root_path);
      int stacked = keep_overlay_create(lowers, cfg->read_write ? cfg->layers_scratch : NULL, uid, gid, err);
      if (stacked < 0) {
        if ((*err)->errnum == EINVAL && kernel_before(6, 15))
          keep_error_hint(err, "overlayfs before Linux 6.15 stacks no detached mount, which keep's layer is: "
                               "create the missing mount points in the root filesystem");
        return keep_error_wrap(err, "root filesystem `%s` with keep's layer of mount points", cfg->rootfs);
      }
      close(root);
      root = stacked;
    }
  }
  unsigned int attrs = MOUNT_ATTR_NODEV | (cfg->read_write ? 0 : MOUNT_ATTR_RDONLY);
  if (mount_set_attrs(root, attrs, 0, 0, cfg->rootfs, err) < 0)
    return -1;
  return steal_fd(&root);
}
