#include "layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "digest.h"
#include "store.h"
#include "syscalls.h"
#include "util.h"

#define CHUNK (128 * 1024)
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

int keep_layer_path_clean(const char *name, char **out, keep_error **err)
{
  if (name == NULL || *name == '\0')
    return keep_fail(err, 0, "an entry has no name");
  if (name[0] == '/')
    return keep_fail(err, 0, "entry `%s`: absolute names are refused", name);
  size_t len = strlen(name);
  char *res = xmalloc(len + 1);
  size_t n = 0;
  for (const char *p = name; *p;) {
    const char *slash = strchr(p, '/');
    size_t cl = slash ? (size_t) (slash - p) : strlen(p);
    if (cl == 2 && p[0] == '.' && p[1] == '.') {
      free(res);
      return keep_fail(err, 0, "entry `%s`: `..` is refused", name);
    }
    if (cl > 0 && !(cl == 1 && p[0] == '.')) {
      if (n > 0)
        res[n++] = '/';
      memcpy(res + n, p, cl);
      n += cl;
    }
    p += cl;
    while (*p == '/')
      p++;
  }
  res[n] = '\0';
  *out = res;
  return 0;
}

/* Two archive readers, on two cores: a thread undoes the compression of the
 * blob (hashing the blob bytes on the way in and the tar bytes on the way
 * out) and feeds a pipe; the caller's thread parses the tar from the pipe
 * and creates the files.  One pass checks both digests. */
struct stream {
  int fd;              /* the blob */
  struct archive *raw; /* the decompressor: the thread's alone once started */
  struct keep_hasher *blob_h, *tar_h;
  int pipe[2];
  atomic_bool stop; /* the parser failed: no need to read further */
  char *error;      /* the thread's failure, if any */
  char in[CHUNK];
  char mid[CHUNK]; /* the thread's buffer */
  char out[CHUNK]; /* the parser's buffer */
};

static la_ssize_t read_blob(struct archive *a, void *data, const void **buf)
{
  struct stream *s = data;
  ssize_t n;
  do
    n = read(s->fd, s->in, sizeof(s->in));
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read the layer blob");
    return -1;
  }
  keep_hasher_update(s->blob_h, s->in, (size_t) n);
  *buf = s->in;
  return n;
}

static void *decompress(void *arg)
{
  struct stream *s = arg;
  /* The parser closing the pipe early (it failed) must not kill keep. */
  sigset_t pipe_sig;
  sigemptyset(&pipe_sig);
  sigaddset(&pipe_sig, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL);
  la_ssize_t n;
  bool reader_gone = false;
  while ((n = archive_read_data(s->raw, s->mid, sizeof(s->mid))) > 0) {
    keep_hasher_update(s->tar_h, s->mid, (size_t) n);
    /* Past the end of the tar the parser stops reading: keep hashing. */
    if (!reader_gone && write_all(s->pipe[1], s->mid, (size_t) n) < 0)
      reader_gone = true;
    if (reader_gone && atomic_load(&s->stop))
      break;
  }
  if (n < 0) {
    s->error = xasprintf("decompress the layer: %s", archive_error_string(s->raw));
  } else if (!atomic_load(&s->stop)) {
    /* Trailing bytes after the compressed stream: the digest covers them. */
    const void *ignored;
    la_ssize_t r;
    while ((r = read_blob(s->raw, s, &ignored)) > 0)
      ;
    if (r < 0)
      s->error = xasprintf("read the layer blob: %s", strerror(errno));
  }
  close(s->pipe[1]);
  s->pipe[1] = -1;
  return NULL;
}

static la_ssize_t read_tar(struct archive *a, void *data, const void **buf)
{
  struct stream *s = data;
  ssize_t n;
  do
    n = read(s->pipe[0], s->out, sizeof(s->out));
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read the decompressed layer");
    return -1;
  }
  *buf = s->out;
  return n;
}

struct unpacker {
  int rootfd;
  const struct keep_unpack_opts *o;
  struct keep_unpack_stats *st;
  const char *entry; /* the entry being written, cleaned */
  char *cached_dir;  /* the parent of the last entry, and its O_PATH fd */
  int cached_fd;
  bool cached_setgid; /* ... and whether new entries in it take its group */
  bool root_setgid;
  bool parent_setgid; /* of the entry being written */
  uid_t self_uid;     /* who creates the entries: what they are owned by */
  gid_t self_gid;
};

