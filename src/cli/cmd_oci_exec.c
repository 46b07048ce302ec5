/* keep exec [--process FILE | OPTIONS ID CMD...]: a process in a running
 * container. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "oci_runtime.h"
#include "util.h"

/* The process of the container's config, as the base of a command-line exec. */
static int config_process(const char *root, const char *id, struct keep_oci_process *p, keep_error **err)
{
  struct keep_oci_state st;
  int r = -1;
  if (keep_oci_state_open(root, id, &st, err) == 0) {
    cleanup_free char *text = NULL;
    size_t len = 0;
    struct keep_oci_spec s;
    if (read_file_at(st.dirfd, "config.json", &text, &len, err) == 0 &&
        keep_oci_spec_parse_len(st.bundle, text, len, &s, err) == 0) {
      *p = s.process;
      memset(&s.process, 0, sizeof(s.process));
      keep_oci_spec_free(&s);
      r = 0;
    }
  }
  keep_oci_state_free(&st);
  return r;
}

/* UID[:GID], each 0 to 4294967294 ((uid_t) -1 is "unchanged", never an id). */
static int parse_user(const char *s, uid_t *uid, gid_t *gid)
{
  cleanup_free char *copy = xstrdup(s);
  char *g = strchr(copy, ':');
  if (g)
    *g++ = '\0';
  const char *parts[2] = {copy, g};
  int64_t v[2] = {0, 0};
  for (int i = 0; i < 2; i++)
    if (parts[i] && (parts[i][strspn(parts[i], "0123456789")] != '\0' || parse_int64(parts[i], &v[i]) < 0 ||
                     v[i] > 4294967294LL))
      return -1;
  *uid = (uid_t) v[0];
  if (g)
    *gid = (gid_t) v[1]; /* else left as it was: the config's */
  return 0;
}

int cmd_oci_exec(int argc, char **argv)
{
  static const struct option opts[] = {
      {"process", required_argument, NULL, 'p'},
      {"detach", no_argument, NULL, 'd'},
      {"pid-file", required_argument, NULL, 'P'},
      {"tty", no_argument, NULL, 't'},
      {"console-socket", required_argument, NULL, 'c'},
      {"cwd", required_argument, NULL, 'w'},
      {"env", required_argument, NULL, 'e'},
      {"user", required_argument, NULL, 'u'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct keep_oci_exec_opts o = {.root = keep_global.root};
  const char *process_file = NULL, *cwd = NULL, *user = NULL;
  bool tty = false;
  cleanup_strv char **env = NULL;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "+dte:u:w:", opts, NULL)) != -1) {
    switch (c) {
    case 'p': process_file = optarg; break;
    case 'd': o.detach = true; break;
    case 'P': o.pid_file = optarg; break;
    case 't': tty = true; break;
    case 'c': o.console_socket = optarg; break;
    case 'w': cwd = optarg; break;
    case 'e': strv_push(&env, optarg); break;
    case 'u': user = optarg; break;
    case 'h':
      printf("Usage: keep exec [--process FILE] [--detach] [--pid-file F] [--tty --console-socket S]\n"
             "                 [--cwd DIR] [--env K=V] [--user UID[:GID]] ID [CMD ARG...]\n"
             "\nExamples:\n  keep exec mycontainer ps\n  keep exec --process process.json mycontainer\n");
      return 0;
    default: fprintf(stderr, "keep exec: unknown option (see `keep exec --help`)\n"); return EXIT_KEEP_FAILED;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "keep exec: expected a container ID\n");
    return EXIT_KEEP_FAILED;
  }
  o.id = argv[optind++];
  if (o.root == NULL)
    o.root = keep_oci_default_root();
  keep_error *err = NULL;
  struct keep_oci_process p = {0};
  if (process_file) {
    json_t *j = keep_json_load_file_at(AT_FDCWD, process_file, 0, &err);
    if (j == NULL) {
      keep_error_wrap(&err, "--process");
      return keep_cli_fail(&err);
    }
    int r = keep_oci_process_parse(j, "process", &p, &err);
    json_decref(j);
    if (r < 0) {
      keep_error_wrap(&err, "--process `%s`", keep_q(process_file));
      return keep_cli_fail(&err);
    }
  } else {
    if (optind >= argc) {
      fprintf(stderr, "keep exec: expected a command (or --process FILE)\n");
      return EXIT_KEEP_FAILED;
    }
    uid_t uid = 0;
    gid_t gid = (gid_t) -1;
    if (user && parse_user(user, &uid, &gid) < 0) {
      fprintf(stderr, "keep exec: invalid --user `%s`: expected UID[:GID], numbers from 0 to 4294967294\n",
              keep_q(user));
      return EXIT_KEEP_FAILED;
    }
    if (config_process(o.root, o.id, &p, &err) < 0)
      return keep_cli_fail(&err);
    strv_free(p.args);
    p.args = strv_dup(argv + optind);
    p.terminal = tty;
    if (cwd) {
      free(p.cwd);
      p.cwd = xstrdup(cwd);
    }
    for (size_t i = 0; env && env[i]; i++)
      strv_push(&p.env, env[i]);
    if (user) {
      p.uid = uid;
      if (gid != (gid_t) -1)
        p.gid = gid;
    }
  }
  o.process = &p;
  int code = 0;
  int r = keep_oci_exec(&o, &code, &err);
  keep_oci_process_free(&p);
  if (r < 0)
    return keep_cli_fail(&err);
  return code;
}
