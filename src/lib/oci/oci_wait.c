/* The wait of an attached `keep run --bundle` and `keep exec`: forward the
 * signals a supervisor passes on, until the process exits. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "oci_runtime.h"
#include "util.h"

void keep_oci_block_forwarded(sigset_t *mask, sigset_t *old)
{
  /* SIGCHLD too: the wait wakes the moment the process exits. */
  static const int fwd[] = {SIGCHLD, SIGINT,   SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                            SIGUSR2, SIGWINCH, SIGCONT, SIGPIPE, SIGALRM};
  sigemptyset(mask);
  for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
    sigaddset(mask, fwd[i]);
  sigprocmask(SIG_BLOCK, mask, old);
}

int keep_oci_forward_and_wait(pid_t child, const sigset_t *mask)
{
  int status = 0;
  for (;;) {
    struct timespec tmo = {0, 50 * 1000 * 1000};
    int sig = sigtimedwait(mask, NULL, &tmo);
    if (sig > 0 && sig != SIGCHLD)
      kill(child, sig);
    pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child || (w < 0 && errno == ECHILD))
      break;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
