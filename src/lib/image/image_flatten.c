/* The "vfs" storage driver: where overlayfs cannot be mounted, an image's
 * layers are merged once into one directory tree (whiteouts and opaque
 * directories applied), kept in the store beside the layers and bound
 * read-only as the container's root.  Files are hard links into the layer
 * directories: no copy, and nothing the container could write to (its root
 * is read-only, so a writable root needs overlayfs). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image.h"
#include "util.h"

static bool is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
  char v[2] = {0};
  return fgetxattr(dirfd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int clear_dir(int dir, keep_error **err)
{
  cleanup_close int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL)
    return keep_fail_errno(err, "read a directory to clear");
  fd = -1;
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      r = keep_remove_tree(dirfd(d), de->d_name, err);
  closedir(d);
  return r;
}

/* Merge the directory `src` (a layer's) into `dst` (the tree so far). */
static int merge(int src, int dst, keep_error **err)
{
  cleanup_close int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL)
    return keep_fail_errno(err, "read a layer directory");
  fd = -1;
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir(d)) != NULL) {
    const char *n = de->d_name;
    if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
      continue;
    struct stat st, old;
    if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = keep_fail_errno(err, "stat `%s` in a layer", n);
      break;
    }
    bool had = fstatat(dst, n, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (is_whiteout(&st)) {
      r = had ? keep_remove_tree(dst, n, err) : 0;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (had && !S_ISDIR(old.st_mode) && (r = keep_remove_tree(dst, n, err)) < 0)
        break;
      if ((!had || !S_ISDIR(old.st_mode)) && mkdirat(dst, n, 0700) < 0) {
        r = keep_fail_errno(err, "mkdir `%s`", n);
        break;
      }
      cleanup_close int s2 = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d2 = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s2 < 0 || d2 < 0) {
        r = keep_fail_errno(err, "open `%s`", n);
        break;
      }
      /* The upper directory's owner and mode win, as in overlayfs. */
      if (fchown(d2, st.st_uid, st.st_gid) < 0 || fchmod(d2, st.st_mode & 07777) < 0) {
        r = keep_fail_errno(err, "set owner and mode of `%s`", n);
        break;
      }
      if (had && S_ISDIR(old.st_mode) && is_opaque(s2) && (r = clear_dir(d2, err)) < 0)
        break;
      r = merge(s2, d2, err);
      continue;
    }
    if (had && (r = keep_remove_tree(dst, n, err)) < 0)
      break;
    if (linkat(dirfd(d), n, dst, n, 0) < 0)
      r = keep_fail_errno(err, "link `%s`", n);
  }
  closedir(d);
  return r;
}

char *keep_image_flatten(struct keep_store *s, const struct keep_image *img, char *const *dirs,
                         keep_error **err)
{
  cleanup_close int ldir = keep_image_layers_dir(s, err);
  if (ldir < 0)
    return NULL;
  cleanup_free char *name = xasprintf("vfs-%s", keep_digest_hex(img->digest));
  char *path = xasprintf("%s/layers/%u/%s", s->root, s->uid_shift, name);
  struct stat st;
  if (fstatat(ldir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return path; /* merged before: a name exists only when complete */
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0) {
    free(path);
    return NULL;
  }
  cleanup_free char *tmp = xasprintf(".tmp-%s", rnd);
  int r = -1;
  if (mkdirat(ldir, tmp, 0755) < 0) {
    keep_fail_errno(err, "create `%s/layers/%u/%s`", s->root, s->uid_shift, tmp);
    free(path);
    return NULL;
  }
  {
    cleanup_close int dst = openat(ldir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dst < 0) {
      keep_fail_errno(err, "open `%s`", tmp);
      goto out;
    }
    for (size_t i = 0; dirs[i]; i++) {
      cleanup_close int src = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (src < 0) {
        keep_fail_errno(err, "open layer `%s`", dirs[i]);
        goto out;
      }
      struct stat rs;
      if (i == 0 && fstat(src, &rs) == 0 &&
          (fchown(dst, rs.st_uid, rs.st_gid) < 0 || fchmod(dst, 0755) < 0)) {
        keep_fail_errno(err, "set the owner of `%s`", tmp);
        goto out;
      }
      if (merge(src, dst, err) < 0) {
        keep_error_wrap(err, "merge layer %zu of image %.19s", i, img->digest);
        goto out;
      }
    }
    if (syncfs(dst) < 0 || renameat(ldir, tmp, ldir, name) < 0) {
      if (errno != EEXIST && errno != ENOTEMPTY) {
        keep_fail_errno(err, "store the merged root `%s`", name);
        goto out;
      }
    }
    r = 0;
  }
out : {
  cleanup_error keep_error *ignored = NULL;
  keep_remove_tree(ldir, tmp, &ignored);
}
  if (r < 0) {
    free(path);
    return NULL;
  }
  return path;
}
