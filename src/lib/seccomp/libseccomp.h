/* libseccomp, opened when a profile is first compiled or a system call
 * named, not linked: `keep run` with the default profile loads the filter
 * compiled at build time and never calls it, and need not map the library
 * (twice: keep re-executes itself sealed) to start a container. */
#ifndef KEEP_LIBSECCOMP_H
#define KEEP_LIBSECCOMP_H

#include <seccomp.h>

struct keep_libseccomp {
  __typeof__(seccomp_init) *init;
  __typeof__(seccomp_release) *release;
  __typeof__(seccomp_arch_add) *arch_add;
  __typeof__(seccomp_arch_native) *arch_native;
  __typeof__(seccomp_attr_set) *attr_set;
  __typeof__(seccomp_rule_add_array) *rule_add_array;
  __typeof__(seccomp_export_bpf) *export_bpf;
  __typeof__(seccomp_syscall_resolve_name) *resolve_name;
  __typeof__(seccomp_syscall_resolve_num_arch) *resolve_num_arch;
  __typeof__(seccomp_syscall_resolve_name_arch) *resolve_name_arch;
};

/* The library, loaded on first use; keep stops (exit 125, naming the
 * library) when it cannot be loaded: never a profile left unapplied. */
const struct keep_libseccomp *keep_libseccomp(void);

#endif
