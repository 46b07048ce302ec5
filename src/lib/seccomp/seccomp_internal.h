#ifndef KEEP_SECCOMP_INTERNAL_H
#define KEEP_SECCOMP_INTERNAL_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

struct sc_arg {
  unsigned index;
  enum scmp_compare op;
  uint64_t value, value_two;
};

/* Bounds on what a profile (a file or linux.seccomp) may hold, far above
 * real ones: Docker's default has ~60 rules, ~370 names, ~10 names in rules
 * with args; libseccomp knows ~480 names in all.  Work is n log n in the
 * names, but libseccomp's compile time grows with the square of the
 * comparison chains (rules with args), so those are bounded tighter. */
#define SC_MAX_RULES 1024    /* syscalls[] */
#define SC_MAX_NAMES 1024    /* names of one rule */
#define SC_MAX_ARGS 6        /* args of one rule: one per argument of a call */
#define SC_MAX_ARG_NAMES 512 /* names of rules with args, in the whole profile */

struct sc_rule {
  char **names;    /* NULL-terminated */
  uint32_t action; /* SCMP_ACT_* */
  struct sc_arg args[SC_MAX_ARGS];
  unsigned n_args;
  long origin; /* its index in the profile's syscalls[], or -1 */
};

struct sc_profile {
  uint32_t default_action;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
  struct sc_rule *rules;
  size_t n_rules;
};

/* A ready-to-load filter (seccomp_filter.h). */
#include <linux/filter.h>
struct keep_seccomp {
  struct sock_fprog prog;
  unsigned int flags;
  unsigned char *owned; /* NULL when prog points at the built-in filter */
  /* The profile's SCMP_ACT_NOTIFY rules (seccomp_notify.c), or len 0. */
  struct sock_fprog listener;
  unsigned int listener_flags;
  unsigned char *listener_owned;
  char *listener_path, *listener_metadata;
  /* An observed filter (seccomp_observe.c): prog notifies keep's tracer,
   * which decides each call by running `decide` (the profile as written);
   * the listener goes out through handover_sock.  -1 and len 0 otherwise. */
  int handover_sock;
  struct sock_fprog decide;
  unsigned char *decide_owned;
};

struct keep_seccomp *sc_seccomp_new(void);
/* Compile `p` into `prog` (sock_filter array in *owned), within the
 * kernel's instruction limit. */
int sc_compile_prog(const struct sc_profile *p, struct sock_fprog *prog, unsigned char **owned,
                    keep_error **err);
/* A profile that denies execve is refused (keep execs the process after
 * loading the filter). */
int sc_check_exec_allowed(const struct sock_fprog *prog, const char *label, keep_error **err);
/* Load an observed filter and hand its listener over (seccomp_observe.c). */
int sc_install_observed(const struct keep_seccomp *f, keep_error **err);

void sc_profile_free(struct sc_profile *p);
/* `names`: space-separated (keep's own table). */
void sc_profile_add(struct sc_profile *p, const char *names, uint32_t action, const struct sc_arg *args,
                    unsigned n_args);
/* `names`: NULL-terminated, owned by the profile from now on. */
void sc_profile_add_strv(struct sc_profile *p, char **names, uint32_t action, const struct sc_arg *args,
                         unsigned n_args);

/* SCMP_ACT_NOTIFY rules (seccomp_notify.c): move them from `p` into a
 * listener profile of their own, refusing any on a call keep's init makes. */
bool sc_profile_has_notify(const struct sc_profile *p);
int sc_profile_split_notify(struct sc_profile *p, struct sc_profile *listener, const char *label,
                            keep_error **err);

/* The default profile for the given kept capabilities (seccomp_default_table.c). */
void sc_default_profile(uint64_t cap_add, struct sc_profile *out);
/* Capabilities that widen the default profile. */
uint64_t sc_widening_caps(void);

/* Compile to a BPF program (sock_filter array), with keep's ENOSYS
 * prologue for syscalls newer than libseccomp knows. */
int sc_compile(const struct sc_profile *p, unsigned char **bpf, size_t *len, keep_error **err);

/* Run a classic BPF program on `d` as the kernel would: 0 with the
 * program's return value in *ret, -1 for a program the kernel would not
 * accept. */
struct sock_filter;
struct seccomp_data;
int sc_bpf_run(const struct sock_filter *f, size_t len, const struct seccomp_data *d, uint32_t *ret);

/* Docker/containers JSON profile. */
struct json_t;
int sc_parse_json_obj(struct json_t *root, const char *label, uint64_t cap_add, struct sc_profile *out,
                      keep_error **err);
int sc_parse_json(const char *path, uint64_t cap_add, struct sc_profile *out, keep_error **err);
int sc_print_json(const struct sc_profile *p, FILE *out, keep_error **err);

#endif
