/* keep trace --landlock-out: the paths of a call the tracer is about to
 * continue, read from the caller's memory (process_vm_readv) and resolved
 * against its working directory or directory fd as the container sees
 * them (/proc/PID/cwd, /proc/PID/fd/N).  The call has not run yet: a
 * directory it creates may already exist (mkdir -p), which is checked
 * inside the container's root (RESOLVE_IN_ROOT from /proc/PID/root). */
#include "trace_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "syscalls.h"
#include "util.h"

enum kind { OPEN, OPEN2, EXEC, CREATE, REMOVE, WRITE };

/* The calls that name a path, and where: dirfd and path argument (-1: no
 * dirfd), flags argument (-1: none). */
static const struct {
  const char *name;
  int dirfd, path, flags;
  enum kind kind;
} path_calls[] = {
    {"open", -1, 0, 1, OPEN},        {"openat", 0, 1, 2, OPEN},       {"openat2", 0, 1, 2, OPEN2},
    {"creat", -1, 0, -1, CREATE},    {"execve", -1, 0, -1, EXEC},     {"execveat", 0, 1, -1, EXEC},
    {"mkdir", -1, 0, -1, CREATE},    {"mkdirat", 0, 1, -1, CREATE},   {"mknod", -1, 0, -1, CREATE},
    {"mknodat", 0, 1, -1, CREATE},   {"unlink", -1, 0, -1, REMOVE},   {"unlinkat", 0, 1, -1, REMOVE},
    {"rmdir", -1, 0, -1, REMOVE},    {"rename", -1, 0, -1, REMOVE},   {"rename", -1, 1, -1, CREATE},
    {"renameat", 0, 1, -1, REMOVE},  {"renameat", 2, 3, -1, CREATE},  {"renameat2", 0, 1, -1, REMOVE},
    {"renameat2", 2, 3, -1, CREATE}, {"link", -1, 1, -1, CREATE},     {"linkat", 2, 3, -1, CREATE},
    {"symlink", -1, 1, -1, CREATE},  {"symlinkat", 1, 2, -1, CREATE}, {"truncate", -1, 0, -1, WRITE},
};

/* A NUL-terminated string at `addr` in pid's memory, page by page. */
static bool read_string(pid_t pid, uint64_t addr, char *buf, size_t size)
{
  size_t got = 0;
  while (got + 1 < size) {
    size_t page_left = 4096 - ((addr + got) & 4095);
    size_t want = page_left < size - 1 - got ? page_left : size - 1 - got;
    struct iovec local = {.iov_base = buf + got, .iov_len = want};
    struct iovec remote = {.iov_base = (void *) (uintptr_t) (addr + got), .iov_len = want};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0)
      return false;
    if (memchr(buf + got, '\0', (size_t) n))
      return true;
    got += (size_t) n;
  }
  return false;
}

static char *read_link(pid_t pid, const char *what)
{
  char path[64], buf[4096];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, what);
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  return xstrdup(buf);
}

/* The absolute path argument `a` of call `c` names, or NULL. */
static char *call_path(pid_t pid, const struct seccomp_data *d, int dirfd_arg, int path_arg)
{
  char rel[4096];
  if (!read_string(pid, d->args[path_arg], rel, sizeof(rel)))
    return NULL;
  cleanup_free char *base = NULL;
  if (rel[0] != '/') {
    int dirfd = dirfd_arg < 0 ? AT_FDCWD : (int) (int32_t) d->args[dirfd_arg];
    if (dirfd == AT_FDCWD) {
      base = read_link(pid, "cwd");
    } else {
      char fd[32];
      snprintf(fd, sizeof(fd), "fd/%d", dirfd);
      base = read_link(pid, fd);
    }
  }
  return trace_path_join(base, rel);
}

static bool exists_in_root(pid_t pid, const char *path)
{
  if (strcmp(path, "/") == 0)
    return true;
  char root[64];
  snprintf(root, sizeof(root), "/proc/%d/root", (int) pid);
  cleanup_close int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return false;
  long fd =
      sys_openat2(rfd, path + 1, O_PATH | O_CLOEXEC | O_NOFOLLOW, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0)
    return false;
  close((int) fd);
  return true;
}

/* The workload's first execve is made by keep's code, not yet dumpable:
 * rootless, its memory cannot be read.  Its next call comes from the
 * program it executed, whose /proc/PID/exe names it. */
static pid_t exec_unread = -1;

void trace_watch_call(struct trace_paths *p, pid_t pid, const char *name, const struct seccomp_data *d)
{
  if (pid == exec_unread && strcmp(name, "execve") != 0) {
    exec_unread = -1;
    cleanup_free char *exe = read_link(pid, "exe");
    if (exe && exe[0] == '/') {
      cleanup_free char *dir = trace_path_dir(exe);
      trace_paths_add(p, KEEP_LL_EXEC, dir);
    }
  }
  for (size_t i = 0; i < ARRAY_SIZE(path_calls); i++) {
    if (strcmp(path_calls[i].name, name) != 0)
      continue;
    cleanup_free char *path = call_path(pid, d, path_calls[i].dirfd, path_calls[i].path);
    if (path == NULL && path_calls[i].kind == EXEC)
      exec_unread = pid;
    if (path == NULL)
      continue;
    cleanup_free char *dir = trace_path_dir(path);
    uint64_t flags = 0;
    switch (path_calls[i].kind) {
    case OPEN2: {
      /* struct open_how: its flags come first. */
      struct iovec local = {.iov_base = &flags, .iov_len = sizeof(flags)};
      struct iovec remote = {.iov_base = (void *) (uintptr_t) d->args[2], .iov_len = sizeof(flags)};
      if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t) sizeof(flags))
        break;
    }
      /* fall through */
    case OPEN:
      if (path_calls[i].kind == OPEN)
        flags = d->args[path_calls[i].flags];
      if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
        trace_paths_add(p, KEEP_LL_WRITE, dir);
      else
        trace_paths_add(p, KEEP_LL_READ, (flags & O_DIRECTORY) ? path : dir);
      break;
    case EXEC: trace_paths_add(p, KEEP_LL_EXEC, dir); break;
    case CREATE:
      if (!exists_in_root(pid, path)) /* mkdir -p on what is there is no write */
        trace_paths_add(p, KEEP_LL_WRITE, dir);
      break;
    case REMOVE:
    case WRITE: trace_paths_add(p, KEEP_LL_WRITE, dir); break;
    }
  }
}
