#include "registries_d.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "util.h"

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
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

static const char *scalar(yaml_node_t *n)
{
  return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

/* Take url/attachments from one entry (a mapping), when it has them. */
static void take(yaml_document_t *d, yaml_node_t *entry, struct keep_lookaside *out)
{
  const char *url = scalar(map_get(d, entry, "lookaside"));
  if (url == NULL)
    url = scalar(map_get(d, entry, "sigstore")); /* the older name */
  if (url) {
    free(out->url);
    out->url = xstrdup(url);
  }
  const char *staging = scalar(map_get(d, entry, "lookaside-staging"));
  if (staging == NULL)
    staging = scalar(map_get(d, entry, "sigstore-staging"));
  if (staging) {
    free(out->staging_url);
    out->staging_url = xstrdup(staging);
  }
  const char *att = scalar(map_get(d, entry, "use-sigstore-attachments"));
  if (att)
    out->sigstore_attachments = strcmp(att, "true") == 0;
}

static bool scope_matches(const char *scope, const char *name)
{
  size_t n = strlen(scope);
  return strncmp(scope, name, n) == 0 && (name[n] == '\0' || name[n] == '/');
}

static int read_file(const char *path, const char *name, struct keep_lookaside *def,
                     struct keep_lookaside *best, size_t *best_len, keep_error **err)
{
  /* A regular file only: a FIFO in registries.d would hold keep in open(). */
  int fd = open_regular_at(AT_FDCWD, path, err);
  if (fd < 0)
    return -1;
  FILE *f = fdopen(fd, "re");
  if (f == NULL) {
    close(fd);
    return keep_fail_errno(err, "open `%s`", keep_q(path));
  }
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  int r = 0;
  if (!yaml_parser_load(&parser, &doc)) {
    r = keep_fail(err, 0, "`%s`: YAML error at line %zu: %s", keep_q(path), parser.problem_mark.line + 1,
                  parser.problem ? keep_q(parser.problem) : "?");
    yaml_parser_delete(&parser);
    fclose(f);
    return r;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  take(&doc, map_get(&doc, root, "default-docker"), def);
  yaml_node_t *docker = map_get(&doc, root, "docker");
  if (docker && docker->type == YAML_MAPPING_NODE) {
    for (yaml_node_pair_t *p = docker->data.mapping.pairs.start; p < docker->data.mapping.pairs.top; p++) {
      const char *scope = scalar(yaml_document_get_node(&doc, p->key));
      if (scope == NULL || !scope_matches(scope, name) || strlen(scope) < *best_len)
        continue;
      *best_len = strlen(scope);
      take(&doc, yaml_document_get_node(&doc, p->value), best);
    }
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  fclose(f);
  return 0;
}

static int scan_dir(const char *dir, const char *name, struct keep_lookaside *def,
                    struct keep_lookaside *best, size_t *best_len, bool *found, keep_error **err)
{
  struct dirent **list = NULL;
  int n = scandir(dir, &list, NULL, alphasort);
  if (n < 0)
    return 0; /* no such directory: nothing configured there */
  int r = 0;
  for (int i = 0; i < n; i++) {
    const char *f = list[i]->d_name;
    size_t l = strlen(f);
    if (r == 0 && l > 5 && strcmp(f + l - 5, ".yaml") == 0) {
      cleanup_free char *p = xasprintf("%s/%s", dir, f);
      r = read_file(p, name, def, best, best_len, err);
      *found = true;
    }
    free(list[i]);
  }
  free(list);
  return r;
}

int keep_lookaside_find(const char *dir, const char *name, struct keep_lookaside *out, keep_error **err)
{
  memset(out, 0, sizeof(*out));
  struct keep_lookaside def = {0}, best = {0};
  size_t best_len = 0;
  bool found = false;
  int r = 0;
  if (dir) {
    r = scan_dir(dir, name, &def, &best, &best_len, &found, err);
  } else {
    const char *home = getenv("HOME");
    cleanup_free char *user = home ? xasprintf("%s/.config/containers/registries.d", home) : NULL;
    if (user)
      r = scan_dir(user, name, &def, &best, &best_len, &found, err);
    if (r == 0 && !found)
      r = scan_dir("/etc/containers/registries.d", name, &def, &best, &best_len, &found, err);
  }
  if (r == 0) {
    struct keep_lookaside *pick = best_len ? &best : &def;
    out->url = pick->url ? xstrdup(pick->url) : NULL;
    out->staging_url = pick->staging_url ? xstrdup(pick->staging_url) : NULL;
    out->sigstore_attachments =
        best_len ? best.sigstore_attachments || def.sigstore_attachments : def.sigstore_attachments;
  }
  keep_lookaside_free(&def);
  keep_lookaside_free(&best);
  return r;
}

void keep_lookaside_free(struct keep_lookaside *l)
{
  free(l->url);
  free(l->staging_url);
  l->url = l->staging_url = NULL;
}
