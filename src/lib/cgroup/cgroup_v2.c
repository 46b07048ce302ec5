/* cgroup v2: one directory, <base>/<rel> (keep/<id> by default), controllers
 * enabled on the way. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

bool cg_has_word(const char *list, const char *word)
{
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
      return true;
  return false;
}

int cg_want_add(char (*want)[32], size_t *nw, size_t max, const char *c)
{
  for (size_t i = 0; i < *nw; i++)
    if (strcmp(want[i], c) == 0)
      return 0;
  if (*nw == max || strlen(c) >= sizeof(want[0]))
    return -1;
  snprintf(want[(*nw)++], sizeof(want[0]), "%s", c);
  return 0;
}

static int enable(const struct keep_cgroup *cg, const char *dir, const char *const *ctrls, size_t n,
                  keep_error **err)
{
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *plus = xasprintf("+%s", ctrls[i]);
    if (cg->fake) {
      /* A fake tree records what was enabled, one line per write. */
      cleanup_free char *path = xasprintf("%s/cgroup.subtree_control", dir);
      cleanup_file FILE *f = fopen(path, "ae");
      if (f == NULL || fprintf(f, "%s\n", plus) < 0)
        return keep_fail_errno(err, "write `%s`", path);
      continue;
    }
    if (cg_write(cg, dir, "cgroup.subtree_control", plus, err) < 0)
      return -1;
  }
  return 0;
}

struct enable_arg {
  const struct keep_cgroup *cg;
  const char *const *want;
  size_t n;
};

static int enable_on_parent(const char *dir, void *arg, keep_error **err)
{
  struct enable_arg *a = arg;
  return enable(a->cg, dir, a->want, a->n, err);
}

int cg_v2_create(const char *base, const char *rel, const struct keep_limits *l, struct keep_cgroup *cg,
                 keep_error **err)
{
  cg->version = KEEP_CGROUP_V2;
  /* Settings cgroup v2 does not have: refused, never dropped. */
  const char *none =
      l->has_swappiness       ? "memory swappiness (linux.resources.memory.swappiness)"
      : l->disable_oom_killer ? "disabling the OOM killer (linux.resources.memory.disableOOMKiller)"
      : l->kernel_bytes       ? "a kernel memory limit (linux.resources.memory.kernel)"
      : l->kernel_tcp_bytes   ? "a kernel TCP memory limit (linux.resources.memory.kernelTCP)"
      : l->rt_runtime_us || l->rt_period_us ? "a real-time budget (linux.resources.cpu.realtime*)"
                                            : cg_v2_io_unsupported(l);
  if (none)
    return keep_fail(err, ENOTSUP, "cgroup v2 has no setting for %s", none);
  cleanup_free char *avail = NULL;
  cleanup_free char *avail_path = xasprintf("%s/cgroup.controllers", base);
  if (read_file_at(AT_FDCWD, avail_path, &avail, NULL, err) < 0)
    return -1;
  char want[16][32];
  size_t nw = 0;
  if (l->memory_bytes > 0 || l->memory_reservation > 0)
    cg_want_add(want, &nw, ARRAY_SIZE(want), "memory");
  if (l->cpu_quota_us > 0 || l->cpu_shares > 0 || l->has_cpu_idle || l->cpu_burst_us > 0)
    cg_want_add(want, &nw, ARRAY_SIZE(want), "cpu");
  if (l->pids > 0)
    cg_want_add(want, &nw, ARRAY_SIZE(want), "pids");
  if (l->cpuset_cpus || l->cpuset_mems)
    cg_want_add(want, &nw, ARRAY_SIZE(want), "cpuset");
  for (size_t i = 0; i < nw; i++)
    if (!cg_has_word(avail, want[i])) {
      keep_fail(err, 0, "cgroup v2 controller `%s` is not available in `%s`", want[i], avail_path);
      return keep_error_hint(err, "enable it for this subtree, or pass --cgroups=off");
    }
  if (cg_v2_io_controllers(l, avail, avail_path, want, &nw, ARRAY_SIZE(want), err) < 0)
    return -1;
  const char *want_names[ARRAY_SIZE(want)];
  for (size_t i = 0; i < nw; i++)
    want_names[i] = want[i];

  struct enable_arg ea = {cg, want_names, nw};
  char *dir = NULL;
  size_t made = 0;
  if (cg_mkdir_path(base, rel, enable_on_parent, &ea, &dir, &made, err) < 0)
    return -1;
  cg->names[0] = xstrdup("");
  cg->dirs[0] = dir;
  cg->n = 1;

  char buf[64];
  if (l->memory_bytes > 0) {
    if (cg_write_i64(cg, dir, "memory.max", l->memory_bytes, err) < 0)
      goto fail;
    cleanup_free char *swap = xasprintf("%s/memory.swap.max", dir);
    /* OCI gives memory+swap; v2 wants the swap alone. */
    char sw[64] = "0";
    if (l->memory_swap_bytes < 0)
      snprintf(sw, sizeof(sw), "max");
    else if (l->memory_swap_bytes > l->memory_bytes)
      snprintf(sw, sizeof(sw), "%lld", (long long) (l->memory_swap_bytes - l->memory_bytes));
    if ((cg->fake || access(swap, F_OK) == 0) && cg_write(cg, dir, "memory.swap.max", sw, err) < 0)
      goto fail;
  }
  if (l->cpu_quota_us > 0) {
    snprintf(buf, sizeof(buf), "%lld %lld", (long long) l->cpu_quota_us, (long long) l->cpu_period_us);
    if (cg_write(cg, dir, "cpu.max", buf, err) < 0)
      goto fail;
  }
  if (l->cpu_shares > 0) {
    /* The conversion crun and runc use: shares 2..262144 -> weight 1..10000. */
    int64_t w = 1 + ((l->cpu_shares - 2) * 9999) / 262142;
    if (cg_write_i64(cg, dir, "cpu.weight", w < 1 ? 1 : w > 10000 ? 10000 : w, err) < 0)
      goto fail;
  }
  if (l->pids > 0 && cg_write_i64(cg, dir, "pids.max", l->pids, err) < 0)
    goto fail;
  if ((l->memory_reservation > 0 && cg_write_i64(cg, dir, "memory.low", l->memory_reservation, err) < 0) ||
      (l->has_cpu_idle && cg_write_i64(cg, dir, "cpu.idle", l->cpu_idle, err) < 0) ||
      (l->cpu_burst_us > 0 && cg_write_i64(cg, dir, "cpu.max.burst", l->cpu_burst_us, err) < 0))
    goto fail;
  if ((l->cpuset_cpus && cg_write(cg, dir, "cpuset.cpus", l->cpuset_cpus, err) < 0) ||
      (l->cpuset_mems && cg_write(cg, dir, "cpuset.mems", l->cpuset_mems, err) < 0))
    goto fail;
  if (cg_v2_apply_io(cg, dir, l, err) < 0)
    goto fail;
  return 0;
fail:
  if (!cg->fake)
    cg_rmdir_made(dir, made);
  return -1;
}