static int resolve_dir(int dirfd, const char *path, keep_error **err)
{
  /* Beneath the root, and no symlink at all on the way: a symlink planted
   * by an earlier entry must never redirect a later write. */
  int fd = (int) sys_openat2(dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd >= 0)
    return fd;
  if (errno == ELOOP)
    return keep_fail(err, ELOOP, "`%s` passes through a symlink: refusing to write through it", path);
  if (errno == EXDEV)
    return keep_fail(err, EXDEV, "`%s` leads outside the layer", path);
  if (errno == ENOTDIR)
    return keep_fail(err, ENOTDIR, "`%s`: a component is not a directory", path);
  return keep_fail_errno(err, "open `%s` in the layer", path);
}

/* `created`: the entry was just made by this unpacker in the entry's parent,
 * so it already belongs to the unpacker's ids unless the parent is set-gid.
 * Skipping that no-op chown spares a metadata write on most entries. */
static int own(const struct unpacker *u, int dirfd, const char *name, bool created, uid_t uid, gid_t gid,
               keep_error **err)
{
  if (!u->o->chown)
    return 0;
  if (created && !u->parent_setgid && u->o->uid_shift + uid == u->self_uid &&
      u->o->gid_shift + gid == u->self_gid)
    return 0;
  if (fchownat(dirfd, name, u->o->uid_shift + uid, u->o->gid_shift + gid,
               AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
    return keep_fail_errno(err, "chown");
  return 0;
}

/* Create missing parents one component at a time (tars may omit them). */
static int make_parents(struct unpacker *u, const char *dir, keep_error **err)
{
  cleanup_free char *p = xstrdup(dir);
  int cur = u->rootfd;
  int owned = -1;
  for (char *c = p; c && *c;) {
    char *slash = strchr(c, '/');
    if (slash)
      *slash = '\0';
    if (mkdirat(cur, c, 0755) == 0) {
      if (own(u, cur, c, false, 0, 0, err) < 0)
        goto fail;
    } else if (errno != EEXIST) {
      keep_fail_errno(err, "create directory `%s`", dir);
      goto fail;
    }
    int next = resolve_dir(cur, c, err);
    if (next < 0)
      goto fail;
    if (owned >= 0)
      close(owned);
    cur = owned = next;
    c = slash ? slash + 1 : NULL;
  }
  if (owned >= 0)
    close(owned);
  return 0;
fail:
  if (owned >= 0)
    close(owned);
  return -1;
}

/* The O_PATH fd of the directory holding `path`; *base gets the last name.
 * The fd belongs to the unpacker (cached): do not close it. */
static int parent_of(struct unpacker *u, const char *path, const char **base, keep_error **err)
{
  const char *slash = strrchr(path, '/');
  if (slash == NULL) {
    *base = path;
    u->parent_setgid = u->root_setgid;
    return u->rootfd;
  }
  *base = slash + 1;
  size_t n = (size_t) (slash - path);
  if (u->cached_dir && strlen(u->cached_dir) == n && strncmp(u->cached_dir, path, n) == 0) {
    u->parent_setgid = u->cached_setgid;
    return u->cached_fd;
  }
  cleanup_free char *dir = strndup(path, n);
  if (dir == NULL)
    die("out of memory");
  cleanup_error keep_error *e = NULL;
  int fd = resolve_dir(u->rootfd, dir, &e);
  if (fd < 0 && e->errnum == ENOENT) {
    if (make_parents(u, dir, err) < 0)
      return -1;
    fd = resolve_dir(u->rootfd, dir, err);
  } else if (fd < 0) {
    *err = steal_pointer(&e);
  }
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return keep_fail_errno(err, "stat `%s` in the layer", dir);
  }
  if (u->cached_fd >= 0)
    close(u->cached_fd);
  free(u->cached_dir);
  u->cached_dir = steal_pointer(&dir);
  u->cached_fd = fd;
  u->cached_setgid = u->parent_setgid = (st.st_mode & S_ISGID) != 0;
  return fd;
}

/* Make room for a new entry: anything but a directory that stays a
 * directory is removed first (a later layer entry replaces an earlier one). */
static int clear_slot(int dirfd, const char *base, bool want_dir, bool *is_dir, keep_error **err)
{
  struct stat st;
  *is_dir = false;
  if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : keep_fail_errno(err, "stat");
  if (want_dir && S_ISDIR(st.st_mode)) {
    *is_dir = true;
    return 0;
  }
  return keep_remove_tree(dirfd, base, err);
}

static int ids_of(const struct unpacker *u, struct archive_entry *e, uid_t *uid, gid_t *gid, keep_error **err)
{
  la_int64_t su = archive_entry_uid(e), sg = archive_entry_gid(e);
  if (su < 0 || sg < 0 ||
      (u->o->chown && ((uint64_t) su >= u->o->id_count || (uint64_t) sg >= u->o->id_count)))
    return keep_fail(err, 0, "owner %lld:%lld is outside the container's %u ids", (long long) su,
                     (long long) sg, u->o->id_count);
  *uid = (uid_t) su;
  *gid = (gid_t) sg;
  return 0;
}

static int write_file(struct unpacker *u, struct archive *a, int dirfd, const char *base,
                      struct archive_entry *e, uid_t uid, gid_t gid, keep_error **err)
{
  /* Created with its final permissions (the unpacker runs with umask 0);
   * only set-id and sticky bits need a chmod, after the chown that clears them. */
  mode_t mode = archive_entry_perm(e) & 07777;
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  cleanup_close int fd = openat(dirfd, base, flags, mode & 0777);
  if (fd < 0 && errno == EEXIST) {
    /* A later entry replaces an earlier one of the same name. */
    bool ignored;
    if (clear_slot(dirfd, base, false, &ignored, err) < 0)
      return -1;
    fd = openat(dirfd, base, flags, mode & 0777);
  }
  if (fd < 0)
    return keep_fail_errno(err, "create");
  const void *buf;
  size_t size;
  la_int64_t off = 0, end = 0;
  int r;
  while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
    const char *p = buf;
    while (size > 0) {
      ssize_t w = pwrite(fd, p, size, off);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        return keep_fail_errno(err, "write");
      }
      p += w;
      off += w;
      size -= (size_t) w;
      u->st->bytes += (uint64_t) w;
    }
    end = off;
  }
  if (r != ARCHIVE_EOF)
    return keep_fail(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "read its data: %s",
                     archive_error_string(a));
  /* Sparse files end in a hole the data blocks do not cover. */
  if (end != archive_entry_size(e) && ftruncate(fd, archive_entry_size(e)) < 0)
    return keep_fail_errno(err, "truncate");
  if (own(u, fd, "", true, uid, gid, err) < 0)
    return -1;
  if ((mode & 07000) && fchmod(fd, mode) < 0)
    return keep_fail_errno(err, "chmod");
  if (mode & (S_ISUID | S_ISGID)) {
    if (u->st->setid++ < 64)
      strv_push(&u->st->setid_paths, u->entry);
  }
  struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  futimens(fd, ts);
  return 0;
}

