/* Per-process limits from the defaults table (defaults.h).  Only ever
 * lowered: raising a hard limit needs CAP_SYS_RESOURCE, which keep never
 * asks for. */
#include <errno.h>
#include <sys/resource.h>

#include "defaults.h"
#include "process_setup.h"
#include "util.h"

static int lower(int res, const char *name, rlim_t soft, rlim_t hard, keep_error **err)
{
  struct rlimit cur;
  if (getrlimit(res, &cur) < 0)
    return keep_fail_errno(err, "getrlimit(%s)", name);
  struct rlimit want = {.rlim_cur = soft, .rlim_max = hard};
  if (want.rlim_max > cur.rlim_max)
    want.rlim_max = cur.rlim_max;
  if (want.rlim_cur > want.rlim_max)
    want.rlim_cur = want.rlim_max;
  if (setrlimit(res, &want) < 0)
    return keep_fail_errno(err, "setrlimit(%s, %llu:%llu)", name, (unsigned long long) want.rlim_cur,
                           (unsigned long long) want.rlim_max);
  return 0;
}

int keep_rlimits_apply(keep_error **err)
{
  for (size_t i = 0; i < keep_n_default_rlimits; i++) {
    const struct keep_default_rlimit *l = &keep_default_rlimits[i];
    if (lower(l->resource, l->name, l->soft, l->hard, err) < 0)
      return -1;
  }
  return 0;
}
