/* Image references, manifests, layer entry names, signature payloads, and
 * the signature fixtures of containers/image (when $KEEP_SIGNATURE_FIXTURES
 * points at them: tests/run fetches them from Debian). */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "digest.h"
#include "image_manifest.h"
#include "image_ref.h"
#include "layer_unpack.h"
#include "rootfs.h"
#include "tap.h"
#include "trust.h"
#include "util.h"

static void ref_case(const char *in, const char *want)
{
  struct keep_image_ref r;
  keep_error *err = NULL;
  if (keep_image_ref_parse(in, &r, &err) < 0) {
    tap_ok(want == NULL, "ref `%s` refused (%s)", in, err->msg);
    keep_error_free(&err);
    return;
  }
  char *s = keep_image_ref_string(&r);
  if (want)
    TAP_EQ_STR(s, want, in);
  else
    tap_ok(false, "ref `%s` should be refused, parsed as `%s`", in, s);
  free(s);
  keep_image_ref_free(&r);
}

static void test_refs(void)
{
  const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  ref_case("busybox", "docker.io/library/busybox:latest");
  ref_case("busybox:1.36", "docker.io/library/busybox:1.36");
  ref_case("user/app", "docker.io/user/app:latest");
  ref_case("127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest");
  ref_case("localhost/a/b/c:v1", "localhost/a/b/c:v1");
  ref_case("quay.io/x/y:tag_1.0-rc", "quay.io/x/y:tag_1.0-rc");
  char *pinned = xasprintf("busybox@%s", d);
  char *want = xasprintf("docker.io/library/busybox@%s", d);
  ref_case(pinned, want);
  free(pinned);
  free(want);
  ref_case("Busybox", NULL);
  ref_case("busy..box", NULL);
  ref_case("a/../b", NULL);
  ref_case("busybox:", NULL);
  ref_case("busybox@sha256:abc", NULL);
  ref_case("busybox@md5:0123", NULL);
  ref_case("", NULL);
  ref_case("/abs", NULL);
  tap_ok(keep_registry_is_loopback("127.0.0.1:5000"), "127.0.0.1:5000 is loopback");
  tap_ok(keep_registry_is_loopback("localhost"), "localhost is loopback");
  tap_ok(keep_registry_is_loopback("[::1]:5000"), "[::1] is loopback");
  tap_ok(!keep_registry_is_loopback("127.evil.example"), "127.evil.example is not loopback");
  tap_ok(!keep_registry_is_loopback("localhost.evil.example"), "localhost.evil.example is not loopback");
  tap_ok(!keep_registry_is_loopback("docker.io"), "docker.io is not loopback");
}

static void path_case(const char *in, const char *want)
{
  char *out = NULL;
  keep_error *err = NULL;
  int r = keep_layer_path_clean(in, &out, &err);
  if (want)
    TAP_EQ_STR(r == 0 ? out : "(refused)", want, in);
  else
    tap_ok(r < 0, "entry `%s` refused", in);
  free(out);
  keep_error_free(&err);
}

static void test_paths(void)
{
  path_case("./etc/passwd", "etc/passwd");
  path_case("a//b/./c/", "a/b/c");
  path_case("./", "");
  path_case("...", "...");
  path_case("a/..b", "a/..b");
  path_case("../x", NULL);
  path_case("a/../../x", NULL);
  path_case("a/..", NULL);
  path_case("/etc/passwd", NULL);
  path_case("", NULL);
}

