/* What happens when a detached container's init exits: its monitor runs
 * keep again, which records the end (exit.json), removes the cgroup, and
 * tells the caller whether the restart policy wants it run again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "network.h"
#include "service.h"
#include "state.h"
#include "util.h"

/* "oom_kill N" of cgroup v2's memory.events or v1's memory.oom_control. */
static unsigned long long oom_kills(const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf("%s/%s", dir, file);
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
    return 0;
  const char *p = strstr(text, "oom_kill ");
  return p ? strtoull(p + 9, NULL, 10) : 0;
}

bool keep_service_end_cgroup(const char *rel)
{
  struct keep_cgroup *cg = NULL;
  if (rel == NULL || keep_cgroup_open_at(rel, &cg, NULL) < 0)
    return false;
  const char *const *names, *const *dirs;
  size_t n = keep_cgroup_dirs(cg, &names, &dirs);
  unsigned long long kills = 0;
  for (size_t i = 0; i < n; i++) {
    if (names[i][0] == '\0')
      kills += oom_kills(dirs[i], "memory.events");
    else if (strcmp(names[i], "memory") == 0)
      kills += oom_kills(dirs[i], "memory.oom_control");
  }
  keep_error *e = NULL;
  if (keep_cgroup_destroy(cg, &e) < 0)
    keep_error_free(&e); /* `keep gc` retries */
  return kills > 0;
}

/* The disk is full (the log filled it): first the rotated logs go, then
 * the older half of the live one.  Returns false when there is nothing left
 * to give. */
static bool make_room(int dfd, int step)
{
  if (step == 0) {
    bool any = false;
    for (int i = 1; i <= 100; i++) {
      char name[32];
      snprintf(name, sizeof(name), "ctr.log.%d", i);
      any = unlinkat(dfd, name, 0) == 0 || any;
    }
    return any || make_room(dfd, 1);
  }
  if (step != 1)
    return false;
  cleanup_close int fd = openat(dfd, "ctr.log", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 2)
    return false;
  size_t keep = (size_t) st.st_size / 2;
  cleanup_free char *tail = xmalloc(keep);
  if (pread(fd, tail, keep, st.st_size - (off_t) keep) != (ssize_t) keep)
    return false;
  /* From the first whole record on. */
  char *nl = memchr(tail, '\n', keep);
  size_t skip = nl ? (size_t) (nl - tail) + 1 : keep;
  if (ftruncate(fd, 0) < 0)
    return false;
  return pwrite(fd, tail + skip, keep - skip, 0) >= 0;
}

/* exit.json, written whole, then renamed: a reader sees the old record or
 * the new one. */
static int write_exit_record(int dfd, const char *dir, const char *text, keep_error **err)
{
  int r = create_file_at(dfd, "exit.json.tmp", text, 0600, err);
  if (r == 0 && renameat(dfd, "exit.json.tmp", dfd, "exit.json") < 0)
    r = keep_fail_errno(err, "rename `%s/exit.json`", dir);
  if (r < 0)
    unlinkat(dfd, "exit.json.tmp", 0);
  return r;
}

/* Should the policy run it again?  `keep stop` never restarts. */
static bool wants_restart(const json_t *record, int code, int restarts, bool stopped)
{
  const json_t *r = json_object_get(record, "restart");
  const char *policy = json_string_value(json_object_get(r, "policy"));
  int max = (int) json_integer_value(json_object_get(r, "max"));
  if (stopped || policy == NULL)
    return false;
  if (strcmp(policy, "always") == 0)
    return true;
  return strcmp(policy, "on-failure") == 0 && code != 0 && (max == 0 || restarts < max);
}

int keep_service_exited(const char *base, const char *id, int lock, const struct keep_exit_info *x,
                        keep_error **err)
{
  (void) lock;
  cleanup_free char *dir = xasprintf("%s/%s", base, id);
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return keep_fail_errno(err, "open `%s`", dir);
  json_t *record = keep_json_load_file_at(dfd, "container.json", 0, NULL);
  json_t *state = keep_json_load_file_at(dfd, "state.json", 0, NULL);
  json_t *prev = keep_json_load_file_at(dfd, "exit.json", 0, NULL);
  bool oom = keep_service_end_cgroup(json_string_value(json_object_get(state, "cgroupPath")));
  /* Its addresses and names go with it (a restart joins again). */
  keep_net_release(base, id);
  bool stopped = faccessat(dfd, "stopping", F_OK, 0) == 0;
  int restarts = (int) json_integer_value(json_object_get(prev, "restartCount"));
  unsigned long long dropped =
      x->log_dropped + (unsigned long long) json_integer_value(json_object_get(prev, "logDropped"));
  bool again = wants_restart(record, x->exit_code, restarts, stopped);
  cleanup_free char *finished = keep_now_rfc3339();
  json_t *ex = json_pack("{s:i, s:b, s:s, s:s, s:i, s:I, s:b}", "exitCode", x->exit_code, "oomKilled", oom,
                         "startedAt", json_string_value(json_object_get(state, "created")) ?: "",
                         "finishedAt", finished, "restartCount", restarts + (again ? 1 : 0), "logDropped",
                         (json_int_t) dropped, "stoppedByUser", stopped);
  cleanup_free char *text = json_dumps(ex, JSON_COMPACT);
  json_decref(ex);
  json_decref(record);
  json_decref(state);
  json_decref(prev);
  /* A log that filled the disk gives way to the record of the exit. */
  int r = -1;
  for (int room = 0; r < 0 && room < 3; room++) {
    keep_error_free(err);
    r = write_exit_record(dfd, dir, text, err);
    if (r < 0 && !make_room(dfd, room))
      break;
  }
  /* What only a live container has. */
  unlinkat(dfd, "started", 0);
  unlinkat(dfd, "exec.fifo", 0);
  unlinkat(dfd, "stopping", 0);
  if (r < 0)
    return -1;
  return again ? 1 : 0;
}

int keep_service_note_restart_error(const char *base, const char *id, const char *msg)
{
  cleanup_free char *dir = xasprintf("%s/%s", base, id);
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  json_t *ex = dfd < 0 ? NULL : keep_json_load_file_at(dfd, "exit.json", 0, NULL);
  if (ex == NULL)
    return -1;
  json_object_set_new(ex, "restartError", json_string(msg));
  cleanup_free char *text = json_dumps(ex, JSON_COMPACT);
  json_decref(ex);
  return write_exit_record(dfd, dir, text, NULL);
}
