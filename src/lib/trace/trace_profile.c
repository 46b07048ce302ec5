/* The learned profile: sets of calls and argument values, and the rules
 * they make. */
#include "trace_profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const trace_narrowed_names[TRACE_NARROWED] = {"clone", "personality", "socket"};

int trace_narrowed_index(const char *name)
{
  for (int i = 0; i < TRACE_NARROWED; i++)
    if (strcmp(name, trace_narrowed_names[i]) == 0)
      return i;
  return -1;
}

void trace_profile_free(struct trace_profile *t)
{
  strv_free(t->names);
  for (int i = 0; i < TRACE_NARROWED; i++)
    free(t->values[i]);
  sc_profile_free(&t->kept);
  memset(t, 0, sizeof(*t));
}

/* Binary search: the index of `name`, or where it goes (*found false). */
static size_t name_slot(const struct trace_profile *t, const char *name, bool *found)
{
  size_t lo = 0, hi = t->n_names;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(t->names[mid], name);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

void trace_profile_add_name(struct trace_profile *t, const char *name)
{
  bool found;
  size_t at = name_slot(t, name, &found);
  if (found)
    return;
  t->names = xrealloc(t->names, (t->n_names + 2) * sizeof(*t->names));
  memmove(&t->names[at + 1], &t->names[at], (t->n_names - at) * sizeof(*t->names));
  t->names[at] = xstrdup(name);
  t->names[++t->n_names] = NULL;
}

static bool has_name(const struct trace_profile *t, const char *name)
{
  bool found;
  name_slot(t, name, &found);
  return found;
}

void trace_profile_add_value(struct trace_profile *t, int which, uint64_t value)
{
  uint64_t *v = t->values[which];
  size_t n = t->n_values[which], at = 0;
  while (at < n && v[at] < value)
    at++;
  if (at < n && v[at] == value)
    return;
  v = xrealloc(v, (n + 1) * sizeof(*v));
  memmove(&v[at + 1], &v[at], (n - at) * sizeof(*v));
  v[at] = value;
  t->values[which] = v;
  t->n_values[which] = n + 1;
}

/* A rule "allow NAME when argument 0 == value". */
static bool single_eq(const struct sc_rule *r, int *which)
{
  if (r->n_args != 1 || r->args[0].index != 0 || r->args[0].op != SCMP_CMP_EQ || strv_len(r->names) != 1)
    return false;
  *which = trace_narrowed_index(r->names[0]);
  return *which >= 0;
}

static bool same_rule(const struct sc_rule *a, const struct sc_rule *b)
{
  if (a->action != b->action || a->n_args != b->n_args || strv_len(a->names) != strv_len(b->names))
    return false;
  for (size_t i = 0; a->names[i]; i++)
    if (strcmp(a->names[i], b->names[i]) != 0)
      return false;
  return memcmp(a->args, b->args, a->n_args * sizeof(a->args[0])) == 0;
}

void trace_profile_merge(struct trace_profile *t, const struct sc_profile *p)
{
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct sc_rule *r = &p->rules[i];
    if (r->action != SCMP_ACT_ALLOW && r->action != SCMP_ACT_LOG)
      continue;
    int which;
    if (r->n_args == 0) {
      for (size_t k = 0; r->names && r->names[k]; k++)
        trace_profile_add_name(t, r->names[k]);
    } else if (single_eq(r, &which)) {
      trace_profile_add_value(t, which, r->args[0].value);
    } else {
      bool dup = false;
      for (size_t k = 0; k < t->kept.n_rules && !dup; k++)
        dup = same_rule(&t->kept.rules[k], r);
      if (!dup)
        sc_profile_add_strv(&t->kept, strv_dup(r->names), SCMP_ACT_ALLOW, r->args, r->n_args);
    }
  }
}

size_t trace_profile_count(const struct trace_profile *t)
{
  size_t n = t->n_names;
  for (int i = 0; i < TRACE_NARROWED; i++)
    if (t->n_values[i] && !has_name(t, trace_narrowed_names[i]))
      n++;
  return n;
}

void trace_profile_rules(const struct trace_profile *t, struct sc_profile *out)
{
  *out = (struct sc_profile){.default_action = SCMP_ACT_ERRNO(EPERM)};
  if (t->n_names)
    sc_profile_add_strv(out, strv_dup(t->names), SCMP_ACT_ALLOW, NULL, 0);
  for (int w = 0; w < TRACE_NARROWED; w++) {
    const char *name = trace_narrowed_names[w];
    if (has_name(t, name) || t->n_values[w] == 0)
      continue; /* allowed whatever its arguments, or never seen */
    if (w == TRACE_CLONE && t->n_values[w] > TRACE_MAX_CLONE_VALUES) {
      /* No flag outside those seen (each value seen passed the profile
       * traced under, so their union holds no flag it refused). */
      uint64_t seen = 0;
      for (size_t i = 0; i < t->n_values[w]; i++)
        seen |= t->values[w][i];
      struct sc_arg a = {.index = 0, .op = SCMP_CMP_MASKED_EQ, .value = ~seen & 0xffffffffu, .value_two = 0};
      sc_profile_add(out, name, SCMP_ACT_ALLOW, &a, 1);
      continue;
    }
    for (size_t i = 0; i < t->n_values[w]; i++) {
      struct sc_arg a = {.index = 0, .op = SCMP_CMP_EQ, .value = t->values[w][i]};
      sc_profile_add(out, name, SCMP_ACT_ALLOW, &a, 1);
    }
  }
  if (!has_name(t, "clone3"))
    sc_profile_add(out, "clone3", SCMP_ACT_ERRNO(ENOSYS), NULL, 0);
  for (size_t i = 0; i < t->kept.n_rules; i++) {
    const struct sc_rule *r = &t->kept.rules[i];
    sc_profile_add_strv(out, strv_dup(r->names), r->action, r->args, r->n_args);
  }
}
