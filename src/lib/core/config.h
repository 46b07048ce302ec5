/* What a container is made of: a prepared root plus process defaults, and
 * the set of defences with their opt-outs.  `keep run ROOTFS` fills it from
 * flags; an image will fill the process defaults from its config first. */
#ifndef KEEP_CONFIG_H
#define KEEP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Upper bounds on the lists an image, a config.json or a command line can
 * carry, refused by name above them: far beyond any real image or bundle,
 * low enough that no list makes keep spend seconds or gigabytes on it. */
#define KEEP_MAX_ENV 32768    /* Env, process.env, -e and --env-file entries */
#define KEEP_MAX_ARGS 32768   /* Entrypoint + Cmd, process.args, hook args */
#define KEEP_MAX_MOUNTS 1024  /* -v and --tmpfs, config.json mounts */
#define KEEP_MAX_LAYERS 1024  /* manifest layers, rootfs.diff_ids */
#define KEEP_MAX_ITEMS 4096   /* any other list: devices, hooks, sysctls, paths, annotations */
#define KEEP_MAX_PORTS 196608 /* ExposedPorts: every port of tcp, udp and sctp */

enum keep_mount_kind { KEEP_MOUNT_BIND, KEEP_MOUNT_TMPFS };

struct keep_mount_req {
  enum keep_mount_kind kind;
  char *src;     /* host path (bind) or NULL (tmpfs) */
  char *dst;     /* absolute path inside the container */
  bool writable; /* volumes are read-only unless asked (:rw) */
};

/* One --secret NAME[,target=PATH,uid=U,gid=G,mode=M] (secret.h): the value
 * itself is never here, only which stored secret goes where. */
struct keep_secret_ref {
  char *name;   /* in the caller's secret store */
  char *target; /* relative to /run/secrets, normalised */
  bool has_uid; /* uid given; otherwise the process's user */
  bool has_gid; /* gid given; otherwise the process's group */
  uint32_t uid; /* container ids */
  uint32_t gid;
  uint32_t mode; /* 0400 unless given; never above 0777 */
};

enum keep_seccomp_mode { KEEP_SECCOMP_DEFAULT, KEEP_SECCOMP_FILE, KEEP_SECCOMP_UNCONFINED };
enum keep_network_mode { KEEP_NET_NONE, KEEP_NET_HOST };

struct keep_process {
  char **argv;      /* the command; entrypoint already prepended */
  char **env;       /* KEY=VALUE entries asked for (-e, --env-file, image) */
  char *cwd;        /* inside the container; NULL = "/" */
  char *user;       /* "UID[:GID]" or "name[:group]" as given; NULL = image/default */
  bool tty;         /* -t */
  bool interactive; /* -i: keep stdin open */
};

/* A rule of a Landlock RULES file (--security-opt landlock=FILE, written by
 * keep trace --landlock-out): beneath `path`, the accesses KEEP_LL_*. */
enum { KEEP_LL_READ = 1, KEEP_LL_WRITE = 2, KEEP_LL_EXEC = 4 };
struct keep_landlock_rule {
  char *path;
  unsigned access;
};

struct keep_limits {
  int64_t memory_bytes; /* <= 0: no limit (only with explicit opt-out) */
  int64_t cpu_quota_us; /* per cpu_period_us; <= 0: no limit */
  int64_t cpu_period_us;
  int64_t pids;              /* <= 0: no limit */
  int64_t memory_swap_bytes; /* memory+swap (OCI); 0: no swap on top, -1: unlimited */
  int64_t cpu_shares;        /* relative weight (v1 cpu.shares); 0: unset */
  char **device_rules;       /* OCI linux.resources.devices as "allow c 1:3 rwm" /
                             "deny a *:* rwm", in order; NULL: none given */
  /* The rest only from an OCI config; zero / NULL / false: not asked. */
  char *cpuset_cpus, *cpuset_mems; /* "0-1,3" */
  int64_t memory_reservation;      /* soft limit: v1 soft_limit_in_bytes, v2 memory.low */
  bool has_swappiness;
  int64_t memory_swappiness;              /* v1 only: 0..100 */
  bool disable_oom_killer;                /* v1 only */
  int64_t kernel_bytes, kernel_tcp_bytes; /* v1 kmem limits, where the kernel still has them */
  int64_t rt_runtime_us, rt_period_us;    /* v1 real-time budget */
  bool has_cpu_idle;
  int64_t cpu_idle; /* 0 or 1 */
  int64_t cpu_burst_us;
  /* linux.resources.blockIO: a weight (10..1000, 0: unset) and the per-device
   * settings in the config's order (cgroup_io.c writes them). */
  int64_t blkio_weight, blkio_leaf_weight;
  struct keep_blkio_dev *blkio_devs;
  size_t n_blkio_devs;
  /* linux.resources.hugepageLimits: page size as the kernel names it
   * ("2MB"), the limit in bytes. */
  struct keep_hugetlb_limit *hugetlb;
  size_t n_hugetlb;
  /* linux.resources.network: v1 net_cls / net_prio only. */
  bool has_net_classid;
  uint32_t net_classid;
  char **net_prios; /* "IFNAME PRIO" lines for net_prio.ifpriomap */
  char **rdma;      /* "DEVICE hca_handle=N hca_object=M" lines for rdma.max */
  char **unified;   /* linux.resources.unified: key, value, key, value, ... */
};

