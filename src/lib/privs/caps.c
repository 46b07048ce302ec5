/* Capabilities: every set empty unless asked; inheritable and ambient
 * always empty (CVE-2022-24769: a non-empty inheritable set lets file
 * capabilities of an executable grant more than the runtime meant). */
#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static int max_cap(void)
{
  int m = (int) cap_max_bits(); /* what the running kernel has */
  return m > 64 ? 64 : m;
}

int keep_caps_parse(const char *name, uint64_t *mask, keep_error **err)
{
  if (strcasecmp(name, "ALL") == 0) {
    for (int i = 0; i < max_cap(); i++)
      *mask |= 1ULL << i;
    return 0;
  }
  cleanup_free char *norm = xstrdup(str_has_prefix(name, "CAP_") || str_has_prefix(name, "cap_") ? name : "");
  if (*norm == '\0') {
    free(norm);
    norm = xasprintf("cap_%s", name);
  }
  for (char *p = norm; *p; p++)
    *p = (char) tolower((unsigned char) *p);
  cap_value_t v;
  if (*name == '\0' || cap_from_name(norm, &v) < 0 || v < 0 || v >= max_cap())
    return keep_fail(err, 0, "unknown capability `%s`", name);
  *mask |= 1ULL << v;
  return 0;
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
  char *n = cap_to_name((cap_value_t) bit);
  if (n == NULL)
    return NULL;
  char *up = xstrdup(n);
  cap_free(n);
  for (char *p = up; *p; p++)
    *p = (char) toupper((unsigned char) *p);
  return up;
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
