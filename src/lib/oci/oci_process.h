/* Running the process of an OCI config (create/start and exec). */
#ifndef KEEP_OCI_PROCESS_H
#define KEEP_OCI_PROCESS_H

#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "oci_spec.h"
#include "seccomp_filter.h"

/* process.oomScoreAdj, set on `pid` from outside the container: the
 * container's processes are not dumpable, so their /proc files belong to
 * host root, which their user namespace does not map.  Children and execve
 * keep the value. */
int keep_oci_set_oom_score_adj(pid_t pid, const struct keep_oci_process *p, keep_error **err);

/* Refuse capabilities that no process started by keep can hold (outside
 * keep's own bounding set), naming the set and the capability. */
int keep_oci_caps_grantable(const struct keep_oci_process *p, const char *where, keep_error **err);

/* The AppArmor profile and SELinux label asked for (NULL or "": none) can
 * be applied on this host: the LSM is enabled, the name well-formed, the
 * AppArmor profile loaded (keep's own loaded now if it is the one).  One
 * line naming `where`.apparmorProfile or .selinuxLabel otherwise. */
int keep_oci_lsm_supported(const char *apparmor, const char *selinux, const char *where, keep_error **err);

/* In the container, root and cwd already inside it: confine and exec.
 * Never returns; exits 125 (setup), 126 (cannot exec) or 127 (not found).
 * How one process is confined, beside what its process object says. */
struct keep_oci_confine {
  const struct keep_oci_process *p;
  const struct keep_seccomp *seccomp; /* NULL: unconfined */
  int tty_fd;                         /* the terminal to make controlling, or -1 */
  bool setgroups_allowed;             /* false in a user namespace that denies it */
  bool has_personality;
  unsigned long personality;
  char *const *landlock_writable; /* keep run: a Landlock domain writing only there; NULL: none */
  bool landlock_root_writable;    /* --read-write: the root too */
  /* keep run --security-opt landlock=RULES: these instead (n > 0). */
  const struct keep_landlock_rule *landlock_rules;
  size_t n_landlock_rules;
  /* The AppArmor profile and SELinux label the process executes under;
   * NULL: keep's own (no change). */
  const char *apparmor_profile, *selinux_label;
};

noreturn void keep_oci_process_exec(const struct keep_oci_confine *c);

#endif
