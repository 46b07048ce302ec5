/* Trust policy: containers-policy.json parsed into scopes of requirements,
 * the scope that applies to a reference, and the decision over its
 * requirements (keep_policy_load, keep_policy_check).  The signatures
 * themselves are checked in trust_gpg.c and trust_sigstore.c. */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "trust_internal.h"
#include "util.h"

struct scope {
  char *name; /* "" for the transport's default */
  struct requirement *reqs;
  size_t n;
};

struct keep_policy {
  char *path; /* NULL: no policy file (keep's built-in default) */
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
  static const char *const known[] = {"matchExact", "matchRepoDigestOrExact", "matchRepository",
                                      "exactReference", "exactRepository"};
  for (size_t i = 0; t && i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(t, known[i]) == 0) {
      r->identity = xstrdup(t);
      const char *arg = json_string_value(
          json_object_get(id, strcmp(t, "exactReference") == 0 ? "dockerReference" : "dockerRepository"));
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
    return keep_fail(err, 0, "%s.keyPaths: %zu entries, more than keep accepts (%d)", what,
                     json_array_size(kps), KEEP_MAX_ITEMS);
  if (json_is_array(kps))
    json_array_foreach (kps, i, v)
      if (json_is_string(v))
        strv_push(&r->key_paths, json_string_value(v));
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
  json_array_foreach (arr, i, o) {
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
    keep_fail(err, 0, "trust policy `%s`: transports.docker: %zu scopes, more than keep accepts (%d)",
              keep_q(p->path), json_object_size(docker), KEEP_MAX_ITEMS);
    goto out;
  }
  if (json_is_object(docker)) {
    p->scopes = xcalloc(json_object_size(docker), sizeof(*p->scopes));
    json_object_foreach (docker, name, v) {
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

/* One signature against one key of the policy, then its payload. */
static int verify_one(const char *key, bool sigstore, const char *blob, size_t len, const char *sig,
                      const struct keep_image_ref *ref, const char *digest, const struct requirement *rq,
                      keep_error **err)
{
  if (sigstore)
    return trust_sigstore_check(key, blob, len, sig, ref, digest, rq, err);
  return trust_gpg_check(key, blob, len, ref, digest, rq, err);
}

/* signedBy and sigstoreSigned: any one signature that verifies with any key
 * of the requirement will do. */
static int check_signatures(const struct requirement *rq, bool sigstore, const struct keep_image_ref *ref,
                            const char *digest, const struct keep_signature_source *src, const char **key,
                            keep_error **err)
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
      if (verify_one(rq->key_paths[k], sigstore, blob, len, sig, ref, digest, rq, &last) == 0) {
        *key = rq->key_paths[k];
        return 0;
      }
    }
  }
  if (seen == 0)
    return keep_fail(err, 0,
                     sigstore ? "no sigstore signature attached to %s (sigstoreSigned requires one)"
                              : "no signature found for %s (signedBy requires one)",
                     digest);
  *err = steal_pointer(&last);
  return -1;
}

/* Why the check let an image in, for the store's trust record. */
static void set_basis(struct keep_trust_record *b, enum keep_trust_basis kind, const struct keep_policy *p,
                      const char *scope, const char *requirement, const char *key, const char *digest)
{
  if (b == NULL)
    return;
  keep_trust_record_free(b);
  b->basis = kind;
  b->policy = p->path ? xstrdup(p->path) : NULL;
  b->scope = scope ? xstrdup(scope) : NULL;
  b->requirement = requirement ? xstrdup(requirement) : NULL;
  b->key = key ? xstrdup(key) : NULL;
  b->signed_digest = kind == KEEP_TRUST_SIGNED ? xstrdup(digest) : NULL;
}

int keep_policy_check(const struct keep_policy *p, const struct keep_image_ref *ref, const char *digest,
                      const struct keep_signature_source *src, struct keep_trust_record *basis,
                      keep_error **err)
{
  cleanup_free char *shown = keep_image_ref_string(ref);
  if (p->path == NULL) {
    /* No policy anywhere: a digest the user chose is its own proof; a tag
     * could point anywhere tomorrow. */
    if (ref->digest) {
      set_basis(basis, KEEP_TRUST_DIGEST, p, NULL, NULL, NULL, digest);
      return 0;
    }
    keep_fail(err, EPERM, "refusing to pull `%s` by tag: there is no trust policy", keep_q(shown));
    return keep_error_hint(err, "pull by digest (NAME@sha256:…), or write /etc/containers/policy.json "
                                "(or pass --policy FILE) saying which signatures to require");
  }
  const struct scope *s = find_scope(p, ref);
  const char *scope_name = s == &p->deflt ? "default" : s->name;
  /* Every requirement holds; the image counts as signed when one of them
   * was a signature that verified, else it was let in unsigned. */
  const char *signed_by = NULL, *signed_key = NULL;
  for (size_t i = 0; i < s->n; i++) {
    const struct requirement *rq = &s->reqs[i];
    const char *key = NULL;
    int r = 0;
    switch (rq->type) {
    case REQ_ACCEPT: break;
    case REQ_REJECT:
      keep_fail(err, EPERM, "the trust policy `%s` rejects `%s` (scope `%s`)", p->path, keep_q(shown),
                scope_name);
      return keep_error_hint(err, "change the policy for this scope if the image is one you trust");
    case REQ_SIGNED_BY: r = check_signatures(rq, false, ref, digest, src, &key, err); break;
    case REQ_SIGSTORE: r = check_signatures(rq, true, ref, digest, src, &key, err); break;
    }
    if (r < 0) {
      keep_error_wrap(err, "`%s` does not satisfy the trust policy `%s` (scope `%s`)", shown, p->path,
                      scope_name);
      return keep_error_hint(err, "ask the publisher for a signature by a key the policy names, or pull by a "
                                  "digest the policy accepts");
    }
    if (key && signed_key == NULL) {
      signed_key = key;
      signed_by = rq->type == REQ_SIGSTORE ? "sigstoreSigned" : "signedBy";
    }
  }
  set_basis(basis, signed_key ? KEEP_TRUST_SIGNED : KEEP_TRUST_ACCEPT_ANYTHING, p, scope_name, signed_by,
            signed_key, digest);
  return 0;
}
