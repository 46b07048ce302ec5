/* Unpacking an image's layers into the store, and recording new images
 * (which unpacks them): the part of the image code that needs libarchive,
 * linked into keep-images only. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "image.h"
#include "layer_unpack.h"
#include "userns.h"
#include "util.h"

int keep_image_commit(struct keep_store *s, const char *manifest, size_t len, const char *tag,
                      char *digest_out, keep_error **err)
{
  struct keep_manifest m;
  if (keep_manifest_parse(manifest, &m, err) < 0)
    return -1;
  int r = -1;
  if (!keep_blob_exists(s, m.config.digest)) {
    keep_fail(err, ENOENT, "manifest.config: blob %s is missing", m.config.digest);
    goto out;
  }
  for (size_t i = 0; i < m.n_layers; i++)
    if (!keep_blob_exists(s, m.layers[i].digest)) {
      keep_fail(err, ENOENT, "manifest.layers[%zu]: blob %s is missing", i, m.layers[i].digest);
      goto out;
    }
  char digest[KEEP_DIGEST_LEN + 1];
  if (keep_blob_put(s, manifest, len, NULL, digest, err) < 0)
    goto out;
  /* Unpack before the tag is filed: an image whose layers cannot be
   * unpacked safely never gets a name, and the first run starts at once. */
  struct keep_image img;
  char **dirs = NULL;
  if (keep_image_open(s, digest, &img, err) < 0)
    goto out;
  int u = keep_image_layers(s, &img, &dirs, err);
  keep_image_free(&img);
  strv_free(dirs);
  if (u < 0)
    goto out;
  /* Every blob the tag reaches is on disk before the tag is: the syncfs
   * before the last layer was named covered them (the manifest and config
   * came first), else sync now.  The tag's own fsync commits the renames. */
  if (tag && u == 0 && syncfs(s->dirfd) < 0) {
    keep_fail_errno(err, "syncfs `%s`", s->root);
    goto out;
  }
  if (tag && keep_refs_update(s, tag, digest, err) < 0)
    goto out;
  if (digest_out)
    memcpy(digest_out, digest, sizeof(digest));
  r = 0;
out:
  keep_manifest_free(&m);
  return r;
}

/* The child of unpack_as_mapped_root: in a user namespace of its own whose
 * root is the container's root on the host, it unpacks with no privilege
 * over anything else (a flaw in the unpacker reaches nothing outside the
 * container's id range).  It reports the stats, or the error, as one line. */
static noreturn void unpack_child(int blob, int root, const struct keep_unpack_opts *host_o, int go, int report)
{
  char c;
  keep_error *e = NULL;
  struct keep_unpack_stats st = {0};
  struct keep_unpack_opts o = *host_o;
  o.uid_shift = o.gid_shift = 0;   /* ids are the namespace's own now */
  o.allow_devices = false;         /* mknod of a device needs the host's root */
  /* Tell the parent the namespace exists, then wait for its maps. */
  if (write(go, "u", 1) != 1 || read(go, &c, 1) != 1)
    _exit(1);
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
    keep_fail_errno(&e, "become the mapped root");
  else
    keep_layer_unpack(blob, root, &o, &st, &e);
  json_t *j = e ? json_pack("{s:s, s:i}", "error", e->msg, "errno", e->errnum)
                : json_pack("{s:I, s:I, s:I}", "entries", (json_int_t) st.entries, "bytes", (json_int_t) st.bytes,
                            "setid_count", (json_int_t) st.setid);
  json_t *paths = json_array();
  for (size_t i = 0; st.setid_paths && st.setid_paths[i]; i++)
    json_array_append_new(paths, json_string(st.setid_paths[i]));
  json_object_set_new(j, "setid", paths);
  char *text = json_dumps(j, JSON_COMPACT);
  if (text == NULL || write_all(report, text, strlen(text)) < 0)
    _exit(1);
  _exit(e ? 2 : 0);
}

static int unpack_as_mapped_root(int blob, int root, const struct keep_unpack_opts *o,
                                 struct keep_unpack_stats *st, keep_error **err)
{
  struct keep_userns_plan plan = {0};
  if (keep_userns_plan(&plan, err) < 0)
    return -1;
  int go[2] = {-1, -1}, report[2] = {-1, -1}, r = -1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0 || pipe2(report, O_CLOEXEC) < 0) {
    keep_fail_errno(err, "pipe");
    goto out;
  }
  pid_t pid = fork();
  if (pid < 0) {
    keep_fail_errno(err, "fork the unpacker");
    goto out;
  }
  if (pid == 0) {
    close(go[1]);
    close(report[0]);
    if (unshare(CLONE_NEWUSER) < 0)
      _exit(3);
    unpack_child(blob, root, o, go[0], report[1]);
  }
  close(go[0]);
  close(report[1]);
  go[0] = report[1] = -1;
  /* The child unshares first and says so; only then do /proc/<pid>/uid_map
   * and gid_map belong to its new namespace. */
  char ready;
  ssize_t got = read(go[1], &ready, 1);
  if (got != 1 || keep_userns_apply(&plan, pid, err) < 0 || write(go[1], "g", 1) != 1) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (got == 0)
      keep_fail(err, 0, "start the unpacker: it could not create a user namespace (unshare CLONE_NEWUSER)");
    else if (*err == NULL)
      keep_fail_errno(err, "start the unpacker in its user namespace");
    goto out;
  }
  cleanup_free char *text = NULL;
  cleanup_error keep_error *re = NULL;
  cleanup_free char *path = xasprintf("/proc/self/fd/%d", report[0]);
  read_file_at(AT_FDCWD, path, &text, NULL, &re);
  int status = 0;
  waitpid(pid, &status, 0);
  json_t *j = text ? json_loads(text, 0, NULL) : NULL;
  const char *msg = json_string_value(json_object_get(j, "error"));
  if (j == NULL) {
    keep_fail(err, 0, "the unpacker died (status %d)", status);
  } else if (msg) {
    keep_fail(err, (int) json_integer_value(json_object_get(j, "errno")), "%s", msg);
  } else {
    st->entries = (uint64_t) json_integer_value(json_object_get(j, "entries"));
    st->bytes = (uint64_t) json_integer_value(json_object_get(j, "bytes"));
    st->setid = (uint64_t) json_integer_value(json_object_get(j, "setid_count"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "setid"), i, v) strv_push(&st->setid_paths, json_string_value(v));
    r = 0;
  }
  json_decref(j);