static void test_manifests(void)
{
  const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  char *m =
      xasprintf("{\"schemaVersion\":2,\"mediaType\":\"" KEEP_MT_OCI_MANIFEST "\","
                "\"config\":{\"mediaType\":\"" KEEP_MT_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":2},"
                "\"layers\":[{\"mediaType\":\"" KEEP_MT_OCI_LAYER "+gzip\",\"digest\":\"%s\",\"size\":9}]}",
                d, d);
  struct keep_manifest man;
  keep_error *err = NULL;
  tap_ok(keep_manifest_parse(m, strlen(m), &man, &err) == 0 && man.n_layers == 1, "manifest parses");
  keep_manifest_free(&man);
  /* The same manifest, then a NUL and more: never read as its prefix. */
  size_t ml = strlen(m);
  char *withnul = xmalloc(ml + 8);
  memcpy(withnul, m, ml);
  memcpy(withnul + ml, "\0{\"x\":1}", 8);
  tap_ok(keep_manifest_parse(withnul, ml + 8, &man, &err) < 0 && err &&
             strstr(err->msg, "contains a NUL byte"),
         "a manifest with a NUL and garbage after it is refused (%s)", err ? err->msg : "accepted");
  keep_error_free(&err);
  free(withnul);
  free(m);
  const char *bad[] = {
      "{\"schemaVersion\":1}",
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:../../"
      "etc\",\"size\":1},\"layers\":[]}",
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha512:00\",\"size\":1},\"layers\":["
      "]}",
      "[1]",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    tap_ok(keep_manifest_parse(bad[i], strlen(bad[i]), &man, &err) < 0, "bad manifest %zu refused (%s)", i,
           err ? err->msg : "");
    keep_error_free(&err);
  }
  m = xasprintf("{\"schemaVersion\":2,\"manifests\":["
                "{\"mediaType\":\"m\",\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":\"linux\","
                "\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
                "{\"mediaType\":\"m\",\"digest\":\"%s\",\"size\":2,\"platform\":{\"os\":\"linux\","
                "\"architecture\":\"amd64\"}}]}",
                d, d);
  struct keep_descriptor desc;
  tap_ok(keep_index_select(m, strlen(m), "linux/amd64", &desc, &err) == 0 && desc.size == 2,
         "index: linux/amd64 picked");
  keep_descriptor_free(&desc);
  tap_ok(keep_index_select(m, strlen(m), "linux/arm64/v8", &desc, &err) == 0 && desc.size == 1,
         "index: variant picked");
  keep_descriptor_free(&desc);
  tap_ok(keep_index_select(m, strlen(m), "linux/s390x", &desc, &err) < 0 && strstr(err->msg, "s390x"),
         "index: no matching platform is an error naming it");
  keep_error_free(&err);
  free(m);
  struct keep_image_config c;
  const char *ct = "{\"config\":{\"User\":\"1000\",\"Env\":[\"A=1\"],\"Cmd\":[\"sh\"],"
                   "\"WorkingDir\":\"/w\"},\"rootfs\":{\"diff_ids\":[]}}";
  tap_ok(keep_image_config_parse(ct, strlen(ct), &c, &err) == 0 && strcmp(c.user, "1000") == 0 &&
             strcmp(c.workdir, "/w") == 0,
         "image config parses");
  keep_image_config_free(&c);
  const char *rel = "{\"config\":{\"WorkingDir\":\"rel\"}}";
  tap_ok(keep_image_config_parse(rel, strlen(rel), &c, &err) < 0, "a relative WorkingDir is refused");
  keep_error_free(&err);
}

static void test_payloads(void)
{
  const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  struct keep_image_ref ref;
  keep_error *err = NULL;
  keep_image_ref_parse("example.com/app:1", &ref, &err);
  char *p = xasprintf(
      "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":"
      "\"%s\"},\"identity\":{\"docker-reference\":\"example.com/app:1\"}},\"optional\":{}}",
      d);
  tap_ok(keep_signature_payload_check(p, strlen(p), "atomic container signature", d, &ref, NULL, &err) == 0,
         "payload for this digest and tag accepted");
  keep_error_free(&err);
  char *other = xstrdup(d);
  other[8] = 'f';
  tap_ok(keep_signature_payload_check(p, strlen(p), "atomic container signature", other, &ref, NULL, &err) <
             0,
         "payload for another digest refused");
  keep_error_free(&err);
  struct keep_image_ref ref2;
  keep_image_ref_parse("example.com/app:2", &ref2, &err);
  tap_ok(keep_signature_payload_check(p, strlen(p), "atomic container signature", d, &ref2, NULL, &err) < 0,
         "payload for another tag refused (matchRepoDigestOrExact)");
  keep_error_free(&err);
  tap_ok(keep_signature_payload_check(p, strlen(p), "atomic container signature", d, &ref2, "matchRepository",
                                      &err) == 0,
         "matchRepository accepts another tag");
  keep_error_free(&err);
  tap_ok(keep_signature_payload_check(p, strlen(p), "cosign container image signature", d, &ref, NULL, &err) <
             0,
         "wrong payload type refused");
  keep_error_free(&err);
  free(p);
  free(other);
  keep_image_ref_free(&ref);
  keep_image_ref_free(&ref2);
}

static char *fixture(const char *dir, const char *name, size_t *len)
{
  char *path = xasprintf("%s/%s", dir, name);
  char *data = NULL;
  keep_error *err = NULL;
  if (read_file_at(AT_FDCWD, path, &data, len, &err) < 0)
    keep_error_free(&err);
  free(path);
  return data;
}

