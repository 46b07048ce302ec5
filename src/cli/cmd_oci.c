/* The OCI runtime command line: what containerd, Docker, Podman and CRI-O
 * call (create, start, state, kill, delete, run --bundle, exec, ps, pause,
 * resume, features, spec, list). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "apparmor.h"
#include "commands.h"
#include "keep_build_config.h"
#include "oci_runtime.h"
#include "selinux.h"
#include "util.h"

struct keep_global_opts keep_global = {0};

static const char *state_root(void)
{
  static char *def;
  if (keep_global.root)
    return keep_global.root;
  if (def == NULL)
    def = keep_oci_default_root();
  return def;
}

/* The one-line usage error; returns the exit status for it. */
static int usage_error(const char *cmd, const char *what)
{
  fprintf(stderr, "keep %s: %s (see `keep %s --help`)\n", cmd, what, cmd);
  return EXIT_KEEP_FAILED;
}

/* The same, for parsers that report failure as -1. */
static int usage_fail(const char *cmd, const char *what)
{
  usage_error(cmd, what);
  return -1;
}

/* create and run share their options. */
static int parse_create(int argc, char **argv, const char *cmd, struct keep_oci_create_opts *o)
{
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'},
      {"pid-file", required_argument, NULL, 'p'},
      {"console-socket", required_argument, NULL, 'c'},
      {"no-pivot", no_argument, NULL, 'n'},
      {"detach", no_argument, NULL, 'd'},
      {"no-new-keyring", no_argument, NULL, 'k'},
      {"preserve-fds", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
    switch (c) {
    case 'b': o->bundle = optarg; break;
    case 'p': o->pid_file = optarg; break;
    case 'c': o->console_socket = optarg; break;
    case 'n': o->no_pivot = true; break;
    case 'd': o->detach = true; break;
    case 'k': break; /* keep never shares the session keyring: always new */
    case 'f':
      if (strcmp(optarg, "0") != 0)
        return usage_fail(cmd, "--preserve-fds is not supported");
      break;
    case 'h':
      printf("Usage: keep %s [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--no-pivot]%s ID\n"
             "\nExamples:\n  keep %s --bundle ./bundle mycontainer\n",
             cmd, strcmp(cmd, "run") == 0 ? " [--detach]" : "", cmd);
      exit(0);
    default: return usage_fail(cmd, "unknown option");
    }
  }
  if (optind != argc - 1)
    return usage_fail(cmd, "expected exactly one container ID");
  o->id = argv[optind];
  o->root = state_root();
  return 0;
}

int cmd_oci_create(int argc, char **argv)
{
  struct keep_oci_create_opts o = {0};
  if (parse_create(argc, argv, "create", &o) < 0)
    return EXIT_KEEP_FAILED;
  keep_error *err = NULL;
  if (keep_oci_create(&o, &err) < 0)
    return keep_cli_fail(&err);
  return 0;
}

int cmd_oci_run(int argc, char **argv)
{
  struct keep_oci_create_opts o = {0};
  if (parse_create(argc, argv, "run", &o) < 0)
    return EXIT_KEEP_FAILED;
  keep_error *err = NULL;
  int code = 0;
  if (keep_oci_run(&o, &code, &err) < 0)
    return keep_cli_fail(&err);
  return code;
}

static int one_id(int argc, char **argv, const char *cmd, const char **id)
{
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("Usage: keep %s ID\n", cmd);
    exit(0);
  }
  if (argc != 2 || argv[1][0] == '-')
    return usage_fail(cmd, "expected exactly one container ID");
  *id = argv[1];
  return 0;
}

int cmd_oci_start(int argc, char **argv)
{
  const char *id = NULL;
  if (one_id(argc, argv, "start", &id) < 0)
    return EXIT_KEEP_FAILED;
  keep_error *err = NULL;
  return keep_oci_start(state_root(), id, &err) < 0 ? keep_cli_fail(&err) : 0;
}

int cmd_oci_state(int argc, char **argv)
{
  const char *id = NULL;
  if (one_id(argc, argv, "state", &id) < 0)
    return EXIT_KEEP_FAILED;
  keep_error *err = NULL;
  struct keep_oci_state st;
  if (keep_oci_state_open(state_root(), id, &st, &err) < 0) {
    keep_oci_state_free(&st);
    return keep_cli_fail(&err);
  }
  json_t *j = keep_oci_state_json(&st);
  json_dumpf(j, stdout, JSON_INDENT(2));
  putchar('\n');
  json_decref(j);
  keep_oci_state_free(&st);
  return 0;
}

