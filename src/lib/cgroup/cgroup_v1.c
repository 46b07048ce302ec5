/* cgroup v1: one directory per controller, <rel> (keep/<id> by default)
 * under each mount. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

static bool is_v1_mount(const char *path)
{
  struct statfs s;
  return statfs(path, &s) == 0 && s.f_type == CGROUP_SUPER_MAGIC;
}

/* A new v1 cpuset directory starts with no CPUs and no memory nodes, and no
 * task can join it until it has some: each one keep makes on the way down
 * gets its parent's. */
static int cpuset_inherit(const struct keep_cgroup *cg, const char *dir, keep_error **err)
{
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    cleanup_free char *path = xasprintf("%s/%s", dir, files[i]);
    cleanup_free char *mine = NULL, *theirs = NULL;
    cleanup_error keep_error *e = NULL;
    if (read_file_at(AT_FDCWD, path, &mine, NULL, &e) < 0 || strspn(mine, " \n") != strlen(mine))
      continue; /* set already (or the base itself) */
    cleanup_free char *parent = xstrdup(dir);
    *strrchr(parent, '/') = '\0';
    cleanup_free char *ppath = xasprintf("%s/%s", parent, files[i]);
    if (read_file_at(AT_FDCWD, ppath, &theirs, NULL, err) < 0)
      return -1;
    theirs[strcspn(theirs, "\n")] = '\0';
    if (cg_write(cg, dir, files[i], theirs, err) < 0)
      return -1;
  }
  return 0;
}

static int cpuset_on_parent(const char *dir, void *arg, keep_error **err)
{
  return cpuset_inherit(arg, dir, err);
}

/* A hybrid host may have a v1-less controller (hugetlb, say) on its
 * cgroup2 mount: keep uses v1 there and makes no cgroup on that mount, so
 * the setting is refused; the hint says where the controller is. */
static void v1_hybrid_hint(const char *root, const char *ctrl, keep_error **err)
{
  cleanup_free char *path = xasprintf("%s/unified/cgroup.controllers", root);
  cleanup_free char *avail = NULL;
  if (read_file_at(AT_FDCWD, path, &avail, NULL, NULL) == 0 && cg_has_word(avail, ctrl))
    keep_error_hint(err,
                    "this hybrid host has `%s` only on its cgroup v2 mount (%s/unified), where keep makes no "
                    "cgroup: remove the setting, or use a cgroup v2 host",
                    ctrl, root);
}

/* Two controllers mounted together (net_cls,net_prio) share a directory:
 * the second gets the first's. */
static bool same_hierarchy(const char *root, const struct keep_cgroup *cg, const char *ctrl, size_t *j)
{
  struct stat a, b;
  cleanup_free char *mnt = xasprintf("%s/%s", root, ctrl);
  if (cg->fake || stat(mnt, &a) < 0)
    return false;
  for (*j = 0; *j < cg->n; (*j)++) {
    cleanup_free char *other = xasprintf("%s/%s", root, cg->names[*j]);
    if (stat(other, &b) == 0 && a.st_dev == b.st_dev)
      return true;
  }
  return false;
}

static int add_dir(const char *root, const char *ctrl, const char *rel, struct keep_cgroup *cg,
                   keep_error **err)
{
  size_t j;
  if (same_hierarchy(root, cg, ctrl, &j)) {
    cg->made[cg->n] = 0; /* removed with the first */
    cg->names[cg->n] = xstrdup(ctrl);
    cg->dirs[cg->n++] = xstrdup(cg->dirs[j]);
    return 0;
  }
  cleanup_free char *mnt = xasprintf("%s/%s", root, ctrl);
  char *dir = NULL;
  size_t made = 0;
  bool cpuset = strcmp(ctrl, "cpuset") == 0 && !cg->fake;
  if (cg_mkdir_path(mnt, rel, cpuset ? cpuset_on_parent : NULL, cg, &dir, &made, err) < 0)
    return -1;
  if (cpuset && cpuset_inherit(cg, dir, err) < 0) {
    cg_rmdir_made(dir, made);
    free(dir);
    return -1;
  }
  cg->made[cg->n] = made;
  cg->names[cg->n] = xstrdup(ctrl);
  cg->dirs[cg->n++] = dir;
  return 0;
}

/* Write, then read back: the kernel keeps some deprecated files (kmem) that
 * accept a value and ignore it.  A limit that did not take is an error. */
