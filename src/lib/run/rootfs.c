/* Assembling the container's filesystem.
 *
 * Every step works on file descriptors: mount points are opened with
 * openat2(RESOLVE_IN_ROOT) below the new root and mounts are attached with
 * move_mount() onto those fds, so a symlink planted in the image (or swapped
 * in by a racing process) cannot redirect a mount onto the host
 * (CVE-2021-30465, CVE-2018-15664, CVE-2024-45310).  keep's own mount points
 * (/proc, /sys, /dev, /tmp, /run) must not be symlinks at all. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "defaults.h"
#include "syscalls.h"
#include "util.h"

#define ATTR_SAFE (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Mask (or make read-only) the entries of a defaults table below `base`
 * ("/proc" or "/sys"), on the filesystem `fd` mounted there. */
static int apply_table(int fd, const char *base, const char *const *paths, size_t n, bool mask,
                       keep_error **err)
{
  size_t bl = strlen(base);
  for (size_t i = 0; i < n; i++) {
    if (strncmp(paths[i], base, bl) != 0 || paths[i][bl] != '/')
      continue;
    const char *rel = paths[i] + bl + 1;
    if ((mask ? keep_mask_path(fd, base, rel, err) : keep_make_readonly(fd, base, rel, err)) < 0)
      return -1;
  }
  return 0;
}

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

static int check_magic(int fd, unsigned long magic, const char *what, keep_error **err)
{
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0)
    return keep_fail_errno(err, "fstatfs `%s`", what);
  /* A write or mask meant for procfs/sysfs must never land elsewhere
   * (CVE-2019-16884, CVE-2025-52881). */
  if ((unsigned long) sfs.f_type != magic)
    return keep_fail(err, EXDEV, "`%s` is not the filesystem keep mounted there", what);
  return 0;
}

static int setup_proc(int newroot, keep_error **err)
{
  cleanup_close int target = open_in_root_nofollow(newroot, "/proc", O_DIRECTORY, err);
  if (target < 0)
    return -1;
  cleanup_close int proc = fs_new_mount("proc", NULL, ATTR_SAFE, err);
  if (proc < 0)
    return -1;
  if (mount_attach(proc, target, "proc", "/proc", err) < 0)
    return -1;
  if (check_magic(proc, PROC_SUPER_MAGIC, "/proc", err) < 0)
    return -1;
  if (apply_table(proc, "/proc", keep_masked_paths, keep_n_masked_paths, true, err) < 0)
    return -1;
  return apply_table(proc, "/proc", keep_readonly_paths, keep_n_readonly_paths, false, err);
}

