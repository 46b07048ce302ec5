/* What keep trace learned, as a least-privilege seccomp profile: pure
 * logic (sets of names and argument values, merging, the rules they make),
 * unit-tested apart from the tracer. */
#ifndef KEEP_TRACE_PROFILE_H
#define KEEP_TRACE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "seccomp_internal.h"

/* The calls whose first argument the profile narrows to the values seen:
 * clone's flags (a namespace flag is an escape route), personality's
 * persona (READ_IMPLIES_EXEC and friends), socket's family (AF_VSOCK,
 * AF_NETLINK, AF_PACKET are attack surface a service rarely needs). */
enum { TRACE_CLONE, TRACE_PERSONALITY, TRACE_SOCKET, TRACE_NARROWED };
extern const char *const trace_narrowed_names[TRACE_NARROWED];

/* Above this many distinct clone flag values, one rule allows any
 * combination of the flags seen instead of each value. */
#define TRACE_MAX_CLONE_VALUES 16

struct trace_profile {
  char **names; /* allowed with any arguments: sorted, unique, NULL-terminated */
  size_t n_names;
  uint64_t *values[TRACE_NARROWED]; /* sorted, unique */
  size_t n_values[TRACE_NARROWED];
  struct sc_profile kept; /* allow rules of a merged profile that fold into neither */
};

void trace_profile_free(struct trace_profile *t);
/* A call seen (any arguments) or, for a narrowed call, one value seen. */
void trace_profile_add_name(struct trace_profile *t, const char *name);
void trace_profile_add_value(struct trace_profile *t, int which, uint64_t value);
/* The index of a narrowed call's name, or -1. */
int trace_narrowed_index(const char *name);
/* Fold in the allow rules of a parsed profile (an earlier keep trace's, or
 * any Docker-format one): names, one-value comparisons on the narrowed
 * calls; other allow rules are kept as they are.  Its other actions and its
 * default are not carried: the output's are keep's. */
void trace_profile_merge(struct trace_profile *t, const struct sc_profile *p);
/* The profile to write: default EPERM, exactly what was seen allowed,
 * clone3 ENOSYS unless it was seen (its flags are in memory, which a
 * filter cannot read: libc then falls back to clone, whose flags it can). */
void trace_profile_rules(const struct trace_profile *t, struct sc_profile *out);
/* How many calls the profile allows (names, counting a narrowed call once). */
size_t trace_profile_count(const struct trace_profile *t);

#endif
