/* /etc/subuid and /etc/subgid lines (userns.c): keep_subid_find, looked up
 * by name and by uid as keep_userns_plan does.
 * Invariants: a range found starts above 0, is not empty, fits in 32 bits
 * without wrapping (the kernel refuses a map that wraps) and comes from a
 * line whose first field is the name (or the uid) asked for. */
#include <string.h>

#include "fuzz.h"
#include "userns.h"
#include "util.h"

static void check(const char *content, const char *user, uid_t uid)
{
  uint32_t start = 0, count = 0;
  if (keep_subid_find(content, user, uid, &start, &count) < 0)
    return;
  char uidstr[16];
  snprintf(uidstr, sizeof(uidstr), "%u", (unsigned) uid);
  FUZZ_CHECK(start > 0 && count > 0, "%s: range %u+%u", user ? user : uidstr, start, count);
  FUZZ_CHECK((uint64_t) start + count <= UINT32_MAX, "%s: range %u+%u wraps past 2^32", user ? user : uidstr,
             start, count);
  /* Some line names the user, in its first field exactly. */
  bool named = false;
  for (const char *line = content; line && *line && !named;) {
    size_t len = strcspn(line, "\n");
    size_t f0 = strcspn(line, ":\n");
    if (f0 < len && ((user && f0 == strlen(user) && strncmp(line, user, f0) == 0) ||
                     (f0 == strlen(uidstr) && strncmp(line, uidstr, f0) == 0)))
      named = true;
    line = line[len] ? line + len + 1 : NULL;
  }
  FUZZ_CHECK(named, "%s: a range was found, but no line starts with that name", user ? user : uidstr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *content = fuzz_strndup(data, size);
  check(content, "keep", (uid_t) -1); /* root's containers */
  check(content, "alice", 1000);      /* a rootless user, by name or uid */
  check(content, NULL, 0);
  return 0;
}
