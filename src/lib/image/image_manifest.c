#include "image_manifest.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/utsname.h>

#include "config.h"
#include "digest.h"
#include "util.h"

static json_t *load(const char *text, size_t len, const char *what, keep_error **err)
{
  json_t *j = keep_json_parse(text, len, JSON_REJECT_DUPLICATES, what, err);
  if (j == NULL)
    return NULL;
  if (!json_is_object(j)) {
    json_decref(j);
    keep_fail(err, 0, "%s: not a JSON object", what);
    return NULL;
  }
  return j;
}

static const char *opt_string(json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_descriptor(json_t *o, const char *what, struct keep_descriptor *d, keep_error **err)
{
  memset(d, 0, sizeof(*d));
  if (!json_is_object(o))
    return keep_fail(err, 0, "%s: not an object", what);
  const char *mt = opt_string(o, "mediaType");
  const char *dg = opt_string(o, "digest");
  json_t *size = json_object_get(o, "size");
  if (mt == NULL)
    return keep_fail(err, 0, "%s.mediaType: missing", what);
  if (keep_digest_check(dg, what, err) < 0)
    return -1;
  if (!json_is_integer(size) || json_integer_value(size) < 0)
    return keep_fail(err, 0, "%s.size: missing or negative", what);
  if (json_object_get(o, "urls"))
    return keep_fail(err, 0, "%s: layers fetched from `urls` (foreign layers) are not supported", what);
  d->media_type = xstrdup(mt);
  d->digest = xstrdup(dg);
  d->size = json_integer_value(size);
  return 0;
}

void keep_descriptor_free(struct keep_descriptor *d)
{
  free(d->media_type);
  free(d->digest);
  memset(d, 0, sizeof(*d));
}

static int check_schema(json_t *j, const char *what, keep_error **err)
{
  json_t *v = json_object_get(j, "schemaVersion");
  if (json_is_integer(v) && json_integer_value(v) == 1)
    return keep_fail(err, 0, "%s: Docker schema 1 manifests are not supported (deprecated, unverifiable)",
                     what);
  if (!json_is_integer(v) || json_integer_value(v) != 2)
    return keep_fail(err, 0, "%s.schemaVersion: expected 2", what);
  return 0;
}

int keep_manifest_kind(const char *text, size_t len, enum keep_manifest_kind *kind, keep_error **err)
{
  json_t *j = load(text, len, "manifest", err);
  if (j == NULL)
    return -1;
  const char *mt = opt_string(j, "mediaType");
  int r = 0;
  if (mt && (strcmp(mt, KEEP_MT_OCI_INDEX) == 0 || strcmp(mt, KEEP_MT_DOCKER_LIST) == 0))
    *kind = KEEP_MANIFEST_INDEX;
  else if (mt && (strcmp(mt, KEEP_MT_OCI_MANIFEST) == 0 || strcmp(mt, KEEP_MT_DOCKER_MANIFEST) == 0))
    *kind = KEEP_MANIFEST_IMAGE;
  else if (mt)
    r = keep_fail(err, 0, "manifest.mediaType: unsupported `%s`", keep_q(mt));
  else if (json_is_array(json_object_get(j, "manifests")))
    *kind = KEEP_MANIFEST_INDEX;
  else if (json_is_array(json_object_get(j, "layers")))
    *kind = KEEP_MANIFEST_IMAGE;
  else
    r = keep_fail(err, 0, "manifest: neither an image manifest nor an index");
  json_decref(j);
  return r;
}

int keep_layer_media_type(const char *mt, enum keep_layer_compression *c, keep_error **err)
{
  static const struct {
    const char *mt;
    enum keep_layer_compression c;
  } known[] = {
      {KEEP_MT_OCI_LAYER, KEEP_LAYER_TAR},
      {KEEP_MT_OCI_LAYER "+gzip", KEEP_LAYER_GZIP},
      {KEEP_MT_OCI_LAYER "+zstd", KEEP_LAYER_ZSTD},
      {"application/vnd.docker.image.rootfs.diff.tar", KEEP_LAYER_TAR},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", KEEP_LAYER_GZIP},
      {"application/vnd.docker.image.rootfs.diff.tar.zstd", KEEP_LAYER_ZSTD},
  };
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(mt, known[i].mt) == 0) {
      *c = known[i].c;
      return 0;
    }
  if (strstr(mt, "nondistributable") || strstr(mt, "foreign"))
    return keep_fail(err, 0, "layer media type `%s`: foreign layers are not supported", keep_q(mt));
  return keep_fail(err, 0, "layer media type `%s` is not a layer keep can unpack", keep_q(mt));
}

