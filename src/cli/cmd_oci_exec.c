/* keep exec [--process FILE | OPTIONS ID CMD...]: a process in a running
 * container. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <signal.h>

#include "caps.h"
#include "commands.h"
#include "seccomp_filter.h"
#include "service.h"
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
  struct keep_oci_exec_opts o = {.root = keep_global.root, .console_fd = -1};
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

/* Docker's form, for a container of keep run: keep exec [-i] [-d] [-u UID[:GID]]
 * [-e K=V] [-w DIR] CONTAINER CMD...  The process gets what the container's
 * own got: its user, filter (compiled as keep run compiled it), Landlock
 * rules, capabilities (none unless added), cgroup and namespaces. */
static int service_exec_confinement(const struct keep_ctr *c, struct keep_oci_exec_opts *o, keep_error **err)
{
  json_t *d = json_object_get(c->record, "defences");
  const char *sc = json_string_value(json_object_get(d, "seccomp")) ?: "default";
  uint64_t caps = 0;
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get(d, "capAdd"), i, v)
    if (keep_caps_parse(json_string_value(v) ?: "", &caps, err) < 0)
      return -1;
  bool rootless = json_is_true(json_object_get(d, "rootless"));
  cleanup_free char *cache = keep_cache_dir(rootless);
  if (strcmp(sc, "unconfined") != 0 &&
      keep_seccomp_prepare(strcmp(sc, "default") == 0 ? NULL : sc, caps, cache, &o->seccomp, err) < 0)
    return -1;
  if (json_is_true(json_object_get(d, "landlock"))) {
    json_array_foreach (json_object_get(d, "landlockWritable"), i, v)
      strv_push(&o->landlock_writable, json_string_value(v) ?: "/");
    if (o->landlock_writable == NULL)
      o->landlock_writable = xcalloc(1, sizeof(char *));
    o->landlock_root_writable = json_is_true(json_object_get(d, "rootWritable"));
    json_t *rules = json_object_get(d, "landlockRules");
    o->n_landlock_rules = json_array_size(rules);
    o->landlock_rules = xcalloc(o->n_landlock_rules + 1, sizeof(*o->landlock_rules));
    json_array_foreach (rules, i, v) {
      o->landlock_rules[i].path = xstrdup(json_string_value(json_object_get(v, "path")) ?: "/");
      o->landlock_rules[i].access = (unsigned) json_integer_value(json_object_get(v, "access"));
    }
  }
  return 0;
}

/* -t: the process gets a terminal of the container's devpts; keep relays
 * it (raw mode, window size, stdin with -i) and waits, as an attached run. */
