/* keep: a container runtime whose containers contain. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "commands.h"
#include "keep_build_config.h"
#include "sealed_exec.h"
#include "util.h"

/* Commands that start container processes re-execute keep from a sealed
 * memfd first (CVE-2019-5736): a container must never reach our binary. */
static const struct keep_command keep_commands[] = {
    {"run", cmd_run, true},
    {"gc", cmd_gc, false},
    {"create", cmd_oci_create, true},
    {"start", cmd_oci_start, false},
    {"state", cmd_oci_state, false},
    {"kill", cmd_oci_kill, false},
    {"delete", cmd_oci_delete, false},
    {"exec", cmd_oci_exec, true},
    {"ps", cmd_oci_ps, false},
    {"pause", cmd_oci_pause, false},
    {"resume", cmd_oci_resume, false},
    {"list", cmd_oci_list, false},
    {"spec", cmd_oci_spec, false},
    {"features", cmd_oci_features, false},
    {"seccomp", cmd_seccomp, false},
    {"audit", cmd_audit, false},
    {"stop", cmd_stop, false},
    {"rm", cmd_rm, false},
    {"logs", cmd_logs, false},
    {"inspect", cmd_inspect, false},
    {"wait", cmd_wait, false},
    {"restart", cmd_restart, true},
    {"_monitor-exit", cmd_monitor_exit, true},
    {"attach", cmd_attach, false},
    {"secret", cmd_secret, false},
    {"network", cmd_network, false},
    {"trace", cmd_trace, true},
    {NULL, NULL, false},
};

/* Docker's verbs that the OCI command line also has, in Docker's form. */
static const struct keep_command service_forms[] = {
    {"start", cmd_service_start, true}, {"kill", cmd_kill, false}, {"ps", cmd_service_ps, false},
    {"exec", cmd_service_exec, true},   {NULL, NULL, false},
};

/* OCI form: --bundle/-b given, or a single argument (the ID) with a
 * config.json in the current directory, or a global --root. */
static bool keep_is_oci_run(int argc, char **argv)
{
  int positional = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0 ||
        str_has_prefix(argv[i], "--bundle="))
      return true;
    if (argv[i][0] != '-')
      positional++;
  }
  return keep_global.root != NULL || (positional == 1 && access("config.json", F_OK) == 0);
}

static void usage(FILE *out)
{
  fprintf(out, "Usage: keep COMMAND [OPTIONS]\n"
               "\n"
               "Run programs in containers with every defence on by default.\n"
               "\n"
               "Commands:\n"
               "  run       run a command in a container from an image or a root filesystem\n"
               "  pull      fetch an image from a registry, verifying every blob and the trust policy\n"
               "  load      import a `docker save` archive or an OCI image layout\n"
               "  images    list images (`--format json` for scripts)\n"
               "  rmi       remove images; `image inspect` shows one; `verify` re-hashes the store\n"
               "  sign      sign an image (GPG simple signing) for a signedBy trust policy\n"
               "  network   private networks for containers (create, ls, inspect, rm)\n"
               "  secret    keep passwords and keys for `keep run --secret` (create, ls, inspect, rm)\n"
               "  gc        remove what killed containers left behind, and unused blobs and layers\n"
               "  seccomp   show the default seccomp profile (`keep seccomp default`)\n"
               "  ps        list containers (-a: stopped ones too); inspect shows one as JSON\n"
               "  logs      what a detached container (`run -d`) wrote; -f follows it\n"
               "  attach    the terminal of a detached container (ctrl-p ctrl-q leaves it)\n"
               "  stop, start, restart, kill, rm, wait, exec   Docker's verbs, on containers by name or id\n"
               "  trace     run a command and write the seccomp profile it needs (`keep trace -o FILE`)\n"
               "  audit     check a config.json or a container against the CIS Docker Benchmark (`keep audit "
               "config`)\n"
               "\n"
               "OCI runtime commands (for containerd, Docker, Podman, CRI-O):\n"
               "  create, start, state, kill, delete, run --bundle DIR ID, exec, ps, pause, resume,\n"
               "  list, spec [--rootless], features\n"
               "  global options before the command: --root DIR, --log FILE, --log-format text|json\n"
               "  version   print the version\n"
               "\n"
               "Examples:\n"
               "  keep pull 127.0.0.1:5000/busybox:latest && keep run 127.0.0.1:5000/busybox id\n"
               "  keep run ./rootfs /bin/sh -c 'id; cat /proc/self/status'\n"
               "  keep run -it -v \"$PWD:/data\" ./rootfs /bin/sh\n"
               "  keep run -d --name web --restart on-failure:3 ./rootfs httpd -f && keep logs -f web\n"
               "\n"
               "`keep COMMAND --help` tells more.\n");
}

