/* Image references (image_ref.c): keep_image_ref_parse and the names made
 * from a parsed reference.
 * Invariants: every accepted reference has a registry and a repository
 * that obey the grammar, a tag or a digest, and a well-formed digest; the
 * canonical string parses back to the same reference; a registry called
 * loopback is one. */
#include <arpa/inet.h>
#include <string.h>

#include "digest.h"
#include "fuzz.h"
#include "image_ref.h"
#include "util.h"

static bool repo_ok(const char *r)
{
  size_t n = strlen(r);
  if (n == 0 || n > 255 || r[0] == '/' || r[n - 1] == '/' || strstr(r, "//"))
    return false;
  for (const char *p = r; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p)))
      return false;
  return true;
}

static bool tag_ok(const char *t)
{
  size_t n = strlen(t);
  return n > 0 && n <= 128 && t[0] != '.' && t[0] != '-' &&
         strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* "localhost", "[::1]" or an address in 127/8 as the resolver reads
 * numbers (inet_aton), each with an optional port. */
static bool loopback_ok(const char *reg)
{
  if (str_has_prefix(reg, "[::1]"))
    return reg[5] == '\0' || reg[5] == ':';
  cleanup_free char *host = strndup(reg, strcspn(reg, ":"));
  if (host == NULL)
    return false;
  if (strcmp(host, "localhost") == 0)
    return true;
  struct in_addr a;
  return inet_aton(host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static void same(const struct keep_image_ref *a, const struct keep_image_ref *b, const char *what)
{
  FUZZ_CHECK(strcmp(a->registry, b->registry) == 0, "%s: registry `%s` became `%s`", what, a->registry,
             b->registry);
  FUZZ_CHECK(strcmp(a->repository, b->repository) == 0, "%s: repository `%s` became `%s`", what,
             a->repository, b->repository);
  FUZZ_CHECK((a->tag == NULL) == (b->tag == NULL) && (!a->tag || strcmp(a->tag, b->tag) == 0),
             "%s: tag `%s` became `%s`", what, a->tag ? a->tag : "(none)", b->tag ? b->tag : "(none)");
  FUZZ_CHECK((a->digest == NULL) == (b->digest == NULL) && (!a->digest || strcmp(a->digest, b->digest) == 0),
             "%s: digest changed", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *s = fuzz_strndup(data, size);
  struct keep_image_ref r;
  keep_error *err = NULL;
  int ret = keep_image_ref_parse(s, &r, &err);
  fuzz_error_done(&err, ret);
  if (ret < 0) {
    FUZZ_CHECK(r.registry == NULL && r.repository == NULL && r.tag == NULL && r.digest == NULL,
               "a refused reference left fields behind");
    return 0;
  }
  FUZZ_CHECK(r.registry && r.repository, "`%s`: no registry or repository", s);
  FUZZ_CHECK(r.registry[0] != '\0' && strchr(r.registry, '/') == NULL && strchr(r.registry, '@') == NULL,
             "`%s`: registry `%s`", s, r.registry);
  FUZZ_CHECK(repo_ok(r.repository), "`%s`: repository `%s` breaks the grammar", s, r.repository);
  FUZZ_CHECK(strstr(r.repository, "..") == NULL, "`%s`: repository `%s` has `..`", s, r.repository);
  FUZZ_CHECK(r.tag || r.digest, "`%s`: neither tag nor digest", s);
  FUZZ_CHECK(!r.tag || tag_ok(r.tag), "`%s`: tag `%s` breaks the grammar", s, r.tag);
  FUZZ_CHECK(!r.digest || keep_digest_valid(r.digest), "`%s`: digest `%s` is not sha256:<64 hex>", s,
             r.digest);

  /* Round trip: the canonical form means the same reference, and is a
   * fixed point. */
  cleanup_free char *canon = keep_image_ref_string(&r);
  struct keep_image_ref again;
  ret = keep_image_ref_parse(canon, &again, &err);
  FUZZ_CHECK(ret == 0, "`%s`: canonical form `%s` is refused: %s", s, canon, err ? err->msg : "?");
  same(&r, &again, canon);
  cleanup_free char *canon2 = keep_image_ref_string(&again);
  FUZZ_CHECK(strcmp(canon, canon2) == 0, "canonical form not stable: `%s` then `%s`", canon, canon2);

  cleanup_free char *name = keep_image_ref_name(&r);
  cleanup_free char *tagged = keep_image_ref_tagged(&r);
  FUZZ_CHECK(str_has_prefix(canon, name), "`%s` does not start with its name `%s`", canon, name);
  FUZZ_CHECK((tagged == NULL) == (r.tag == NULL), "tagged form and tag disagree");
  if (tagged) {
    struct keep_image_ref t;
    ret = keep_image_ref_parse(tagged, &t, &err);
    FUZZ_CHECK(ret == 0, "tagged form `%s` is refused", tagged);
    FUZZ_CHECK(t.digest == NULL && strcmp(t.tag, r.tag) == 0 && strcmp(t.repository, r.repository) == 0 &&
                   strcmp(t.registry, r.registry) == 0,
               "tagged form `%s` names another image", tagged);
    keep_image_ref_free(&t);
  }

  /* Plain HTTP is allowed to loopback only: a name taken for loopback
   * must never go to DNS. */
  if (keep_registry_is_loopback(r.registry))
    FUZZ_CHECK(loopback_ok(r.registry), "`%s` taken for loopback", r.registry);
  /* The free function clears, so a double free cannot follow. */
  keep_image_ref_free(&again);
  keep_image_ref_free(&r);
  FUZZ_CHECK(r.registry == NULL && r.digest == NULL, "free left pointers behind");
  return 0;
}