static int write_dir(struct unpacker *u, int dirfd, const char *base, bool exists, struct archive_entry *e,
                     uid_t uid, gid_t gid, keep_error **err)
{
  mode_t mode = archive_entry_perm(e) & 07777;
  /* Rootless, the unpacking user must stay able to fill the directory. */
  if (!u->o->chown)
    mode |= 0700;
  /* By name: the layer directory is private to this unpacker, and the entry
   * was just created or seen to be a directory (clear_slot). */
  if (!exists && mkdirat(dirfd, base, mode & 0777) < 0)
    return keep_fail_errno(err, "mkdir");
  if (own(u, dirfd, base, !exists, uid, gid, err) < 0)
    return -1;
  /* A directory made in a set-gid one inherits the bit: set the mode the
   * layer says.  An existing directory may be the cached parent, whose
   * set-gid state this can change: forget it. */
  if ((exists || (mode & 07000) || u->parent_setgid) && fchmodat(dirfd, base, mode, 0) < 0)
    return keep_fail_errno(err, "chmod");
  if (exists && u->cached_fd >= 0) {
    close(u->cached_fd);
    u->cached_fd = -1;
    free(u->cached_dir);
    u->cached_dir = NULL;
  }
  return 0;
}

static int write_hardlink(struct unpacker *u, int dirfd, const char *base, const char *target,
                          keep_error **err)
{
  cleanup_free char *clean = NULL;
  if (keep_layer_path_clean(target, &clean, err) < 0)
    return keep_error_wrap(err, "hardlink target");
  if (*clean == '\0')
    return keep_fail(err, 0, "hardlink to the layer root");
  const char *slash = strrchr(clean, '/');
  const char *tbase = slash ? slash + 1 : clean;
  cleanup_close int tdir = -1;
  if (slash) {
    cleanup_free char *d = strndup(clean, (size_t) (slash - clean));
    if (d == NULL)
      die("out of memory");
    /* The target must already be in this layer, reached without symlinks:
     * a link can never name a file outside the root. */
    tdir = resolve_dir(u->rootfd, d, err);
    if (tdir < 0)
      return keep_error_wrap(err, "hardlink target `%s`", target);
  }
  int tfd = slash ? tdir : u->rootfd;
  struct stat st;
  if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return keep_fail_errno(err, "hardlink target `%s` (it must come earlier in the same layer)", target);
  if (S_ISDIR(st.st_mode))
    return keep_fail(err, 0, "hardlink target `%s` is a directory", target);
  if (linkat(tfd, tbase, dirfd, base, 0) < 0)
    return keep_fail_errno(err, "link to `%s`", target);
  return 0;
}

