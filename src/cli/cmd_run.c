/* keep run [OPTIONS] ROOTFS [--] CMD [ARG...] */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "commands.h"
#include "config.h"
#include "net_addr.h"
#include "network.h"
#include "portfwd.h"
#include "container.h"
#include "image_run.h"
#include "keep_build_config.h"
#include "apparmor.h"
#include "landlock.h"
#include "process_setup.h"
#include "service.h"
#include "secret.h"
#include "state.h"
#include "userns.h"
#include "util.h"

static void run_usage(FILE *out)
{
  fprintf(out,
          "Usage: keep run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
          "       keep run [OPTIONS] ROOTFS [--] COMMAND [ARG...]\n"
          "\n"
          "Run a command in a container made from IMAGE (from `keep pull` or `keep load`;\n"
          "its layers stacked read-only, its USER, Env, Entrypoint, Cmd and WorkingDir\n"
          "applied), or from the directory ROOTFS (never modified).  An existing\n"
          "directory of that name wins over an image.\n"
          "Every defence is on by default; each option below that weakens one says so.\n"
          "\n"
          "Process:\n"
          "  -e, --env KEY[=VALUE]     set a variable (KEY alone: take the caller's value)\n"
          "      --env-file FILE       read KEY=VALUE lines\n"
          "  -u, --user UID[:GID]      run as this user (also name[:group] from ROOTFS/etc/passwd)\n"
          "  -w, --workdir DIR         working directory inside the container (default /)\n"
          "      --entrypoint CMD      run CMD instead of the image's Entrypoint (\"\" for none)\n"
          "      --storage-driver overlay|vfs  stack the image's layers (overlay, the default where\n"
          "                            it mounts and the image has at most 500 layers) or run a\n"
          "                            merged tree of them (vfs; read-only)\n"
          "  -i, --interactive         keep stdin open (otherwise stdin is /dev/null)\n"
          "  -t, --tty                 allocate a terminal from the container's own devpts\n"
          "      --hostname NAME       hostname (default: the first 12 characters of the id)\n"
          "Filesystem:\n"
          "  -v, --volume SRC:DST[:ro|:rw]  bind SRC at DST, read-only unless :rw; SRC is never\n"
          "                            followed through a symlink (in any component): give its real path\n"
          "      --tmpfs DST           a fresh tmpfs at DST (nosuid, nodev)\n"
          "      --read-write          WEAKER: the root filesystem is writable\n"
          "      --secret NAME[,target=PATH,uid=U,gid=G,mode=M]  the secret NAME (keep secret\n"
          "                            create) at /run/secrets/NAME (or PATH below it): a\n"
          "                            read-only tmpfs, mode 0400, owned by the process's user\n"
          "Limits (defaults: memory 1/4 of RAM, half the CPUs, 2048 pids):\n"
          "  -m, --memory SIZE         memory limit, e.g. 512m, 2g (swap limited likewise)\n"
          "      --cpus N              CPU limit, e.g. 0.5, 2\n"
          "      --pids-limit N        maximum number of processes\n"
          "      --cgroups=off         WEAKER: no cgroup, so no limits (needed rootless on cgroup v1)\n"
          "Privileges:\n"
          "      --cap-add CAP         WEAKER: keep a capability (e.g. NET_BIND_SERVICE)\n"
          "      --cap-drop CAP        drop a capability added before (all are dropped by default)\n"
          "      --security-opt seccomp=FILE        a Docker-format seccomp profile instead of keep's\n"
          "      --security-opt seccomp=unconfined  WEAKER: no system-call filter\n"
          "      --security-opt landlock=off        WEAKER: no Landlock layer\n"
          "      --security-opt landlock=RULES      Landlock rules instead of keep's (keep trace "
          "--landlock-out)\n"
          "      --security-opt apparmor=PROFILE    a loaded AppArmor profile instead of keep's\n"
          "      --security-opt apparmor=unconfined WEAKER: no AppArmor profile\n"
          "      --log-denied          one line on stderr per system call the profile denies\n"
          "Network:\n"
          "      --network none|host   none (default: loopback only) or WEAKER: the host's network\n"
          "      --network NAME        a keep network (`keep network create`): reach its other containers\n"
          "                            by name; repeat for several\n"
          "      --network-alias A     another name the network's containers reach this one by\n"
          "      --ip IP               this container's address on its first network\n"
          "  -p, --publish [IP:]HOST:CTR[/udp]  a port of the host relayed to the container's CTR on its\n"
          "                            loopback; IP 127.0.0.1 unless given (WEAKER: 0.0.0.0 or another)\n"
          "In the background (see `keep ps`, `keep logs`, `keep attach`):\n"
          "  -d, --detach              print the id and return; a monitor keeps its output\n"
          "      --name NAME           a unique name for the other commands\n"
          "      --rm                  remove it when it exits\n"
          "      --restart no|on-failure[:N]|always  run it again when it exits (not after `keep stop`)\n"
          "      --stop-signal SIG     what `keep stop` sends first (default: the image's, else SIGTERM)\n"
          "      --stop-timeout S      seconds before `keep stop` sends SIGKILL (default 10)\n"
          "      --log-opt max-size=SIZE,max-file=N  bound its log (default 10m, 3 files)\n"
          "\n"
          "Exit status: the command's; 125 when keep failed, 126 when COMMAND cannot be\n"
          "executed, 127 when it is not found, 128+N when it was killed by signal N.\n"
          "\n"
          "Examples:\n"
          "  keep run 127.0.0.1:5000/busybox:latest echo hello\n"
          "  keep run ./rootfs /bin/echo hello\n"
          "  keep run -it --memory 256m --pids-limit 100 ./rootfs /bin/sh\n"
          "  keep run -v /srv/data:/data ./rootfs /bin/ls /data\n");
}