static int write_checked(const struct keep_cgroup *cg, const char *dir, const char *file, int64_t v,
                         keep_error **err)
{
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  if (!cg->fake && access(path, F_OK) < 0)
    return keep_fail(err, ENOTSUP, "`%s`: this kernel has no such limit", path);
  if (cg_write_i64(cg, dir, file, v, err) < 0)
    return -1;
  cleanup_free char *back = NULL;
  if (read_file_at(AT_FDCWD, path, &back, NULL, err) < 0)
    return -1;
  /* The kernel rounds byte limits down to whole pages. */
  long long got = strtoll(back, NULL, 10), want = v, page = sysconf(_SC_PAGESIZE);
  if (got != want && !(want > 0 && got == want / page * page))
    return keep_fail(err, ENOTSUP, "`%s`: the kernel took %lld for %lld (it ignores this limit)", path, got,
                     want);
  return 0;
}

static int v1_memory_extras(const struct keep_cgroup *cg, const char *d, const struct keep_limits *l,
                            keep_error **err)
{
  if ((l->memory_reservation > 0 &&
       cg_write_i64(cg, d, "memory.soft_limit_in_bytes", l->memory_reservation, err) < 0) ||
      (l->has_swappiness && cg_write_i64(cg, d, "memory.swappiness", l->memory_swappiness, err) < 0))
    return -1;
  if (l->disable_oom_killer && cg_write(cg, d, "memory.oom_control", "1", err) < 0)
    return -1;
  if (l->kernel_bytes != 0 && write_checked(cg, d, "memory.kmem.limit_in_bytes", l->kernel_bytes, err) < 0)
    return -1;
  if (l->kernel_tcp_bytes != 0 &&
      write_checked(cg, d, "memory.kmem.tcp.limit_in_bytes", l->kernel_tcp_bytes, err) < 0)
    return -1;
  return 0;
}

/* The real-time budget of a cgroup may not exceed what its parent has left:
 * the directories keep made above the container (never the hierarchy's
 * root) are raised to the container's runtime first. */
static int v1_rt_runtime(const struct keep_cgroup *cg, const char *mnt, const char *d, int64_t runtime,
                         keep_error **err)
{
  cleanup_error keep_error *first = NULL;
  if (cg_write_i64(cg, d, "cpu.rt_runtime_us", runtime, &first) == 0)
    return 0;
  cleanup_free char *parent = xstrdup(d);
  *strrchr(parent, '/') = '\0';
  if (first->errnum != EINVAL || strcmp(parent, mnt) == 0) {
    *err = steal_pointer(&first);
    return -1;
  }
  cleanup_free char *cur = NULL;
  cleanup_free char *ppath = xasprintf("%s/cpu.rt_runtime_us", parent);
  if (read_file_at(AT_FDCWD, ppath, &cur, NULL, err) < 0)
    return -1;
  if (strtoll(cur, NULL, 10) < runtime && v1_rt_runtime(cg, mnt, parent, runtime, err) < 0)
    return -1;
  return cg_write_i64(cg, d, "cpu.rt_runtime_us", runtime, err);
}

static int v1_cpu_extras(const struct keep_cgroup *cg, const char *root, const char *d,
                         const struct keep_limits *l, keep_error **err)
{
  if (l->rt_period_us > 0 && cg_write_i64(cg, d, "cpu.rt_period_us", l->rt_period_us, err) < 0)
    return -1;
  if (l->rt_runtime_us != 0) {
    cleanup_free char *rt = xasprintf("%s/cpu.rt_runtime_us", d);
    if (!cg->fake && access(rt, F_OK) < 0)
      return keep_fail(err, ENOTSUP, "`%s`: this kernel has no real-time group scheduling", rt);
    cleanup_free char *mnt = xasprintf("%s/cpu", root);
    if (v1_rt_runtime(cg, mnt, d, l->rt_runtime_us, err) < 0)
      return -1;
  }
  if ((l->has_cpu_idle && cg_write_i64(cg, d, "cpu.idle", l->cpu_idle, err) < 0) ||
      (l->cpu_burst_us > 0 && cg_write_i64(cg, d, "cpu.cfs_burst_us", l->cpu_burst_us, err) < 0))
    return -1;
  return 0;
}

