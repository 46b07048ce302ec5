/* cgroup v1: one directory per controller, <rel> (keep/<id> by default)
 * under each mount. */
#include <errno.h>
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

static int add_dir(const char *root, const char *ctrl, const char *rel, struct keep_cgroup *cg,
                   keep_error **err)
{
  cleanup_free char *mnt = xasprintf("%s/%s", root, ctrl);
  char *dir = NULL;
  if (cg_mkdir_path(mnt, rel, NULL, NULL, &dir, err) < 0)
    return -1;
  cg->names[cg->n] = xstrdup(ctrl);
  cg->dirs[cg->n++] = dir;
  return 0;
}

static const char *dir_of(const struct keep_cgroup *cg, const char *ctrl)
{
  for (size_t i = 0; i < cg->n; i++)
    if (strcmp(cg->names[i], ctrl) == 0)
      return cg->dirs[i];
  return NULL;
}

int cg_v1_create(const char *root, const char *rel, const struct keep_limits *l,
                 struct keep_cgroup *cg, keep_error **err)
{
  cg->version = KEEP_CGROUP_V1;
  struct {
    const char *name;
    bool needed;
  } ctrls[] = {
    {"memory", l->memory_bytes > 0},
    {"cpu", l->cpu_quota_us > 0 || l->cpu_shares > 0},
    {"pids", l->pids > 0},
    {"freezer", false},   /* optional: makes killing race-free */
    {"devices", l->device_rules != NULL},
  };
  for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
    cleanup_free char *mnt = xasprintf("%s/%s", root, ctrls[i].name);
    if (!cg->fake && !is_v1_mount(mnt)) {
      if (!ctrls[i].needed)
        continue;
      keep_fail(err, ENOENT, "cgroup v1 controller `%s` is not mounted at `%s`", ctrls[i].name, mnt);
      goto fail;
    }
    if (add_dir(root, ctrls[i].name, rel, cg, err) < 0)
      goto fail;
  }

  char buf[64];
  const char *d;
  if (l->memory_bytes > 0 && (d = dir_of(cg, "memory"))) {
    snprintf(buf, sizeof(buf), "%lld", (long long) l->memory_bytes);
    if (cg_write(cg, d, "memory.limit_in_bytes", buf, err) < 0)
      goto fail;
    /* Memory+swap equal to memory: no swap on top.  Without swap
     * accounting the file is absent and there is nothing to limit. */
    cleanup_free char *memsw = xasprintf("%s/memory.memsw.limit_in_bytes", d);
    if (l->memory_swap_bytes > 0)
      snprintf(buf, sizeof(buf), "%lld", (long long) l->memory_swap_bytes);
    if (l->memory_swap_bytes >= 0 && access(memsw, F_OK) == 0 &&
        cg_write(cg, d, "memory.memsw.limit_in_bytes", buf, err) < 0)
      goto fail;
  }
  if (l->cpu_quota_us > 0 && (d = dir_of(cg, "cpu"))) {
    snprintf(buf, sizeof(buf), "%lld", (long long) l->cpu_period_us);
    if (cg_write(cg, d, "cpu.cfs_period_us", buf, err) < 0)
      goto fail;
    snprintf(buf, sizeof(buf), "%lld", (long long) l->cpu_quota_us);
    if (cg_write(cg, d, "cpu.cfs_quota_us", buf, err) < 0)
      goto fail;
  }
  if (l->cpu_shares > 0 && (d = dir_of(cg, "cpu"))) {
    snprintf(buf, sizeof(buf), "%lld", (long long) l->cpu_shares);
    if (cg_write(cg, d, "cpu.shares", buf, err) < 0)
      goto fail;
  }
  if (l->pids > 0 && (d = dir_of(cg, "pids"))) {
    snprintf(buf, sizeof(buf), "%lld", (long long) l->pids);
    if (cg_write(cg, d, "pids.max", buf, err) < 0)
      goto fail;
  }
  return 0;
fail:
  for (size_t i = cg->n; i-- > 0;)
    cg->fake ? (void) 0 : (void) cg_rmdir(cg->dirs[i], NULL);
  return -1;
}
