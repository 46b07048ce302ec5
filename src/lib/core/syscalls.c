#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

int sys_pivot_root(const char *new_root, const char *put_old)
{
  return (int) syscall(SYS_pivot_root, new_root, put_old);
}

long sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
  struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
  long r;
  do
    r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
  while (r < 0 && errno == EAGAIN);
  return r;
}

static bool is_symlink_in_root(int rootfd, const char *path)
{
  long fd =
      sys_openat2(rootfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0)
    return errno == ELOOP;
  struct stat st;
  bool link = fstat((int) fd, &st) == 0 && S_ISLNK(st.st_mode);
  close((int) fd);
  return link;
}

static int open_resolved(int rootfd, const char *path, int extra_flags, uint64_t resolve, keep_error **err)
{
  /* An absolute path is taken relative to the root: RESOLVE_IN_ROOT treats
   * "/" as rootfd, and skipping the slashes keeps "" (the root) well-formed. */
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  long fd = sys_openat2(rootfd, path, (uint64_t) (O_PATH | O_CLOEXEC | extra_flags), 0, resolve);
  if (fd < 0) {
    if ((errno == ELOOP || errno == ENOTDIR) && (resolve & RESOLVE_NO_SYMLINKS) &&
        is_symlink_in_root(rootfd, path))
      return keep_fail(err, 0,
                       "`/%s` in the root filesystem is or passes through a symlink; refusing to mount on it",
                       keep_q(path));
    if (errno == ENOSYS) {
      keep_fail(err, ENOSYS, "openat2 `/%s`", keep_q(path));
      return keep_error_hint(err, "keep needs Linux 5.6 or newer for confined path resolution");
    }
    return keep_fail_errno(err, "open `/%s` in the root filesystem", keep_q(path));
  }
  return (int) fd;
}

int open_in_root(int rootfd, const char *path, int extra_flags, keep_error **err)
{
  return open_resolved(rootfd, path, extra_flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, err);
}

int open_in_root_nofollow(int rootfd, const char *path, int extra_flags, keep_error **err)
{
  return open_resolved(rootfd, path, extra_flags | O_NOFOLLOW,
                       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS, err);
}

