/* An observed filter: keep trace records what the workload calls, keep run
 * --log-denied names what its profile refuses.
 *
 * The profile is compiled twice.  The filter the workload loads is the
 * profile with the observed actions (allow and log; or errno other than
 * ENOSYS) turned into SECCOMP_RET_USER_NOTIF.  keep's tracer, outside the
 * container, holds its listener and runs the profile as written (`decide`)
 * on each notification's seccomp_data: an allowed call is recorded and
 * continued (SECCOMP_USER_NOTIF_FLAG_CONTINUE), a denied one fails with the
 * profile's errno.  The decision reads the registers only, as the filter
 * itself does, so the answers are the profile's own: observing never widens
 * it.  Calls the profile kills, traps or answers ENOSYS are never notified.
 * If the tracer dies, the kernel fails every notified call with ENOSYS:
 * closed, never open.
 *
 * The listener must leave the workload, which loads the filter as the last
 * thing before execve: any call it made after that to send the listener
 * would itself wait for a listener nobody holds (crun #1002).  So a helper
 * that the filter does not cover sends it: cloned with CLONE_FILES just
 * before the filter is loaded, it shares the workload's descriptor table,
 * sees the listener appear at the number the kernel gives it (the lowest
 * free one, which nothing else allocates meanwhile), sends it on
 * handover_sock, and closes it in the shared table, so that only the tracer
 * holds it.  The helper is the workload's sibling (CLONE_PARENT): keep's
 * init reaps it, and the workload never sees a child it did not make. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "seccomp_internal.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static uint32_t observed(uint32_t action, unsigned observe)
{
  bool allowed = action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG;
  bool denied = (action & 0xffff0000u) == SCMP_ACT_ERRNO(0) && (action & 0xffffu) != ENOSYS;
  if ((allowed && (observe & KEEP_SECCOMP_OBSERVE_ALLOWED)) ||
      (denied && (observe & KEEP_SECCOMP_OBSERVE_DENIED)))
    return SCMP_ACT_NOTIFY;
  return action;
}

int keep_seccomp_prepare_observed(const char *profile_path, bool unconfined, uint64_t cap_add,
                                  unsigned observe, int handover_sock, struct keep_seccomp **out,
                                  keep_error **err)
{
  const char *label = unconfined ? "unconfined" : profile_path ? profile_path : "default";
  struct sc_profile p = {.default_action = SCMP_ACT_ALLOW};
  if (profile_path && !unconfined) {
    if (sc_parse_json(profile_path, cap_add, &p, err) < 0)
      return -1;
  } else if (!unconfined) {
    sc_default_profile(cap_add, &p);
  }
  struct keep_seccomp *s = sc_seccomp_new();
  s->flags = p.flags | SECCOMP_FILTER_FLAG_NEW_LISTENER;
  int r = 0;
  if (sc_profile_has_notify(&p))
    r = keep_fail(
        err, ENOTSUP,
        "seccomp profile `%s`: SCMP_ACT_NOTIFY cannot be observed: keep's tracer holds the listener", label);
  if (r == 0 && (sc_compile_prog(&p, &s->decide, &s->decide_owned, err) < 0 ||
                 sc_check_exec_allowed(&s->decide, label, err) < 0))
    r = -1;
  if (r == 0) {
    p.default_action = observed(p.default_action, observe);
    for (size_t i = 0; i < p.n_rules; i++)
      p.rules[i].action = observed(p.rules[i].action, observe);
    r = sc_compile_prog(&p, &s->prog, &s->owned, err);
  }
  sc_profile_free(&p);
  if (r < 0) {
    keep_seccomp_free(s);
    return keep_error_wrap(err, "seccomp profile `%s`", label);
  }
  s->handover_sock = handover_sock;
  *out = s;
  return 0;
}

int keep_seccomp_handover_fd(const struct keep_seccomp *f)
{
  return f ? f->handover_sock : -1;
}

uint32_t keep_seccomp_decide(const struct keep_seccomp *f, const struct seccomp_data *d)
{
  uint32_t ret = SECCOMP_RET_KILL_PROCESS;
  if (sc_bpf_run(f->decide.filter, f->decide.len, d, &ret) < 0)
    return SECCOMP_RET_KILL_PROCESS; /* never: it compiled; fail closed */
  return ret;
}

/* The helper: no allocation (it shares the descriptor table), no return. */
static noreturn void hand_over(int sock, int listener)
{
  const struct timespec pause = {.tv_nsec = 20000};
  /* The workload loads its filter within microseconds; 20 s is a bound for
   * a host under heavy load, never reached otherwise. */
  for (long i = 0; i < 1000000; i++) {
    if (fcntl(listener, F_GETFD) >= 0) {
      char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
      memset(cbuf, 0, sizeof(cbuf));
      struct iovec iov = {.iov_base = &byte, .iov_len = 1};
      struct msghdr m = {
          .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
      struct cmsghdr *c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &listener, sizeof(int));
      ssize_t n = sendmsg(sock, &m, MSG_NOSIGNAL);
      /* Gone from the shared table: the tracer's copy is the only one (or,
       * if the send failed, none is left and the workload's calls fail
       * with ENOSYS instead of waiting for good). */
      close(listener);
      close(sock);
      _exit(n == 1 ? 0 : 1);
    }
    if (fcntl(sock, F_GETFD) < 0)
      _exit(1); /* the workload could not load the filter: it closed the socket */
    nanosleep(&pause, NULL);
  }
  _exit(1);
}

int sc_install_observed(const struct keep_seccomp *f, keep_error **err)
{
  int sock = f->handover_sock;
  int listener = fcntl(sock, F_DUPFD_CLOEXEC, 0);
  if (listener < 0)
    return keep_fail_errno(err, "seccomp: find the listener's descriptor");
  close(listener); /* the lowest free number: the kernel gives it to the listener */
  long pid = syscall(SYS_clone, CLONE_FILES | CLONE_PARENT, 0, NULL, NULL, 0);
  if (pid < 0 && errno == EINVAL) /* the init of a PID namespace has no parent to share */
    pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    return keep_fail_errno(err, "seccomp: clone the listener's courier");
  if (pid == 0)
    hand_over(sock, listener);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog);
  if (fd < 0) {
    int e = errno;
    close(sock);
    errno = e;
    return keep_fail_errno(err, "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)");
  }
  /* From here every call but the prologue's ENOSYS ones waits for the
   * tracer; the next is execve. */
  return 0;
}
