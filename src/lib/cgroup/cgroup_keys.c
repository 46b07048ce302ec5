/* Pure logic behind the OCI resources cgroups take as they are: which file
 * names linux.resources.unified may write, the blkio-to-io weight scale, and
 * the kernel's names of huge page sizes.  No system calls: unit-tested and
 * reached by the config fuzzer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "util.h"

/* The only cgroup core files a config may set: both only tighten (how deep
 * and how many cgroups the container may make below its own).  Every other
 * cgroup.* file would hand the config something keep owns: cgroup.procs and
 * cgroup.threads move processes in or out, cgroup.subtree_control and
 * cgroup.type change delegation, cgroup.kill and cgroup.freeze are keep's
 * delete and pause, and the rest are read-only. */
static const char *const core_allowed[] = {"cgroup.max.depth", "cgroup.max.descendants"};

bool keep_cgroup_unified_key_ok(const char *key, const char **why)
{
  size_t n = strlen(key);
  const char *dot = strchr(key, '.');
  if (n == 0 || n > 255)
    *why = "not a file name";
  else if (key[strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] != '\0')
    *why = "not a plain file name of the container's cgroup (letters, digits, `.`, `_`, `-`)";
  else if (dot == NULL || dot == key || key[n - 1] == '.' || strstr(key, "..") != NULL)
    *why = "not of the form CONTROLLER.KNOB";
  else if (str_has_prefix(key, "cgroup.")) {
    for (size_t i = 0; i < ARRAY_SIZE(core_allowed); i++)
      if (strcmp(key, core_allowed[i]) == 0)
        return true;
    *why = "a cgroup core file: it would move processes, change delegation or take the container's "
           "life from keep";
  } else
    return true;
  return false;
}

size_t keep_cgroup_unified_controller(const char *key, char *buf, size_t size)
{
  if (str_has_prefix(key, "cgroup.")) {
    buf[0] = '\0';
    return 0;
  }
  size_t n = strcspn(key, ".");
  snprintf(buf, size, "%.*s", (int) n, key);
  return n;
}

bool keep_cgroup_unified_value_ok(const char *value)
{
  size_t n = strlen(value);
  if (n == 0 || n > 4096)
    return false;
  /* One write, one setting: no newline or other control character that
   * would make the kernel read a second line. */
  for (const unsigned char *p = (const unsigned char *) value; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return false;
  return true;
}

int64_t keep_blkio_to_io_weight(int64_t w)
{
  /* The scale runc and crun use: blkio 10..1000 onto io.weight 1..10000. */
  if (w <= 0)
    return 0;
  int64_t v = 1 + (w - 10) * 9999 / 990;
  return v < 1 ? 1 : v > 10000 ? 10000 : v;
}

void keep_hugetlb_size_name(uint64_t bytes, char *buf, size_t size)
{
  /* mem_fmt() in the kernel's mm/hugetlb_cgroup.c: the largest unit of
   * which the size is at least one. */
  if (bytes >= (1ULL << 30))
    snprintf(buf, size, "%lluGB", (unsigned long long) (bytes >> 30));
  else if (bytes >= (1ULL << 20))
    snprintf(buf, size, "%lluMB", (unsigned long long) (bytes >> 20));
  else
    snprintf(buf, size, "%lluKB", (unsigned long long) (bytes >> 10));
}

bool keep_hugetlb_size_parse(const char *s, uint64_t *bytes)
{
  if (s[0] < '1' || s[0] > '9')
    return false;
  char *end;
  unsigned long long n = strtoull(s, &end, 10);
  int shift = strcmp(end, "KB") == 0 ? 10 : strcmp(end, "MB") == 0 ? 20 : strcmp(end, "GB") == 0 ? 30 : -1;
  if (shift < 0 || n > (1ULL << 20))
    return false;
  /* Only the kernel's own spelling: "2048KB" is a file no host has. */
  char canon[32];
  keep_hugetlb_size_name((uint64_t) n << shift, canon, sizeof(canon));
  if (strcmp(canon, s) != 0)
    return false;
  *bytes = (uint64_t) n << shift;
  return true;
}

void keep_limits_release(struct keep_limits *l)
{
  strv_free(l->device_rules);
  free(l->cpuset_cpus);
  free(l->cpuset_mems);
  for (size_t i = 0; i < l->n_blkio_devs; i++)
    free(l->blkio_devs[i].field);
  free(l->blkio_devs);
  free(l->hugetlb);
  strv_free(l->net_prios);
  strv_free(l->rdma);
  strv_free(l->unified);
  l->device_rules = l->net_prios = l->rdma = l->unified = NULL;
  l->cpuset_cpus = l->cpuset_mems = NULL;
  l->blkio_devs = NULL;
  l->hugetlb = NULL;
  l->n_blkio_devs = l->n_hugetlb = 0;
}

bool keep_limits_io_asked(const struct keep_limits *l)
{
  return l->blkio_weight > 0 || l->blkio_leaf_weight > 0 || l->n_blkio_devs > 0 || l->n_hugetlb > 0 ||
         l->has_net_classid || l->net_prios || l->rdma || l->unified;
}

const char *keep_limits_unified_get(const struct keep_limits *l, const char *key)
{
  for (size_t i = 0; l->unified && l->unified[i] && l->unified[i + 1]; i += 2)
    if (strcmp(l->unified[i], key) == 0)
      return l->unified[i + 1];
  return NULL;
}
