#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_ref.h"
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
  json_object_foreach (refs, tag, v) {
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
  size_t mlen = 0, clen = 0;
  if (keep_blob_read(s, digest, &mtext, &mlen, err) < 0)
    return keep_error_wrap(err, "image %.19s", digest);
  if (keep_manifest_parse(mtext, mlen, &img->manifest, err) < 0)
    return keep_error_wrap(err, "image %.19s", digest);
  if (keep_blob_read(s, img->manifest.config.digest, &ctext, &clen, err) < 0 ||
      keep_image_config_parse(ctext, clen, &img->config, err) < 0) {
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

int keep_image_layers_dir(struct keep_store *s, keep_error **err)
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
  cleanup_close int dir = keep_image_layers_dir(s, err);
  if (dir < 0)
    return NULL;
  if (mkdirat(dir, ".empty", 0755) < 0 && errno != EEXIST) {
    keep_fail_errno(err, "create `%s/layers/%u/.empty`", s->root, s->uid_shift);
    return NULL;
  }
  return xasprintf("%s/layers/%u/.empty", s->root, s->uid_shift);
}

int keep_image_layer_dirs(struct keep_store *s, const struct keep_image *img, char ***dirs, keep_error **err)
{
  cleanup_close int dir = keep_image_layers_dir(s, err);
  if (dir < 0)
    return -1;
  char **out = NULL;
  for (size_t i = 0; i < img->manifest.n_layers; i++) {
    const char *hex = keep_digest_hex(img->config.diff_ids[i]);
    struct stat st;
    if (fstatat(dir, hex, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      strv_free(out);
      keep_fail(err, ENOENT, "layer %zu (%.19s) of image %.19s is not unpacked for uid %u", i,
                img->config.diff_ids[i], img->digest, s->uid_shift);
      return keep_error_hint(err, "`keep image unpack %s` unpacks it", img->digest);
    }
    cleanup_free char *p = xasprintf("%s/layers/%u/%s", s->root, s->uid_shift, hex);
    strv_push(&out, p);
  }
  *dirs = out;
  return 0;
}

int keep_image_setid_files(struct keep_store *s, const struct keep_image *img, char ***paths, uint64_t *count,
                           keep_error **err)
{
  *paths = NULL;
  *count = 0;
  cleanup_close int dir = keep_image_layers_dir(s, err);
  if (dir < 0)
    return -1;
  for (size_t i = 0; i < img->manifest.n_layers; i++) {
    cleanup_free char *name = xasprintf("%s.json", keep_digest_hex(img->config.diff_ids[i]));
    cleanup_error keep_error *e = NULL;
    json_t *j = keep_json_load_file_at(dir, name, 0, &e);
    if (j == NULL)
      continue; /* unpacked by an older keep: nothing recorded */
    *count += (uint64_t) json_integer_value(json_object_get(j, "setid_count"));
    size_t k;
    json_t *v;
    json_array_foreach (json_object_get(j, "setid"), k, v)
      if (json_is_string(v))
        strv_push(paths, json_string_value(v));
    json_decref(j);
  }
  return 0;
}