static int write_opaque(int dirfd, keep_error **err)
{
  cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open");
  /* overlayfs mounted with userxattr (as keep mounts it, from the
   * container's user namespace) reads this name. */
  if (fsetxattr(fd, "user.overlay.opaque", "y", 1, 0) < 0)
    return keep_fail_errno(err, "mark the directory opaque (setxattr user.overlay.opaque)");
  return 0;
}

static int write_entry(struct unpacker *u, struct archive *a, struct archive_entry *e, const char *path,
                       keep_error **err)
{
  const char *base = NULL;
  int dirfd = parent_of(u, path, &base, err);
  if (dirfd < 0)
    return -1;
  if (str_has_prefix(base, WHITEOUT)) {
    if (strcmp(base, OPAQUE) == 0)
      return write_opaque(dirfd, err);
    if (str_has_prefix(base, WHITEOUT WHITEOUT) || base[4] == '\0')
      return 0; /* aufs bookkeeping (.wh..wh.plnk …), not content */
    const char *victim = base + 4;
    bool d;
    if (clear_slot(dirfd, victim, false, &d, err) < 0)
      return -1;
    /* A 0:0 character device is overlayfs's whiteout; the kernel lets an
     * unprivileged user make this one node. */
    if (mknodat(dirfd, victim, S_IFCHR | 0000, makedev(0, 0)) < 0)
      return keep_fail_errno(err, "create whiteout");
    return 0;
  }
  uid_t uid = 0;
  gid_t gid = 0;
  if (ids_of(u, e, &uid, &gid, err) < 0)
    return -1;
  const char *hardlink = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);
  bool exists = false;
  bool plain_file = type == AE_IFREG && !hardlink; /* write_file clears on EEXIST */
  if (!plain_file && clear_slot(dirfd, base, type == AE_IFDIR && !hardlink, &exists, err) < 0)
    return -1;
  if (hardlink)
    return write_hardlink(u, dirfd, base, hardlink, err);
  switch (type) {
  case AE_IFREG: return write_file(u, a, dirfd, base, e, uid, gid, err);
  case AE_IFDIR: return write_dir(u, dirfd, base, exists, e, uid, gid, err);
  case AE_IFLNK: {
    const char *target = archive_entry_symlink(e);
    /* The target is stored as text and never followed by keep. */
    if (target == NULL || symlinkat(target, dirfd, base) < 0)
      return keep_fail_errno(err, "symlink");
    if (own(u, dirfd, base, true, uid, gid, err) < 0)
      return -1;
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
  }
  case AE_IFCHR:
  case AE_IFBLK:
    if (!u->o->allow_devices)
      return keep_fail(err, EPERM, "device nodes in a layer are refused (containers get a fresh /dev)");
    /* fallthrough */
  case AE_IFIFO:
    if (mknodat(dirfd, base, type | (archive_entry_perm(e) & 0777), archive_entry_rdev(e)) < 0)
      return keep_fail_errno(err, "mknod");
    return own(u, dirfd, base, true, uid, gid, err);
  default: return 0; /* sockets and unknown kinds carry no content */
  }
}

static struct archive *open_raw(struct stream *s, const struct keep_unpack_opts *o, keep_error **err)
{
  struct archive *raw = archive_read_new();
  if (raw == NULL)
    die("out of memory");
  /* Only the filter the media type names: never libarchive's external
   * programs, never a format guessed from hostile bytes. */
  int r = ARCHIVE_OK;
  if (o->compression == KEEP_LAYER_GZIP)
    r = archive_read_append_filter(raw, ARCHIVE_FILTER_GZIP);
  else if (o->compression == KEEP_LAYER_ZSTD)
    r = archive_read_append_filter(raw, ARCHIVE_FILTER_ZSTD);
  if (r != ARCHIVE_OK || archive_read_support_format_raw(raw) != ARCHIVE_OK ||
      archive_read_open(raw, s, NULL, read_blob, NULL) != ARCHIVE_OK) {
    keep_fail(err, 0, "open the layer stream: %s", archive_error_string(raw));
    archive_read_free(raw);
    return NULL;
  }
  struct archive_entry *e;
  if (archive_read_next_header(raw, &e) != ARCHIVE_OK) {
    keep_fail(err, 0, "read the layer stream: %s", archive_error_string(raw));
    archive_read_free(raw);
    return NULL;
  }
  return raw;
}

