/* keep sign: a simple-signing signature for an image in the store, which
 * keep (a signedBy policy) and skopeo/Podman can verify. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image.h"
#include "image_ref.h"
#include "registries_d.h"
#include "sign.h"
#include "store.h"
#include "util.h"

static int usage(void)
{
  printf("Usage: keep sign --sign-by FINGERPRINT [--output FILE | --registries.d DIR] IMAGE\n"
         "\nSign that IMAGE (a name:tag or name@digest in the store) is its manifest digest, with a\n"
         "secret key from your GnuPG keyring ($GNUPGHOME).  The signature goes to FILE, or to the\n"
         "file:// lookaside store registries.d names for the image (lookaside-staging first).\n"
         "\nExample:\n  keep sign --sign-by 0123ABCD... --registries.d /etc/containers/registries.d "
         "registry.example/app:1\n");
  return 0;
}

/* FILE written beside and renamed over: never half a signature. */
static int write_output(const char *path, const char *sig, size_t len, keep_error **err)
{
  cleanup_free char *tmp = xasprintf("%s.tmp-%d", path, (int) getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return keep_fail_errno(err, "create `%s`", tmp);
  if (write_all(fd, sig, len) < 0 || fsync(fd) < 0 || close(fd) < 0) {
    keep_fail_errno(err, "write `%s`", tmp);
    unlink(tmp);
    return -1;
  }
  if (rename(tmp, path) < 0) {
    keep_fail_errno(err, "rename `%s` to `%s`", tmp, path);
    unlink(tmp);
    return -1;
  }
  return 0;
}

static int sign_image(const char *name, const char *fpr, const char *output, const char *regd,
                      keep_error **err)
{
  struct keep_image_ref ref;
  if (keep_image_ref_parse(name, &ref, err) < 0)
    return -1;
  int r = -1;
  struct keep_store s = {.dirfd = -1, .lockfd = -1};
  struct keep_lookaside look = {0};
  cleanup_free char *digest = NULL, *identity = NULL, *payload = NULL, *sig = NULL, *written = NULL;
  size_t sig_len = 0;
  if (ref.tag == NULL && ref.digest == NULL) {
    keep_fail(err, 0, "`%s` names no tag or digest: the signature must say which image it is for", name);
    goto out;
  }
  if (keep_store_open(&s, false, err) < 0 || keep_image_resolve(&s, name, &digest, err) < 0)
    goto out;
  /* The identity a policy checks: the name as pulled, tag or digest. */
  identity = ref.tag ? keep_image_ref_tagged(&ref) : keep_image_ref_string(&ref);
  payload = keep_simple_signing_payload(identity, digest);
  if (keep_gpg_sign(fpr, payload, &sig, &sig_len, err) < 0)
    goto out;
  if (output) {
    if (write_output(output, sig, sig_len, err) < 0)
      goto out;
    written = xstrdup(output);
  } else {
    cleanup_free char *full = keep_image_ref_name(&ref);
    if (keep_lookaside_find(regd, full, &look, err) < 0)
      goto out;
    const char *url = look.staging_url ? look.staging_url : look.url;
    if (url == NULL) {
      keep_fail(err, 0,
                "registries.d names no signature store for `%s`: set lookaside-staging for it, or "
                "pass --output FILE",
                full);
      goto out;
    }
    if (keep_lookaside_store(url, &ref, digest, sig, sig_len, &written, err) < 0)
      goto out;
  }
  printf("Signed %s (%s): %s\n", identity, digest, written);
  r = 0;
out:
  keep_lookaside_free(&look);
  keep_store_close(&s);
  keep_image_ref_free(&ref);
  return r;
}

int cmd_sign(int argc, char **argv)
{
  enum { O_REGD = 256 };
  static const struct option opts[] = {
      {"sign-by", required_argument, NULL, 's'},
      {"output", required_argument, NULL, 'o'},
      {"registries.d", required_argument, NULL, O_REGD},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *fpr = NULL, *output = NULL, *regd = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
    switch (c) {
    case 's': fpr = optarg; break;
    case 'o': output = optarg; break;
    case O_REGD: regd = optarg; break;
    case 'h': return usage();
    default: return EXIT_KEEP_FAILED; /* getopt said which option */
    }
  }
  if (fpr == NULL || optind != argc - 1) {
    fprintf(stderr, "keep sign: %s (see keep sign --help)\n",
            fpr == NULL ? "--sign-by FINGERPRINT is required" : "name one IMAGE");
    return EXIT_KEEP_FAILED;
  }
  if (output && regd) {
    fprintf(stderr, "keep sign: --output and --registries.d: choose one\n");
    return EXIT_KEEP_FAILED;
  }
  cleanup_error keep_error *err = NULL;
  if (sign_image(argv[optind], fpr, output, regd, &err) < 0) {
    keep_error_wrap(&err, "sign `%s`", argv[optind]);
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  return 0;
}
