#include "image_load.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "image.h"
#include "image_manifest.h"
#include "image_ref.h"
#include "image_trust.h"
#include "layer_unpack.h"
#include "syscalls.h"
#include "util.h"

struct entry {
  char *name;
  char *digest; /* NULL for a link until resolved */
  char *link;   /* symlink or hardlink target name */
};

struct source {
  struct keep_store *s;
  /* What every image loaded is recorded as: from a local archive, with no
   * signature checked (keep load has no trust policy to check one against). */
  struct keep_trust_record trust;
  int dirfd; /* OCI layout directory, or -1 for an archive */
  struct entry *e;
  size_t n;
};

static void source_free(struct source *src)
{
  for (size_t i = 0; i < src->n; i++) {
    free(src->e[i].name);
    free(src->e[i].digest);
    free(src->e[i].link);
  }
  free(src->e);
  keep_trust_record_free(&src->trust);
  if (src->dirfd >= 0)
    close(src->dirfd);
}

static struct entry *find(struct source *src, const char *name)
{
  for (int hops = 0; hops < 8; hops++) {
    struct entry *hit = NULL;
    for (size_t i = 0; i < src->n; i++)
      if (strcmp(src->e[i].name, name) == 0)
        hit = &src->e[i];
    if (hit == NULL || hit->link == NULL)
      return hit;
    name = hit->link;
  }
  return NULL;
}

/* "blobs/sha256/<hex>" names claim their own digest: hold them to it. */
static const char *claimed_digest(const char *name, char *buf)
{
  if (!str_has_prefix(name, "blobs/sha256/"))
    return NULL;
  snprintf(buf, KEEP_DIGEST_LEN + 1, "sha256:%s", name + 13);
  return keep_digest_valid(buf) ? buf : NULL;
}

static int import_fd(struct keep_store *s, int fd, struct archive *a, const char *name, char *digest,
                     keep_error **err)
{
  struct keep_blob_writer w;
  if (keep_blob_begin(s, &w, err) < 0)
    return -1;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = a ? archive_read_data(a, buf, sizeof(buf)) : read(fd, buf, sizeof(buf));
    if (n == 0)
      break;
    if (n < 0) {
      if (a)
        keep_fail(err, 0, "`%s`: %s", keep_q(name), archive_error_string(a));
      else
        keep_fail_errno(err, "read `%s`", keep_q(name));
      keep_blob_abort(s, &w);
      return -1;
    }
    if (keep_blob_write(&w, buf, (size_t) n, err) < 0) {
      keep_blob_abort(s, &w);
      return -1;
    }
  }
  char claim[KEEP_DIGEST_LEN + 1];
  if (keep_blob_commit(s, &w, claimed_digest(name, claim), digest, err) < 0)
    return keep_error_wrap(err, "`%s`", name);
  return 0;
}

static char *link_target(const char *entry, const char *target)
{
  if (target == NULL)
    return NULL; /* an empty link name (libarchive gives NULL) */
  cleanup_free char *joined = NULL;
  const char *slash = strrchr(entry, '/');
  if (target[0] != '/' && slash)
    joined = xasprintf("%.*s/%s", (int) (slash - entry), entry, target);
  char *clean = NULL;
  cleanup_error keep_error *ignored = NULL;
  if (keep_layer_path_clean(joined ? joined : target + (target[0] == '/'), &clean, &ignored) < 0)
    return NULL;
  return clean;
}

static int read_archive(struct source *src, const char *path, keep_error **err)
{
  struct archive *a = archive_read_new();
  if (a == NULL)
    die("out of memory");
  int r = -1;
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  bool stdin_ = strcmp(path, "-") == 0;
  int rc = stdin_ ? archive_read_open_fd(a, 0, 1 << 16) : archive_read_open_filename(a, path, 1 << 16);
  if (rc != ARCHIVE_OK) {
    keep_fail(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "open `%s`: %s", keep_q(path),
              archive_error_string(a));
    goto out;
  }
  for (;;) {
    struct archive_entry *e;
    rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      keep_fail(err, 0, "read `%s`: %s", keep_q(path), archive_error_string(a));
      goto out;
    }
    char *name = NULL;
    if (keep_layer_path_clean(archive_entry_pathname(e), &name, err) < 0) {
      keep_error_wrap(err, "`%s`", path);
      goto out;
    }
    struct entry ent = {.name = name};
    const char *hl = archive_entry_hardlink(e);
    if (hl || archive_entry_filetype(e) == AE_IFLNK) {
      ent.link = hl ? link_target("", hl) : link_target(name, archive_entry_symlink(e));
      if (ent.link == NULL) {
        free(name);
        continue; /* a link leading nowhere names nothing we read */
      }
    } else if (archive_entry_filetype(e) == AE_IFREG) {
      char digest[KEEP_DIGEST_LEN + 1];
      if (import_fd(src->s, -1, a, name, digest, err) < 0) {
        free(name);
        keep_error_wrap(err, "`%s`", path);
        goto out;
      }
      ent.digest = xstrdup(digest);
    } else {
      free(name);
      continue;
    }
    src->e = xrealloc(src->e, (src->n + 1) * sizeof(*src->e));
    src->e[src->n++] = ent;
  }
  r = 0;