enum {
  OPT_ENV_FILE = 256,
  OPT_HOSTNAME,
  OPT_TMPFS,
  OPT_READ_WRITE,
  OPT_CPUS,
  OPT_PIDS,
  OPT_CGROUPS,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_SECURITY_OPT,
  OPT_NETWORK,
  OPT_NETWORK_ALIAS,
  OPT_IP,
  OPT_RM,
  OPT_HELP,
  OPT_ENTRYPOINT,
  OPT_STORAGE_DRIVER,
  OPT_NAME,
  OPT_RESTART,
  OPT_STOP_SIGNAL,
  OPT_STOP_TIMEOUT,
  OPT_LOG_OPT,
  OPT_SECRET,
  OPT_LOG_DENIED,
};

static const struct option run_options[] = {
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"user", required_argument, NULL, 'u'},
    {"workdir", required_argument, NULL, 'w'},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"hostname", required_argument, NULL, OPT_HOSTNAME},
    {"volume", required_argument, NULL, 'v'},
    {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"read-write", no_argument, NULL, OPT_READ_WRITE},
    {"memory", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"pids-limit", required_argument, NULL, OPT_PIDS},
    {"cgroups", required_argument, NULL, OPT_CGROUPS},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"network", required_argument, NULL, OPT_NETWORK},
    {"net", required_argument, NULL, OPT_NETWORK},
    {"network-alias", required_argument, NULL, OPT_NETWORK_ALIAS},
    {"publish", required_argument, NULL, 'p'},
    {"ip", required_argument, NULL, OPT_IP},
    {"rm", no_argument, NULL, OPT_RM},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"storage-driver", required_argument, NULL, OPT_STORAGE_DRIVER},
    {"detach", no_argument, NULL, 'd'},
    {"name", required_argument, NULL, OPT_NAME},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"log-opt", required_argument, NULL, OPT_LOG_OPT},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"log-denied", no_argument, NULL, OPT_LOG_DENIED},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char run_short_options[] = "+e:u:w:itv:m:dp:";

