#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "digest.h"
#include "store.h"
#include "util.h"

enum req_type { REQ_ACCEPT, REQ_REJECT, REQ_SIGNED_BY, REQ_SIGSTORE };

struct requirement {
  enum req_type type;
  char **key_paths;
  char *identity;       /* signedIdentity.type; NULL = matchRepoDigestOrExact */
  char *identity_arg;   /* dockerReference / dockerRepository */
};

struct scope {
  char *name;           /* "" for the transport's default */
  struct requirement *reqs;
  size_t n;
};

struct keep_policy {
  char *path;           /* NULL: no policy file (keep's built-in default) */
  struct scope deflt;
  struct scope *scopes; /* transports.docker */
  size_t n_scopes;
};

static void scope_free(struct scope *s)
{
  for (size_t i = 0; i < s->n; i++) {
    strv_free(s->reqs[i].key_paths);
    free(s->reqs[i].identity);
    free(s->reqs[i].identity_arg);
  }
  free(s->reqs);
  free(s->name);
}

void keep_policy_free(struct keep_policy *p)
{
  if (p == NULL)
    return;
  scope_free(&p->deflt);
  for (size_t i = 0; i < p->n_scopes; i++)
    scope_free(&p->scopes[i]);
  free(p->scopes);
  free(p->path);
  free(p);
}

const char *keep_policy_path(const struct keep_policy *p)
{
  return p->path;
}

static int parse_identity(json_t *id, const char *what, struct requirement *r, keep_error **err)
{
  if (id == NULL)
    return 0;
  const char *t = json_string_value(json_object_get(id, "type"));
  static const char *const known[] = {"matchExact", "matchRepoDigestOrExact", "matchRepository", "exactReference",
                                      "exactRepository"};
  for (size_t i = 0; t && i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(t, known[i]) == 0) {
      r->identity = xstrdup(t);
      const char *arg = json_string_value(json_object_get(id, strcmp(t, "exactReference") == 0 ? "dockerReference"
                                                                                              : "dockerRepository"));
      if (str_has_prefix(t, "exact")) {
        if (arg == NULL)
          return keep_fail(err, 0, "%s.signedIdentity: `%s` needs its reference", what, keep_q(t));
        r->identity_arg = xstrdup(arg);
      }
      return 0;
    }
  return keep_fail(err, 0, "%s.signedIdentity.type: `%s` is not supported", what, t ? t : "(missing)");
}

static int parse_keys(json_t *o, const char *what, struct requirement *r, keep_error **err)
{
  const char *kp = json_string_value(json_object_get(o, "keyPath"));
  json_t *kps = json_object_get(o, "keyPaths");
  if (json_object_get(o, "keyData"))
    return keep_fail(err, 0, "%s.keyData: inline keys are not supported; use keyPath", what);
  if (kp)
    strv_push(&r->key_paths, kp);
  size_t i;
  json_t *v;
  if (json_array_size(kps) > KEEP_MAX_ITEMS)
    return keep_fail(err, 0, "%s.keyPaths: %zu entries, more than keep accepts (%d)", what, json_array_size(kps),
                     KEEP_MAX_ITEMS);
  if (json_is_array(kps))
    json_array_foreach(kps, i, v) if (json_is_string(v)) strv_push(&r->key_paths, json_string_value(v));
  if (r->key_paths == NULL)
    return keep_fail(err, 0, "%s: keyPath is missing", what);
  return 0;
}

static int parse_scope(json_t *arr, const char *name, const char *what, struct scope *s, keep_error **err)
{
  s->name = xstrdup(name);
  if (!json_is_array(arr) || json_array_size(arr) == 0)
    return keep_fail(err, 0, "%s: expected a non-empty list of requirements", what);
  s->n = json_array_size(arr);
  s->reqs = xcalloc(s->n, sizeof(*s->reqs));
  size_t i;
  json_t *o;
  json_array_foreach(arr, i, o) {
    char w[512];
    snprintf(w, sizeof(w), "%s[%zu]", what, i);
    const char *t = json_string_value(json_object_get(o, "type"));
    struct requirement *r = &s->reqs[i];
    if (t && strcmp(t, "insecureAcceptAnything") == 0) {
      r->type = REQ_ACCEPT;
    } else if (t && strcmp(t, "reject") == 0) {
      r->type = REQ_REJECT;
    } else if (t && strcmp(t, "signedBy") == 0) {
      r->type = REQ_SIGNED_BY;
      const char *kt = json_string_value(json_object_get(o, "keyType"));
      if (kt == NULL || strcmp(kt, "GPGKeys") != 0)
        return keep_fail(err, 0, "%s.keyType: `%s` is not supported (GPGKeys is)", w, kt ? kt : "(missing)");
      if (parse_keys(o, w, r, err) < 0 || parse_identity(json_object_get(o, "signedIdentity"), w, r, err) < 0)
        return -1;
    } else if (t && strcmp(t, "sigstoreSigned") == 0) {
      r->type = REQ_SIGSTORE;
      if (json_object_get(o, "fulcio") || json_object_get(o, "rekorPublicKeyPath"))
        return keep_fail(err, 0, "%s: Fulcio and Rekor are not supported; give a public key (keyPath)", w);
      if (parse_keys(o, w, r, err) < 0 || parse_identity(json_object_get(o, "signedIdentity"), w, r, err) < 0)
        return -1;
    } else {
      /* Unknown requirements fail closed: never read as "accept". */
      return keep_fail(err, 0, "%s.type: `%s` is not supported", w, t ? t : "(missing)");
    }
  }
  return 0;
}