static void note_symlink(int dirfd, const char *name, const char *path, const char *end, char **link,
                         char **target)
{
  if (link && *link == NULL)
    *link = strndup(path, (size_t) (end - path));
  if (target && *target == NULL) {
    char buf[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
    *target = n >= 0 ? strndup(buf, (size_t) n) : NULL;
  }
}

int open_host_nofollow_walk(const char *path, int extra_flags, char **link, char **target)
{
  if (*path == '\0') {
    errno = ENOENT;
    return -1;
  }
  cleanup_close int dir = open(*path == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return -1;
  const char *p = path;
  while (*p == '/')
    p++;
  if (*p == '\0')
    return steal_fd(&dir);
  for (;;) {
    size_t n = strcspn(p, "/");
    const char *end = p + n, *rest = end;
    while (*rest == '/')
      rest++;
    bool last = *rest == '\0';
    char name[NAME_MAX + 1];
    if (n > NAME_MAX) {
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(name, p, n);
    name[n] = '\0';
    /* Each component is opened relative to the one before, never through a
     * symlink: O_PATH|O_NOFOLLOW gives the link itself (refused below), and
     * O_DIRECTORY makes a symlinked directory on the way fail. */
    int flags = O_PATH | O_CLOEXEC | O_NOFOLLOW | (last ? extra_flags : O_DIRECTORY) |
                (*end == '/' ? O_DIRECTORY : 0);
    int fd = openat(dir, name, flags);
    if (fd < 0) {
      int saved = errno;
      struct stat st;
      if ((saved == ENOTDIR || saved == ELOOP) && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        note_symlink(dir, name, path, end, link, target);
        saved = ELOOP;
      }
      errno = saved;
      return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
      close(fd);
      return -1;
    }
    if (S_ISLNK(st.st_mode)) {
      close(fd);
      note_symlink(dir, name, path, end, link, target);
      errno = ELOOP;
      return -1;
    }
    close(dir);
    dir = fd;
    if (last)
      return steal_fd(&dir);
    p = rest;
  }
}

int open_host_nofollow(const char *path, int extra_flags, char **link, char **target)
{
  /* No O_NOFOLLOW: with it and O_PATH, openat2 would return a trailing
   * symlink itself instead of refusing it. */
  long fd =
      sys_openat2(AT_FDCWD, path, (uint64_t) (O_PATH | O_CLOEXEC | extra_flags), 0, RESOLVE_NO_SYMLINKS);
  if (fd < 0 && errno == ENOSYS)
    return open_host_nofollow_walk(path, extra_flags, link, target);
  if (fd < 0) {
    int saved = errno;
    if (saved == ELOOP || saved == ENOTDIR) {
      /* Only to name the symlink: the walk refuses it the same way. */
      int w = open_host_nofollow_walk(path, extra_flags, link, target);
      if (w >= 0)
        close(w);
      else if (errno == ELOOP)
        saved = ELOOP;
    }
    errno = saved;
    return -1;
  }
  struct stat st;
  if (fstat((int) fd, &st) < 0 || S_ISLNK(st.st_mode)) {
    close((int) fd);
    errno = ELOOP;
    return -1;
  }
  return (int) fd;
}

int open_host_nofollow_checked(const char *path, const char *what, keep_error **err)
{
  cleanup_free char *link = NULL, *target = NULL;
  int fd = open_host_nofollow(path, 0, &link, &target);
  if (fd >= 0)
    return fd;
  if (errno == ELOOP && link)
    return keep_fail(err, 0,
                     "%s `%s` passes through the symlink `%s` -> `%s`: keep does not follow symlinks in %ss; "
                     "give the real path",
                     what, keep_q(path), keep_q(link), target ? keep_q(target) : "?", what);
  if (errno == ELOOP)
    return keep_fail(err, 0,
                     "%s `%s` passes through a symlink: keep does not follow symlinks in %ss; give the "
                     "real path",
                     what, keep_q(path), what);
  return keep_fail_errno(err, "%s `%s`", what, keep_q(path));
}

int fs_new_mount(const char *fstype, const char *options, unsigned int attrs, keep_error **err)
{
  return fs_new_mount_source(fstype, fstype, options, attrs, err);
}

int fs_new_mount_source(const char *fstype, const char *source, const char *options, unsigned int attrs,
                        keep_error **err)
{
  cleanup_close int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return keep_fail_errno(err, "fsopen `%s`", fstype);
  /* What mountinfo shows as the source ("proc", "tmpfs", or the OCI
   * mount's own), as mount(2) would have recorded it. */
  if (source && *source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return keep_fail_errno(err, "fsconfig `%s` source `%s`", fstype, source);
  if (options && *options) {
    cleanup_free char *opts = xstrdup(options);
    for (char *kv = opts, *next = NULL; kv && *kv; kv = next) {
      /* A value in double quotes may hold commas (an SELinux context=
       * with an MLS level: "s0:c1,c2"); the quotes are mount(8)'s, not
       * the value's. */
      char *p = kv;
      for (bool quoted = false; *p && (quoted || *p != ','); p++)
        quoted ^= *p == '"';
      next = *p ? p + 1 : NULL;
      *p = '\0';
      if (*kv == '\0')
        continue;
      char *eq = strchr(kv, '=');
      int r;
      if (eq) {
        *eq = '\0';
        char *v = eq + 1;
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
          v[vl - 1] = '\0';
          v++;
        }
        r = fsconfig(fsfd, FSCONFIG_SET_STRING, kv, v, 0);
      } else {
        r = fsconfig(fsfd, FSCONFIG_SET_FLAG, kv, NULL, 0);
      }
      if (r < 0)
        return keep_fail_errno(err, "fsconfig `%s` option `%s`", fstype, kv);
    }
  }
  if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return keep_fail_errno(err, "create `%s` filesystem", fstype);
  int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
  if (mfd < 0)
    return keep_fail_errno(err, "fsmount `%s`", fstype);
  return mfd;
}

int mount_attach(int mnt_fd, int target_fd, const char *what, const char *where, keep_error **err)
{
  if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return keep_fail_errno(err, "mount %s on `%s`", what, where);
  return 0;
}

int mount_set_attrs(int mnt_fd, unsigned int set, unsigned int clr, int recursive, const char *what,
                    keep_error **err)
{
  /* The atime mode is one field, not flags: changing it means clearing the
   * whole field (MOUNT_ATTR__ATIME) and setting the new value. */
  if ((set | clr) & MOUNT_ATTR__ATIME)
    clr |= MOUNT_ATTR__ATIME;
  struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
  if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
    return keep_fail_errno(err, "set mount attributes of `%s`", what);
  return 0;
}

int bind_clone(int dirfd, const char *path, int recursive, keep_error **err)
{
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (*path == '\0')
    flags |= AT_EMPTY_PATH;
  int fd = open_tree(dirfd, path, flags);
  if (fd < 0)
    return keep_fail_errno(err, "bind `%s`", *path ? path : "(fd)");
  return fd;
}

/* mkdir -p of `path` inside the root, one component at a time, never
 * following a symlink: returns an O_PATH fd of the last directory. */
int mkdirs_in_root(int rootfd, const char *path, keep_error **err)
{
  cleanup_close int cur = dup(rootfd);
  if (cur < 0)
    return keep_fail_errno(err, "dup");
  cleanup_free char *copy = xstrdup(path);
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0)
      return keep_fail(err, EINVAL, "`%s`: `..` in a path below the root", keep_q(path));
    if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
      return keep_fail_errno(err, "mkdir `%s` (at `%s`)", keep_q(path), keep_q(c));
    int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0)
      return keep_fail_errno(err, "open `%s` (at `%s`): a symlink or not a directory", keep_q(path),
                             keep_q(c));
    close(cur);
    cur = next;
  }
  return steal_fd(&cur);
}

int create_in_root(int rootfd, const char *path, bool dir, keep_error **err)
{
  if (dir)
    return mkdirs_in_root(rootfd, path, err);
  cleanup_free char *parent = xstrdup(path);
  char *slash = strrchr(parent, '/');
  const char *name = slash ? path + (slash - parent) + 1 : path;
  if (slash)
    *slash = '\0';
  cleanup_close int pfd = mkdirs_in_root(rootfd, parent, err);
  if (pfd < 0)
    return -1;
  /* The O_PATH fd names the directory; creating in it needs a real one. */
  cleanup_free char *where = xasprintf("/proc/self/fd/%d", pfd);
  cleanup_close int dirfd = open(where, O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return keep_fail_errno(err, "open the parent of `%s`", keep_q(path));
  int f = openat(dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f < 0)
    return keep_fail_errno(err, "create `%s`", keep_q(path));
  close(f);
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", keep_q(path));
  return fd;
}