bool keep_run_flag_takes_value(const char *arg)
{
  if (arg[0] != '-' || arg[1] == '\0')
    return false;
  if (arg[1] == '-') {
    size_t len = strcspn(arg + 2, "=");
    if (arg[2 + len] == '=')
      return false;
    for (const struct option *o = run_options; o->name; o++)
      if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0)
        return o->has_arg == required_argument;
    return false;
  }
  /* A cluster of short options: a value-taking one takes the rest, or the
   * next argument when it is last. */
  for (const char *c = arg + 1; *c; c++) {
    const char *at = strchr(run_short_options + 1, *c);
    if (at && at[1] == ':')
      return c[1] == '\0';
  }
  return false;
}

/* Every bad value gets one line naming the flag and the value, quoted
 * bounded (keep_q). */

static int add_volume(struct keep_config *c, const char *spec, keep_error **err)
{
  cleanup_free char *copy = xstrdup(spec);
  char *src = copy, *dst = strchr(copy, ':'), *mode = NULL;
  if (dst == NULL)
    return keep_fail(err, 0, "invalid --volume `%s`: expected SRC:DST[:ro|:rw]", keep_q(spec));
  *dst++ = '\0';
  mode = strchr(dst, ':');
  if (mode)
    *mode++ = '\0';
  if (src[0] != '/' || dst[0] != '/')
    return keep_fail(err, 0, "invalid --volume `%s`: SRC and DST must be absolute paths", keep_q(spec));
  bool writable = false;
  if (mode && strcmp(mode, "rw") == 0)
    writable = true;
  else if (mode && strcmp(mode, "ro") != 0)
    return keep_fail(err, 0, "invalid --volume `%s`: unknown mode `%s` (ro or rw)", keep_q(spec),
                     keep_q(mode));
  if (c->n_mounts >= KEEP_MAX_MOUNTS)
    return keep_fail(err, 0, "--volume `%s`: more than %d volumes and tmpfs mounts", keep_q(spec),
                     KEEP_MAX_MOUNTS);
  c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
  c->mounts[c->n_mounts++] = (struct keep_mount_req){
      .kind = KEEP_MOUNT_BIND, .src = xstrdup(src), .dst = xstrdup(dst), .writable = writable};
  return 0;
}

static int add_tmpfs(struct keep_config *c, const char *dst, keep_error **err)
{
  if (dst[0] != '/')
    return keep_fail(err, 0, "invalid --tmpfs `%s`: DST must be an absolute path", keep_q(dst));
  if (c->n_mounts >= KEEP_MAX_MOUNTS)
    return keep_fail(err, 0, "--tmpfs `%s`: more than %d volumes and tmpfs mounts", keep_q(dst),
                     KEEP_MAX_MOUNTS);
  c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
  c->mounts[c->n_mounts++] =
      (struct keep_mount_req){.kind = KEEP_MOUNT_TMPFS, .dst = xstrdup(dst), .writable = true};
  return 0;
}

static int security_opt(struct keep_config *c, const char *opt, keep_error **err)
{
  if (str_has_prefix(opt, "seccomp=") || str_has_prefix(opt, "seccomp:")) {
    const char *v = opt + 8;
    if (strcmp(v, "unconfined") == 0) {
      c->seccomp = KEEP_SECCOMP_UNCONFINED;
    } else if (*v) {
      c->seccomp = KEEP_SECCOMP_FILE;
      free(c->seccomp_file);
      c->seccomp_file = xstrdup(v);
    } else {
      return keep_fail(err, 0, "invalid --security-opt `%s`: seccomp=FILE or seccomp=unconfined",
                       keep_q(opt));
    }
    return 0;
  }
  if (strcmp(opt, "landlock=off") == 0 || strcmp(opt, "landlock=false") == 0) {
    c->landlock = false;
    return 0;
  }
  if (strcmp(opt, "landlock=on") == 0 || strcmp(opt, "landlock=true") == 0) {
    c->landlock = true;
    return 0;
  }
  if (str_has_prefix(opt, "landlock=") && opt[9]) {
    /* A RULES file (keep trace --landlock-out): read and checked now. */
    for (size_t i = 0; i < c->n_landlock_rules; i++)
      free(c->landlock_rules[i].path);
    free(c->landlock_rules);
    c->landlock = true;
    return keep_landlock_rules_load(opt + 9, &c->landlock_rules, &c->n_landlock_rules, err);
  }
  if (str_has_prefix(opt, "apparmor=") || str_has_prefix(opt, "apparmor:")) {
    /* Resolved once the flags are read (fill_defaults). */
    free(c->apparmor);
    c->apparmor = xstrdup(opt + 9);
    return keep_apparmor_name_check(c->apparmor, "--security-opt apparmor=", err);
  }
  if (strcmp(opt, "no-new-privileges") == 0 || strcmp(opt, "no-new-privileges=true") == 0 ||
      strcmp(opt, "no-new-privileges:true") == 0)
    return 0;
  if (str_has_prefix(opt, "no-new-privileges"))
    return keep_fail(err, 0, "--security-opt `%s`: keep always sets no_new_privs; it cannot be switched off",
                     keep_q(opt));
  return keep_fail(err, 0,
                   "unknown --security-opt `%s` (seccomp=FILE|unconfined, landlock=off|RULES, "
                   "apparmor=PROFILE|unconfined)",
                   keep_q(opt));
}

