#include "libseccomp.h"

#include <dlfcn.h>

#include "keep_build_config.h"
#include "util.h"

const struct keep_libseccomp *keep_libseccomp(void)
{
  static struct keep_libseccomp lib;
  if (lib.init)
    return &lib;
  void *h = dlopen(KEEP_LIBSECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    die("cannot load %s to compile a seccomp profile: %s", KEEP_LIBSECCOMP_SONAME, dlerror());
#define SYM(field, name)                                                                                     \
  if ((*(void **) &lib.field = dlsym(h, name)) == NULL)                                                      \
    die("%s has no %s", KEEP_LIBSECCOMP_SONAME, name);
  SYM(release, "seccomp_release")
  SYM(arch_add, "seccomp_arch_add")
  SYM(arch_native, "seccomp_arch_native")
  SYM(attr_set, "seccomp_attr_set")
  SYM(rule_add_array, "seccomp_rule_add_array")
  SYM(export_bpf, "seccomp_export_bpf")
  SYM(resolve_name, "seccomp_syscall_resolve_name")
  SYM(resolve_num_arch, "seccomp_syscall_resolve_num_arch")
  SYM(resolve_name_arch, "seccomp_syscall_resolve_name_arch")
  SYM(init, "seccomp_init") /* last: it marks the table complete */
#undef SYM
  return &lib;
}
