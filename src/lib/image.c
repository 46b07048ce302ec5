#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_ref.h"
#include "layer_unpack.h"
#include "userns.h"
#include "util.h"

static bool is_hex(const char *s)
{
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

static int resolve_id_prefix(struct keep_store *s, json_t *refs, const char *prefix, char **digest,
                             keep_error **err)
{
  const char *tag;
  json_t *v;
  const char *found = NULL;
  json_object_foreach(refs, tag, v) {
    const char *md = json_string_value(v);
    struct keep_image img;
    cleanup_error keep_error *e = NULL;
    if (md == NULL || keep_image_open(s, md, &img, &e) < 0)
      continue;
    bool match = str_has_prefix(keep_digest_hex(img.manifest.config.digest), prefix);
    keep_image_free(&img);
    if (!match)
      continue;
    if (found && strcmp(found, md) != 0)
      return keep_fail(err, 0, "image ID prefix `%s` matches more than one image", prefix);
    found = md;
  }
  if (found == NULL)
    return keep_fail(err, ENOENT, "no image `%s` in the store", prefix);
  *digest = xstrdup(found);
  return 0;
}

int keep_image_resolve(struct keep_store *s, const char *ref, char **digest, keep_error **err)
{
  if (keep_digest_valid(ref)) {
    if (!keep_blob_exists(s, ref))
      return keep_fail(err, ENOENT, "no image %s in the store", ref);
    *digest = xstrdup(ref);
    return 0;
  }
  json_t *refs = NULL;
  if (keep_refs_load(s, &refs, err) < 0)
    return -1;
  int r = -1;
  size_t n = strlen(ref);
  if (n >= 4 && n <= KEEP_DIGEST_HEX && is_hex(ref) && json_object_get(refs, ref) == NULL) {
    cleanup_error keep_error *e = NULL;
    struct keep_image_ref parsed;
    /* A name made only of hex digits is a tag first, an ID second. */
    if (keep_image_ref_parse(ref, &parsed, &e) == 0) {
      cleanup_free char *tagged = keep_image_ref_tagged(&parsed);
      bool tagged_exists = tagged && json_object_get(refs, tagged);
      keep_image_ref_free(&parsed);
      if (!tagged_exists) {
        r = resolve_id_prefix(s, refs, ref, digest, err);
        goto out;
      }
    }
  }
  struct keep_image_ref parsed;
  if (keep_image_ref_parse(ref, &parsed, err) < 0)
    goto out;
  if (parsed.digest) {
    if (!keep_blob_exists(s, parsed.digest)) {
      keep_fail(err, ENOENT, "no image %s in the store", parsed.digest);
    } else {
      *digest = xstrdup(parsed.digest);
      r = 0;
    }
  } else {
    cleanup_free char *tagged = keep_image_ref_tagged(&parsed);
    const char *md = json_string_value(json_object_get(refs, tagged));
    if (md == NULL) {
      keep_fail(err, ENOENT, "no image `%s` in the store", tagged);
      keep_error_hint(err, "`keep pull %s` or `keep load FILE` first; `keep images` lists what is here", ref);
    } else {
      *digest = xstrdup(md);
      r = 0;
    }
  }
  keep_image_ref_free(&parsed);
out:
  json_decref(refs);
  return r;
}

int keep_image_open(struct keep_store *s, const char *digest, struct keep_image *img, keep_error **err)
{
  memset(img, 0, sizeof(*img));
  cleanup_free char *mtext = NULL, *ctext = NULL;
  if (keep_blob_read(s, digest, &mtext, NULL, err) < 0)
    return keep_error_wrap(err, "image %.19s", digest);
  if (keep_manifest_parse(mtext, &img->manifest, err) < 0)
    return keep_error_wrap(err, "image %.19s", digest);
  if (keep_blob_read(s, img->manifest.config.digest, &ctext, NULL, err) < 0 ||
      keep_image_config_parse(ctext, &img->config, err) < 0) {
    keep_manifest_free(&img->manifest);
    return keep_error_wrap(err, "image %.19s: config", digest);
  }
  size_t nd = strv_len(img->config.diff_ids);
  if (nd != img->manifest.n_layers) {
    keep_image_free(img);
    return keep_fail(err, 0, "image %.19s: the config lists %zu layers (rootfs.diff_ids), the manifest %zu",
                     digest, nd, img->manifest.n_layers);
  }
  img->digest = xstrdup(digest);
  return 0;
}

void keep_image_free(struct keep_image *img)
{
  free(img->digest);
  keep_manifest_free(&img->manifest);
  keep_image_config_free(&img->config);
  memset(img, 0, sizeof(*img));
}

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
  if (tag && keep_refs_update(s, tag, digest, err) < 0)
    goto out;
  if (digest_out)
    memcpy(digest_out, digest, sizeof(digest));
  r = 0;
out:
  keep_manifest_free(&m);
  return r;
}

static int layers_dir(struct keep_store *s, keep_error **err)
{
  cleanup_free char *rel = xasprintf("layers/%u", s->uid_shift);
  if (mkdirat(s->dirfd, rel, 0711) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "create `%s/%s`", s->root, rel);
  int fd = openat(s->dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s/%s`", s->root, rel);
  return fd;
}

char *keep_image_empty_layer(struct keep_store *s, keep_error **err)
{
  cleanup_close int dir = layers_dir(s, err);
  if (dir < 0)
    return NULL;
  if (mkdirat(dir, ".empty", 0755) < 0 && errno != EEXIST) {
    keep_fail_errno(err, "create `%s/layers/%u/.empty`", s->root, s->uid_shift);
    return NULL;
  }
  return xasprintf("%s/layers/%u/.empty", s->root, s->uid_shift);
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
  cleanup_close int root = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) {
    keep_fail_errno(err, "open `%s`", tmp);
    goto out;
  }
  if (!s->rootless && fchown(root, s->uid_shift, s->gid_shift) < 0) {
    keep_fail_errno(err, "chown `%s`", tmp);
    goto out;
  }
  if (keep_layer_unpack(blob, root, &o, NULL, err) < 0) {
    keep_error_wrap(err, "layer %.19s", d->digest);
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
  cleanup_close int dir = layers_dir(s, err);
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
