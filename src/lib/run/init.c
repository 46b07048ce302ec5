/* The container side of `keep run`.
 *
 * The cloned child becomes PID 1 of the new pid namespace.  It finishes the
 * namespaces (ids, cgroup namespace, hostname), builds the filesystem, then
 * forks the workload, which confines itself in a fixed order and execs:
 *   rlimits -> cwd (verified inside the root) -> bounding set -> ids ->
 *   capabilities -> no_new_privs -> Landlock -> close fds -> seccomp -> exec.
 * PID 1 stays as a minimal init: it keeps only CAP_KILL (to forward signals
 * to a workload running as another uid) and no descriptor but its
 * signalfd, reaps zombies and exits with the workload's status. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "landlock.h"
#include "net.h"
#include "process_setup.h"
#include "syscalls.h"
#include "msg.h"
#include "terminal.h"
#include "util.h"

/* The workload failed before exec: say why on its stderr, exit like docker. */
static noreturn void workload_fail(keep_error *err, int code)
{
  keep_error_print(err);
  _exit(code);
}

static void reset_signals(void)
{
  struct sigaction sa = {.sa_handler = SIG_DFL};
  for (int s = 1; s < NSIG; s++)
    sigaction(s, &sa, NULL); /* errors for SIGKILL/SIGSTOP/invalid are expected */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static int enter_cwd(int rootfd, const char *cwd, keep_error **err)
{
  cleanup_close int fd = open_in_root(rootfd, cwd ? cwd : "/", O_DIRECTORY, err);
  if (fd < 0)
    return keep_error_wrap(err, "working directory");
  if (fchdir(fd) < 0)
    return keep_fail_errno(err, "chdir `%s`", cwd);
  /* CVE-2024-21626: a cwd that resolves outside the root shows up as
   * "(unreachable)/..." or an error; refuse to exec there. */
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return keep_fail(err, EXDEV, "working directory `%s` is outside the container", cwd);
  return 0;
}

static noreturn void run_workload(struct keep_child_ctx *ctx, int rootfd, int tty_peer,
                                  const struct keep_user *user, char **env)
{
  const struct keep_config *cfg = ctx->cfg;
  keep_error *err = NULL;

  /* A new session: the workload can never push input into a terminal it
   * inherited: the kernel refuses TIOCSTI on a terminal that is not the
   * caller's controlling tty (CVE-2017-5226). */
  if (setsid() < 0) {
    keep_fail_errno(&err, "setsid");
    workload_fail(err, 125);
  }
  if (tty_peer >= 0) {
    if (ioctl(tty_peer, TIOCSCTTY, 0) < 0) {
      keep_fail_errno(&err, "TIOCSCTTY");
      workload_fail(err, 125);
    }
    for (int i = 0; i < 3; i++)
      if (dup2(tty_peer, i) < 0) {
        keep_fail_errno(&err, "dup2 terminal");
        workload_fail(err, 125);
      }
  } else if (!cfg->proc.interactive) {
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul < 0 || dup2(nul, 0) < 0) {
      keep_fail_errno(&err, "open `/dev/null` for stdin");
      workload_fail(err, 125);
    }
  }
  reset_signals();

  if (keep_rlimits_apply(&err) < 0 || enter_cwd(rootfd, cfg->proc.cwd, &err) < 0 ||
      keep_caps_drop_bounding(cfg->cap_add, &err) < 0)
    workload_fail(err, 125);

  if (!ctx->deny_setgroups && setgroups(1, &user->gid) < 0) {
    keep_fail_errno(&err, "setgroups");
    workload_fail(err, 125);
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(user->gid, user->gid, user->gid) < 0 ||
      setresuid(user->uid, user->uid, user->uid) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    keep_fail_errno(&err, "switch to user %u:%u", (unsigned) user->uid, (unsigned) user->gid);
    workload_fail(err, 125);
  }
  if (keep_caps_apply(cfg->cap_add, &err) < 0)
    workload_fail(err, 125);
  /* Always: setuid binaries and file capabilities grant nothing. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    keep_fail_errno(&err, "prctl(PR_SET_NO_NEW_PRIVS)");
    workload_fail(err, 125);
  }
  if (cfg->landlock) {
    cleanup_strv char **w = keep_rootfs_writable_paths(cfg);
    if (keep_landlock_apply((const char *const *) w, strv_len(w), cfg->read_write, &err) < 0)
      workload_fail(err, 125);
  }
  /* No descriptor of keep's or of the caller's beyond stdio reaches the
   * workload (CVE-2024-21626). */
  if (close_range(3, ~0U, 0) < 0) {
    keep_fail_errno(&err, "close_range");
    workload_fail(err, 125);
  }
  if (ctx->seccomp && keep_seccomp_install(ctx->seccomp, &err) < 0)
    workload_fail(err, 125);

  execvpe(cfg->proc.argv[0], cfg->proc.argv, env);
  int e = errno;
  keep_fail(&err, e, "exec `%s`", cfg->proc.argv[0]);
  workload_fail(err, (e == ENOENT || e == ENOTDIR) ? 127 : 126);
}

