/* The secret store: <store>/secrets, the caller's alone (secret.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "state.h"
#include "util.h"

int keep_secret_store_open(bool create, char **path, keep_error **err)
{
  cleanup_free char *base = keep_store_base();
  if (base == NULL)
    return keep_fail(err, 0, "no secret store: set XDG_DATA_HOME or HOME (or KEEP_STORE)");
  cleanup_free char *dir = xasprintf("%s/secrets", base);
  /* The store itself as keep_store_open makes it (root's is 0711: container
   * roots traverse it to their layers); the secrets below it 0700. */
  if (create && keep_mkdir_p(base, geteuid() == 0 ? 0711 : 0700, err) < 0)
    return keep_error_wrap(err, "secret store");
  if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "create secret store `%s`", dir);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return keep_fail(err, 0, "no secret store `%s`: create a secret first (keep secret create NAME FILE)",
                       dir);
    return keep_fail_errno(err, "open secret store `%s` (a directory, never a symlink)", dir);
  }
  cleanup_close int guard = fd;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return keep_fail_errno(err, "stat secret store `%s`", dir);
  /* Anyone else who can enter it, or who owns it, can read or swap values. */
  if (st.st_uid != geteuid())
    return keep_fail(err, 0, "secret store `%s` is owned by uid %u, not by you (uid %u): remove it", dir,
                     (unsigned) st.st_uid, (unsigned) geteuid());
  if (st.st_mode & 077)
    return keep_fail(err, 0, "secret store `%s` has mode %04o: only its owner may enter it (chmod 700 `%s`)",
                     dir, (unsigned) (st.st_mode & 07777), dir);
  if (path)
    *path = steal_pointer(&dir);
  return steal_fd(&guard);
}

void keep_secret_info_free(struct keep_secret_info *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    free(v[i].name);
  free(v);
}

/* What keep run demands of a value: the caller's regular file, readable by
 * nobody else, 1 byte to KEEP_SECRET_MAX_SIZE. */
static int value_check(const struct stat *st, const char *dir, const char *name, keep_error **err)
{
  if (!S_ISREG(st->st_mode))
    return keep_fail(err, 0,
                     "secret `%s`: `%s/%s` is a %s, not a regular file: remove it and create it again", name,
                     dir, name, keep_file_kind(st->st_mode));
  if (st->st_uid != geteuid())
    return keep_fail(err, 0, "secret `%s`: `%s/%s` is owned by uid %u, not by you: remove it", name, dir,
                     name, (unsigned) st->st_uid);
  if (st->st_mode & 077)
    return keep_fail(err, 0,
                     "secret `%s`: `%s/%s` has mode %04o: others may read it (chmod 600 it, or remove it and "
                     "create it again)",
                     name, dir, name, (unsigned) (st->st_mode & 07777));
  if (st->st_size <= 0 || st->st_size > (off_t) KEEP_SECRET_MAX_SIZE)
    return keep_fail(err, 0, "secret `%s`: `%s/%s` holds %lld bytes: a secret holds 1 to %u", name, dir, name,
                     (long long) st->st_size, KEEP_SECRET_MAX_SIZE);
  return 0;
}

int keep_secret_open_value(int dirfd, const char *dir, const char *name, keep_error **err)
{
  if (keep_secret_name_check(name, err) < 0)
    return -1;
  /* O_NONBLOCK: a FIFO planted in place of a value must not hang keep. */
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT)
      return keep_fail(err, 0, "no secret `%s` in `%s` (keep secret create %s FILE)", name, dir, name);
    if (errno == ELOOP)
      return keep_fail(err, 0, "secret `%s`: `%s/%s` is a symlink: refused (remove it and create the secret)",
                       name, dir, name);
    return keep_fail_errno(err, "open secret `%s/%s`", dir, name);
  }
  cleanup_close int guard = fd;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return keep_fail_errno(err, "stat secret `%s/%s`", dir, name);
  if (value_check(&st, dir, name, err) < 0)
    return -1;
  return steal_fd(&guard);
}

int keep_secret_stat(int dirfd, const char *dir, const char *name, struct keep_secret_info *out,
                     keep_error **err)
{
  cleanup_close int fd = keep_secret_open_value(dirfd, dir, name, err);
  struct stat st;
  if (fd < 0)
    return -1;
  if (fstat(fd, &st) < 0)
    return keep_fail_errno(err, "stat secret `%s/%s`", dir, name);
  *out = (struct keep_secret_info){
      .name = xstrdup(name), .size = (uint64_t) st.st_size, .created = (int64_t) st.st_mtim.tv_sec};
  return 0;
}

