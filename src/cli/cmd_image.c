/* Image commands: load, images, rmi, image inspect, verify. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image.h"
#include "image_gc.h"
#include "image_load.h"
#include "image_ref.h"
#include "store.h"
#include "util.h"

void keep_note_setid(struct keep_store *s, const char *digest, const char *name)
{
  struct keep_image img;
  cleanup_error keep_error *err = NULL;
  cleanup_strv char **paths = NULL;
  uint64_t n = 0;
  if (keep_image_open(s, digest, &img, &err) < 0)
    return;
  if (keep_image_setid_files(s, &img, &paths, &n, &err) == 0 && n > 0)
    fprintf(stderr,
            "%s: note: `%s` keeps %llu setuid/setgid file(s), e.g. /%s (inert under keep's "
            "no_new_privs; `keep image inspect` lists them)\n",
            keep_progname, name, (unsigned long long) n, paths ? paths[0] : "?");
  keep_image_free(&img);
}

int cmd_load(int argc, char **argv)
{
  static const struct option opts[] = {
      {"input", required_argument, NULL, 'i'},    {"tag", required_argument, NULL, 't'},
      {"platform", required_argument, NULL, 'p'}, {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
  const char *input = NULL, *tag = NULL;
  cleanup_free char *platform = keep_platform_default();
  bool quiet = false;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "i:t:qh", opts, NULL)) != -1) {
    switch (opt) {
    case 'i': input = optarg; break;
    case 't': tag = optarg; break;
    case 'p':
      free(platform);
      platform = xstrdup(optarg);
      break;
    case 'q': quiet = true; break;
    case 'h':
      printf("Usage: keep load [-i] FILE|DIR|- [--tag NAME] [--platform OS/ARCH]\n\n"
             "Import images from a `docker save` archive or an OCI image layout (a tar, plain,\n"
             "gzip or zstd, or a directory; `-` reads stdin).  Every blob is checked against\n"
             "its sha256 digest before it enters the store.\n\n"
             "Examples:\n  docker save busybox | keep load -\n  keep load -i busybox.tar\n");
      return 0;
    default:
      fprintf(stderr, "keep load: unknown option `%s` (see `keep load --help`)\n", argv[optind - 1]);
      return EXIT_KEEP_FAILED;
    }
  }
  if (input == NULL && optind < argc)
    input = argv[optind++];
  if (input == NULL || optind < argc) {
    fprintf(stderr, "keep load: expected one FILE, DIR or - (see `keep load --help`)\n");
    return EXIT_KEEP_FAILED;
  }
  if (strcmp(input, "-") == 0 && isatty(0)) {
    fprintf(stderr, "keep load: refusing to read an archive from a terminal\n");
    return EXIT_KEEP_FAILED;
  }
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  if (keep_store_open(&s, false, &err) < 0) {
    keep_store_close(&s);
    return keep_cli_fail(&err);
  }
  struct keep_loaded *l = NULL;
  size_t n = 0;
  int r = keep_image_load(&s, input, tag, platform, &l, &n, &err);
  for (size_t i = 0; r == 0 && i < n; i++)
    keep_note_setid(&s, l[i].digest, l[i].tag ? l[i].tag : l[i].digest);
  keep_store_close(&s);
  if (r < 0)
    return keep_cli_fail(&err);
  for (size_t i = 0; i < n && !quiet; i++)
    printf("Loaded image: %s (%s)\n", l[i].tag ? l[i].tag : "<untagged>", l[i].digest);
  keep_loaded_free(l, n);
  return 0;
}

struct image_row {
  char *repo, *tag, *digest, *id, *created;
  uint64_t size;
};

static int collect(struct keep_store *s, struct image_row **rows, size_t *n, keep_error **err)
{
  json_t *refs = NULL;
  if (keep_refs_load(s, &refs, err) < 0)
    return -1;
  const char *name;
  json_t *v;
  json_object_foreach (refs, name, v) {
    const char *md = json_string_value(v);
    struct keep_image img;
    if (md == NULL || keep_image_open(s, md, &img, err) < 0) {
      json_decref(refs);
      return keep_error_wrap(err, "image `%s`", name);
    }
    struct image_row row = {0};
    const char *colon = strrchr(name, ':');
    const char *slash = strrchr(name, '/');
    const char *at = strchr(name, '@');
    if (at) {
      /* pulled by digest: filed as name@digest, no tag */
      row.repo = strndup(name, (size_t) (at - name));
      row.tag = xstrdup("<none>");
    } else if (colon && (!slash || colon > slash)) {
      row.repo = strndup(name, (size_t) (colon - name));
      row.tag = xstrdup(colon + 1);
    } else {
      row.repo = xstrdup(name);
      row.tag = xstrdup("<none>");
    }
    row.digest = xstrdup(md);
    row.id = xstrdup(keep_digest_hex(img.manifest.config.digest));
    row.created = xstrdup(img.config.created ? img.config.created : "");
    row.size = (uint64_t) img.manifest.config.size;
    for (size_t i = 0; i < img.manifest.n_layers; i++)
      row.size += (uint64_t) img.manifest.layers[i].size;
    keep_image_free(&img);
    *rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
    (*rows)[(*n)++] = row;
  }
  json_decref(refs);
  return 0;
}

