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
#include "image_trust.h"
#include "layer_unpack.h"
#include "userns.h"
#include "util.h"

int keep_image_commit(struct keep_store *s, const char *manifest, size_t len, const char *tag,
                      const struct keep_trust_record *trust, char *digest_out, keep_error **err)
{
  struct keep_manifest m;
  if (keep_manifest_parse(manifest, len, &m, err) < 0)
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
  /* Before the tag: an image reached by a name always says how it got in. */
  if (keep_trust_record_write(s, digest, trust, err) < 0)
    goto out;
  if (tag && keep_refs_update(s, tag, digest, err) < 0)
    goto out;
  if (digest_out)
    memcpy(digest_out, digest, sizeof(digest));
  r = 0;
out:
  keep_manifest_free(&m);
  return r;
}

/* An unpacker at work in a child process. */
struct unpacker_proc {
  pid_t pid;
  int report; /* read end: the child's result, one line of JSON */
};

/* The unpacker child.  `mapped`: in a user namespace of its own whose root
 * is the container's root on the host, it unpacks with no privilege over
 * anything else (a flaw in the unpacker reaches nothing outside the
 * container's id range); else (rootless) as the user.  It reports the
 * stats, or the error, as one line. */
static noreturn void unpack_child(int blob, int root, const struct keep_unpack_opts *host_o, bool mapped,
                                  int go, int report)
{
  keep_error *e = NULL;
  struct keep_unpack_stats st = {0};
  struct keep_unpack_opts o = *host_o;
  o.allow_devices = false; /* mknod of a device needs the host's root */
  if (mapped) {
    char c;
    o.uid_shift = o.gid_shift = 0; /* ids are the namespace's own now */
    /* Tell the parent the namespace exists, then wait for its maps. */
    if (write(go, "u", 1) != 1 || read(go, &c, 1) != 1)
      _exit(1);
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      keep_fail_errno(&e, "become the mapped root");
  }
  if (e == NULL)
    keep_layer_unpack(blob, root, &o, &st, &e);
  json_t *j = e ? json_pack("{s:s, s:i}", "error", e->msg, "errno", e->errnum)
                : json_pack("{s:I, s:I, s:I}", "entries", (json_int_t) st.entries, "bytes",
                            (json_int_t) st.bytes, "setid_count", (json_int_t) st.setid);
  json_t *paths = json_array();
  for (size_t i = 0; st.setid_paths && st.setid_paths[i]; i++)
    json_array_append_new(paths, json_string(st.setid_paths[i]));
  json_object_set_new(j, "setid", paths);
  char *text = json_dumps(j, JSON_COMPACT);
  if (text == NULL || write_all(report, text, strlen(text)) < 0)
    _exit(1);
  _exit(e ? 2 : 0);
}

/* Start an unpacker reading `blob` (a file, or a pipe being fed: its write
 * end `close_in_child` must not stay open in the child, or no end comes). */
static int unpacker_start(int blob, int root, const struct keep_unpack_opts *o, bool mapped,
                          int close_in_child, struct unpacker_proc *up, keep_error **err)
{
  struct keep_userns_plan plan = {0};
  if (mapped && keep_userns_plan(&plan, err) < 0)
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
    if (close_in_child >= 0)
      close(close_in_child);
    close(go[1]);
    close(report[0]);
    if (mapped && unshare(CLONE_NEWUSER) < 0)
      _exit(3);
    unpack_child(blob, root, o, mapped, go[0], report[1]);
  }
  close(go[0]);
  close(report[1]);
  go[0] = report[1] = -1;
  if (mapped) {
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
  }
  up->pid = pid;
  up->report = steal_fd(&report[0]);
  r = 0;
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

static int unpacker_wait(struct unpacker_proc *up, struct keep_unpack_stats *st, keep_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  cleanup_error keep_error *re = NULL;
  read_fd_all(up->report, "the unpacker's report", &text, &len, &re);
  close(up->report);
  up->report = -1;
  int status = 0;
  waitpid(up->pid, &status, 0);
  up->pid = -1;
  json_t *j = text ? keep_json_parse(text, len, 0, "the unpacker's report", &re) : NULL;
  const char *msg = json_string_value(json_object_get(j, "error"));
  int r = -1;
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
    json_array_foreach (json_object_get(j, "setid"), i, v)
      strv_push(&st->setid_paths, json_string_value(v));
    r = 0;
  }
  json_decref(j);
  return r;
}

/* One layer on its way into layers/<uid>/: unpacked beside, as .tmp-<random>,
 * and renamed when whole, so a layer directory that exists is complete. */
struct keep_layer_job {
  struct keep_store *s;
  int dir; /* layers/<uid>, owned */
  char *tmp;
  int root; /* the .tmp directory */
  char *digest, *diff_id;
  struct keep_unpack_opts o;
  struct unpacker_proc up;
};

static void layer_end(struct keep_layer_job *job)
{
  if (job->up.pid > 0) {
    kill(job->up.pid, SIGKILL);
    waitpid(job->up.pid, NULL, 0);
  }
  if (job->up.report >= 0)
    close(job->up.report);
  if (job->root >= 0)
    close(job->root);
  if (job->tmp) {
    cleanup_error keep_error *ignored = NULL;
    keep_remove_tree(job->dir, job->tmp, &ignored);
  }
  if (job->dir >= 0)
    close(job->dir);
  free(job->tmp);
  free(job->digest);
  free(job->diff_id);
  memset(job, 0, sizeof(*job));
  job->dir = job->root = job->up.report = -1;
}

