#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void keep_fault_point(const char *name)
{
  static const char *at;
  static int read;
  if (!read) {
    at = getenv("KEEP_FAULT_KILL_AT");
    read = 1;
  }
  if (at && strcmp(at, name) == 0)
    kill(getpid(), SIGKILL);
}
