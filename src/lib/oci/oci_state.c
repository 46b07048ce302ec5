/* State directories of OCI containers (see oci_state.h). */
#include "oci_state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

char *keep_oci_default_root(void)
{
  if (geteuid() == 0)
    return xstrdup("/run/keep/oci");
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg && xdg[0] == '/')
    return xasprintf("%s/keep/oci", xdg);
  return xasprintf("/tmp/keep-%u/oci", (unsigned) geteuid());
}

bool keep_oci_id_valid(const char *id)
{
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return false;
  for (const char *p = id; *p; p++)
    if (!(*p == '-' || *p == '_' || *p == '.' || *p == '+' || *p == ':' || (*p >= 'a' && *p <= 'z') ||
          (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
      return false;
  return true;
}

static int mkdir_p(const char *path, keep_error **err)
{
  cleanup_free char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
      return keep_fail_errno(err, "mkdir `%s`", p);
    *s = '/';
  }
  if (mkdir(p, 0700) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "mkdir `%s`", p);
  return 0;
}

static int lock_dir(const char *dir, keep_error **err)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", dir);
  /* Concurrent keep calls on one container take turns. */
  if (flock(fd, LOCK_EX) < 0) {
    keep_fail_errno(err, "lock `%s`", dir);
    close(fd);
    return -1;
  }
  return fd;
}

int keep_oci_state_new(const char *root, const char *id, struct keep_oci_state *st, keep_error **err)
{
  memset(st, 0, sizeof(*st));
  st->dirfd = -1;
  if (!keep_oci_id_valid(id))
    return keep_fail(err, EINVAL, "container id `%s` is not valid (letters, digits, `-_.+:` only)", id);
  if (mkdir_p(root, err) < 0)
    return -1;
  st->dir = xasprintf("%s/%s", root, id);
  if (mkdir(st->dir, 0700) < 0) {
    if (errno == EEXIST)
      return keep_fail(err, EEXIST, "container `%s` already exists", id);
    return keep_fail_errno(err, "mkdir `%s`", st->dir);
  }
  st->dirfd = lock_dir(st->dir, err);
  if (st->dirfd < 0) {
    rmdir(st->dir);
    return -1;
  }
  st->id = xstrdup(id);
  st->status = OCI_CREATING;
  return 0;
}

int keep_oci_state_adopt(const char *dir, const char *id, struct keep_oci_state *st, keep_error **err)
{
  memset(st, 0, sizeof(*st));
  st->dirfd = lock_dir(dir, err);
  if (st->dirfd < 0)
    return -1;
  st->dir = xstrdup(dir);
  st->id = xstrdup(id);
  st->status = OCI_CREATING;
  return 0;
}

unsigned long long keep_proc_start_time(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
    return 0;
  /* Field 22, counted after the ")" that ends the command name. */
  char *p = strrchr(text, ')');
  if (p == NULL)
    return 0;
  char state = p[2];
  if (state == 'Z' || state == 'X')
    return 0; /* a zombie has stopped */
  unsigned long long v = 0;
  int field = 3; /* p + 2 is the state, field 3 */
  for (p += 2; *p && field < 22; p++)
    if (*p == ' ')
      field++;
  if (field == 22)
    v = strtoull(p, NULL, 10);
  return v;
}

const char *keep_oci_status_name(enum keep_oci_status s)
{
  switch (s) {
  case OCI_CREATING: return "creating";
  case OCI_CREATED: return "created";
  case OCI_RUNNING: return "running";
  case OCI_PAUSED: return "paused";
  case OCI_STOPPED: return "stopped";
  }
  return "unknown";
}

void keep_oci_state_refresh(struct keep_oci_state *st)
{
  if (st->pid <= 0) {
    st->status = OCI_CREATING;
    return;
  }
  if (keep_proc_start_time(st->pid) != st->start_time) {
    st->status = OCI_STOPPED;
    return;
  }
  if (faccessat(st->dirfd, "started", F_OK, 0) < 0) {
    st->status = OCI_CREATED;
    return;
  }
  st->status = faccessat(st->dirfd, "paused", F_OK, 0) == 0 ? OCI_PAUSED : OCI_RUNNING;
}

int keep_oci_state_open(const char *root, const char *id, struct keep_oci_state *st, keep_error **err)
{
  memset(st, 0, sizeof(*st));
  st->dirfd = -1;
  if (!keep_oci_id_valid(id))
    return keep_fail(err, EINVAL, "container id `%s` is not valid", id);
  st->dir = xasprintf("%s/%s", root, id);
  st->dirfd = lock_dir(st->dir, err);
  if (st->dirfd < 0) {
    if (*err && (*err)->errnum == ENOENT) {
      keep_error_free(err);
      return keep_fail(err, ENOENT, "container `%s` does not exist", id);
    }
    return -1;
  }
  st->id = xstrdup(id);
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(st->dirfd, "state.json", &text, &len, NULL) < 0) {
    /* Being created, or its creator died half-way: `delete` removes it. */
    st->status = OCI_CREATING;
    return 0;
  }
  cleanup_free char *what = xasprintf("%s/state.json", st->dir);
  json_t *j = keep_json_parse(text, len, 0, what, err);
  if (j == NULL)
    return -1;
  st->bundle = xstrdup(json_string_value(json_object_get(j, "bundle")) ?: "");
  st->oci_version = xstrdup(json_string_value(json_object_get(j, "ociVersion")) ?: "1.0.2");
  st->created = xstrdup(json_string_value(json_object_get(j, "created")) ?: "");
  const char *cg = json_string_value(json_object_get(j, "cgroupPath"));
  st->cgroup_rel = cg ? xstrdup(cg) : NULL;
  st->cgroup_owned = json_is_true(json_object_get(j, "cgroupOwned"));
  st->pid = (pid_t) json_integer_value(json_object_get(j, "pid"));
  st->start_time = (unsigned long long) json_integer_value(json_object_get(j, "pidStartTime"));
  json_t *ann = json_object_get(j, "annotations");
  st->annotations = ann ? json_incref(ann) : NULL;
  json_decref(j);
  keep_oci_state_refresh(st);
  return 0;
}

