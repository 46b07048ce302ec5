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

struct sc_rule {
  char **names;         /* NULL-terminated */
  uint32_t action;      /* SCMP_ACT_* */
  struct sc_arg args[6];
  unsigned n_args;
};

struct sc_profile {
  uint32_t default_action;
  unsigned int flags;   /* SECCOMP_FILTER_FLAG_* */
  struct sc_rule *rules;
  size_t n_rules;
};

void sc_profile_free(struct sc_profile *p);
void sc_profile_add(struct sc_profile *p, const char *names, uint32_t action,
                    const struct sc_arg *args, unsigned n_args);

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

/* Docker/containers JSON profile. */
struct json_t;
int sc_parse_json_obj(struct json_t *root, const char *label, uint64_t cap_add, struct sc_profile *out,
                      keep_error **err);
int sc_parse_json(const char *path, uint64_t cap_add, struct sc_profile *out, keep_error **err);
int sc_print_json(const struct sc_profile *p, FILE *out, keep_error **err);

#endif
