/* PID 1's loop once the workload runs: forward every signal to it, reap
 * orphans, and exit with its status (128+N when killed by signal N); the
 * kernel then ends everything else in the pid namespace.  One loop for
 * keep's init (oci_init.c) and for keep-pid1 (src/monitor/keep_pid1.c), a
 * static musl program that includes this file and nothing else of keep's:
 * hence a header of libc calls only.  `sigfd` is a signalfd of every signal
 * (all blocked). */
#ifndef KEEP_PID1_LOOP_H
#define KEEP_PID1_LOOP_H

#include <errno.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static noreturn void keep_pid1_loop(pid_t workload, int sigfd)
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
      if (p == workload)
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
}

#endif