static int parse_cpus(const char *s, struct keep_limits *l, keep_error **err)
{
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (errno || end == s || *end || !isfinite(v) || v <= 0)
    return keep_fail(err, 0, "invalid --cpus `%s`: expected a number above 0, e.g. 0.5 or 2", keep_q(s));
  if (v > (double) ncpu) {
    cleanup_free char *n = xasprintf("%ld", ncpu);
    return keep_fail(err, 0, "invalid --cpus `%s`: this host has only %s CPUs", keep_q(s), n);
  }
  l->cpu_period_us = 100000;
  l->cpu_quota_us = (int64_t) (v * 100000.0 + 0.5); /* v is positive and at most the CPU count */
  if (l->cpu_quota_us < 1000)
    return keep_fail(err, 0, "invalid --cpus `%s`: at least 0.01", keep_q(s));
  return 0;
}

/* --user UID[:GID] or name[:group]: names are looked up in the container;
 * numbers are checked here, before anything exists. */
static int check_user(const char *spec, keep_error **err)
{
  cleanup_free char *copy = xstrdup(spec);
  char *grp = strchr(copy, ':');
  if (grp)
    *grp++ = '\0';
  if (*copy == '\0' || (grp && *grp == '\0'))
    return keep_fail(err, 0, "invalid --user `%s`: expected UID[:GID] or NAME[:GROUP]", keep_q(spec));
  const char *parts[2] = {copy, grp};
  for (int i = 0; i < 2; i++) {
    int64_t id;
    if (parts[i] && parts[i][strspn(parts[i], "0123456789")] == '\0' &&
        (parse_int64(parts[i], &id) < 0 || id >= KEEP_SUBID_COUNT)) {
      cleanup_free char *max = xasprintf("%u", KEEP_SUBID_COUNT - 1);
      return keep_fail(err, 0, "invalid --user `%s`: ids go from 0 to %s, the container's id range",
                       keep_q(spec), max);
    }
  }
  return 0;
}

static const char *run_entrypoint;     /* --entrypoint, NULL when not given */
static const char *run_storage_driver; /* --storage-driver, NULL: overlay where possible */
static const char *run_image_arg;      /* IMAGE or ROOTFS as given */

