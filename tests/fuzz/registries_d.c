/* registries.d YAML (registries_d.c): keep_lookaside_find over a directory
 * holding the input as its one .yaml file, for a few repositories.
 * Invariants: the lookaside URL found (and the sigstore-attachments flag)
 * comes from default-docker or from a docker: scope that is the
 * repository or one of its path prefixes ("example.com" never answers for
 * "example.com.evil/x"). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "fuzz.h"
#include "registries_d.h"
#include "util.h"

static char *dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  dir = xasprintf("%s/registries.d", fuzz_tmpdir());
  if (mkdir(dir, 0755) < 0)
    die("mkdir `%s`: %m", dir);
  return 0;
}

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(d, p->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *) k->data.scalar.value, key) == 0)
      return yaml_document_get_node(d, p->value);
  }
  return NULL;
}

/* Does entry `e` name `url` (under either key), or set the flag? */
static bool gives_url(yaml_document_t *d, yaml_node_t *e, const char *url)
{
  const char *keys[] = {"lookaside", "sigstore"};
  for (size_t i = 0; i < 2; i++) {
    yaml_node_t *v = get(d, e, keys[i]);
    if (v && v->type == YAML_SCALAR_NODE && strcmp((const char *) v->data.scalar.value, url) == 0)
      return true;
  }
  return false;
}

static bool gives_flag(yaml_document_t *d, yaml_node_t *e)
{
  yaml_node_t *v = get(d, e, "use-sigstore-attachments");
  return v && v->type == YAML_SCALAR_NODE && strcmp((const char *) v->data.scalar.value, "true") == 0;
}

static bool scope_of(const char *scope, const char *name)
{
  size_t n = strlen(scope);
  return strncmp(scope, name, n) == 0 && (name[n] == '\0' || name[n] == '/');
}

static void check(const uint8_t *data, size_t size, const char *name)
{
  struct keep_lookaside l;
  keep_error *err = NULL;
  int r = keep_lookaside_find(dir, name, &l, &err);
  fuzz_error_done(&err, r);
  if (r < 0)
    return;
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, data, size);
  bool loaded = yaml_parser_load(&parser, &doc);
  FUZZ_CHECK(loaded || (!l.url && !l.staging_url && !l.sigstore_attachments),
             "a lookaside from a file that does not load");
  if (loaded) {
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *def = get(&doc, root, "default-docker");
    yaml_node_t *docker = get(&doc, root, "docker");
    bool url_ok = l.url == NULL || gives_url(&doc, def, l.url);
    bool flag_ok = !l.sigstore_attachments || gives_flag(&doc, def);
    if (docker && docker->type == YAML_MAPPING_NODE)
      for (yaml_node_pair_t *p = docker->data.mapping.pairs.start; p < docker->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE || !scope_of((const char *) k->data.scalar.value, name))
          continue;
        yaml_node_t *e = yaml_document_get_node(&doc, p->value);
        url_ok = url_ok || gives_url(&doc, e, l.url);
        flag_ok = flag_ok || gives_flag(&doc, e);
      }
    FUZZ_CHECK(url_ok, "%s: lookaside `%s` from no scope of it", name, l.url);
    FUZZ_CHECK(flag_ok, "%s: sigstore attachments from no scope of it", name);
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  keep_lookaside_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *path = xasprintf("%s/input.yaml", dir);
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write_all(fd, data, size) < 0)
    die("write `%s`: %m", path);
  check(data, size, "docker.io/library/busybox");
  check(data, size, "registry.example.com/team/app");
  check(data, size, "127.0.0.1:5000/a");
  return 0;
}
