/* SCMP_ACT_NOTIFY: a profile's notify rules become a filter of their own.
 *
 * The listener must reach the agent during `create`, but the container's
 * filter is loaded by its init right before execve, after `start`.  So a
 * profile with notify rules is split in two:
 *   - the listener filter: default allow, only the notify rules; loaded by
 *     the init at the end of `create` with SECCOMP_FILTER_FLAG_NEW_LISTENER,
 *     its fd handed to keep's parent, which sends it to listenerPath;
 *   - the main filter: the profile with its notify rules turned into allow
 *     (the listener filter decides those), loaded before execve as always.
 * The kernel runs both and takes the strictest answer (kill > trap > errno
 * > notify > trace > log > allow), so the pair behaves as the profile does
 * (a call matching a notify rule and, through overlapping arguments, a
 * laxer rule as well is notified).
 *
 * From loading the listener filter to execve, keep's init itself runs under
 * it.  Its system calls there (handing the fd over, waiting on exec.fifo,
 * dropping privileges, loading the main filter) must not be notified: one
 * made before the agent holds the listener would wait forever, and an agent
 * answering a fake success for, say, setresuid or seccomp would leave the
 * process more privileged than the config says.  A profile that notifies on
 * any of them is refused, naming the call. */
#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>

#include "seccomp_internal.h"
#include "util.h"

/* What keep's init calls from loading the listener filter up to (not
 * including) the process's execve, on every path that can succeed (checked
 * with strace).  execve itself may be notified: by then the process is as
 * confined as the config asks, whatever the agent answers. */
static const char *const init_syscalls[] = {
    /* handing the listener over, waiting for `start` */
    "sendmsg",
    "close",
    "prctl",
    "poll",
    "ppoll",
    "read",
    /* startContainer hooks */
    "pipe2",
    "clone",
    "clone3",
    "dup2",
    "dup3",
    "write",
    "wait4",
    "kill",
    "rt_sigaction",
    /* the process's session, terminal, limits, cwd, ids, capabilities, fds, filter */
    "setsid",
    "ioctl",
    "openat",
    "setrlimit",
    "prlimit64",
    "chdir",
    "getcwd",
    "setgroups",
    "setresgid",
    "setresuid",
    "capset",
    "personality",
    "umask",
    "close_range",
    "seccomp",
};

bool sc_profile_has_notify(const struct sc_profile *p)
{
  for (size_t i = 0; i < p->n_rules; i++)
    if (p->rules[i].action == SCMP_ACT_NOTIFY)
      return true;
  return false;
}

int sc_profile_split_notify(struct sc_profile *p, struct sc_profile *listener, const char *label,
                            keep_error **err)
{
  memset(listener, 0, sizeof(*listener));
  listener->default_action = SCMP_ACT_ALLOW;
  /* SPEC_ALLOW must be on every filter to take effect; LOG is harmless. */
  listener->flags = p->flags & (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  for (size_t i = 0; i < p->n_rules; i++) {
    struct sc_rule *r = &p->rules[i];
    if (r->action != SCMP_ACT_NOTIFY)
      continue;
    for (size_t n = 0; r->names && r->names[n]; n++)
      for (size_t k = 0; k < ARRAY_SIZE(init_syscalls); k++)
        if (strcmp(r->names[n], init_syscalls[k]) == 0) {
          sc_profile_free(listener);
          return keep_fail(err, ENOTSUP,
                           "seccomp profile `%s`: SCMP_ACT_NOTIFY on `%s` is refused: keep's init makes that "
                           "call itself after the listener exists and before the process runs",
                           label, r->names[n]);
        }
    listener->rules = xrealloc(listener->rules, (listener->n_rules + 1) * sizeof(*listener->rules));
    struct sc_rule *copy = &listener->rules[listener->n_rules++];
    *copy = *r;
    copy->names = NULL;
    for (size_t n = 0; r->names && r->names[n]; n++)
      strv_push(&copy->names, r->names[n]);
    r->action = SCMP_ACT_ALLOW;
  }
  return 0;
}
