/* The user namespace: container root is an unprivileged uid on the host. */
#ifndef KEEP_USERNS_H
#define KEEP_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Without an /etc/subuid entry for the user `keep`, root's containers map
 * 0..65535 here: far above anything useradd hands out (SUB_UID_MAX is
 * 600100000 by default), so no host user or other tool's range collides. */
#define KEEP_DEFAULT_SUBID_BASE 1000000000u
#define KEEP_SUBID_COUNT 65536u

struct keep_idmap {
  uint32_t inside, outside, count;
};

struct keep_userns_plan {
  struct keep_idmap uid[5], gid[5]; /* the kernel takes at most 5 lines unprivileged */
  size_t n_uid, n_gid;
  bool use_helpers;    /* newuidmap/newgidmap (rootless with a subuid range) */
  bool deny_setgroups; /* single-uid rootless map: setgroups must be denied */
  bool tty_gid_mapped; /* gid 5 exists inside */
  char *notice;        /* one line to tell the user (or NULL) */
};

/* Decide the mapping for the caller (root or not). */
int keep_userns_plan(struct keep_userns_plan *out, keep_error **err);
void keep_userns_plan_free(struct keep_userns_plan *p);

/* In the parent: write the maps of the child `pid`. */
int keep_userns_apply(const struct keep_userns_plan *p, pid_t pid, keep_error **err);
/* The same for a child whose user namespace was made inside `parent` (a
 * user namespace of the caller's mapped with the same plan): from a child
 * that enters `parent`, the maps written in its ids (each range to itself),
 * so the container's ids on the host are the plan's all the same. */
int keep_userns_apply_nested(const struct keep_userns_plan *p, pid_t pid, int parent, keep_error **err);

/* A user namespace carrying the given maps, as an fd of nsfs (for an
 * idmapped mount): made by a short-lived child that is killed and reaped
 * before this returns, the fd alone keeps the namespace alive.  Needs the
 * privilege to write those maps (host root). */
int keep_userns_open(const struct keep_idmap *uid, size_t n_uid, const struct keep_idmap *gid, size_t n_gid,
                     keep_error **err);

/* Pure: find `user` (or the decimal uid) in /etc/subuid-format text. */
int keep_subid_find(const char *content, const char *user, uid_t uid, uint32_t *start, uint32_t *count);

#endif