static int setup_cgroup_view(int sysfd, const struct keep_rootfs_plan *p, keep_error **err)
{
  cleanup_close int target = open_in_root_nofollow(sysfd, "fs/cgroup", O_DIRECTORY, err);
  if (target < 0) {
    /* A sysfs without fs/cgroup (CONFIG_CGROUPS off) has nothing to show. */
    if (*err && (*err)->errnum == ENOENT) {
      keep_error_free(err);
      return 0;
    }
    return -1;
  }
  if (p->cgroup2) {
    /* In its own cgroup namespace the container sees its cgroup as the root. */
    cleanup_close int cg = fs_new_mount("cgroup2", NULL, ATTR_SAFE | MOUNT_ATTR_RDONLY, err);
    if (cg < 0)
      return -1;
    return mount_attach(cg, target, "cgroup2", "/sys/fs/cgroup", err);
  }
  cleanup_close int tmp = fs_new_mount("tmpfs", "mode=0755,size=64k", ATTR_SAFE, err);
  if (tmp < 0)
    return -1;
  if (mount_attach(tmp, target, "tmpfs", "/sys/fs/cgroup", err) < 0)
    return -1;
  for (size_t i = 0; i < p->n_cgroup_dirs; i++) {
    const char *name = p->cgroup_names[i];
    if (mkdirat(tmp, name, 0755) < 0)
      return keep_fail_errno(err, "mkdir `/sys/fs/cgroup/%s`", name);
    cleanup_close int dir = openat(tmp, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
      return keep_fail_errno(err, "open `/sys/fs/cgroup/%s`", name);
    /* The cgroup path is keep's own (not the image's), so a host path is fine. */
    cleanup_close int src = bind_clone(AT_FDCWD, p->cgroup_dirs[i], 0, err);
    if (src < 0)
      return -1;
    if (mount_set_attrs(src, MOUNT_ATTR_RDONLY | ATTR_SAFE, 0, 0, p->cgroup_dirs[i], err) < 0)
      return -1;
    if (mount_attach(src, dir, "the container's cgroup", name, err) < 0)
      return -1;
  }
  return mount_set_attrs(tmp, MOUNT_ATTR_RDONLY, 0, 0, "/sys/fs/cgroup", err);
}

static int setup_sys(int newroot, const struct keep_rootfs_plan *p, keep_error **err)
{
  cleanup_close int target = open_in_root_nofollow(newroot, "/sys", O_DIRECTORY, err);
  if (target < 0)
    return -1;
  cleanup_close int sys = -1;
  if (p->cfg->network == KEEP_NET_HOST) {
    /* sysfs can only be mounted fresh from a network namespace we own; with
     * the host's network, show the host's /sys read-only instead. */
    sys = bind_clone(AT_FDCWD, "/sys", 1, err);
    if (sys < 0 || mount_set_attrs(sys, MOUNT_ATTR_RDONLY | ATTR_SAFE, 0, 1, "/sys", err) < 0)
      return -1;
  } else {
    sys = fs_new_mount("sysfs", NULL, ATTR_SAFE | MOUNT_ATTR_RDONLY, err);
    if (sys < 0)
      return -1;
  }
  if (mount_attach(sys, target, "sysfs", "/sys", err) < 0)
    return -1;
  if (check_magic(sys, SYSFS_MAGIC, "/sys", err) < 0)
    return -1;
  if (apply_table(sys, "/sys", keep_masked_paths, keep_n_masked_paths, true, err) < 0 ||
      apply_table(sys, "/sys", keep_readonly_paths, keep_n_readonly_paths, false, err) < 0)
    return -1;
  return setup_cgroup_view(sys, p, err);
}

static int mount_tmpfs_at(int newroot, const char *dst, const char *opts, bool nofollow, keep_error **err)
{
  cleanup_close int target = nofollow ? open_in_root_nofollow(newroot, dst, O_DIRECTORY, err)
                                      : open_in_root(newroot, dst, O_DIRECTORY, err);
  if (target < 0)
    return -1;
  cleanup_close int tmp = fs_new_mount("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
  if (tmp < 0)
    return -1;
  return mount_attach(tmp, target, "tmpfs", dst, err);
}

/* fds the parent opened belong to the host's mount namespace and cannot be
 * cloned from here; re-open the same path and insist on the same inode, so
 * what is mounted is what the parent checked.  A volume source is opened
 * again through no symlink (`what` names it), as the parent opened it. */
static int reopen_same(int checked_fd, const char *path, const char *nofollow_what, keep_error **err)
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

static int mount_volume(int newroot, const struct keep_mount_req *m, int checked_fd, keep_error **err)
{
  if (m->kind == KEEP_MOUNT_TMPFS)
    return mount_tmpfs_at(newroot, m->dst, "mode=1777", false, err);

  /* The target is resolved inside the container's root: a symlink in the
   * image pointing at a host path resolves to that path inside the root. */
  cleanup_close int target = open_in_root(newroot, m->dst, 0, err);
  if (target < 0) {
    if (*err && (*err)->errnum == ENOENT)
      keep_error_hint(err, "keep never modifies the root filesystem: create `%s` in it first",
                      keep_q(m->dst));
    return -1;
  }
  cleanup_close int srcfd = reopen_same(checked_fd, m->src, "volume source", err);
  if (srcfd < 0)
    return -1;
  struct stat sst, tst;
  if (fstat(srcfd, &sst) < 0 || fstat(target, &tst) < 0)
    return keep_fail_errno(err, "stat volume `%s`", keep_q(m->src));
  if (S_ISDIR(sst.st_mode) != S_ISDIR(tst.st_mode))
    return keep_fail(err, 0, "volume `%s:%s`: cannot mount a %s on a %s", keep_q(m->src), keep_q(m->dst),
                     S_ISDIR(sst.st_mode) ? "directory" : "file",
                     S_ISDIR(tst.st_mode) ? "directory" : "file");
  cleanup_close int src = bind_clone(srcfd, "", 1, err);
  if (src < 0)
    return keep_error_wrap(err, "volume `%s`", m->src);
  unsigned int attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->writable ? 0 : MOUNT_ATTR_RDONLY);
  if (mount_set_attrs(src, attrs, 0, 1, m->src, err) < 0)
    return -1;
  return mount_attach(src, target, "volume", m->dst, err);
}

static size_t path_depth(const char *p)
{
  size_t n = 0;
  for (; *p; p++)
    if (*p == '/' && p[1] && p[1] != '/')
      n++;
  return n;
}

static int setup_volumes(int newroot, const struct keep_rootfs_plan *p, keep_error **err)
{
  const struct keep_config *cfg = p->cfg;
  /* Shallow targets first, so a volume at /data/sub lands on top of /data. */
  size_t max_depth = 0;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (path_depth(cfg->mounts[i].dst) > max_depth)
      max_depth = path_depth(cfg->mounts[i].dst);
  for (size_t d = 0; d <= max_depth; d++)
    for (size_t i = 0; i < cfg->n_mounts; i++)
      if (path_depth(cfg->mounts[i].dst) == d &&
          mount_volume(newroot, &cfg->mounts[i], p->volume_fds[i], err) < 0)
        return -1;
  return 0;
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

int keep_rootfs_tree(const struct keep_config *cfg, int hostroot, const int *volume_fds, keep_error **err)
{
  /* An image is its layers stacked; a directory is bound as it is. */
  cleanup_close int root =
      cfg->layers ? keep_overlay_create(cfg->layers, cfg->read_write ? cfg->layers_scratch : NULL, err)
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
      int stacked = keep_overlay_create(lowers, cfg->read_write ? cfg->layers_scratch : NULL, err);
      if (stacked < 0)
        return keep_error_wrap(err, "root filesystem `%s` with keep's layer of mount points", cfg->rootfs);
      close(root);
      root = stacked;
    }
  }
  unsigned int attrs = MOUNT_ATTR_NODEV | (cfg->read_write ? 0 : MOUNT_ATTR_RDONLY);
  if (mount_set_attrs(root, attrs, 0, 0, cfg->rootfs, err) < 0)
    return -1;
  return steal_fd(&root);
}