out:
  archive_read_free(a);
  return r;
}

/* The blob named `name` in the source, in the store; checked against
 * `expect` when the referring document gives a digest. */
static int source_blob(struct source *src, const char *name, const char *expect, char *digest,
                       keep_error **err)
{
  if (src->dirfd >= 0) {
    cleanup_free char *clean = NULL;
    if (keep_layer_path_clean(name, &clean, err) < 0)
      return -1;
    cleanup_close int fd = (int) sys_openat2(src->dirfd, clean, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0,
                                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd < 0)
      return keep_fail_errno(err, "open `%s` in the image layout", keep_q(name));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
      return keep_fail(err, 0, "`%s` in the image layout is not a regular file", keep_q(name));
    if (import_fd(src->s, fd, NULL, clean, digest, err) < 0)
      return -1;
  } else {
    struct entry *e = find(src, name);
    if (e == NULL || e->digest == NULL)
      return keep_fail(err, ENOENT, "`%s` is missing from the archive", keep_q(name));
    memcpy(digest, e->digest, KEEP_DIGEST_LEN + 1);
  }
  if (expect && strcmp(expect, digest) != 0)
    return keep_fail(err, 0, "`%s`: content does not match its digest %s (got %s)", keep_q(name), expect,
                     digest);
  return 0;
}

static int read_json(struct source *src, const char *name, json_t **out, keep_error **err)
{
  char digest[KEEP_DIGEST_LEN + 1];
  if (source_blob(src, name, NULL, digest, err) < 0)
    return -1;
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (keep_blob_read(src->s, digest, &text, &len, err) < 0)
    return -1;
  cleanup_free char *what = xasprintf("`%s`", keep_q(name));
  *out = keep_json_parse(text, len, 0, what, err);
  return *out ? 0 : -1;
}

static void add_loaded(struct keep_loaded **out, size_t *n, const char *digest, const char *tag)
{
  *out = xrealloc(*out, (*n + 1) * sizeof(**out));
  (*out)[*n].digest = xstrdup(digest);
  (*out)[*n].tag = tag ? xstrdup(tag) : NULL;
  (*n)++;
}

static char *normalize_tag(const char *name, keep_error **err)
{
  struct keep_image_ref ref;
  if (keep_image_ref_parse(name, &ref, err) < 0)
    return NULL;
  char *t = keep_image_ref_tagged(&ref);
  keep_image_ref_free(&ref);
  if (t == NULL)
    keep_fail(err, 0, "`%s` has no tag to file the image under", keep_q(name));
  return t;
}

static char *blob_name(const char *digest)
{
  return xasprintf("blobs/sha256/%s", keep_digest_hex(digest));
}

