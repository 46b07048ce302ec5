/* The config.json of `keep run`: the hardened document `keep spec` prints,
 * with the image's config and the flags applied.  keep run creates and
 * starts its container from this document through the OCI create and start,
 * so what `keep spec` describes and what `keep run` does cannot differ. */
#ifndef KEEP_RUN_SPEC_H
#define KEEP_RUN_SPEC_H

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "userns.h"

/* The document for cfg with the id maps of u.  *volume_of_mount gets, per
 * mount of the document, the index in cfg->mounts of the volume it binds,
 * or -1 (free()d by the caller). */
json_t *keep_run_spec(const struct keep_config *cfg, const struct keep_userns_plan *u, int **volume_of_mount,
                      size_t *n_mounts, keep_error **err);

#endif