int keep_rootfs_setup(const struct keep_rootfs_plan *p, keep_error **err)
{
  const struct keep_config *cfg = p->cfg;
  /* Nothing we mount may propagate back to the host's namespace. */
  struct mount_attr priv = {.propagation = MS_PRIVATE};
  if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &priv, sizeof(priv)) < 0)
    return keep_fail_errno(err, "make mounts private");

  cleanup_close int newroot = p->root_tree;
  if (newroot < 0) {
    /* Rootless, or a writable image: the container's side makes it. */
    cleanup_close int hostroot = reopen_same(p->rootfs_fd, cfg->rootfs, NULL, err);
    if (hostroot < 0)
      return keep_error_wrap(err, "root filesystem");
    newroot = keep_rootfs_tree(cfg, hostroot, p->volume_fds, err);
    if (newroot < 0)
      return -1;
  }
  /* Attached over "/" of this private namespace, so it is a mount point
   * pivot_root accepts; the fd then refers to the attached mount. */
  cleanup_close int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (slash < 0)
    return keep_fail_errno(err, "open `/`");
  if (mount_attach(newroot, slash, "the root filesystem", cfg->rootfs, err) < 0)
    return -1;
  /* A clone keeps its source's propagation: pivot_root refuses a shared
   * root, and nothing mounted in the container may reach the host. */
  if (mount_setattr(newroot, "", AT_EMPTY_PATH | AT_RECURSIVE, &priv, sizeof(priv)) < 0)
    return keep_fail_errno(err, "make the root filesystem private");

  if (setup_proc(newroot, err) < 0 || setup_sys(newroot, p, err) < 0 ||
      keep_dev_setup(newroot, p->tty_gid, err) < 0 ||
      mount_tmpfs_at(newroot, "/tmp", "mode=1777", true, err) < 0 ||
      mount_tmpfs_at(newroot, "/run", "mode=0755", true, err) < 0 || setup_volumes(newroot, p, err) < 0)
    return -1;
  return keep_pivot_root(newroot, err);
}