static char *find_policy(void)
{
  const char *env = getenv("KEEP_POLICY");
  if (env && *env)
    return xstrdup(env);
  const char *home = getenv("HOME");
  if (home) {
    char *p = xasprintf("%s/.config/containers/policy.json", home);
    if (access(p, F_OK) == 0)
      return p;
    free(p);
  }
  if (access("/etc/containers/policy.json", F_OK) == 0)
    return xstrdup("/etc/containers/policy.json");
  return NULL;
}

int keep_policy_load(const char *path, struct keep_policy **out, keep_error **err)
{
  struct keep_policy *p = xcalloc(1, sizeof(*p));
  p->path = path ? xstrdup(path) : find_policy();
  *out = p;
  if (p->path == NULL)
    return 0;
  json_t *j = keep_json_load_file_at(AT_FDCWD, p->path, JSON_REJECT_DUPLICATES, err);
  if (j == NULL)
    return keep_error_wrap(err, "trust policy");
  int r = -1;
  cleanup_free char *what = xasprintf("%s: default", p->path);
  if (parse_scope(json_object_get(j, "default"), "", what, &p->deflt, err) < 0)
    goto out;
  json_t *docker = json_object_get(json_object_get(j, "transports"), "docker");
  const char *name;
  json_t *v;
  if (json_object_size(docker) > KEEP_MAX_ITEMS) {
    keep_fail(err, 0, "trust policy `%s`: transports.docker: %zu scopes, more than keep accepts (%d)", keep_q(p->path),
              json_object_size(docker), KEEP_MAX_ITEMS);
    goto out;
  }
  if (json_is_object(docker)) {
    p->scopes = xcalloc(json_object_size(docker), sizeof(*p->scopes));
    json_object_foreach(docker, name, v) {
      cleanup_free char *w = xasprintf("%s: transports.docker[\"%s\"]", p->path, name);
      if (parse_scope(v, name, w, &p->scopes[p->n_scopes++], err) < 0)
        goto out;
    }
  }
  r = 0;
out:
  json_decref(j);
  return r;
}

static const struct scope *find_scope(const struct keep_policy *p, const struct keep_image_ref *ref)
{
  cleanup_free char *name = keep_image_ref_name(ref);
  cleanup_free char *full = keep_image_ref_string(ref);
  cleanup_free char *tagged = keep_image_ref_tagged(ref);
  cleanup_free char *pinned = ref->digest ? xasprintf("%s@%s", name, ref->digest) : NULL;
  /* Most specific first: the exact reference, the repository, each
   * enclosing namespace, the host, "*.domain" wildcards, then "". */
  const char *exact[] = {tagged, pinned, full};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; exact[k] && i < p->n_scopes; i++)
      if (strcmp(p->scopes[i].name, exact[k]) == 0)
        return &p->scopes[i];
  cleanup_free char *ns = xstrdup(name);
  for (;;) {
    for (size_t i = 0; i < p->n_scopes; i++)
      if (strcmp(p->scopes[i].name, ns) == 0)
        return &p->scopes[i];
    char *slash = strrchr(ns, '/');
    if (slash == NULL)
      break;
    *slash = '\0';
  }
  for (const char *dot = ref->registry; (dot = strchr(dot, '.')) != NULL; dot++)
    for (size_t i = 0; i < p->n_scopes; i++)
      if (p->scopes[i].name[0] == '*' && strcmp(p->scopes[i].name + 1, dot) == 0)
        return &p->scopes[i];
  for (size_t i = 0; i < p->n_scopes; i++)
    if (p->scopes[i].name[0] == '\0')
      return &p->scopes[i];
  return &p->deflt;
}

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
    return keep_fail(err, 0, "the signature is for `%s`, which does not match `%s` (%s)", keep_q(claimed), keep_q(shown), rule);
  return 0;
}