int keep_oci_state_save(const struct keep_oci_state *st, keep_error **err)
{
  json_t *j = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:b}", "ociVersion", st->oci_version, "bundle",
                        st->bundle, "pid", (int) st->pid, "pidStartTime", (json_int_t) st->start_time,
                        "created", st->created, "id", st->id, "cgroupOwned", st->cgroup_owned);
  if (st->cgroup_rel)
    json_object_set_new(j, "cgroupPath", json_string(st->cgroup_rel));
  if (st->annotations)
    json_object_set(j, "annotations", st->annotations);
  cleanup_free char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  int fd = openat(st->dirfd, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return keep_fail_errno(err, "create `%s/state.json.tmp`", st->dir);
  /* Written whole, then renamed: a reader sees the old state or the new,
   * never half of one, whenever keep is killed.  No fsync: the state
   * describes processes, which a power loss ends too (and /run is tmpfs). */
  if (write_all(fd, text, strlen(text)) < 0) {
    close(fd);
    return keep_fail_errno(err, "write `%s/state.json.tmp`", st->dir);
  }
  close(fd);
  if (renameat(st->dirfd, "state.json.tmp", st->dirfd, "state.json") < 0)
    return keep_fail_errno(err, "rename `%s/state.json`", st->dir);
  return 0;
}

json_t *keep_oci_state_json(const struct keep_oci_state *st)
{
  json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", st->oci_version ?: "1.0.2", "id", st->id,
                        "status", keep_oci_status_name(st->status), "pid",
                        st->status == OCI_STOPPED ? 0 : (int) st->pid, "bundle", st->bundle ?: "");
  json_object_set_new(j, "created", json_string(st->created ?: ""));
  json_object_set_new(j, "rootfs", json_string(""));
  if (st->annotations)
    json_object_set(j, "annotations", st->annotations);
  return j;
}

static void remove_all_at(int dirfd)
{
  static const char *const names[] = {"state.json", "state.json.tmp", "config.json",
                                      "exec.fifo",  "started",        "paused"};
  for (size_t i = 0; i < ARRAY_SIZE(names); i++)
    unlinkat(dirfd, names[i], 0);
}

int keep_oci_state_remove(struct keep_oci_state *st, keep_error **err)
{
  remove_all_at(st->dirfd);
  if (rmdir(st->dir) < 0 && errno != ENOENT)
    return keep_fail_errno(err, "remove `%s`", st->dir);
  return 0;
}

void keep_oci_state_free(struct keep_oci_state *st)
{
  free(st->id);
  free(st->bundle);
  free(st->dir);
  free(st->cgroup_rel);
  free(st->oci_version);
  free(st->created);
  if (st->annotations)
    json_decref(st->annotations);
  if (st->dirfd >= 0)
    close(st->dirfd);
  memset(st, 0, sizeof(*st));
  st->dirfd = -1;
}