int cmd_images(int argc, char **argv)
{
  bool json = false, quiet = false;
  for (int i = 1; i < argc; i++) {
    if (cli_list_opt(argc, argv, &i, &json, &quiet)) {
      continue;
    } else if (strcmp(argv[i], "--help") == 0) {
      printf("Usage: keep images [--format json] [-q]\n\nList the images in the store: each tag "
             "with the manifest digest it resolves to and the image ID (its config digest).\n");
      return 0;
    } else {
      fprintf(stderr, "keep images: unknown argument `%s` (see `keep images --help`)\n", argv[i]);
      return EXIT_KEEP_FAILED;
    }
  }
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  struct image_row *rows = NULL;
  size_t n = 0;
  int r = keep_store_open(&s, false, &err);
  if (r == 0)
    r = collect(&s, &rows, &n, &err);
  keep_store_close(&s);
  if (r < 0)
    return keep_cli_fail(&err);
  json_t *arr = json ? json_array() : NULL;
  if (!json && !quiet)
    printf("%-40s %-12s %-12s %-19s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "DIGEST", "SIZE");
  for (size_t i = 0; i < n; i++) {
    char sz[32];
    keep_human_size(rows[i].size, sz, sizeof(sz));
    if (json)
      json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "repository", rows[i].repo,
                                           "tag", rows[i].tag, "digest", rows[i].digest, "id", rows[i].id,
                                           "size", (json_int_t) rows[i].size, "created", rows[i].created));
    else if (quiet)
      printf("%.12s\n", rows[i].id);
    else
      printf("%-40s %-12s %-12.12s %-19.19s %s\n", rows[i].repo, rows[i].tag, rows[i].id, rows[i].digest, sz);
    free(rows[i].repo);
    free(rows[i].tag);
    free(rows[i].digest);
    free(rows[i].id);
    free(rows[i].created);
  }
  free(rows);
  if (json) {
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(arr);
  }
  return 0;
}