static void gpg_case(const char *dir, const char *sig_name, const char *want_error)
{
  size_t slen = 0, mlen = 0, plen = 0;
  char *sig = fixture(dir, sig_name, &slen);
  char *man = fixture(dir, "image.manifest.json", &mlen);
  char *key = xasprintf("%s/public-key.gpg", dir);
  char *payload = NULL;
  keep_error *err = NULL;
  char digest[KEEP_DIGEST_LEN + 1];
  keep_digest_buf(man, mlen, digest);
  /* The fixtures sign the identity "testing/manifest" (no tag): pull by digest. */
  struct keep_image_ref ref;
  char *pinned = xasprintf("testing/manifest@%s", digest);
  keep_image_ref_parse(pinned, &ref, &err);
  free(pinned);
  int r = sig ? keep_gpg_verify(key, sig, slen, &payload, &plen, &err) : -1;
  if (r == 0)
    r = keep_signature_payload_check(payload, plen, "atomic container signature", digest, &ref, NULL, &err);
  if (want_error == NULL)
    tap_ok(r == 0, "fixture %s verifies (%s)", sig_name, err ? err->msg : "");
  else
    tap_ok(r < 0 && err && strstr(err->msg, want_error), "fixture %s refused: %s", sig_name,
           err ? err->msg : "(accepted)");
  keep_error_free(&err);
  keep_image_ref_free(&ref);
  free(payload);
  free(sig);
  free(man);
  free(key);
}

static void cosign_case(const char *dir, const char *img, const char *sig_name, const char *want_error)
{
  char *sub = xasprintf("%s/%s", dir, img);
  size_t slen = 0, mlen = 0;
  char *raw = fixture(sub, sig_name, &slen);
  char *man = fixture(sub, "manifest.json", &mlen);
  if (raw == NULL) {
    raw = fixture(dir, sig_name, &slen);
    free(man);
    man = fixture(dir, "dir-img-cosign-valid/manifest.json", &mlen);
  }
  char *key = xasprintf("%s/cosign.pub", dir);
  keep_error *err = NULL;
  int r = -1;
  /* containers/image "dir" form: "\0sigstore-json\n" then JSON. */
  const char magic[] = "\0sigstore-json\n";
  json_t *j = raw && slen > sizeof(magic) - 1 && memcmp(raw, magic, sizeof(magic) - 1) == 0
                  ? json_loadb(raw + sizeof(magic) - 1, slen - (sizeof(magic) - 1), 0, NULL)
                  : NULL;
  const char *b64 = json_string_value(json_object_get(j, "payload"));
  const char *sig = json_string_value(
      json_object_get(json_object_get(j, "annotations"), "dev.cosignproject.cosign/signature"));
  if (b64 && sig && man) {
    unsigned char *payload = NULL;
    size_t plen = 0;
    keep_base64_decode(b64, &payload, &plen);
    char digest[KEEP_DIGEST_LEN + 1];
    keep_digest_buf(man, mlen, digest);
    char *pinned = xasprintf("192.168.64.2:5000/cosign-signed-single-sample@%s", digest);
    struct keep_image_ref ref;
    keep_image_ref_parse(pinned, &ref, &err);
    r = keep_sigstore_verify(key, (char *) payload, (size_t) plen, sig, &err);
    if (r == 0)
      r = keep_signature_payload_check((char *) payload, (size_t) plen, "cosign container image signature",
                                       digest, &ref, NULL, &err);
    keep_image_ref_free(&ref);
    free(pinned);
    free(payload);
  }
  if (want_error == NULL)
    tap_ok(r == 0, "cosign fixture %s/%s verifies (%s)", img, sig_name, err ? err->msg : "");
  else
    tap_ok(r < 0 && err && strstr(err->msg, want_error), "cosign fixture %s/%s refused: %s", img, sig_name,
           err ? err->msg : "(accepted)");
  keep_error_free(&err);
  json_decref(j);
  free(raw);
  free(man);
  free(key);
  free(sub);
}

static void test_fixtures(void)
{
  const char *dir = getenv("KEEP_SIGNATURE_FIXTURES");
  if (dir == NULL || access(dir, R_OK) != 0) {
    tap_skip("KEEP_SIGNATURE_FIXTURES not set (tests/run fetches them)",
             "containers/image signature fixtures");
    return;
  }
  gpg_case(dir, "image.signature", NULL);
  gpg_case(dir, "expired.signature", "expired");
  gpg_case(dir, "corrupt.signature", "signature refused");
  gpg_case(dir, "unknown-key.signature", "key the policy does not name");
  gpg_case(dir, "invalid-blob.signature", "");
  cosign_case(dir, "dir-img-cosign-valid", "signature-1", NULL);
  cosign_case(dir, "dir-img-cosign-modified-manifest", "signature-1", "not sha256:");
  cosign_case(dir, "dir-img-cosign-valid", "unknown-cosign-key.signature", "does not verify");
}