static int parse_run_args(int argc, char **argv, struct keep_config *c, struct strv_builder *env, bool *help,
                          keep_error **err)
{
  int opt;
  optind = 0; /* 0, not 1: glibc then starts afresh ("+" honoured) after an earlier getopt */
  opterr = 0;
  int longindex = 0;
  while ((opt = getopt_long(argc, argv, run_short_options, run_options, &longindex)) != -1) {
    int64_t n = 0;
    switch (opt) {
    case 'e':
      if (keep_env_add_arg(optarg, env, err) < 0)
        return -1;
      break;
    case OPT_ENV_FILE:
      if (keep_env_file_parse(optarg, env, err) < 0)
        return -1;
      break;
    case 'u':
      if (check_user(optarg, err) < 0)
        return -1;
      free(c->proc.user);
      c->proc.user = xstrdup(optarg);
      break;
    case 'w':
      if (optarg[0] != '/')
        return keep_fail(err, 0, "invalid --workdir `%s`: must be an absolute path", keep_q(optarg));
      free(c->proc.cwd);
      c->proc.cwd = xstrdup(optarg);
      break;
    case 'i': c->proc.interactive = true; break;
    case 't': c->proc.tty = true; break;
    case OPT_HOSTNAME:
      if (!*optarg || strlen(optarg) > 64)
        return keep_fail(err, 0, "invalid --hostname `%s`: 1 to 64 characters", keep_q(optarg));
      free(c->hostname);
      c->hostname = xstrdup(optarg);
      break;
    case 'v':
      if (add_volume(c, optarg, err) < 0)
        return -1;
      break;
    case OPT_TMPFS:
      if (add_tmpfs(c, optarg, err) < 0)
        return -1;
      break;
    case OPT_READ_WRITE: c->read_write = true; break;
    case 'm':
      if (parse_size(optarg, &n) < 0 || n < (6 << 20))
        return keep_fail(err, 0, "invalid --memory `%s`: expected a size of at least 6m, e.g. 512m or 2g",
                         keep_q(optarg));
      c->limits.memory_bytes = n;
      break;
    case OPT_CPUS:
      if (parse_cpus(optarg, &c->limits, err) < 0)
        return -1;
      break;
    case OPT_PIDS:
      /* PID_MAX_LIMIT: the kernel's pids.max takes nothing larger. */
      if (parse_int64(optarg, &n) < 0 || n <= 0 || n > 4194304)
        return keep_fail(err, 0, "invalid --pids-limit `%s`: expected a number from 1 to 4194304",
                         keep_q(optarg));
      c->limits.pids = n;
      break;
    case OPT_CGROUPS:
      if (strcmp(optarg, "off") == 0 || strcmp(optarg, "disabled") == 0)
        c->cgroups = false;
      else if (strcmp(optarg, "on") == 0 || strcmp(optarg, "enabled") == 0)
        c->cgroups = true;
      else
        return keep_fail(err, 0, "invalid --cgroups `%s`: on or off", keep_q(optarg));
      break;
    case OPT_CAP_ADD:
      if (keep_caps_parse_list(optarg, &c->cap_add, err) < 0)
        return -1;
      break;
    case OPT_CAP_DROP: {
      uint64_t drop = 0;
      if (keep_caps_parse_list(optarg, &drop, err) < 0)
        return -1;
      c->cap_add &= ~drop;
      break;
    }
    case OPT_SECURITY_OPT:
      if (security_opt(c, optarg, err) < 0)
        return -1;
      break;
    case OPT_NETWORK:
      if (strcmp(optarg, "none") == 0)
        c->network = KEEP_NET_NONE;
      else if (strcmp(optarg, "host") == 0)
        c->network = KEEP_NET_HOST;
      else if (strcmp(optarg, "bridge") == 0 || strcmp(optarg, "default") == 0)
        return keep_fail(err, 0,
                         "--network %s: keep has no default bridge shared by every container; make a "
                         "network (`keep network create NAME`) and pass --network NAME",
                         optarg);
      else if (keep_net_name_valid(optarg))
        c->networks = strv_append(c->networks, optarg);
      else
        return keep_fail(err, 0, "invalid --network `%s`: none, host or a network's name", keep_q(optarg));
      break;
    case 'p': {
      struct keep_port port;
      if (keep_port_parse(optarg, &port, err) < 0)
        return -1;
      c->publish = strv_append(c->publish, optarg);
      break;
    }
    case OPT_NETWORK_ALIAS: c->net_aliases = strv_append(c->net_aliases, optarg); break;
    case OPT_IP:
      free(c->net_ip);
      c->net_ip = xstrdup(optarg);
      break;
    case OPT_ENTRYPOINT: run_entrypoint = optarg; break;
    case OPT_STORAGE_DRIVER:
      if (strcmp(optarg, "overlay") != 0 && strcmp(optarg, "vfs") != 0)
        return keep_fail(err, 0, "invalid --storage-driver `%s`: overlay or vfs", keep_q(optarg));
      run_storage_driver = optarg;
      break;
    case OPT_RM: c->svc.rm = true; break; /* attached runs are always removed */
    case 'd': c->svc.detach = true; break;
    case OPT_NAME:
    case OPT_RESTART:
    case OPT_STOP_SIGNAL:
    case OPT_STOP_TIMEOUT:
    case OPT_LOG_OPT:
      if (keep_service_flag(&c->svc, run_options[longindex].name, optarg, &c->stop_signal, err) < 0)
        return -1;
      break;
    case OPT_SECRET:
      if (keep_secret_ref_add(c, optarg, err) < 0)
        return -1;
      break;
    case OPT_LOG_DENIED: c->log_denied = true; break;
    case OPT_HELP: *help = true; return 0;
    case '?':
    default:
      if (optopt) {
        char o = (char) optopt;
        return keep_fail(err, 0, "unknown option `-%s` (see `keep run --help`)", keep_qn(&o, 1));
      }
      return keep_fail(err, 0, "unknown or incomplete option `%s` (see `keep run --help`)",
                       keep_q(argv[optind - 1]));
    }
  }
  if (optind >= argc)
    return keep_fail(err, 0, "no image or root filesystem given (see `keep run --help`)");
  run_image_arg = argv[optind];
  c->rootfs = xstrdup(argv[optind++]);
  if (optind < argc && strcmp(argv[optind], "--") == 0)
    optind++;
  /* An image may supply the command; a directory may not (checked later). */
  if (optind < argc)
    c->proc.argv = strv_dup(argv + optind);
  return 0;
}

