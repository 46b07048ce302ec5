/* The container's system-call filter.
 *
 * The default profile is an allowlist at least as strict as Docker's default:
 * denied syscalls fail with EPERM, syscalls unknown to the profile (newer
 * than it) fail with ENOSYS so libc fallbacks (clone3, faccessat2) work.
 * It covers x86_64, i386 and x32.  The default is compiled to BPF at build
 * time; custom profiles are compiled once and cached by content hash. */
#ifndef KEEP_SECCOMP_H
#define KEEP_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

struct keep_seccomp; /* a ready-to-load BPF program */

/* In the parent, before anything is created: build the filter to install.
 * profile_path == NULL: the default profile for the given kept capabilities
 * (cap_add is a bitmask of CAP_* bits; some caps widen the profile as in
 * Docker's).  profile_path: a Docker/containers JSON profile.  cache_dir may
 * be NULL (no cache).  Malformed JSON is an error naming the field. */
int keep_seccomp_prepare(const char *profile_path, uint64_t cap_add, const char *cache_dir,
                         struct keep_seccomp **out, keep_error **err);

/* The linux.seccomp object of an OCI config (same format as a profile). */
struct json_t;
int keep_seccomp_prepare_json(struct json_t *obj, const char *label, struct keep_seccomp **out,
                              keep_error **err);
/* SCMP_ACT_NOTIFY rules in an OCI profile (seccomp_notify.c): where the
 * listener goes (NULL when the profile has none) and the opaque metadata
 * sent with it (NULL when unset). */
const char *keep_seccomp_listener_path(const struct keep_seccomp *f);
const char *keep_seccomp_listener_metadata(const struct keep_seccomp *f);
/* In the container's init during `create`: load the notify rules as a
 * filter of their own; returns the listener fd. */
int keep_seccomp_install_listener(const struct keep_seccomp *f, keep_error **err);
/* In the container, last thing before execve (after no_new_privs). */
int keep_seccomp_install(const struct keep_seccomp *f, keep_error **err);

/* keep trace and keep run --log-denied (seccomp_observe.c): the profile
 * keep_seccomp_prepare would give (profile_path; NULL: keep's default; or
 * unconfined: allow everything), compiled so that the calls `observe`
 * names stop in SECCOMP_RET_USER_NOTIF for keep's tracer, which answers
 * each with the profile's own decision (keep_seccomp_decide).  The
 * container's confinement step leaves handover_sock open and sends the
 * listener through it when it loads the filter. */
enum {
  KEEP_SECCOMP_OBSERVE_ALLOWED = 1, /* allowed calls: recorded, then continued */
  KEEP_SECCOMP_OBSERVE_DENIED = 2,  /* calls denied with an errno other than ENOSYS: logged, then failed */
};
int keep_seccomp_prepare_observed(const char *profile_path, bool unconfined, uint64_t cap_add,
                                  unsigned observe, int handover_sock, struct keep_seccomp **out,
                                  keep_error **err);
/* The descriptor the confinement step must leave open, or -1. */
int keep_seccomp_handover_fd(const struct keep_seccomp *f);
/* What the profile as written answers for a call: a SECCOMP_RET_* value. */
struct seccomp_data;
uint32_t keep_seccomp_decide(const struct keep_seccomp *f, const struct seccomp_data *d);

void keep_seccomp_free(struct keep_seccomp *f);

/* Print the default profile as Docker-format JSON (for `keep seccomp default`
 * and for giving peers the same profile in benchmarks). */
int keep_seccomp_print_default(FILE *out, keep_error **err);

#endif
