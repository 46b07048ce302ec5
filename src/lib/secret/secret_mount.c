/* The container's side: its secrets on a tmpfs at /run/secrets.
 *
 * Run by the init as root of the container's user namespace, after the root
 * is built and pivoted, before anything of the image runs.  The tmpfs is
 * filled while it is still detached (fsmount), so no process ever sees it
 * writable or half-filled, then made read-only and attached.  It belongs to
 * the container's mount namespace alone and vanishes with it: nothing of a
 * value is ever written to a disk on the host's side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "syscalls.h"
#include "util.h"

#define PAGE 4096u

/* Copy all of `from` (read from offset 0: the descriptor is shared with
 * keep's own process) into `to`, never more than a secret may hold. */
static int copy_value(int from, int to, const char *name, keep_error **err)
{
  char *buf = xmalloc(65536);
  off_t off = 0;
  int ret = 0;
  for (;;) {
    ssize_t n = pread(from, buf, 65536, off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ret = keep_fail_errno(err, "read secret `%s`", name);
      break;
    }
    if (n == 0)
      break;
    off += n;
    if (off > (off_t) KEEP_SECRET_MAX_SIZE) {
      ret = keep_fail(err, 0, "secret `%s` grew beyond %u bytes while the container started", name,
                      KEEP_SECRET_MAX_SIZE);
      break;
    }
    if (write_all(to, buf, (size_t) n) < 0) {
      ret = keep_fail_errno(err, "write secret `%s` to its tmpfs", name);
      break;
    }
  }
  explicit_bzero(buf, 65536);
  free(buf);
  return ret;
}

/* The file of one secret on the detached tmpfs `mnt`. */
static int put_one(int mnt, const struct keep_secret_ref *r, int from, uid_t uid, gid_t gid, keep_error **err)
{
  cleanup_free char *parent = xstrdup(r->target);
  char *slash = strrchr(parent, '/');
  const char *base = slash ? slash + 1 : parent;
  cleanup_close int dir = -1;
  if (slash) {
    *slash = '\0';
    dir = mkdirs_in_root(mnt, parent, err);
    if (dir < 0)
      return keep_error_wrap(err, "secret `%s`", r->name);
  }
  cleanup_close int fd =
      openat(dir >= 0 ? dir : mnt, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return keep_fail_errno(err, "secret `%s`: create `" KEEP_SECRET_DIR "/%s`", r->name, r->target);
  if (copy_value(from, fd, r->name, err) < 0)
    return -1;
  uid_t u = r->has_uid ? r->uid : uid;
  gid_t g = r->has_gid ? r->gid : gid;
  /* Container ids: the user namespace maps them, or this fails (EINVAL). */
  if (fchown(fd, u, g) < 0) {
    if (errno == EINVAL)
      return keep_fail(err, 0,
                       "secret `%s`: owner %u:%u is not an id the container's user namespace maps (give "
                       "uid= and gid= of a mapped id)",
                       r->name, (unsigned) u, (unsigned) g);
    return keep_fail_errno(err, "secret `%s`: chown `" KEEP_SECRET_DIR "/%s` to %u:%u", r->name, r->target,
                           (unsigned) u, (unsigned) g);
  }
  if (fchmod(fd, (mode_t) r->mode) < 0)
    return keep_fail_errno(err, "secret `%s`: chmod `" KEEP_SECRET_DIR "/%s`", r->name, r->target);
  return 0;
}

/* Just enough room: each value rounded up to pages, and an inode for each
 * file and directory.  size=0 would mean unbounded, so never 0. */
static int tmpfs_options(const struct keep_secret_ref *refs, const int *fds, size_t n, char *opts, size_t len,
                         keep_error **err)
{
  unsigned long long bytes = PAGE;
  size_t inodes = 1;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (fstat(fds[i], &st) < 0)
      return keep_fail_errno(err, "stat secret `%s`", refs[i].name);
    bytes += ((unsigned long long) st.st_size + PAGE - 1) / PAGE * PAGE;
    inodes += 1;
    for (const char *p = refs[i].target; *p; p++)
      inodes += *p == '/';
  }
  snprintf(opts, len, "size=%llu,nr_inodes=%zu,mode=0755", bytes, inodes + 1);
  return 0;
}

int keep_secrets_mount(int rootfd, const struct keep_secret_ref *refs, const int *fds, size_t n, uid_t uid,
                       gid_t gid, keep_error **err)
{
  if (n == 0)
    return 0;
  char opts[128];
  int ret = -1;
  cleanup_close int mnt = -1;
  cleanup_close int where = -1;
  if (tmpfs_options(refs, fds, n, opts, sizeof(opts), err) < 0)
    goto out;
  mnt = fs_new_mount_source("tmpfs", "secrets", opts,
                            MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
  if (mnt < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    if (put_one(mnt, &refs[i], fds[i], uid, gid, err) < 0)
      goto out;
  /* Every file is closed (a writer would keep it writable): read-only
   * before anyone can see it. */
  if (mount_set_attrs(mnt, MOUNT_ATTR_RDONLY, 0, 0, "the secrets tmpfs", err) < 0)
    goto out;
  /* /run is keep's own fresh tmpfs: nothing of the image can be in the
   * way, and no symlink is followed regardless. */
  where = create_in_root(rootfd, KEEP_SECRET_DIR, true, err);
  if (where < 0 || mount_attach(mnt, where, "the secrets tmpfs", KEEP_SECRET_DIR, err) < 0)
    goto out;
  ret = 0;
out:
  /* The workload must never inherit a way back to the store's values. */
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
  return ret;
}