/* Read src into a buffer of KEEP_SECRET_MAX_SIZE + 1 (to see a larger one). */
static int read_value(int src, const char *what, char **buf, size_t *len, keep_error **err)
{
  *buf = xmalloc(KEEP_SECRET_MAX_SIZE + 1);
  *len = 0;
  while (*len <= KEEP_SECRET_MAX_SIZE) {
    ssize_t n = read(src, *buf + *len, KEEP_SECRET_MAX_SIZE + 1 - *len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return keep_fail_errno(err, "read the secret from %s", what);
    if (n == 0)
      break;
    *len += (size_t) n;
  }
  if (*len == 0)
    return keep_fail(err, 0, "the secret from %s is empty", what);
  if (*len > KEEP_SECRET_MAX_SIZE)
    return keep_fail(err, 0, "the secret from %s is larger than %u bytes", what, KEEP_SECRET_MAX_SIZE);
  return 0;
}

static void wipe(char *buf, size_t len)
{
  if (buf)
    explicit_bzero(buf, len);
  free(buf);
}

static int exists(const char *name, keep_error **err)
{
  return keep_fail(err, 0, "secret `%s` exists: remove it first (keep secret rm %s)", name, name);
}

/* An unnamed file (O_TMPFILE), written, fsynced, then linked in as `name`:
 * the value appears whole or not at all, and a crash at any point leaves
 * nothing on disk.  Returns 1 where the filesystem or /proc cannot do it. */
static int publish_unnamed(int dirfd, const char *dir, const char *name, const char *buf, size_t len,
                           keep_error **err)
{
  cleanup_close int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return 1;
  if (write_all(fd, buf, len) < 0 || fsync(fd) < 0)
    return keep_fail_errno(err, "write secret `%s` in `%s`", name, dir);
  char self[64];
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, self, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  return errno == EEXIST ? exists(name, err) : 1;
}

/* The same with a named temp file renamed into place (never replacing). */
static int publish_named(int dirfd, const char *dir, const char *name, const char *buf, size_t len,
                         keep_error **err)
{
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  /* A name no secret can have (names start with a letter or digit). */
  cleanup_free char *tmp = xasprintf(".tmp-%s", rnd);
  cleanup_close int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return keep_fail_errno(err, "create `%s/%s`", dir, tmp);
  int ret = 0;
  if (write_all(fd, buf, len) < 0 || fsync(fd) < 0)
    ret = keep_fail_errno(err, "write `%s/%s`", dir, tmp);
  else if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0)
    ret =
        errno == EEXIST ? exists(name, err) : keep_fail_errno(err, "rename `%s/%s` to `%s`", dir, tmp, name);
  if (ret < 0)
    unlinkat(dirfd, tmp, 0);
  return ret;
}

int keep_secret_create(int dirfd, const char *dir, const char *name, int src_fd, const char *src_what,
                       keep_error **err)
{
  if (keep_secret_name_check(name, err) < 0)
    return -1;
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return exists(name, err);
  char *buf = NULL;
  size_t len = 0;
  int ret = read_value(src_fd, src_what, &buf, &len, err);
  if (ret == 0)
    ret = publish_unnamed(dirfd, dir, name, buf, len, err);
  if (ret == 1)
    ret = publish_named(dirfd, dir, name, buf, len, err);
  wipe(buf, KEEP_SECRET_MAX_SIZE + 1);
  if (ret == 0)
    fsync(dirfd); /* the new name itself, durable */
  return ret;
}

static int info_cmp(const void *a, const void *b)
{
  return strcmp(((const struct keep_secret_info *) a)->name, ((const struct keep_secret_info *) b)->name);
}

int keep_secret_list(int dirfd, struct keep_secret_info **out, size_t *n, keep_error **err)
{
  *out = NULL;
  *n = 0;
  int d = dup(dirfd);
  if (d < 0)
    return keep_fail_errno(err, "dup");
  cleanup_dir DIR *dir = fdopendir(d);
  if (dir == NULL) {
    close(d);
    return keep_fail_errno(err, "read the secret store");
  }
  rewinddir(dir);
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    struct stat st;
    /* Temp files and anything else that is not a secret's name. */
    if (keep_secret_name_check(e->d_name, NULL) < 0 ||
        fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    *out = xrealloc(*out, (*n + 1) * sizeof(**out));
    (*out)[(*n)++] = (struct keep_secret_info){
        .name = xstrdup(e->d_name), .size = (uint64_t) st.st_size, .created = (int64_t) st.st_mtim.tv_sec};
  }
  if (*n)
    qsort(*out, *n, sizeof(**out), info_cmp);
  return 0;
}

int keep_secret_remove(int dirfd, const char *dir, const char *name, keep_error **err)
{
  if (keep_secret_name_check(name, err) < 0)
    return -1;
  if (unlinkat(dirfd, name, 0) < 0) {
    if (errno == ENOENT)
      return keep_fail(err, 0, "no secret `%s` in `%s`", name, dir);
    return keep_fail_errno(err, "remove secret `%s/%s`", dir, name);
  }
  fsync(dirfd);
  return 0;
}

void keep_secret_fds_close(int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
}

int keep_secrets_open(const struct keep_secret_ref *refs, size_t n, int **fds, keep_error **err)
{
  *fds = NULL;
  if (n == 0)
    return 0;
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = keep_secret_store_open(false, &dir, err);
  if (dirfd < 0)
    return keep_error_wrap(err, "--secret %s", refs[0].name);
  *fds = xcalloc(n, sizeof(int));
  for (size_t i = 0; i < n; i++)
    (*fds)[i] = -1;
  for (size_t i = 0; i < n; i++) {
    (*fds)[i] = keep_secret_open_value(dirfd, dir, refs[i].name, err);
    if ((*fds)[i] < 0)
      return -1;
  }
  return 0;
}
