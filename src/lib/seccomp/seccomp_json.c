/* Docker/containers-format seccomp profiles (JSON), read and written. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "seccomp_internal.h"
#include "util.h"

static const struct {
  const char *name;
  enum scmp_compare op;
} ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* What a JSON value is, for "expected X, got Y". */
static const char *json_kind(const json_t *v)
{
  if (v == NULL)
    return "nothing";
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return json_string_length(v) ? "a string" : "an empty string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a real number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  case JSON_NULL: return "null";
  }
  return "an unknown JSON value";
}

static int bad_type(const char *path, const char *field, const char *want, const json_t *v, keep_error **err)
{
  return keep_fail(err, 0, "seccomp profile `%s`: %s: expected %s, got %s", path, field, want, json_kind(v));
}

/* Absent and null are "not set" (false); anything else must be of `type`. */
static int optional(const char *path, const char *field, json_t *v, json_type type, const char *want,
                    keep_error **err)
{
  if (v == NULL || json_is_null(v))
    return 0;
  if (json_typeof(v) != type)
    return bad_type(path, field, want, v, err);
  return 1;
}

/* Architecture names: libseccomp's (`architectures`, `archMap`) and Docker's
 * Go-style ones (`includes.arches`).  keep filters x86_64, i386 and x32
 * whatever a profile lists; the names are checked so a typo is not taken
 * for an architecture that does not apply. */
static const char *const scmp_arches[] = {
    "SCMP_ARCH_NATIVE",   "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
    "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV32",     "SCMP_ARCH_RISCV64",     "SCMP_ARCH_SH",
    "SCMP_ARCH_SHEB",
};
static const char *const docker_arches[] = {
    "386",         "amd64",  "x86",      "x32",         "arm",      "arm64",    "aarch64",
    "loong64",     "m68k",   "mips",     "mipsle",      "mips64",   "mips64le", "mips64n32",
    "mips64len32", "mipsel", "mipsel64", "mipsel64n32", "ppc",      "ppc64",    "ppc64le",
    "riscv64",     "s390",   "s390x",    "parisc",      "parisc64", "sh",       "sheb",
};
static const char *const our_arches[] = {
    "amd64", "x86", "x32", "386", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(s, list[i]) == 0)
      return true;
  return false;
}

/* A JSON array of architecture names; `docker`: Go-style names allowed too.
 * *ours: one of them is an architecture keep filters. */
static int parse_arches(const char *path, const char *field, json_t *v, bool docker, bool *ours,
                        keep_error **err)
{
  int set = optional(path, field, v, JSON_ARRAY, "an array", err);
  if (set <= 0)
    return set;
  size_t i;
  json_t *a;
  json_array_foreach (v, i, a) {
    char f[160];
    snprintf(f, sizeof(f), "%s[%zu]", field, i);
    if (!json_is_string(a))
      return bad_type(path, f, "a string", a, err);
    const char *s = json_string_value(a);
    if (!in_list(s, scmp_arches, ARRAY_SIZE(scmp_arches)) &&
        !(docker && in_list(s, docker_arches, ARRAY_SIZE(docker_arches))))
      return keep_fail(err, 0, "seccomp profile `%s`: %s: unknown architecture `%s`", path, f, s);
    if (ours && in_list(s, our_arches, ARRAY_SIZE(our_arches)))
      *ours = true;
  }
  return 1;
}

/* errnoRet/defaultErrnoRet.  An errno must be a JSON integer the kernel
 * returns as an error: 0 would make a denied call "succeed" without running
 * (as 65536 or 2^40 did once truncated to 16 bits), and the kernel reads
 * anything above 4095 (MAX_ERRNO) as a success value. */
#define SC_MAX_ERRNO 4095