/* A restart builds the same container again: same id (so same hostname). */
static const char *run_fixed_id;
void keep_run_config_reuse_id(const char *id)
{
  run_fixed_id = id;
}

char *keep_cache_dir(bool rootless)
{
  if (!rootless)
    return xasprintf("%s/cache", KEEP_DATA_DIR);
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  if (xdg && *xdg == '/')
    return xasprintf("%s/keep/cache", xdg);
  if (home && *home == '/')
    return xasprintf("%s/.local/share/keep/cache", home);
  return NULL;
}

/* Network flags that belong together, and networks that exist, checked
 * before anything is made. */
static int check_networks(const struct keep_config *c, keep_error **err)
{
  size_t n = strv_len(c->networks);
  if (c->publish && c->network == KEEP_NET_HOST)
    return keep_fail(err, 0, "-p with --network host: the container's ports are the host's already");
  if (n && c->network == KEEP_NET_HOST)
    return keep_fail(err, 0, "--network host and --network NAME: the host's network has no other networks");
  if (n > 8)
    return keep_fail(err, 0, "--network: at most 8 networks per container");
  if (!n && (c->net_aliases || c->net_ip))
    return keep_fail(err, 0, "%s needs --network NAME", c->net_ip ? "--ip" : "--network-alias");
  struct keep_net_attach_req q = {.networks = (const char *const *) c->networks,
                                  .aliases = (const char *const *) c->net_aliases,
                                  .ip = c->net_ip};
  return n ? keep_net_check(&q, err) : 0;
}