int cg_v1_create(const char *root, const char *rel, const struct keep_limits *l, struct keep_cgroup *cg,
                 keep_error **err)
{
  cg->version = KEEP_CGROUP_V1;
  bool mem_extras = l->memory_reservation > 0 || l->has_swappiness || l->disable_oom_killer ||
                    l->kernel_bytes != 0 || l->kernel_tcp_bytes != 0;
  bool cpu_extras = l->rt_runtime_us != 0 || l->rt_period_us > 0 || l->has_cpu_idle || l->cpu_burst_us > 0;
  bool cpuset = l->cpuset_cpus || l->cpuset_mems;
  /* unified is a map of cgroup v2 files: a v1 host has none of them. */
  if (l->unified)
    return keep_fail(err, ENOTSUP,
                     "linux.resources.unified needs cgroup v2 (this host's limits are on cgroup v1)");
  bool blkio = l->blkio_weight > 0 || l->blkio_leaf_weight > 0 || l->n_blkio_devs > 0;
  struct {
    const char *name;
    bool needed;
    bool wanted;       /* joined only when asked for */
    const char *field; /* what asks for it, for the refusal */
  } ctrls[] = {
      {"memory", l->memory_bytes > 0 || mem_extras, true, NULL},
      {"cpu", l->cpu_quota_us > 0 || l->cpu_shares > 0 || cpu_extras, true, NULL},
      {"pids", l->pids > 0, true, NULL},
      {"freezer", false, true, NULL}, /* optional: makes killing race-free */
      {"devices", l->device_rules != NULL, true, NULL},
      {"cpuset", cpuset, cpuset, NULL},
      {"blkio", blkio, blkio, "linux.resources.blockIO"},
      {"hugetlb", l->n_hugetlb > 0, l->n_hugetlb > 0, "linux.resources.hugepageLimits"},
      {"net_cls", l->has_net_classid, l->has_net_classid, "linux.resources.network.classID"},
      {"net_prio", l->net_prios != NULL, l->net_prios != NULL, "linux.resources.network.priorities"},
      {"rdma", l->rdma != NULL, l->rdma != NULL, "linux.resources.rdma"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
    if (!ctrls[i].wanted)
      continue;
    cleanup_free char *mnt = xasprintf("%s/%s", root, ctrls[i].name);
    if (!cg->fake && !is_v1_mount(mnt)) {
      if (!ctrls[i].needed)
        continue;
      keep_fail(err, ENOENT, "%s%scgroup v1 controller `%s` is not mounted at `%s`",
                ctrls[i].field ? ctrls[i].field : "", ctrls[i].field ? ": " : "", ctrls[i].name, mnt);
      v1_hybrid_hint(root, ctrls[i].name, err);
      goto fail;
    }
    if (add_dir(root, ctrls[i].name, rel, cg, err) < 0)
      goto fail;
  }

  const char *d;
  if (l->memory_bytes > 0 && (d = cg_dir_of(cg, "memory"))) {
    if (cg_write_i64(cg, d, "memory.limit_in_bytes", l->memory_bytes, err) < 0)
      goto fail;
    /* Memory+swap equal to memory: no swap on top.  Without swap
     * accounting the file is absent and there is nothing to limit. */
    cleanup_free char *memsw = xasprintf("%s/memory.memsw.limit_in_bytes", d);
    int64_t memsw_bytes = l->memory_swap_bytes > 0 ? l->memory_swap_bytes : l->memory_bytes;
    if (l->memory_swap_bytes >= 0 && access(memsw, F_OK) == 0 &&
        cg_write_i64(cg, d, "memory.memsw.limit_in_bytes", memsw_bytes, err) < 0)
      goto fail;
  }
  if (l->cpu_quota_us > 0 && (d = cg_dir_of(cg, "cpu")) &&
      (cg_write_i64(cg, d, "cpu.cfs_period_us", l->cpu_period_us, err) < 0 ||
       cg_write_i64(cg, d, "cpu.cfs_quota_us", l->cpu_quota_us, err) < 0))
    goto fail;
  if (l->cpu_shares > 0 && (d = cg_dir_of(cg, "cpu")) &&
      cg_write_i64(cg, d, "cpu.shares", l->cpu_shares, err) < 0)
    goto fail;
  if (l->pids > 0 && (d = cg_dir_of(cg, "pids")) && cg_write_i64(cg, d, "pids.max", l->pids, err) < 0)
    goto fail;
  if ((d = cg_dir_of(cg, "memory")) && v1_memory_extras(cg, d, l, err) < 0)
    goto fail;
  if ((d = cg_dir_of(cg, "cpu")) && v1_cpu_extras(cg, root, d, l, err) < 0)
    goto fail;
  if ((d = cg_dir_of(cg, "cpuset")) &&
      ((l->cpuset_cpus && cg_write(cg, d, "cpuset.cpus", l->cpuset_cpus, err) < 0) ||
       (l->cpuset_mems && cg_write(cg, d, "cpuset.mems", l->cpuset_mems, err) < 0)))
    goto fail;
  if (cg_v1_apply_io(cg, l, err) < 0)
    goto fail;
  return 0;
fail:
  for (size_t i = cg->n; i-- > 0;)
    if (!cg->fake)
      cg_rmdir_made(cg->dirs[i], cg->made[i]);
  return -1;
}
