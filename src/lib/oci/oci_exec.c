/* OCI exec: a new process in a running container.
 *
 * keep forks a helper that enters the container's cgroup, then every
 * namespace of the container's process at once (setns on a pidfd), and
 * forks the process itself, which confines itself exactly as the
 * container's first process did: the stored config's seccomp filter, the
 * given capabilities with inheritable and ambient as asked (empty by
 * default, CVE-2022-24769), no fd beyond stdio (CVE-2024-21626). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "fault.h"
#include "oci_process.h"
#include "oci_runtime.h"
#include "util.h"

/* The namespaces the container's process does not share with us. */
static int ns_to_join(pid_t pid)
{
  int flags = 0;
  for (int k = 0; k < OCI_NS_COUNT; k++) {
    const struct keep_oci_ns_kind *n = &keep_oci_namespaces[k];
    char a[64], b[64];
    snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int) pid, n->proc_name);
    snprintf(b, sizeof(b), "/proc/self/ns/%s", n->proc_name);
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino != sb.st_ino)
      flags |= n->clone_flag;
  }
  return flags;
}

/* The first child of pid (/proc/PID/task/PID/children), or -1. */
static pid_t first_child(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int) pid, (int) pid);
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
    return -1;
  int child = atoi(text);
  return child > 0 ? (pid_t) child : -1;
}

static int open_pty_inside(int *master, int *peer, keep_error **err)
{
  *master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0 || unlockpt(*master) < 0)
    return keep_fail_errno(err, "open the container's `/dev/ptmx`");
  *peer = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*peer < 0)
    return keep_fail_errno(err, "TIOCGPTPEER");
  return 0;
}

