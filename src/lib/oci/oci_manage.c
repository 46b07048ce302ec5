/* OCI kill, delete, pause/resume and ps. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fault.h"
#include "oci_runtime.h"
#include "util.h"

/* Signal the container's process through a pidfd taken after checking the
 * start time, so a recycled pid is never signalled. */
static int signal_process(const struct keep_oci_state *st, int sig, keep_error **err)
{
  int pfd = (int) syscall(SYS_pidfd_open, st->pid, 0);
  if (pfd < 0)
    return keep_fail_errno(err, "pidfd_open %d", (int) st->pid);
  if (keep_proc_start_time(st->pid) != st->start_time) {
    close(pfd);
    return keep_fail(err, ESRCH, "container `%s` is stopped", st->id);
  }
  int r = (int) syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
  int e = errno;
  close(pfd);
  if (r < 0)
    return keep_fail(err, e, "signal %d to container `%s`", sig, st->id);
  return 0;
}

static int open_state(const char *root, const char *id, struct keep_oci_state *st, keep_error **err)
{
  if (keep_oci_state_open(root, id, st, err) < 0) {
    keep_oci_state_free(st);
    return -1;
  }
  return 0;
}

int keep_oci_kill(const char *root, const char *id, int sig, bool all, keep_error **err)
{
  struct keep_oci_state st;
  if (open_state(root, id, &st, err) < 0)
    return -1;
  int r = 0;
  if (st.status == OCI_STOPPED || st.status == OCI_CREATING) {
    r = keep_fail(err, ESRCH, "container `%s` is %s: nothing to signal", id, keep_oci_status_name(st.status));
  } else if (all && st.cgroup_rel) {
    struct keep_cgroup *cg = NULL;
    pid_t *pids = NULL;
    size_t n = 0;
    if (keep_cgroup_open_at(st.cgroup_rel, &cg, err) < 0 || keep_cgroup_pids(cg, &pids, &n, err) < 0)
      r = -1;
    for (size_t i = 0; r == 0 && i < n; i++)
      kill(pids[i], sig);
    free(pids);
    keep_cgroup_forget(cg);
  } else {
    r = signal_process(&st, sig, err);
  }
  keep_oci_state_free(&st);
  return r;
}

static void wait_gone(const struct keep_oci_state *st)
{
  for (int i = 0; i < 500 && keep_proc_start_time(st->pid) == st->start_time; i++) {
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

int keep_oci_delete(const char *root, const char *id, bool force, keep_error **err)
{
  struct keep_oci_state st;
  if (open_state(root, id, &st, err) < 0)
    return -1;
  int r = 0;
  cleanup_free char *text = NULL; /* before the first goto: the exit path frees it */
  if ((st.status == OCI_RUNNING || st.status == OCI_PAUSED) && !force) {
    r = keep_fail(err, EBUSY, "container `%s` is %s", id, keep_oci_status_name(st.status));
    keep_error_hint(err, "stop it first (`keep kill %s KILL`) or pass --force", id);
    goto out;
  }
  struct keep_oci_spec s = {0};
  bool have_spec = false;
  size_t text_len = 0;
  if (read_file_at(st.dirfd, "config.json", &text, &text_len, NULL) == 0 &&
      keep_oci_spec_parse_len(st.bundle ? st.bundle : "/", text, text_len, &s, NULL) == 0)
    have_spec = true;
  if (st.status != OCI_STOPPED && st.status != OCI_CREATING) {
    signal_process(&st, SIGKILL, NULL);
    wait_gone(&st);
    keep_fault_point("delete-killed");
  }
  if (st.cgroup_rel && st.cgroup_owned) {
    struct keep_cgroup *cg = NULL;
    keep_error *e = NULL;
    if (keep_cgroup_open_at(st.cgroup_rel, &cg, &e) == 0) {
      if (st.status == OCI_PAUSED)
        keep_cgroup_freeze(cg, false, NULL);
      if (keep_cgroup_destroy(cg, err) < 0)
        r = -1;
      keep_fault_point("delete-cgroup");
    }
    keep_error_free(&e);
  }
  if (r == 0 && keep_oci_state_remove(&st, err) < 0)
    r = -1;
  if (have_spec) {
    keep_error *e = NULL;
    st.status = OCI_STOPPED;
    /* poststop failures are reported, the delete stands. */
    if (keep_oci_run_hooks(&s, OCI_HOOK_POSTSTOP, &st, &e) < 0) {
      keep_error_wrap(&e, "poststop");
      keep_error_print(e);
      keep_error_free(&e);
    }
    keep_oci_spec_free(&s);
  }
out:
  keep_oci_state_free(&st);
  return r;
}

int keep_oci_pause(const char *root, const char *id, bool pause, keep_error **err)
{
  struct keep_oci_state st;
  if (open_state(root, id, &st, err) < 0)
    return -1;
  int r = -1;
  struct keep_cgroup *cg = NULL;
  enum keep_oci_status want = pause ? OCI_RUNNING : OCI_PAUSED;
  if (st.status != want) {
    keep_fail(err, 0, "container `%s` is %s: only a %s container can be %s", id,
              keep_oci_status_name(st.status), keep_oci_status_name(want), pause ? "paused" : "resumed");
  } else if (st.cgroup_rel == NULL) {
    keep_fail(err, ENOTSUP, "container `%s` has no cgroup to freeze", id);
  } else if (keep_cgroup_open_at(st.cgroup_rel, &cg, err) == 0 && keep_cgroup_freeze(cg, pause, err) == 0) {
    if (pause) {
      int fd = openat(st.dirfd, "paused", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0)
        close(fd);
    } else {
      unlinkat(st.dirfd, "paused", 0);
    }
    r = 0;
  }
  keep_cgroup_forget(cg);
  keep_oci_state_free(&st);
  return r;
}

int keep_oci_pids(const char *root, const char *id, pid_t **pids, size_t *n, keep_error **err)
{
  struct keep_oci_state st;
  if (open_state(root, id, &st, err) < 0)
    return -1;
  int r = 0;
  *pids = NULL;
  *n = 0;
  if (st.cgroup_rel) {
    struct keep_cgroup *cg = NULL;
    if (keep_cgroup_open_at(st.cgroup_rel, &cg, err) < 0 || keep_cgroup_pids(cg, pids, n, err) < 0)
      r = st.status == OCI_STOPPED ? 0 : -1;
    keep_cgroup_forget(cg);
  } else if (st.status != OCI_STOPPED) {
    *pids = xcalloc(1, sizeof(pid_t));
    (*pids)[0] = st.pid;
    *n = 1;
  }
  keep_oci_state_free(&st);
  return r;
}
