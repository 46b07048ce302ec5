/* The container's /etc/passwd and /etc/group (user.c): keep_passwd_find,
 * keep_group_find, and keep_user_resolve reading both through a root fd.
 * Input: a user spec ("name[:group]", "uid[:gid]") on the first line, then
 * /etc/passwd, then "%%" alone on a line, then /etc/group.
 * Invariants: a user or group found comes from the first well-formed line
 * of that name (or uid), with that line's ids and home ("/" when empty);
 * keep_user_resolve never yields an id outside the container's 65536. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "process_setup.h"
#include "userns.h"
#include "util.h"

static int rootfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  cleanup_free char *etc = xasprintf("%s/etc", fuzz_tmpdir());
  if (mkdir(etc, 0755) < 0)
    die("mkdir `%s`: %m", etc);
  rootfd = open(fuzz_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    die("open `%s`: %m", fuzz_tmpdir());
  return 0;
}

/* An id as keep reads numbers (parse_int64), in 0..2^32-1. */
static bool decimal(const char *s, size_t n, uint32_t *out)
{
  cleanup_free char *t = strndup(s, n);
  int64_t v;
  if (t == NULL || parse_int64(t, &v) < 0 || v < 0 || v > UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* Fields of one line: starts and lengths, at most `max` (the last takes
 * the rest of the line). */
static size_t fields(const char *line, size_t len, size_t max, const char **f, size_t *fl)
{
  size_t n = 0;
  const char *p = line, *end = line + len;
  while (n < max) {
    const char *c = n + 1 < max ? memchr(p, ':', (size_t) (end - p)) : NULL;
    f[n] = p;
    fl[n] = (size_t) ((c ? c : end) - p);
    n++;
    if (c == NULL)
      break;
    p = c + 1;
  }
  return n;
}

/* The reference lookup: the first matching well-formed line. */
static bool reference(const char *db, size_t nf, size_t id_field, size_t min_fields, const char *name,
                      uint32_t uid, uint32_t *id, uint32_t *id2, char **home)
{
  for (const char *line = db; *line;) {
    size_t len = strcspn(line, "\n");
    const char *f[7];
    size_t fl[7];
    uint32_t a = 0, b = 0;
    if (len > 0 && fields(line, len, nf, f, fl) >= min_fields && decimal(f[id_field], fl[id_field], &a) &&
        (id_field + 1 >= nf || nf < 7 || decimal(f[id_field + 1], fl[id_field + 1], &b))) {
      bool hit = name ? (fl[0] == strlen(name) && strncmp(f[0], name, fl[0]) == 0) : a == uid;
      if (hit) {
        *id = a;
        if (id2)
          *id2 = b;
        if (home)
          *home = fl[5] ? strndup(f[5], fl[5]) : xstrdup("/");
        return true;
      }
    }
    line += len;
    line += *line == '\n';
  }
  return false;
}

static void lookups(const char *passwd, const char *group, const char *name)
{
  uid_t u = 0;
  gid_t g = 0;
  uint32_t ru = 0, rg = 0;
  cleanup_free char *home = NULL, *rhome = NULL;
  int r = keep_passwd_find(passwd, name, 0, &u, &g, &home);
  bool want = reference(passwd, 7, 2, 7, name, 0, &ru, &rg, &rhome);
  FUZZ_CHECK((r == 0) == want, "passwd `%s`: found %d, expected %d", name ? name : "uid 0", r == 0, want);
  if (r == 0) {
    FUZZ_CHECK(u == ru && g == rg, "passwd `%s`: %u:%u, expected %u:%u", name ? name : "uid 0", u, g, ru, rg);
    FUZZ_CHECK(home && rhome && strcmp(home, rhome) == 0, "passwd `%s`: home `%s`, expected `%s`",
               name ? name : "uid 0", home, rhome);
    FUZZ_CHECK(name || u == 0, "looked up uid 0, found %u", u);
  }
  if (name == NULL)
    return;
  r = keep_group_find(group, name, &g);
  want = reference(group, 4, 2, 3, name, 0, &rg, NULL, NULL);
  FUZZ_CHECK((r == 0) == want, "group `%s`: found %d, expected %d", name, r == 0, want);
  FUZZ_CHECK(r < 0 || g == rg, "group `%s`: %u, expected %u", name, g, rg);
}

static void write_db(const char *path, const char *text)
{
  cleanup_close int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 || write_all(fd, text, strlen(text)) < 0)
    die("write `%s`: %m", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_strndup(data, size);
  char *spec = text;
  char *passwd = strchr(text, '\n');
  if (passwd == NULL)
    return 0;
  *passwd++ = '\0';
  char *group = strstr(passwd, "\n%%\n");
  if (group) {
    *group = '\0';
    group += 4;
  } else {
    group = passwd + strlen(passwd);
  }
  cleanup_free char *user = strndup(spec, strcspn(spec, ":"));
  if (user == NULL)
    die("out of memory");
  lookups(passwd, group, user);
  lookups(passwd, group, "root");
  lookups(passwd, group, NULL);

  write_db("etc/passwd", passwd);
  write_db("etc/group", group);
  struct keep_user ku;
  keep_error *err = NULL;
  int r = keep_user_resolve(rootfd, spec, &ku, &err);
  fuzz_error_done(&err, r);
  if (r == 0) {
    FUZZ_CHECK(ku.uid < KEEP_SUBID_COUNT && ku.gid < KEEP_SUBID_COUNT, "`%s` resolved to %u:%u", spec, ku.uid,
               ku.gid);
    FUZZ_CHECK(ku.home && ku.home[0], "`%s`: no home", spec);
    free(ku.home);
  }
  return 0;
}