int keep_oci_exec(const struct keep_oci_exec_opts *o, int *exit_code, keep_error **err)
{
  struct keep_oci_state st;
  if (keep_oci_state_open(o->root, o->id, &st, err) < 0) {
    keep_oci_state_free(&st);
    return -1;
  }
  int ret = -1;
  struct keep_oci_spec spec = {0};
  struct keep_seccomp *sc = NULL;
  struct keep_cgroup *cg = NULL;
  int console = -1, pidfd = -1, report[2] = {-1, -1};
  cleanup_free char *text = NULL; /* before the first goto: the exit path frees it */
  size_t text_len = 0;
  if (st.status != OCI_RUNNING && st.status != OCI_CREATED) {
    keep_fail(err, 0, "container `%s` is %s: exec needs a running container", o->id,
              keep_oci_status_name(st.status));
    goto out;
  }
  if (read_file_at(st.dirfd, "config.json", &text, &text_len, err) < 0 ||
      keep_oci_spec_parse_len(st.bundle, text, text_len, &spec, err) < 0)
    goto out;
  if (keep_oci_caps_grantable(o->process, "exec --process", err) < 0)
    goto out;
  /* The process's own AppArmor profile and SELinux label, else the
   * container's (as runc): an exec'd process is no less confined than the
   * container's first one. */
  const char *aa_profile = o->process->apparmor_profile && *o->process->apparmor_profile
                               ? o->process->apparmor_profile
                               : spec.process.apparmor_profile;
  const char *se_label = o->process->selinux_label && *o->process->selinux_label ? o->process->selinux_label
                                                                                 : spec.process.selinux_label;
  if (keep_oci_lsm_supported(aa_profile, se_label, "exec: process", err) < 0)
    goto out;
  if (!o->seccomp && spec.seccomp &&
      keep_seccomp_prepare_json(spec.seccomp, "config.json: linux.seccomp", &sc, err) < 0)
    goto out;
  /* The new process would need a listener of its own sent to the agent;
   * without one its notify rules would be missing, so refuse. */
  if (keep_seccomp_listener_path(sc)) {
    keep_fail(
        err, ENOTSUP,
        "config.json: linux.seccomp: container `%s` has SCMP_ACT_NOTIFY rules: "
        "exec does not hand a listener to the seccomp agent, so it refuses to run a process without them",
        o->id);
    goto out;
  }
  if (st.cgroup_rel && keep_cgroup_open_at(st.cgroup_rel, &cg, err) < 0)
    goto out;
  if (o->process->terminal) {
    if (o->console_socket == NULL && o->console_fd < 0) {
      keep_fail(err, 0, "--tty needs --console-socket to receive the terminal");
      goto out;
    }
    if (o->console_fd >= 0)
      console = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3);
    else if (o->console_socket == NULL)
      console = -1;
    else
      console = keep_console_connect(o->console_socket, err);
    if (console < 0) {
      if (*err == NULL)
        keep_fail_errno(err, "the terminal's socket");
      goto out;
    }
  }
  /* keep run's PID 1 is keep's init, not dumpable (nothing in the
   * container may trace it), so only host root may open its namespaces;
   * the workload, its child, is in the same ones and open to the user who
   * ran the container. */
  pid_t target = o->via_workload ? first_child(st.pid) : st.pid;
  pidfd = target > 0 ? (int) syscall(SYS_pidfd_open, target, 0) : -1;
  if (pidfd < 0 || keep_proc_start_time(st.pid) != st.start_time) {
    keep_fail(err, ESRCH, "container `%s` stopped", o->id);
    goto out;
  }
  int join = ns_to_join(target);
  if (pipe2(report, O_CLOEXEC) < 0) {
    keep_fail_errno(err, "pipe");
    goto out;
  }
  /* Attached: the exec'd process is re-parented to us when the helper exits. */
  if (!o->detach)
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  fflush(NULL);
  pid_t helper = fork();
  if (helper < 0) {
    keep_fail_errno(err, "fork");
    goto out;
  }
  if (helper == 0) {
    keep_error *e = NULL;
    close(report[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if ((cg && keep_cgroup_enter(cg, getpid(), &e) < 0) ||
        keep_oci_set_oom_score_adj(getpid(), o->process, &e) < 0)
      goto helper_fail;
    if (join && setns(pidfd, join) < 0) {
      keep_fail_errno(&e, "setns into the namespaces of container `%s`", o->id);
      goto helper_fail;
    }
    /* Joined the container's user namespace as its root: become it. */
    if ((join & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
      keep_fail_errno(&e, "become root of the container's user namespace");
      goto helper_fail;
    }
    int master = -1, peer = -1;
    if (o->process->terminal) {
      if (open_pty_inside(&master, &peer, &e) < 0 || keep_console_send(console, master, &e) < 0)
        goto helper_fail;
      close(master);
    }
    pid_t child = fork();
    if (child < 0) {
      keep_fail_errno(&e, "fork");
      goto helper_fail;
    }
    if (child == 0) {
      bool setgroups_ok = true;
      char sg[16] = "";
      int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        ssize_t n = read(fd, sg, sizeof(sg) - 1);
        setgroups_ok = !(n > 0 && strncmp(sg, "deny", 4) == 0);
        close(fd);
      }
      if (o->stdin_null) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0)
          _exit(125);
      }
      struct keep_oci_confine cf = {.p = o->process,
                                    .seccomp = o->seccomp ? o->seccomp : sc,
                                    .landlock_writable = o->landlock_writable,
                                    .landlock_root_writable = o->landlock_root_writable,
                                    .landlock_rules = o->landlock_rules,
                                    .n_landlock_rules = o->n_landlock_rules,
                                    .tty_fd = peer,
                                    .setgroups_allowed = setgroups_ok,
                                    .has_personality = spec.has_personality,
                                    .personality = spec.personality,
                                    .apparmor_profile = aa_profile,
                                    .selinux_label = se_label};
      keep_oci_process_exec(&cf);
    }
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%d", (int) child);
    write_all(report[1], buf, (size_t) n);
    _exit(0);
  helper_fail : {
    char *msg = keep_error_format(e);
    write_all(report[1], msg, strlen(msg));
    _exit(125);
  }
  }
  close(report[1]);
  report[1] = -1;
  char buf[4096] = "";
  ssize_t n = read_all(report[0], buf, sizeof(buf) - 1);
  int hs = 0;
  waitpid(helper, &hs, 0);
  if (n <= 0 || !WIFEXITED(hs) || WEXITSTATUS(hs) != 0) {
    buf[n > 0 ? n : 0] = '\0';
    keep_fail(err, 0, "%s", n > 0 ? (str_has_prefix(buf, "keep: ") ? buf + 6 : buf) : "exec failed");
    goto out;
  }
  buf[n] = '\0';
  pid_t child = (pid_t) atoi(buf);
  keep_fault_point("exec-spawned");
  if (o->pid_file) {
    cleanup_free char *tmp = xasprintf("%s.tmp", o->pid_file);
    if (create_file_at(AT_FDCWD, tmp, buf, 0644, err) < 0 || rename(tmp, o->pid_file) < 0) {
      if (*err == NULL)
        keep_fail_errno(err, "--pid-file `%s`", o->pid_file);
      kill(child, SIGKILL);
      goto out;
    }
  }
  if (o->detach) {
    if (o->pid_out)
      *o->pid_out = child;
    *exit_code = 0;
    ret = 0;
    goto out;
  }
  sigset_t mask, old;
  keep_oci_block_forwarded(&mask, &old);
  *exit_code = keep_oci_forward_and_wait(child, &mask);
  sigprocmask(SIG_SETMASK, &old, NULL);
  ret = 0;
out:
  if (console >= 0)
    close(console);
  if (pidfd >= 0)
    close(pidfd);
  if (report[0] >= 0)
    close(report[0]);
  if (report[1] >= 0)
    close(report[1]);
  keep_cgroup_forget(cg);
  keep_seccomp_free(sc);
  keep_oci_spec_free(&spec);
  keep_oci_state_free(&st);
  return ret;
}