/* Import the manifest a layout descriptor names (following an index). */
static int load_oci_manifest(struct source *src, const char *digest, const char *platform, const char *tag,
                             struct keep_loaded **out, size_t *n_out, keep_error **err)
{
  char got[KEEP_DIGEST_LEN + 1];
  cleanup_free char *name = blob_name(digest);
  if (source_blob(src, name, digest, got, err) < 0)
    return -1;
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (keep_blob_read(src->s, got, &text, &len, err) < 0)
    return -1;
  enum keep_manifest_kind kind;
  if (keep_manifest_kind(text, len, &kind, err) < 0)
    return -1;
  if (kind == KEEP_MANIFEST_INDEX) {
    struct keep_descriptor d;
    if (keep_index_select(text, len, platform, &d, err) < 0)
      return -1;
    int r = load_oci_manifest(src, d.digest, platform, tag, out, n_out, err);
    keep_descriptor_free(&d);
    return r;
  }
  struct keep_manifest m;
  if (keep_manifest_parse(text, len, &m, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; r == 0 && i <= m.n_layers; i++) {
    const char *d = i < m.n_layers ? m.layers[i].digest : m.config.digest;
    cleanup_free char *bn = blob_name(d);
    char ignored[KEEP_DIGEST_LEN + 1];
    r = source_blob(src, bn, d, ignored, err);
  }
  keep_manifest_free(&m);
  if (r < 0)
    return -1;
  char md[KEEP_DIGEST_LEN + 1];
  if (keep_image_commit(src->s, text, len, tag, &src->trust, md, err) < 0)
    return -1;
  add_loaded(out, n_out, md, tag);
  return 0;
}

static int load_oci(struct source *src, const char *tag_override, const char *platform,
                    struct keep_loaded **out, size_t *n_out, keep_error **err)
{
  json_t *index = NULL;
  if (read_json(src, "index.json", &index, err) < 0)
    return -1;
  int r = -1;
  json_t *ms = json_object_get(index, "manifests");
  if (!json_is_array(ms) || json_array_size(ms) == 0) {
    keep_fail(err, 0, "index.json: no manifests");
    goto out;
  }
  if (json_array_size(ms) > KEEP_MAX_ITEMS) {
    keep_fail(err, 0, "index.json: manifests: %zu entries, more than keep accepts (%d)", json_array_size(ms),
              KEEP_MAX_ITEMS);
    goto out;
  }
  if (tag_override && json_array_size(ms) > 1) {
    keep_fail(err, 0, "--tag names one image, the archive holds %zu", json_array_size(ms));
    goto out;
  }
  size_t i;
  json_t *m;
  json_array_foreach (ms, i, m) {
    const char *digest = json_string_value(json_object_get(m, "digest"));
    char what[64];
    snprintf(what, sizeof(what), "index.json: manifests[%zu]", i);
    if (keep_digest_check(digest, what, err) < 0)
      goto out;
    json_t *ann = json_object_get(m, "annotations");
    const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
    const char *refname = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    const char *name = tag_override ? tag_override : full ? full : refname;
    cleanup_free char *tag = NULL;
    if (name) {
      tag = normalize_tag(name, err);
      if (tag == NULL)
        goto out;
    }
    if (load_oci_manifest(src, digest, platform, tag, out, n_out, err) < 0) {
      keep_error_wrap(err, "%s", what);
      goto out;
    }
  }
  r = 0;
out:
  json_decref(index);
  return r;
}

static const char *layer_media_type(struct keep_store *s, const char *digest, keep_error **err)
{
  cleanup_close int fd = keep_blob_open(s, digest, err);
  if (fd < 0)
    return NULL;
  unsigned char magic[4] = {0};
  if (read(fd, magic, sizeof(magic)) < 0) {
    keep_fail_errno(err, "read blob %s", digest);
    return NULL;
  }
  if (magic[0] == 0x1f && magic[1] == 0x8b)
    return KEEP_MT_OCI_LAYER "+gzip";
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return KEEP_MT_OCI_LAYER "+zstd";
  return KEEP_MT_OCI_LAYER;
}

static json_t *descriptor(struct keep_store *s, const char *mt, const char *digest)
{
  /* The blob was hashed as it was imported: its size is all that is needed. */
  uint64_t size = 0;
  keep_blob_size(s, digest, &size);
  return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t) size);
}

/* docker save: manifest.json lists Config and Layers by file name; keep
 * writes the OCI manifest it implies. */