static int check_payload(const char *payload, size_t len, const char *want_type, const char *digest,
                         const struct keep_image_ref *ref, const struct requirement *rq, keep_error **err)
{
  json_error_t je;
  json_t *j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    return keep_fail(err, 0, "signature payload: invalid JSON (%s)", keep_q(je.text));
  int r = -1;
  json_t *crit = json_object_get(j, "critical");
  const char *type = json_string_value(json_object_get(crit, "type"));
  const char *md = json_string_value(json_object_get(json_object_get(crit, "image"), "docker-manifest-digest"));
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
                                 const struct keep_image_ref *ref, const char *identity_rule, keep_error **err)
{
  struct requirement rq = {.identity = (char *) identity_rule};
  return check_payload(payload, len, want_type, digest, ref, &rq, err);
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
    const char *why = gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY ? "made with a key the policy does not name"
                      : gpgme_err_code(s->status) == GPG_ERR_SIG_EXPIRED ? "the signature has expired"
                      : gpgme_err_code(s->status) == GPG_ERR_KEY_EXPIRED ? "the signing key has expired"
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

int keep_sigstore_verify(const char *key_file, const char *payload, size_t len, const char *sig_b64,
                         keep_error **err)
{
  cleanup_free char *pem = NULL;
  if (read_file_at(AT_FDCWD, key_file, &pem, NULL, err) < 0)
    return keep_error_wrap(err, "sigstore public key");
  BIO *b = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *key = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (key == NULL)
    return keep_fail(err, 0, "`%s` is not a PEM public key", keep_q(key_file));
  unsigned char *sig = NULL;
  size_t sl = 0;
  if (keep_base64_decode(sig_b64, &sig, &sl) < 0)
    sl = 0;
  int r = -1;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (sl == 0) {
    keep_fail(err, 0, "sigstore signature: not base64");
  } else if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
             EVP_DigestVerify(md, sig, sl, (const unsigned char *) payload, len) != 1) {
    keep_fail(err, 0, "sigstore signature does not verify with the key `%s`", keep_q(key_file));
  } else {
    r = 0;
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  free(sig);
  return r;
}

/* One signature against one key of the policy, then its payload. */
static int verify_one(const char *key, bool sigstore, const char *blob, size_t len, const char *sig,
                      const struct keep_image_ref *ref, const char *digest, const struct requirement *rq,
                      keep_error **err)
{
  if (sigstore)
    return keep_sigstore_verify(key, blob, len, sig, err) < 0
               ? -1
               : check_payload(blob, len, "cosign container image signature", digest, ref, rq, err);
  cleanup_free char *payload = NULL;
  size_t plen = 0;
  if (keep_gpg_verify(key, blob, len, &payload, &plen, err) < 0)
    return -1;
  return check_payload(payload, plen, "atomic container signature", digest, ref, rq, err);
}

/* signedBy and sigstoreSigned: any one signature that verifies with any key
 * of the requirement will do. */
static int check_signatures(const struct requirement *rq, bool sigstore, const struct keep_image_ref *ref,
                            const char *digest, const struct keep_signature_source *src, keep_error **err)
{
  cleanup_error keep_error *last = NULL;
  size_t seen = 0;
  for (size_t i = 0;; i++) {
    cleanup_free char *blob = NULL, *sig = NULL;
    size_t len = 0;
    int r = 1;
    if (sigstore && src->sigstore)
      r = src->sigstore(src->arg, digest, i, &blob, &len, &sig, err);
    else if (!sigstore && src->simple)
      r = src->simple(src->arg, digest, i, &blob, &len, err);
    if (r < 0)
      return -1;
    if (r > 0)
      break;
    seen++;
    for (size_t k = 0; rq->key_paths[k]; k++) {
      keep_error_free(&last);
      if (verify_one(rq->key_paths[k], sigstore, blob, len, sig, ref, digest, rq, &last) == 0)
        return 0;
    }
  }
  if (seen == 0)
    return keep_fail(err, 0, sigstore ? "no sigstore signature attached to %s (sigstoreSigned requires one)"
                                       : "no signature found for %s (signedBy requires one)",
                     digest);
  *err = steal_pointer(&last);
  return -1;
}

int keep_policy_check(const struct keep_policy *p, const struct keep_image_ref *ref, const char *digest,
                      const struct keep_signature_source *src, keep_error **err)
{
  cleanup_free char *shown = keep_image_ref_string(ref);
  if (p->path == NULL) {
    /* No policy anywhere: a digest the user chose is its own proof; a tag
     * could point anywhere tomorrow. */
    if (ref->digest)
      return 0;
    keep_fail(err, EPERM, "refusing to pull `%s` by tag: there is no trust policy", keep_q(shown));
    return keep_error_hint(err, "pull by digest (NAME@sha256:…), or write /etc/containers/policy.json "
                                "(or pass --policy FILE) saying which signatures to require");
  }
  const struct scope *s = find_scope(p, ref);
  const char *scope_name = s == &p->deflt ? "default" : s->name;
  for (size_t i = 0; i < s->n; i++) {
    const struct requirement *rq = &s->reqs[i];
    int r = 0;
    switch (rq->type) {
    case REQ_ACCEPT:
      break;
    case REQ_REJECT:
      keep_fail(err, EPERM, "the trust policy `%s` rejects `%s` (scope `%s`)", p->path, keep_q(shown), scope_name);
      return keep_error_hint(err, "change the policy for this scope if the image is one you trust");
    case REQ_SIGNED_BY:
      r = check_signatures(rq, false, ref, digest, src, err);
      break;
    case REQ_SIGSTORE:
      r = check_signatures(rq, true, ref, digest, src, err);
      break;
    }
    if (r < 0) {
      keep_error_wrap(err, "`%s` does not satisfy the trust policy `%s` (scope `%s`)", shown, p->path, scope_name);
      return keep_error_hint(err, "ask the publisher for a signature by a key the policy names, or pull by a "
                                  "digest the policy accepts");
    }
  }
  return 0;
}
