#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "userns.h"
#include "util.h"

#define BLOB_DIR "blobs/sha256"
#define MAX_JSON_BLOB (8 << 20)

static int mkdir_at(int dirfd, const char *name, mode_t mode, keep_error **err)
{
  if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "create store directory `%s`", name);
  return 0;
}

int keep_store_open(struct keep_store *s, bool exclusive, keep_error **err)
{
  memset(s, 0, sizeof(*s));
  s->dirfd = s->lockfd = -1;
  s->rootless = geteuid() != 0;
  s->root = keep_store_base();
  if (s->root == NULL)
    return keep_fail(err, 0, "no image store: set XDG_DATA_HOME or HOME (or KEEP_STORE)");
  /* 0711: container root (an unprivileged host uid) must traverse to the
   * layers it mounts, but may not list or read anything else. */
  if (keep_mkdir_p(s->root, s->rootless ? 0700 : 0711, err) < 0)
    return keep_error_wrap(err, "image store");
  s->dirfd = open(s->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s->dirfd < 0)
    return keep_fail_errno(err, "open image store `%s`", s->root);
  if (mkdir_at(s->dirfd, "blobs", 0700, err) < 0 || mkdir_at(s->dirfd, BLOB_DIR, 0700, err) < 0 ||
      mkdir_at(s->dirfd, "tmp", 0700, err) < 0 || mkdir_at(s->dirfd, "layers", 0711, err) < 0)
    return keep_error_wrap(err, "image store `%s`", s->root);
  s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (s->lockfd < 0)
    return keep_fail_errno(err, "open `%s/lock`", s->root);
  if (flock(s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    return keep_fail_errno(err, "lock `%s/lock`", s->root);
  if (!s->rootless) {
    struct keep_userns_plan plan = {0};
    if (keep_userns_plan(&plan, err) < 0)
      return -1;
    s->uid_shift = plan.uid[0].outside;
    s->gid_shift = plan.gid[0].outside;
    keep_userns_plan_free(&plan);
  }
  return 0;
}

void keep_store_close(struct keep_store *s)
{
  if (s->lockfd >= 0)
    close(s->lockfd);
  if (s->dirfd >= 0)
    close(s->dirfd);
  free(s->root);
  memset(s, 0, sizeof(*s));
  s->dirfd = s->lockfd = -1;
}

static void writer_release(struct keep_blob_writer *w)
{
  if (w->fd >= 0)
    close(w->fd);
  w->fd = -1;
  free(w->tmp);
  w->tmp = NULL;
  keep_hasher_free(w->h);
  w->h = NULL;
}

int keep_blob_begin(struct keep_store *s, struct keep_blob_writer *w, keep_error **err)
{
  memset(w, 0, sizeof(*w));
  w->fd = -1;
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  w->tmp = xasprintf("tmp/%s.tmp", rnd);
  w->fd = openat(s->dirfd, w->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (w->fd < 0) {
    keep_fail_errno(err, "create `%s/%s`", s->root, w->tmp);
    writer_release(w);
    return -1;
  }
  w->h = keep_hasher_new();
  return 0;
}

int keep_blob_resume(struct keep_store *s, const char *digest, struct keep_blob_writer *w, keep_error **err)
{
  memset(w, 0, sizeof(*w));
  w->fd = -1;
  if (keep_digest_check(digest, "blob", err) < 0)
    return -1;
  w->tmp = xasprintf("tmp/%s.partial", keep_digest_hex(digest));
  w->fd = openat(s->dirfd, w->tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  /* Two pulls of one blob take turns on its partial file. */
  if (w->fd < 0 || flock(w->fd, LOCK_EX) < 0) {
    keep_fail_errno(err, "open `%s/%s`", s->root, w->tmp);
    writer_release(w);
    return -1;
  }
  w->h = keep_hasher_new();
  char buf[65536];
  ssize_t n;
  while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
    keep_hasher_update(w->h, buf, (size_t) n);
    w->size += (uint64_t) n;
  }
  if (n < 0) {
    keep_fail_errno(err, "read `%s/%s`", s->root, w->tmp);
    writer_release(w);
    return -1;
  }
  return 0;
}

int keep_blob_write(struct keep_blob_writer *w, const void *buf, size_t n, keep_error **err)
{
  if (write_all(w->fd, buf, n) < 0)
    return keep_fail_errno(err, "write a blob to `%s`", w->tmp);
  keep_hasher_update(w->h, buf, n);
  w->size += n;
  return 0;
}

void keep_blob_abort_keep(struct keep_blob_writer *w)
{
  writer_release(w);
}

void keep_blob_abort(struct keep_store *s, struct keep_blob_writer *w)
{
  if (w->tmp)
    unlinkat(s->dirfd, w->tmp, 0);
  writer_release(w);
}

int keep_blob_commit(struct keep_store *s, struct keep_blob_writer *w, const char *expect, char *digest_out,
                     keep_error **err)
{
  char got[KEEP_DIGEST_LEN + 1];
  keep_hasher_final(w->h, got);
  if (expect && strcmp(expect, got) != 0) {
    keep_fail(err, 0, "blob content does not match its digest: expected %s, got %s", expect, got);
    keep_blob_abort(s, w);
    return keep_error_hint(err, "the source is corrupt or was tampered with; nothing was stored");
  }
  /* No fsync per blob: a store syncs once before a tag names what it wrote
   * (image_unpack.c), and a blob cut short by a crash is caught by its size
   * or digest on the next use. */
  if (fchmod(w->fd, 0444) < 0) {
    keep_fail_errno(err, "finish blob %s", got);
    keep_blob_abort(s, w);
    return -1;
  }
  cleanup_free char *dst = xasprintf(BLOB_DIR "/%s", keep_digest_hex(got));
  /* Same content under the same name: whoever renames last wins, harmlessly. */
  if (renameat(s->dirfd, w->tmp, s->dirfd, dst) < 0) {
    keep_fail_errno(err, "store blob %s", got);
    keep_blob_abort(s, w);
    return -1;
  }
  if (digest_out)
    memcpy(digest_out, got, sizeof(got));
  writer_release(w);
  return 0;
}

int keep_blob_put(struct keep_store *s, const void *buf, size_t n, const char *expect, char *digest_out,
                  keep_error **err)
{
  struct keep_blob_writer w;
  if (keep_blob_begin(s, &w, err) < 0)
    return -1;
  if (keep_blob_write(&w, buf, n, err) < 0) {
    keep_blob_abort(s, &w);
    return -1;
  }
  return keep_blob_commit(s, &w, expect, digest_out, err);
}

bool keep_blob_exists(struct keep_store *s, const char *digest)
{
  if (!keep_digest_valid(digest))
    return false;
  cleanup_free char *p = xasprintf(BLOB_DIR "/%s", keep_digest_hex(digest));
  struct stat st;
  return fstatat(s->dirfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int keep_blob_size(struct keep_store *s, const char *digest, uint64_t *size)
{
  if (!keep_digest_valid(digest))
    return -1;
  cleanup_free char *p = xasprintf(BLOB_DIR "/%s", keep_digest_hex(digest));
  struct stat st;
  if (fstatat(s->dirfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
    return -1;
  *size = (uint64_t) st.st_size;
  return 0;
}

void keep_blob_remove(struct keep_store *s, const char *digest)
{
  if (!keep_digest_valid(digest))
    return;
  cleanup_free char *p = xasprintf(BLOB_DIR "/%s", keep_digest_hex(digest));
  unlinkat(s->dirfd, p, 0);
}

int keep_blob_open(struct keep_store *s, const char *digest, keep_error **err)
{
  if (keep_digest_check(digest, "blob", err) < 0)
    return -1;
  cleanup_free char *p = xasprintf(BLOB_DIR "/%s", keep_digest_hex(digest));
  int fd = openat(s->dirfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      keep_fail(err, ENOENT, "blob %s is missing from the store", digest);
      return keep_error_hint(err, "pull or load the image again");
    }
    return keep_fail_errno(err, "open blob %s", digest);
  }
  return fd;
}

int keep_blob_read(struct keep_store *s, const char *digest, char **out, size_t *len, keep_error **err)
{
  cleanup_close int fd = keep_blob_open(s, digest, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return keep_fail_errno(err, "stat blob %s", digest);
  if (st.st_size > MAX_JSON_BLOB)
    return keep_fail(err, EFBIG, "blob %s: %lld bytes is too large for a manifest or config", digest,
                     (long long) st.st_size);
  cleanup_free char *buf = xmalloc((size_t) st.st_size + 1);
  ssize_t n = read_all(fd, buf, (size_t) st.st_size);
  if (n != st.st_size)
    return keep_fail_errno(err, "read blob %s", digest);
  buf[n] = '\0';
  char got[KEEP_DIGEST_LEN + 1];
  keep_digest_buf(buf, (size_t) n, got);
  if (strcmp(got, digest) != 0) {
    keep_fail(err, 0, "blob %s in the store is corrupt (its content hashes to %s)", digest, got);
    return keep_error_hint(err, "run `keep verify`, then pull or load the image again");
  }
  *out = steal_pointer(&buf);
  if (len)
    *len = (size_t) n;
  return 0;
}

int keep_blob_verify(struct keep_store *s, const char *digest, uint64_t *size, keep_error **err)
{
  cleanup_close int fd = keep_blob_open(s, digest, err);
  if (fd < 0)
    return -1;
  struct keep_hasher *h = keep_hasher_new();
  char buf[1 << 16];
  ssize_t n;
  uint64_t total = 0;
  while ((n = read(fd, buf, sizeof(buf))) > 0) {
    keep_hasher_update(h, buf, (size_t) n);
    total += (uint64_t) n;
  }
  char got[KEEP_DIGEST_LEN + 1];
  keep_hasher_final(h, got);
  keep_hasher_free(h);
  if (n < 0)
    return keep_fail_errno(err, "read blob %s", digest);
  if (size)
    *size = total;
  if (strcmp(got, digest) != 0)
    return keep_fail(err, 0, "blob %s is corrupt: its content hashes to %s", digest, got);
  return 0;
}

int keep_refs_load(struct keep_store *s, json_t **out, keep_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  cleanup_error keep_error *e = NULL;
  if (read_file_at(s->dirfd, "refs.json", &text, &len, &e) < 0) {
    if (e->errnum != ENOENT) {
      *err = steal_pointer(&e);
      return -1;
    }
    *out = json_object();
    return 0;
  }
  cleanup_free char *what = xasprintf("`%s/refs.json`", s->root);
  json_t *j = keep_json_parse(text, len, 0, what, err);
  if (j == NULL)
    return -1;
  if (!json_is_object(j)) {
    json_decref(j);
    return keep_fail(err, 0, "%s is not a JSON object", what);
  }
  *out = j;
  return 0;
}

int keep_refs_update(struct keep_store *s, const char *name, const char *digest, keep_error **err)
{
  cleanup_close int lk = openat(s->dirfd, "refs.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lk < 0 || flock(lk, LOCK_EX) < 0)
    return keep_fail_errno(err, "lock `%s/refs.lock`", s->root);
  json_t *refs = NULL;
  if (keep_refs_load(s, &refs, err) < 0)
    return -1;
  if (digest)
    json_object_set_new(refs, name, json_string(digest));
  else
    json_object_del(refs, name);
  cleanup_free char *text = json_dumps(refs, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(refs);
  if (text == NULL)
    die("out of memory");
  /* Write beside, sync, then rename: readers see the old or the new file,
   * whole, and the renames of what the tag names are committed with it. */
  cleanup_close int tfd =
      openat(s->dirfd, "tmp/refs.json", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (tfd < 0 || write_all(tfd, text, strlen(text)) < 0 || fsync(tfd) < 0)
    return keep_fail_errno(err, "write `%s/tmp/refs.json`", s->root);
  if (renameat(s->dirfd, "tmp/refs.json", s->dirfd, "refs.json") < 0)
    return keep_fail_errno(err, "replace `%s/refs.json`", s->root);
  return 0;
}

int keep_remove_tree(int parent, const char *name, keep_error **err)
{
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : keep_fail_errno(err, "stat `%s`", name);
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
      return keep_fail_errno(err, "remove `%s`", name);
    return 0;
  }
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", name);
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return keep_fail_errno(err, "read `%s`", name);
  }
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    r = keep_remove_tree(dirfd(d), de->d_name, err);
  }
  closedir(d);
  if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    r = keep_fail_errno(err, "remove `%s`", name);
  return r;
}