static int layer_begin(struct keep_store *s, int dir, const struct keep_descriptor *d, const char *diff_id,
                       struct keep_layer_job *job, keep_error **err)
{
  *job = (struct keep_layer_job){.s = s, .dir = -1, .root = -1, .up = {.pid = -1, .report = -1}};
  job->o = (struct keep_unpack_opts){.chown = !s->rootless,
                                     .uid_shift = s->uid_shift,
                                     .gid_shift = s->gid_shift,
                                     .id_count = KEEP_SUBID_COUNT,
                                     .allow_devices = false};
  if (keep_layer_media_type(d->media_type, &job->o.compression, err) < 0)
    return -1;
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  job->digest = xstrdup(d->digest);
  job->diff_id = xstrdup(diff_id);
  job->o.digest = job->digest;
  job->o.diff_id = job->diff_id;
  job->dir = fcntl(dir, F_DUPFD_CLOEXEC, 3);
  if (job->dir < 0) {
    keep_fail_errno(err, "dup the layers directory");
    goto fail;
  }
  char *tmp = xasprintf(".tmp-%s", rnd);
  if (mkdirat(dir, tmp, 0755) < 0) {
    keep_fail_errno(err, "create `%s/layers/%u/%s`", s->root, s->uid_shift, tmp);
    free(tmp);
    goto fail;
  }
  job->tmp = tmp; /* from here on, layer_end removes it */
  job->root = openat(dir, job->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (job->root < 0) {
    keep_fail_errno(err, "open `%s`", job->tmp);
    goto fail;
  }
  if (!s->rootless && fchown(job->root, s->uid_shift, s->gid_shift) < 0) {
    keep_fail_errno(err, "chown `%s`", job->tmp);
    goto fail;
  }
  return 0;
fail:
  layer_end(job);
  return -1;
}

/* The unpacked layer's record beside it, synced, then the layer named. */
static int layer_store(struct keep_layer_job *job, struct keep_unpack_stats *st, keep_error **err)
{
  struct keep_store *s = job->s;
  /* What the layer holds that deserves a look, beside it (keep image inspect). */
  json_t *meta =
      json_pack("{s:I, s:I, s:I, s:o}", "entries", (json_int_t) st->entries, "bytes", (json_int_t) st->bytes,
                "setid_count", (json_int_t) st->setid, "setid", json_array());
  for (size_t i = 0; st->setid_paths && st->setid_paths[i]; i++)
    json_array_append_new(json_object_get(meta, "setid"), json_string(st->setid_paths[i]));
  cleanup_free char *text = json_dumps(meta, JSON_COMPACT);
  json_decref(meta);
  cleanup_free char *meta_tmp = xasprintf("%s.json", job->tmp);
  cleanup_free char *meta_name = xasprintf("%s.json", keep_digest_hex(job->diff_id));
  if (create_file_at(job->dir, meta_tmp, text, 0644, err) < 0 ||
      renameat(job->dir, meta_tmp, job->dir, meta_name) < 0) {
    if (!*err)
      keep_fail_errno(err, "store layer metadata `%s`", meta_name);
    unlinkat(job->dir, meta_tmp, 0);
    return -1;
  }
  /* Durable before it is named: after a crash, a layer directory that exists
   * must not hold files the disk never received. */
  if (syncfs(job->dir) < 0)
    return keep_fail_errno(err, "syncfs `%s`", s->root);
  if (renameat(job->dir, job->tmp, job->dir, keep_digest_hex(job->diff_id)) < 0 && errno != EEXIST &&
      errno != ENOTEMPTY)
    return keep_fail_errno(err, "store layer %.19s", job->digest);
  return 0;
}

static int unpack_layer(struct keep_store *s, int dir, const struct keep_descriptor *d, const char *diff_id,
                        keep_error **err)
{
  struct keep_layer_job job;
  if (layer_begin(s, dir, d, diff_id, &job, err) < 0)
    return -1;
  struct keep_unpack_stats st = {0};
  int r = -1;
  cleanup_close int blob = keep_blob_open(s, d->digest, err);
  if (blob >= 0) {
    if (s->rootless)
      r = keep_layer_unpack(blob, job.root, &job.o, &st, err);
    else if (unpacker_start(blob, job.root, &job.o, true, -1, &job.up, err) == 0)
      r = unpacker_wait(&job.up, &st, err);
    if (r < 0)
      keep_error_wrap(err, "layer %.19s", d->digest);
  }
  if (r == 0)
    r = layer_store(&job, &st, err);
  strv_free(st.setid_paths);
  layer_end(&job);
  return r;
}

int keep_layer_stream_start(struct keep_store *s, int dir, const struct keep_descriptor *d,
                            const char *diff_id, struct keep_layer_job **out, int *feed, keep_error **err)
{
  struct keep_layer_job *job = xcalloc(1, sizeof(*job));
  if (layer_begin(s, dir, d, diff_id, job, err) < 0) {
    free(job);
    return -1;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    keep_fail_errno(err, "pipe");
    goto fail;
  }
  /* Room for the download to run ahead of the unpacker. */
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  int started = unpacker_start(p[0], job->root, &job->o, !s->rootless, p[1], &job->up, err);
  close(p[0]);
  if (started < 0) {
    close(p[1]);
    goto fail;
  }
  *feed = p[1];
  *out = job;
  return 0;
fail:
  layer_end(job);
  free(job);
  return -1;
}

int keep_layer_stream_finish(struct keep_layer_job *job, bool complete, keep_error **err)
{
  int r = 0;
  if (complete) {
    struct keep_unpack_stats st = {0};
    r = unpacker_wait(&job->up, &st, err);
    if (r < 0)
      keep_error_wrap(err, "layer %.19s", job->digest);
    else
      r = layer_store(job, &st, err);
    strv_free(st.setid_paths);
  }
  layer_end(job);
  free(job);
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
