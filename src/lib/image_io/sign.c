#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "keep_build_config.h"
#include "util.h"

char *keep_simple_signing_payload(const char *reference, const char *digest)
{
  json_t *j =
      json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:{s:s, s:I}}", "critical", "identity", "docker-reference",
                reference, "image", "docker-manifest-digest", digest, "type", "atomic container signature",
                "optional", "creator", "keep " KEEP_VERSION, "timestamp", (json_int_t) time(NULL));
  if (j == NULL)
    die("out of memory");
  char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(j);
  if (text == NULL)
    die("out of memory");
  return text;
}

static int gpg_fail(keep_error **err, gpgme_error_t e, const char *what, const char *fingerprint)
{
  return keep_fail(err, 0, "%s `%s`: %s", what, fingerprint, gpgme_strerror(e));
}

int keep_gpg_sign(const char *fingerprint, const char *payload, char **sig, size_t *sig_len, keep_error **err)
{
  gpgme_check_version(NULL);
  gpgme_ctx_t ctx = NULL;
  gpgme_key_t key = NULL;
  gpgme_data_t plain = NULL, out = NULL;
  int r = -1;
  gpgme_error_t e = gpgme_new(&ctx);
  if (e) {
    gpg_fail(err, e, "start GnuPG to sign with", fingerprint);
    goto done;
  }
  gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
  gpgme_set_armor(ctx, 0); /* the stored form is the binary message */
  if ((e = gpgme_get_key(ctx, fingerprint, &key, 1))) {
    const char *home = getenv("GNUPGHOME");
    keep_fail(err, 0, "no secret key `%s` in the GnuPG keyring %s (%s)", fingerprint,
              home ? home : "~/.gnupg", gpgme_strerror(e));
    goto done;
  }
  if ((e = gpgme_signers_add(ctx, key)) ||
      (e = gpgme_data_new_from_mem(&plain, payload, strlen(payload), 0)) || (e = gpgme_data_new(&out))) {
    gpg_fail(err, e, "prepare a signature with", fingerprint);
    goto done;
  }
  if ((e = gpgme_op_sign(ctx, plain, out, GPGME_SIG_MODE_NORMAL))) {
    gpg_fail(err, e, "sign with", fingerprint);
    goto done;
  }
  gpgme_sign_result_t res = gpgme_op_sign_result(ctx);
  if (res == NULL || res->invalid_signers || res->signatures == NULL) {
    keep_fail(err, 0, "sign with `%s`: GnuPG made no signature", fingerprint);
    goto done;
  }
  size_t n = 0;
  char *mem = gpgme_data_release_and_get_mem(out, &n);
  out = NULL;
  if (mem == NULL || n == 0) {
    gpgme_free(mem);
    keep_fail(err, 0, "sign with `%s`: GnuPG made no signature", fingerprint);
    goto done;
  }
  *sig = xmalloc(n);
  memcpy(*sig, mem, n);
  *sig_len = n;
  gpgme_free(mem);
  r = 0;
done:
  if (out)
    gpgme_data_release(out);
  if (plain)
    gpgme_data_release(plain);
  if (key)
    gpgme_key_unref(key);
  if (ctx)
    gpgme_release(ctx);
  return r;
}

/* Each component in turn, refusing symlinks: the store's layout is ours. */
static int open_dirs(int dirfd, const char *rel, keep_error **err)
{
  cleanup_free char *p = xstrdup(rel);
  int cur = dup(dirfd);
  if (cur < 0)
    return keep_fail_errno(err, "dup");
  for (char *c = p; c && *c;) {
    char *slash = strchr(c, '/');
    if (slash)
      *slash = '\0';
    if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
      keep_fail_errno(err, "create `%s` in the signature store", rel);
      close(cur);
      return -1;
    }
    int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(cur);
    if (next < 0)
      return keep_fail_errno(err, "open `%s` in the signature store", rel);
    cur = next;
    c = slash ? slash + 1 : NULL;
  }
  return cur;
}

int keep_lookaside_store(const char *url, const struct keep_image_ref *ref, const char *digest,
                         const char *sig, size_t sig_len, char **path_out, keep_error **err)
{
  if (!str_has_prefix(url, "file://"))
    return keep_fail(err, 0,
                     "signature store `%s`: keep writes signatures only to a file:// store (set "
                     "lookaside-staging in registries.d, or use --output)",
                     url);
  const char *base = url + 7;
  cleanup_close int root = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return keep_fail_errno(err, "signature store `%s`", base);
  cleanup_free char *rel = xasprintf("%s@sha256=%s", ref->repository, keep_digest_hex(digest));
  cleanup_close int dir = open_dirs(root, rel, err);
  if (dir < 0)
    return -1;
  /* Written whole beside, then given the first free name: a reader never
   * sees half a signature, and an existing one is never replaced. */
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  cleanup_free char *tmp = xasprintf(".tmp-%s", rnd);
  cleanup_close int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return keep_fail_errno(err, "open `%s/%s`", base, rel);
  int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return keep_fail_errno(err, "create `%s/%s/%s`", base, rel, tmp);
  if (write_all(fd, sig, sig_len) < 0 || fsync(fd) < 0) {
    keep_fail_errno(err, "write `%s/%s/%s`", base, rel, tmp);
    close(fd);
    unlinkat(dfd, tmp, 0);
    return -1;
  }
  close(fd);
  for (unsigned n = 1; n <= 1000; n++) {
    cleanup_free char *name = xasprintf("signature-%u", n);
    if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0) {
      *path_out = xasprintf("%s/%s/%s", base, rel, name);
      return 0;
    }
    if (errno != EEXIST) {
      keep_fail_errno(err, "name the signature `%s/%s/%s`", base, rel, name);
      unlinkat(dfd, tmp, 0);
      return -1;
    }
  }
  unlinkat(dfd, tmp, 0);
  return keep_fail(err, 0, "`%s/%s` already holds 1000 signatures", base, rel);
}
