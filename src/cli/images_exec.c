/* keep's image commands live in a second program, keep-images, which links
 * libcurl, libarchive, gpgme and libyaml.  keep itself stays small: every
 * `keep run` maps a handful of libraries, twice (the sealed re-exec), instead
 * of fifty. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "keep_build_config.h"
#include "util.h"

static const char *const image_commands[] = {"pull",  "load",   "images", "rmi",
                                             "image", "verify", "sign",   NULL};

bool keep_is_image_command(const char *cmd)
{
  for (size_t i = 0; image_commands[i]; i++)
    if (strcmp(cmd, image_commands[i]) == 0)
      return true;
  return false;
}

int keep_exec_images(int argc, char **argv)
{
  (void) argc;
  /* Beside this keep (a build tree, or a single install directory), else
   * where it was installed. */
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  cleanup_free char *beside = NULL;
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      beside = xasprintf("%s/keep-images", self);
    }
  }
  const char *paths[] = {beside, KEEP_LIBEXEC_DIR "/keep-images"};
  char **args = xcalloc((size_t) argc + 2, sizeof(char *));
  args[0] = (char *) "keep";
  for (int i = 0; i < argc; i++)
    args[i + 1] = argv[i];
  int e = ENOENT;
  for (size_t i = 0; i < 2; i++) {
    if (paths[i] == NULL)
      continue;
    execv(paths[i], args);
    if (errno != ENOENT)
      e = errno;
  }
  free(args);
  fprintf(stderr, "keep %s: cannot run keep-images (looked beside keep and in %s): %s\n", argv[0],
          KEEP_LIBEXEC_DIR, strerror(e));
  return EXIT_KEEP_FAILED;
}
