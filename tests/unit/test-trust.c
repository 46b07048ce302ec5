/* Trust records (image_trust.h): their text, the strongest of several, a
 * damaged or renamed record vouching for nothing, an older store reading
 * as unknown; and the basis the trust policy check reports (with the
 * containers/image signature fixtures when $KEEP_SIGNATURE_FIXTURES is set). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "image_trust.h"
#include "tap.h"
#include "trust.h"
#include "util.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_text(void)
{
  struct keep_trust_record r = {.basis = KEEP_TRUST_SIGNED,
                                .reference = "reg/x:1",
                                .policy = "/p.json",
                                .scope = "reg",
                                .requirement = "sigstoreSigned",
                                .key = "/k.pub",
                                .signed_digest = DIGEST};
  char *text = keep_trust_record_format(&r);
  struct keep_trust_record back;
  keep_error *err = NULL;
  tap_ok(keep_trust_record_parse(text, strlen(text), KEEP_TRUST_SIGNED, &back, &err) == 0 &&
             back.basis == KEEP_TRUST_SIGNED && strcmp(back.key, "/k.pub") == 0 &&
             strcmp(back.requirement, "sigstoreSigned") == 0 && strcmp(back.signed_digest, DIGEST) == 0,
         "a record reads back as written: %s", text);
  keep_trust_record_free(&back);
  /* A record under another basis's name (renamed by hand): refused. */
  int rc = keep_trust_record_parse(text, strlen(text), KEEP_TRUST_LOADED, &back, &err);
  tap_ok(rc < 0 && err && strstr(err->msg, "basis `signed` where `loaded`"),
         "a record whose basis is not its file's is refused: %s", err ? err->msg : "(accepted)");
  keep_error_free(&err);
  free(text);
  const char *bad = "{\"basis\": \"signed\", \"key\": 7}";
  tap_ok(keep_trust_record_parse(bad, strlen(bad), KEEP_TRUST_SIGNED, &back, &err) < 0 && err,
         "a field that is not a string is refused");
  keep_error_free(&err);
  const char *none = "{\"basis\": \"unknown\"}";
  tap_ok(keep_trust_record_parse(none, strlen(none), KEEP_TRUST_UNKNOWN, &back, &err) < 0,
         "no file may claim the basis `unknown`");
  keep_error_free(&err);
}

static enum keep_trust_basis read_basis(struct keep_store *s, char **key)
{
  struct keep_trust_record r;
  keep_error *err = NULL;
  if (keep_trust_record_read(s, DIGEST, &r, &err) < 0) {
    tap_ok(0, "read: %s", err->msg);
    keep_error_free(&err);
    return KEEP_TRUST_UNKNOWN;
  }
  enum keep_trust_basis b = r.basis;
  if (key)
    *key = r.key ? xstrdup(r.key) : NULL;
  keep_trust_record_free(&r);
  return b;
}

