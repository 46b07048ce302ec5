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

static void test_unified_keys(void)
{
  static const char *const good[] = {"memory.max",       "memory.swap.max",       "io.bfq.weight",
                                     "hugetlb.2MB.max",  "cpu.uclamp.min",        "misc.max",
                                     "cgroup.max.depth", "cgroup.max.descendants"};
  static const char *const bad[] = {"../cgroup.procs",
                                    "cgroup.procs",
                                    "memory.max/../x",
                                    ".memory.max",
                                    "memory",
                                    "memory.",
                                    "a..b",
                                    "cgroup.threads",
                                    "cgroup.subtree_control",
                                    "cgroup.kill",
                                    "cgroup.freeze",
                                    "cgroup.type",
                                    "/memory.max",
                                    "memory max",
                                    "memory.max\t",
                                    ""};
  const char *why = NULL;
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    tap_ok(keep_cgroup_unified_key_ok(good[i], &why), "unified key `%s` allowed", good[i]);
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    why = NULL;
    bool refused = !keep_cgroup_unified_key_ok(bad[i], &why);
    tap_ok(refused && why, "unified key `%s` refused: %s", bad[i], why ? why : "allowed");
  }
  char c[32];
  keep_cgroup_unified_controller("hugetlb.2MB.max", c, sizeof(c));
  const char *cp = c;
  TAP_EQ_STR(cp, "hugetlb", "the controller of hugetlb.2MB.max");
  TAP_EQ_INT(keep_cgroup_unified_controller("cgroup.max.depth", c, sizeof(c)), 0,
             "cgroup.max.depth needs no controller");
  tap_ok(keep_cgroup_unified_value_ok("max") && keep_cgroup_unified_value_ok("8:0 rbps=1 wbps=max"),
         "unified values of one line");
  tap_ok(!keep_cgroup_unified_value_ok("") && !keep_cgroup_unified_value_ok("10\n20") &&
             !keep_cgroup_unified_value_ok("a\tb"),
         "unified values empty, of two lines or with control characters refused");
}

static void test_io_weight(void)
{
  TAP_EQ_INT(keep_blkio_to_io_weight(10), 1, "blkio 10 -> io 1");
  TAP_EQ_INT(keep_blkio_to_io_weight(1000), 10000, "blkio 1000 -> io 10000");
  TAP_EQ_INT(keep_blkio_to_io_weight(500), 4950, "blkio 500 -> io 4950 (runc, crun)");
  TAP_EQ_INT(keep_blkio_to_io_weight(100), 910, "blkio 100 -> io 910");
  TAP_EQ_INT(keep_blkio_to_io_weight(0), 0, "blkio 0 stays unset");
}

static void test_page_sizes(void)
{
  static const struct {
    const char *s;
    uint64_t bytes;
  } good[] = {{"2MB", 2ULL << 20},   {"1GB", 1ULL << 30},   {"64KB", 64ULL << 10},
              {"32MB", 32ULL << 20}, {"16GB", 16ULL << 30}, {"512MB", 512ULL << 20}};
  static const char *const bad[] = {"2mb",
                                    "2M",
                                    "2048KB",
                                    "1024MB",
                                    "0MB",
                                    "02MB",
                                    "MB",
                                    "",
                                    "2 MB",
                                    "2MBx",
                                    "-2MB",
                                    "2TB",
                                    "99999999999999999999KB"};
  for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
    uint64_t b = 0;
    tap_ok(keep_hugetlb_size_parse(good[i].s, &b) && b == good[i].bytes, "page size `%s`", good[i].s);
  }
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    uint64_t b = 0;
    tap_ok(!keep_hugetlb_size_parse(bad[i], &b), "page size `%s` refused", bad[i]);
  }
  char nm[32];
  const char *np = nm;
  keep_hugetlb_size_name(2048ULL << 10, nm, sizeof(nm));
  TAP_EQ_STR(np, "2MB", "hugepages-2048kB is the kernel's 2MB");
  keep_hugetlb_size_name(1048576ULL << 10, nm, sizeof(nm));
  TAP_EQ_STR(np, "1GB", "hugepages-1048576kB is the kernel's 1GB");
}

