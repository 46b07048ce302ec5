/* Signature payloads (trust_gpg.c): keep_signature_payload_check, which judges
 * the JSON a signature signs (simple signing and cosign) once its
 * cryptography verified, against the digest and reference being pulled.
 * Invariants: accepted only when `critical` holds exactly type, image and
 * identity, the type is the one asked for, the manifest digest is the one
 * pulled, and the claimed identity names the same repository (with the
 * same tag or digest where the rule wants it). */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "image_ref.h"
#include "trust.h"
#include "util.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const refs[] = {
    "busybox:1.36",
    ("registry.example.com/team/app@" DIGEST),
    "127.0.0.1:5000/a/b:v1",
};
static const char *const rules[] = {NULL, "matchRepoDigestOrExact", "matchExact", "matchRepository",
                                    "exactReference"};
static const char *const types[] = {"atomic container signature", "cosign container image signature"};

static void check(const uint8_t *data, size_t size, const char *type, const char *rule, const char *refstr)
{
  struct keep_image_ref ref;
  if (keep_image_ref_parse(refstr, &ref, NULL) < 0)
    die("reference `%s`", refstr);
  keep_error *err = NULL;
  int r = keep_signature_payload_check((const char *) data, size, type, DIGEST, &ref, rule, &err);
  fuzz_error_done(&err, r);
  if (r == 0) {
    json_t *j = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *crit = json_object_get(j, "critical");
    FUZZ_CHECK(json_is_object(crit) && json_object_size(crit) == 3,
               "accepted without exactly three critical keys");
    const char *t = json_string_value(json_object_get(crit, "type"));
    const char *md =
        json_string_value(json_object_get(json_object_get(crit, "image"), "docker-manifest-digest"));
    const char *id =
        json_string_value(json_object_get(json_object_get(crit, "identity"), "docker-reference"));
    FUZZ_CHECK(t && strcmp(t, type) == 0, "accepted type `%s`, asked `%s`", t ? t : "(none)", type);
    FUZZ_CHECK(md && strcmp(md, DIGEST) == 0, "accepted for manifest `%s`", md ? md : "(none)");
    FUZZ_CHECK(id != NULL, "accepted without an identity");
    struct keep_image_ref c;
    FUZZ_CHECK(keep_image_ref_parse(id, &c, NULL) == 0, "accepted identity `%s` is no reference", id);
    FUZZ_CHECK(strcmp(c.registry, ref.registry) == 0 && strcmp(c.repository, ref.repository) == 0,
               "identity `%s` accepted for `%s` (%s)", id, refstr, rule ? rule : "default");
    bool explicit_tag = strchr(strrchr(id, '/') ? strrchr(id, '/') : id, ':') != NULL;
    bool exact = ref.digest ? c.digest && strcmp(c.digest, ref.digest) == 0
                            : explicit_tag && c.tag && strcmp(c.tag, ref.tag) == 0;
    if (rule && strcmp(rule, "matchExact") == 0)
      FUZZ_CHECK(exact, "identity `%s` is not exactly `%s`", id, refstr);
    if ((rule == NULL || strcmp(rule, "matchRepoDigestOrExact") == 0) && !ref.digest)
      FUZZ_CHECK(exact, "identity `%s` is not exactly `%s`", id, refstr);
    FUZZ_CHECK(rule == NULL || strcmp(rule, "exactReference") != 0, "exactReference without its reference");
    keep_image_ref_free(&c);
    json_decref(j);
  }
  keep_image_ref_free(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  for (size_t i = 0; i < ARRAY_SIZE(refs); i++)
    for (size_t k = 0; k < ARRAY_SIZE(rules); k++)
      check(data, size, types[(i + k) % 2], rules[k], refs[i]);
  return 0;
}
