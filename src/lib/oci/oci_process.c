/* The last steps before a process runs in a container, shared by every way
 * one enters it (`keep run`, `run --bundle`, `create`/`start`, `exec`), in
 * one fixed order:
 *   signals reset -> session and terminal -> rlimits -> cwd (verified
 *   inside the root) -> AppArmor profile and SELinux label for the exec ->
 *   bounding set -> groups -> close fds -> [seccomp, without
 *   no_new_privs] -> ids -> capabilities -> no_new_privs -> personality ->
 *   umask -> Landlock -> seccomp -> exec. */
#include "oci_process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "apparmor.h"
#include "caps.h"
#include "landlock.h"
#include "selinux.h"
#include "util.h"

extern char **environ;

static int set_caps(const struct keep_oci_process *p, keep_error **err)
{
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct d[2] = {
      {.effective = (uint32_t) p->caps_effective,
       .permitted = (uint32_t) p->caps_permitted,
       .inheritable = (uint32_t) p->caps_inheritable},
      {.effective = (uint32_t) (p->caps_effective >> 32),
       .permitted = (uint32_t) (p->caps_permitted >> 32),
       .inheritable = (uint32_t) (p->caps_inheritable >> 32)},
  };
  if (syscall(SYS_capset, &h, d) < 0)
    return keep_fail_errno(err, "capset (process.capabilities)");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return keep_fail_errno(err, "clear the ambient capabilities");
  for (int bit = 0; bit < 64; bit++)
    if ((p->caps_ambient >> bit) & 1)
      /* The kernel grants an ambient capability only when it is also
       * inheritable and permitted; crun's and runc's default specs list
       * ambient ones without inheritable.  Not raising it withholds a
       * privilege, never a protection, so it is skipped as they do. */
      if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, bit, 0, 0) < 0 && errno != EPERM)
        return keep_fail_errno(err, "raise ambient capability %d", bit);
  return 0;
}

int keep_oci_caps_grantable(const struct keep_oci_process *p, const char *where, keep_error **err)
{
  if (!p->has_caps)
    return 0;
  /* Only the capabilities asked for are looked up (one prctl each). */
  uint64_t asked =
      p->caps_bounding | p->caps_effective | p->caps_permitted | p->caps_inheritable | p->caps_ambient;
  uint64_t bounding = 0;
  for (int bit = 0; bit < 64; bit++)
    if (((asked >> bit) & 1) && prctl(PR_CAPBSET_READ, bit, 0, 0, 0) == 1)
      bounding |= 1ULL << bit;
  const struct {
    const char *name;
    uint64_t set;
  } sets[] = {
      {"bounding", p->caps_bounding},   {"effective", p->caps_effective},
      {"permitted", p->caps_permitted}, {"inheritable", p->caps_inheritable},
      {"ambient", p->caps_ambient},
  };
  for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
    uint64_t missing = sets[i].set & ~bounding;
    if (missing == 0)
      continue;
    /* No process keep starts can hold a capability keep's own bounding set
     * lacks: say so now, not as a container that dies after `start`. */
    cleanup_free char *name = keep_caps_name(__builtin_ctzll(missing));
    keep_fail(err, EPERM,
              "%s: process.capabilities.%s: %s is not in keep's own bounding set, so no process "
              "it starts can have it",
              where, sets[i].name, name ? name : "an unknown capability");
    return keep_error_hint(err, "drop it from the config, or run keep where its bounding set has it");
  }
  return 0;
}

int keep_oci_lsm_supported(const char *apparmor, const char *selinux, const char *where, keep_error **err)
{
  if (apparmor && *apparmor) {
    cleanup_free char *what = xasprintf("%s.apparmorProfile", where);
    cleanup_free char *resolved = NULL;
    if (keep_apparmor_resolve(apparmor, what, &resolved, err) < 0)
      return -1;
  }
  if (selinux && *selinux) {
    cleanup_free char *what = xasprintf("%s.selinuxLabel", where);
    if (keep_selinux_label_check(selinux, what, err) < 0)
      return -1;
    if (!keep_selinux_enabled())
      return keep_fail(err, ENOTSUP, "%s: SELinux is not enabled on this host", what);
  }
  return 0;
}

static int set_rlimits(const struct keep_oci_process *p, keep_error **err)
{
  for (size_t i = 0; i < p->n_rlimits; i++) {
    struct rlimit r = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (setrlimit(p->rlimits[i].resource, &r) < 0) {
      keep_fail_errno(err, "setrlimit %d to %llu/%llu (process.rlimits[%zu])", p->rlimits[i].resource,
                      (unsigned long long) r.rlim_cur, (unsigned long long) r.rlim_max, i);
      if (errno == EPERM)
        keep_error_hint(err, "raising a hard limit needs CAP_SYS_RESOURCE");
      return -1;
    }
  }
  return 0;
}

static int enter_cwd(const char *cwd, keep_error **err)
{
  if (chdir(cwd) < 0)
    return keep_fail_errno(err, "working directory `%s` (process.cwd)", keep_q(cwd));
  /* CVE-2024-21626: a cwd reached through a leaked fd resolves outside the
   * root and shows as "(unreachable)"; refuse to run there. */
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
    return keep_fail(err, EXDEV, "working directory `%s` (process.cwd) is outside the container",
                     keep_q(cwd));
  return 0;
}

