/* The mounts of an OCI config, made under the new root through fds only:
 * every destination is resolved with openat2(RESOLVE_IN_ROOT) and created
 * fd-relative when missing, every filesystem is attached with move_mount, so
 * a symlink the image planted can never send a mount to the host
 * (CVE-2021-30465, CVE-2024-45310, CVE-2025-31133). */
#include "oci_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs.h"
#include "defaults.h"
#include "selinux.h"
#include "syscalls.h"
#include "userns.h"
#include "util.h"

static unsigned int ms_to_attr(unsigned long ms)
{
  unsigned int a = 0;
  if (ms & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  if (ms & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  if (ms & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  return a;
}

/* The destination of a mount, inside the root, created when missing (a
 * directory, or an empty file when the source is not a directory). */
static int open_destination(int rootfd, const char *dst, bool want_dir, keep_error **err)
{
  keep_error *e = NULL;
  int fd = open_in_root(rootfd, dst, 0, &e);
  if (fd >= 0 || (e && e->errnum != ENOENT)) {
    if (fd < 0)
      keep_error_wrap(&e, "mount destination");
    *err = e;
    return fd;
  }
  keep_error_free(&e);
  return create_in_root(rootfd, dst, want_dir, err);
}

static int set_propagation(int mfd, unsigned long prop, const char *dst, keep_error **err)
{
  if (prop == 0)
    return 0;
  struct mount_attr a = {.propagation = prop & ~(unsigned long) MS_REC};
  if (mount_setattr(mfd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
    return keep_fail_errno(err, "set the propagation of `%s`", keep_q(dst));
  return 0;
}

/* Idmap a detached tree made in the host's mount namespace.
 *
 * The direction: a mapping {containerID c, hostID h, size n} is written as
 * the line "c h n" of a user namespace's uid_map, and the kernel
 * (Documentation/filesystems/idmappings.rst) reads an id stored in the
 * filesystem through an idmapped mount as an id *inside* that namespace,
 * mapped down to the host's: a file stored as uid c+k is seen by the host
 * as uid h+k, which the container's own user namespace then shows as
 * whatever it maps h+k to.  With the container's mappings (the default) the
 * two steps cancel out: what is stored as uid 0 is root in the container,
 * and what container root creates is stored as uid 0.  crun and runc read
 * the fields the same way. */
static int idmap_tree(int tree, const struct keep_oci_mount *m, int userns_fd, keep_error **err)
{
  /* A clone of a shared host mount would be its peer: make the whole tree
   * private first, so nothing mounted over it later in the container
   * propagates to the host, nor the other way. */
  struct mount_attr priv = {.propagation = MS_PRIVATE};
  if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &priv, sizeof(priv)) < 0)
    return keep_fail_errno(err, "make the tree of `%s` private", keep_q(m->source));
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd};
  unsigned int flags = AT_EMPTY_PATH | (m->idmap == OCI_IDMAP_RECURSIVE ? AT_RECURSIVE : 0);
  if (mount_setattr(tree, "", flags, &a, sizeof(a)) == 0)
    return 0;
  int e = errno;
  const char *why = e == EINVAL   ? " (the filesystem cannot be idmapped, or the mapping is its own)"
                    : e == EPERM  ? " (needs root on the host, and a source not idmapped already)"
                    : e == ENOSYS ? " (the kernel has no idmapped mounts: 5.12 or later)"
                                  : "";
  return keep_fail(err, e, "idmap `%s` on `%s`: mount_setattr(MOUNT_ATTR_IDMAP)%s", keep_q(m->source),
                   keep_q(m->destination), why);
}

/* The detached tree of a bind mount with every attribute it asks for,
 * idmapped first through userns_fd when that is not -1. */
static int bind_tree(const struct keep_oci_mount *m, int userns_fd, int checked, keep_error **err)
{
  cleanup_close int src = checked >= 0 ? keep_reopen_same(checked, m->source, "volume source", err)
                                       : open(m->source, O_PATH | O_CLOEXEC);
  if (src < 0)
    return checked >= 0 ? -1 : keep_fail_errno(err, "bind mount source `%s`", keep_q(m->source));
  cleanup_close int clone = bind_clone(src, "", m->recursive, err);
  if (clone < 0)
    return keep_error_wrap(err, "bind `%s`", m->source);
  if (userns_fd >= 0 && idmap_tree(clone, m, userns_fd, err) < 0)
    return -1;
  unsigned int set = ms_to_attr(m->flags), clr = ms_to_attr(m->clear);
  if (m->flags & MS_RELATIME)
    clr |= MOUNT_ATTR__ATIME; /* relatime is the field's zero value */
  if ((set || clr) && mount_set_attrs(clone, set, clr, m->recursive, m->source, err) < 0)
    return -1;
  if (set_propagation(clone, m->propagation, m->destination, err) < 0)
    return -1;
  return steal_fd(&clone);
}

int keep_oci_idmapped_tree(const struct keep_oci_mount *m, int container_userns, keep_error **err)
{
  cleanup_close int own = -1;
  if (m->n_uid_map) {
    own = keep_userns_open(m->uid_map, m->n_uid_map, m->gid_map, m->n_gid_map, err);
    if (own < 0)
      return keep_error_wrap(err, "uidMappings");
  }
  return bind_tree(m, own >= 0 ? own : container_userns, -1, err);
}

/* tree: the one create prepared (idmapped), or -1 to make it here; taken. */
static int mount_bind(int rootfd, const struct keep_oci_mount *m, int tree_in, int checked, keep_error **err)
{
  cleanup_close int tree = tree_in;
  /* Never a plain bind where an idmapped one was asked for. */
  if (tree < 0 && m->idmap != OCI_IDMAP_NONE)
    return keep_fail(err, EINVAL, "the idmapped tree of `%s` was not prepared", keep_q(m->destination));
  if (tree < 0 && (tree = bind_tree(m, -1, checked, err)) < 0)
    return -1;
  struct stat st;
  if (fstat(tree, &st) < 0)
    return keep_fail_errno(err, "stat `%s`", keep_q(m->source));
  cleanup_close int target = open_destination(rootfd, m->destination, S_ISDIR(st.st_mode), err);
  if (target < 0)
    return -1;
  return mount_attach(tree, target, m->source, m->destination, err);
}

/* cgroup v1 inside a cgroup namespace: a tmpfs with the container's own
 * cgroup of each controller, as crun and runc show it. */
static int mount_cgroup_v1(int target, const struct keep_oci_mount *m, const struct keep_oci_mount_ctx *c,
                           keep_error **err)
{
  cleanup_close int tmp = fs_new_mount("tmpfs", "mode=0755,size=64k",
                                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
  if (tmp < 0)
    return -1;
  for (size_t i = 0; i < c->n_cgroup_dirs; i++) {
    if (mkdirat(tmp, c->cgroup_names[i], 0755) < 0)
      return keep_fail_errno(err, "mkdir `%s/%s`", keep_q(m->destination), c->cgroup_names[i]);
    cleanup_close int sub = openat(tmp, c->cgroup_names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int b = sub < 0 ? -1 : bind_clone(AT_FDCWD, c->cgroup_dirs[i], 0, err);
    if (b < 0)
      return sub < 0 ? keep_fail_errno(err, "open `%s`", c->cgroup_names[i]) : -1;
    unsigned int attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | ms_to_attr(m->flags);
    if (mount_set_attrs(b, attrs, 0, 0, c->cgroup_dirs[i], err) < 0 ||
        mount_attach(b, sub, "cgroup", c->cgroup_dirs[i], err) < 0)
      return -1;
  }
  if ((m->flags & MS_RDONLY) && mount_set_attrs(tmp, MOUNT_ATTR_RDONLY, 0, 0, m->destination, err) < 0)
    return -1;
  return mount_attach(tmp, target, "cgroup", m->destination, err);
}

/* strict: keep run's own mount points on the root (/proc, /sys, /dev,
 * /tmp, /run) must be directories of the root, never symlinks. */
static int mount_fs(int rootfd, const struct keep_oci_mount *m, const struct keep_oci_mount_ctx *c,
                    const char *mount_label, bool strict, keep_error **err)
{
  cleanup_close int target = strict ? open_in_root_nofollow(rootfd, m->destination, O_DIRECTORY, err)
                                    : open_destination(rootfd, m->destination, true, err);
  if (target < 0)
    return -1;
  const char *type = m->type;
  if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
    if (!c->cgroup2)
      return mount_cgroup_v1(target, m, c, err);
    type = "cgroup2";
  }
  unsigned int attrs = ms_to_attr(m->flags);
  /* linux.mountLabel: the context of the filesystems keep makes for the
   * container (checked against the host by create). */
  cleanup_free char *data = mount_label && *mount_label && keep_selinux_labels_fs(type)
                                ? keep_selinux_mount_data(m->data, mount_label)
                                : NULL;
  keep_error *e = NULL;
  cleanup_close int fs =
      fs_new_mount_source(type, m->source ? m->source : type, data ? data : m->data, attrs, &e);
  if (fs < 0 && strcmp(type, "sysfs") == 0 && e && e->errnum == EPERM) {
    /* sysfs needs a network namespace of our own; without one, show the
     * host's read-only, as runc and crun do. */
    keep_error_free(&e);
    fs = bind_clone(AT_FDCWD, "/sys", 1, err);
    if (fs < 0 || mount_set_attrs(fs, attrs | MOUNT_ATTR_RDONLY, 0, 1, "/sys", err) < 0)
      return -1;
  } else if (fs < 0) {
    *err = e;
    return keep_error_wrap(err, "mount `%s` on `%s`", m->type, m->destination);
  }
  if (set_propagation(fs, m->propagation, m->destination, err) < 0)
    return -1;
  return mount_attach(fs, target, m->type, m->destination, err);
}

/* The devices every OCI container gets (runtime-spec config-linux.md), as
 * binds of the host's nodes: mknod is not possible in a user namespace. */
static int default_dev(int rootfd, keep_error **err)
{
  cleanup_close int dev = open_in_root_nofollow(rootfd, "/dev", O_DIRECTORY, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < keep_n_dev_nodes; i++) {
    const char *n = keep_dev_nodes[i];
    cleanup_free char *host = xasprintf("/dev/%s", n);
    cleanup_close int f = openat(dev, n, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f < 0)
      return keep_fail_errno(err, "create `/dev/%s`", n);
    cleanup_close int target = openat(dev, n, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int src = bind_clone(AT_FDCWD, host, 0, err);
    if (target < 0 || src < 0)
      return target < 0 ? keep_fail_errno(err, "open `/dev/%s`", n) : -1;
    /* A device node never needs exec or setuid. */
    if (mount_set_attrs(src, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, 0, host, err) < 0)
      return -1;
    if (mount_attach(src, target, host, host, err) < 0)
      return -1;
  }
  cleanup_free char *where = xasprintf("/proc/self/fd/%d", dev);
  cleanup_close int devdir = open(where, O_DIRECTORY | O_CLOEXEC);
  if (devdir < 0)
    return keep_fail_errno(err, "open `/dev`");
  for (size_t i = 0; i < keep_n_dev_links; i++)
    if (symlinkat(keep_dev_links[i].target, devdir, keep_dev_links[i].name) < 0 && errno != EEXIST)
      return keep_fail_errno(err, "symlink `/dev/%s`", keep_dev_links[i].name);
  return 0;
}

/* linux.devices: mknod where allowed (real root), else a bind of the host's
 * node at the same path with the same numbers. */
static int make_device(int rootfd, const struct keep_oci_device *d, keep_error **err)
{
  cleanup_free char *parent = xstrdup(d->path);
  char *slash = strrchr(parent, '/');
  const char *name = d->path + (slash - parent) + 1;
  *slash = '\0';
  cleanup_close int pfd = mkdirs_in_root(rootfd, parent, err);
  if (pfd < 0)
    return -1;
  cleanup_free char *where = xasprintf("/proc/self/fd/%d", pfd);
  cleanup_close int dir = open(where, O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return keep_fail_errno(err, "open the parent of `%s`", keep_q(d->path));
  mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  dev_t num = makedev((unsigned) d->major, (unsigned) d->minor);
  if (mknodat(dir, name, type | d->mode, num) == 0) {
    if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
      return keep_fail_errno(err, "chown device `%s`", keep_q(d->path));
    /* fileMode exactly, not as the umask left it (the node was just made
     * in a root nothing else runs in yet). */
    if (fchmodat(dir, name, d->mode & 07777, 0) < 0)
      return keep_fail_errno(err, "chmod device `%s`", keep_q(d->path));
    return 0;
  }
  if (errno == EEXIST)
    unlinkat(dir, name, 0);
  else if (errno != EPERM)
    return keep_fail_errno(err, "mknod `%s`", keep_q(d->path));
  struct stat hs;
  if (stat(d->path, &hs) < 0 || (hs.st_mode & S_IFMT) != type || hs.st_rdev != num)
    return keep_fail(err, EPERM, "device `%s`: cannot mknod here and the host has no such node to bind",
                     keep_q(d->path));
  cleanup_close int f = openat(dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  cleanup_close int target = f < 0 ? -1 : openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return keep_fail_errno(err, "create `%s`", keep_q(d->path));
  cleanup_close int src = bind_clone(AT_FDCWD, d->path, 0, err);
  if (src < 0)
    return -1;
  return mount_attach(src, target, d->path, d->path, err);
}

/* Is `dst` below `dir` (a proper descendant, by whole components)? */
static bool path_below(const char *dst, const char *dir)
{
  size_t n = strlen(dir);
  while (n > 0 && dir[n - 1] == '/')
    n--;
  return strncmp(dst, dir, n) == 0 && dst[n] == '/' && dst[n + 1] != '\0';
}

int keep_oci_make_mount_points(int rootfd, const struct keep_oci_spec *s, keep_error **err)
{
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    /* Below an earlier mount (/dev/pts below /dev): the container makes it
     * in that filesystem, not in the root. */
    bool nested = false;
    for (size_t j = 0; j < i && !nested; j++)
      nested = path_below(m->destination, s->mounts[j].destination);
    if (nested)
      continue;
    bool want_dir = true;
    struct stat st;
    if (m->bind) {
      if (stat(m->source, &st) < 0)
        continue; /* the container's side names the missing source */
      want_dir = S_ISDIR(st.st_mode);
    }
    cleanup_close int fd = open_destination(rootfd, m->destination, want_dir, err);
    if (fd < 0)
      return keep_error_wrap(err, "config.json: mounts[%zu]", i);
  }
  return 0;
}

int keep_oci_mounts_setup(int rootfd, const struct keep_oci_spec *s, const struct keep_oci_mount_ctx *c,
                          keep_error **err)
{
  bool dev_tmpfs = false, dev_ro = false;
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    int tree = c->trees ? c->trees[i] : -1;
    if (c->trees)
      c->trees[i] = -1;
    bool is_dev = strcmp(m->destination, "/dev") == 0 && !m->bind;
    /* A read-only /dev (keep's own spec asks for one) is filled first and
     * made read-only last, so nothing can be created in it from inside. */
    struct keep_oci_mount writable_dev;
    if (is_dev && (m->flags & MS_RDONLY)) {
      writable_dev = *m;
      writable_dev.flags &= ~(unsigned long) MS_RDONLY;
      m = &writable_dev;
    }
    int checked = c->sources ? c->sources[i] : -1;
    bool strict = c->strict && c->strict[i];
    int r = m->bind ? mount_bind(rootfd, m, tree, checked, err)
                    : mount_fs(rootfd, m, c, s->mount_label, strict, err);
    if (r < 0)
      return c->names && c->names[i] ? keep_error_wrap(err, "%s", c->names[i])
                                     : keep_error_wrap(err, "config.json: mounts[%zu]", i);
    if (strcmp(m->destination, "/dev") == 0) {
      dev_tmpfs = !m->bind;
      dev_ro = is_dev && (s->mounts[i].flags & MS_RDONLY);
    }
  }
  if (dev_tmpfs && default_dev(rootfd, err) < 0)
    return -1;
  for (size_t i = 0; i < s->n_devices; i++)
    if (make_device(rootfd, &s->devices[i], err) < 0)
      return keep_error_wrap(err, "config.json: linux.devices[%zu]", i);
  if (dev_ro) {
    cleanup_close int dev = open_in_root_nofollow(rootfd, "/dev", O_DIRECTORY, err);
    if (dev < 0 || mount_set_attrs(dev, MOUNT_ATTR_RDONLY, 0, 0, "/dev", err) < 0)
      return -1;
  }
  return 0;
}

/* Where the config mounts procfs (sysfs) on /proc (/sys), the masks below
 * it must land on that filesystem: never on a mount that covers it, never
 * on a directory of the image (CVE-2019-16884, CVE-2025-52881). */
static int check_fs_at(int rootfd, const struct keep_oci_spec *s, const char *dir, const char *type,
                       unsigned long magic, keep_error **err)
{
  bool mounted = false;
  for (size_t i = 0; i < s->n_mounts && !mounted; i++)
    mounted = !s->mounts[i].bind && strcmp(s->mounts[i].destination, dir) == 0 &&
              strcmp(s->mounts[i].type, type) == 0;
  if (!mounted)
    return 0;
  cleanup_close int fd = open_in_root_nofollow(rootfd, dir, O_DIRECTORY, err);
  struct statfs sfs;
  if (fd < 0 || fstatfs(fd, &sfs) < 0)
    return fd < 0 ? -1 : keep_fail_errno(err, "fstatfs `%s`", dir);
  if ((unsigned long) sfs.f_type != magic)
    return keep_fail(err, 0, "`%s` is not the %s mounted there: another mount covers it", dir, type);
  return 0;
}

int keep_oci_mask_paths(int rootfd, const struct keep_oci_spec *s, keep_error **err)
{
  if (check_fs_at(rootfd, s, "/proc", "proc", PROC_SUPER_MAGIC, err) < 0 ||
      check_fs_at(rootfd, s, "/sys", "sysfs", SYSFS_MAGIC, err) < 0)
    return -1;
  for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++) {
    const char *p = s->masked_paths[i];
    if (keep_mask_path(rootfd, "", p + strspn(p, "/"), err) < 0)
      return keep_error_wrap(err, "config.json: linux.maskedPaths[%zu]", i);
  }
  for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++) {
    const char *p = s->readonly_paths[i];
    if (keep_make_readonly(rootfd, "", p + strspn(p, "/"), err) < 0)
      return keep_error_wrap(err, "config.json: linux.readonlyPaths[%zu]", i);
  }
  return 0;
}

int keep_oci_sysctl(const struct keep_oci_spec *s, keep_error **err)
{
  for (size_t i = 0; s->sysctl && s->sysctl[i]; i++) {
    cleanup_free char *key = xstrdup(s->sysctl[i]);
    char *eq = strchr(key, '=');
    *eq = '\0';
    for (char *p = key; *p; p++)
      if (*p == '.')
        *p = '/';
    cleanup_close int sys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    struct statfs sfs;
    /* Only ever write to procfs (CVE-2019-16884 class). */
    if (sys < 0 || fstatfs(sys, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
      return keep_fail(
          err, EXDEV,
          "config.json: linux.sysctl: `/proc` is not the proc mounted there: another mount covers "
          "it (sysctls are written to procfs only)");
    long fd = sys_openat2(sys, key, O_WRONLY | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd < 0)
      return keep_fail_errno(err, "config.json: linux.sysctl: `%.*s`", (int) (eq - key), s->sysctl[i]);
    int w = write_all((int) fd, eq + 1, strlen(eq + 1));
    int e = errno;
    close((int) fd);
    if (w < 0)
      return keep_fail(err, e, "config.json: linux.sysctl: write `%s`", keep_q(s->sysctl[i]));
  }
  return 0;
}
