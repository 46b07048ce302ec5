/* keep-pid1: PID 1 of a `keep run` container once its workload runs.
 *
 * keep's init sets the container up, starts the workload, then executes
 * this (from a sealed in-memory copy, like keep itself: nothing inside can
 * reach a file of the host through /proc/1/exe) so that what stays for the
 * container's life is a program of a few pages, not a copy of keep.  It
 * forwards every signal to the workload, reaps orphans, and exits with the
 * workload's status (128+N when killed by signal N); when it exits, the
 * kernel ends everything else in the pid namespace.
 *
 * It is linked statically with musl: the container's root need not hold a
 * C library.  It keeps CAP_KILL (to signal a workload of another uid) and
 * nothing else, and has no descriptor but stdio and its signalfd.  Signals
 * stay blocked across the exec, so none sent meanwhile is lost.
 *
 * keep's init runs it, never a person, with no argument: its first child is
 * the workload (so /proc/1/cmdline stays `keep-init`). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pid1_loop.h"
#include <unistd.h>

/* The workload: our first child.  PID 1 of a new pid namespace forks it
 * first, so it has the lowest pid of our children (another may exist: a
 * helper of `keep trace` that PID 1 reaps). */
static pid_t workload_child(void)
{
  char buf[4096];
  int fd = open("/proc/self/task/1/children", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  long lowest = -1;
  for (char *p = buf, *end; *p; p = end) {
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    if (v > 1 && (lowest < 0 || v < lowest))
      lowest = v;
  }
  return (pid_t) lowest;
}

int main(int argc, char **argv)
{
  /* First: nothing in the container may read or trace PID 1. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_NAME, "keep-init", 0, 0, 0);
  (void) argc, (void) argv;
  pid_t workload = workload_child();
  if (workload <= 1)
    return 125; /* the workload is killed with PID 1 */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  int sigfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sigfd < 0) {
    kill(workload, SIGKILL);
    return 125;
  }
  keep_pid1_loop(workload, sigfd);
}
