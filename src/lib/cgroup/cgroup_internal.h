#ifndef KEEP_CGROUP_INTERNAL_H
#define KEEP_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"

/* memory, cpu, pids, freezer, devices, cpuset, blkio, hugetlb, net_cls,
 * net_prio, rdma */
#define KEEP_CG_MAX 12

struct keep_cgroup {
  enum keep_cgroup_version version;
  size_t n;
  char *names[KEEP_CG_MAX]; /* v1 controller name, or "" for v2 */
  char *dirs[KEEP_CG_MAX];  /* the container's cgroup directories */
  size_t made[KEEP_CG_MAX]; /* how many of each path's directories keep made */
  bool fake;                /* a test tree of plain files, not a cgroup fs */
};

/* Write `val` to dir/file, after checking dir is on a cgroup filesystem. */
int cg_write(const struct keep_cgroup *cg, const char *dir, const char *file, const char *val,
             keep_error **err);
/* The same with a number. */
int cg_write_i64(const struct keep_cgroup *cg, const char *dir, const char *file, int64_t val,
                 keep_error **err);
/* SIGKILL every process listed in dir/cgroup.procs; returns how many. */
int cg_kill_procs(const char *dir);
/* rmdir, retrying while the kernel still tears the cgroup down. */
int cg_rmdir(const char *dir, keep_error **err);

/* Create base/rel: the parents as needed (calling on_parent on each existing
 * or new parent directory, base included), the last component new (EEXIST
 * is an error: two containers never share a cgroup).  *out gets the path,
 * *made how many directories of it were created (the last ones).  On failure
 * the directories it made are removed again. */
int cg_mkdir_path(const char *base, const char *rel,
                  int (*on_parent)(const char *dir, void *arg, keep_error **err), void *arg, char **out,
                  size_t *made, keep_error **err);
/* Remove `leaf` and the parents above it, `made` directories in all. */
void cg_rmdir_made(const char *leaf, size_t made);
/* Is rel a safe relative cgroup path (no "..", no empty components)? */
bool cg_rel_valid(const char *rel);

int cg_v1_create(const char *mounts_root, const char *rel, const struct keep_limits *l,
                 struct keep_cgroup *cg, keep_error **err);
int cg_v2_create(const char *base, const char *rel, const struct keep_limits *l, struct keep_cgroup *cg,
                 keep_error **err);
void cg_free(struct keep_cgroup *cg);
/* The directory of controller `name` (v1), or NULL. */
const char *cg_dir_of(const struct keep_cgroup *cg, const char *name);
/* Is word one of the space-separated words of list (cgroup.controllers)? */
bool cg_has_word(const char *list, const char *word);

/* blockIO, hugepageLimits, network, rdma, unified (cgroup_io.c). */
int cg_v1_apply_io(const struct keep_cgroup *cg, const struct keep_limits *l, keep_error **err);
int cg_v2_apply_io(const struct keep_cgroup *cg, const char *dir, const struct keep_limits *l,
                   keep_error **err);
/* What of l cgroup v2 has no file for, named for the refusal; NULL: none. */
const char *cg_v2_io_unsupported(const struct keep_limits *l);
/* Add the v2 controllers l needs to want (refused by name when avail,
 * the base's cgroup.controllers, lacks one). */
int cg_v2_io_controllers(const struct keep_limits *l, const char *avail, const char *avail_path,
                         char (*want)[32], size_t *nw, size_t max, keep_error **err);
/* Add c to want unless there; -1 when full. */
int cg_want_add(char (*want)[32], size_t *nw, size_t max, const char *c);

#endif
