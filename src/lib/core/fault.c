#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void keep_fault_point(const char *name)
{
  static const char *at;
  static int looked;
  if (!looked) {
    at = getenv("KEEP_FAULT_KILL_AT");
    looked = 1;
  }
  if (at && strcmp(at, name) == 0)
    kill(getpid(), SIGKILL);
}
