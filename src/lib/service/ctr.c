/* Finding keep run's containers by name or id prefix, and their status.
 * Status is derived, never stored: the owner lock says whether a keep (the
 * attached run, or a detached container's monitor) still holds it, the
 * init's pid and start time whether it runs, exit.json how it ended. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "oci_state.h"
#include "service.h"
#include "state.h"
#include "util.h"

char **keep_ctr_list(const char *base)
{
  char **ids = NULL;
  cleanup_dir DIR *d = opendir(base);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;)
    if (keep_state_id_valid(e->d_name))
      strv_push(&ids, e->d_name);
  return ids;
}

int keep_ctr_find(const char *base, const char *ref, char id[65], keep_error **err)
{
  if (keep_container_name_valid(ref) && keep_name_lookup(base, ref, id))
    return 0;
  size_t len = strlen(ref);
  bool hex = len >= 3 && len <= 64 && strspn(ref, "0123456789abcdef") == len;
  int found = 0;
  cleanup_strv char **ids = hex ? keep_ctr_list(base) : NULL;
  for (size_t i = 0; ids && ids[i]; i++)
    if (strncmp(ids[i], ref, len) == 0) {
      memcpy(id, ids[i], 65);
      found++;
    }
  if (found == 1)
    return 0;
  if (found > 1)
    return keep_fail(err, EINVAL, "`%s` is the start of %d container ids: give more of it", keep_q(ref),
                     found);
  return keep_fail(err, ENOENT, "no container `%s` (see `keep ps -a`)", keep_q(ref));
}

const char *keep_ctr_status_name(enum keep_ctr_status s)
{
  switch (s) {
  case KEEP_CTR_CREATED: return "created";
  case KEEP_CTR_RUNNING: return "running";
  case KEEP_CTR_EXITED: return "exited";
  case KEEP_CTR_DEAD: return "dead";
  }
  return "unknown";
}

const char *keep_ctr_str(const struct keep_ctr *c, const char *key)
{
  return json_string_value(json_object_get(c->record, key));
}

int keep_ctr_open(const char *base, const char *id, struct keep_ctr *c, keep_error **err)
{
  *c = (struct keep_ctr){.dirfd = -1};
  memcpy(c->id, id, 65);
  c->dir = xasprintf("%s/%s", base, id);
  c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (c->dirfd < 0) {
    if (errno == ENOENT)
      return keep_fail(err, ENOENT, "no container `%.12s` (it was removed)", id);
    return keep_fail_errno(err, "open `%s`", c->dir);
  }
  c->record = keep_json_load_file_at(c->dirfd, "container.json", 0, NULL);
  c->state = keep_json_load_file_at(c->dirfd, "state.json", 0, NULL);
  c->exit = keep_json_load_file_at(c->dirfd, "exit.json", 0, NULL);
  bool alive = keep_owner_alive(base, id);
  if (!alive) {
    c->status = c->exit ? KEEP_CTR_EXITED : KEEP_CTR_DEAD;
    return 0;
  }
  pid_t pid = (pid_t) json_integer_value(json_object_get(c->state, "pid"));
  unsigned long long t = (unsigned long long) json_integer_value(json_object_get(c->state, "pidStartTime"));
  c->status = KEEP_CTR_CREATED;
  if (pid > 0 && keep_proc_start_time(pid) == t && faccessat(c->dirfd, "started", F_OK, 0) == 0) {
    c->status = KEEP_CTR_RUNNING;
    c->pid = pid;
  } else if (c->exit) {
    /* Its monitor is between an exit and a restart. */
    c->status = KEEP_CTR_EXITED;
  }
  return 0;
}

void keep_ctr_free(struct keep_ctr *c)
{
  free(c->dir);
  if (c->dirfd >= 0)
    close(c->dirfd);
  json_decref(c->record);
  json_decref(c->state);
  json_decref(c->exit);
  *c = (struct keep_ctr){.dirfd = -1};
}

int keep_ctr_signal(const struct keep_ctr *c, int sig, keep_error **err)
{
  if (c->status != KEEP_CTR_RUNNING)
    return keep_fail(err, ESRCH, "container `%.12s` is not running", c->id);
  /* A pidfd, checked against the recorded start time after it is open: a
   * pid reused since can never receive the signal. */
  cleanup_close int pidfd = (int) syscall(SYS_pidfd_open, c->pid, 0);
  unsigned long long t = (unsigned long long) json_integer_value(json_object_get(c->state, "pidStartTime"));
  if (pidfd < 0 || keep_proc_start_time(c->pid) != t)
    return keep_fail(err, ESRCH, "container `%.12s` is not running", c->id);
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return keep_fail_errno(err, "signal container `%.12s`", c->id);
  return 0;
}

int keep_ctr_wait_gone(const char *base, const char *id, int timeout_ms)
{
  cleanup_free char *owner = xasprintf("%s/%s/owner", base, id);
  cleanup_close int fd = open(owner, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  /* flock cannot time out; a short poll costs nothing next to a stop. */
  while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return 0;
    if (timeout_ms >= 0) {
      struct timespec t;
      clock_gettime(CLOCK_MONOTONIC, &t);
      long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
      if (ms >= timeout_ms)
        return 1;
    }
    poll(NULL, 0, 10);
  }
  return 0;
}
