/* Resource limits through cgroups: a v2 driver and a v1 driver behind one
 * interface.  Hybrid hosts (v1 controllers plus a cgroup2 mount that owns
 * none of memory/cpu/pids) use the v1 driver. */
#ifndef KEEP_CGROUP_H
#define KEEP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

enum keep_cgroup_version { KEEP_CGROUP_NONE = 0, KEEP_CGROUP_V1 = 1, KEEP_CGROUP_V2 = 2 };

struct keep_cgroup;

/* Defaults from the host's size: see cgroup_defaults.c for the numbers. */
void keep_limits_default(struct keep_limits *l);
/* Pure: same, from given host figures (unit-tested). */
void keep_limits_default_for(struct keep_limits *l, int64_t host_mem_bytes, int host_cpus);

/* Pure checks of the resources cgroups take as given (cgroup_keys.c). */
/* May linux.resources.unified write `key`?  A plain CONTROLLER.KNOB file
 * name of the container's own cgroup; false with *why when not. */
bool keep_cgroup_unified_key_ok(const char *key, const char **why);
/* The controller of a unified key into buf ("" for the cgroup.* files
 * allowed); returns its length. */
size_t keep_cgroup_unified_controller(const char *key, char *buf, size_t size);
/* A value one write can carry: non-empty, printable, no newline. */
bool keep_cgroup_unified_value_ok(const char *value);
/* blkio weight (10..1000) to io.weight (1..10000); 0 stays 0. */
int64_t keep_blkio_to_io_weight(int64_t w);
/* A huge page size as the kernel names its files ("2MB", "1GB", "64KB"):
 * bytes, or false when s is not that spelling. */
bool keep_hugetlb_size_parse(const char *s, uint64_t *bytes);
void keep_hugetlb_size_name(uint64_t bytes, char *buf, size_t size);
/* Free what a parsed keep_limits holds. */
void keep_limits_release(struct keep_limits *l);
/* The value linux.resources.unified gives `key`, or NULL. */
const char *keep_limits_unified_get(const struct keep_limits *l, const char *key);
/* Does l ask for blockIO, hugetlb, network, rdma or unified settings? */
bool keep_limits_io_asked(const struct keep_limits *l);

/* Which driver this host needs for memory, cpu and pids. */
int keep_cgroup_detect(enum keep_cgroup_version *out, keep_error **err);

/* Create the container's cgroup named `id` and apply every limit; a limit
 * that cannot be applied is an error and nothing is left behind.
 * rootless: use the caller's delegated subtree (v2) or fail with a hint to
 * pass --cgroups=off. */
int keep_cgroup_create(const char *id, const struct keep_limits *l, bool rootless, struct keep_cgroup **out,
                       keep_error **err);

/* Same at a path relative to each hierarchy's root (OCI cgroupsPath). */
int keep_cgroup_create_at(const char *rel, const struct keep_limits *l, bool rootless,
                          struct keep_cgroup **out, keep_error **err);
/* The existing cgroup at rel (for delete, pause, exec of OCI containers). */
int keep_cgroup_open_at(const char *rel, struct keep_cgroup **out, keep_error **err);
/* The device rules of l: applied once the container is set up, so keep's
 * own set-up (its terminal) is not subject to them.  v1 writes
 * devices.allow/deny; v2 attaches an eBPF program (cgroup_devices_bpf.h).
 * Any failure is an error: never a container without its filter. */
int keep_cgroup_apply_devices(struct keep_cgroup *cg, char *const *rules, keep_error **err);
/* Freeze (pause) or thaw (resume) every process of the cgroup. */
int keep_cgroup_freeze(struct keep_cgroup *cg, bool frozen, keep_error **err);
/* The pids in the cgroup (NULL-free array, count in *n); caller frees. */
int keep_cgroup_pids(const struct keep_cgroup *cg, pid_t **pids, size_t *n, keep_error **err);

/* Move pid into the cgroup (every hierarchy for v1). */
int keep_cgroup_enter(struct keep_cgroup *cg, pid_t pid, keep_error **err);

enum keep_cgroup_version keep_cgroup_version_of(const struct keep_cgroup *cg);
/* v1: the host directories of the container's cgroup, one per controller,
 * and the controller names (for read-only bind mounts at /sys/fs/cgroup/NAME).
 * v2: a single directory with name "". Returns the count. */
/* A cgroup v2's path below /sys/fs/cgroup (what keep_cgroup_open_at takes),
 * or NULL on v1. */
const char *keep_cgroup_v2_rel(const struct keep_cgroup *cg);
size_t keep_cgroup_dirs(const struct keep_cgroup *cg, const char *const **names, const char *const **dirs);

/* Kill anything left, remove the directories (retrying while the kernel
 * still has them busy), free cg.  Safe on NULL. */
int keep_cgroup_destroy(struct keep_cgroup *cg, keep_error **err);

/* Free the handle, leaving the cgroup in place (an OCI container owns it). */
void keep_cgroup_forget(struct keep_cgroup *cg);

/* Remove keep cgroups whose container is gone (no process left), as after
 * keep was killed.  Returns the number removed. */
int keep_cgroup_gc(bool rootless, keep_error **err);

#endif
