/* Starting the container's init process.
 *
 * Usually one clone() creates it inside every new namespace at once.  When
 * config.json names a user or mount namespace to join, the clone has to
 * happen from inside those: a new namespace belongs to the user namespace its
 * creator is in (so new pid/net/ipc/uts namespaces must be made after the
 * user namespace is joined), and a process in a user namespace can no longer
 * enter a mount namespace owned by the host's.  A short-lived helper joins
 * them and clones init with CLONE_PARENT, so init is still create's own child
 * (waitpid, PDEATHSIG).  The helper hands back a pidfd, not a pid number: its
 * numbers may belong to a joined pid namespace, the pidfd's fdinfo is read in
 * create's own. */
#include <errno.h>
#include <linux/magic.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci_runtime.h"
#include "msg.h"
#include "terminal.h"
#include "util.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* Do the joined namespace's id maps say what config.json says?  Compared as
 * sets of lines: the kernel prints them in the order they were written. */
static bool maps_match(const char *text, const struct keep_idmap *m, size_t n)
{
  size_t lines = 0;
  const char *p = text;
  while (*p) {
    unsigned long in, out, count;
    int used = 0;
    if (sscanf(p, " %lu %lu %lu%n", &in, &out, &count, &used) != 3)
      break;
    p += used;
    while (*p == '\n')
      p++;
    bool found = false;
    for (size_t i = 0; i < n; i++)
      found |= m[i].inside == in && m[i].outside == out && m[i].count == count;
    if (!found)
      return false;
    lines++;
  }
  return lines == n;
}

static int check_joined_maps(const struct keep_oci_spec *s, keep_error **err)
{
  static const char *const files[2] = {"/proc/self/uid_map", "/proc/self/gid_map"};
  static const char *const fields[2] = {"uidMappings", "gidMappings"};
  const struct keep_idmap *maps[2] = {s->uid_map, s->gid_map};
  size_t n[2] = {s->n_uid_map, s->n_gid_map};
  for (int i = 0; i < 2; i++) {
    if (n[i] == 0)
      continue;
    cleanup_free char *text = NULL;
    if (read_file_at(AT_FDCWD, files[i], &text, NULL, err) < 0)
      return -1;
    if (!maps_match(text, maps[i], n[i]))
      return keep_fail(err, 0, "config.json: linux.%s: do not match the user namespace `%s` being joined",
                       fields[i], keep_q(s->ns_path[OCI_NS_USER]));
  }
  return 0;
}

static noreturn void joiner(int sock, int userfd, int mntfd, int nest_userns, const struct keep_oci_spec *s,
                            unsigned long flags, int close_in_init, void (*init)(void *), void *arg)
{
  keep_error *err = NULL;
  int pidfd = -1;
  pid_t pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* The container's own user namespace is made inside this one (holder.h). */
  if (nest_userns >= 0 && setns(nest_userns, CLONE_NEWUSER) < 0) {
    keep_fail_errno(&err, "enter the user namespace of your networks");
    goto fail;
  }
  if (userfd >= 0) {
    if (setns(userfd, CLONE_NEWUSER) < 0) {
      keep_fail_errno(&err, "config.json: linux.namespaces: join user namespace `%s`",
                      keep_q(s->ns_path[OCI_NS_USER]));
      goto fail;
    }
    if (check_joined_maps(s, &err) < 0)
      goto fail;
  }
  if (mntfd >= 0 && setns(mntfd, CLONE_NEWNS) < 0) {
    keep_fail_errno(
        &err, "config.json: linux.namespaces: join mount namespace `%s`%s", s->ns_path[OCI_NS_MOUNT],
        errno == EPERM ? " (a mount namespace can be joined only from the user namespace that owns it)" : "");
    goto fail;
  }
  pid = (pid_t) syscall(SYS_clone, flags | CLONE_PARENT | CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, NULL);
  if (pid < 0) {
    keep_fail_errno(&err, "clone the container's namespaces");
    goto fail;
  }
  if (pid == 0) {
    close(sock);
    close(close_in_init);
    init(arg);
    _exit(125);
  }
  keep_msg_send(sock, KEEP_MSG_PIDFD, NULL, pidfd, NULL);
  _exit(0);
fail:
  keep_msg_fail(sock, err);
}

static pid_t pid_of_pidfd(int pidfd, keep_error **err)
{
  cleanup_free char *path = xasprintf("/proc/self/fdinfo/%d", pidfd);
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
    return -1;
  const char *p = strstr(text, "\nPid:");
  long pid = p ? strtol(p + 5, NULL, 10) : -1;
  if (pid <= 0)
    return keep_fail(err, ESRCH, "the container's init exited while it was being created");
  return (pid_t) pid;
}

int keep_oci_ns_open(const struct keep_oci_spec *s, enum keep_oci_ns k, keep_error **err)
{
  if (!s->ns_path[k])
    return -1;
  /* O_NONBLOCK: a FIFO at that path must not hold keep in open(). */
  int fd = open(s->ns_path[k], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return keep_fail_errno(err, "config.json: linux.namespaces: %s namespace `%s`",
                           keep_oci_namespaces[k].name, keep_q(s->ns_path[k]));
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC) {
    struct stat st;
    const char *kind = fstat(fd, &st) == 0 ? keep_file_kind(st.st_mode) : "unknown";
    close(fd);
    return keep_fail(err, 0, "config.json: linux.namespaces: %s namespace `%s` is not a namespace file (%s)",
                     keep_oci_namespaces[k].name, keep_q(s->ns_path[k]), kind);
  }
  return fd;
}

static pid_t spawn_joining(const struct keep_oci_spec *s, unsigned long flags, int nest_userns,
                           int close_in_init, void (*init)(void *), void *arg, keep_error **err)
{
  cleanup_close int userfd = keep_oci_ns_open(s, OCI_NS_USER, err);
  if (s->ns_path[OCI_NS_USER] && userfd < 0)
    return -1;
  cleanup_close int mntfd = keep_oci_ns_open(s, OCI_NS_MOUNT, err);
  if (s->ns_path[OCI_NS_MOUNT] && mntfd < 0)
    return -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return keep_fail_errno(err, "socketpair");
  pid_t helper = fork();
  if (helper < 0) {
    close(sv[0]);
    close(sv[1]);
    return keep_fail_errno(err, "fork");
  }
  if (helper == 0) {
    close(sv[0]);
    joiner(sv[1], userfd, mntfd, nest_userns, s, flags, close_in_init, init, arg);
  }
  close(sv[1]);
  int pidfd = -1;
  int type = keep_msg_recv(sv[0], NULL, 0, &pidfd, err);
  close(sv[0]);
  waitpid(helper, NULL, 0);
  if (type < 0)
    return -1;
  if (type != KEEP_MSG_PIDFD || pidfd < 0)
    return keep_fail(err, 0, "the namespace-joining helper ended without starting the container");
  pid_t pid = pid_of_pidfd(pidfd, err);
  close(pidfd);
  return pid;
}

pid_t keep_oci_spawn_init(const struct keep_oci_spec *s, unsigned long flags, int nest_userns,
                          int close_in_init, void (*init)(void *), void *arg, keep_error **err)
{
  if (s->ns_path[OCI_NS_USER] || s->ns_path[OCI_NS_MOUNT] || nest_userns >= 0)
    return spawn_joining(s, flags, nest_userns, close_in_init, init, arg, err);
  pid_t pid = (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return keep_fail_errno(err, "clone the container's namespaces");
  if (pid == 0) {
    close(close_in_init);
    init(arg);
    _exit(125);
  }
  return pid;
}
