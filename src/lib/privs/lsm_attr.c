/* Writing a process's own LSM attributes (/proc/thread-self/attr/...): the
 * label its next execve runs under, for AppArmor and SELinux alike. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "apparmor.h"
#include "syscalls.h"
#include "util.h"

static bool is_procfs(int fd)
{
  struct statfs sfs;
  return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* attr/`name` of the calling thread, opened for writing on the procfs at
 * /proc and nowhere else: a /proc the image or a volume planted (a tmpfs, a
 * bind of another file over attr/) would take the write and leave the
 * process unconfined (CVE-2019-16884).  ENOENT when the kernel lacks it. */
static int open_attr(const char *name, keep_error **err)
{
  cleanup_close int proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (proc < 0)
    return keep_fail_errno(err, "open `/proc`");
  if (!is_procfs(proc))
    return keep_fail(err, EXDEV, "`/proc` is not a procfs");
  char path[96];
  snprintf(path, sizeof(path), "thread-self/attr/%s", name);
  /* No mount crossed: nothing bound over the attr directory or its file. */
  long fd = sys_openat2(proc, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0,
                        RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd < 0 && errno == ENOSYS)
    fd = openat(proc, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open `/proc/%s`", path);
  if (!is_procfs((int) fd)) {
    close((int) fd);
    return keep_fail(err, EXDEV, "`/proc/%s` is not on a procfs", path);
  }
  return (int) fd;
}

int keep_lsm_attr_write(const char *attr, const char *fallback, const char *value, const char *what,
                        keep_error **err)
{
  const char *name = attr;
  keep_error *e = NULL;
  cleanup_close int fd = open_attr(name, &e);
  if (fd < 0 && fallback && e->errnum == ENOENT) {
    /* Kernels before 5.8 have no per-LSM directory. */
    keep_error_free(&e);
    name = fallback;
    fd = open_attr(name, &e);
  }
  if (fd < 0) {
    *err = e;
    return keep_error_wrap(err, "%s", what);
  }
  ssize_t n = write(fd, value, strlen(value));
  if (n < 0)
    return keep_fail_errno(err, "%s: write `%s` to `/proc/thread-self/attr/%s`", what, value, name);
  if ((size_t) n != strlen(value))
    return keep_fail(err, EIO, "%s: short write to `/proc/thread-self/attr/%s`", what, name);
  return 0;
}
