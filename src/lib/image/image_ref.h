/* Image references as Docker and Podman users write them:
 *   busybox                      -> docker.io/library/busybox:latest
 *   127.0.0.1:5000/tools/sh:1.2  -> registry 127.0.0.1:5000, repository tools/sh, tag 1.2
 *   name@sha256:<hex>            -> pinned to a manifest digest
 * Pure logic, no I/O. */
#ifndef KEEP_IMAGE_REF_H
#define KEEP_IMAGE_REF_H

#include <stdbool.h>

#include "error.h"

struct keep_image_ref {
  char *registry;   /* "docker.io", "localhost", "127.0.0.1:5000" */
  char *repository; /* "library/busybox" */
  char *tag;        /* NULL only when pinned by digest and no tag was given */
  char *digest;     /* "sha256:<hex>" or NULL */
};

/* Registry 255 + repository 255 + tag 128 + a digest, with separators. */
#define KEEP_IMAGE_REF_MAX 1024

/* A control character anywhere is refused first (the error shows it escaped). */
int keep_image_ref_parse(const char *s, struct keep_image_ref *out, keep_error **err);
void keep_image_ref_free(struct keep_image_ref *r);
/* "registry/repository" */
char *keep_image_ref_name(const struct keep_image_ref *r);
/* The key the store files a tag under: "registry/repository:tag" (NULL when untagged). */
char *keep_image_ref_tagged(const struct keep_image_ref *r);
/* The canonical form: name[:tag][@digest]. */
char *keep_image_ref_string(const struct keep_image_ref *r);
/* Loopback registries may use plain HTTP without being named insecure. */
bool keep_registry_is_loopback(const char *registry);

#endif
