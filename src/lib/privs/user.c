/* Users and groups of the container, read from the container's own
 * /etc/passwd and /etc/group through a descriptor confined to its root.
 * Never NSS: getpwnam() would load the container's libraries into keep
 * (CVE-2019-14271), and a symlinked /etc/passwd must not read the host's. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <unistd.h>

#include "process_setup.h"
#include "syscalls.h"
#include "userns.h"
#include "util.h"

#define MAX_DB_SIZE (4 << 20)

/* Split one line into at most n ':' fields in place; returns the count. */
static size_t split_fields(char *line, char **f, size_t n)
{
  size_t i = 0;
  f[i++] = line;
  for (char *p = line; *p && i < n; p++)
    if (*p == ':') {
      *p = '\0';
      f[i++] = p + 1;
    }
  return i;
}

static bool parse_id(const char *s, uint32_t *out)
{
  int64_t v;
  if (parse_int64(s, &v) < 0 || v < 0 || v > UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

int keep_passwd_find(const char *passwd, const char *name, uid_t uid_or_neg, uid_t *uid, gid_t *gid,
                     char **home)
{
  cleanup_free char *copy = xstrdup(passwd ? passwd : "");
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *f[7];
    uint32_t u, g;
    if (split_fields(line, f, 7) < 7 || !parse_id(f[2], &u) || !parse_id(f[3], &g))
      continue; /* malformed lines are skipped, as by libc */
    if ((name && strcmp(f[0], name) == 0) || (!name && u == (uint32_t) uid_or_neg)) {
      *uid = u;
      *gid = g;
      if (home)
        *home = xstrdup(*f[5] ? f[5] : "/");
      return 0;
    }
  }
  return -1;
}

int keep_group_find(const char *group, const char *name, gid_t *gid)
{
  cleanup_free char *copy = xstrdup(group ? group : "");
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *f[4];
    uint32_t g;
    if (split_fields(line, f, 4) < 3 || !parse_id(f[2], &g))
      continue;
    if (strcmp(f[0], name) == 0) {
      *gid = g;
      return 0;
    }
  }
  return -1;
}

/* The container's file, or "" when it has none. */
static char *read_db(int rootfd, const char *path)
{
  long fd = sys_openat2(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0,
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0)
    return xstrdup("");
  cleanup_close int f = (int) fd;
  char *buf = xmalloc(MAX_DB_SIZE + 1);
  ssize_t n = read_all(f, buf, MAX_DB_SIZE);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

int keep_user_resolve(int rootfd, const char *spec, struct keep_user *out, keep_error **err)
{
  memset(out, 0, sizeof(*out));
  cleanup_free char *copy = xstrdup(spec ? spec : "0");
  char *grp = strchr(copy, ':');
  if (grp)
    *grp++ = '\0';
  cleanup_free char *passwd = read_db(rootfd, "etc/passwd");
  uint32_t id;
  uid_t u = 0;
  gid_t g = 0;
  char *home = NULL;
  if (parse_id(copy, &id)) {
    /* A numeric uid needs no entry; without one the group is 0 (docker's rule). */
    if (keep_passwd_find(passwd, NULL, id, &u, &g, &home) < 0) {
      u = id;
      g = 0;
      home = xstrdup(id == 0 ? "/root" : "/");
    }
  } else if (keep_passwd_find(passwd, copy, 0, &u, &g, &home) < 0) {
    return keep_fail(err, 0, "user `%s` not found in the container's /etc/passwd", keep_q(copy));
  }
  if (grp) {
    if (parse_id(grp, &id)) {
      g = id;
    } else {
      cleanup_free char *group = read_db(rootfd, "etc/group");
      if (keep_group_find(group, grp, &g) < 0) {
        free(home);
        return keep_fail(err, 0, "group `%s` not found in the container's /etc/group", keep_q(grp));
      }
    }
  }
  if (u >= KEEP_SUBID_COUNT || g >= KEEP_SUBID_COUNT) {
    free(home);
    return keep_fail(err, 0, "user `%s`: ids must be below %u, the size of the container's id range",
                     keep_q(spec), KEEP_SUBID_COUNT);
  }
  out->uid = u;
  out->gid = g;
  out->home = home;
  return 0;
}