/* Descriptors 0-2 must exist, or the first file keep opens would become
 * someone's stdout. */
static void ensure_stdio(void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        dup2(n, fd);
        close(n);
      }
    }
}

int main(int argc, char **argv)
{
  ensure_stdio();
  keep_self_remember();
  keep_cmdline_remember(argc, argv);
  /* Other processes of the same uid (a container's root can be one after a
   * mapping mistake) must not ptrace keep or read its memory. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_NAME, "keep", 0, 0, 0);
  if (argc < 2) {
    usage(stderr);
    return EXIT_KEEP_FAILED;
  }
  char **orig_argv = argv;
  /* Global options, as runc takes them: keep --root DIR create ... */
  int g = 1;
  for (; g < argc && argv[g][0] == '-' && argv[g][1] == '-' && argv[g][2]; g++) {
    const char *a = argv[g];
    const char *val = strchr(a, '=');
    size_t klen = val ? (size_t) (val - a) : strlen(a);
#define IS(name) (klen == strlen(name) && strncmp(a, name, klen) == 0)
    bool takes = IS("--root") || IS("--log") || IS("--log-format") || IS("--criu") || IS("--rootless") ||
                 IS("--cgroup-manager");
    if (!takes && !IS("--debug") && !IS("--systemd-cgroup"))
      break;
    if (takes && !val) {
      if (g + 1 >= argc) {
        fprintf(stderr, "keep: `%s` needs a value\n", a);
        return EXIT_KEEP_FAILED;
      }
      val = argv[++g];
    } else if (val) {
      val++;
    }
    if (IS("--root"))
      keep_global.root = val;
    else if (IS("--log"))
      keep_global.log = val;
    else if (IS("--log-format"))
      keep_global.log_json = strcmp(val, "json") == 0;
    else if (IS("--debug"))
      keep_global.debug = true;
    else if (IS("--systemd-cgroup") || (IS("--cgroup-manager") && strcmp(val, "systemd") == 0)) {
      fprintf(stderr, "keep: --systemd-cgroup: keep drives cgroupfs only; use the cgroupfs driver\n");
      return EXIT_KEEP_FAILED;
    }
#undef IS
  }
  if (keep_global.log && keep_log_open(keep_global.log, keep_global.log_json) < 0)
    fprintf(stderr, "keep: --log `%s`: cannot open\n", keep_global.log);
  argv += g - 1;
  argc -= g - 1;
  if (argc < 2) {
    usage(stderr);
    return EXIT_KEEP_FAILED;
  }
  const char *cmd = argv[1];
  /* `run` is both keep's own (ROOTFS CMD) and the OCI one (--bundle DIR ID). */
  if (strcmp(cmd, "run") == 0 && keep_is_oci_run(argc - 1, argv + 1)) {
    keep_error *err = NULL;
    if (keep_ensure_sealed_self(orig_argv, &err) < 0) {
      keep_error_print(err);
      return EXIT_KEEP_FAILED;
    }
    return cmd_oci_run(argc - 1, argv + 1);
  }
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("keep %s\n", KEEP_VERSION);
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  if (keep_is_image_command(cmd))
    return keep_exec_images(argc - 1, argv + 1);
  const struct keep_command *table = keep_commands;
  if (keep_is_service_form(cmd, argc - 1, argv + 1))
    table = service_forms;
  for (const struct keep_command *c = table; c->name; c++) {
    if (strcmp(cmd, c->name) != 0)
      continue;
    if (c->sealed) {
      keep_error *err = NULL;
      if (keep_ensure_sealed_self(orig_argv, &err) < 0) {
        keep_error_print(err);
        return EXIT_KEEP_FAILED;
      }
    }
    return c->fn(argc - 1, argv + 1);
  }
  fprintf(stderr, "keep: unknown command `%s` (see `keep --help`)\n", cmd);
  return EXIT_KEEP_FAILED;
}
