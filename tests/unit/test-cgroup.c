/* cgroup drivers: defaults, v2 against a fake tree, v1 for real when the
 * host has it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "tap.h"
#include "util.h"

static char *slurp(const char *dir, const char *file)
{
  cleanup_free char *p = xasprintf("%s/%s", dir, file);
  char *s = NULL;
  if (read_file_at(AT_FDCWD, p, &s, NULL, NULL) < 0)
    return xstrdup("(missing)");
  return s;
}

static void test_defaults(void)
{
  struct keep_limits l;
  keep_limits_default_for(&l, 24LL << 30, 2);
  TAP_EQ_INT(l.memory_bytes, 6LL << 30, "memory: a quarter of 24 GiB");
  TAP_EQ_INT(l.cpu_quota_us, 100000, "cpu: half of 2 CPUs");
  TAP_EQ_INT(l.pids, 2048, "pids: 2048");
  keep_limits_default_for(&l, 512LL << 20, 1);
  TAP_EQ_INT(l.memory_bytes, 256LL << 20, "memory: at least 256 MiB");
  TAP_EQ_INT(l.cpu_quota_us, 100000, "cpu: at least one CPU");
  keep_limits_default_for(&l, 64LL << 30, 7);
  TAP_EQ_INT(l.cpu_quota_us, 400000, "cpu: half of 7 rounds up");
}

static void test_v2_fake(void)
{
  char root[] = "/tmp/keep-unit-cg.XXXXXX";
  if (mkdtemp(root) == NULL) {
    tap_ok(false, "mkdtemp");
    return;
  }
  cleanup_free char *ctl = xasprintf("%s/cgroup.controllers", root);
  FILE *f = fopen(ctl, "w");
  fputs("cpuset cpu io memory pids\n", f);
  fclose(f);
  struct keep_limits l = {
      .memory_bytes = 1 << 30, .cpu_quota_us = 50000, .cpu_period_us = 100000, .pids = 99};
  struct keep_cgroup cg = {.fake = true};
  cleanup_error keep_error *err = NULL;
  tap_ok(cg_v2_create(root, "keep/c1", &l, &cg, &err) == 0, "v2 create on a fake tree");
  cleanup_free char *dir = xasprintf("%s/keep/c1", root);
  cleanup_free char *mem = slurp(dir, "memory.max");
  cleanup_free char *swap = slurp(dir, "memory.swap.max");
  cleanup_free char *cpu = slurp(dir, "cpu.max");
  cleanup_free char *pids = slurp(dir, "pids.max");
  cleanup_free char *sub = slurp(root, "cgroup.subtree_control");
  cleanup_free char *ksub = xasprintf("%s/keep", root);
  cleanup_free char *ksub_c = slurp(ksub, "cgroup.subtree_control");
  TAP_EQ_STR(mem, "1073741824", "v2 memory.max");
  TAP_EQ_STR(swap, "0", "v2 memory.swap.max: no swap beyond the limit");
  TAP_EQ_STR(cpu, "50000 100000", "v2 cpu.max");
  TAP_EQ_STR(pids, "99", "v2 pids.max");
  TAP_EQ_STR(sub, "+memory\n+cpu\n+pids\n", "v2 controllers enabled at the base");
  TAP_EQ_STR(ksub_c, "+memory\n+cpu\n+pids\n", "v2 controllers enabled under keep/");
  for (size_t i = 0; i < cg.n; i++) {
    free(cg.names[i]);
    free(cg.dirs[i]);
  }

  /* cpuset, memory.low, cpu.idle and cpu.max.burst; cpuset enabled on the way. */
  struct keep_limits x = {.pids = 5,
                          .cpuset_cpus = "0-1",
                          .cpuset_mems = "0",
                          .memory_reservation = 4096,
                          .has_cpu_idle = true,
                          .cpu_idle = 1,
                          .cpu_burst_us = 1000};
  struct keep_cgroup cg3 = {.fake = true};
  tap_ok(cg_v2_create(root, "keep/c3", &x, &cg3, &err) == 0, "v2 create with the OCI extras");
  cleanup_free char *d3 = xasprintf("%s/keep/c3", root);
  cleanup_free char *cpus = slurp(d3, "cpuset.cpus");
  cleanup_free char *mems = slurp(d3, "cpuset.mems");
  cleanup_free char *low = slurp(d3, "memory.low");
  cleanup_free char *idle = slurp(d3, "cpu.idle");
  cleanup_free char *burst = slurp(d3, "cpu.max.burst");
  cleanup_free char *ksub3 = slurp(ksub, "cgroup.subtree_control");
  TAP_EQ_STR(cpus, "0-1", "v2 cpuset.cpus");
  TAP_EQ_STR(mems, "0", "v2 cpuset.mems");
  TAP_EQ_STR(low, "4096", "v2 memory.low from the reservation");
  TAP_EQ_STR(idle, "1", "v2 cpu.idle");
  TAP_EQ_STR(burst, "1000", "v2 cpu.max.burst");
  tap_ok(ksub3 && strstr(ksub3, "+cpuset\n"), "v2 cpuset enabled under keep/");
  for (size_t i = 0; i < cg3.n; i++) {
    free(cg3.names[i]);
    free(cg3.dirs[i]);
  }
  /* What v2 has no file for: refused before anything is made. */
  struct keep_limits v1only[] = {{.has_swappiness = true, .memory_swappiness = 10},
                                 {.disable_oom_killer = true},
                                 {.kernel_bytes = 1 << 20},
                                 {.rt_runtime_us = 1000}};
  const char *names[] = {"swappiness", "OOM killer", "kernel memory", "real-time"};
  for (size_t i = 0; i < 4; i++) {
    struct keep_cgroup c = {.fake = true};
    keep_error *e = NULL;
    bool refused = cg_v2_create(root, "keep/c4", &v1only[i], &c, &e) < 0;
    tap_ok(refused && e && strstr(e->msg, "cgroup v2 has no"), "v2 refuses %s: %s", names[i],
           e ? e->msg : "accepted");
    keep_error_free(&e);
    cleanup_free char *d4 = xasprintf("%s/keep/c4", root);
    tap_ok(access(d4, F_OK) < 0, "v2 refusing %s makes no directory", names[i]);
  }

  /* A base without the memory controller: an error naming it. */
  f = fopen(ctl, "w");
  fputs("cpu pids\n", f);
  fclose(f);
  struct keep_cgroup cg2 = {.fake = true};
  keep_error *e2 = NULL;
  tap_ok(cg_v2_create(root, "keep/c2", &l, &cg2, &e2) < 0 && e2 && strstr(e2->msg, "`memory`") &&
             strstr(e2->msg, "cgroup.controllers"),
         "v2 missing controller is an error naming it: %s", e2 ? e2->msg : "none");
  keep_error_free(&e2);
  cleanup_free char *c2 = xasprintf("%s/keep/c2", root);
  tap_ok(access(c2, F_OK) < 0, "v2 failure leaves no directory");
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
  tap_ok(system(cmd) == 0, "clean up the fake tree");
}

