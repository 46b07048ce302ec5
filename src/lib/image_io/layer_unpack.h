/* Unpack one image layer (a tar, gzip- or zstd-compressed) into an empty
 * directory, so that nothing can be written outside it.
 *
 * Every entry is created relative to a directory fd that was resolved
 * beneath the layer root with RESOLVE_NO_SYMLINKS, so `../`, absolute
 * names, a symlink planted earlier in the tar and hardlinks to files
 * outside the root are all refused, not followed.  Whiteouts become
 * overlayfs whiteouts (0:0 character devices) and opaque markers
 * (user.overlay.opaque), ready to be stacked with overlayfs. */
#ifndef KEEP_LAYER_UNPACK_H
#define KEEP_LAYER_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "image_manifest.h"

struct keep_unpack_opts {
  enum keep_layer_compression compression;
  bool chown; /* set owners: uid + uid_shift (root); off rootless */
  uint32_t uid_shift, gid_shift;
  uint32_t id_count;   /* ids the container maps; owners beyond are refused */
  bool allow_devices;  /* device nodes: false in every keep unpack today */
  const char *digest;  /* the blob's digest, checked over every byte read */
  const char *diff_id; /* the uncompressed tar's digest, or NULL */
};

struct keep_unpack_stats {
  uint64_t entries;
  uint64_t bytes;     /* file content written */
  uint64_t setid;     /* setuid/setgid files kept */
  char **setid_paths; /* the first of them (caller frees with strv_free) */
};

int keep_layer_unpack(int blobfd, int rootfd, const struct keep_unpack_opts *o, struct keep_unpack_stats *st,
                      keep_error **err);

/* Pure: the clean relative form of a tar entry name ("./a//b/" -> "a/b"),
 * "" for the root itself; refuses absolute names and "..". */
int keep_layer_path_clean(const char *name, char **out, keep_error **err);

#endif
