/* OCI start, and run (create + start, then wait when attached). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "config.h"
#include "oci_create_internal.h"
#include "util.h"

static int open_fifo_for_start(struct keep_oci_state *st, keep_error **err)
{
  int fd = openat(st->dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO)
      return keep_fail(err, ESRCH, "container `%s` is not waiting to start", st->id);
    return keep_fail_errno(err, "open `%s/exec.fifo`", st->dir);
  }
  return fd;
}

static int load_stored_spec(struct keep_oci_state *st, struct keep_oci_spec *s, keep_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(st->dirfd, "config.json", &text, &len, err) < 0)
    return -1;
  return keep_oci_spec_parse_len(st->bundle, text, len, s, err);
}

/* Wake the container's init: it execs the process, or ends when there is none. */
static int release_init(struct keep_oci_state *st, const struct keep_oci_spec *s, keep_error **err)
{
  cleanup_close int fifo = open_fifo_for_start(st, err);
  if (fifo < 0)
    return -1;
  cleanup_close int mark = openat(st->dirfd, "started", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (mark < 0)
    return keep_fail_errno(err, "mark `%s` started", st->id);
  keep_fault_point("start-marked");
  if (write(fifo, "1", 1) != 1)
    return keep_fail_errno(err, "start `%s`", st->id);
  if (!s->process.present)
    return keep_fail(
        err, 0, "config.json: process: not set, so container `%s` has nothing to start (it is now stopped)",
        st->id);
  return 0;
}

/* `spec`: the config create just parsed (run), or NULL to read the one
 * create stored (start). */
static int start_locked(struct keep_oci_state *st, const struct keep_oci_spec *spec, keep_error **err)
{
  if (st->status != OCI_CREATED)
    return keep_fail(err, 0, "container `%s` is %s: only a created container can be started", st->id,
                     keep_oci_status_name(st->status));
  struct keep_oci_spec stored;
  if (spec == NULL) {
    if (load_stored_spec(st, &stored, err) < 0)
      return -1;
    spec = &stored;
  }
  int r = release_init(st, spec, err);
  if (r == 0) {
    st->status = OCI_RUNNING;
    keep_error *e = NULL;
    /* A failing poststart hook is reported, the container keeps running. */
    if (keep_oci_run_hooks(spec, OCI_HOOK_POSTSTART, st, &e) < 0) {
      keep_error_wrap(&e, "poststart");
      keep_error_print(e);
      keep_error_free(&e);
    }
  }
  if (spec == &stored)
    keep_oci_spec_free(&stored);
  return r;
}

int keep_oci_start(const char *root, const char *id, keep_error **err)
{
  struct keep_oci_state st;
  if (keep_oci_state_open(root, id, &st, err) < 0) {
    keep_oci_state_free(&st);
    return -1;
  }
  int r = start_locked(&st, NULL, err);
  keep_oci_state_free(&st);
  return r;
}

int keep_oci_run(const struct keep_oci_create_opts *o, int *exit_code, keep_error **err)
{
  struct create_res r = OCI_CREATE_RES_INIT;
  sigset_t mask, old;
  sigprocmask(SIG_SETMASK, NULL, &old);
  int ret = oci_do_create(o, !o->detach, &mask, &old, &r, err);
  if (ret == 0)
    ret = start_locked(&r.st, &r.spec, err);
  if (ret == 0 && o->detach) {
    r.done = true;
    if (o->ext) {
      o->ext->init_pid = r.child;
      o->ext->master = steal_fd(&r.master);
      o->ext->run_lock = o->ext->reuse ? o->ext->reuse_lock : steal_fd(&r.run_lock);
    }
    r.child = 0;
  } else if (ret == 0) {
    /* Attached: forward signals and relay the terminal, wait, then delete
     * like `--rm`.  keep run's stdin reaches the container only with -i;
     * SIGTERM becomes the image's StopSignal. */
    const struct keep_oci_run_ext *x = o->ext;
    struct keep_oci_attach a = {.child = r.child,
                                .master = r.master,
                                .interactive = x ? x->cfg->proc.interactive : true,
                                .stop_signal = x ? x->cfg->stop_signal : 0,
                                .mask = &mask};
    /* keep run: others may now open the state (keep exec, inspect, stop);
     * the owner lock still says this keep runs it. */
    if (x)
      flock(r.st.dirfd, LOCK_UN);
    ret = keep_oci_attach(&a, exit_code, err);
    if (ret < 0)
      goto out;
    r.child = 0;
    if (x)
      keep_fault_point("run-exited");
    keep_error *e = NULL;
    if (keep_oci_run_hooks(&r.spec, OCI_HOOK_POSTSTOP, &r.st, &e) < 0) {
      keep_error_print(e);
      keep_error_free(&e);
    }
  }
out:
  oci_create_release(&r);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}
