/* Thin wrappers for the system calls glibc does not wrap, and the mount
 * helpers every fd-relative operation under a container root goes through. */
#ifndef KEEP_SYSCALLS_H
#define KEEP_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/types.h>

#include "error.h"

int sys_pivot_root(const char *new_root, const char *put_old);
long sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/* Resolve `path` inside the tree rooted at rootfd, never escaping it
 * (RESOLVE_IN_ROOT: ".." and absolute symlinks stay inside) and never
 * through magic links.  Returns an O_PATH fd. */
int open_in_root(int rootfd, const char *path, int extra_flags, keep_error **err);
/* Like open_in_root, but refuse any symlink on the way: for the mount points
 * keep itself owns (/proc, /sys, /dev, /tmp, /run), a symlink is an attack. */
int open_in_root_nofollow(int rootfd, const char *path, int extra_flags, keep_error **err);

/* Open a host path the operator gave (absolute, or relative to the working
 * directory) as an O_PATH fd without following a symlink in any component:
 * the path names the object itself, and a directory on the way that someone
 * else can write (a volume another container shares) cannot redirect it.
 * openat2(RESOLVE_NO_SYMLINKS); where the kernel has no openat2, a walk one
 * component at a time with O_NOFOLLOW.  Returns -1 with errno; on a symlink
 * errno is ELOOP and *link / *target (when given; caller frees) name the
 * first symlink on the way and what it points to. */
int open_host_nofollow(const char *path, int extra_flags, char **link, char **target);
/* The component walk alone (the fallback, exposed so tests can force it). */
int open_host_nofollow_walk(const char *path, int extra_flags, char **link, char **target);
/* open_host_nofollow with keep's error: `what` ("volume source") names the
 * path, and a symlink is refused in one line naming the link and its target. */
int open_host_nofollow_checked(const char *path, const char *what, keep_error **err);

/* Create a new filesystem instance (fsopen/fsconfig/fsmount) with string
 * options "key=value,key2" and mount attributes; returns the mount fd. */
int fs_new_mount(const char *fstype, const char *options, unsigned int attrs, keep_error **err);
/* The same with the source mountinfo shows (fs_new_mount uses the type). */
int fs_new_mount_source(const char *fstype, const char *source, const char *options, unsigned int attrs,
                        keep_error **err);
/* Attach a detached mount fd on the object target_fd refers to. */
int mount_attach(int mnt_fd, int target_fd, const char *what, const char *where, keep_error **err);
/* Set (and clear) attributes on the mount mnt_fd refers to. */
int mount_set_attrs(int mnt_fd, unsigned int set, unsigned int clr, int recursive, const char *what,
                    keep_error **err);
/* Detached bind clone of dirfd/path (AT_EMPTY_PATH when path is ""). */
int bind_clone(int dirfd, const char *path, int recursive, keep_error **err);

/* mkdir -p of `path` below rootfd, one component at a time, never following
 * a symlink (`..` refused): returns an O_PATH fd of the last directory. */
int mkdirs_in_root(int rootfd, const char *path, keep_error **err);
/* The same, ending in a directory or (dir false) an empty file, which is
 * created unless it exists; returns an O_PATH fd of it. */
int create_in_root(int rootfd, const char *path, bool dir, keep_error **err);

#endif
