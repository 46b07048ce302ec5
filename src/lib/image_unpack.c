/* Unpacking an image's layers into the store, and recording new images
 * (which unpacks them): the part of the image code that needs libarchive,
 * linked into keep-images only. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "layer_unpack.h"
#include "userns.h"
#include "util.h"

int keep_image_commit(struct keep_store *s, const char *manifest, size_t len, const char *tag,
                      char *digest_out, keep_error **err)
{
  struct keep_manifest m;
  if (keep_manifest_parse(manifest, &m, err) < 0)
    return -1;
  int r = -1;
  if (!keep_blob_exists(s, m.config.digest)) {
    keep_fail(err, ENOENT, "manifest.config: blob %s is missing", m.config.digest);
    goto out;
  }
  for (size_t i = 0; i < m.n_layers; i++)
    if (!keep_blob_exists(s, m.layers[i].digest)) {
      keep_fail(err, ENOENT, "manifest.layers[%zu]: blob %s is missing", i, m.layers[i].digest);
      goto out;
    }
  char digest[KEEP_DIGEST_LEN + 1];
  if (keep_blob_put(s, manifest, len, NULL, digest, err) < 0)
    goto out;
  /* Unpack before the tag is filed: an image whose layers cannot be
   * unpacked safely never gets a name, and the first run starts at once. */
  struct keep_image img;
  char **dirs = NULL;
  if (keep_image_open(s, digest, &img, err) < 0)
    goto out;
  int u = keep_image_layers(s, &img, &dirs, err);
  keep_image_free(&img);
  strv_free(dirs);
  if (u < 0)
    goto out;
  /* Every blob the tag reaches is on disk before the tag is. */
  if (tag && syncfs(s->dirfd) < 0) {
    keep_fail_errno(err, "syncfs `%s`", s->root);
    goto out;
  }
  if (tag && keep_refs_update(s, tag, digest, err) < 0)
    goto out;
  if (digest_out)
    memcpy(digest_out, digest, sizeof(digest));
  r = 0;
out:
  keep_manifest_free(&m);
  return r;
}

static int unpack_layer(struct keep_store *s, int dir, const struct keep_descriptor *d, const char *diff_id,
                        keep_error **err)
{
  struct keep_unpack_opts o = {
      .chown = !s->rootless, .uid_shift = s->uid_shift, .gid_shift = s->gid_shift,
      .id_count = KEEP_SUBID_COUNT, .allow_devices = !s->rootless, .digest = d->digest, .diff_id = diff_id};
  if (keep_layer_media_type(d->media_type, &o.compression, err) < 0)
    return -1;
  cleanup_close int blob = keep_blob_open(s, d->digest, err);
  if (blob < 0)
    return -1;
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  /* Unpack beside, rename when whole: a layer directory that exists is complete. */
  cleanup_free char *tmp = xasprintf(".tmp-%s", rnd);
  if (mkdirat(dir, tmp, 0755) < 0)
    return keep_fail_errno(err, "create `%s/layers/%u/%s`", s->root, s->uid_shift, tmp);
  int r = -1;
  cleanup_free char *text = NULL, *meta_tmp = NULL, *meta_name = NULL;
  cleanup_close int root = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) {
    keep_fail_errno(err, "open `%s`", tmp);
    goto out;
  }
  if (!s->rootless && fchown(root, s->uid_shift, s->gid_shift) < 0) {
    keep_fail_errno(err, "chown `%s`", tmp);
    goto out;
  }
  struct keep_unpack_stats st = {0};
  if (keep_layer_unpack(blob, root, &o, &st, err) < 0) {
    strv_free(st.setid_paths);
    keep_error_wrap(err, "layer %.19s", d->digest);
    goto out;
  }
  /* What the layer holds that deserves a look, beside it (keep image inspect). */
  json_t *meta = json_pack("{s:I, s:I, s:I, s:o}", "entries", (json_int_t) st.entries, "bytes",
                           (json_int_t) st.bytes, "setid_count", (json_int_t) st.setid, "setid", json_array());
  for (size_t i = 0; st.setid_paths && st.setid_paths[i]; i++)
    json_array_append_new(json_object_get(meta, "setid"), json_string(st.setid_paths[i]));
  strv_free(st.setid_paths);
  text = json_dumps(meta, JSON_COMPACT);
  json_decref(meta);
  meta_tmp = xasprintf("%s.json", tmp);
  meta_name = xasprintf("%s.json", keep_digest_hex(diff_id));
  if (create_file_at(dir, meta_tmp, text, 0644, err) < 0 || renameat(dir, meta_tmp, dir, meta_name) < 0) {
    if (!*err)
      keep_fail_errno(err, "store layer metadata `%s`", meta_name);
    unlinkat(dir, meta_tmp, 0);
    goto out;
  }
  /* Durable before it is named: after a crash, a layer directory that exists
   * must not hold files the disk never received. */
  if (syncfs(dir) < 0) {
    keep_fail_errno(err, "syncfs `%s`", s->root);
    goto out;
  }
  if (renameat(dir, tmp, dir, keep_digest_hex(diff_id)) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
    keep_fail_errno(err, "store layer %.19s", d->digest);
    goto out;
  }
  r = 0;
out:
  {
    cleanup_error keep_error *ignored = NULL;
    keep_remove_tree(dir, tmp, &ignored);
  }
  return r;
}

int keep_image_layers(struct keep_store *s, const struct keep_image *img, char ***dirs, keep_error **err)
{
  cleanup_close int dir = keep_image_layers_dir(s, err);
  if (dir < 0)
    return -1;
  char **out = NULL;
  for (size_t i = 0; i < img->manifest.n_layers; i++) {
    const struct keep_descriptor *d = &img->manifest.layers[i];
    /* Keyed by the uncompressed digest: the same layer shipped gzipped by a
     * registry and plain in a `docker save` archive is unpacked once. */
    const char *hex = keep_digest_hex(img->config.diff_ids[i]);
    struct stat st;
    if (fstatat(dir, hex, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
        unpack_layer(s, dir, d, img->config.diff_ids[i], err) < 0) {
      strv_free(out);
      return -1;
    }
    cleanup_free char *p = xasprintf("%s/layers/%u/%s", s->root, s->uid_shift, hex);
    strv_push(&out, p);
  }
  *dirs = out;
  return 0;
}