static void test_store(void)
{
  char dir[] = "/tmp/keep-trust-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    tap_skip("mkdtemp failed", "trust records in a store");
    return;
  }
  struct keep_store s = {.root = dir, .dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), .lockfd = -1};
  mkdirat(s.dirfd, "tmp", 0700);
  keep_error *err = NULL;
  tap_ok(read_basis(&s, NULL) == KEEP_TRUST_UNKNOWN, "a store with no trust/ (made before records): unknown");
  struct keep_trust_record loaded = {.basis = KEEP_TRUST_LOADED, .reference = "/a.tar"};
  tap_ok(keep_trust_record_write(&s, DIGEST, &loaded, &err) == 0, "write a `loaded` record");
  tap_ok(read_basis(&s, NULL) == KEEP_TRUST_LOADED, "it reads back as loaded");
  /* A forged or damaged `signed` file: skipped, the loaded record stands. */
  char *forged = xasprintf("trust/%s.signed", keep_digest_hex(DIGEST));
  create_file_at(s.dirfd, forged, "{\"basis\": \"loaded\"}", 0600, &err);
  tap_ok(read_basis(&s, NULL) == KEEP_TRUST_LOADED,
         "a `signed` file that says otherwise vouches for nothing");
  create_file_at(s.dirfd, forged, "{\"basis\": \"sig", 0600, &err);
  tap_ok(read_basis(&s, NULL) == KEEP_TRUST_LOADED, "nor does a truncated one");
  struct keep_trust_record sig = {.basis = KEEP_TRUST_SIGNED, .requirement = "signedBy", .key = "/k.gpg"};
  tap_ok(keep_trust_record_write(&s, DIGEST, &sig, &err) == 0, "write a `signed` record beside it");
  char *key = NULL;
  tap_ok(read_basis(&s, &key) == KEEP_TRUST_SIGNED && key && strcmp(key, "/k.gpg") == 0,
         "the strongest record is read: signed, by /k.gpg");
  free(key);
  struct keep_trust_record any = {.basis = KEEP_TRUST_ACCEPT_ANYTHING, .policy = "/p.json"};
  keep_trust_record_write(&s, DIGEST, &any, &err);
  tap_ok(read_basis(&s, NULL) == KEEP_TRUST_SIGNED,
         "a later unsigned pull of the same bytes leaves it signed");
  char **names = NULL;
  keep_trust_record_names(DIGEST, &names);
  cleanup_free char *want = xasprintf("%s.signed", keep_digest_hex(DIGEST));
  bool listed = false;
  for (size_t i = 0; names && names[i]; i++)
    listed = listed || strcmp(names[i], want) == 0;
  tap_ok(strv_len(names) == 4 && listed, "gc keeps the four record names of a live manifest");
  strv_free(names);
  int tmp = openat(s.dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  bool empty = true;
  if (tmp >= 0) {
    DIR *d = fdopendir(tmp);
    for (struct dirent *de; d && (de = readdir(d)) != NULL;)
      if (de->d_name[0] != '.')
        empty = false;
    if (d)
      closedir(d);
  }
  tap_ok(empty, "writing records leaves nothing in tmp/");
  keep_remove_tree(AT_FDCWD, dir, &err);
  keep_error_free(&err);
  close(s.dirfd);
  free(forged);
}

/* The one signature of the fixture named by arg. */
static int one_signature(void *arg, const char *digest, size_t index, char **data, size_t *len,
                         keep_error **err)
{
  (void) digest;
  if (index > 0)
    return 1;
  return read_file_at(AT_FDCWD, arg, data, len, err);
}

/* keep_policy_check on `policy` (JSON text) for `ref`: 0 and *b, or -1. */
static int check(const char *policy, const char *ref, const char *digest, const char *sig,
                 struct keep_trust_record *b)
{
  char path[] = "/tmp/keep-policy-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || write_all(fd, policy, strlen(policy)) < 0)
    return -1;
  close(fd);
  struct keep_policy *p = NULL;
  struct keep_image_ref r;
  keep_error *err = NULL;
  struct keep_signature_source src = {.simple = one_signature, .arg = (void *) sig};
  *b = (struct keep_trust_record){0};
  int ret = keep_policy_load(path, &p, &err);
  if (ret == 0 && (ret = keep_image_ref_parse(ref, &r, &err)) == 0) {
    ret = keep_policy_check(p, &r, digest, sig ? &src : &(struct keep_signature_source){0}, b, &err);
    keep_image_ref_free(&r);
  }
  if (ret < 0)
    printf("# refused: %s\n", err ? err->msg : "?");
  keep_error_free(&err);
  keep_policy_free(p);
  unlink(path);
  return ret;
}

/* No policy file anywhere: a pinned digest is accepted, on that basis
 * alone; a tag is refused.  Only where the host has no policy file. */
