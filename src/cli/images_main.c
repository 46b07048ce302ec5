/* keep-images: the image commands of keep (`keep pull`, `keep load`, …),
 * run by keep itself; see images_exec.c for why they are a program apart. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "commands.h"
#include "util.h"

static const struct keep_command image_commands[] = {
    {"pull", cmd_pull, false}, {"load", cmd_load, false},   {"images", cmd_images, false},
    {"rmi", cmd_rmi, false},   {"image", cmd_image, false}, {"verify", cmd_verify, false},
    {"sign", cmd_sign, false}, {NULL, NULL, false},
};

int main(int argc, char **argv)
{
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  keep_progname = "keep";
  if (argc < 2) {
    fprintf(stderr, "keep-images: run through keep (keep pull, keep load, keep images, ...)\n");
    return EXIT_KEEP_FAILED;
  }
  for (const struct keep_command *c = image_commands; c->name; c++)
    if (strcmp(argv[1], c->name) == 0)
      return c->fn(argc - 1, argv + 1);
  fprintf(stderr, "keep: unknown image command `%s`\n", argv[1]);
  return EXIT_KEEP_FAILED;
}
