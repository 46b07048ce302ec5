/* keep pull: registry -> trust policy -> verified blobs -> store -> layers. */
#ifndef KEEP_IMAGE_PULL_H
#define KEEP_IMAGE_PULL_H

#include "error.h"
#include "registry.h"
#include "store.h"

struct keep_pull_opts {
  struct keep_registry_opts registry;
  const char *platform;     /* "linux/amd64" */
  const char *policy;       /* policy.json path, or NULL for the usual places */
  const char *registries_d; /* registries.d directory (lookaside config), or NULL */
};

/* *name: the store key the image is filed under (caller frees). */
int keep_image_pull(struct keep_store *s, const char *ref, const struct keep_pull_opts *o, char *digest_out,
                    char **name, keep_error **err);

#endif
