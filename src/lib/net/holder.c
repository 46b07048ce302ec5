#include "holder.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "oci_state.h"
#include "state.h"
#include "userns.h"
#include "util.h"

static char *holder_file(const char *state_base)
{
  return xasprintf("%s/networks/.holder", state_base);
}

/* "PID STARTTIME PASTA_PID": a pid alone could have been reused. */
static bool read_holder(const char *state_base, pid_t *pid, pid_t *pasta)
{
  cleanup_free char *f = holder_file(state_base), *text = NULL;
  keep_error *e = NULL;
  if (read_file_at(AT_FDCWD, f, &text, NULL, &e) < 0) {
    keep_error_free(&e);
    return false;
  }
  long p = 0, q = 0;
  unsigned long long start = 0;
  if (sscanf(text, "%ld %llu %ld", &p, &start, &q) != 3 || p <= 0)
    return false;
  *pid = (pid_t) p;
  *pasta = (pid_t) q;
  return keep_proc_start_time((pid_t) p) == start;
}

static int open_ns(pid_t pid, const char *kind, keep_error **err)
{
  cleanup_free char *path = xasprintf("/proc/%d/ns/%s", (int) pid, kind);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", path);
  return fd;
}

int keep_net_holder_find(const char *state_base, struct keep_net_holder *h, keep_error **err)
{
  *h = (struct keep_net_holder){.userns_fd = -1, .netns_fd = -1};
  pid_t pid, pasta;
  if (!read_holder(state_base, &pid, &pasta))
    return 0;
  h->userns_fd = open_ns(pid, "user", err);
  h->netns_fd = h->userns_fd < 0 ? -1 : open_ns(pid, "net", err);
  if (h->netns_fd < 0) {
    keep_net_holder_close(h);
    return -1;
  }
  h->pid = pid;
  return 0;
}

void keep_net_holder_close(struct keep_net_holder *h)
{
  if (h->userns_fd >= 0)
    close(h->userns_fd);
  if (h->netns_fd >= 0)
    close(h->netns_fd);
  h->userns_fd = h->netns_fd = -1;
}

/* The holder itself: its user namespace mapped by the parent, then a
 * network namespace with loopback up, then nothing until SIGTERM. */
static noreturn void holder_main(int to_parent, int from_parent)
{
  char c;
  prctl(PR_SET_NAME, "keep-netns", 0, 0, 0);
  setsid();
  /* keep may be blocking the signals it forwards: SIGTERM ends this one. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_IGN);
  if (unshare(CLONE_NEWUSER) < 0 || write(to_parent, "u", 1) != 1 || read(from_parent, &c, 1) != 1 ||
      c != 'm' || unshare(CLONE_NEWNET) < 0)
    _exit(1);
  keep_error *e = NULL;
  if (keep_net_loopback_up(&e) < 0)
    _exit(1);
  if (write(to_parent, "n", 1) != 1)
    _exit(1);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  close_range(3, ~0U, 0);
  for (;;)
    pause();
}

/* pasta: the holder's egress, as the user (Debian package passt).  No
 * port is forwarded either way (published ports are keep-portfwd's), and
 * the gateway address does not stand for the host's loopback. */
static pid_t start_pasta(pid_t holder, keep_error **err)
{
  cleanup_free char *userns = xasprintf("/proc/%d/ns/user", (int) holder);
  cleanup_free char *netns = xasprintf("/proc/%d/ns/net", (int) holder);
  char pidfile[] = "/tmp/keep-pasta.XXXXXX";
  int pf = mkstemp(pidfile);
  if (pf < 0)
    return keep_fail_errno(err, "mkstemp `%s`", pidfile);
  close(pf);
  fflush(NULL);
  pid_t p = fork();
  if (p < 0) {
    unlink(pidfile);
    return keep_fail_errno(err, "fork");
  }
  if (p == 0) {
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(devnull, 0);
    dup2(devnull, 1);
    execlp("pasta", "pasta", "--config-net", "--no-map-gw", "-q", "-t", "none", "-u", "none", "-T", "none",
           "-U", "none", "-P", pidfile, "--userns", userns, "--netns", netns, (char *) NULL);
    _exit(127);
  }
  int status = 0;
  while (waitpid(p, &status, 0) < 0 && errno == EINTR)
    ;
  cleanup_free char *text = NULL;
  keep_error *e = NULL;
  read_file_at(AT_FDCWD, pidfile, &text, NULL, &e);
  keep_error_free(&e);
  unlink(pidfile);
  long pasta = text ? strtol(text, NULL, 10) : 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || pasta <= 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    keep_fail(err, 0, "pasta did not start (exit %d): a normal user's --egress networks go out through it",
              code);
    return keep_error_hint(err, code == 127 ? "install the Debian package passt"
                                            : "pasta needs an interface of the host with a route out");
  }
  return (pid_t) pasta;
}

