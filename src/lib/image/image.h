/* Images in the store: resolve a name, read its manifest and config (each
 * checked against its digest), unpack its layers, record a new image. */
#ifndef KEEP_IMAGE_H
#define KEEP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "image_manifest.h"
#include "store.h"

struct keep_image {
  char *digest; /* the manifest's */
  struct keep_manifest manifest;
  struct keep_image_config config;
};

/* A tag ("busybox", "127.0.0.1:5000/sh:1"), name@sha256:…, a manifest
 * digest, or a prefix (4+ hex digits) of an image ID (the config digest). */
int keep_image_resolve(struct keep_store *s, const char *ref, char **digest, keep_error **err);
int keep_image_open(struct keep_store *s, const char *digest, struct keep_image *img, keep_error **err);
void keep_image_free(struct keep_image *img);

/* image_unpack.c (keep-images only, it needs libarchive): */
/* Record a manifest whose config and layers are already in the store
 * (checking that they are, and that the config matches the layers), unpack
 * its layers, record on what basis it was accepted (`trust`), then point
 * `tag` (may be NULL) at it. */
struct keep_trust_record;
int keep_image_commit(struct keep_store *s, const char *manifest, size_t len, const char *tag,
                      const struct keep_trust_record *trust, char *digest_out, keep_error **err);

/* Unpack a layer while it downloads: an unpacker reads the blob from *feed
 * (a pipe; the caller writes every byte of the blob to it, then closes it)
 * into a directory beside `dir` (keep_image_layers_dir).  Then
 * keep_layer_stream_finish: `complete` when the whole blob went through
 * *feed and was stored, to check the unpacker's result and name the layer;
 * else the unfinished layer is thrown away (it is unpacked from the stored
 * blob later).  The unpacker checks both digests itself, as it does from a
 * stored blob. */
struct keep_layer_job;
int keep_layer_stream_start(struct keep_store *s, int dir, const struct keep_descriptor *d,
                            const char *diff_id, struct keep_layer_job **job, int *feed, keep_error **err);
int keep_layer_stream_finish(struct keep_layer_job *job, bool complete, keep_error **err);

/* The unpacked layers, bottom first, as absolute directory paths; layers
 * not unpacked yet are unpacked now (verifying the blob on the way).
 * Returns how many were unpacked (each synced to disk before it is named). */
int keep_image_layers(struct keep_store *s, const struct keep_image *img, char ***dirs, keep_error **err);
/* The unpacked layers, bottom first; an error (with the way out) when one
 * is not unpacked.  Never unpacks: `keep run` stays free of libarchive. */
int keep_image_layer_dirs(struct keep_store *s, const struct keep_image *img, char ***dirs, keep_error **err);
/* The directory of unpacked layers for this store's uid shift (an fd). */
int keep_image_layers_dir(struct keep_store *s, keep_error **err);

/* The "vfs" driver: the layers (bottom first) merged into one tree of hard
 * links, made once and kept as layers/<uid>/vfs-<manifest hex>; its path. */
char *keep_image_flatten(struct keep_store *s, const struct keep_image *img, char *const *dirs,
                         keep_error **err);

/* Setuid/setgid files the image's layers keep (recorded when unpacked). */
int keep_image_setid_files(struct keep_store *s, const struct keep_image *img, char ***paths, uint64_t *count,
                           keep_error **err);
/* The directory keep stacks under a one-layer image (overlayfs wants two). */
char *keep_image_empty_layer(struct keep_store *s, keep_error **err);

#endif