enum keep_blkio_kind {
  KEEP_BLKIO_WEIGHT,
  KEEP_BLKIO_LEAF_WEIGHT,
  KEEP_BLKIO_READ_BPS,
  KEEP_BLKIO_WRITE_BPS,
  KEEP_BLKIO_READ_IOPS,
  KEEP_BLKIO_WRITE_IOPS,
};
struct keep_blkio_dev {
  enum keep_blkio_kind kind;
  int64_t major, minor;
  uint64_t value;
  char *field; /* the config's name for it, for errors: blockIO.weightDevice[0] */
};
struct keep_hugetlb_limit {
  char page_size[16];
  uint64_t limit;
};

/* A detached container's life (keep run -d): what its monitor does. */
enum keep_restart { KEEP_RESTART_NO, KEEP_RESTART_ON_FAILURE, KEEP_RESTART_ALWAYS };
struct keep_service {
  bool detach;               /* -d: run under a monitor, return the id */
  bool rm;                   /* --rm: removed when it exits (attached runs always are) */
  char *name;                /* --name; NULL: none */
  enum keep_restart restart; /* --restart */
  int restart_max;           /* on-failure:N; 0 = no bound */
  int stop_timeout;          /* --stop-timeout seconds before SIGKILL; -1: 10 */
  int64_t log_max_size;      /* --log-opt max-size: bytes per log file */
  int log_max_file;          /* --log-opt max-file: files kept, the live one included */
};

struct keep_config {
  char *rootfs;         /* host directory, never modified */
  char **layers;        /* an image: overlay lower dirs, bottom first
                                   (rootfs is then where it is attached) */
  char *layers_scratch; /* empty dir a --read-write image's tmpfs
                                   upper layer is mounted on (privately) */
  int stop_signal;      /* the image's StopSignal: what SIGTERM to keep becomes; 0 = SIGTERM */
  struct keep_process proc;
  char *id;       /* container id (random hex) */
  char *hostname; /* default: first 12 chars of id */

  uint64_t cap_add; /* capability bits kept (default none) */
  enum keep_seccomp_mode seccomp;
  char *seccomp_file;
  bool log_denied; /* --log-denied: one line on stderr per call the profile denies */
  /* keep trace, --log-denied: the filter to load, prepared by the caller
   * (src/lib/trace); the run takes it, the caller frees it if not taken. */
  struct keep_seccomp *seccomp_prepared;
  bool landlock; /* default on where the kernel has it */
  /* landlock=FILE: these rules instead of keep's (read everywhere, write
   * to the writable mounts); NULL: keep's. */
  struct keep_landlock_rule *landlock_rules;
  size_t n_landlock_rules;
  /* --security-opt apparmor=: a loaded profile or "unconfined"; NULL:
   * keep's own.  keep run then holds what the container runs under:
   * the profile, "unconfined", or NULL on a host without AppArmor. */
  char *apparmor;
  bool read_write; /* --read-write: root not read-only */
  enum keep_network_mode network;
  bool cgroups; /* --cgroups=off clears it */
  struct keep_limits limits;

  struct keep_mount_req *mounts;
  size_t n_mounts;
  struct keep_service svc;
  struct keep_secret_ref *secrets; /* --secret, on a tmpfs at /run/secrets */
  size_t n_secrets;
  char **networks;    /* --network NAME (keep's networks), in order; NULL: none */
  char **net_aliases; /* --network-alias: more names on each of them */
  char *net_ip;       /* --ip: the address on the first */
  char **publish;     /* -p/--publish specs, checked */

  /* Filled by keep itself, not by flags. */
  bool rootless;   /* caller is not root */
  char *state_dir; /* /run/keep or $XDG_RUNTIME_DIR/keep */
  char *cache_dir; /* /var/lib/keep/cache or $XDG_DATA_HOME/keep/cache */
};

void keep_config_free(struct keep_config *c);

#endif
