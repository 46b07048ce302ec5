/* keep secret create|ls|rm|inspect: the caller's secret store (secret.h).
 * Nothing here ever prints a value, nor a hash of one (a hash of a short
 * password is as good as the password to whoever can guess it). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "secret.h"
#include "util.h"

static void secret_usage(FILE *out)
{
  fprintf(out, "Usage: keep secret create NAME FILE|-\n"
               "       keep secret ls [--format json] [-q]\n"
               "       keep secret inspect NAME...\n"
               "       keep secret rm NAME...\n"
               "\n"
               "Keep values a container needs (passwords, keys) out of its environment.\n"
               "A secret lives in your own store (<store>/secrets, mode 0700; each value\n"
               "0600), and `keep run --secret NAME` puts it in the container at\n"
               "/run/secrets/NAME, on a read-only tmpfs, mode 0400, owned by the process's\n"
               "user.  No command shows a value again.\n"
               "\n"
               "Names: 1 to 64 letters, digits, `_`, `.`, `-`, starting and ending with a\n"
               "letter or digit.  A value holds 1 byte to 500 KiB.\n"
               "\n"
               "Examples:\n"
               "  printf %%s \"$DB_PASSWORD\" | keep secret create db_password -\n"
               "  keep secret create tls.key ./server.key\n"
               "  keep run --secret db_password ./rootfs cat /run/secrets/db_password\n"
               "  keep run --secret tls.key,target=tls/key,uid=1000,mode=0440 IMAGE\n");
}

static void rfc3339(int64_t t, char *buf, size_t len)
{
  time_t tt = (time_t) t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *info_json(const struct keep_secret_info *v)
{
  char when[32];
  rfc3339(v->created, when, sizeof(when));
  return json_pack("{s:s, s:I, s:s}", "name", v->name, "size", (json_int_t) v->size, "created", when);
}

static int secret_create(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr,
            "keep secret create: expected NAME and FILE (or - for stdin) (see `keep secret --help`)\n");
    return EXIT_KEEP_FAILED;
  }
  cleanup_error keep_error *err = NULL;
  const char *name = argv[1], *file = argv[2];
  /* The name first: a bad one is refused before anything is read or made. */
  if (keep_secret_name_check(name, &err) < 0)
    return keep_cli_fail(&err);
  cleanup_close int src = -1;
  cleanup_free char *what = NULL;
  if (strcmp(file, "-") == 0) {
    what = xstrdup("stdin");
  } else {
    src = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (src < 0 || fstat(src, &st) < 0) {
      keep_fail_errno(&err, "open `%s`", keep_q(file));
      return keep_cli_fail(&err);
    }
    if (!S_ISREG(st.st_mode)) {
      keep_fail(&err, 0, "`%s` is a %s: give a regular file, or - for stdin", keep_q(file),
                keep_file_kind(st.st_mode));
      return keep_cli_fail(&err);
    }
    what = xasprintf("`%s`", keep_q(file));
  }
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = keep_secret_store_open(true, &dir, &err);
  if (dirfd < 0 || keep_secret_create(dirfd, dir, name, src >= 0 ? src : 0, what, &err) < 0)
    return keep_cli_fail(&err);
  printf("%s\n", name);
  return 0;
}

static int secret_ls(int argc, char **argv)
{
  bool json = false, quiet = false;
  for (int i = 1; i < argc; i++) {
    if (!cli_list_opt(argc, argv, &i, &json, &quiet)) {
      fprintf(stderr, "keep secret ls: unknown argument `%s` (--format json, -q)\n", keep_q(argv[i]));
      return EXIT_KEEP_FAILED;
    }
  }
  cleanup_error keep_error *err = NULL;
  cleanup_close int dirfd = keep_secret_store_open(true, NULL, &err);
  struct keep_secret_info *v = NULL;
  size_t n = 0;
  if (dirfd < 0 || keep_secret_list(dirfd, &v, &n, &err) < 0)
    return keep_cli_fail(&err);
  json_t *arr = json ? json_array() : NULL;
  if (!json && !quiet)
    printf("%-40s %-10s %s\n", "NAME", "SIZE", "CREATED");
  for (size_t i = 0; i < n; i++) {
    char when[32], sz[32];
    rfc3339(v[i].created, when, sizeof(when));
    keep_human_size(v[i].size, sz, sizeof(sz));
    if (json)
      json_array_append_new(arr, info_json(&v[i]));
    else if (quiet)
      printf("%s\n", v[i].name);
    else
      printf("%-40s %-10s %s\n", v[i].name, sz, when);
  }
  keep_secret_info_free(v, n);
  if (json) {
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(arr);
  }
  return 0;
}

/* inspect and rm: NAME... (each checked before any is acted on, so a bad
 * one changes nothing), and the store they are in. */
static int open_named(int argc, char **argv, const char *cmd, char **dir, keep_error **err)
{
  if (argc < 2)
    return keep_fail(err, 0, "%s: expected NAME... (see `keep secret --help`)", cmd);
  for (int i = 1; i < argc; i++)
    if (keep_secret_name_check(argv[i], err) < 0)
      return -1;
  return keep_secret_store_open(false, dir, err);
}

static int secret_inspect(int argc, char **argv)
{
  cleanup_error keep_error *err = NULL;
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = open_named(argc, argv, "inspect", &dir, &err);
  if (dirfd < 0)
    return keep_cli_fail(&err);
  json_t *arr = json_array();
  int code = 0;
  for (int i = 1; i < argc; i++) {
    struct keep_secret_info info;
    if (keep_secret_stat(dirfd, dir, argv[i], &info, &err) < 0) {
      code = keep_cli_fail(&err);
      continue;
    }
    json_array_append_new(arr, info_json(&info));
    free(info.name);
  }
  /* All missing: the error lines alone, no empty list beside them. */
  if (code == 0 || json_array_size(arr) > 0) {
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
  }
  json_decref(arr);
  return code;
}

static int secret_rm(int argc, char **argv)
{
  cleanup_error keep_error *err = NULL;
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = open_named(argc, argv, "rm", &dir, &err);
  if (dirfd < 0)
    return keep_cli_fail(&err);
  int code = 0;
  for (int i = 1; i < argc; i++) {
    if (keep_secret_remove(dirfd, dir, argv[i], &err) < 0)
      code = keep_cli_fail(&err);
    else
      printf("%s\n", argv[i]);
  }
  return code;
}

int cmd_secret(int argc, char **argv)
{
  keep_progname = "keep secret";
  if (argc < 2) {
    secret_usage(stderr);
    return EXIT_KEEP_FAILED;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
    secret_usage(stdout);
    return 0;
  }
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0) {
      secret_usage(stdout);
      return 0;
    }
  if (strcmp(sub, "create") == 0)
    return secret_create(argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
    return secret_ls(argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0)
    return secret_inspect(argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
    return secret_rm(argc - 1, argv + 1);
  fprintf(stderr, "keep secret: unknown command `%s` (create, ls, inspect, rm)\n", keep_q(sub));
  return EXIT_KEEP_FAILED;
}