static int finish_digests(struct stream *s, const struct keep_unpack_opts *o, keep_error **err)
{
  if (s->error)
    return keep_fail(err, 0, "%s", s->error);
  char got[KEEP_DIGEST_LEN + 1];
  keep_hasher_final(s->blob_h, got);
  if (o->digest && strcmp(got, o->digest) != 0)
    return keep_fail(err, 0, "layer content does not match its digest %s (got %s)", o->digest, got);
  keep_hasher_final(s->tar_h, got);
  if (o->diff_id && strcmp(got, o->diff_id) != 0)
    return keep_fail(err, 0, "uncompressed layer does not match the config's diff_id %s (got %s)", o->diff_id,
                     got);
  return 0;
}

int keep_layer_unpack(int blobfd, int rootfd, const struct keep_unpack_opts *o, struct keep_unpack_stats *st,
                      keep_error **err)
{
  struct stat rst;
  if (fstat(rootfd, &rst) < 0)
    return keep_fail_errno(err, "stat the layer root");
  struct keep_unpack_stats ignored = {0};
  if (st == NULL)
    st = &ignored;
  memset(st, 0, sizeof(*st));
  struct stream *s = xcalloc(1, sizeof(*s));
  s->fd = blobfd;
  s->pipe[0] = s->pipe[1] = -1;
  s->blob_h = keep_hasher_new();
  s->tar_h = keep_hasher_new();
  struct unpacker u = {.rootfd = rootfd,
                       .o = o,
                       .st = st,
                       .cached_fd = -1,
                       .self_uid = geteuid(),
                       .self_gid = getegid(),
                       .root_setgid = (rst.st_mode & S_ISGID) != 0};
  /* Modes exactly as the layer says (restored on the way out). */
  mode_t saved_umask = umask(0);
  struct archive *tar = NULL;
  pthread_t thread;
  bool started = false;
  int ret = -1;
  s->raw = open_raw(s, o, err);
  if (s->raw == NULL)
    goto out;
  if (pipe2(s->pipe, O_CLOEXEC) < 0) {
    keep_fail_errno(err, "pipe");
    goto out;
  }
  fcntl(s->pipe[1], F_SETPIPE_SZ, 1 << 20);
  if ((errno = pthread_create(&thread, NULL, decompress, s)) != 0) {
    keep_fail_errno(err, "start the decompression thread");
    goto out;
  }
  started = true;
  tar = archive_read_new();
  if (tar == NULL)
    die("out of memory");
  if (archive_read_support_format_tar(tar) != ARCHIVE_OK ||
      archive_read_support_format_gnutar(tar) != ARCHIVE_OK ||
      archive_read_open(tar, s, NULL, read_tar, NULL) != ARCHIVE_OK) {
    keep_fail(err, 0, "open the layer tar: %s", archive_error_string(tar));
    goto out;
  }
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(tar, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      keep_fail(err, 0, "read the layer tar after %llu entries: %s", (unsigned long long) st->entries,
                archive_error_string(tar));
      goto out;
    }
    const char *name = archive_entry_pathname(e);
    cleanup_free char *path = NULL;
    if (keep_layer_path_clean(name, &path, err) < 0)
      goto out;
    st->entries++;
    if (*path == '\0')
      continue; /* "./": the layer root itself */
    u.entry = path;
    if (write_entry(&u, tar, e, path, err) < 0) {
      keep_error_wrap(err, "entry `%s`", name);
      goto out;
    }
  }
  ret = 0;
out:
  /* Let the thread finish (it stops writing once the pipe is closed, and
   * stops reading too when the layer was refused), then judge the digests
   * it computed. */
  if (ret < 0)
    atomic_store(&s->stop, true);
  if (s->pipe[0] >= 0)
    close(s->pipe[0]);
  if (started)
    pthread_join(thread, NULL);
  if (ret == 0)
    ret = finish_digests(s, o, err);
  else if (s->error && *err && strstr((*err)->msg, "read the layer tar"))
    keep_error_wrap(err, "%s", s->error); /* the cause is the decompressor's */
  if (s->pipe[1] >= 0)
    close(s->pipe[1]);
  if (tar)
    archive_read_free(tar);
  if (s->raw)
    archive_read_free(s->raw);
  keep_hasher_free(s->blob_h);
  keep_hasher_free(s->tar_h);
  free(s->error);
  free(s);
  if (u.cached_fd >= 0)
    close(u.cached_fd);
  free(u.cached_dir);
  if (st == &ignored)
    strv_free(ignored.setid_paths);
  umask(saved_umask);
  return ret;
}