/* overlayfs stacks at most 500 lower layers: an image with more is refused
 * before any mount, with the way out named (the kernel said only "Invalid
 * argument" from fsconfig). */
/* The legacy one-option lowerdir: fds' names, top layer first, within the
 * 255 characters fsconfig takes. */
static void test_overlay_lowerdir(void)
{
  int three[] = {5, 6, 17};
  cleanup_free char *s = keep_overlay_lowerdir_fds(three, 3);
  TAP_EQ_STR(s, "/proc/self/fd/17:/proc/self/fd/6:/proc/self/fd/5", "lowerdir: top layer first");
  int fds[20];
  for (int i = 0; i < 20; i++)
    fds[i] = 100 + i;
  /* 14 layers of "/proc/self/fd/1NN" and 13 colons: 14 * 17 + 13 = 251 */
  cleanup_free char *fits = keep_overlay_lowerdir_fds(fds, 14);
  tap_ok(fits && strlen(fits) == 251, "lowerdir: 14 three-digit fds fit (%zu characters)",
         fits ? strlen(fits) : 0);
  /* 15: 269, over 255 */
  tap_ok(keep_overlay_lowerdir_fds(fds, 15) == NULL, "lowerdir: 15 three-digit fds exceed 255 characters");
}

static void test_overlay_layers(void)
{
  cleanup_error keep_error *err = NULL;
  tap_ok(keep_overlay_check_layers(2, &err) == 0 &&
             keep_overlay_check_layers(KEEP_OVERLAY_MAX_LAYERS, &err) == 0,
         "overlay: up to %d layers stack", KEEP_OVERLAY_MAX_LAYERS);
  tap_ok(keep_overlay_check_layers(600, &err) < 0 && err &&
             strstr(err->msg, "600 layers: overlayfs stacks at most 500") && err->hint &&
             strstr(err->hint, "--storage-driver vfs"),
         "overlay: 600 layers refused, naming --storage-driver vfs");
  keep_error_free(&err);
  char *layers[] = {"/nonexistent/a", "/nonexistent/b", NULL};
  char **many = xcalloc(KEEP_OVERLAY_MAX_LAYERS + 2, sizeof(char *));
  for (size_t i = 0; i <= KEEP_OVERLAY_MAX_LAYERS; i++)
    many[i] = layers[i % 2];
  tap_ok(keep_overlay_create(many, NULL, (uid_t) -1, (gid_t) -1, &err) < 0 && err &&
             strstr(err->msg, "501 layers") && err->hint && strstr(err->hint, "--storage-driver vfs"),
         "overlay: keep_overlay_create refuses 501 layers before touching overlayfs");
  free(many);
}

/* One-shot digests (libmd where it is there) and streams (libcrypto)
 * must agree, on the empty input, a known vector, and across chunks. */
static void test_digests(void)
{
  char one_buf[KEEP_DIGEST_LEN + 1], streamed_buf[KEEP_DIGEST_LEN + 1];
  const char *one = one_buf, *streamed = streamed_buf;
  keep_digest_buf("abc", 3, one_buf);
  TAP_EQ_STR(one, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
             "digest: sha256 of `abc`");
  keep_digest_buf("", 0, one_buf);
  TAP_EQ_STR(one, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             "digest: sha256 of nothing");
  static char big[200000];
  for (size_t i = 0; i < sizeof(big); i++)
    big[i] = (char) (i * 7 + 3);
  keep_digest_buf(big, sizeof(big), one_buf);
  struct keep_hasher *h = keep_hasher_new();
  for (size_t off = 0; off < sizeof(big); off += 4096)
    keep_hasher_update(h, big + off, sizeof(big) - off < 4096 ? sizeof(big) - off : 4096);
  keep_hasher_final(h, streamed_buf);
  keep_hasher_free(h);
  TAP_EQ_STR(one, streamed, "digest: one-shot and streamed agree on 200 kB");
}

int main(void)
{
  test_refs();
  test_paths();
  test_manifests();
  test_payloads();
  test_fixtures();
  test_overlay_layers();
  test_overlay_lowerdir();
  test_digests();
  return tap_done();
}