int cmd_oci_kill(int argc, char **argv)
{
  bool all = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0)
      all = true;
    else if (strcmp(argv[i], "--help") == 0) {
      printf("Usage: keep kill [--all] ID [SIGNAL]   (SIGNAL: name or number, default TERM)\n");
      return 0;
    } else
      return usage_error("kill", "unknown option");
  }
  if (argc - i < 1 || argc - i > 2)
    return usage_error("kill", "expected ID [SIGNAL]");
  int sig = SIGTERM;
  if (argc - i == 2 && keep_signal_parse(argv[i + 1], &sig) < 0) {
    fprintf(stderr, "keep kill: unknown signal `%s`\n", argv[i + 1]);
    return EXIT_KEEP_FAILED;
  }
  keep_error *err = NULL;
  return keep_oci_kill(state_root(), argv[i], sig, all, &err) < 0 ? keep_cli_fail(&err) : 0;
}

int cmd_oci_delete(int argc, char **argv)
{
  bool force = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
      force = true;
    else if (strcmp(argv[i], "--help") == 0) {
      printf("Usage: keep delete [--force] ID\n");
      return 0;
    } else
      return usage_error("delete", "unknown option");
  }
  if (argc - i != 1)
    return usage_error("delete", "expected exactly one container ID");
  keep_error *err = NULL;
  if (keep_oci_delete(state_root(), argv[i], force, &err) < 0) {
    /* delete --force of a container that does not exist succeeds (runc). */
    if (force && err && err->errnum == ENOENT) {
      keep_error_free(&err);
      return 0;
    }
    return keep_cli_fail(&err);
  }
  return 0;
}

static int pause_resume(int argc, char **argv, bool pause)
{
  const char *id = NULL;
  if (one_id(argc, argv, pause ? "pause" : "resume", &id) < 0)
    return EXIT_KEEP_FAILED;
  keep_error *err = NULL;
  return keep_oci_pause(state_root(), id, pause, &err) < 0 ? keep_cli_fail(&err) : 0;
}

int cmd_oci_pause(int argc, char **argv)
{
  return pause_resume(argc, argv, true);
}
int cmd_oci_resume(int argc, char **argv)
{
  return pause_resume(argc, argv, false);
}

int cmd_oci_ps(int argc, char **argv)
{
  bool json = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
      json = strcmp(argv[++i], "json") == 0;
    else if (strcmp(argv[i], "--format=json") == 0 || strcmp(argv[i], "-f") == 0)
      json = true;
    else
      return usage_error("ps", "unknown option");
  }
  if (argc - i != 1)
    return usage_error("ps", "expected exactly one container ID");
  keep_error *err = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  if (keep_oci_pids(state_root(), argv[i], &pids, &n, &err) < 0)
    return keep_cli_fail(&err);
  if (json) {
    printf("[");
    for (size_t k = 0; k < n; k++)
      printf("%s%d", k ? "," : "", (int) pids[k]);
    printf("]\n");
  } else {
    printf("PID\n");
    for (size_t k = 0; k < n; k++)
      printf("%d\n", (int) pids[k]);
  }
  free(pids);
  return 0;
}

int cmd_oci_list(int argc, char **argv)
{
  bool json = argc > 1 && (strcmp(argv[1], "--format=json") == 0 ||
                           (argc > 2 && strcmp(argv[1], "--format") == 0 && strcmp(argv[2], "json") == 0));
  const char *root = state_root();
  DIR *d = opendir(root);
  json_t *arr = json_array();
  if (!json)
    printf("%-24s %-8s %-10s %s\n", "ID", "PID", "STATUS", "BUNDLE");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    struct keep_oci_state st;
    keep_error *err = NULL;
    if (keep_oci_state_open(root, e->d_name, &st, &err) == 0) {
      json_t *j = keep_oci_state_json(&st);
      if (json)
        json_array_append_new(arr, j);
      else {
        printf("%-24s %-8d %-10s %s\n", st.id, st.status == OCI_STOPPED ? 0 : (int) st.pid,
               keep_oci_status_name(st.status), st.bundle ? st.bundle : "");
        json_decref(j);
      }
    }
    keep_error_free(&err);
    keep_oci_state_free(&st);
  }
  if (d)
    closedir(d);
  if (json) {
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
  }
  json_decref(arr);
  return 0;
}