int keep_manifest_parse(const char *text, size_t len, struct keep_manifest *m, keep_error **err)
{
  memset(m, 0, sizeof(*m));
  json_t *j = load(text, len, "manifest", err);
  if (j == NULL)
    return -1;
  int r = -1;
  if (check_schema(j, "manifest", err) < 0)
    goto out;
  const char *mt = opt_string(j, "mediaType");
  m->media_type = xstrdup(mt ? mt : KEEP_MT_OCI_MANIFEST);
  if (parse_descriptor(json_object_get(j, "config"), "manifest.config", &m->config, err) < 0)
    goto out;
  json_t *layers = json_object_get(j, "layers");
  if (!json_is_array(layers)) {
    keep_fail(err, 0, "manifest.layers: missing");
    goto out;
  }
  if (json_array_size(layers) > KEEP_MAX_LAYERS) {
    keep_fail(err, 0, "manifest.layers: %zu layers, more than keep accepts (%d)", json_array_size(layers),
              KEEP_MAX_LAYERS);
    goto out;
  }
  m->n_layers = json_array_size(layers);
  m->layers = xcalloc(m->n_layers, sizeof(*m->layers));
  for (size_t i = 0; i < m->n_layers; i++) {
    char what[48];
    snprintf(what, sizeof(what), "manifest.layers[%zu]", i);
    enum keep_layer_compression c;
    if (parse_descriptor(json_array_get(layers, i), what, &m->layers[i], err) < 0)
      goto out;
    if (keep_layer_media_type(m->layers[i].media_type, &c, err) < 0) {
      keep_error_wrap(err, "%s", what);
      goto out;
    }
  }
  r = 0;
out:
  json_decref(j);
  if (r < 0)
    keep_manifest_free(m);
  return r;
}

