#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keep_build_config.h"
#include "util.h"

static int ensure_private_dir(const char *path, keep_error **err)
{
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "mkdir `%s`", path);
  struct stat st;
  if (lstat(path, &st) < 0)
    return keep_fail_errno(err, "stat `%s`", path);
  /* A directory someone else made (or a symlink) could let them steer keep. */
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
    return keep_fail(err, EPERM, "state directory `%s` is not a directory owned by uid %u", path,
                     (unsigned) geteuid());
  return 0;
}

int keep_state_base(char **out, keep_error **err)
{
  if (geteuid() == 0) {
    if (ensure_private_dir(KEEP_STATE_DIR, err) < 0)
      return -1;
    *out = xstrdup(KEEP_STATE_DIR);
    return 0;
  }
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  cleanup_free char *base = NULL;
  if (xdg && *xdg == '/') {
    base = xasprintf("%s/keep", xdg);
  } else {
    base = xasprintf("/tmp/keep-%u", (unsigned) geteuid());
  }
  if (ensure_private_dir(base, err) < 0)
    return -1;
  *out = steal_pointer(&base);
  return 0;
}

int keep_state_create(const char *base, const char *id, keep_error **err)
{
  cleanup_free char *dir = xasprintf("%s/%s", base, id);
  if (mkdir(dir, 0700) < 0)
    return keep_fail_errno(err, "mkdir `%s`", dir);
  cleanup_free char *owner = xasprintf("%s/owner", dir);
  cleanup_close int fd = open(owner, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || dprintf(fd, "%d\n", (int) getpid()) < 0) {
    keep_fail_errno(err, "write `%s`", owner);
    keep_state_remove(base, id);
    return -1;
  }
  return 0;
}

void keep_state_remove(const char *base, const char *id)
{
  cleanup_free char *owner = xasprintf("%s/%s/owner", base, id);
  cleanup_free char *dir = xasprintf("%s/%s", base, id);
  unlink(owner);
  rmdir(dir);
}

bool keep_owner_alive(const char *base, const char *id)
{
  cleanup_free char *owner = xasprintf("%s/%s/owner", base, id);
  cleanup_free char *txt = NULL;
  if (read_file_at(AT_FDCWD, owner, &txt, NULL, NULL) < 0)
    return false;
  txt[strcspn(txt, "\n")] = '\0';
  int64_t pid;
  if (parse_int64(txt, &pid) < 0 || pid <= 0)
    return false;
  if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
    return false;
  cleanup_free char *comm_path = xasprintf("/proc/%d/comm", (int) pid);
  cleanup_free char *comm = NULL;
  if (read_file_at(AT_FDCWD, comm_path, &comm, NULL, NULL) < 0)
    return false;
  /* keep names itself "keep" at start-up (also after the sealed re-exec). */
  return str_has_prefix(comm, "keep");
}

int keep_state_gc(const char *base, keep_error **err)
{
  cleanup_dir DIR *d = opendir(base);
  if (d == NULL) {
    if (errno == ENOENT)
      return 0;
    return keep_fail_errno(err, "opendir `%s`", base);
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (!keep_owner_alive(base, e->d_name)) {
      keep_state_remove(base, e->d_name);
      n++;
    }
  }
  return n;
}
