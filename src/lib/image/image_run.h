#ifndef KEEP_IMAGE_RUN_H
#define KEEP_IMAGE_RUN_H

#include <stddef.h>

#include "config.h"
#include "error.h"

/* Layer directories kept locked (shared) while a container uses them. */
struct keep_image_hold {
  int *fds;
  size_t n;
};
void keep_image_hold_release(struct keep_image_hold *h);

/* Fill c from image `ref`: its unpacked layers, command (entrypoint: NULL
 * = the image's, "" = none), env, workdir, user, stop signal.  Explicit
 * settings in c win.  driver: "overlay", "vfs" (a merged tree), or NULL
 * (overlay where it can be mounted).  *notice: a line to show, or NULL. */
int keep_image_configure(struct keep_config *c, const char *ref, const char *entrypoint, const char *driver,
                         struct keep_image_hold *hold, char **notice, keep_error **err);

#endif
