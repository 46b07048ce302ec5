/* keep seccomp default: print the default profile (Docker JSON format). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "seccomp_filter.h"
#include "util.h"

int cmd_seccomp(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "default") == 0) {
    cleanup_error keep_error *err = NULL;
    if (keep_seccomp_print_default(stdout, &err) < 0) {
      keep_error_print(err);
      return EXIT_KEEP_FAILED;
    }
    return 0;
  }
  fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
          "Usage: keep seccomp default\n\nPrint keep's default seccomp profile as Docker-format "
          "JSON (usable with --security-opt seccomp=FILE after editing).\n");
  return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : EXIT_KEEP_FAILED;
}
