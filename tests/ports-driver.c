/* keep_portfwd_start against a stand-in container, for tests/cases/ports.sh.
 *   ports-driver [--userns] PID SPEC...
 * Publishes each SPEC into the network namespace of PID (entering its user
 * namespace first with --userns, as a normal user's keep does), prints
 * "forwarder FWDPID" and one "port IP:HOST->CTR/PROTO" line per spec, then
 * waits for the forwarder and prints "forwarder exited STATUS".  An error is
 * one line on stderr and exit status 125. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portfwd.h"
#include "util.h"

static int fail(keep_error *err)
{
  keep_error_print(err);
  keep_error_free(&err);
  return 125;
}

static int fail_errno(const char *what, const char *operand)
{
  keep_error *err = NULL;
  keep_fail_errno(&err, "%s `%s`", what, operand);
  return fail(err);
}

int main(int argc, char **argv)
{
  keep_error *err = NULL;
  int a = 1;
  bool userns = a < argc && strcmp(argv[a], "--userns") == 0;
  a += userns;
  if (argc - a < 2) {
    fprintf(stderr, "usage: ports-driver [--userns] PID SPEC...\n");
    return 2;
  }
  const char *pid = argv[a++];
  size_t n = (size_t) (argc - a);
  struct keep_port *ports = xcalloc(n, sizeof(*ports));
  for (size_t i = 0; i < n; i++)
    if (keep_port_parse(argv[a + (int) i], &ports[i], &err) < 0)
      return fail(err);

  char path[64];
  snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
  int netns = open(path, O_RDONLY | O_CLOEXEC);
  if (netns < 0)
    return fail_errno("open", path);
  int user = -1;
  if (userns) {
    snprintf(path, sizeof(path), "/proc/%s/ns/user", pid);
    user = open(path, O_RDONLY | O_CLOEXEC);
    if (user < 0)
      return fail_errno("open", path);
  }
  int pidfd = (int) syscall(SYS_pidfd_open, atoi(pid), 0);
  if (pidfd < 0)
    return fail_errno("pidfd_open", pid);

  pid_t fwd;
  if (keep_portfwd_start(ports, n, netns, user, pidfd, &fwd, &err) < 0)
    return fail(err);
  printf("forwarder %d\n", (int) fwd);
  for (size_t i = 0; i < n; i++) {
    char buf[96];
    keep_port_format(&ports[i], buf, sizeof(buf));
    printf("port %s%s\n", buf, ports[i].weaker ? " weaker" : "");
  }
  fflush(stdout);
  int status = 0;
  while (waitpid(fwd, &status, 0) < 0)
    ;
  printf("forwarder exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  free(ports);
  return 0;
}
