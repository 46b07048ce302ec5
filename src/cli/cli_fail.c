/* The one way a command of keep's fails on an error (commands.h). */
#include "commands.h"

#include <string.h>

#include "error.h"
#include "util.h"

int keep_cli_fail(keep_error **err)
{
  keep_error_print(*err);
  keep_error_free(err);
  return EXIT_KEEP_FAILED;
}

bool cli_list_opt(int argc, char **argv, int *i, bool *json, bool *quiet)
{
  const char *a = argv[*i];
  if (strcmp(a, "--format") == 0 && *i + 1 < argc && strcmp(argv[*i + 1], "json") == 0) {
    *json = true;
    (*i)++;
  } else if (strcmp(a, "--format=json") == 0) {
    *json = true;
  } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
    *quiet = true;
  } else {
    return false;
  }
  return true;
}
