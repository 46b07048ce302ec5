#include "image_pull.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "image.h"
#include "image_manifest.h"
#include "image_ref.h"
#include "registry.h"
#include "registries_d.h"
#include "trust.h"
#include "util.h"

#define SIGSTORE_PAYLOAD_MT "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGSTORE_ANNOTATION "dev.cosignproject.cosign/signature"
#define MAX_SIGNATURES 64

struct sig_ctx {
  struct keep_registry *reg;
  const struct keep_image_ref *ref;
  struct keep_lookaside look;
  /* sigstore attachments, fetched once */
  bool fetched;
  json_t *layers;
};

/* Simple signing: <lookaside>/<repository>@sha256=<hex>/signature-<n>, n from 1. */
static int simple_signature(void *arg, const char *digest, size_t index, char **data, size_t *len,
                            keep_error **err)
{
  struct sig_ctx *c = arg;
  if (c->look.url == NULL || index >= MAX_SIGNATURES)
    return 1;
  cleanup_free char *rel =
      xasprintf("%s@sha256=%s/signature-%zu", c->ref->repository, keep_digest_hex(digest), index + 1);
  if (str_has_prefix(c->look.url, "file://")) {
    cleanup_close int dir = open(c->look.url + 7, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
      return errno == ENOENT ? 1 : keep_fail_errno(err, "signature store `%s`", c->look.url);
    /* rel is built from a validated repository name and a hex digest. */
    cleanup_error keep_error *e = NULL;
    if (read_file_at(dir, rel, data, len, &e) < 0) {
      if (e->errnum == ENOENT)
        return 1;
      *err = steal_pointer(&e);
      return -1;
    }
    return 0;
  }
  if (!str_has_prefix(c->look.url, "https://") && !str_has_prefix(c->look.url, "http://"))
    return keep_fail(err, 0, "signature store `%s`: only file://, http:// and https:// are supported",
                     c->look.url);
  cleanup_free char *url = xasprintf("%s/%s", c->look.url, rel);
  long status = 0;
  if (keep_registry_get_url(c->reg, url, data, len, &status, err) < 0)
    return -1;
  if (status == 404) {
    free(*data);
    *data = NULL;
    return 1;
  }
  if (status != 200) {
    free(*data);
    *data = NULL;
    return keep_fail(err, 0, "GET %s: HTTP %ld", url, status);
  }
  return 0;
}

/* Sigstore: the manifest tagged sha256-<hex>.sig lists one layer per
 * signature: the payload blob, the signature in an annotation. */
static int sigstore_signature(void *arg, const char *digest, size_t index, char **payload, size_t *len,
                              char **sig, keep_error **err)
{
  struct sig_ctx *c = arg;
  if (!c->fetched) {
    c->fetched = true;
    cleanup_free char *tag = xasprintf("sha256-%s.sig", keep_digest_hex(digest));
    cleanup_free char *text = NULL;
    size_t tlen = 0;
    char d[KEEP_DIGEST_LEN + 1];
    cleanup_error keep_error *e = NULL;
    if (keep_registry_manifest(c->reg, c->ref->repository, tag, &text, &tlen, d, &e) < 0) {
      if (e->errnum == ENOENT)
        return 1;
      *err = steal_pointer(&e);
      return -1;
    }
    json_t *j = keep_json_parse(text, tlen, 0, "sigstore signature manifest", NULL);
    c->layers = json_incref(json_object_get(j, "layers"));
    json_decref(j);
  }
  for (size_t seen = 0, i = 0; i < json_array_size(c->layers); i++) {
    json_t *l = json_array_get(c->layers, i);
    const char *mt = json_string_value(json_object_get(l, "mediaType"));
    const char *s =
        json_string_value(json_object_get(json_object_get(l, "annotations"), SIGSTORE_ANNOTATION));
    const char *ld = json_string_value(json_object_get(l, "digest"));
    json_t *size = json_object_get(l, "size");
    if (!mt || strcmp(mt, SIGSTORE_PAYLOAD_MT) != 0 || !s || !keep_digest_valid(ld) ||
        !json_is_integer(size) || json_integer_value(size) > (1 << 20))
      continue;
    if (seen++ != index)
      continue;
    cleanup_free char *url =
        xasprintf("%s/v2/%s/blobs/%s", keep_registry_base(c->reg), c->ref->repository, ld);
    long status = 0;
    if (keep_registry_get_url(c->reg, url, payload, len, &status, err) < 0)
      return -1;
    char got[KEEP_DIGEST_LEN + 1];
    keep_digest_buf(*payload, *len, got);
    if (status != 200 || strcmp(got, ld) != 0) {
      free(*payload);
      *payload = NULL;
      return keep_fail(err, 0, "sigstore payload %s: HTTP %ld or content does not match its digest", ld,
                       status);
    }
    *sig = xstrdup(s);
    return 0;
  }
  return 1;
}

/* A layer not unpacked yet and not stored yet is unpacked as it arrives:
 * the download and the unpacking overlap, each on its own core. */
static int fetch_layer(struct keep_store *s, struct keep_registry *reg, const char *repo, int dir,
                       const struct keep_descriptor *d, const char *diff_id, keep_error **err)
{
  struct stat st;
  if (dir < 0 || diff_id == NULL || fstatat(dir, keep_digest_hex(diff_id), &st, AT_SYMLINK_NOFOLLOW) == 0 ||
      keep_blob_exists(s, d->digest))
    return keep_registry_blob(reg, s, repo, d->digest, d->size, err);
  struct keep_layer_job *job = NULL;
  int feed = -1;
  if (keep_layer_stream_start(s, dir, d, diff_id, &job, &feed, err) < 0)
    return -1;
  bool teed = false;
  int r = keep_registry_blob_tee(reg, s, repo, d->digest, d->size, feed, &teed, err);
  close(feed);
  if (r < 0 || !teed) {
    /* Thrown away (that cannot fail); a stored blob is unpacked later. */
    keep_layer_stream_finish(job, false, NULL);
    return r;
  }
  return keep_layer_stream_finish(job, true, err);
}

static int fetch_image(struct keep_store *s, struct keep_registry *reg, const char *repo, const char *text,
                       size_t len, keep_error **err)
{
  struct keep_manifest m;
  if (keep_manifest_parse(text, len, &m, err) < 0)
    return -1;
  struct keep_image_config cfg = {0};
  cleanup_free char *cfg_text = NULL;
  size_t cfg_len = 0;
  cleanup_close int dir = -1;
  int r = keep_registry_blob(reg, s, repo, m.config.digest, m.config.size, err);
  /* The config names each layer's uncompressed digest, the key of its
   * directory.  A config that does not fit the manifest is refused by
   * keep_image_commit: here it only means no streaming. */
  cleanup_error keep_error *ignored = NULL;
  bool stream = r == 0 && keep_blob_read(s, m.config.digest, &cfg_text, &cfg_len, &ignored) == 0 &&
                keep_image_config_parse(cfg_text, cfg_len, &cfg, &ignored) == 0 &&
                strv_len(cfg.diff_ids) == m.n_layers;
  if (stream)
    dir = keep_image_layers_dir(s, err);
  if (stream && dir < 0)
    r = -1;
  if (r == 0)
    keep_fault_point("pull-config");
  for (size_t i = 0; r == 0 && i < m.n_layers; i++) {
    r = fetch_layer(s, reg, repo, dir, &m.layers[i], stream ? cfg.diff_ids[i] : NULL, err);
    if (r == 0)
      keep_fault_point("pull-layer");
  }
  keep_image_config_free(&cfg);
  keep_manifest_free(&m);
  return r;
}

int keep_image_pull(struct keep_store *s, const char *refstr, const struct keep_pull_opts *o,
                    char *digest_out, char **name, keep_error **err)
{
  struct keep_image_ref ref;
  if (keep_image_ref_parse(refstr, &ref, err) < 0)
    return -1;
  struct keep_policy *policy = NULL;
  struct keep_registry *reg = NULL;
  struct sig_ctx sc = {.ref = &ref};
  struct keep_trust_record basis = {0};
  cleanup_free char *text = NULL, *ptext = NULL, *full = keep_image_ref_name(&ref), *key = NULL;
  int r = -1;
  if (keep_policy_load(o->policy, &policy, err) < 0)
    goto out;
  if (keep_registry_open(ref.registry, &o->registry, &reg, err) < 0)
    goto out;
  sc.reg = reg;
  size_t len = 0;
  char top[KEEP_DIGEST_LEN + 1];
  if (keep_registry_manifest(reg, ref.repository, ref.digest ? ref.digest : ref.tag, &text, &len, top, err) <
      0)
    goto out;
  /* Trust is decided on the digest the reference resolved to, before a
   * single layer is fetched. */
  if (keep_lookaside_find(o->registries_d, full, &sc.look, err) < 0)
    goto out;
  struct keep_signature_source src = {.simple = simple_signature, .sigstore = sigstore_signature, .arg = &sc};
  if (keep_policy_check(policy, &ref, top, &src, &basis, err) < 0)
    goto out;
  basis.reference = keep_image_ref_string(&ref);
  enum keep_manifest_kind kind;
  if (keep_manifest_kind(text, len, &kind, err) < 0)
    goto out;
  const char *mtext = text;
  size_t mlen = len;
  if (kind == KEEP_MANIFEST_INDEX) {
    struct keep_descriptor d;
    if (keep_index_select(text, len, o->platform, &d, err) < 0)
      goto out;
    char pd[KEEP_DIGEST_LEN + 1];
    int g = keep_registry_manifest(reg, ref.repository, d.digest, &ptext, &mlen, pd, err);
    keep_descriptor_free(&d);
    if (g < 0)
      goto out;
    mtext = ptext;
  }
  if (fetch_image(s, reg, ref.repository, mtext, mlen, err) < 0)
    goto out;
  /* Filed under the tag, or under name@digest for a pinned pull. */
  key = ref.digest ? xasprintf("%s@%s", full, ref.digest) : keep_image_ref_tagged(&ref);
  keep_fault_point("pull-commit");
  if (keep_image_commit(s, mtext, mlen, key, &basis, digest_out, err) < 0)
    goto out;
  *name = steal_pointer(&key);
  r = 0;
out:
  if (r < 0)
    keep_error_wrap(err, "pull `%s`", refstr);
  keep_trust_record_free(&basis);
  json_decref(sc.layers);
  keep_lookaside_free(&sc.look);
  keep_registry_close(reg);
  keep_policy_free(policy);
  keep_image_ref_free(&ref);
  return r;
}