/* PID 1 after the workload started: forward, reap, report. */
static noreturn void init_loop(pid_t workload, int sigfd)
{
  for (;;) {
    struct signalfd_siginfo si;
    ssize_t n = read(sigfd, &si, sizeof(si));
    if (n != (ssize_t) sizeof(si)) {
      if (n < 0 && errno == EINTR)
        continue;
      kill(workload, SIGKILL);
      _exit(125);
    }
    if (si.ssi_signo != SIGCHLD) {
      kill(workload, (int) si.ssi_signo);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0)
        break;
      if (p == workload) {
        /* Everything else in the namespace dies with PID 1. */
        if (WIFEXITED(status))
          _exit(WEXITSTATUS(status));
        _exit(128 + WTERMSIG(status));
      }
    }
  }
}

/* Strip PID 1 down to what forwarding signals needs. */
static int confine_init(const struct keep_config *cfg, keep_error **err)
{
  uint64_t kill_only = 1ULL << CAP_KILL;
  if (keep_caps_drop_bounding(kill_only, err) < 0 || keep_caps_apply(kill_only, err) < 0)
    return -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return keep_fail_errno(err, "prctl(PR_SET_NO_NEW_PRIVS)");
  /* No Landlock domain of its own: Landlock scopes signals to a domain and
   * its children, and init must reach the workload, whose own domain keeps
   * it from signalling init in turn. */
  (void) cfg;
  return 0;
}

noreturn void keep_container_child(struct keep_child_ctx *ctx)
{
  const struct keep_config *cfg = ctx->cfg;
  keep_error *err = NULL;
  int sock = ctx->sock;

  /* If keep dies, so does the container: nothing runs unsupervised. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  keep_cmdline_rewrite("keep-init");
  /* The lock says whether keep lives: only keep may hold it. */
  close(ctx->state_lock);

  if (keep_msg_expect(sock, KEEP_MSG_GO, "the set-up", &err) < 0)
    _exit(125); /* the parent is gone or failed: it reports */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  /* The parent has written our id maps: become the container's root. */
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
    keep_fail_errno(&err, "become root of the user namespace");
    keep_msg_fail(sock, err);
  }
  if (!ctx->deny_setgroups && setgroups(0, NULL) < 0) {
    keep_fail_errno(&err, "setgroups");
    keep_msg_fail(sock, err);
  }
  /* Changing credentials cleared the parent-death signal: set it again, so
   * a killed keep never leaves its container running. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (keep_msg_send(sock, KEEP_MSG_ALIVE, NULL, -1, &err) < 0)
    _exit(125);
  /* The parent moved us into our cgroup first, so it becomes our root. */
  if (unshare(CLONE_NEWCGROUP) < 0) {
    keep_fail_errno(&err, "unshare(CLONE_NEWCGROUP)");
    keep_msg_fail(sock, err);
  }
  if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0) {
    keep_fail_errno(&err, "sethostname `%s`", cfg->hostname);
    keep_msg_fail(sock, err);
  }
  if (keep_rootfs_setup(&ctx->plan, &err) < 0)
    keep_msg_fail(sock, err);
  if (ctx->new_netns && keep_net_loopback_up(&err) < 0)
    keep_msg_fail(sock, err);

  cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    keep_fail_errno(&err, "open the container's root");
    keep_msg_fail(sock, err);
  }
  struct keep_user user = {0};
  if (keep_user_resolve(rootfd, cfg->proc.user, &user, &err) < 0)
    keep_msg_fail(sock, err);
  char **env = keep_env_build(cfg->proc.env, user.home, cfg->hostname, cfg->proc.tty);

  int tty_peer = -1;
  if (cfg->proc.tty) {
    /* The pty comes from the container's own devpts; keep never hands the
     * container a terminal of the host. */
    cleanup_close int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0) {
      keep_fail_errno(&err, "open `/dev/pts/ptmx`");
      keep_msg_fail(sock, err);
    }
    tty_peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty_peer < 0) {
      keep_fail_errno(&err, "TIOCGPTPEER");
      keep_msg_fail(sock, err);
    }
    if (keep_msg_send(sock, KEEP_MSG_TERMINAL, NULL, master, &err) < 0)
      keep_msg_fail(sock, err);
  }

  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  pid_t workload = fork();
  if (workload < 0) {
    keep_fail_errno(&err, "fork the workload");
    keep_msg_fail(sock, err);
  }
  if (workload == 0) {
    close(sock);
    run_workload(ctx, rootfd, tty_peer, &user, env);
  }
  if (tty_peer >= 0)
    close(tty_peer);
  strv_free(env);
  free(user.home);

  if (confine_init(cfg, &err) < 0) {
    kill(workload, SIGKILL);
    keep_msg_fail(sock, err);
  }
  keep_msg_send(sock, KEEP_MSG_READY, NULL, -1, NULL);
  /* PID 1 keeps no descriptor but stdio and its signalfd. */
  close_range(3, ~0U, 0);
  rootfd = -1;
  int sigfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sigfd < 0) {
    kill(workload, SIGKILL);
    _exit(125);
  }
  init_loop(workload, sigfd);
}
