/* AppArmor: keep's own profile, loaded where the host has AppArmor, and the
 * profile a container's process changes to when it executes. */
#ifndef KEEP_APPARMOR_H
#define KEEP_APPARMOR_H

#include <stdbool.h>

#include "error.h"

/* The profile's version is in its name: a keep whose profile text changed
 * carries a new name, so it loads its own profile instead of trusting the
 * one an older keep left in the kernel (test-privs pins the text to it). */
#define KEEP_APPARMOR_VERSION 1
#define KEEP_APPARMOR_DEFAULT "keep-default-v1"

/* The host enforces AppArmor: the module is enabled and its filesystem is
 * there (/sys/module/apparmor/parameters/enabled, /sys/kernel/security/apparmor). */
bool keep_apparmor_enabled(void);

/* keep's default profile, named `name`, as apparmor_parser source. */
char *keep_apparmor_profile_text(const char *name);

/* A profile name keep may write as "exec NAME": printable, no space, at
 * most 255 bytes.  `what` names the operand in the error. */
int keep_apparmor_name_check(const char *name, const char *what, keep_error **err);

/* Whether `list` (the kernel's `profiles` file: "NAME (MODE)" lines) has
 * a profile called `name`. */
bool keep_apparmor_list_has(const char *list, const char *name);

/* 1 when the kernel has a profile called `name`, 0 when not, -1 on error. */
int keep_apparmor_loaded(const char *name, keep_error **err);

/* keep's default profile in the kernel: loaded with apparmor_parser when it
 * is not there yet (root), or an error saying who can load it. */
int keep_apparmor_ensure_default(keep_error **err);

/* What a container runs under, from what was asked (`--security-opt
 * apparmor=` value, NULL: keep's default): on a host without AppArmor,
 * *out = NULL (nothing changes) unless a profile was named, which is an
 * error.  Otherwise the profile, loaded and checked, or "unconfined". */
int keep_apparmor_resolve(const char *asked, const char *what, char **out, keep_error **err);

/* In the container's process, before its final execve: run `profile` from
 * that execve on (nothing for NULL, "" or "unconfined").  Writes "exec
 * PROFILE" to the process's own attr file of a verified procfs. */
int keep_apparmor_exec_profile(const char *profile, keep_error **err);

/* The same kind of write, for any LSM: `value` to /proc/thread-self/attr/
 * `attr` (`fallback` when the kernel has no such file), through the procfs
 * mounted at /proc, checked to be one. */
int keep_lsm_attr_write(const char *attr, const char *fallback, const char *value, const char *what,
                        keep_error **err);

#endif
