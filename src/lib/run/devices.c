/* A fresh /dev: never the image's, never the host's.
 *
 * The image's /dev is replaced by a new tmpfs, so device nodes or symlinks
 * planted there mean nothing (CVE-2025-31133 and friends).  Only the harmless
 * nodes are bound in from the host, each onto a file keep just created with
 * O_EXCL|O_NOFOLLOW in that tmpfs, and the tmpfs ends read-only. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defaults.h"
#include "syscalls.h"
#include "util.h"

static int bind_node(int devfd, const char *name, keep_error **err)
{
  cleanup_free char *host = xasprintf("/dev/%s", name);
  cleanup_close int f = openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (f < 0)
    return keep_fail_errno(err, "create `/dev/%s`", name);
  cleanup_close int target = openat(devfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return keep_fail_errno(err, "open `/dev/%s`", name);
  cleanup_close int src = bind_clone(AT_FDCWD, host, 0, err);
  if (src < 0)
    return -1;
  /* noexec and nosuid: a device node never needs either. */
  if (mount_set_attrs(src, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, 0, host, err) < 0)
    return -1;
  return mount_attach(src, target, host, host, err);
}

static int sub_mount(int devfd, const char *name, const char *fstype, const char *opts, unsigned int attrs,
                     keep_error **err)
{
  if (mkdirat(devfd, name, 0755) < 0)
    return keep_fail_errno(err, "mkdir `/dev/%s`", name);
  cleanup_close int target = openat(devfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return keep_fail_errno(err, "open `/dev/%s`", name);
  cleanup_close int m = fs_new_mount(fstype, opts, attrs, err);
  if (m < 0)
    return keep_error_wrap(err, "/dev/%s", name);
  cleanup_free char *where = xasprintf("/dev/%s", name);
  return mount_attach(m, target, fstype, where, err);
}

int keep_dev_setup(int newroot, bool tty_gid, keep_error **err)
{
  cleanup_close int target = open_in_root_nofollow(newroot, "/dev", O_DIRECTORY, err);
  if (target < 0)
    return -1;
  cleanup_close int dev =
      fs_new_mount("tmpfs", "mode=0755,size=64k,nr_inodes=64", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
  if (dev < 0)
    return keep_error_wrap(err, "/dev");
  if (mount_attach(dev, target, "tmpfs", "/dev", err) < 0)
    return -1;

  for (size_t i = 0; i < keep_n_dev_nodes; i++)
    if (bind_node(dev, keep_dev_nodes[i], err) < 0)
      return -1;
  for (size_t i = 0; i < keep_n_dev_links; i++)
    if (symlinkat(keep_dev_links[i].target, dev, keep_dev_links[i].name) < 0)
      return keep_fail_errno(err, "symlink `/dev/%s`", keep_dev_links[i].name);

  /* A private devpts instance: the container never sees the host's ptys. */
  const char *pts_opts =
      tty_gid ? "newinstance,ptmxmode=0666,mode=0620,gid=5" : "newinstance,ptmxmode=0666,mode=0620";
  const unsigned int safe = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  /* devpts holds device nodes (ptmx, the ptys) of its own: no nodev there. */
  if (sub_mount(dev, "pts", "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err) < 0 ||
      sub_mount(dev, "shm", "tmpfs", "mode=1777,size=64m", safe, err) < 0 ||
      sub_mount(dev, "mqueue", "mqueue", NULL, safe, err) < 0)
    return -1;

  /* Nothing more may be created in /dev from inside. */
  return mount_set_attrs(dev, MOUNT_ATTR_RDONLY, 0, 0, "/dev", err);
}