int cmd_rmi(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc < 2 ? stderr : stdout,
            "Usage: keep rmi IMAGE...\n\nRemove tags (or every tag of an image ID or digest), then "
            "reclaim the blobs and layers no tag needs any more.\n");
    return argc < 2 ? EXIT_KEEP_FAILED : 0;
  }
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  if (keep_store_open(&s, true, &err) < 0) {
    keep_store_close(&s);
    return keep_cli_fail(&err);
  }
  int code = 0;
  for (int i = 1; i < argc; i++) {
    cleanup_free char *digest = NULL;
    json_t *refs = NULL;
    if (keep_image_resolve(&s, argv[i], &digest, &err) < 0 || keep_refs_load(&s, &refs, &err) < 0) {
      keep_error_print(err);
      keep_error_free(&err);
      code = EXIT_KEEP_FAILED;
      continue;
    }
    /* A tag removes that tag; an ID or digest removes every tag of it. */
    struct keep_image_ref ref;
    cleanup_free char *tagged = NULL;
    cleanup_error keep_error *e = NULL;
    if (keep_image_ref_parse(argv[i], &ref, &e) == 0) {
      tagged = keep_image_ref_tagged(&ref);
      keep_image_ref_free(&ref);
    }
    const char *name;
    json_t *v;
    void *tmp;
    json_object_foreach_safe (refs, tmp, name, v) {
      bool match = tagged && json_object_get(refs, tagged) ? strcmp(name, tagged) == 0
                                                           : strcmp(json_string_value(v), digest) == 0;
      if (!match)
        continue;
      if (keep_refs_update(&s, name, NULL, &err) < 0) {
        keep_error_print(err);
        keep_error_free(&err);
        code = EXIT_KEEP_FAILED;
      } else {
        printf("Untagged: %s\n", name);
      }
    }
    json_decref(refs);
  }
  struct keep_gc_stats st;
  if (keep_image_gc(&s, &st, &err) < 0) {
    keep_store_close(&s);
    return keep_cli_fail(&err);
  }
  keep_store_close(&s);
  cli_print_gc(&st);
  return code;
}

static int inspect(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc < 2 ? stderr : stdout, "Usage: keep image inspect IMAGE...\n\nPrint each image's digest, "
                                        "tags, manifest and config as JSON.\n");
    return argc < 2 ? EXIT_KEEP_FAILED : 0;
  }
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  if (keep_store_open(&s, false, &err) < 0) {
    keep_store_close(&s);
    return keep_cli_fail(&err);
  }
  json_t *out = json_array();
  int code = 0;
  for (int i = 1; i < argc && code == 0; i++) {
    cleanup_free char *digest = NULL, *mtext = NULL, *ctext = NULL;
    size_t mlen = 0, clen = 0;
    struct keep_image img;
    json_t *refs = NULL;
    if (keep_image_resolve(&s, argv[i], &digest, &err) < 0 || keep_image_open(&s, digest, &img, &err) < 0) {
      code = keep_cli_fail(&err);
      break;
    }
    if (keep_blob_read(&s, digest, &mtext, &mlen, &err) < 0 ||
        keep_blob_read(&s, img.manifest.config.digest, &ctext, &clen, &err) < 0 ||
        keep_refs_load(&s, &refs, &err) < 0) {
      keep_image_free(&img);
      code = keep_cli_fail(&err);
      break;
    }
    json_t *tags = json_array();
    const char *name;
    json_t *v;
    json_object_foreach (refs, name, v)
      if (strcmp(json_string_value(v), digest) == 0)
        json_array_append_new(tags, json_string(name));
    json_decref(refs);
    cleanup_strv char **setid = NULL;
    uint64_t nsetid = 0;
    json_t *sj = json_array();
    if (keep_image_setid_files(&s, &img, &setid, &nsetid, &err) == 0)
      for (size_t k = 0; setid && setid[k]; k++)
        json_array_append_new(sj, json_sprintf("/%s", setid[k]));
    keep_error_free(&err);
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "Id", img.manifest.config.digest, "Digest", digest,
                  "RepoTags", tags, "Manifest", keep_json_parse(mtext, mlen, 0, "manifest", NULL), "Config",
                  keep_json_parse(ctext, clen, 0, "config", NULL), "SetuidCount", (json_int_t) nsetid,
                  "SetuidFiles", sj);
    json_array_append_new(out, o);
    keep_image_free(&img);
  }
  keep_store_close(&s);
  if (code == 0) {
    json_dumpf(out, stdout, JSON_INDENT(2));
    putchar('\n');
  }
  json_decref(out);
  return code;
}

