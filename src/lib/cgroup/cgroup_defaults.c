/* Default limits: a container gets a fair share of the host, not all of it.
 *   memory: a quarter of RAM (at least 256 MiB), no swap beyond that;
 *   cpu:    half the CPUs, rounded up (quota per 100 ms period);
 *   pids:   2048, Podman's default: ample for services, fatal to fork bombs. */
#include <stdio.h>
#include <sys/sysinfo.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define MIN_MEMORY (256LL << 20)
#define DEFAULT_PIDS 2048
#define CPU_PERIOD_US 100000

void keep_limits_default_for(struct keep_limits *l, int64_t host_mem, int host_cpus)
{
  int64_t m = host_mem / 4;
  l->memory_bytes = m < MIN_MEMORY ? MIN_MEMORY : m;
  int cpus = host_cpus < 1 ? 1 : (host_cpus + 1) / 2;
  l->cpu_period_us = CPU_PERIOD_US;
  l->cpu_quota_us = (int64_t) cpus * CPU_PERIOD_US;
  l->pids = DEFAULT_PIDS;
}

void keep_limits_default(struct keep_limits *l)
{
  /* sysinfo, not /proc/meminfo: the kernel computes every line of that
   * file to print one, and keep run asks on every start. */
  struct sysinfo si;
  int64_t mem = sysinfo(&si) == 0 ? (int64_t) si.totalram * (int64_t) si.mem_unit : 0;
  if (mem <= 0)
    mem = 4LL << 30;
  keep_limits_default_for(l, mem, (int) sysconf(_SC_NPROCESSORS_ONLN));
}
