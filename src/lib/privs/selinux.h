/* SELinux: the label a container's process executes with, and the context
 * of the filesystems keep mounts for it. */
#ifndef KEEP_SELINUX_H
#define KEEP_SELINUX_H

#include <stdbool.h>

#include "error.h"

/* The host has SELinux enabled (selinuxfs mounted at /sys/fs/selinux). */
bool keep_selinux_enabled(void);

/* "user:role:type:level": printable, no space, at least three colons'
 * worth of fields (user, role, type), at most 4095 bytes. */
int keep_selinux_label_check(const char *label, const char *what, keep_error **err);

/* Whether a filesystem of this type takes linux.mountLabel as its context=
 * (as runc: tmpfs, mqueue, devpts; never proc, sysfs, cgroup or binds). */
bool keep_selinux_labels_fs(const char *fstype);

/* Mount data with context="LABEL" added (quoted: MLS levels hold commas). */
char *keep_selinux_mount_data(const char *data, const char *label);

/* In the container's process, before its final execve: execute with
 * `label` (nothing for NULL or "").  Writes /proc/thread-self/attr/exec. */
int keep_selinux_exec_label(const char *label, keep_error **err);

#endif