static void test_v1_real(void)
{
  struct statfs s;
  if (geteuid() != 0 || statfs("/sys/fs/cgroup/memory", &s) < 0 || s.f_type != CGROUP_SUPER_MAGIC) {
    tap_skip("needs root on a cgroup v1 host", "v1 driver for real");
    return;
  }
  char id[32];
  snprintf(id, sizeof(id), "unit-%d", (int) getpid());
  struct keep_limits l = {
      .memory_bytes = 64 << 20, .cpu_quota_us = 20000, .cpu_period_us = 100000, .pids = 10};
  struct keep_cgroup *cg = NULL;
  cleanup_error keep_error *err = NULL;
  tap_ok(keep_cgroup_create(id, &l, false, &cg, &err) == 0, "v1 create %s", err ? err->msg : "");
  if (cg == NULL)
    return;
  cleanup_free char *memdir = xasprintf("/sys/fs/cgroup/memory/keep/%s", id);
  cleanup_free char *piddir = xasprintf("/sys/fs/cgroup/pids/keep/%s", id);
  cleanup_free char *mem = slurp(memdir, "memory.limit_in_bytes");
  cleanup_free char *pids = slurp(piddir, "pids.max");
  TAP_EQ_STR(strtok(mem, "\n"), "67108864", "v1 memory limit written");
  TAP_EQ_STR(strtok(pids, "\n"), "10", "v1 pids limit written");
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  tap_ok(keep_cgroup_enter(cg, child, &err) == 0, "v1 enter");
  cleanup_free char *procs = slurp(piddir, "cgroup.procs");
  tap_ok(atoi(procs) == child, "child is in the cgroup");
  tap_ok(keep_cgroup_destroy(cg, &err) == 0, "v1 destroy %s", err ? err->msg : "");
  int status = 0;
  waitpid(child, &status, 0);
  tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "destroy killed what was inside");
  tap_ok(access(memdir, F_OK) < 0 && access(piddir, F_OK) < 0, "v1 directories removed");

  struct keep_limits bad = {.memory_bytes = 64 << 20, .pids = 10, .cpu_quota_us = 500, .cpu_period_us = 100};
  cg = NULL;
  keep_error *e2 = NULL;
  snprintf(id, sizeof(id), "unit-bad-%d", (int) getpid());
  tap_ok(keep_cgroup_create(id, &bad, false, &cg, &e2) < 0 && e2 && strstr(e2->msg, "cpu.cfs_period_us"),
         "a limit the kernel refuses is an error naming the file: %s", e2 ? e2->msg : "none");
  keep_error_free(&e2);
  cleanup_free char *baddir = xasprintf("/sys/fs/cgroup/memory/keep/%s", id);
  tap_ok(access(baddir, F_OK) < 0, "failed create leaves nothing");
}

int main(void)
{
  test_defaults();
  test_v2_fake();
  test_v1_real();
  return tap_done();
}
