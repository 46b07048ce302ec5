/* Image manifests, indexes and configs (OCI image-spec and Docker schema 2),
 * parsed from JSON text.  Pure logic: every field that later names a file
 * (a digest) is validated here, and every error names the field. */
#ifndef KEEP_IMAGE_MANIFEST_H
#define KEEP_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define KEEP_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define KEEP_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define KEEP_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define KEEP_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define KEEP_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define KEEP_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct keep_descriptor {
  char *media_type;
  char *digest;
  int64_t size;
};

struct keep_manifest {
  char *media_type;
  struct keep_descriptor config;
  struct keep_descriptor *layers;
  size_t n_layers;
};

enum keep_manifest_kind { KEEP_MANIFEST_IMAGE, KEEP_MANIFEST_INDEX };

/* Documents are len bytes of JSON (a NUL inside is refused, never read as
 * the end).  Which kind a document is: by mediaType, else by its shape. */
int keep_manifest_kind(const char *text, size_t len, enum keep_manifest_kind *kind, keep_error **err);
int keep_manifest_parse(const char *text, size_t len, struct keep_manifest *m, keep_error **err);
void keep_manifest_free(struct keep_manifest *m);

/* "linux/amd64" for this machine. */
char *keep_platform_default(void);
/* Pick the manifest for `platform` ("os/arch[/variant]") from an index. */
int keep_index_select(const char *text, size_t len, const char *platform, struct keep_descriptor *out,
                      keep_error **err);
void keep_descriptor_free(struct keep_descriptor *d);

struct keep_image_config {
  char *user;
  char **env;
  char **entrypoint;
  char **cmd;
  char *workdir;
  char *stop_signal;
  char **exposed_ports;
  char *os, *architecture, *created;
  char **diff_ids;
};

int keep_image_config_parse(const char *text, size_t len, struct keep_image_config *c, keep_error **err);
void keep_image_config_free(struct keep_image_config *c);

/* Compression of a layer, from its media type. */
enum keep_layer_compression { KEEP_LAYER_TAR, KEEP_LAYER_GZIP, KEEP_LAYER_ZSTD };
int keep_layer_media_type(const char *mt, enum keep_layer_compression *c, keep_error **err);

#endif
