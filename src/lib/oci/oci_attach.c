/* The wait of an attached run (`keep run`, `keep run --bundle`): relay the
 * terminal, forward signals to the container, and return its status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "oci_runtime.h"
#include "terminal.h"
#include "util.h"

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

static int wait_loop(const struct keep_oci_attach *a, int *exit_code, keep_error **err)
{
  cleanup_close int sigfd = signalfd(-1, a->mask, SFD_CLOEXEC);
  if (sigfd < 0)
    return keep_fail_errno(err, "signalfd");
  /* With a terminal it is relayed; stdin only when interactive (-i). */
  bool in_open = a->master >= 0 && a->interactive;
  bool out_open = a->master >= 0;
  for (;;) {
    struct pollfd p[3] = {{.fd = sigfd, .events = POLLIN},
                          {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                          {.fd = out_open ? a->master : -1, .events = POLLIN}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return keep_fail_errno(err, "poll");
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
      pump(a->master, STDOUT_FILENO, &out_open);
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      pump(STDIN_FILENO, a->master, &in_open);
      if (!in_open) {
        /* End of input: tell the container's terminal (like ^D). */
        char eof = 4;
        if (write(a->master, &eof, 1) < 0)
          out_open = out_open && errno != EIO;
      }
    }
    if (!(p[0].revents & POLLIN))
      continue;
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof(si)) != (ssize_t) sizeof(si))
      continue;
    if (si.ssi_signo == SIGWINCH) {
      if (a->master >= 0)
        keep_tty_copy_size(STDIN_FILENO, a->master);
      continue;
    }
    if (si.ssi_signo != SIGCHLD) {
      /* "stop" means the image's StopSignal */
      int sig = si.ssi_signo == SIGTERM && a->stop_signal ? a->stop_signal : (int) si.ssi_signo;
      kill(a->child, sig);
      continue;
    }
    int status = 0;
    if (waitpid(a->child, &status, WNOHANG) != a->child)
      continue;
    while (out_open && a->master >= 0) {
      /* Drain what the process wrote just before it exited. */
      struct pollfd d = {.fd = a->master, .events = POLLIN};
      if (poll(&d, 1, 0) <= 0)
        break;
      pump(a->master, STDOUT_FILENO, &out_open);
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
  }
}

int keep_oci_attach(const struct keep_oci_attach *a, int *exit_code, keep_error **err)
{
  struct termios saved;
  bool raw = false;
  if (a->master >= 0 && a->interactive && isatty(STDIN_FILENO)) {
    keep_tty_copy_size(STDIN_FILENO, a->master);
    if (keep_tty_make_raw(STDIN_FILENO, &saved, err) < 0)
      return -1;
    raw = true;
  }
  int r = wait_loop(a, exit_code, err);
  if (raw)
    keep_tty_restore(STDIN_FILENO, &saved);
  return r;
}
