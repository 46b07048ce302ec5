/* keep: a container runtime whose containers contain. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "commands.h"
#include "keep_build_config.h"
#include "sealed_exec.h"
#include "util.h"

/* Commands that start container processes re-execute keep from a sealed
 * memfd first (CVE-2019-5736): a container must never reach our binary. */
static const struct keep_command keep_commands[] = {
  {"run", cmd_run, true},
  {"gc", cmd_gc, false},
  {"seccomp", cmd_seccomp, false},
  {NULL, NULL, false},
};

static void usage(FILE *out)
{
  fprintf(out,
          "Usage: keep COMMAND [OPTIONS]\n"
          "\n"
          "Run programs in containers with every defence on by default.\n"
          "\n"
          "Commands:\n"
          "  run       run a command in a container from a root filesystem\n"
          "  gc        remove what killed containers left behind (cgroups, state)\n"
          "  seccomp   show the default seccomp profile (`keep seccomp default`)\n"
          "  version   print the version\n"
          "\n"
          "Examples:\n"
          "  keep run ./rootfs /bin/sh -c 'id; cat /proc/self/status'\n"
          "  keep run -it -v \"$PWD:/data\" ./rootfs /bin/sh\n"
          "\n"
          "`keep COMMAND --help` tells more.\n");
}

/* Descriptors 0-2 must exist, or the first file keep opens would become
 * someone's stdout. */
static void ensure_stdio(void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        dup2(n, fd);
        close(n);
      }
    }
}

int main(int argc, char **argv)
{
  ensure_stdio();
  keep_cmdline_remember(argc, argv);
  /* Other processes of the same uid (a container's root can be one after a
   * mapping mistake) must not ptrace keep or read its memory. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_NAME, "keep", 0, 0, 0);
  if (argc < 2) {
    usage(stderr);
    return EXIT_KEEP_FAILED;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("keep %s\n", KEEP_VERSION);
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  for (const struct keep_command *c = keep_commands; c->name; c++) {
    if (strcmp(cmd, c->name) != 0)
      continue;
    if (c->sealed) {
      keep_error *err = NULL;
      if (keep_ensure_sealed_self(argv, &err) < 0) {
        keep_error_print(err);
        return EXIT_KEEP_FAILED;
      }
    }
    return c->fn(argc - 1, argv + 1);
  }
  fprintf(stderr, "keep: unknown command `%s` (see `keep --help`)\n", cmd);
  return EXIT_KEEP_FAILED;
}
