/* Docker/containers-format seccomp profiles (JSON), read and written. */
#include <errno.h>
#include <jansson.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <string.h>

#include "caps.h"
#include "seccomp_internal.h"
#include "util.h"

static const struct {
  const char *name;
  enum scmp_compare op;
} ops[] = {
  {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
  {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
  {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static int parse_action(const char *path, const char *field, const char *s, json_t *errno_ret,
                        uint32_t *out, keep_error **err)
{
  uint32_t e = errno_ret && json_is_integer(errno_ret) ? (uint32_t) json_integer_value(errno_ret) : EPERM;
  if (strcmp(s, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp(s, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO(e);
  else if (strcmp(s, "SCMP_ACT_KILL") == 0 || strcmp(s, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp(s, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp(s, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp(s, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE(e);
  else if (strcmp(s, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return keep_fail(err, 0, "seccomp profile `%s`: %s: unknown action `%s`", path, field, s);
  return 0;
}

/* includes/excludes: {"caps": [...], "arches": [...]}; true if the rule applies. */
static int filter_applies(const char *path, const char *field, json_t *inc, json_t *exc,
                          uint64_t cap_add, bool *applies, keep_error **err)
{
  *applies = true;
  json_t *sets[2] = {inc, exc};
  for (int k = 0; k < 2; k++) {
    if (sets[k] == NULL || json_is_null(sets[k]))
      continue;
    if (!json_is_object(sets[k]))
      return keep_fail(err, 0, "seccomp profile `%s`: %s.%s: expected an object", path, field,
                       k ? "excludes" : "includes");
    json_t *caps = json_object_get(sets[k], "caps");
    size_t i;
    json_t *c;
    json_array_foreach(caps, i, c) {
      uint64_t m = 0;
      if (!json_is_string(c) || keep_caps_parse(json_string_value(c), &m, err) < 0)
        return keep_error_wrap(err, "seccomp profile `%s`: %s", path, field);
      bool have = (cap_add & m) != 0;
      if ((k == 0 && !have) || (k == 1 && have))
        *applies = false;
    }
    json_t *arches = json_object_get(sets[k], "arches");
    json_t *a;
    bool ours = false;
    json_array_foreach(arches, i, a) {
      const char *s = json_string_value(a);
      if (s && (strcmp(s, "amd64") == 0 || strcmp(s, "x86") == 0 || strcmp(s, "x32") == 0 ||
                strcmp(s, "SCMP_ARCH_X86_64") == 0 || strcmp(s, "SCMP_ARCH_X86") == 0 ||
                strcmp(s, "SCMP_ARCH_X32") == 0))
        ours = true;
    }
    if (json_array_size(arches) > 0 && ((k == 0 && !ours) || (k == 1 && ours)))
      *applies = false;
  }
  return 0;
}

static int parse_rule(const char *path, size_t idx, json_t *r, uint64_t cap_add,
                      struct sc_profile *p, keep_error **err)
{
  char field[64];
  snprintf(field, sizeof(field), "syscalls[%zu]", idx);
  if (!json_is_object(r))
    return keep_fail(err, 0, "seccomp profile `%s`: %s: expected an object", path, field);
  bool applies;
  if (filter_applies(path, field, json_object_get(r, "includes"), json_object_get(r, "excludes"),
                     cap_add, &applies, err) < 0)
    return -1;
  if (!applies)
    return 0;
  json_t *action = json_object_get(r, "action");
  if (!json_is_string(action))
    return keep_fail(err, 0, "seccomp profile `%s`: %s.action: expected a string", path, field);
  uint32_t act;
  if (parse_action(path, field, json_string_value(action), json_object_get(r, "errnoRet"), &act, err) < 0)
    return -1;
  struct sc_arg args[6];
  unsigned n_args = 0;
  json_t *jargs = json_object_get(r, "args");
  if (jargs && !json_is_null(jargs)) {
    if (!json_is_array(jargs) || json_array_size(jargs) > 6)
      return keep_fail(err, 0, "seccomp profile `%s`: %s.args: expected an array of at most 6", path, field);
    size_t i;
    json_t *a;
    json_array_foreach(jargs, i, a) {
      json_t *index = json_object_get(a, "index"), *op = json_object_get(a, "op");
      if (!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 5)
        return keep_fail(err, 0, "seccomp profile `%s`: %s.args[%zu].index: expected 0 to 5", path, field, i);
      bool found = false;
      for (size_t o = 0; json_is_string(op) && o < ARRAY_SIZE(ops); o++)
        if (strcmp(json_string_value(op), ops[o].name) == 0) {
          args[n_args].op = ops[o].op;
          found = true;
        }
      if (!found)
        return keep_fail(err, 0, "seccomp profile `%s`: %s.args[%zu].op: unknown operator `%s`", path,
                         field, i, json_is_string(op) ? json_string_value(op) : "?");
      args[n_args].index = (unsigned) json_integer_value(index);
      args[n_args].value = (uint64_t) json_integer_value(json_object_get(a, "value"));
      args[n_args].value_two = (uint64_t) json_integer_value(json_object_get(a, "valueTwo"));
      n_args++;
    }
  }
  json_t *names = json_object_get(r, "names");
  json_t *name = json_object_get(r, "name");
  cleanup_free char *joined = xstrdup("");
  if (json_is_string(name)) {
    free(joined);
    joined = xstrdup(json_string_value(name));
  }
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    if (!json_is_string(n))
      return keep_fail(err, 0, "seccomp profile `%s`: %s.names[%zu]: expected a string", path, field, i);
    char *t = xasprintf("%s %s", joined, json_string_value(n));
    free(joined);
    joined = t;
  }
  if (strspn(joined, " ") == strlen(joined))
    return keep_fail(err, 0, "seccomp profile `%s`: %s: no `names`", path, field);
  sc_profile_add(p, joined, act, args, n_args);
  return 0;
}

int sc_parse_json_obj(json_t *root, const char *path, uint64_t cap_add, struct sc_profile *p,
                      keep_error **err)
{
  memset(p, 0, sizeof(*p));
  if (!json_is_object(root))
    return keep_fail(err, 0, "seccomp profile `%s`: expected a JSON object", path);
  json_t *da = json_object_get(root, "defaultAction");
  if (!json_is_string(da))
    return keep_fail(err, 0, "seccomp profile `%s`: defaultAction: expected a string", path);
  if (parse_action(path, "defaultAction", json_string_value(da), json_object_get(root, "defaultErrnoRet"),
                   &p->default_action, err) < 0)
    return -1;
  /* keep's init would have to wait on a listener for every call of its
   * own, before the listener could even be handed over. */
  if (p->default_action == SCMP_ACT_NOTIFY)
    return keep_fail(err, 0, "seccomp profile `%s`: defaultAction: SCMP_ACT_NOTIFY cannot be the default action", path);
  json_t *lp = json_object_get(root, "listenerPath"), *lm = json_object_get(root, "listenerMetadata");
  if (lp && !json_is_null(lp) && (!json_is_string(lp) || json_string_value(lp)[0] == '\0'))
    return keep_fail(err, 0, "seccomp profile `%s`: listenerPath: expected a non-empty string", path);
  if (lm && !json_is_null(lm) && !json_is_string(lm))
    return keep_fail(err, 0, "seccomp profile `%s`: listenerMetadata: expected a string", path);
  if (json_is_string(lm) && !json_is_string(lp))
    return keep_fail(err, 0, "seccomp profile `%s`: listenerMetadata is set without listenerPath", path);
  json_t *flags = json_object_get(root, "flags");
  size_t i;
  json_t *r;
  json_array_foreach(flags, i, r) {
    const char *f = json_string_value(r);
    if (f && strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0)
      p->flags |= SECCOMP_FILTER_FLAG_LOG;
    else if (f && strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
      p->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else if (f && strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
      p->flags |= SECCOMP_FILTER_FLAG_TSYNC;
    else
      return keep_fail(err, 0, "seccomp profile `%s`: flags[%zu]: unknown flag `%s`", path, i, f ? f : "?");
  }
  json_t *sys = json_object_get(root, "syscalls");
  if (sys && !json_is_null(sys) && !json_is_array(sys))
    return keep_fail(err, 0, "seccomp profile `%s`: syscalls: expected an array", path);
  json_array_foreach(sys, i, r)
    if (parse_rule(path, i, r, cap_add, p, err) < 0) {
      sc_profile_free(p);
      return -1;
    }
  return 0;
}

int sc_parse_json(const char *path, uint64_t cap_add, struct sc_profile *p, keep_error **err)
{
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  memset(p, 0, sizeof(*p));
  if (root == NULL) {
    if (je.line < 0)
      return keep_fail(err, errno, "seccomp profile `%s`: %s", path, je.text);
    return keep_fail(err, 0, "seccomp profile `%s`: line %d, column %d: %s", path, je.line,
                     je.column, je.text);
  }
  int ret = sc_parse_json_obj(root, path, cap_add, p, err);
  json_decref(root);
  return ret;
}

static const char *action_name(uint32_t a, int *errno_ret)
{
  *errno_ret = -1;
  if (a == SCMP_ACT_ALLOW)
    return "SCMP_ACT_ALLOW";
  if ((a & 0xffff0000u) == SCMP_ACT_ERRNO(0)) {
    *errno_ret = (int) (a & 0xffff);
    return "SCMP_ACT_ERRNO";
  }
  if (a == SCMP_ACT_KILL_PROCESS)
    return "SCMP_ACT_KILL_PROCESS";
  if (a == SCMP_ACT_KILL_THREAD)
    return "SCMP_ACT_KILL_THREAD";
  if (a == SCMP_ACT_TRAP)
    return "SCMP_ACT_TRAP";
  if (a == SCMP_ACT_LOG)
    return "SCMP_ACT_LOG";
  if (a == SCMP_ACT_NOTIFY)
    return "SCMP_ACT_NOTIFY";
  return "SCMP_ACT_TRACE";
}

int sc_print_json(const struct sc_profile *p, FILE *out, keep_error **err)
{
  json_t *root = json_object();
  int e;
  json_object_set_new(root, "defaultAction", json_string(action_name(p->default_action, &e)));
  if (e >= 0)
    json_object_set_new(root, "defaultErrnoRet", json_integer(e));
  json_t *arches = json_array();
  json_array_append_new(arches, json_string("SCMP_ARCH_X86_64"));
  json_array_append_new(arches, json_string("SCMP_ARCH_X86"));
  json_array_append_new(arches, json_string("SCMP_ARCH_X32"));
  json_object_set_new(root, "architectures", arches);
  json_t *sys = json_array();
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct sc_rule *r = &p->rules[i];
    json_t *o = json_object(), *names = json_array();
    for (size_t n = 0; r->names && r->names[n]; n++)
      json_array_append_new(names, json_string(r->names[n]));
    json_object_set_new(o, "names", names);
    json_object_set_new(o, "action", json_string(action_name(r->action, &e)));
    if (e >= 0)
      json_object_set_new(o, "errnoRet", json_integer(e));
    if (r->n_args) {
      json_t *args = json_array();
      for (unsigned a = 0; a < r->n_args; a++) {
        json_t *ja = json_object();
        json_object_set_new(ja, "index", json_integer(r->args[a].index));
        json_object_set_new(ja, "value", json_integer((json_int_t) r->args[a].value));
        json_object_set_new(ja, "valueTwo", json_integer((json_int_t) r->args[a].value_two));
        for (size_t o2 = 0; o2 < ARRAY_SIZE(ops); o2++)
          if (ops[o2].op == r->args[a].op)
            json_object_set_new(ja, "op", json_string(ops[o2].name));
        json_array_append_new(args, ja);
      }
      json_object_set_new(o, "args", args);
    }
    json_array_append_new(sys, o);
  }
  json_object_set_new(root, "syscalls", sys);
  int r = json_dumpf(root, out, JSON_INDENT(2));
  json_decref(root);
  fputc('\n', out);
  if (r < 0)
    return keep_fail(err, EIO, "write the seccomp profile");
  return 0;
}
