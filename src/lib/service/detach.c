/* keep run -d: a container that outlives the command that started it.
 *
 * keep forks a process that leaves the caller's session (setsid: a closed
 * terminal's SIGHUP never reaches it), creates and starts the container
 * with its stdout and stderr on pipes, tells the caller "started" (or why
 * not), and then executes keep-monitor: the same process, so the container's
 * init stays its child, now a program of a few pages that writes the log and
 * waits.  The container is never in the monitor's namespaces or cgroup; the
 * monitor is not dumpable and lives in pid and user namespaces the container
 * cannot see, so nothing inside can trace or signal it.
 *
 * The init keeps its parent-death signal: a monitor killed with SIGKILL
 * takes its container with it (nothing runs unwatched, unlogged and
 * unlimited by a policy nobody applies); `keep ps` then shows it `dead`
 * and `keep rm` or `keep gc` removes what is left. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdbool.h>

#include "container.h"
#include "keep_build_config.h"
#include "sealed_exec.h"
#include "service.h"
#include "util.h"

static char *monitor_path(keep_error **err)
{
  char *path = keep_helper_path("keep-monitor");
  if (path == NULL)
    keep_fail(err, ENOENT, "keep-monitor not found beside `%s` nor in %s: reinstall keep", keep_self_path(),
              KEEP_LIBEXEC_DIR);
  return path;
}

/* attach.sock in the container's state directory (0700), listening before
 * the caller is told the container started: `keep attach` right after
 * `keep run -d` finds it. */
static int listen_attach(const char *dir)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if ((size_t) snprintf(a.sun_path, sizeof(a.sun_path), "%s/attach.sock", dir) >= sizeof(a.sun_path))
    return -1; /* a state directory that deep has no attach */
  unlink(a.sun_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, 2) < 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

static void keep_open_across_exec(int fd)
{
  if (fd >= 0)
    fcntl(fd, F_SETFD, 0);
}

int keep_service_start(struct keep_config *cfg, const char *record, int reuse_lock, int status_fd,
                       const int *hold_fds, size_t n_hold, keep_error **err)
{
  cleanup_free char *monitor = monitor_path(err);
  if (monitor == NULL)
    return -1;
  int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1};
  bool tty = cfg->proc.tty, interactive = cfg->proc.interactive;
  /* Output on pipes, or on the terminal the init makes (-t); stdin a pipe
   * the monitor feeds from `keep attach` (-i), else /dev/null. */
  if ((!tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)) ||
      (interactive && !tty && pipe2(in, O_CLOEXEC) < 0))
    return keep_fail_errno(err, "pipe for the container's stdio");
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2(in[0] >= 0 ? in[0] : null, 0) < 0 || dup2(out[1] >= 0 ? out[1] : null, 1) < 0 ||
      dup2(errp[1] >= 0 ? errp[1] : null, 2) < 0)
    return keep_fail_errno(err, "set up the container's stdio");
  if (!tty) {
    close(out[1]);
    close(errp[1]);
  }
  if (in[0] >= 0)
    close(in[0]);
  struct keep_handover h = {.record = record, .reuse_lock = reuse_lock};
  if (keep_container_start_detached(cfg, &h, err) < 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    return -1;
  }
  /* The monitor must hold no write end: the pipes' end of file follows the
   * container's end. */
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  close(null);
  int ofd = tty ? h.master : out[0], efd = tty ? -1 : errp[0];
  int ifd = tty && interactive ? fcntl(h.master, F_DUPFD_CLOEXEC, 3) : in[1];
  keep_open_across_exec(h.lock);
  keep_open_across_exec(ofd);
  keep_open_across_exec(efd);
  keep_open_across_exec(ifd);
  for (size_t i = 0; i < n_hold; i++)
    keep_open_across_exec(hold_fds[i]);
  cleanup_free char *dir = xasprintf("%s/%s", cfg->state_dir, cfg->id);
  int lsock = listen_attach(dir);
  keep_open_across_exec(lsock);
  char pid[16], outs[16], errs[16], ins[16], lock[16], size[32], files[16], lsocks[16];
  snprintf(pid, sizeof(pid), "%d", (int) h.pid);
  snprintf(outs, sizeof(outs), "%d", ofd);
  snprintf(errs, sizeof(errs), "%d", efd);
  snprintf(ins, sizeof(ins), "%d", ifd);
  snprintf(lock, sizeof(lock), "%d", h.lock);
  snprintf(size, sizeof(size), "%lld", (long long) cfg->svc.log_max_size);
  snprintf(files, sizeof(files), "%d", cfg->svc.log_max_file);
  snprintf(lsocks, sizeof(lsocks), "%d", lsock);
  char *argv[] = {(char *) "keep-monitor",
                  pid,
                  outs,
                  errs,
                  ins,
                  dir,
                  size,
                  files,
                  lsocks,
                  (char *) keep_self_path(),
                  (char *) "_monitor-exit",
                  (char *) "--lock",
                  lock,
                  cfg->id,
                  NULL};
  if (status_fd >= 0) {
    write_all(status_fd, "ok", 2);
    close(status_fd);
  }
  execv(monitor, argv);
  /* The caller was told it started: it must not run unwatched. */
  kill(h.pid, SIGKILL);
  return keep_fail_errno(err, "execute `%s`", monitor);
}