static int load_docker_item(struct source *src, json_t *item, size_t idx, const char *tag_override,
                            struct keep_loaded **out, size_t *n_out, keep_error **err)
{
  const char *config = json_string_value(json_object_get(item, "Config"));
  json_t *layers = json_object_get(item, "Layers");
  if (config == NULL || !json_is_array(layers))
    return keep_fail(err, 0, "manifest.json[%zu]: Config or Layers missing", idx);
  if (json_array_size(layers) > KEEP_MAX_LAYERS)
    return keep_fail(err, 0, "manifest.json[%zu].Layers: %zu layers, more than keep accepts (%d)", idx,
                     json_array_size(layers), KEEP_MAX_LAYERS);
  json_t *repo_tags = json_object_get(item, "RepoTags");
  if (json_array_size(repo_tags) > KEEP_MAX_ITEMS)
    return keep_fail(err, 0, "manifest.json[%zu].RepoTags: %zu tags, more than keep accepts (%d)", idx,
                     json_array_size(repo_tags), KEEP_MAX_ITEMS);
  char cd[KEEP_DIGEST_LEN + 1];
  if (source_blob(src, config, NULL, cd, err) < 0)
    return -1;
  json_t *ls = json_array();
  json_t *man = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType", KEEP_MT_OCI_MANIFEST,
                          "config", descriptor(src->s, KEEP_MT_OCI_CONFIG, cd), "layers", ls);
  int r = -1;
  cleanup_free char *text = NULL;
  size_t i;
  json_t *l;
  json_array_foreach (layers, i, l) {
    char ld[KEEP_DIGEST_LEN + 1];
    const char *ln = json_string_value(l);
    if (ln == NULL) {
      keep_fail(err, 0, "manifest.json[%zu].Layers[%zu]: not a string", idx, i);
      goto out;
    }
    if (source_blob(src, ln, NULL, ld, err) < 0)
      goto out;
    const char *mt = layer_media_type(src->s, ld, err);
    if (mt == NULL)
      goto out;
    json_array_append_new(ls, descriptor(src->s, mt, ld));
  }
  text = json_dumps(man, JSON_COMPACT);
  json_t *tags = json_object_get(item, "RepoTags");
  size_t ntags = json_is_array(tags) ? json_array_size(tags) : 0;
  char md[KEEP_DIGEST_LEN + 1];
  /* Commit once untagged, then file each tag. */
  if (keep_image_commit(src->s, text, strlen(text), NULL, &src->trust, md, err) < 0)
    goto out;
  if (tag_override || ntags == 0) {
    cleanup_free char *t = tag_override ? normalize_tag(tag_override, err) : NULL;
    if (tag_override && (t == NULL || keep_refs_update(src->s, t, md, err) < 0))
      goto out;
    add_loaded(out, n_out, md, t);
  } else {
    for (size_t k = 0; k < ntags; k++) {
      const char *name = json_string_value(json_array_get(tags, k));
      cleanup_free char *t = name ? normalize_tag(name, err) : NULL;
      if (t == NULL || keep_refs_update(src->s, t, md, err) < 0)
        goto out;
      add_loaded(out, n_out, md, t);
    }
  }
  r = 0;
out:
  json_decref(man);
  return r;
}

static int load_docker(struct source *src, const char *tag_override, struct keep_loaded **out, size_t *n_out,
                       keep_error **err)
{
  json_t *list = NULL;
  if (read_json(src, "manifest.json", &list, err) < 0)
    return -1;
  int r = -1;
  if (!json_is_array(list) || json_array_size(list) == 0) {
    keep_fail(err, 0, "manifest.json: expected a list of images");
    goto out;
  }
  if (json_array_size(list) > KEEP_MAX_ITEMS) {
    keep_fail(err, 0, "manifest.json: %zu images, more than keep accepts (%d)", json_array_size(list),
              KEEP_MAX_ITEMS);
    goto out;
  }
  if (tag_override && json_array_size(list) > 1) {
    keep_fail(err, 0, "--tag names one image, the archive holds %zu", json_array_size(list));
    goto out;
  }
  size_t i;
  json_t *item;
  json_array_foreach (list, i, item) {
    if (load_docker_item(src, item, i, tag_override, out, n_out, err) < 0)
      goto out;
  }
  r = 0;
out:
  json_decref(list);
  return r;
}

int keep_image_load(struct keep_store *s, const char *path, const char *tag_override, const char *platform,
                    struct keep_loaded **out, size_t *n_out, keep_error **err)
{
  struct source src = {
      .s = s,
      .dirfd = -1,
      .trust = {.basis = KEEP_TRUST_LOADED, .reference = xstrdup(strcmp(path, "-") ? path : "stdin")}};
  *out = NULL;
  *n_out = 0;
  int r = -1;
  struct stat st;
  if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    src.dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (src.dirfd < 0) {
      keep_fail_errno(err, "open `%s`", keep_q(path));
      goto out;
    }
    r = load_oci(&src, tag_override, platform, out, n_out, err);
    goto out;
  }
  if (read_archive(&src, path, err) < 0)
    goto out;
  /* Both formats in one archive (as some tools write): prefer OCI's index. */
  if (find(&src, "index.json"))
    r = load_oci(&src, tag_override, platform, out, n_out, err);
  else if (find(&src, "manifest.json"))
    r = load_docker(&src, tag_override, out, n_out, err);
  else
    r = keep_fail(err, 0,
                  "`%s` is neither a `docker save` archive nor an OCI image layout "
                  "(no manifest.json, no index.json)",
                  keep_q(path));
out:
  source_free(&src);
  if (r < 0) {
    keep_loaded_free(*out, *n_out);
    *out = NULL;
    *n_out = 0;
  }
  return r;
}

void keep_loaded_free(struct keep_loaded *l, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(l[i].digest);
    free(l[i].tag);
  }
  free(l);
}