int keep_oci_set_oom_score_adj(pid_t pid, const struct keep_oci_process *p, keep_error **err)
{
  if (!p->has_oom_score_adj)
    return 0;
  char path[64], buf[16];
  snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) pid);
  snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
  /* Rootless, our own /proc files are ours only while we are dumpable. */
  bool own = pid == getpid() && geteuid() != 0;
  if (own)
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  int r = write_file_at(AT_FDCWD, path, buf, err);
  if (own)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (r == 0)
    return 0;
  keep_error_wrap(err, "process.oomScoreAdj %d", p->oom_score_adj);
  if ((*err)->errnum == EACCES)
    return keep_error_hint(err, "lowering it needs CAP_SYS_RESOURCE");
  return -1;
}

/* Nothing the caller blocked or ignored reaches the process: an attached
 * keep blocks the signals it forwards, and a blocked SIGTERM would make a
 * container that cannot be stopped. */
static void reset_signals(void)
{
  struct sigaction sa = {.sa_handler = SIG_DFL};
  for (int s = 1; s < NSIG; s++)
    sigaction(s, &sa, NULL); /* errors for SIGKILL/SIGSTOP/invalid are expected */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

noreturn void keep_oci_process_exec(const struct keep_oci_confine *c)
{
  const struct keep_oci_process *p = c->p;
  const struct keep_seccomp *sc = c->seccomp;
  int tty_fd = c->tty_fd;
  keep_error *err = NULL;
  reset_signals();
  /* A new session: no TIOCSTI into a terminal the caller handed us
   * (CVE-2017-5226). */
  if (setsid() < 0 && errno != EPERM)
    keep_fail_errno(&err, "setsid");
  if (err == NULL && tty_fd >= 0) {
    if (ioctl(tty_fd, TIOCSCTTY, 0) < 0)
      keep_fail_errno(&err, "TIOCSCTTY");
    for (int i = 0; i < 3 && err == NULL; i++)
      if (dup2(tty_fd, i) < 0)
        keep_fail_errno(&err, "dup2 the terminal");
  }
  /* The LSM labels take effect only at the final execve, so setting them
   * this early weakens nothing, and here they need nothing of the layers
   * that follow: no file Landlock would deny (/proc is not writable under
   * it), no system call a filter loaded early might refuse, no credentials
   * the process is about to lose (runc and crun set them early too).
   * no_new_privs, set later, still holds at that execve: the kernel allows
   * a change of AppArmor profile under it only from unconfined or to a
   * subset of the current one. */
  if (err == NULL && (set_rlimits(p, &err) < 0 || enter_cwd(p->cwd, &err) < 0 ||
                      keep_apparmor_exec_profile(c->apparmor_profile, &err) < 0 ||
                      keep_selinux_exec_label(c->selinux_label, &err) < 0 ||
                      keep_caps_drop_bounding(p->caps_bounding, &err) < 0))
    goto fail;
  if (err)
    goto fail;
  if (c->setgroups_allowed && setgroups(p->n_additional_gids, p->additional_gids) < 0) {
    keep_fail_errno(&err, "setgroups (process.user.additionalGids)");
    goto fail;
  }
  /* Nothing of keep's or the caller's beyond stdio reaches the process
   * (CVE-2024-21626).  Before any seccomp filter: a profile need not allow
   * close_range for keep's own sake. */
  /* An observed filter's handover socket (keep trace) stays until the
   * filter is loaded; it is close-on-exec. */
  int handover = keep_seccomp_handover_fd(sc);
  if ((handover > 3 && close_range(3, (unsigned) handover - 1, 0) < 0) ||
      close_range(handover >= 3 ? (unsigned) handover + 1 : 3, ~0U, 0) < 0) {
    keep_fail_errno(&err, "close_range");
    goto fail;
  }
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
   * process may be about to lose: load it now, as runc and crun do. */
  bool seccomp_early = sc && !p->no_new_privileges;
  if (seccomp_early && keep_seccomp_install(sc, &err) < 0)
    goto fail;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
      setresuid(p->uid, p->uid, p->uid) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    keep_fail_errno(&err, "switch to process.user %u:%u", (unsigned) p->uid, (unsigned) p->gid);
    goto fail;
  }
  if (set_caps(p, &err) < 0)
    goto fail;
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    keep_fail_errno(&err, "prctl(PR_SET_NO_NEW_PRIVS)");
    goto fail;
  }
  if (c->has_personality && personality(c->personality) < 0) {
    keep_fail_errno(&err, "personality (linux.personality)");
    goto fail;
  }
  if (p->umask >= 0)
    umask((mode_t) p->umask);
  /* Landlock after no_new_privs, which it needs; the close_range above
   * left no descriptor that would reach past it. */
  if (c->n_landlock_rules && keep_landlock_apply_rules(c->landlock_rules, c->n_landlock_rules, &err) < 0)
    goto fail;
  if (!c->n_landlock_rules && c->landlock_writable &&
      keep_landlock_apply((const char *const *) c->landlock_writable, strv_len(c->landlock_writable),
                          c->landlock_root_writable, &err) < 0)
    goto fail;
  if (sc && !seccomp_early && keep_seccomp_install(sc, &err) < 0)
    goto fail;
  environ = p->env ? p->env : (char *[]){NULL};
  execvp(p->args[0], p->args);
  int e = errno;
  keep_fail(&err, e, "exec `%s`", keep_q(p->args[0]));
  if (e == EPERM && c->apparmor_profile && strcmp(c->apparmor_profile, "unconfined") != 0)
    keep_error_hint(&err,
                    "AppArmor allows no change to profile `%s` under no_new_privs from keep's own "
                    "profile unless it is a subset of it",
                    c->apparmor_profile);
  keep_error_print(err);
  _exit((e == ENOENT || e == ENOTDIR) ? 127 : 126);
fail:
  keep_error_print(err);
  _exit(125);
}