/* Close every descriptor the caller passed keep (a shell's, a test
 * harness's pipes) but those in keep[]: the monitor must not hold a
 * caller's pipe open for the life of the container. */
static void close_all_but(const int *keep, size_t n)
{
  int max = (int) sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536)
    max = 65536;
  for (int fd = 3; fd < max; fd++) {
    bool kept = false;
    for (size_t i = 0; i < n; i++)
      kept = kept || keep[i] == fd;
    if (!kept && fcntl(fd, F_GETFD) >= 0)
      close(fd);
  }
}

int keep_service_detach(struct keep_config *cfg, const char *record, int reuse_lock, const int *hold_fds,
                        size_t n_hold, keep_error **err)
{
  int st[2];
  if (pipe2(st, O_CLOEXEC) < 0)
    return keep_fail_errno(err, "pipe");
  fflush(NULL);
  pid_t m = fork();
  if (m < 0)
    return keep_fail_errno(err, "fork the container's monitor");
  if (m == 0) {
    close(st[0]);
    setsid();
    signal(SIGHUP, SIG_IGN);
    int *kept = xcalloc(n_hold + 2, sizeof(int));
    memcpy(kept, hold_fds, n_hold * sizeof(int));
    kept[n_hold] = st[1];
    kept[n_hold + 1] = reuse_lock;
    close_all_but(kept, n_hold + 2);
    free(kept);
    keep_error *e = NULL;
    keep_service_start(cfg, record, reuse_lock, st[1], hold_fds, n_hold, &e);
    cleanup_free char *msg = keep_error_format(e);
    write_all(st[1], msg, strlen(msg));
    _exit(125);
  }
  close(st[1]);
  /* "ok" alone, or an error then end of file.  The container's init was
   * cloned while the pipe was open: after "ok" no end of file may come. */
  char buf[4096];
  ssize_t n = 0;
  for (;;) {
    ssize_t r = read(st[0], buf + n, sizeof(buf) - 1 - (size_t) n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    n += r;
    if (n == 2 && memcmp(buf, "ok", 2) == 0) {
      close(st[0]);
      return 0;
    }
    if ((size_t) n == sizeof(buf) - 1)
      break;
  }
  close(st[0]);
  buf[n] = '\0';
  int ws = 0;
  waitpid(m, &ws, 0);
  if (n <= 0)
    return keep_fail(err, 0, "the container's monitor died while it started the container");
  size_t len = strlen(buf);
  while (len && buf[len - 1] == '\n')
    buf[--len] = '\0';
  const char *msg = buf;
  if (str_has_prefix(msg, "keep run: "))
    msg += 10;
  else if (str_has_prefix(msg, "keep: "))
    msg += 6;
  return keep_fail(err, 0, "%s", msg);
}
