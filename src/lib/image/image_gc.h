#ifndef KEEP_IMAGE_GC_H
#define KEEP_IMAGE_GC_H

#include <stdint.h>

#include "error.h"
#include "store.h"

struct keep_gc_stats {
  uint64_t blobs, layers, tmp; /* entries removed */
  uint64_t bytes;              /* blob and tmp bytes freed */
  uint64_t in_use;             /* layers skipped: a container has them mounted */
};

/* Needs the store opened exclusive. */
int keep_image_gc(struct keep_store *s, struct keep_gc_stats *st, keep_error **err);

#endif
