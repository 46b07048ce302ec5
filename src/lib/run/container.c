/* The host side of `keep run`.
 *
 * Everything that can be checked is checked before anything is created
 * (root filesystem, volume sources, seccomp profile), so bad input leaves
 * nothing behind.  Then: state dir -> cgroup -> clone into new namespaces ->
 * move the child into the cgroup and write its id maps -> let it build the
 * container -> relay signals and the terminal -> collect the exit status ->
 * remove the cgroup and the state. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup.h"
#include "fault.h"
#include "state.h"
#include "syscalls.h"
#include "msg.h"
#include "terminal.h"
#include "userns.h"
#include "util.h"

struct run_resources {
  int rootfs_fd;
  int root_tree; /* the root as a detached mount (root only) */
  int *volume_fds;
  size_t n_volumes;
  struct keep_seccomp *seccomp;
  struct keep_cgroup *cgroup;
  char *state_base;
  const char *id;
  int state_lock; /* held while the container exists (state.h) */
  struct keep_userns_plan userns;
  pid_t child;
  int sock;
  int master;
  bool tty_raw;
  bool interactive;
  int stop_signal;
  struct termios saved_tty;
};

static void release(struct run_resources *r)
{
  if (r->child > 0) {
    kill(r->child, SIGKILL);
    while (waitpid(r->child, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  if (r->tty_raw)
    keep_tty_restore(STDIN_FILENO, &r->saved_tty);
  if (r->cgroup) {
    keep_error *e = NULL;
    if (keep_cgroup_destroy(r->cgroup, &e) < 0) {
      keep_error_wrap(&e, "remove the container's cgroup (`keep gc` retries)");
      keep_error_print(e);
      keep_error_free(&e);
    }
    keep_fault_point("run-cgroup-removed");
  }
  /* The state goes last: while it is locked, gc leaves the cgroup alone. */
  if (r->state_lock >= 0)
    keep_state_remove(r->state_base, r->id, r->state_lock);
  free(r->state_base);
  for (size_t i = 0; i < r->n_volumes; i++)
    if (r->volume_fds[i] >= 0)
      close(r->volume_fds[i]);
  free(r->volume_fds);
  if (r->rootfs_fd >= 0)
    close(r->rootfs_fd);
  if (r->root_tree >= 0)
    close(r->root_tree);
  if (r->sock >= 0)
    close(r->sock);
  if (r->master >= 0)
    close(r->master);
  keep_seccomp_free(r->seccomp);
  keep_userns_plan_free(&r->userns);
}

static int open_inputs(const struct keep_config *cfg, struct run_resources *r, keep_error **err)
{
  r->rootfs_fd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfs_fd < 0) {
    if (errno == ENOTDIR)
      return keep_fail(err, 0, "root filesystem `%s` is not a directory", keep_q(cfg->rootfs));
    return keep_fail_errno(err, "root filesystem `%s`", keep_q(cfg->rootfs));
  }
  r->n_volumes = cfg->n_mounts;
  r->volume_fds = xcalloc(cfg->n_mounts ? cfg->n_mounts : 1, sizeof(int));
  for (size_t i = 0; i < cfg->n_mounts; i++) {
    r->volume_fds[i] = -1;
    if (cfg->mounts[i].kind != KEEP_MOUNT_BIND)
      continue;
    /* Opened once here, never through a symlink in any component: a
     * directory on the way that another container writes (a shared :rw
     * volume) could otherwise be swapped for a symlink to `/` while this one
     * starts.  The container side binds this very object. */
    r->volume_fds[i] = open_host_nofollow_checked(cfg->mounts[i].src, "volume source", err);
    if (r->volume_fds[i] < 0)
      return -1;
  }
  if (cfg->proc.argv == NULL || cfg->proc.argv[0] == NULL)
    return keep_fail(err, 0, "no command given");
  return 0;
}

static int prepare_seccomp(const struct keep_config *cfg, struct run_resources *r, keep_error **err)
{
  if (cfg->seccomp == KEEP_SECCOMP_UNCONFINED)
    return 0;
  /* The profile loader opens it without blocking, regular files only. */
  const char *file = cfg->seccomp == KEEP_SECCOMP_FILE ? cfg->seccomp_file : NULL;
  return keep_seccomp_prepare(file, cfg->cap_add, cfg->cache_dir, &r->seccomp, err);
}

/* Wait for the container side: TERMINAL carries the pty master, READY
 * means the workload runs; an error comes back as the container side's own
 * keep_error; EOF means it died. */
static int await_ready(struct run_resources *r, keep_error **err)
{
  for (;;) {
    int fd = -1;
    int type = keep_msg_recv(r->sock, NULL, 0, &fd, err);
    if (type < 0)
      return -1;
    if (type == KEEP_MSG_TERMINAL) {
      r->master = fd;
      continue;
    }
    if (type == KEEP_MSG_ALIVE) /* after switching ids: the parent is still there */
      continue;
    if (type == KEEP_MSG_READY)
      return 0;
    if (fd >= 0)
      close(fd);
    return keep_fail(err, 0, "the container exited while it was being set up");
  }
}

static void pump(int from, int to, bool *open_flag)
{
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) {
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      return;
    *open_flag = false;
    return;
  }
  if (write_all(to, buf, (size_t) n) < 0)
    *open_flag = false;
}

static int wait_container(struct run_resources *r, const sigset_t *mask, int *exit_code, keep_error **err)
{
  cleanup_close int sigfd = signalfd(-1, mask, SFD_CLOEXEC);
  if (sigfd < 0)
    return keep_fail_errno(err, "signalfd");
  /* With -t the terminal is relayed; stdin only with -i (as docker run). */
  bool in_open = r->master >= 0 && r->interactive;
  bool out_open = r->master >= 0;
  for (;;) {
    struct pollfd p[3] = {{.fd = sigfd, .events = POLLIN},
                          {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                          {.fd = out_open ? r->master : -1, .events = POLLIN}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return keep_fail_errno(err, "poll");
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
      pump(r->master, STDOUT_FILENO, &out_open);
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      pump(STDIN_FILENO, r->master, &in_open);
      if (!in_open) {
        /* End of input: tell the container's terminal (like ^D). */
        char eof = 4;
        if (write(r->master, &eof, 1) < 0)
          out_open = out_open && errno != EIO;
      }
    }
    if (!(p[0].revents & POLLIN))
      continue;
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof(si)) != (ssize_t) sizeof(si))
      continue;
    if (si.ssi_signo == SIGWINCH) {
      if (r->master >= 0)
        keep_tty_copy_size(STDIN_FILENO, r->master);
      continue;
    }
    if (si.ssi_signo != SIGCHLD) {
      /* init forwards it to the workload; "stop" means the image's StopSignal */
      int sig = si.ssi_signo == SIGTERM && r->stop_signal ? r->stop_signal : (int) si.ssi_signo;
      kill(r->child, sig);
      continue;
    }
    int status = 0;
    pid_t p_done = waitpid(r->child, &status, WNOHANG);
    if (p_done != r->child)
      continue;
    r->child = 0;
    while (out_open && r->master >= 0) {
      /* Drain what the workload wrote just before it exited. */
      struct pollfd d = {.fd = r->master, .events = POLLIN};
      if (poll(&d, 1, 0) <= 0)
        break;
      pump(r->master, STDOUT_FILENO, &out_open);
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
  }
}

int keep_container_run(struct keep_config *cfg, int *exit_code, keep_error **err)
{
  struct run_resources r = {.rootfs_fd = -1,
                            .root_tree = -1,
                            .sock = -1,
                            .master = -1,
                            .state_lock = -1,
                            .id = cfg->id,
                            .interactive = cfg->proc.interactive,
                            .stop_signal = cfg->stop_signal};
  int ret = -1;
  sigset_t mask, old;
  sigemptyset(&mask);
  int fwd[] = {SIGCHLD, SIGINT,   SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
               SIGUSR2, SIGWINCH, SIGCONT, SIGPIPE, SIGALRM};
  for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
    sigaddset(&mask, fwd[i]);
  sigprocmask(SIG_BLOCK, NULL, &old);

  /* Inputs are opened and checked while SIGINT and SIGTERM still end keep:
   * an open or a read that blocks (a FIFO, a stalled network filesystem)
   * stays interruptible, and nothing exists yet that a signal could leave
   * behind. */
  if (open_inputs(cfg, &r, err) < 0 || prepare_seccomp(cfg, &r, err) < 0 ||
      keep_userns_plan(&r.userns, err) < 0)
    goto out;
  if (r.userns.notice)
    fprintf(stderr, "%s: %s\n", keep_progname, r.userns.notice);
  /* As root, the root filesystem is mounted here, by host root, before the
   * container exists: the container's root need not be able to reach it
   * (a root below /root, or a store below a 0700 directory). */
  if (!cfg->rootless && !(cfg->layers && cfg->read_write) &&
      (r.root_tree = keep_rootfs_tree(cfg, r.rootfs_fd, r.volume_fds, err)) < 0)
    goto out;

  /* From here on keep creates things (state, cgroup, the child): signals
   * wait in the mask until wait_container() forwards them to the container,
   * and SIGCHLD is blocked before the child can exist. */
  sigprocmask(SIG_BLOCK, &mask, NULL);

  /* Leftovers of containers whose keep was killed go first. */
  keep_state_gc(cfg->state_dir, NULL);
  if (cfg->cgroups)
    keep_cgroup_gc(cfg->rootless, NULL);

  r.state_base = xstrdup(cfg->state_dir);
  /* State first, cgroup second: gc removes a cgroup only when no live keep
   * holds the state of the same id. */
  r.state_lock = keep_state_create(r.state_base, cfg->id, err);
  if (r.state_lock < 0)
    goto out;
  keep_fault_point("run-state");

  if (cfg->cgroups && keep_cgroup_create(cfg->id, &cfg->limits, cfg->rootless, &r.cgroup, err) < 0)
    goto out;
  keep_fault_point("run-cgroup");

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    keep_fail_errno(err, "socketpair");
    goto out;
  }
  r.sock = sv[0];

  struct keep_child_ctx ctx = {
      .cfg = cfg,
      .sock = sv[1],
      .state_lock = r.state_lock,
      .seccomp = r.seccomp,
      .deny_setgroups = r.userns.deny_setgroups,
      .new_netns = cfg->network == KEEP_NET_NONE,
      .plan = {.cfg = cfg,
               .rootfs_fd = r.rootfs_fd,
               .root_tree = r.root_tree,
               .volume_fds = r.volume_fds,
               .tty_gid = r.userns.tty_gid_mapped},
  };
  if (r.cgroup) {
    const char *const *names = NULL, *const *dirs = NULL;
    ctx.plan.n_cgroup_dirs = keep_cgroup_dirs(r.cgroup, &names, &dirs);
    ctx.plan.cgroup_names = names;
    ctx.plan.cgroup_dirs = dirs;
    ctx.plan.cgroup2 = keep_cgroup_version_of(r.cgroup) == KEEP_CGROUP_V2;
  }

  unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  if (cfg->network == KEEP_NET_NONE)
    flags |= CLONE_NEWNET;
  fflush(NULL);
  /* Rootless, the caller writes the child's id maps in /proc/<pid>, which
   * only works while the child is dumpable; it turns that off again as soon
   * as its maps are written. */
  if (cfg->rootless)
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  /* Raw clone: fork semantics, but born in the new namespaces, so PID 1 of
   * the container is this child. */
  pid_t pid = (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    close(sv[1]);
    keep_fail_errno(err, "clone the container's namespaces");
    if (errno == ENOSPC || errno == EPERM)
      keep_error_hint(err, "check /proc/sys/user/max_user_namespaces and kernel.unprivileged_userns_clone");
    goto out;
  }
  if (pid == 0) {
    close(sv[0]);
    keep_container_child(&ctx);
  }
  close(sv[1]);
  r.child = pid;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  keep_fault_point("run-cloned");

  if ((r.cgroup && keep_cgroup_enter(r.cgroup, pid, err) < 0) || keep_userns_apply(&r.userns, pid, err) < 0 ||
      keep_msg_send(r.sock, KEEP_MSG_GO, NULL, -1, err) < 0 || await_ready(&r, err) < 0)
    goto out;
  keep_fault_point("run-ready");

  if (r.master >= 0 && r.interactive && isatty(STDIN_FILENO)) {
    keep_tty_copy_size(STDIN_FILENO, r.master);
    if (keep_tty_make_raw(STDIN_FILENO, &r.saved_tty, err) < 0)
      goto out;
    r.tty_raw = true;
  }
  if (wait_container(&r, &mask, exit_code, err) < 0)
    goto out;
  keep_fault_point("run-exited");
  ret = 0;
out:
  release(&r);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}
