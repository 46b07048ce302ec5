/* An OCI runtime-spec bundle's config.json, parsed and checked.
 *
 * Parsing is pure (no side effects): every field keep honours is read here,
 * each error names the field ("process.capabilities.bounding[2]: unknown
 * capability `CAP_FOO`"), so a bad config fails before anything exists. */
#ifndef KEEP_OCI_SPEC_H
#define KEEP_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "userns.h"

/* The order is the one `keep spec` writes them in and create joins the ones
 * named by path (user and mount aside: oci_spawn.c joins those first). */
enum keep_oci_ns {
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_MOUNT,
  OCI_NS_CGROUP,
  OCI_NS_USER,
  OCI_NS_TIME,
  OCI_NS_COUNT
};

struct keep_oci_mount {
  char *destination;         /* absolute, inside the container */
  char *type;                /* "bind", "proc", "tmpfs", ... ("bind" when options say so) */
  char *source;              /* host path for binds (bundle-relative resolved) */
  unsigned long flags;       /* MS_* from options */
  unsigned long clear;       /* MS_* the options turn off (e.g. "rw", "suid") */
  unsigned long propagation; /* MS_PRIVATE, MS_SLAVE, ... (with MS_REC) or 0 */
  bool bind, recursive;
  char *data; /* the remaining filesystem options, comma-separated */
  enum keep_oci_idmap { OCI_IDMAP_NONE, OCI_IDMAP_TOP, OCI_IDMAP_RECURSIVE } idmap; /* idmap, ridmap */
  /* The mount's own uidMappings/gidMappings (none: the container's). */
  struct keep_idmap uid_map[5], gid_map[5];
  size_t n_uid_map, n_gid_map;
};

struct keep_oci_rlimit {
  int resource;
  uint64_t soft, hard;
};

struct keep_oci_hook {
  char *path;
  char **args, **env;
  int timeout; /* seconds; 0 = none */
};

enum keep_oci_hook_kind {
  OCI_HOOK_PRESTART,
  OCI_HOOK_CREATE_RUNTIME,
  OCI_HOOK_CREATE_CONTAINER,
  OCI_HOOK_START_CONTAINER,
  OCI_HOOK_POSTSTART,
  OCI_HOOK_POSTSTOP,
  OCI_HOOK_KINDS
};

struct keep_oci_process {
  bool present;
  bool terminal;
  unsigned console_height, console_width;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  int umask; /* -1: unset */
  char **args, **env;
  char *cwd;
  bool has_caps;
  uint64_t caps_bounding, caps_effective, caps_inheritable, caps_permitted, caps_ambient;
  struct keep_oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile, *selinux_label;
};

struct keep_oci_device {
  char *path;
  char type; /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

struct keep_oci_spec {
  char *bundle; /* absolute */
  char *oci_version;
  char *root_path; /* absolute (bundle-relative resolved) */
  bool root_readonly;
  char *hostname, *domainname;
  struct keep_oci_mount *mounts;
  size_t n_mounts;
  struct keep_oci_process process;
  struct keep_oci_hook *hooks[OCI_HOOK_KINDS];
  size_t n_hooks[OCI_HOOK_KINDS];
  json_t *annotations; /* object, borrowed into state output */

  bool ns[OCI_NS_COUNT];       /* a namespace is wanted */
  char *ns_path[OCI_NS_COUNT]; /* join this one instead of creating */
  struct keep_idmap uid_map[8], gid_map[8];
  size_t n_uid_map, n_gid_map;

  bool has_resources;
  struct keep_limits limits;
  char *cgroups_path; /* relative to each hierarchy root */
  char **sysctl;      /* key=value pairs */
  json_t *seccomp;    /* the linux.seccomp object, or NULL */
  char **masked_paths, **readonly_paths;
  unsigned long rootfs_propagation;
  char *mount_label;
  bool has_personality;
  unsigned long personality;
  struct keep_oci_device *devices;
  size_t n_devices;
  bool has_time_offsets;
  int64_t time_offset_boottime_s, time_offset_monotonic_s;

  json_t *json; /* the whole document (owns the borrowed parts) */
};

/* Read and check `bundle`/config.json. */
int keep_oci_spec_load(const char *bundle, struct keep_oci_spec *out, keep_error **err);
/* Same from a JSON text (unit tests); bundle may be a fake path. */
/* config.json text of len bytes (a NUL inside is refused: read files with
 * their length).  keep_oci_spec_parse takes a NUL-terminated string. */
int keep_oci_spec_parse_len(const char *bundle, const char *text, size_t len, struct keep_oci_spec *out,
                            keep_error **err);
int keep_oci_spec_parse(const char *bundle, const char *text, struct keep_oci_spec *out, keep_error **err);
/* A process object alone (`exec --process FILE`). */
int keep_oci_process_parse(json_t *obj, const char *where, struct keep_oci_process *out, keep_error **err);
void keep_oci_process_free(struct keep_oci_process *p);
void keep_oci_spec_free(struct keep_oci_spec *s);

/* linux.resources.blockIO, hugepageLimits, network, rdma and unified into l
 * (oci_resources.c; pure). */
int keep_oci_parse_resources_io(struct keep_limits *l, json_t *resources, keep_error **err);

/* Parse mount options into flags/propagation/data (pure; exported for tests). */
int keep_oci_mount_options(json_t *opts, const char *where, struct keep_oci_mount *m, keep_error **err);

/* keep's hardened default config.json (`keep spec`): read-only root, every
 * namespace, no capabilities, no_new_privileges, keep's seccomp profile,
 * limits; rootless: mappings for the calling user.  Without with_seccomp,
 * no linux.seccomp (keep run loads the same profile precompiled). */
json_t *keep_oci_default_spec(bool rootless, bool with_seccomp, keep_error **err);

/* One row per namespace kind, indexed by enum keep_oci_ns (oci_namespaces.c). */
struct keep_oci_ns_kind {
  const char *name;      /* linux.namespaces[].type */
  int clone_flag;        /* CLONE_NEW*: for clone, unshare and setns */
  const char *proc_name; /* its file in /proc/PID/ns */
  bool in_default_spec;  /* `keep spec` asks for it */
};
extern const struct keep_oci_ns_kind keep_oci_namespaces[OCI_NS_COUNT];

#endif