void keep_manifest_free(struct keep_manifest *m)
{
  free(m->media_type);
  keep_descriptor_free(&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    keep_descriptor_free(&m->layers[i]);
  free(m->layers);
  memset(m, 0, sizeof(*m));
}

char *keep_platform_default(void)
{
  struct utsname u;
  const char *arch = "amd64";
  if (uname(&u) == 0) {
    if (strcmp(u.machine, "aarch64") == 0)
      arch = "arm64";
    else if (strcmp(u.machine, "x86_64") != 0)
      arch = u.machine;
  }
  return xasprintf("linux/%s", arch);
}

int keep_index_select(const char *text, size_t len, const char *platform, struct keep_descriptor *out,
                      keep_error **err)
{
  memset(out, 0, sizeof(*out));
  cleanup_free char *want = xstrdup(platform);
  char *arch = strchr(want, '/');
  if (arch == NULL)
    return keep_fail(err, 0, "invalid platform `%s`: expected os/arch[/variant]", keep_q(platform));
  *arch++ = '\0';
  char *variant = strchr(arch, '/');
  if (variant)
    *variant++ = '\0';
  json_t *j = load(text, len, "index", err);
  if (j == NULL)
    return -1;
  int r = -1;
  if (check_schema(j, "index", err) < 0)
    goto out;
  json_t *ms = json_object_get(j, "manifests");
  if (!json_is_array(ms)) {
    keep_fail(err, 0, "index.manifests: missing");
    goto out;
  }
  size_t i;
  json_t *m;
  json_array_foreach (ms, i, m) {
    json_t *p = json_object_get(m, "platform");
    const char *os = opt_string(p, "os"), *a = opt_string(p, "architecture"), *v = opt_string(p, "variant");
    if (!os || !a || strcmp(os, want) != 0 || strcmp(a, arch) != 0)
      continue;
    if (variant && (!v || strcmp(v, variant) != 0))
      continue;
    char what[48];
    snprintf(what, sizeof(what), "index.manifests[%zu]", i);
    r = parse_descriptor(m, what, out, err);
    goto out;
  }
  keep_fail(err, 0, "the image index has no manifest for platform %s", keep_q(platform));
  keep_error_hint(err, "pick one of the image's platforms with --platform");
out:
  json_decref(j);
  return r;
}

/* o.key, an array of at most max strings; `where` names o ("config", "rootfs"). */
static int string_array(json_t *o, const char *where, const char *key, size_t max, char ***out,
                        keep_error **err)
{
  json_t *a = json_object_get(o, key);
  if (a == NULL || json_is_null(a))
    return 0;
  if (!json_is_array(a))
    return keep_fail(err, 0, "%s.%s: not an array of strings", where, key);
  if (json_array_size(a) > max)
    return keep_fail(err, 0, "%s.%s: %zu entries, more than keep accepts (%zu)", where, key,
                     json_array_size(a), max);
  *out = xcalloc(json_array_size(a) + 1, sizeof(char *));
  size_t i;
  json_t *v;
  json_array_foreach (a, i, v) {
    if (!json_is_string(v))
      return keep_fail(err, 0, "%s.%s[%zu]: not a string", where, key, i);
    (*out)[i] = xstrdup(json_string_value(v));
  }
  return 0;
}

static char *dup_opt(json_t *o, const char *key)
{
  const char *s = opt_string(o, key);
  return s && *s ? xstrdup(s) : NULL;
}

int keep_image_config_parse(const char *text, size_t len, struct keep_image_config *c, keep_error **err)
{
  memset(c, 0, sizeof(*c));
  json_t *j = load(text, len, "image config", err);
  if (j == NULL)
    return -1;
  int r = -1;
  c->os = dup_opt(j, "os");
  c->architecture = dup_opt(j, "architecture");
  c->created = dup_opt(j, "created");
  json_t *cfg = json_object_get(j, "config");
  if (cfg && !json_is_null(cfg)) {
    if (!json_is_object(cfg)) {
      keep_fail(err, 0, "image config.config: not an object");
      goto out;
    }
    c->user = dup_opt(cfg, "User");
    c->workdir = dup_opt(cfg, "WorkingDir");
    c->stop_signal = dup_opt(cfg, "StopSignal");
    if (string_array(cfg, "config", "Env", KEEP_MAX_ENV, &c->env, err) < 0 ||
        string_array(cfg, "config", "Entrypoint", KEEP_MAX_ARGS, &c->entrypoint, err) < 0 ||
        string_array(cfg, "config", "Cmd", KEEP_MAX_ARGS, &c->cmd, err) < 0)
      goto out;
    json_t *ports = json_object_get(cfg, "ExposedPorts");
    const char *k;
    json_t *v;
    if (json_is_object(ports)) {
      if (json_object_size(ports) > KEEP_MAX_PORTS) {
        keep_fail(err, 0, "config.ExposedPorts: %zu entries, more than keep accepts (%d)",
                  json_object_size(ports), KEEP_MAX_PORTS);
        goto out;
      }
      cleanup_strvb struct strv_builder b = {0};
      json_object_foreach (ports, k, v)
        strvb_add(&b, k);
      c->exposed_ports = strvb_finish(&b);
    }
  }
  json_t *rootfs = json_object_get(j, "rootfs");
  if (string_array(rootfs, "rootfs", "diff_ids", KEEP_MAX_LAYERS, &c->diff_ids, err) < 0)
    goto out;
  for (size_t i = 0; c->diff_ids && c->diff_ids[i]; i++) {
    char what[48];
    snprintf(what, sizeof(what), "image config.rootfs.diff_ids[%zu]", i);
    if (keep_digest_check(c->diff_ids[i], what, err) < 0)
      goto out;
  }
  if (c->workdir && c->workdir[0] != '/') {
    keep_fail(err, 0, "image config.config.WorkingDir `%s`: not an absolute path", keep_q(c->workdir));
    goto out;
  }
  r = 0;
out:
  json_decref(j);
  if (r < 0)
    keep_image_config_free(c);
  return r;
}

void keep_image_config_free(struct keep_image_config *c)
{
  free(c->user);
  strv_free(c->env);
  strv_free(c->entrypoint);
  strv_free(c->cmd);
  free(c->workdir);
  free(c->stop_signal);
  strv_free(c->exposed_ports);
  free(c->os);
  free(c->architecture);
  free(c->created);
  strv_free(c->diff_ids);
  memset(c, 0, sizeof(*c));
}
