/* Image manifests and indexes, OCI and Docker schema 2 (image_manifest.c):
 * keep_manifest_kind, keep_manifest_parse, keep_index_select.
 * Invariants: every digest accepted is sha256:<64 lowercase hex> (it later
 * names a file), every size is >= 0, every layer has a media type keep can
 * unpack, no layer is dropped, and the manifest picked from an index is
 * one listed there for exactly the platform asked. */
#include <jansson.h>
#include <string.h>

#include "digest.h"
#include "fuzz.h"
#include "image_manifest.h"
#include "util.h"

static void descriptor_ok(const struct keep_descriptor *d, const char *what)
{
  FUZZ_CHECK(keep_digest_valid(d->digest), "%s: digest `%s`", what, d->digest ? d->digest : "(none)");
  FUZZ_CHECK(d->media_type != NULL, "%s: no media type", what);
  FUZZ_CHECK(d->size >= 0, "%s: size %lld", what, (long long) d->size);
}

static void select_one(const char *text, size_t len, const char *platform)
{
  struct keep_descriptor d;
  keep_error *err = NULL;
  int r = keep_index_select(text, len, platform, &d, &err);
  fuzz_error_done(&err, r);
  if (r < 0)
    return;
  descriptor_ok(&d, platform);
  cleanup_free char *want = xstrdup(platform);
  char *arch = strchr(want, '/');
  *arch++ = '\0';
  char *variant = strchr(arch, '/');
  if (variant)
    *variant++ = '\0';
  json_t *j = json_loads(text, 0, NULL);
  size_t i;
  json_t *m;
  bool listed = false;
  json_array_foreach (json_object_get(j, "manifests"), i, m) {
    json_t *p = json_object_get(m, "platform");
    const char *os = json_string_value(json_object_get(p, "os"));
    const char *a = json_string_value(json_object_get(p, "architecture"));
    const char *v = json_string_value(json_object_get(p, "variant"));
    if (os && a && strcmp(os, want) == 0 && strcmp(a, arch) == 0 &&
        (!variant || (v && strcmp(v, variant) == 0)) &&
        strcmp(json_string_value(json_object_get(m, "digest")), d.digest) == 0) {
      listed = true;
      break;
    }
  }
  FUZZ_CHECK(listed, "%s: picked %s, listed for no such platform", platform, d.digest);
  json_decref(j);
  keep_descriptor_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_strndup(data, size);
  keep_error *err = NULL;
  enum keep_manifest_kind kind;
  int r = keep_manifest_kind(text, size, &kind, &err);
  fuzz_error_done(&err, r);
  FUZZ_CHECK(r < 0 || kind == KEEP_MANIFEST_IMAGE || kind == KEEP_MANIFEST_INDEX, "kind %d", (int) kind);

  struct keep_manifest m;
  r = keep_manifest_parse(text, size, &m, &err);
  fuzz_error_done(&err, r);
  if (r == 0) {
    json_t *j = json_loads(text, 0, NULL);
    FUZZ_CHECK(json_integer_value(json_object_get(j, "schemaVersion")) == 2, "schemaVersion is not 2");
    FUZZ_CHECK(m.n_layers == json_array_size(json_object_get(j, "layers")), "%zu layers of %zu", m.n_layers,
               json_array_size(json_object_get(j, "layers")));
    json_decref(j);
    FUZZ_CHECK(m.media_type != NULL, "no media type");
    descriptor_ok(&m.config, "config");
    for (size_t i = 0; i < m.n_layers; i++) {
      char what[32];
      snprintf(what, sizeof(what), "layers[%zu]", i);
      descriptor_ok(&m.layers[i], what);
      enum keep_layer_compression c;
      FUZZ_CHECK(keep_layer_media_type(m.layers[i].media_type, &c, NULL) == 0, "%s: media type `%s`", what,
                 m.layers[i].media_type);
    }
    keep_manifest_free(&m);
  }
  FUZZ_CHECK(m.layers == NULL && m.media_type == NULL, "manifest fields left after free or failure");

  select_one(text, size, "linux/amd64");
  select_one(text, size, "linux/arm64/v8");
  select_one(text, size, "linux/arm/v7");
  return 0;
}