out:
  for (int i = 0; i < 2; i++) {
    if (go[i] >= 0)
      close(go[i]);
    if (report[i] >= 0)
      close(report[i]);
  }
  keep_userns_plan_free(&plan);
  return r;
}

static int unpack_layer(struct keep_store *s, int dir, const struct keep_descriptor *d, const char *diff_id,
                        keep_error **err)
{
  struct keep_unpack_opts o = {
      .chown = !s->rootless, .uid_shift = s->uid_shift, .gid_shift = s->gid_shift,
      .id_count = KEEP_SUBID_COUNT, .allow_devices = false, .digest = d->digest, .diff_id = diff_id};
  if (keep_layer_media_type(d->media_type, &o.compression, err) < 0)
    return -1;
  cleanup_close int blob = keep_blob_open(s, d->digest, err);
  if (blob < 0)
    return -1;
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  /* Unpack beside, rename when whole: a layer directory that exists is complete. */
  cleanup_free char *tmp = xasprintf(".tmp-%s", rnd);
  if (mkdirat(dir, tmp, 0755) < 0)
    return keep_fail_errno(err, "create `%s/layers/%u/%s`", s->root, s->uid_shift, tmp);
  int r = -1;
  cleanup_free char *text = NULL, *meta_tmp = NULL, *meta_name = NULL;
  cleanup_close int root = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) {
    keep_fail_errno(err, "open `%s`", tmp);
    goto out;
  }
  if (!s->rootless && fchown(root, s->uid_shift, s->gid_shift) < 0) {
    keep_fail_errno(err, "chown `%s`", tmp);
    goto out;
  }
  struct keep_unpack_stats st = {0};
  if ((s->rootless ? keep_layer_unpack(blob, root, &o, &st, err) : unpack_as_mapped_root(blob, root, &o, &st, err)) <
      0) {
    strv_free(st.setid_paths);
    keep_error_wrap(err, "layer %.19s", d->digest);
    goto out;
  }
  /* What the layer holds that deserves a look, beside it (keep image inspect). */
  json_t *meta = json_pack("{s:I, s:I, s:I, s:o}", "entries", (json_int_t) st.entries, "bytes",
                           (json_int_t) st.bytes, "setid_count", (json_int_t) st.setid, "setid", json_array());
  for (size_t i = 0; st.setid_paths && st.setid_paths[i]; i++)
    json_array_append_new(json_object_get(meta, "setid"), json_string(st.setid_paths[i]));
  strv_free(st.setid_paths);
  text = json_dumps(meta, JSON_COMPACT);
  json_decref(meta);
  meta_tmp = xasprintf("%s.json", tmp);
  meta_name = xasprintf("%s.json", keep_digest_hex(diff_id));
  if (create_file_at(dir, meta_tmp, text, 0644, err) < 0 || renameat(dir, meta_tmp, dir, meta_name) < 0) {
    if (!*err)
      keep_fail_errno(err, "store layer metadata `%s`", meta_name);
    unlinkat(dir, meta_tmp, 0);
    goto out;
  }
  /* Durable before it is named: after a crash, a layer directory that exists
   * must not hold files the disk never received. */
  if (syncfs(dir) < 0) {
    keep_fail_errno(err, "syncfs `%s`", s->root);
    goto out;
  }
  if (renameat(dir, tmp, dir, keep_digest_hex(diff_id)) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
    keep_fail_errno(err, "store layer %.19s", d->digest);
    goto out;
  }
  r = 0;
out:
  {
    cleanup_error keep_error *ignored = NULL;
    keep_remove_tree(dir, tmp, &ignored);
  }
  return r;
}

int keep_image_layers(struct keep_store *s, const struct keep_image *img, char ***dirs, keep_error **err)
{
  cleanup_close int dir = keep_image_layers_dir(s, err);
  if (dir < 0)
    return -1;
  int unpacked = 0;
  char **out = NULL;
  for (size_t i = 0; i < img->manifest.n_layers; i++) {
    const struct keep_descriptor *d = &img->manifest.layers[i];
    /* Keyed by the uncompressed digest: the same layer shipped gzipped by a
     * registry and plain in a `docker save` archive is unpacked once. */
    const char *hex = keep_digest_hex(img->config.diff_ids[i]);
    struct stat st;
    if (fstatat(dir, hex, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (unpack_layer(s, dir, d, img->config.diff_ids[i], err) < 0) {
        strv_free(out);
        return -1;
      }
      unpacked++;
    }
    cleanup_free char *p = xasprintf("%s/layers/%u/%s", s->root, s->uid_shift, hex);
    strv_push(&out, p);
  }
  *dirs = out;
  return unpacked;
}

