#ifndef KEEP_COMMANDS_H
#define KEEP_COMMANDS_H

#include <stdbool.h>

/* Each command returns the process exit status. */
int cmd_run(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_seccomp(int argc, char **argv);

struct keep_command {
  const char *name;
  int (*fn)(int argc, char **argv);
  bool sealed;  /* re-execute from a sealed copy of keep before running */
};

/* Exit statuses shared with docker and podman. */
#define EXIT_KEEP_FAILED 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

#endif
