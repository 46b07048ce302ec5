/* The image store: content-addressed blobs, unpacked layers and tags.
 *
 *   <root>/blobs/sha256/<hex>   verified blobs, read-only
 *   <root>/layers/<uid>/<hex>   a layer blob unpacked, owned from host uid <uid> up
 *   <root>/tmp/                 blobs and layers being written; never "complete"
 *   <root>/refs.json            tag -> manifest digest
 *   <root>/trust/<hex>.<basis>  why a manifest was accepted (image_trust.h)
 *   <root>/lock                 shared by writers and users, exclusive for gc
 *
 * Every blob is written to tmp/, hashed on the way, and renamed into blobs/
 * only when its digest matches: a crash, a full disk or a lying server can
 * leave litter in tmp/ but never a blob that looks complete. */
#ifndef KEEP_STORE_H
#define KEEP_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"

struct keep_store {
  char *root;
  int dirfd;          /* the store's root directory */
  int lockfd;         /* <root>/lock, held shared while open */
  bool rootless;      /* layers keep the caller's ownership */
  uint32_t uid_shift; /* host uid of container root (0 when rootless) */
  uint32_t gid_shift;
};

/* Open (creating on first use) the store of the caller: $KEEP_STORE, else
 * /var/lib/keep for root, $XDG_DATA_HOME/keep for a user.  Takes the store
 * lock shared, or exclusive for gc. */
int keep_store_open(struct keep_store *s, bool exclusive, keep_error **err);
void keep_store_close(struct keep_store *s);

struct keep_blob_writer {
  int fd;
  char *tmp; /* name under tmp/ */
  struct keep_hasher *h;
  uint64_t size;
};

int keep_blob_begin(struct keep_store *s, struct keep_blob_writer *w, keep_error **err);
/* Continue tmp/<hex>.partial (resumable download of `digest`): takes its
 * lock, re-hashes what is there and sets w->size to its length. */
int keep_blob_resume(struct keep_store *s, const char *digest, struct keep_blob_writer *w, keep_error **err);
int keep_blob_write(struct keep_blob_writer *w, const void *buf, size_t n, keep_error **err);
/* Check the content against `expect` (NULL: accept what it hashes to),
 * fsync, and rename into blobs/.  `digest_out` (KEEP_DIGEST_LEN+1) may be NULL.
 * The writer is released either way. */
int keep_blob_commit(struct keep_store *s, struct keep_blob_writer *w, const char *expect, char *digest_out,
                     keep_error **err);
void keep_blob_abort(struct keep_store *s, struct keep_blob_writer *w);
/* Release the writer but leave its file (a partial download to resume). */
void keep_blob_abort_keep(struct keep_blob_writer *w);
int keep_blob_put(struct keep_store *s, const void *buf, size_t n, const char *expect, char *digest_out,
                  keep_error **err);

bool keep_blob_exists(struct keep_store *s, const char *digest);
int keep_blob_size(struct keep_store *s, const char *digest, uint64_t *size);
void keep_blob_remove(struct keep_store *s, const char *digest);
int keep_blob_open(struct keep_store *s, const char *digest, keep_error **err);
/* Read a small blob (JSON) whole, checking its digest first. */
int keep_blob_read(struct keep_store *s, const char *digest, char **out, size_t *len, keep_error **err);
/* Re-hash a stored blob; an error says which one is corrupt. */
int keep_blob_verify(struct keep_store *s, const char *digest, uint64_t *size, keep_error **err);

/* Tags: an object name -> "sha256:..." (new reference). */
int keep_refs_load(struct keep_store *s, json_t **out, keep_error **err);
/* Set (digest) or remove (digest NULL) one tag, atomically. */
int keep_refs_update(struct keep_store *s, const char *name, const char *digest, keep_error **err);

/* Remove a directory tree below dirfd without following any symlink. */
int keep_remove_tree(int dirfd, const char *name, keep_error **err);

#endif