static void test_no_policy(void)
{
  char home[] = "/tmp/keep-home-XXXXXX";
  if (access("/etc/containers/policy.json", F_OK) == 0 || mkdtemp(home) == NULL) {
    tap_skip("/etc/containers/policy.json exists", "no policy: a pinned digest is recorded as `digest`");
    return;
  }
  cleanup_free char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
  cleanup_free char *old_policy = getenv("KEEP_POLICY") ? xstrdup(getenv("KEEP_POLICY")) : NULL;
  setenv("HOME", home, 1);
  unsetenv("KEEP_POLICY");
  struct keep_policy *p = NULL;
  keep_error *err = NULL;
  struct keep_trust_record b = {0};
  struct keep_image_ref pinned, tagged;
  struct keep_signature_source none = {0};
  keep_policy_load(NULL, &p, &err);
  keep_image_ref_parse("reg.example/x@" DIGEST, &pinned, &err);
  keep_image_ref_parse("reg.example/x:1", &tagged, &err);
  tap_ok(p && keep_policy_path(p) == NULL && keep_policy_check(p, &pinned, DIGEST, &none, &b, &err) == 0 &&
             b.basis == KEEP_TRUST_DIGEST && b.policy == NULL,
         "no policy, pulled by digest: basis `digest`, no policy named");
  keep_trust_record_free(&b);
  tap_ok(p && keep_policy_check(p, &tagged, DIGEST, &none, &b, &err) < 0 && b.basis == KEEP_TRUST_UNKNOWN,
         "no policy, by tag: refused");
  keep_error_free(&err);
  keep_image_ref_free(&pinned);
  keep_image_ref_free(&tagged);
  keep_policy_free(p);
  rmdir(home);
  if (old_home)
    setenv("HOME", old_home, 1);
  if (old_policy)
    setenv("KEEP_POLICY", old_policy, 1);
}

static void test_policy_basis(void)
{
  struct keep_trust_record b;
  int r =
      check("{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}", "reg.example/x:1", DIGEST, NULL, &b);
  tap_ok(r == 0 && b.basis == KEEP_TRUST_ACCEPT_ANYTHING && strcmp(b.scope, "default") == 0 && b.policy &&
             b.key == NULL,
         "insecureAcceptAnything: accepted unsigned, scope `default`, the policy named");
  keep_trust_record_free(&b);
  r = check("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"reg.example\": "
            "[{\"type\": \"insecureAcceptAnything\"}]}}}",
            "reg.example/x:1", DIGEST, NULL, &b);
  tap_ok(r == 0 && b.basis == KEEP_TRUST_ACCEPT_ANYTHING && strcmp(b.scope, "reg.example") == 0,
         "a scope of its own: the scope that applied is recorded");
  keep_trust_record_free(&b);
  test_no_policy();

  const char *dir = getenv("KEEP_SIGNATURE_FIXTURES");
  if (dir == NULL || access(dir, R_OK) != 0) {
    tap_skip("KEEP_SIGNATURE_FIXTURES not set (tests/run fetches them)", "a signed fixture: basis signed");
    return;
  }
  cleanup_free char *man = NULL, *man_path = xasprintf("%s/image.manifest.json", dir);
  size_t mlen = 0;
  keep_error *err = NULL;
  if (read_file_at(AT_FDCWD, man_path, &man, &mlen, &err) < 0) {
    tap_ok(0, "read %s: %s", man_path, err->msg);
    keep_error_free(&err);
    return;
  }
  char digest[KEEP_DIGEST_LEN + 1];
  keep_digest_buf(man, mlen, digest);
  /* The fixtures sign the identity "testing/manifest": pulled by digest. */
  cleanup_free char *ref = xasprintf("testing/manifest@%s", digest);
  cleanup_free char *key = xasprintf("%s/public-key.gpg", dir);
  cleanup_free char *policy = xasprintf(
      "{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"%s\"}]}", key);
  cleanup_free char *good = xasprintf("%s/image.signature", dir),
                    *stranger = xasprintf("%s/unknown-key.signature", dir);
  r = check(policy, ref, digest, good, &b);
  tap_ok(r == 0 && b.basis == KEEP_TRUST_SIGNED && strcmp(b.requirement, "signedBy") == 0 &&
             strcmp(b.key, key) == 0 && strcmp(b.signed_digest, digest) == 0,
         "signedBy with a good signature: signed, by the key that verified it");
  keep_trust_record_free(&b);
  r = check(policy, ref, digest, stranger, &b);
  tap_ok(r < 0 && b.basis == KEEP_TRUST_UNKNOWN, "a signature by another key: refused, no basis");
  keep_trust_record_free(&b);
  /* Both must hold; one of them a signature: signed. */
  cleanup_free char *both = xasprintf("{\"default\": [{\"type\": \"insecureAcceptAnything\"}, {\"type\": "
                                      "\"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"%s\"}]}",
                                      key);
  r = check(both, ref, digest, good, &b);
  tap_ok(r == 0 && b.basis == KEEP_TRUST_SIGNED, "insecureAcceptAnything and signedBy: signed");
  keep_trust_record_free(&b);
}

int main(void)
{
  test_text();
  test_store();
  test_policy_basis();
  return tap_done();
}