/* blockIO, hugetlb, rdma and unified on a fake v2 tree: the files written,
 * the controllers enabled, unified last (it overrides keep's pids.max). */
static void test_v2_io_fake(void)
{
  char root[] = "/tmp/keep-unit-cgio.XXXXXX";
  if (mkdtemp(root) == NULL) {
    tap_ok(false, "mkdtemp");
    return;
  }
  cleanup_free char *ctl = xasprintf("%s/cgroup.controllers", root);
  FILE *f = fopen(ctl, "w");
  fputs("cpuset cpu io memory hugetlb pids rdma\n", f);
  fclose(f);
  struct keep_blkio_dev devs[] = {
      {KEEP_BLKIO_READ_BPS, 8, 0, 1048576, (char *) "blockIO.throttleReadBpsDevice[0]"}};
  struct keep_hugetlb_limit huge[] = {{"2MB", 4194304}};
  char *rdma[] = {(char *) "mlx5_1 hca_handle=3 hca_object=10000", NULL};
  char *unified[] = {(char *) "pids.max", (char *) "77", (char *) "memory.high", (char *) "1000000", NULL};
  struct keep_limits l = {.pids = 2048,
                          .blkio_weight = 500,
                          .blkio_devs = devs,
                          .n_blkio_devs = 1,
                          .hugetlb = huge,
                          .n_hugetlb = 1,
                          .rdma = rdma,
                          .unified = unified};
  struct keep_cgroup cg = {.fake = true};
  keep_error *err = NULL;
  tap_ok(cg_v2_create(root, "keep/io1", &l, &cg, &err) == 0, "v2 create with io, hugetlb, rdma, unified %s",
         err ? err->msg : "");
  keep_error_free(&err);
  cleanup_free char *d = xasprintf("%s/keep/io1", root);
  static const char *const files[][3] = {
      {"io.bfq.weight", "500", "v2 blockIO.weight to io.bfq.weight where it exists (blkio scale)"},
      {"io.max", "8:0 rbps=1048576", "v2 throttleReadBpsDevice to io.max"},
      {"hugetlb.2MB.max", "4194304", "v2 hugetlb.2MB.max"},
      {"rdma.max", "mlx5_1 hca_handle=3 hca_object=10000", "v2 rdma.max"},
      {"pids.max", "77", "v2 unified pids.max written after keep's own"},
      {"memory.high", "1000000", "v2 unified memory.high"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
    cleanup_free char *got = slurp(d, files[i][0]);
    TAP_EQ_STR(got, files[i][1], files[i][2]);
  }
  cleanup_free char *sub = slurp(root, "cgroup.subtree_control");
  TAP_EQ_STR(sub, "+pids\n+memory\n+io\n+hugetlb\n+rdma\n", "v2 controllers the keys need enabled");
  for (size_t i = 0; i < cg.n; i++) {
    free(cg.names[i]);
    free(cg.dirs[i]);
  }
  /* Refused before anything is made: a controller the base lacks, a leaf
   * weight, network. */
  char *nouni[] = {(char *) "nosuch.max", (char *) "1", NULL};
  struct keep_limits refuse[] = {{.unified = nouni}, {.blkio_leaf_weight = 100}, {.has_net_classid = true}};
  const char *want[] = {"controller `nosuch`", "leaf weight", "net_cls"};
  for (size_t i = 0; i < ARRAY_SIZE(refuse); i++) {
    struct keep_cgroup c = {.fake = true};
    keep_error *e = NULL;
    tap_ok(cg_v2_create(root, "keep/io2", &refuse[i], &c, &e) < 0 && e && strstr(e->msg, want[i]),
           "v2 refuses by name: %s", e ? e->msg : "accepted");
    keep_error_free(&e);
    cleanup_free char *d2 = xasprintf("%s/keep/io2", root);
    tap_ok(access(d2, F_OK) < 0, "v2 refusal %zu makes no directory", i);
  }
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
  tap_ok(system(cmd) == 0, "clean up the fake io tree");
}

int main(void)
{
  test_defaults();
  test_v2_fake();
  test_unified_keys();
  test_io_weight();
  test_page_sizes();
  test_v2_io_fake();
  test_v1_real();
  return tap_done();
}
