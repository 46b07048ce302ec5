/* Trust policy, containers-policy.json (trust_policy.c): keep_policy_load, then
 * keep_policy_check of a few references with no signature to offer.
 * Invariants: failing closed — with no signature, an image is accepted only
 * when the policy says insecureAcceptAnything somewhere; a loaded policy
 * keeps its path; a refusal carries a message. */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "image_ref.h"
#include "trust.h"
#include "util.h"

static int no_simple(void *arg, const char *digest, size_t index, char **data, size_t *len, keep_error **err)
{
  (void) arg, (void) digest, (void) index, (void) data, (void) len, (void) err;
  return 1;
}

static int no_sigstore(void *arg, const char *digest, size_t index, char **payload, size_t *len, char **sig,
                       keep_error **err)
{
  (void) arg, (void) digest, (void) index, (void) payload, (void) len, (void) sig, (void) err;
  return 1;
}

static const char *const refs[] = {
    "busybox:latest",
    "registry.example.com/team/app:1.0",
    "127.0.0.1:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "quay.io/org/repo",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_strndup(data, size);
  cleanup_close int fd = fuzz_memfd(data, size);
  cleanup_free char *path = fuzz_fd_path(fd);
  struct keep_policy *p = NULL;
  keep_error *err = NULL;
  int r = keep_policy_load(path, &p, &err);
  fuzz_error_done(&err, r);
  FUZZ_CHECK(p != NULL, "no policy object");
  if (r == 0) {
    FUZZ_CHECK(keep_policy_path(p) && strcmp(keep_policy_path(p), path) == 0, "the policy forgot its path");
    bool accepting = strstr(text, "insecureAcceptAnything") != NULL || memchr(data, '\\', size) != NULL ||
                     memchr(data, '\0', size) != NULL;
    struct keep_signature_source none = {.simple = no_simple, .sigstore = no_sigstore};
    for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
      struct keep_image_ref ref;
      if (keep_image_ref_parse(refs[i], &ref, NULL) < 0)
        die("reference `%s`", refs[i]);
      const char *digest = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
      r = keep_policy_check(p, &ref, ref.digest ? ref.digest : digest, &none, NULL, &err);
      fuzz_error_done(&err, r);
      FUZZ_CHECK(r < 0 || accepting,
                 "`%s` accepted with no signature by a policy without insecureAcceptAnything", refs[i]);
      keep_image_ref_free(&ref);
    }
  }
  keep_policy_free(p);
  return 0;
}
