/* Reclaim what no tag reaches: blobs, unpacked layers, trust records,
 * litter in tmp/.
 * Runs with the store locked exclusively, so no pull or load is midway; a
 * layer a running container has mounted is locked by that container's keep
 * and skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "image_gc.h"
#include "image_trust.h"
#include "util.h"

static bool in(char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

static int live_sets(struct keep_store *s, char ***blobs, char ***layers, char ***trust, keep_error **err)
{
  json_t *refs = NULL;
  if (keep_refs_load(s, &refs, err) < 0)
    return -1;
  const char *tag;
  json_t *v;
  json_object_foreach (refs, tag, v) {
    const char *md = json_string_value(v);
    struct keep_image img;
    cleanup_error keep_error *e = NULL;
    if (md == NULL)
      continue;
    strv_push(blobs, keep_digest_hex(md));
    keep_trust_record_names(md, trust);
    cleanup_free char *flat = xasprintf("vfs-%s", keep_digest_hex(md));
    strv_push(layers, flat);
    /* A damaged image keeps what it still names; `keep verify` reports it. */
    if (keep_image_open(s, md, &img, &e) < 0)
      continue;
    strv_push(blobs, keep_digest_hex(img.manifest.config.digest));
    for (size_t i = 0; i < img.manifest.n_layers; i++) {
      strv_push(blobs, keep_digest_hex(img.manifest.layers[i].digest));
      strv_push(layers, keep_digest_hex(img.config.diff_ids[i]));
      cleanup_free char *meta = xasprintf("%s.json", keep_digest_hex(img.config.diff_ids[i]));
      strv_push(layers, meta);
    }
    keep_image_free(&img);
  }
  json_decref(refs);
  return 0;
}

static int sweep(int parent, const char *what, char *const *keep, bool lock_first, struct keep_gc_stats *st,
                 uint64_t *count, keep_error **err)
{
  cleanup_close int fd = openat(parent, what, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : keep_fail_errno(err, "open `%s`", what);
  DIR *d = fdopendir(fd);
  if (d == NULL)
    return keep_fail_errno(err, "read `%s`", what);
  fd = -1;
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir(d)) != NULL) {
    const char *n = de->d_name;
    if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, ".empty") == 0 || strcmp(n, ".rw") == 0 ||
        in(keep, n))
      continue;
    cleanup_close int lk = -1;
    if (lock_first) {
      /* A running container holds its layers locked shared. */
      lk = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (lk >= 0 && flock(lk, LOCK_EX | LOCK_NB) < 0) {
        st->in_use++;
        continue;
      }
    }
    struct stat sb;
    if (fstatat(dirfd(d), n, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode))
      st->bytes += (uint64_t) sb.st_size;
    r = keep_remove_tree(dirfd(d), n, err);
    if (r == 0)
      (*count)++;
  }
  closedir(d);
  return r;
}

int keep_image_gc(struct keep_store *s, struct keep_gc_stats *st, keep_error **err)
{
  memset(st, 0, sizeof(*st));
  cleanup_strv char **blobs = NULL, **layers = NULL, **trust = NULL;
  if (live_sets(s, &blobs, &layers, &trust, err) < 0)
    return -1;
  /* Trust records go with their manifest: a record left behind would vouch
   * for whatever is loaded under that digest later, on an old decision. */
  uint64_t records = 0;
  if (sweep(s->dirfd, "blobs/sha256", blobs, false, st, &st->blobs, err) < 0 ||
      sweep(s->dirfd, "trust", trust, false, st, &records, err) < 0 ||
      sweep(s->dirfd, "tmp", NULL, false, st, &st->tmp, err) < 0)
    return -1;
  /* Every uid shift keep has unpacked for (root's range may change). */
  cleanup_close int lfd = openat(s->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (lfd < 0)
    return errno == ENOENT ? 0 : keep_fail_errno(err, "open `%s/layers`", s->root);
  DIR *d = fdopendir(lfd);
  if (d == NULL)
    return keep_fail_errno(err, "read `%s/layers`", s->root);
  lfd = -1;
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir(d)) != NULL)
    if (de->d_name[0] != '.')
      r = sweep(dirfd(d), de->d_name, layers, true, st, &st->layers, err);
  closedir(d);
  return r;
}