static int exec_with_terminal(struct keep_oci_exec_opts *o, struct keep_oci_process *p, bool interactive,
                              keep_error **err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    keep_fail_errno(err, "socketpair for the terminal");
    return EXIT_KEEP_FAILED;
  }
  pid_t child = 0;
  p->terminal = true;
  o->console_fd = sv[1];
  o->detach = true;
  o->pid_out = &child;
  /* The process is re-parented to us when exec's helper exits: we wait. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sigset_t mask, old;
  keep_oci_block_forwarded(&mask, &old);
  int code = EXIT_KEEP_FAILED, unused = 0;
  if (keep_oci_exec(o, &unused, err) == 0) {
    close(sv[1]);
    sv[1] = -1;
    int master = keep_unix_recv_fd(sv[0]);
    struct keep_oci_attach a = {.child = child, .master = master, .interactive = interactive, .mask = &mask};
    if (master < 0)
      keep_fail(err, EPROTO, "the terminal of the exec'd process did not arrive");
    else if (keep_oci_attach(&a, &code, err) < 0)
      code = EXIT_KEEP_FAILED;
    if (master >= 0)
      close(master);
    if (master < 0)
      kill(child, SIGKILL);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(sv[0]);
  if (sv[1] >= 0)
    close(sv[1]);
  return code;
}

int cmd_service_exec(int argc, char **argv)
{
  static const struct option opts[] = {{"interactive", no_argument, NULL, 'i'},
                                       {"tty", no_argument, NULL, 't'},
                                       {"detach", no_argument, NULL, 'd'},
                                       {"user", required_argument, NULL, 'u'},
                                       {"env", required_argument, NULL, 'e'},
                                       {"workdir", required_argument, NULL, 'w'},
                                       {NULL, 0, NULL, 0}};
  bool interactive = false, tty = false;
  const char *user = NULL, *cwd = NULL;
  cleanup_strv char **env = NULL;
  struct keep_oci_exec_opts o = {.console_fd = -1};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "+itdu:e:w:", opts, NULL)) != -1) {
    switch (c) {
    case 'i': interactive = true; break;
    case 't': tty = true; break;
    case 'd': o.detach = true; break;
    case 'u': user = optarg; break;
    case 'e': strv_push(&env, optarg); break;
    case 'w':
      if (optarg[0] != '/') {
        fprintf(stderr, "keep exec: invalid --workdir `%s`: an absolute path\n", keep_q(optarg));
        return EXIT_KEEP_FAILED;
      }
      cwd = optarg;
      break;
    default: fprintf(stderr, "keep exec: unknown option (see `keep exec --help`)\n"); return EXIT_KEEP_FAILED;
    }
  }
  if (optind + 1 >= argc) {
    fprintf(stderr, "keep exec: expected a container and a command\n");
    return EXIT_KEEP_FAILED;
  }
  uid_t uid = 0;
  gid_t gid = (gid_t) -1;
  if (user && parse_user(user, &uid, &gid) < 0) {
    fprintf(stderr, "keep exec: invalid --user `%s`: expected UID[:GID]\n", keep_q(user));
    return EXIT_KEEP_FAILED;
  }
  cleanup_free char *base = NULL;
  keep_error *err = NULL;
  struct keep_ctr ctr;
  struct keep_oci_process p = {0};
  gid_t gid_store = 0;
  int code = EXIT_KEEP_FAILED;
  cleanup_free char *ran_as = NULL;
  if (keep_cli_ctr_open(argv[optind], &base, &ctr, &err) < 0)
    goto out;
  if (ctr.status != KEEP_CTR_RUNNING) {
    keep_fail(&err, 0, "container `%s` is %s: exec needs a running container", argv[optind],
              keep_ctr_status_name(ctr.status));
    goto out;
  }
  if (config_process(base, ctr.id, &p, &err) < 0 || service_exec_confinement(&ctr, &o, &err) < 0)
    goto out;
  /* The user the container's process runs as (its image's USER, resolved
   * inside), unless -u says otherwise. */
  unsigned ru = 0, rg = 0;
  if (read_file_at(ctr.dirfd, "user", &ran_as, NULL, NULL) == 0 && sscanf(ran_as, "%u:%u", &ru, &rg) == 2) {
    p.uid = ru;
    p.gid = rg;
  }
  if (user) {
    p.uid = uid;
    p.gid = gid != (gid_t) -1 ? gid : uid;
  }
  gid_store = p.gid;
  free(p.additional_gids);
  p.additional_gids = xmalloc(sizeof(gid_t));
  p.additional_gids[0] = gid_store;
  p.n_additional_gids = 1;
  strv_free(p.args);
  p.args = strv_dup(argv + optind + 1);
  p.terminal = false;
  if (cwd) {
    free(p.cwd);
    p.cwd = xstrdup(cwd);
  }
  for (size_t i = 0; env && env[i]; i++) {
    /* -e K=V replaces the container's K. */
    size_t klen = strcspn(env[i], "=");
    size_t w = 0;
    for (size_t r = 0; p.env && p.env[r]; r++) {
      if (strncmp(p.env[r], env[i], klen) == 0 && p.env[r][klen] == '=')
        free(p.env[r]);
      else
        p.env[w++] = p.env[r];
    }
    if (p.env)
      p.env[w] = NULL;
    strv_push(&p.env, env[i]);
  }
  o.root = base;
  o.id = ctr.id;
  o.process = &p;
  o.stdin_null = !interactive;
  o.via_workload = true;
  if (tty) {
    code = exec_with_terminal(&o, &p, interactive, &err);
  } else if (keep_oci_exec(&o, &code, &err) < 0) {
    code = EXIT_KEEP_FAILED;
  }
out:
  if (err)
    keep_cli_fail(&err);
  keep_seccomp_free(o.seccomp);
  strv_free(o.landlock_writable);
  for (size_t i = 0; i < o.n_landlock_rules; i++)
    free(o.landlock_rules[i].path);
  free(o.landlock_rules);
  keep_oci_process_free(&p);
  keep_ctr_free(&ctr);
  return code;
}