int cmd_verify(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
    printf("Usage: keep verify [IMAGE...]\n\nRe-hash every blob of the named images (default: every "
           "tagged image) and check it against its digest.\n");
    return 0;
  }
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  if (keep_store_open(&s, false, &err) < 0) {
    keep_store_close(&s);
    return keep_cli_fail(&err);
  }
  cleanup_strv char **names = NULL;
  json_t *refs = NULL;
  if (argc < 2) {
    if (keep_refs_load(&s, &refs, &err) < 0) {
      keep_store_close(&s);
      return keep_cli_fail(&err);
    }
    const char *name;
    json_t *v;
    json_object_foreach (refs, name, v)
      strv_push(&names, name);
    json_decref(refs);
  } else {
    names = strv_dup(argv + 1);
  }
  int code = 0;
  for (size_t i = 0; names && names[i]; i++) {
    cleanup_free char *digest = NULL;
    struct keep_image img;
    if (keep_image_resolve(&s, names[i], &digest, &err) < 0 || keep_image_open(&s, digest, &img, &err) < 0) {
      keep_error_wrap(&err, "%s", names[i]);
      keep_error_print(err);
      keep_error_free(&err);
      code = 1;
      continue;
    }
    uint64_t total = 0, sz = 0;
    int bad = 0;
    for (size_t k = 0; k < img.manifest.n_layers; k++) {
      if (keep_blob_verify(&s, img.manifest.layers[k].digest, &sz, &err) < 0) {
        keep_error_wrap(&err, "%s: layer %zu", names[i], k);
        keep_error_print(err);
        keep_error_free(&err);
        bad++;
      }
      total += sz;
    }
    char h[32];
    keep_human_size(total, h, sizeof(h));
    if (bad)
      code = 1;
    else
      printf("ok %s: manifest, config and %zu layers (%s) match their digests\n", names[i],
             img.manifest.n_layers, h);
    keep_image_free(&img);
  }
  keep_store_close(&s);
  return code;
}

/* Unpack what is missing (after /etc/subuid moved root's range, or a
 * layer directory was removed by hand). */
static int unpack(int argc, char **argv)
{
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(argc == 2 ? stdout : stderr, "Usage: keep image unpack IMAGE\n\nUnpack the image's layers "
                                         "that are not unpacked yet (each checked against its digest).\n");
    return argc == 2 ? 0 : EXIT_KEEP_FAILED;
  }
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  cleanup_free char *digest = NULL;
  struct keep_image img = {0};
  char **dirs = NULL;
  int r = keep_store_open(&s, false, &err);
  if (r == 0)
    r = keep_image_resolve(&s, argv[1], &digest, &err);
  if (r == 0)
    r = keep_image_open(&s, digest, &img, &err);
  if (r == 0)
    r = keep_image_layers(&s, &img, &dirs, &err);
  size_t n = strv_len(dirs);
  strv_free(dirs);
  keep_image_free(&img);
  keep_store_close(&s);
  if (r < 0)
    return keep_cli_fail(&err);
  printf("%zu layers unpacked\n", n);
  return 0;
}

int cmd_image(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
    return inspect(argc - 1, argv + 1);
  if (argc >= 2 && (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0))
    return cmd_images(argc - 1, argv + 1);
  if (argc >= 2 && (strcmp(argv[1], "rm") == 0))
    return cmd_rmi(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "load") == 0)
    return cmd_load(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "pull") == 0)
    return cmd_pull(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "unpack") == 0)
    return unpack(argc - 1, argv + 1);
  bool help = argc >= 2 && strcmp(argv[1], "--help") == 0;
  fprintf(help ? stdout : stderr, "Usage: keep image inspect|ls|rm|load|pull|unpack ...\n");
  return help ? 0 : EXIT_KEEP_FAILED;
}