static int write_holder(const char *state_base, pid_t pid, pid_t pasta, keep_error **err)
{
  cleanup_free char *f = holder_file(state_base);
  cleanup_free char *text =
      xasprintf("%d %llu %d\n", (int) pid, (unsigned long long) keep_proc_start_time(pid), (int) pasta);
  return create_file_at(AT_FDCWD, f, text, 0600, err);
}

int keep_net_holder_egress(const char *state_base, const struct keep_net_holder *h, keep_error **err)
{
  pid_t pid, pasta;
  if (!read_holder(state_base, &pid, &pasta) || pid != h->pid)
    return keep_fail(err, ESRCH, "the holder of your networks is gone");
  if (pasta > 0 && kill(pasta, 0) == 0)
    return 0;
  pasta = start_pasta(pid, err);
  if (pasta <= 0)
    return -1;
  if (write_holder(state_base, pid, pasta, err) < 0) {
    kill(pasta, SIGTERM);
    return -1;
  }
  return 0;
}

int keep_net_holder_get(const char *state_base, struct keep_net_holder *h, keep_error **err)
{
  if (keep_net_holder_find(state_base, h, err) < 0)
    return -1;
  if (h->pid > 0)
    return 0;
  struct keep_userns_plan plan;
  if (keep_userns_plan(&plan, err) < 0)
    return -1;
  int up[2], down[2];
  if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
    keep_userns_plan_free(&plan);
    return keep_fail_errno(err, "pipe");
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(up[0]);
    close(down[1]);
    holder_main(up[1], down[0]);
  }
  close(up[1]);
  close(down[0]);
  char c = 0;
  int ret = -1;
  if (pid < 0) {
    keep_fail_errno(err, "fork the network holder");
    goto out;
  }
  if (read(up[0], &c, 1) != 1 || c != 'u') {
    keep_fail(err, 0, "the network holder could not make its user namespace");
    goto out;
  }
  if (keep_userns_apply(&plan, pid, err) < 0 || write(down[1], "m", 1) != 1)
    goto out;
  if (read(up[0], &c, 1) != 1 || c != 'n') {
    keep_fail(err, 0, "the network holder could not make its network namespace");
    goto out;
  }
  if (write_holder(state_base, pid, 0, err) < 0)
    goto out;
  ret = keep_net_holder_find(state_base, h, err);
out:
  if (ret < 0 && pid > 0)
    kill(pid, SIGKILL);
  if (pid > 0 && ret < 0)
    waitpid(pid, NULL, 0);
  close(up[0]);
  close(down[1]);
  keep_userns_plan_free(&plan);
  return ret;
}

void keep_net_holder_stop(const char *state_base)
{
  pid_t pid, pasta;
  if (read_holder(state_base, &pid, &pasta)) {
    if (pasta > 0)
      kill(pasta, SIGTERM);
    kill(pid, SIGKILL);
  }
  cleanup_free char *f = holder_file(state_base);
  unlink(f);
}

int keep_net_holder_run(const struct keep_net_holder *h, int (*fn)(void *arg, keep_error **err), void *arg,
                        keep_error **err)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return keep_fail_errno(err, "pipe");
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return keep_fail_errno(err, "fork");
  }
  if (pid == 0) {
    close(p[0]);
    keep_error *e = NULL;
    if (setns(h->userns_fd, CLONE_NEWUSER) < 0)
      keep_fail_errno(&e, "enter the user namespace of your networks (keep-netns %d)", (int) h->pid);
    else if (setns(h->netns_fd, CLONE_NEWNET) < 0)
      keep_fail_errno(&e, "enter the network namespace of your networks (keep-netns %d)", (int) h->pid);
    else if (fn(arg, &e) == 0)
      _exit(0);
    cleanup_free char *msg = keep_error_format(e);
    write_all(p[1], msg, strlen(msg));
    _exit(1);
  }
  close(p[1]);
  char msg[1024] = "";
  ssize_t n = read_all(p[0], msg, sizeof(msg) - 1);
  close(p[0]);
  msg[n > 0 ? n : 0] = '\0';
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  /* keep_error_format's text starts with the program's name: drop it. */
  const char *m =
      strncmp(msg, keep_progname, strlen(keep_progname)) == 0 ? msg + strlen(keep_progname) + 2 : msg;
  return keep_fail(err, 0, "%s", *m ? m : "the network step in your network namespace failed");
}
