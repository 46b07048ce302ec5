/* GPG simple signing: verification in a throw-away keyring of the policy's
 * keys (gpgme), and the signature payload check, whose format ("critical":
 * type, image, identity) cosign payloads share. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "trust_internal.h"
#include "util.h"

/* Does the identity a signature claims fit the reference being pulled? */
static int identity_ok(const char *claimed, const struct keep_image_ref *ref, const struct requirement *rq,
                       keep_error **err)
{
  struct keep_image_ref c;
  if (keep_image_ref_parse(claimed, &c, err) < 0)
    return keep_error_wrap(err, "signature identity");
  /* A claim without tag or digest names the repository only; the parser's
   * implied ":latest" must not make it match a tag. */
  const char *last = strrchr(claimed, '/');
  if (!c.digest && !strchr(last ? last : claimed, ':')) {
    free(c.tag);
    c.tag = NULL;
  }
  cleanup_free char *cname = keep_image_ref_name(&c);
  cleanup_free char *rname = keep_image_ref_name(ref);
  const char *rule = rq && rq->identity ? rq->identity : "matchRepoDigestOrExact";
  bool same_repo = strcmp(cname, rname) == 0;
  bool exact = same_repo && ((ref->tag && c.tag && strcmp(ref->tag, c.tag) == 0 && !ref->digest) ||
                             (ref->digest && c.digest && strcmp(ref->digest, c.digest) == 0));
  bool ok = false;
  if (strcmp(rule, "matchExact") == 0) {
    ok = exact;
  } else if (strcmp(rule, "matchRepoDigestOrExact") == 0) {
    ok = ref->digest ? same_repo : exact;
  } else if (strcmp(rule, "matchRepository") == 0) {
    ok = same_repo;
  } else {
    struct keep_image_ref want;
    if (keep_image_ref_parse(rq->identity_arg, &want, err) < 0) {
      keep_image_ref_free(&c);
      return keep_error_wrap(err, "signedIdentity");
    }
    cleanup_free char *wname = keep_image_ref_name(&want);
    cleanup_free char *wfull = keep_image_ref_string(&want);
    cleanup_free char *cfull = keep_image_ref_string(&c);
    ok = strcmp(rule, "exactReference") == 0 ? strcmp(wfull, cfull) == 0 : strcmp(wname, cname) == 0;
    keep_image_ref_free(&want);
  }
  keep_image_ref_free(&c);
  cleanup_free char *shown = keep_image_ref_string(ref);
  if (!ok)
    return keep_fail(err, 0, "the signature is for `%s`, which does not match `%s` (%s)", keep_q(claimed),
                     keep_q(shown), rule);
  return 0;
}

int trust_payload_check(const char *payload, size_t len, const char *want_type, const char *digest,
                        const struct keep_image_ref *ref, const struct requirement *rq, keep_error **err)
{
  json_error_t je;
  json_t *j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    return keep_fail(err, 0, "signature payload: invalid JSON (%s)", keep_q(je.text));
  int r = -1;
  json_t *crit = json_object_get(j, "critical");
  const char *type = json_string_value(json_object_get(crit, "type"));
  const char *md =
      json_string_value(json_object_get(json_object_get(crit, "image"), "docker-manifest-digest"));
  const char *id = json_string_value(json_object_get(json_object_get(crit, "identity"), "docker-reference"));
  if (!json_is_object(crit) || json_object_size(crit) != 3 || type == NULL || md == NULL || id == NULL) {
    keep_fail(err, 0, "signature payload: `critical` must hold exactly type, image and identity");
  } else if (strcmp(type, want_type) != 0) {
    keep_fail(err, 0, "signature payload: type `%s`, expected `%s`", keep_q(type), want_type);
  } else if (strcmp(md, digest) != 0) {
    keep_fail(err, 0, "the signature is for manifest %s, not %s", keep_q(md), digest);
  } else {
    r = identity_ok(id, ref, rq, err);
  }
  json_decref(j);
  return r;
}

int keep_signature_payload_check(const char *payload, size_t len, const char *want_type, const char *digest,
                                 const struct keep_image_ref *ref, const char *identity_rule,
                                 keep_error **err)
{
  struct requirement rq = {.identity = (char *) identity_rule};
  return trust_payload_check(payload, len, want_type, digest, ref, &rq, err);
}

static int gpg_fail(keep_error **err, gpgme_error_t e, const char *what)
{
  return keep_fail(err, 0, "%s: %s", what, gpgme_strerror(e));
}

