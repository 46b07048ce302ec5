/* Image layers (layer_unpack.c): keep_layer_unpack of a tar (plain, gzip
 * or zstd) built from the input (fuzz.h: "=== f NAME", "=== l NAME ->
 * TARGET", ...), into an empty directory beside a secret file.
 * Invariants: nothing outside the layer root changes (no new name beside
 * it, the secret keeps its content, mode and single link); inside, no
 * device node but overlayfs whiteouts (0:0), no `.wh.` file left as it is,
 * and no set-id file the stats do not count.  Either way the error
 * convention holds and nothing leaks. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "digest.h"
#include "fuzz.h"
#include "layer_unpack.h"
#include "store.h"
#include "util.h"

#define SECRET "secret\n"

static int topfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  topfd = open(fuzz_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (topfd < 0 || mkdirat(topfd, "outside", 0755) < 0)
    die("set up `%s`: %m", fuzz_tmpdir());
  cleanup_close int fd = openat(topfd, "outside/secret", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, SECRET, strlen(SECRET)) < 0)
    die("write the secret: %m");
  return 0;
}

/* The names in directory `name` under `dirfd`, sorted, joined by ','. */
static char *listing(int dirfd, const char *name)
{
  struct dirent **list = NULL;
  cleanup_free char *path = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
  int n = scandir(path, &list, NULL, alphasort);
  if (n < 0)
    return xstrdup("(unreadable)");
  char *out = xstrdup("");
  for (int i = 0; i < n; i++) {
    if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
      char *t = xasprintf("%s%s%s", out, *out ? "," : "", list[i]->d_name);
      free(out);
      out = t;
    }
    free(list[i]);
  }
  free(list);
  return out;
}

struct walk {
  size_t setid;
  ino_t seen[64];
};

static void walk(int dirfd, const char *rel, struct walk *w)
{
  int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    /* A whiteout entry becomes a whiteout, never a file of that name (a
     * directory of such a name can be a parent the tar implies). */
    FUZZ_CHECK(S_ISDIR(st.st_mode) || !str_has_prefix(de->d_name, ".wh."), "`%s/%s` left as a name", rel,
               de->d_name);
    FUZZ_CHECK(!S_ISBLK(st.st_mode), "block device `%s/%s`", rel, de->d_name);
    FUZZ_CHECK(!S_ISCHR(st.st_mode) || st.st_rdev == makedev(0, 0), "character device %u:%u `%s/%s`",
               major(st.st_rdev), minor(st.st_rdev), rel, de->d_name);
    if (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID))) {
      bool known = false;
      for (size_t i = 0; i < w->setid && i < 64; i++)
        known = known || w->seen[i] == st.st_ino;
      if (!known && w->setid < 64)
        w->seen[w->setid] = st.st_ino;
      w->setid += !known;
    }
    if (S_ISDIR(st.st_mode)) {
      /* Rootless unpacking keeps directories writable by their owner. */
      FUZZ_CHECK((st.st_mode & 0700) == 0700, "directory `%s/%s` mode %o", rel, de->d_name,
                 st.st_mode & 07777);
      cleanup_free char *sub = xasprintf("%s/%s", rel, de->d_name);
      walk(dirfd, sub, w);
    }
  }
  closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int compression;
  cleanup_close int blob = fuzz_tar(data, size, NULL, &compression);
  struct stat bst;
  if (fstat(blob, &bst) < 0)
    die("fstat: %m");
  cleanup_free char *bytes = xmalloc((size_t) bst.st_size + 1);
  if (pread(blob, bytes, (size_t) bst.st_size, 0) != bst.st_size)
    die("read the tar back: %m");
  char digest[KEEP_DIGEST_LEN + 1];
  keep_digest_buf(bytes, (size_t) bst.st_size, digest);

  if (mkdirat(topfd, "root", 0755) < 0)
    die("mkdir root: %m");
  cleanup_close int rootfd = openat(topfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    die("open root: %m");
  struct keep_unpack_opts o = {
      .compression = compression == 1   ? KEEP_LAYER_GZIP
                     : compression == 2 ? KEEP_LAYER_ZSTD
                                        : KEEP_LAYER_TAR,
      .chown = false,
      .id_count = 65536,
      .digest = digest,
      .diff_id = compression ? NULL : digest,
  };
  struct keep_unpack_stats st = {0};
  keep_error *err = NULL;
  int r = keep_layer_unpack(blob, rootfd, &o, &st, &err);
  fuzz_error_done(&err, r);

  cleanup_free char *top = listing(topfd, ".");
  FUZZ_CHECK(strcmp(top, "outside,root") == 0, "beside the layer root: %s", top);
  cleanup_free char *out = listing(topfd, "outside");
  FUZZ_CHECK(strcmp(out, "secret") == 0, "outside the layer root: %s", out);
  struct stat sst;
  char buf[64] = {0};
  cleanup_close int sfd = openat(topfd, "outside/secret", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  FUZZ_CHECK(sfd >= 0 && fstat(sfd, &sst) == 0 && S_ISREG(sst.st_mode), "the secret is gone or replaced");
  FUZZ_CHECK(sst.st_nlink == 1, "the secret has %ju links", (uintmax_t) sst.st_nlink);
  FUZZ_CHECK((sst.st_mode & 07777) == 0600, "the secret's mode is %o", sst.st_mode & 07777);
  FUZZ_CHECK(read(sfd, buf, sizeof(buf) - 1) == (ssize_t) strlen(SECRET) && strcmp(buf, SECRET) == 0,
             "the secret changed");

  struct walk w = {0};
  walk(topfd, "root", &w);
  if (r == 0)
    FUZZ_CHECK(w.setid <= st.setid, "%zu set-id files, %llu counted", w.setid, (unsigned long long) st.setid);
  strv_free(st.setid_paths);
  keep_error *e = NULL;
  if (keep_remove_tree(topfd, "root", &e) < 0)
    die("remove the layer: %s", e->msg);
  return 0;
}
