/* `keep load` archives (image_load.c): keep_image_load of a `docker save`
 * archive (manifest.json: Config, Layers, RepoTags) or an OCI image layout
 * in a tar (index.json, blobs/sha256/...), built from the input (fuzz.h:
 * text before the first "=== " is manifest.json), into a fresh store.
 * Invariants: on success every image loaded has a well-formed manifest
 * digest whose blob is in the store, parses, and has its config and layers
 * in the store; every tag is a normalised reference ("registry/repo:tag")
 * that refs.json points at that manifest; on failure nothing is returned;
 * names in the archive never become paths (nothing appears beside the
 * store). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fuzz.h"
#include "image.h"
#include "image_load.h"
#include "image_manifest.h"
#include "image_ref.h"
#include "store.h"
#include "util.h"

static int topfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  cleanup_free char *store = xasprintf("%s/store", fuzz_tmpdir());
  setenv("KEEP_STORE", store, 1);
  topfd = open(fuzz_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (topfd < 0)
    die("open `%s`: %m", fuzz_tmpdir());
  return 0;
}

static void loaded_ok(struct keep_store *s, const struct keep_loaded *l, json_t *refs)
{
  FUZZ_CHECK(keep_digest_valid(l->digest), "loaded digest `%s`", l->digest ? l->digest : "(none)");
  FUZZ_CHECK(keep_blob_exists(s, l->digest), "manifest %s is not in the store", l->digest);
  cleanup_free char *text = NULL;
  keep_error *err = NULL;
  size_t len = 0;
  int r = keep_blob_read(s, l->digest, &text, &len, &err);
  FUZZ_CHECK(r == 0, "manifest %s unreadable: %s", l->digest, err ? err->msg : "?");
  struct keep_manifest m;
  r = keep_manifest_parse(text, len, &m, &err);
  FUZZ_CHECK(r == 0, "manifest %s does not parse: %s", l->digest, err ? err->msg : "?");
  FUZZ_CHECK(keep_blob_exists(s, m.config.digest), "config %s is not in the store", m.config.digest);
  for (size_t i = 0; i < m.n_layers; i++)
    FUZZ_CHECK(keep_blob_exists(s, m.layers[i].digest), "layer %s is not in the store", m.layers[i].digest);
  keep_manifest_free(&m);
  if (l->tag == NULL)
    return;
  struct keep_image_ref ref;
  r = keep_image_ref_parse(l->tag, &ref, &err);
  FUZZ_CHECK(r == 0, "tag `%s` is no reference: %s", l->tag, err ? err->msg : "?");
  cleanup_free char *norm = keep_image_ref_tagged(&ref);
  FUZZ_CHECK(norm && strcmp(norm, l->tag) == 0, "tag `%s` is not normalised (`%s`)", l->tag,
             norm ? norm : "(none)");
  keep_image_ref_free(&ref);
  const char *to = json_string_value(json_object_get(refs, l->tag));
  FUZZ_CHECK(to != NULL, "tag `%s` is not in refs.json", l->tag);
  (void) to;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int compression;
  cleanup_close int fd = fuzz_tar(data, size, "manifest.json", &compression);
  cleanup_free char *path = fuzz_fd_path(fd);
  keep_error *err = NULL;
  if (keep_remove_tree(topfd, "store", &err) < 0)
    die("remove the store: %s", err->msg);
  struct keep_store s;
  if (keep_store_open(&s, false, &err) < 0)
    die("open the store: %s", err->msg);
  /* Unpack as the caller, without a user namespace per layer. */
  s.rootless = true;
  s.uid_shift = s.gid_shift = 0;

  struct keep_loaded *out = NULL;
  size_t n = 0;
  int r = keep_image_load(&s, path, NULL, "linux/amd64", &out, &n, &err);
  fuzz_error_done(&err, r);
  if (r < 0) {
    FUZZ_CHECK(out == NULL && n == 0, "a failed load returned %zu images", n);
  } else {
    FUZZ_CHECK(n > 0, "a load of no image succeeded");
    json_t *refs = NULL;
    r = keep_refs_load(&s, &refs, &err);
    FUZZ_CHECK(r == 0, "refs.json unreadable");
    for (size_t i = 0; i < n; i++)
      loaded_ok(&s, &out[i], refs);
    /* The last tag filed wins: every tag points at an image loaded. */
    const char *tag;
    json_t *v;
    json_object_foreach (refs, tag, v) {
      bool from_load = false;
      for (size_t i = 0; i < n; i++)
        from_load = from_load || strcmp(json_string_value(v), out[i].digest) == 0;
      FUZZ_CHECK(from_load, "refs.json: `%s` points at %s, loaded by no one", tag, json_string_value(v));
    }
    json_decref(refs);
  }
  keep_loaded_free(out, n);
  keep_store_close(&s);
  DIR *d = fdopendir(openat(topfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d == NULL)
    die("opendir: %m");
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    FUZZ_CHECK(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "store"),
               "`%s` appeared beside the store", de->d_name);
  closedir(d);
  return 0;
}
