/* keep load: import images from a `docker save` archive or an OCI image
 * layout (a tar of one, or a directory).  Every file becomes a blob only
 * through the store's hash-then-rename path; names in the archive are keys,
 * never paths keep writes to. */
#ifndef KEEP_IMAGE_LOAD_H
#define KEEP_IMAGE_LOAD_H

#include "error.h"
#include "store.h"

struct keep_loaded {
  char *digest; /* manifest */
  char *tag;    /* "registry/repo:tag" or NULL */
};

/* path: a tar (plain, gzip or zstd), "-" for stdin, or an OCI layout
 * directory.  tag_override: name to give the image (only one image then).
 * platform: which manifest to take from an index. */
int keep_image_load(struct keep_store *s, const char *path, const char *tag_override, const char *platform,
                    struct keep_loaded **out, size_t *n_out, keep_error **err);
void keep_loaded_free(struct keep_loaded *l, size_t n);

#endif