static int fill_defaults(struct keep_config *c, keep_error **err)
{
  char id[65];
  if (run_fixed_id)
    memcpy(id, run_fixed_id, 65);
  else if (random_hex(id, 64, err) < 0)
    return -1;
  c->id = xstrdup(id);
  if (c->hostname == NULL)
    c->hostname = xasprintf("%.12s", id);
  c->rootless = geteuid() != 0;
  if (keep_state_base(&c->state_dir, err) < 0)
    return -1;
  c->cache_dir = keep_cache_dir(c->rootless);
  if (check_networks(c, err) < 0)
    return -1;
  if (c->landlock && keep_landlock_abi() <= 0) {
    /* Not silent: the operator learns the layer is missing, and how to
     * accept that explicitly. */
    fprintf(stderr,
            "%s: warning: this kernel has no Landlock: running without an LSM layer "
            "(pass --security-opt landlock=off to accept this)\n",
            keep_progname);
    c->landlock = false;
  } else if (c->landlock && c->network == KEEP_NET_HOST && keep_landlock_abi() < 6) {
    /* Landlock scopes abstract unix sockets from ABI 6 (Linux 6.12); before
     * it, sharing the host's network namespace shares those sockets too. */
    fprintf(stderr,
            "%s: warning: this kernel's Landlock (ABI %d) cannot scope abstract unix sockets: with "
            "--network host the container reaches the host's (Linux 6.12 scopes them)\n",
            keep_progname, keep_landlock_abi());
  }
  /* keep's own AppArmor profile where the host has AppArmor (loaded now if
   * it is not yet), the one asked for, or none where the host has none. */
  char *asked = c->apparmor;
  c->apparmor = NULL;
  int r = keep_apparmor_resolve(asked, "--security-opt apparmor=", &c->apparmor, err);
  free(asked);
  return r;
}

int keep_run_config(int argc, char **argv, struct keep_config *cfg, struct keep_image_hold *hold, bool *help,
                    keep_error **err)
{
  *cfg = (struct keep_config){.landlock = true, .cgroups = true, .network = KEEP_NET_NONE};
  keep_service_default(&cfg->svc);
  keep_limits_default(&cfg->limits);
  cleanup_strvb struct strv_builder env = {0};
  int parsed = parse_run_args(argc, argv, cfg, &env, help, err);
  cfg->proc.env = strvb_finish(&env);
  if (parsed < 0 || *help)
    return parsed;
  keep_progname = "keep";
  /* A path (absolute, ./ or ../, or anything that exists) is a root
   * filesystem; otherwise the argument names an image. */
  struct stat st;
  if (cfg->rootfs[0] == '/' || cfg->rootfs[0] == '.' || stat(cfg->rootfs, &st) == 0) {
    if (cfg->proc.argv == NULL)
      return keep_fail(err, 0, "no command given: keep run ROOTFS COMMAND [ARG...]");
  } else {
    cleanup_free char *notice = NULL;
    if (keep_image_configure(cfg, cfg->rootfs, run_entrypoint, run_storage_driver, hold, &notice, err) < 0)
      return -1;
    if (notice)
      fprintf(stderr, "%s: warning: %s\n", keep_progname, notice);
  }
  return fill_defaults(cfg, err);
}

int cmd_run(int argc, char **argv)
{
  keep_progname = "keep run";
  struct keep_config cfg;
  cleanup_error keep_error *err = NULL;
  bool help = false;
  int code = EXIT_KEEP_FAILED;
  struct keep_image_hold hold = {0};
  cleanup_free char *image = NULL, *record = NULL;
  if (keep_run_config(argc, argv, &cfg, &hold, &help, &err) < 0)
    goto out;
  if (help) {
    run_usage(stdout);
    code = 0;
    goto out;
  }
  if (cfg.svc.detach && cfg.log_denied) {
    keep_fail(&err, 0,
              "--log-denied with -d: denied calls are shown on an attached run's stderr; run it attached");
    goto out;
  }
  image = xstrdup(run_image_arg ? run_image_arg : cfg.rootfs);
  record = keep_record_text(&cfg, image, argc, argv);
  if (cfg.svc.detach) {
    if (keep_service_detach(&cfg, record, -1, hold.fds, hold.n, &err) == 0) {
      printf("%s\n", cfg.id);
      code = 0;
    }
    goto out;
  }
  if ((cfg.log_denied ? keep_run_log_denied(&cfg, &code, &err)
                      : keep_container_run(&cfg, record, &code, &err)) < 0)
    code = EXIT_KEEP_FAILED;
out:
  if (err)
    keep_error_print(err);
  keep_config_free(&cfg);
  keep_image_hold_release(&hold);
  return code;
}