static int parse_ret(const char *path, const char *field, json_t *v, bool trace, uint32_t *out,
                     keep_error **err)
{
  *out = EPERM;
  int set = optional(path, field, v, JSON_INTEGER, "an integer", err);
  if (set <= 0)
    return set;
  json_int_t e = json_integer_value(v);
  if (trace) {
    /* SCMP_ACT_TRACE: a message for the tracer, 16 bits. */
    if (e < 0 || e > 0xffff)
      return keep_fail(err, 0,
                       "seccomp profile `%s`: %s: %" JSON_INTEGER_FORMAT " is not a tracer message (0-65535)",
                       path, field, e);
  } else if (e < 1 || e > SC_MAX_ERRNO) {
    return keep_fail(err, 0, "seccomp profile `%s`: %s: %" JSON_INTEGER_FORMAT " is not an errno (1-%d)",
                     path, field, e, SC_MAX_ERRNO);
  }
  *out = (uint32_t) e;
  return 0;
}

static int parse_action(const char *path, const char *field, json_t *action, const char *ret_field,
                        json_t *ret, uint32_t *out, keep_error **err)
{
  if (!json_is_string(action))
    return bad_type(path, field, "a string", action, err);
  const char *s = json_string_value(action);
  uint32_t e;
  if (parse_ret(path, ret_field, ret, strcmp(s, "SCMP_ACT_TRACE") == 0, &e, err) < 0)
    return -1;
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

/* includes/excludes: {"caps": [...], "arches": [...], "minKernel": "..."};
 * true if the rule applies. */
static int filter_applies(const char *path, const char *field, json_t *inc, json_t *exc, uint64_t cap_add,
                          bool *applies, keep_error **err)
{
  *applies = true;
  json_t *sets[2] = {inc, exc};
  for (int k = 0; k < 2; k++) {
    char f[128], sub[160];
    snprintf(f, sizeof(f), "%s.%s", field, k ? "excludes" : "includes");
    int set = optional(path, f, sets[k], JSON_OBJECT, "an object", err);
    if (set < 0)
      return -1;
    if (set == 0)
      continue;
    json_t *caps = json_object_get(sets[k], "caps");
    snprintf(sub, sizeof(sub), "%s.caps", f);
    if (optional(path, sub, caps, JSON_ARRAY, "an array", err) < 0)
      return -1;
    size_t i;
    json_t *c;
    json_array_foreach (caps, i, c) {
      uint64_t m = 0;
      snprintf(sub, sizeof(sub), "%s.caps[%zu]", f, i);
      if (!json_is_string(c))
        return bad_type(path, sub, "a string", c, err);
      if (keep_caps_parse(json_string_value(c), &m, err) < 0)
        return keep_error_wrap(err, "seccomp profile `%s`: %s", path, sub);
      bool have = (cap_add & m) != 0;
      if ((k == 0 && !have) || (k == 1 && have))
        *applies = false;
    }
    json_t *arches = json_object_get(sets[k], "arches");
    bool ours = false;
    snprintf(sub, sizeof(sub), "%s.arches", f);
    if (parse_arches(path, sub, arches, true, &ours, err) < 0)
      return -1;
    if (json_array_size(arches) > 0 && ((k == 0 && !ours) || (k == 1 && ours)))
      *applies = false;
    snprintf(sub, sizeof(sub), "%s.minKernel", f);
    if (optional(path, sub, json_object_get(sets[k], "minKernel"), JSON_STRING, "a string", err) < 0)
      return -1;
  }
  return 0;
}

/* A comparison value: an unsigned 64-bit integer.  (JSON integers above
 * 2^63-1 do not reach here: the JSON reader refuses them.) */
static int parse_u64(const char *path, const char *field, json_t *v, uint64_t *out, keep_error **err)
{
  *out = 0;
  int set = optional(path, field, v, JSON_INTEGER, "an integer", err);
  if (set <= 0)
    return set;
  if (json_integer_value(v) < 0)
    return keep_fail(err, 0,
                     "seccomp profile `%s`: %s: %" JSON_INTEGER_FORMAT " is not an unsigned 64-bit integer",
                     path, field, json_integer_value(v));
  *out = (uint64_t) json_integer_value(v);
  return 0;
}

static int parse_arg(const char *path, const char *field, json_t *a, unsigned *seen, struct sc_arg *out,
                     keep_error **err)
{
  char f[160];
  if (!json_is_object(a))
    return bad_type(path, field, "an object", a, err);
  json_t *index = json_object_get(a, "index"), *op = json_object_get(a, "op");
  snprintf(f, sizeof(f), "%s.index", field);
  if (!json_is_integer(index))
    return bad_type(path, f, "an integer", index, err);
  json_int_t idx = json_integer_value(index);
  if (idx < 0 || idx > 5)
    return keep_fail(err, 0,
                     "seccomp profile `%s`: %s: %" JSON_INTEGER_FORMAT " is not an argument index (0-5)",
                     path, f, idx);
  /* libseccomp takes one comparison per argument in a rule. */
  if (*seen & (1u << idx))
    return keep_fail(err, 0, "seccomp profile `%s`: %s: argument %d is compared already in this rule", path,
                     f, (int) idx);
  *seen |= 1u << idx;
  out->index = (unsigned) idx;
  snprintf(f, sizeof(f), "%s.op", field);
  if (!json_is_string(op))
    return bad_type(path, f, "a string", op, err);
  bool found = false;
  for (size_t o = 0; o < ARRAY_SIZE(ops) && !found; o++)
    if (strcmp(json_string_value(op), ops[o].name) == 0) {
      out->op = ops[o].op;
      found = true;
    }
  if (!found)
    return keep_fail(err, 0, "seccomp profile `%s`: %s: unknown operator `%s`", path, f,
                     json_string_value(op));
  snprintf(f, sizeof(f), "%s.value", field);
  if (parse_u64(path, f, json_object_get(a, "value"), &out->value, err) < 0)
    return -1;
  snprintf(f, sizeof(f), "%s.valueTwo", field);
  return parse_u64(path, f, json_object_get(a, "valueTwo"), &out->value_two, err);
}

/* A system call name as the kernel's tables and libseccomp spell them:
 * lowercase letters, digits and `_`, at most 64 characters. */
static bool syscall_name_ok(json_t *n)
{
  const char *v = json_string_value(n);
  size_t len = json_string_length(n);
  if (len == 0 || len > 64 || strlen(v) != len)
    return false;
  for (const char *c = v; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
      return false;
  return true;
}

static int parse_rule(const char *path, size_t idx, json_t *r, uint64_t cap_add, size_t *arg_names,
                      struct sc_profile *p, keep_error **err)
{
  char field[64], f[128];
  snprintf(field, sizeof(field), "syscalls[%zu]", idx);
  if (!json_is_object(r))
    return bad_type(path, field, "an object", r, err);
  bool applies;
  if (filter_applies(path, field, json_object_get(r, "includes"), json_object_get(r, "excludes"), cap_add,
                     &applies, err) < 0)
    return -1;
  char action_field[96], ret_field[96];
  snprintf(action_field, sizeof(action_field), "%s.action", field);
  snprintf(ret_field, sizeof(ret_field), "%s.errnoRet", field);
  uint32_t act;
  if (parse_action(path, action_field, json_object_get(r, "action"), ret_field,
                   json_object_get(r, "errnoRet"), &act, err) < 0)
    return -1;
  struct sc_arg args[SC_MAX_ARGS];
  unsigned n_args = 0, seen = 0;
  json_t *jargs = json_object_get(r, "args");
  snprintf(f, sizeof(f), "%s.args", field);
  if (optional(path, f, jargs, JSON_ARRAY, "an array", err) < 0)
    return -1;
  if (json_array_size(jargs) > SC_MAX_ARGS)
    return keep_fail(err, 0, "seccomp profile `%s`: %s: %zu comparisons, at most %d (one per argument)", path,
                     f, json_array_size(jargs), SC_MAX_ARGS);
  size_t i;
  json_t *a;
  json_array_foreach (jargs, i, a) {
    snprintf(f, sizeof(f), "%s.args[%zu]", field, i);
    if (parse_arg(path, f, a, &seen, &args[n_args++], err) < 0)
      return -1;
  }
  json_t *names = json_object_get(r, "names");
  json_t *name = json_object_get(r, "name");
  snprintf(f, sizeof(f), "%s.names", field);
  if (optional(path, f, names, JSON_ARRAY, "an array", err) < 0)
    return -1;
  if (json_array_size(names) > SC_MAX_NAMES)
    return keep_fail(err, 0, "seccomp profile `%s`: %s: %zu names, at most %d in a rule", path, f,
                     json_array_size(names), SC_MAX_NAMES);
  snprintf(f, sizeof(f), "%s.name", field);
  if (optional(path, f, name, JSON_STRING, "a string", err) < 0)
    return -1;
  if (json_is_string(name) && !syscall_name_ok(name))
    return bad_type(path, f, "a system call name", name, err);
  json_t *n;
  json_array_foreach (names, i, n) {
    snprintf(f, sizeof(f), "%s.names[%zu]", field, i);
    if (!json_is_string(n))
      return bad_type(path, f, "a string", n, err);
    if (!syscall_name_ok(n))
      return bad_type(path, f, "a system call name", n, err);
  }
  if (json_array_size(names) == 0 && !json_is_string(name))
    return keep_fail(err, 0, "seccomp profile `%s`: %s: no `names`", path, field);
  if (!applies)
    return 0;
  size_t count = json_array_size(names) + (json_is_string(name) ? 1 : 0);
  /* libseccomp's compile time grows with the square of these. */
  if (n_args > 0) {
    *arg_names += count;
    if (*arg_names > SC_MAX_ARG_NAMES)
      return keep_fail(err, 0,
                       "seccomp profile `%s`: %s: more than %d names in rules with args in the profile", path,
                       field, SC_MAX_ARG_NAMES);
  }
  char **v = xcalloc(count + 1, sizeof(*v));
  size_t k = 0;
  if (json_is_string(name))
    v[k++] = xstrdup(json_string_value(name));
  json_array_foreach (names, i, n)
    v[k++] = xstrdup(json_string_value(n));
  sc_profile_add_strv(p, v, act, args, n_args);
  p->rules[p->n_rules - 1].origin = (long) idx;
  return 0;
}

static int parse_arch_fields(const char *path, json_t *root, keep_error **err)
{
  if (parse_arches(path, "architectures", json_object_get(root, "architectures"), false, NULL, err) < 0)
    return -1;
  json_t *map = json_object_get(root, "archMap");
  if (optional(path, "archMap", map, JSON_ARRAY, "an array", err) < 0)
    return -1;
  size_t i;
  json_t *m;
  json_array_foreach (map, i, m) {
    char f[64], sub[96];
    snprintf(f, sizeof(f), "archMap[%zu]", i);
    if (!json_is_object(m))
      return bad_type(path, f, "an object", m, err);
    json_t *arch = json_object_get(m, "architecture");
    snprintf(sub, sizeof(sub), "%s.architecture", f);
    if (!json_is_string(arch))
      return bad_type(path, sub, "a string", arch, err);
    if (!in_list(json_string_value(arch), scmp_arches, ARRAY_SIZE(scmp_arches)))
      return keep_fail(err, 0, "seccomp profile `%s`: %s: unknown architecture `%s`", path, sub,
                       json_string_value(arch));
    snprintf(sub, sizeof(sub), "%s.subArchitectures", f);
    if (parse_arches(path, sub, json_object_get(m, "subArchitectures"), false, NULL, err) < 0)
      return -1;
  }
  return 0;
}

int sc_parse_json_obj(json_t *root, const char *path, uint64_t cap_add, struct sc_profile *p,
                      keep_error **err)
{
  memset(p, 0, sizeof(*p));
  if (!json_is_object(root))
    return keep_fail(err, 0, "seccomp profile `%s`: expected a JSON object", path);
  if (parse_action(path, "defaultAction", json_object_get(root, "defaultAction"), "defaultErrnoRet",
                   json_object_get(root, "defaultErrnoRet"), &p->default_action, err) < 0)
    return -1;
  /* keep's init would have to wait on a listener for every call of its
   * own, before the listener could even be handed over. */
  if (p->default_action == SCMP_ACT_NOTIFY)
    return keep_fail(
        err, 0, "seccomp profile `%s`: defaultAction: SCMP_ACT_NOTIFY cannot be the default action", path);
  if (parse_arch_fields(path, root, err) < 0)
    return -1;
  json_t *lp = json_object_get(root, "listenerPath"), *lm = json_object_get(root, "listenerMetadata");
  if (lp && !json_is_null(lp) && (!json_is_string(lp) || json_string_value(lp)[0] == '\0'))
    return bad_type(path, "listenerPath", "a non-empty string", lp, err);
  if (optional(path, "listenerMetadata", lm, JSON_STRING, "a string", err) < 0)
    return -1;
  if (json_is_string(lm) && !json_is_string(lp))
    return keep_fail(err, 0, "seccomp profile `%s`: listenerMetadata is set without listenerPath", path);
  json_t *flags = json_object_get(root, "flags");
  if (optional(path, "flags", flags, JSON_ARRAY, "an array", err) < 0)
    return -1;
  size_t i;
  json_t *r;
  json_array_foreach (flags, i, r) {
    char f[32];
    snprintf(f, sizeof(f), "flags[%zu]", i);
    if (!json_is_string(r))
      return bad_type(path, f, "a string", r, err);
    const char *fl = json_string_value(r);
    if (strcmp(fl, "SECCOMP_FILTER_FLAG_LOG") == 0)
      p->flags |= SECCOMP_FILTER_FLAG_LOG;
    else if (strcmp(fl, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
      p->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else if (strcmp(fl, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
      p->flags |= SECCOMP_FILTER_FLAG_TSYNC;
    else
      return keep_fail(err, 0, "seccomp profile `%s`: %s: unknown flag `%s`", path, f, fl);
  }
  json_t *sys = json_object_get(root, "syscalls");
  if (optional(path, "syscalls", sys, JSON_ARRAY, "an array", err) < 0)
    return -1;
  if (json_array_size(sys) > SC_MAX_RULES)
    return keep_fail(err, 0, "seccomp profile `%s`: syscalls: %zu rules, at most %d", path,
                     json_array_size(sys), SC_MAX_RULES);
  size_t arg_names = 0;
  json_array_foreach (sys, i, r)
    if (parse_rule(path, i, r, cap_add, &arg_names, p, err) < 0) {
      sc_profile_free(p);
      return -1;
    }
  return 0;
}

/* A profile file is at most this large (Docker's default is ~20 KiB). */
#define SC_MAX_PROFILE_BYTES (1u << 20)

/* The whole profile file, NUL-terminated.  Opened without blocking: a FIFO
 * would otherwise hold keep until someone writes to it (or forever), and a
 * device could be read without end; only a regular file is read, up to
 * SC_MAX_PROFILE_BYTES. */
static int read_profile(const char *path, char **out, size_t *len, keep_error **err)
{
  cleanup_close int fd = open_regular_at(AT_FDCWD, path, err);
  if (fd < 0)
    return keep_error_wrap(err, "seccomp profile");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return keep_fail_errno(err, "seccomp profile `%s`: fstat", path);
  if (st.st_size > (off_t) SC_MAX_PROFILE_BYTES)
    return keep_fail(err, EFBIG, "seccomp profile `%s` is larger than %u bytes", path, SC_MAX_PROFILE_BYTES);
  size_t cap = (size_t) st.st_size + 1, n = 0;
  cleanup_free char *buf = xmalloc(cap + 1);
  for (;;) {
    if (n == cap) {
      /* The file grew since fstat: read on, up to one byte past the bound. */
      cap = cap * 2 > SC_MAX_PROFILE_BYTES + 1 ? SC_MAX_PROFILE_BYTES + 1 : cap * 2;
      buf = xrealloc(buf, cap + 1);
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return keep_fail_errno(err, "seccomp profile `%s`: read", path);
    if (r == 0)
      break;
    n += (size_t) r;
    if (n > SC_MAX_PROFILE_BYTES)
      return keep_fail(err, EFBIG, "seccomp profile `%s` is larger than %u bytes", path,
                       SC_MAX_PROFILE_BYTES);
  }
  buf[n] = '\0';
  *len = n;
  *out = steal_pointer(&buf);
  return 0;
}

int sc_parse_json(const char *path, uint64_t cap_add, struct sc_profile *p, keep_error **err)
{
  memset(p, 0, sizeof(*p));
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_profile(path, &text, &len, err) < 0)
    return -1;
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (root == NULL)
    return keep_fail(err, 0, "seccomp profile `%s`: line %d, column %d: %s", path, je.line, je.column,
                     je.text);
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
  /* SCMP_ACT_TRACE carries its message for the tracer in errnoRet too. */
  *errno_ret = (int) (a & 0xffff);
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
