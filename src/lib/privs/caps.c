/* Capabilities: every set empty unless asked; inheritable and ambient
 * always empty (CVE-2022-24769: a non-empty inheritable set lets file
 * capabilities of an executable grant more than the runtime meant). */
#include "caps.h"

#include <strings.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* The capabilities by number, as <linux/capability.h> names them: a table,
 * not libcap, whose constructor probes the kernel on every start of keep
 * (twice: keep re-executes itself sealed) for the two lookups keep needs. */
static const char *const cap_names[] = {
    [CAP_CHOWN] = "CAP_CHOWN",
    [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
    [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
    [CAP_FOWNER] = "CAP_FOWNER",
    [CAP_FSETID] = "CAP_FSETID",
    [CAP_KILL] = "CAP_KILL",
    [CAP_SETGID] = "CAP_SETGID",
    [CAP_SETUID] = "CAP_SETUID",
    [CAP_SETPCAP] = "CAP_SETPCAP",
    [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
    [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
    [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
    [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
    [CAP_NET_RAW] = "CAP_NET_RAW",
    [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
    [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
    [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
    [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
    [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
    [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
    [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
    [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
    [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
    [CAP_SYS_NICE] = "CAP_SYS_NICE",
    [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
    [CAP_SYS_TIME] = "CAP_SYS_TIME",
    [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
    [CAP_MKNOD] = "CAP_MKNOD",
    [CAP_LEASE] = "CAP_LEASE",
    [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
    [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
    [CAP_SETFCAP] = "CAP_SETFCAP",
    [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
    [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
    [CAP_SYSLOG] = "CAP_SYSLOG",
    [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
    [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
    [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
    [CAP_PERFMON] = "CAP_PERFMON",
    [CAP_BPF] = "CAP_BPF",
    [CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

/* How many capabilities both this table and the running kernel know:
 * PR_CAPBSET_READ fails (EINVAL) past the kernel's last one. */
static int max_cap(void)
{
  static int known = -1;
  if (known < 0) {
    int n = (int) ARRAY_SIZE(cap_names);
    while (n > 0 && prctl(PR_CAPBSET_READ, n - 1, 0, 0, 0) < 0)
      n--;
    known = n;
  }
  return known;
}

int keep_caps_parse(const char *name, uint64_t *mask, keep_error **err)
{
  if (strcasecmp(name, "ALL") == 0) {
    for (int i = 0; i < max_cap(); i++)
      *mask |= 1ULL << i;
    return 0;
  }
  /* CAP_NET_RAW, cap_net_raw and NET_RAW alike. */
  const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
  for (int v = 0; *bare && v < max_cap(); v++)
    if (strcasecmp(bare, cap_names[v] + 4) == 0) {
      *mask |= 1ULL << v;
      return 0;
    }
  return keep_fail(err, 0, "unknown capability `%s`", name);
}

int keep_caps_parse_list(const char *csv, uint64_t *mask, keep_error **err)
{
  cleanup_free char *copy = xstrdup(csv);
  char *save = NULL;
  for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save))
    if (keep_caps_parse(n, mask, err) < 0)
      return -1;
  return 0;
}

char *keep_caps_name(int bit)
{
  if (bit < 0 || bit >= max_cap())
    return NULL;
  return xstrdup(cap_names[bit]);
}

int keep_caps_drop_bounding(uint64_t keep, keep_error **err)
{
  for (int i = 0; i < max_cap(); i++) {
    if (keep & (1ULL << i))
      continue;
    if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
      return keep_fail_errno(err, "prctl(PR_CAPBSET_DROP, %d)", i);
  }
  return 0;
}

int keep_caps_apply(uint64_t keep, keep_error **err)
{
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  data[0].effective = data[0].permitted = (uint32_t) keep;
  data[1].effective = data[1].permitted = (uint32_t) (keep >> 32);
  /* inheritable stays 0 */
  if (syscall(SYS_capset, &hdr, data) < 0)
    return keep_fail_errno(err, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return keep_fail_errno(err, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  return 0;
}
