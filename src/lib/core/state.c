#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "keep_build_config.h"
#include "util.h"

char *keep_store_base(void)
{
  const char *env = getenv("KEEP_STORE");
  if (env && *env == '/')
    return xstrdup(env);
  if (geteuid() == 0)
    return xstrdup(KEEP_DATA_DIR);
  const char *xdg = getenv("XDG_DATA_HOME");
  if (xdg && *xdg == '/')
    return xasprintf("%s/keep", xdg);
  const char *home = getenv("HOME");
  if (home && *home == '/')
    return xasprintf("%s/.local/share/keep", home);
  return NULL;
}

int keep_mkdir_p(const char *path, mode_t mode, keep_error **err)
{
  cleanup_free char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
      return keep_fail_errno(err, "create `%s`", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "create `%s`", p);
  return 0;
}

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

/* The base's lock: shared while a state directory is being made, exclusive
 * while gc looks (see state.h). */
int keep_dir_lock(const char *base, int how, keep_error **err)
{
  cleanup_free char *path = xasprintf("%s/.lock", base);
  int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", path);
  while (flock(fd, how) < 0) {
    if (errno == EINTR)
      continue;
    keep_fail_errno(err, "lock `%s`", path);
    close(fd);
    return -1;
  }
  return fd;
}

bool keep_state_id_valid(const char *name)
{
  size_t n = 0;
  for (; name[n]; n++)
    if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'a' && name[n] <= 'f')))
      return false;
  return n == 64;
}

int keep_state_create(const char *base, const char *id, keep_error **err)
{
  if (!keep_state_id_valid(id))
    return keep_fail(err, EINVAL, "container id `%s` is not 64 hex digits", id);
  cleanup_close int base_lock = keep_dir_lock(base, LOCK_SH, err);
  if (base_lock < 0)
    return -1;
  cleanup_free char *dir = xasprintf("%s/%s", base, id);
  if (mkdir(dir, 0700) < 0)
    return keep_fail_errno(err, "mkdir `%s`", dir);
  keep_fault_point("state-dir");
  cleanup_free char *owner = xasprintf("%s/owner", dir);
  cleanup_close int fd = open(owner, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || dprintf(fd, "%d\n", (int) getpid()) < 0) {
    keep_fail_errno(err, "write `%s`", owner);
    keep_state_remove(base, id, -1);
    return -1;
  }
  return steal_fd(&fd);
}

void keep_state_remove(const char *base, const char *id, int lock_fd)
{
  cleanup_free char *dir = xasprintf("%s/%s", base, id);
  /* The owner file and what the container's create wrote beside it (its
   * state.json, config.json, exec.fifo): files only, never followed. */
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = dfd < 0 ? NULL : fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
  for (struct dirent *e; d && (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      unlinkat(dfd, e->d_name, 0);
  if (d)
    closedir(d);
  rmdir(dir);
  if (lock_fd >= 0)
    close(lock_fd);
}

bool keep_owner_alive(const char *base, const char *id)
{
  cleanup_free char *owner = xasprintf("%s/%s/owner", base, id);
  cleanup_close int fd = open(owner, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return false;
  /* Held: a live keep runs this container.  Taken: nobody holds it. */
  if (flock(fd, LOCK_SH | LOCK_NB) < 0)
    return errno == EWOULDBLOCK;
  return false;
}

/* A name whose container is gone (a crash between the two removals, or a
 * container gc has just removed). */
static void gc_names(DIR *d)
{
  rewinddir(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strncmp(e->d_name, ".name-", 6) != 0)
      continue;
    char target[80];
    ssize_t len = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
    struct stat st;
    if (len > 0 && (target[len] = '\0', fstatat(dirfd(d), target, &st, AT_SYMLINK_NOFOLLOW) < 0) &&
        errno == ENOENT)
      unlinkat(dirfd(d), e->d_name, 0);
  }
}

int keep_state_gc(const char *base, keep_error **err)
{
  cleanup_dir DIR *d = opendir(base);
  if (d == NULL) {
    if (errno == ENOENT)
      return 0;
    return keep_fail_errno(err, "opendir `%s`", base);
  }
  cleanup_close int base_lock = keep_dir_lock(base, LOCK_EX, err);
  if (base_lock < 0)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!keep_state_id_valid(e->d_name) || keep_owner_alive(base, e->d_name))
      continue;
    /* A detached container that exited is kept until `keep rm`, like
     * Docker's; one whose monitor was killed left no exit record. */
    cleanup_free char *exit_record = xasprintf("%s/exit.json", e->d_name);
    struct stat st;
    if (fstatat(dirfd(d), exit_record, &st, AT_SYMLINK_NOFOLLOW) == 0)
      continue;
    keep_state_remove(base, e->d_name, -1);
    n++;
  }
  /* After the containers: their names go in the same gc. */
  gc_names(d);
  return n;
}

static char *name_link(const char *base, const char *name)
{
  return xasprintf("%s/.name-%s", base, name);
}

int keep_name_claim(const char *base, const char *name, const char *id, keep_error **err)
{
  cleanup_free char *link = name_link(base, name);
  for (int tries = 0; tries < 2; tries++) {
    if (symlink(id, link) == 0)
      return 0;
    if (errno != EEXIST)
      return keep_fail_errno(err, "claim the name `%s` (`%s`)", name, link);
    char old[80];
    ssize_t n = readlink(link, old, sizeof(old) - 1);
    if (n > 0) {
      old[n] = '\0';
      cleanup_free char *dir = xasprintf("%s/%s", base, old);
      struct stat st;
      if (keep_state_id_valid(old) && lstat(dir, &st) == 0)
        return keep_fail(err, EEXIST,
                         "the name `%s` is taken by container %.12s: remove it (`keep rm %s`) or choose "
                         "another --name",
                         name, old, name);
    }
    /* Its container is gone (a crash between removing it and this link). */
    unlink(link);
  }
  return keep_fail(err, EEXIST, "the name `%s` is being claimed by another keep run", name);
}

bool keep_name_lookup(const char *base, const char *name, char id[65])
{
  cleanup_free char *link = name_link(base, name);
  char target[80];
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n != 64)
    return false;
  target[64] = '\0';
  cleanup_free char *dir = xasprintf("%s/%s", base, target);
  if (!keep_state_id_valid(target) || access(dir, F_OK) < 0)
    return false;
  memcpy(id, target, 65);
  return true;
}

void keep_name_release(const char *base, const char *name, const char *id)
{
  cleanup_free char *link = name_link(base, name);
  char target[80];
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n > 0 && (target[n] = '\0', strcmp(target, id) == 0))
    unlink(link);
}