static int import_keys(gpgme_ctx_t ctx, const char *path, char ***fprs, keep_error **err)
{
  gpgme_data_t d;
  gpgme_error_t e = gpgme_data_new_from_file(&d, path, 1);
  if (e)
    return keep_fail(err, gpgme_err_code_to_errno(gpgme_err_code(e)), "read key file `%s`: %s", path,
                     gpgme_strerror(e));
  e = gpgme_op_import(ctx, d);
  gpgme_data_release(d);
  if (e)
    return gpg_fail(err, e, path);
  gpgme_import_result_t res = gpgme_op_import_result(ctx);
  for (gpgme_import_status_t s = res ? res->imports : NULL; s; s = s->next)
    if (s->result == 0 && s->fpr)
      strv_push(fprs, s->fpr);
  if (*fprs == NULL)
    return keep_fail(err, 0, "key file `%s` holds no OpenPGP key", path);
  return 0;
}

int keep_gpg_verify(const char *key_file, const char *sig, size_t sig_len, char **payload, size_t *len,
                    keep_error **err)
{
  static bool ready;
  if (!ready) {
    gpgme_check_version(NULL);
    ready = true;
  }
  /* A keyring of only the policy's keys, thrown away after: the caller's
   * own GnuPG keys and trust settings play no part. */
  const char *tmp = getenv("TMPDIR");
  cleanup_free char *home = xasprintf("%s/keep-gpg-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
  if (mkdtemp(home) == NULL)
    return keep_fail_errno(err, "create a temporary GnuPG home `%s`", home);
  gpgme_ctx_t ctx = NULL;
  gpgme_data_t sd = NULL, plain = NULL;
  cleanup_strv char **fprs = NULL;
  int r = -1;
  /* Verifying needs no secret key: no gpg-agent left running behind us. */
  cleanup_free char *conf = xasprintf("%s/gpg.conf", home);
  if (create_file_at(AT_FDCWD, conf, "no-autostart\n", 0600, err) < 0)
    goto out;
  gpgme_error_t e = gpgme_new(&ctx);
  if (e) {
    gpg_fail(err, e, "gpgme");
    goto out;
  }
  gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
  if ((e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home))) {
    gpg_fail(err, e, "gpgme engine (is gpg installed?)");
    goto out;
  }
  if (import_keys(ctx, key_file, &fprs, err) < 0)
    goto out;
  if (gpgme_data_new_from_mem(&sd, sig, sig_len, 0) || gpgme_data_new(&plain)) {
    keep_fail(err, ENOMEM, "gpgme data");
    goto out;
  }
  if ((e = gpgme_op_verify(ctx, sd, NULL, plain))) {
    gpg_fail(err, e, "signature is not valid OpenPGP data");
    goto out;
  }
  gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
  gpgme_signature_t s = vr ? vr->signatures : NULL;
  if (s == NULL || s->next) {
    keep_fail(err, 0, "expected exactly one signature");
    goto out;
  }
  if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR) {
    const char *why = gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY
                          ? "made with a key the policy does not name"
                      : gpgme_err_code(s->status) == GPG_ERR_SIG_EXPIRED  ? "the signature has expired"
                      : gpgme_err_code(s->status) == GPG_ERR_KEY_EXPIRED  ? "the signing key has expired"
                      : gpgme_err_code(s->status) == GPG_ERR_CERT_REVOKED ? "the signing key is revoked"
                                                                          : gpgme_strerror(s->status);
    keep_fail(err, 0, "signature refused: %s", keep_q(why));
    goto out;
  }
  /* The signer must be one of the imported keys (its primary key, when a
   * subkey signed). */
  gpgme_key_t key = NULL;
  bool known = false;
  if (s->fpr && gpgme_get_key(ctx, s->fpr, &key, 0) == 0 && key && key->subkeys)
    for (size_t i = 0; fprs[i]; i++)
      known = known || strcmp(fprs[i], key->subkeys->fpr) == 0;
  if (key)
    gpgme_key_unref(key);
  if (!known) {
    keep_fail(err, 0, "signature refused: made with a key the policy does not name");
    goto out;
  }
  size_t n = 0;
  char *mem = gpgme_data_release_and_get_mem(plain, &n);
  plain = NULL;
  *payload = xmalloc(n + 1);
  memcpy(*payload, mem, n);
  (*payload)[n] = '\0';
  *len = n;
  gpgme_free(mem);
  r = 0;
out:
  if (sd)
    gpgme_data_release(sd);
  if (plain)
    gpgme_data_release(plain);
  if (ctx)
    gpgme_release(ctx);
  cleanup_error keep_error *ignored = NULL;
  keep_remove_tree(AT_FDCWD, home, &ignored);
  return r;
}

int trust_gpg_check(const char *key, const char *blob, size_t len, const struct keep_image_ref *ref,
                    const char *digest, const struct requirement *rq, keep_error **err)
{
  cleanup_free char *payload = NULL;
  size_t plen = 0;
  if (keep_gpg_verify(key, blob, len, &payload, &plen, err) < 0)
    return -1;
  return trust_payload_check(payload, plen, "atomic container signature", digest, ref, rq, err);
}