int cmd_oci_spec(int argc, char **argv)
{
  bool rootless = geteuid() != 0;
  const char *bundle = ".";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--rootless") == 0)
      rootless = true;
    else if ((strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) && i + 1 < argc)
      bundle = argv[++i];
    else if (strcmp(argv[i], "--help") == 0) {
      printf("Usage: keep spec [--rootless] [--bundle DIR]\n"
             "Write DIR/config.json with keep's hardened defaults: read-only root, every namespace,\n"
             "no capabilities, no_new_privileges, keep's seccomp profile, memory/CPU/pids limits.\n");
      return 0;
    } else
      return usage_error("spec", "unknown option");
  }
  keep_error *err = NULL;
  json_t *j = keep_oci_default_spec(rootless, true, &err);
  if (j == NULL)
    return keep_cli_fail(&err);
  cleanup_free char *path = xasprintf("%s/config.json", bundle);
  if (access(path, F_OK) == 0) {
    json_decref(j);
    fprintf(stderr, "keep spec: `%s` exists: remove it first\n", path);
    return EXIT_KEEP_FAILED;
  }
  int r = json_dump_file(j, path, JSON_INDENT(2));
  json_decref(j);
  if (r < 0) {
    fprintf(stderr, "keep spec: write `%s`: %s\n", path, strerror(errno));
    return EXIT_KEEP_FAILED;
  }
  return 0;
}

/* What this keep supports, in the runtime-spec features.md format. */
static const char features_json[] =
    "{\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"1.2.0\","
    " \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", \"poststart\", "
    "\"poststop\"],"
    " \"mountOptions\": [\"ro\", \"rw\", \"nosuid\", \"suid\", \"nodev\", \"dev\", \"noexec\", \"exec\", "
    "\"sync\","
    " \"async\", \"dirsync\", \"atime\", \"noatime\", \"diratime\", \"nodiratime\", \"relatime\", "
    "\"norelatime\","
    " \"strictatime\", \"nostrictatime\", \"bind\", \"rbind\", \"private\", \"rprivate\", \"shared\", "
    "\"rshared\","
    " \"slave\", \"rslave\", \"unbindable\", \"runbindable\", \"idmap\", \"ridmap\"],"
    " \"linux\": {\"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", \"uts\", "
    "\"time\"],"
    " \"capabilities\": [],"
    " \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},"
    " \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", "
    "\"SCMP_ACT_KILL\","
    " \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRAP\", "
    "\"SCMP_ACT_TRACE\","
    " \"SCMP_ACT_NOTIFY\"],"
    " \"operators\": [\"SCMP_CMP_NE\", \"SCMP_CMP_LT\", \"SCMP_CMP_LE\", \"SCMP_CMP_EQ\", \"SCMP_CMP_GE\","
    " \"SCMP_CMP_GT\", \"SCMP_CMP_MASKED_EQ\"], \"archs\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", "
    "\"SCMP_ARCH_X32\"],"
    " \"supportedFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", "
    "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]},"
    " \"apparmor\": {\"enabled\": false}, \"selinux\": {\"enabled\": false},"
    " \"mountExtensions\": {\"idmap\": {\"enabled\": true}}},"
    " \"annotations\": {}}";

int cmd_oci_features(int argc, char **argv)
{
  (void) argc;
  (void) argv;
  cleanup_error keep_error *err = NULL;
  json_t *j = keep_json_parse(features_json, strlen(features_json), 0, "features", &err);
  if (j == NULL) {
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  /* What this host enforces: a config's process.apparmorProfile or
   * selinuxLabel is refused where it says false. */
  json_t *lx = json_object_get(j, "linux");
  json_object_set_new(lx, "apparmor", json_pack("{s:b}", "enabled", keep_apparmor_enabled()));
  json_object_set_new(lx, "selinux", json_pack("{s:b}", "enabled", keep_selinux_enabled()));
  json_dumpf(j, stdout, JSON_INDENT(2));
  putchar('\n');
  json_decref(j);
  return 0;
}
