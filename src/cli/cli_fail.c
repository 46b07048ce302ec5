/* The one way a command of keep's fails on an error (commands.h). */
#include "commands.h"
#include "error.h"
#include "util.h"

int keep_cli_fail(keep_error **err)
{
  keep_error_print(*err);
  keep_error_free(err);
  return EXIT_KEEP_FAILED;
}
