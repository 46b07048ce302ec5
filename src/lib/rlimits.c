/* Per-process limits: no core dumps (they can carry secrets out of a
 * container's memory) and a modest number of open files.  Only ever lowered:
 * raising a hard limit needs CAP_SYS_RESOURCE, which keep never asks for. */
#include <errno.h>
#include <sys/resource.h>

#include "process_setup.h"
#include "util.h"

#define NOFILE_SOFT 1024
#define NOFILE_HARD 65536

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
    return keep_fail_errno(err, "setrlimit(%s, %llu:%llu)", name,
                           (unsigned long long) want.rlim_cur, (unsigned long long) want.rlim_max);
  return 0;
}

int keep_rlimits_apply(keep_error **err)
{
  if (lower(RLIMIT_CORE, "RLIMIT_CORE", 0, 0, err) < 0 ||
      lower(RLIMIT_NOFILE, "RLIMIT_NOFILE", NOFILE_SOFT, NOFILE_HARD, err) < 0)
    return -1;
  return 0;
}
