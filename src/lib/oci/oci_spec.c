/* config.json of an OCI bundle: parsing and checking (see oci_spec.h). */
#include "oci_spec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "caps.h"
#include "cgroup.h"
#include "util.h"

#define CFG "config.json: "
/* A uid or gid: (uid_t) -1 means "unchanged" to the kernel, never an id. */
#define ID_MAX 4294967294u

static int expect_type(json_t *v, json_type t, const char *field, keep_error **err)
{
  static const char *const names[] = {"an object", "an array",  "a string",  "an integer",
                                      "a number",  "a boolean", "a boolean", "null"};
  if (v == NULL || json_typeof(v) == t)
    return 0;
  if (t == JSON_TRUE && json_is_boolean(v))
    return 0;
  return keep_fail(err, 0, CFG "%s: expected %s", field, names[t]);
}

static int get_string(json_t *obj, const char *key, const char *field, bool required, char **out,
                      keep_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v)) {
    if (required)
      return keep_fail(err, 0, CFG "%s: required", field);
    return 0;
  }
  if (!json_is_string(v))
    return keep_fail(err, 0, CFG "%s: expected a string", field);
  free(*out);
  *out = xstrdup(json_string_value(v));
  return 0;
}

/* A list longer than keep accepts: refused by name, before any of it is read. */
static int too_many(json_t *v, size_t max, const char *field, keep_error **err)
{
  size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
  if (n <= max)
    return 0;
  return keep_fail(err, 0, CFG "%s: %zu entries, more than keep accepts (%zu)", field, n, max);
}

static int get_strv(json_t *obj, const char *key, const char *field, size_t max, char ***out,
                    keep_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return keep_fail(err, 0, CFG "%s: expected an array of strings", field);
  if (too_many(v, max, field, err) < 0)
    return -1;
  size_t i;
  json_t *e;
  char **list = xcalloc(json_array_size(v) + 1, sizeof(char *));
  json_array_foreach (v, i, e) {
    if (!json_is_string(e)) {
      strv_free(list);
      return keep_fail(err, 0, CFG "%s[%zu]: expected a string", field, i);
    }
    list[i] = xstrdup(json_string_value(e));
  }
  strv_free(*out);
  *out = list;
  return 0;
}

/* Every number a config gives is checked against the range its use allows,
 * and refused naming the field: a wrong type or a value that would wrap
 * (a negative rlimit read as unsigned, a uid of -1, a umask of 0o7777). */
static int range_error(const char *field, int64_t min, int64_t max, keep_error **err)
{
  return keep_fail(err, 0, CFG "%s: expected an integer from %lld to %lld", field, (long long) min,
                   (long long) max);
}

static int get_u32(json_t *obj, const char *key, const char *field, bool required, uint32_t max,
                   uint32_t *out, keep_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (v == NULL) {
    if (required)
      return keep_fail(err, 0, CFG "%s: required", field);
    return 0;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t) max)
    return range_error(field, 0, max, err);
  *out = (uint32_t) json_integer_value(v);
  return 0;
}

/* An integer from min to max; absent or null leaves *out (and *set) alone. */
static int get_i64(json_t *obj, const char *key, const char *field, int64_t min, int64_t max, int64_t *out,
                   bool *set, keep_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
    return range_error(field, min, max, err);
  *out = json_integer_value(v);
  if (set)
    *set = true;
  return 0;
}

static int get_bool(json_t *obj, const char *key, const char *field, bool *out, keep_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (v == NULL)
    return 0;
  if (!json_is_boolean(v))
    return keep_fail(err, 0, CFG "%s: expected true or false", field);
  *out = json_is_true(v);
  return 0;
}

/* An array of {containerID, hostID, size} (linux.uidMappings, or a mount's
 * own): at most 5, no range past 2^32, no two ranges overlapping on either
 * side (the kernel refuses such a map; say which entry, before anything runs). */
static int parse_idmaps(json_t *v, const char *field, struct keep_idmap *out, size_t *n, keep_error **err)
{
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v) || json_array_size(v) > 5)
    return keep_fail(err, 0, CFG "%s: expected an array of at most 5 mappings", field);
  size_t i;
  json_t *m;
  json_array_foreach (v, i, m) {
    char f[96];
    uint32_t c = 0, h = 0, sz = 0;
    snprintf(f, sizeof(f), "%s[%zu].containerID", field, i);
    if (get_u32(m, "containerID", f, true, UINT32_MAX, &c, err) < 0)
      return -1;
    snprintf(f, sizeof(f), "%s[%zu].hostID", field, i);
    if (get_u32(m, "hostID", f, true, UINT32_MAX, &h, err) < 0)
      return -1;
    snprintf(f, sizeof(f), "%s[%zu].size", field, i);
    if (get_u32(m, "size", f, true, UINT32_MAX, &sz, err) < 0)
      return -1;
    if (sz == 0)
      return keep_fail(err, 0, CFG "%s: must be at least 1", f);
    if ((uint64_t) c + sz > (uint64_t) UINT32_MAX + 1 || (uint64_t) h + sz > (uint64_t) UINT32_MAX + 1)
      return keep_fail(err, 0, CFG "%s[%zu]: the range goes past 4294967295", field, i);
    for (size_t k = 0; k < *n; k++) {
      const struct keep_idmap *o = &out[k];
      if ((c < o->inside + (uint64_t) o->count && o->inside < c + (uint64_t) sz) ||
          (h < o->outside + (uint64_t) o->count && o->outside < h + (uint64_t) sz))
        return keep_fail(err, 0, CFG "%s[%zu]: overlaps %s[%zu]", field, i, field, k);
    }
    out[*n].inside = c;
    out[*n].outside = h;
    out[*n].count = sz;
    (*n)++;
  }
  return 0;
}

/* ---- mounts ---- */

static const struct {
  const char *name;
  bool clear;
  unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"defaults", false, 0},
};

static const struct {
  const char *name;
  unsigned long flag;
} propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int keep_oci_mount_options(json_t *opts, const char *where, struct keep_oci_mount *m, keep_error **err)
{
  if (opts == NULL || json_is_null(opts))
    return 0;
  if (!json_is_array(opts))
    return keep_fail(err, 0, CFG "%s.options: expected an array of strings", where);
  size_t i;
  json_t *o;
  json_array_foreach (opts, i, o) {
    if (!json_is_string(o))
      return keep_fail(err, 0, CFG "%s.options[%zu]: expected a string", where, i);
    const char *s = json_string_value(o);
    if (strcmp(s, "bind") == 0 || strcmp(s, "rbind") == 0) {
      m->bind = true;
      m->recursive = m->recursive || s[0] == 'r';
      continue;
    }
    bool known = false;
    for (size_t k = 0; k < ARRAY_SIZE(mount_flags) && !known; k++)
      if (strcmp(s, mount_flags[k].name) == 0) {
        known = true;
        if (mount_flags[k].clear) {
          m->flags &= ~mount_flags[k].flag;
          m->clear |= mount_flags[k].flag;
        } else {
          m->flags |= mount_flags[k].flag;
          m->clear &= ~mount_flags[k].flag;
        }
      }
    for (size_t k = 0; k < ARRAY_SIZE(propagations) && !known; k++)
      if (strcmp(s, propagations[k].name) == 0) {
        known = true;
        m->propagation = propagations[k].flag;
      }
    if (known)
      continue;
    if (strcmp(s, "idmap") == 0 || strcmp(s, "ridmap") == 0) {
      enum keep_oci_idmap want = s[0] == 'r' ? OCI_IDMAP_RECURSIVE : OCI_IDMAP_TOP;
      if (m->idmap != OCI_IDMAP_NONE && m->idmap != want)
        return keep_fail(err, 0, CFG "%s.options[%zu]: `idmap` and `ridmap` together", where, i);
      m->idmap = want;
      continue;
    }
    /* Mappings written into the option (idmap=uids=...) are another
     * runtime's extension: never pass them on as filesystem data. */
    if (str_has_prefix(s, "idmap=") || str_has_prefix(s, "ridmap="))
      return keep_fail(err, ENOTSUP,
                       CFG "%s.options[%zu]: `%s`: mappings in the option are not supported "
                           "(give the mount uidMappings and gidMappings)",
                       where, i, keep_q(s));
    /* Anything else is for the filesystem (size=, mode=, newinstance...). */
    char *d = m->data ? xasprintf("%s,%s", m->data, s) : xstrdup(s);
    free(m->data);
    m->data = d;
  }
  return 0;
}

/* A mount's uidMappings and gidMappings (runtime-spec config.md, Mounts):
 * both or neither; mappings without `idmap`/`ridmap` still ask for an
 * idmapped mount (of the top mount only), they are never ignored. */
static int parse_mount_idmaps(json_t *j, const char *where, struct keep_oci_mount *m, keep_error **err)
{
  char uf[64], gf[64];
  snprintf(uf, sizeof(uf), "%s.uidMappings", where);
  snprintf(gf, sizeof(gf), "%s.gidMappings", where);
  json_t *u = json_object_get(j, "uidMappings"), *g = json_object_get(j, "gidMappings");
  if (parse_idmaps(u, uf, m->uid_map, &m->n_uid_map, err) < 0 ||
      parse_idmaps(g, gf, m->gid_map, &m->n_gid_map, err) < 0)
    return -1;
  if (m->n_uid_map && !m->n_gid_map)
    return keep_fail(err, 0, CFG "%s: required with uidMappings", gf);
  if (m->n_gid_map && !m->n_uid_map)
    return keep_fail(err, 0, CFG "%s: required with gidMappings", uf);
  if (m->n_uid_map && m->idmap == OCI_IDMAP_NONE)
    m->idmap = OCI_IDMAP_TOP;
  if (m->idmap != OCI_IDMAP_NONE && !m->bind)
    return keep_fail(err, ENOTSUP, CFG "%s%s: idmapped mounts are supported for bind mounts only",
                     m->n_uid_map ? uf : where, m->n_uid_map ? "" : ".options");
  return 0;
}

static int parse_mounts(struct keep_oci_spec *s, json_t *mounts, keep_error **err)
{
  if (mounts == NULL || json_is_null(mounts))
    return 0;
  if (!json_is_array(mounts))
    return keep_fail(err, 0, CFG "mounts: expected an array");
  if (too_many(mounts, KEEP_MAX_MOUNTS, "mounts", err) < 0)
    return -1;
  s->mounts = xcalloc(json_array_size(mounts) + 1, sizeof(*s->mounts));
  size_t i;
  json_t *j;
  json_array_foreach (mounts, i, j) {
    char where[32];
    snprintf(where, sizeof(where), "mounts[%zu]", i);
    if (!json_is_object(j))
      return keep_fail(err, 0, CFG "%s: expected an object", where);
    struct keep_oci_mount *m = &s->mounts[s->n_mounts++];
    char field[64];
    snprintf(field, sizeof(field), "%s.destination", where);
    if (get_string(j, "destination", field, true, &m->destination, err) < 0)
      return -1;
    if (m->destination[0] != '/')
      return keep_fail(err, 0, CFG "%s: `%s` is not an absolute path", field, keep_q(m->destination));
    snprintf(field, sizeof(field), "%s.type", where);
    if (get_string(j, "type", field, false, &m->type, err) < 0)
      return -1;
    snprintf(field, sizeof(field), "%s.source", where);
    if (get_string(j, "source", field, false, &m->source, err) < 0)
      return -1;
    if (keep_oci_mount_options(json_object_get(j, "options"), where, m, err) < 0)
      return -1;
    if (m->type == NULL || strcmp(m->type, "bind") == 0 || strcmp(m->type, "none") == 0) {
      if (m->type && strcmp(m->type, "bind") == 0)
        m->bind = true;
      if (!m->bind)
        return keep_fail(err, 0, CFG "%s.type: required unless options has `bind` or `rbind`", where);
      free(m->type);
      m->type = xstrdup("bind");
    }
    if (parse_mount_idmaps(j, where, m, err) < 0)
      return -1;
    if (m->bind) {
      if (m->source == NULL)
        return keep_fail(err, 0, CFG "%s.source: required for a bind mount", where);
      if (m->source[0] != '/') {
        char *abs = xasprintf("%s/%s", s->bundle, m->source);
        free(m->source);
        m->source = abs;
      }
    }
  }
  return 0;
}

/* ---- process ---- */

static int parse_caps(json_t *caps, const char *key, uint64_t *out, keep_error **err)
{
  json_t *v = json_object_get(caps, key);
  *out = 0;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return keep_fail(err, 0, CFG "process.capabilities.%s: expected an array", key);
  size_t i;
  json_t *c;
  json_array_foreach (v, i, c) {
    if (!json_is_string(c))
      return keep_fail(err, 0, CFG "process.capabilities.%s[%zu]: expected a string", key, i);
    const char *name = json_string_value(c);
    /* The spec names capabilities CAP_*; "ALL" is a docker-ism, not valid here. */
    if (!str_has_prefix(name, "CAP_"))
      return keep_fail(err, 0, CFG "process.capabilities.%s[%zu]: unknown capability `%s`", key, i,
                       keep_q(name));
    keep_error *e = NULL;
    if (keep_caps_parse(name, out, &e) < 0) {
      keep_error_free(&e);
      return keep_fail(err, 0, CFG "process.capabilities.%s[%zu]: unknown capability `%s`", key, i,
                       keep_q(name));
    }
  }
  return 0;
}

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(struct keep_oci_process *p, json_t *v, const char *where, keep_error **err)
{
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return keep_fail(err, 0, CFG "%s.rlimits: expected an array", where);
  p->rlimits = xcalloc(json_array_size(v) + 1, sizeof(*p->rlimits));
  size_t i;
  json_t *r;
  json_array_foreach (v, i, r) {
    cleanup_free char *type = NULL;
    char field[64];
    snprintf(field, sizeof(field), "%s.rlimits[%zu].type", where, i);
    if (get_string(r, "type", field, true, &type, err) < 0)
      return -1;
    int res = -1;
    for (size_t k = 0; k < ARRAY_SIZE(rlimit_names); k++)
      if (strcmp(type, rlimit_names[k].name) == 0)
        res = rlimit_names[k].resource;
    if (res < 0)
      return keep_fail(err, 0, CFG "%s: unknown rlimit `%s`", field, keep_q(type));
    for (size_t k = 0; k < p->n_rlimits; k++)
      if (p->rlimits[k].resource == res)
        return keep_fail(err, 0, CFG "%s: `%s` given twice", field, keep_q(type));
    /* JSON numbers stop at 2^63-1 here: RLIM_INFINITY cannot be written,
     * and a negative value must not wrap into an unsigned limit. */
    int64_t soft = -1, hard = -1;
    snprintf(field, sizeof(field), "%s.rlimits[%zu].soft", where, i);
    if (get_i64(r, "soft", field, 0, INT64_MAX, &soft, NULL, err) < 0)
      return -1;
    if (soft < 0)
      return keep_fail(err, 0, CFG "%s: required", field);
    snprintf(field, sizeof(field), "%s.rlimits[%zu].hard", where, i);
    if (get_i64(r, "hard", field, 0, INT64_MAX, &hard, NULL, err) < 0)
      return -1;
    if (hard < 0)
      return keep_fail(err, 0, CFG "%s: required", field);
    p->rlimits[p->n_rlimits].resource = res;
    p->rlimits[p->n_rlimits].soft = (uint64_t) soft;
    p->rlimits[p->n_rlimits].hard = (uint64_t) hard;
    if (soft > hard)
      return keep_fail(err, 0, CFG "%s.rlimits[%zu].soft: above hard", where, i);
    p->n_rlimits++;
  }
  return 0;
}

int keep_oci_process_parse(json_t *obj, const char *where, struct keep_oci_process *p, keep_error **err)
{
  char f[96];
  p->umask = -1;
  if (!json_is_object(obj))
    return keep_fail(err, 0, CFG "%s: expected an object", where);
  p->present = true;
  snprintf(f, sizeof(f), "%s.terminal", where);
  if (get_bool(obj, "terminal", f, &p->terminal, err) < 0)
    return -1;
  json_t *cs = json_object_get(obj, "consoleSize");
  if (cs) {
    uint32_t h = 0, w = 0;
    snprintf(f, sizeof(f), "%s.consoleSize.height", where);
    if (get_u32(cs, "height", f, true, UINT16_MAX, &h, err) < 0)
      return -1;
    snprintf(f, sizeof(f), "%s.consoleSize.width", where);
    if (get_u32(cs, "width", f, true, UINT16_MAX, &w, err) < 0)
      return -1;
    p->console_height = h;
    p->console_width = w;
  }
  json_t *user = json_object_get(obj, "user");
  snprintf(f, sizeof(f), "%s.user", where);
  if (user == NULL || !json_is_object(user))
    return keep_fail(err, 0, CFG "%s: required (an object with uid and gid)", f);
  uint32_t uid = 0, gid = 0, um = 0;
  snprintf(f, sizeof(f), "%s.user.uid", where);
  if (get_u32(user, "uid", f, true, ID_MAX, &uid, err) < 0)
    return -1;
  snprintf(f, sizeof(f), "%s.user.gid", where);
  if (get_u32(user, "gid", f, true, ID_MAX, &gid, err) < 0)
    return -1;
  p->uid = uid;
  p->gid = gid;
  if (json_object_get(user, "umask")) {
    snprintf(f, sizeof(f), "%s.user.umask", where);
    if (get_u32(user, "umask", f, false, 0777, &um, err) < 0)
      return -1;
    p->umask = (int) um;
  }
  json_t *ag = json_object_get(user, "additionalGids");
  if (ag) {
    if (!json_is_array(ag))
      return keep_fail(err, 0, CFG "%s.user.additionalGids: expected an array", where);
    snprintf(f, sizeof(f), "%s.user.additionalGids", where);
    /* NGROUPS_MAX: the kernel takes no more supplementary groups. */
    if (too_many(ag, 65536, f, err) < 0)
      return -1;
    p->additional_gids = xcalloc(json_array_size(ag) + 1, sizeof(gid_t));
    size_t i;
    json_t *g;
    json_array_foreach (ag, i, g) {
      if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > ID_MAX) {
        snprintf(f, sizeof(f), "%s.user.additionalGids[%zu]", where, i);
        return range_error(f, 0, ID_MAX, err);
      }
      p->additional_gids[p->n_additional_gids++] = (gid_t) json_integer_value(g);
    }
  }
  snprintf(f, sizeof(f), "%s.args", where);
  if (get_strv(obj, "args", f, KEEP_MAX_ARGS, &p->args, err) < 0)
    return -1;
  if (p->args == NULL || p->args[0] == NULL)
    return keep_fail(err, 0, CFG "%s: required, with at least one element", f);
  snprintf(f, sizeof(f), "%s.env", where);
  if (get_strv(obj, "env", f, KEEP_MAX_ENV, &p->env, err) < 0)
    return -1;
  for (size_t i = 0; p->env && p->env[i]; i++)
    if (strchr(p->env[i], '=') == NULL || p->env[i][0] == '=')
      return keep_fail(err, 0, CFG "%s[%zu]: `%s` is not KEY=VALUE", f, i, keep_q(p->env[i]));
  snprintf(f, sizeof(f), "%s.cwd", where);
  if (get_string(obj, "cwd", f, true, &p->cwd, err) < 0)
    return -1;
  if (p->cwd[0] != '/')
    return keep_fail(err, 0, CFG "%s: `%s` is not an absolute path", f, keep_q(p->cwd));
  json_t *caps = json_object_get(obj, "capabilities");
  if (caps && !json_is_null(caps)) {
    if (!json_is_object(caps))
      return keep_fail(err, 0, CFG "%s.capabilities: expected an object", where);
    p->has_caps = true;
    if (parse_caps(caps, "bounding", &p->caps_bounding, err) < 0 ||
        parse_caps(caps, "effective", &p->caps_effective, err) < 0 ||
        parse_caps(caps, "inheritable", &p->caps_inheritable, err) < 0 ||
        parse_caps(caps, "permitted", &p->caps_permitted, err) < 0 ||
        parse_caps(caps, "ambient", &p->caps_ambient, err) < 0)
      return -1;
  }
  if (parse_rlimits(p, json_object_get(obj, "rlimits"), where, err) < 0)
    return -1;
  snprintf(f, sizeof(f), "%s.noNewPrivileges", where);
  if (get_bool(obj, "noNewPrivileges", f, &p->no_new_privileges, err) < 0)
    return -1;
  json_t *oom = json_object_get(obj, "oomScoreAdj");
  if (oom) {
    if (!json_is_integer(oom) || json_integer_value(oom) < -1000 || json_integer_value(oom) > 1000)
      return keep_fail(err, 0, CFG "%s.oomScoreAdj: expected an integer from -1000 to 1000", where);
    p->has_oom_score_adj = true;
    p->oom_score_adj = (int) json_integer_value(oom);
  }
  snprintf(f, sizeof(f), "%s.apparmorProfile", where);
  if (get_string(obj, "apparmorProfile", f, false, &p->apparmor_profile, err) < 0)
    return -1;
  snprintf(f, sizeof(f), "%s.selinuxLabel", where);
  if (get_string(obj, "selinuxLabel", f, false, &p->selinux_label, err) < 0)
    return -1;
  return 0;
}

/* ---- hooks ---- */

static const char *const hook_keys[OCI_HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static int parse_hooks(struct keep_oci_spec *s, json_t *hooks, keep_error **err)
{
  if (hooks == NULL || json_is_null(hooks))
    return 0;
  if (!json_is_object(hooks))
    return keep_fail(err, 0, CFG "hooks: expected an object");
  const char *key;
  json_t *list;
  json_object_foreach (hooks, key, list) {
    int kind = -1;
    for (int k = 0; k < OCI_HOOK_KINDS; k++)
      if (strcmp(key, hook_keys[k]) == 0)
        kind = k;
    if (kind < 0)
      return keep_fail(err, 0, CFG "hooks.%s: unknown hook kind", keep_q(key));
    if (!json_is_array(list))
      return keep_fail(err, 0, CFG "hooks.%s: expected an array", key);
    char hf[64];
    snprintf(hf, sizeof(hf), "hooks.%s", key);
    if (too_many(list, KEEP_MAX_ITEMS, hf, err) < 0)
      return -1;
    s->hooks[kind] = xcalloc(json_array_size(list) + 1, sizeof(struct keep_oci_hook));
    size_t i;
    json_t *h;
    json_array_foreach (list, i, h) {
      struct keep_oci_hook *hk = &s->hooks[kind][s->n_hooks[kind]++];
      char f[64];
      snprintf(f, sizeof(f), "hooks.%s[%zu].path", key, i);
      if (get_string(h, "path", f, true, &hk->path, err) < 0)
        return -1;
      if (hk->path[0] != '/')
        return keep_fail(err, 0, CFG "%s: `%s` is not an absolute path", f, keep_q(hk->path));
      snprintf(f, sizeof(f), "hooks.%s[%zu].args", key, i);
      if (get_strv(h, "args", f, KEEP_MAX_ARGS, &hk->args, err) < 0)
        return -1;
      snprintf(f, sizeof(f), "hooks.%s[%zu].env", key, i);
      if (get_strv(h, "env", f, KEEP_MAX_ENV, &hk->env, err) < 0)
        return -1;
      json_t *t = json_object_get(h, "timeout");
      if (t) {
        if (!json_is_integer(t) || json_integer_value(t) <= 0 || json_integer_value(t) > INT_MAX) {
          snprintf(f, sizeof(f), "hooks.%s[%zu].timeout", key, i);
          return range_error(f, 1, INT_MAX, err);
        }
        hk->timeout = (int) json_integer_value(t);
      }
    }
  }
  return 0;
}

/* ---- linux ---- */

static int parse_namespaces(struct keep_oci_spec *s, json_t *v, keep_error **err)
{
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return keep_fail(err, 0, CFG "linux.namespaces: expected an array");
  size_t i;
  json_t *n;
  json_array_foreach (v, i, n) {
    cleanup_free char *type = NULL;
    char f[64];
    snprintf(f, sizeof(f), "linux.namespaces[%zu].type", i);
    if (get_string(n, "type", f, true, &type, err) < 0)
      return -1;
    int k = -1;
    for (int j = 0; j < OCI_NS_COUNT; j++)
      if (strcmp(type, keep_oci_namespaces[j].name) == 0)
        k = j;
    if (k < 0)
      return keep_fail(err, 0, CFG "%s: unknown namespace type `%s`", f, keep_q(type));
    if (s->ns[k])
      return keep_fail(err, 0, CFG "%s: `%s` given twice", f, keep_q(type));
    s->ns[k] = true;
    snprintf(f, sizeof(f), "linux.namespaces[%zu].path", i);
    if (get_string(n, "path", f, false, &s->ns_path[k], err) < 0)
      return -1;
    if (s->ns_path[k] && s->ns_path[k][0] != '/')
      return keep_fail(err, 0, CFG "%s: `%s` is not an absolute path", f, keep_q(s->ns_path[k]));
  }
  return 0;
}

/* A cpuset list as the kernel reads it: "0-3,5", ranges ascending. */
static bool cpu_list_valid(const char *s)
{
  if (*s == '\0')
    return false;
  for (const char *p = s;;) {
    char *end;
    if (*p < '0' || *p > '9')
      return false;
    unsigned long a = strtoul(p, &end, 10), b = a;
    p = end;
    if (*p == '-') {
      if (p[1] < '0' || p[1] > '9')
        return false;
      b = strtoul(p + 1, &end, 10);
      p = end;
    }
    if (b < a || b > 65535)
      return false;
    if (*p == '\0')
      return true;
    if (*p != ',')
      return false;
    p++;
  }
}

static int get_cpu_list(json_t *cpu, const char *key, const char *field, char **out, keep_error **err)
{
  json_t *v = json_object_get(cpu, key);
  if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
    return 0;
  if (!json_is_string(v) || !cpu_list_valid(json_string_value(v)))
    return keep_fail(err, 0, CFG "%s: `%s` is not a list like \"0-3,5\"", field,
                     json_is_string(v) ? keep_q(json_string_value(v)) : "(not a string)");
  *out = xstrdup(json_string_value(v));
  return 0;
}

/* Memory and CPU settings beyond the limits keep run also sets. */
static int parse_resource_extras(struct keep_limits *l, json_t *mem, json_t *cpu, keep_error **err)
{
  if (mem) {
    json_t *sw = json_object_get(mem, "swappiness");
    /* Absent, null or -1 (as Docker writes it): the kernel's own. */
    if (sw && !json_is_null(sw) && !(json_is_integer(sw) && json_integer_value(sw) == -1)) {
      if (!json_is_integer(sw) || json_integer_value(sw) < 0 || json_integer_value(sw) > 100)
        return keep_fail(err, 0, CFG "linux.resources.memory.swappiness: expected 0 to 100");
      l->has_swappiness = true;
      l->memory_swappiness = json_integer_value(sw);
    }
    json_t *oom = json_object_get(mem, "disableOOMKiller");
    if (oom && !json_is_null(oom) && !json_is_boolean(oom))
      return keep_fail(err, 0, CFG "linux.resources.memory.disableOOMKiller: expected true or false");
    l->disable_oom_killer = json_is_true(oom);
    if (get_i64(mem, "reservation", "linux.resources.memory.reservation", -1, INT64_MAX,
                &l->memory_reservation, NULL, err) < 0 ||
        get_i64(mem, "kernel", "linux.resources.memory.kernel", -1, INT64_MAX, &l->kernel_bytes, NULL, err) <
            0 ||
        get_i64(mem, "kernelTCP", "linux.resources.memory.kernelTCP", -1, INT64_MAX, &l->kernel_tcp_bytes,
                NULL, err) < 0)
      return -1;
    if (l->memory_reservation < 0)
      l->memory_reservation = 0; /* -1: none */
  }
  if (cpu) {
    if (get_cpu_list(cpu, "cpus", "linux.resources.cpu.cpus", &l->cpuset_cpus, err) < 0 ||
        get_cpu_list(cpu, "mems", "linux.resources.cpu.mems", &l->cpuset_mems, err) < 0 ||
        get_i64(cpu, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime", -1, INT64_MAX,
                &l->rt_runtime_us, NULL, err) < 0 ||
        get_i64(cpu, "realtimePeriod", "linux.resources.cpu.realtimePeriod", 0, INT64_MAX, &l->rt_period_us,
                NULL, err) < 0 ||
        get_i64(cpu, "idle", "linux.resources.cpu.idle", 0, 1, &l->cpu_idle, &l->has_cpu_idle, err) < 0 ||
        get_i64(cpu, "burst", "linux.resources.cpu.burst", 0, INT64_MAX, &l->cpu_burst_us, NULL, err) < 0)
      return -1;
    if (l->rt_period_us < 0)
      return keep_fail(err, 0, CFG "linux.resources.cpu.realtimePeriod: must not be negative");
    if (l->rt_period_us > 0 && l->rt_runtime_us > l->rt_period_us)
      return keep_fail(err, 0, CFG "linux.resources.cpu.realtimeRuntime: above realtimePeriod");
    if (l->has_cpu_idle && l->cpu_idle != 0 && l->cpu_idle != 1)
      return keep_fail(err, 0, CFG "linux.resources.cpu.idle: expected 0 or 1");
    if (l->cpu_burst_us < 0)
      return keep_fail(err, 0, CFG "linux.resources.cpu.burst: must not be negative");
  }
  return 0;
}

static int parse_resources(struct keep_oci_spec *s, json_t *r, keep_error **err)
{
  if (r == NULL || json_is_null(r))
    return 0;
  if (!json_is_object(r))
    return keep_fail(err, 0, CFG "linux.resources: expected an object");
  s->has_resources = true;
  json_t *mem = json_object_get(r, "memory"), *cpu = json_object_get(r, "cpu"),
         *pids = json_object_get(r, "pids");
  if (expect_type(mem, JSON_OBJECT, "linux.resources.memory", err) < 0 ||
      expect_type(cpu, JSON_OBJECT, "linux.resources.cpu", err) < 0 ||
      expect_type(pids, JSON_OBJECT, "linux.resources.pids", err) < 0)
    return -1;
  struct keep_limits *l = &s->limits;
  if (mem) {
    if (get_i64(mem, "limit", "linux.resources.memory.limit", -1, INT64_MAX, &l->memory_bytes, NULL, err) <
            0 ||
        get_i64(mem, "swap", "linux.resources.memory.swap", -1, INT64_MAX, &l->memory_swap_bytes, NULL, err) <
            0)
      return -1;
    if (l->memory_bytes > 0 && l->memory_swap_bytes > 0 && l->memory_swap_bytes < l->memory_bytes)
      return keep_fail(err, 0, CFG "linux.resources.memory.swap: below memory.limit");
  }
  if (cpu) {
    int64_t quota = 0, period = 0, shares = 0;
    /* The kernel's ranges: a period of 1 ms to 1 s, a quota of at least
     * 1 ms (-1: none), shares up to 262144 (0: not set). */
    if (get_i64(cpu, "quota", "linux.resources.cpu.quota", -1, INT64_MAX, &quota, NULL, err) < 0 ||
        get_i64(cpu, "period", "linux.resources.cpu.period", 0, 1000000, &period, NULL, err) < 0 ||
        get_i64(cpu, "shares", "linux.resources.cpu.shares", 0, 262144, &shares, NULL, err) < 0)
      return -1;
    if (quota > 0 && quota < 1000)
      return range_error("linux.resources.cpu.quota", 1000, INT64_MAX, err);
    if (period > 0 && period < 1000)
      return range_error("linux.resources.cpu.period", 1000, 1000000, err);
    if (quota > 0) {
      l->cpu_quota_us = quota;
      l->cpu_period_us = period > 0 ? period : 100000;
    }
    l->cpu_shares = shares;
  }
  /* PID_MAX_LIMIT: pids.max takes nothing larger (-1 and 0: no limit). */
  if (pids && get_i64(pids, "limit", "linux.resources.pids.limit", -1, 4194304, &l->pids, NULL, err) < 0)
    return -1;
  if (parse_resource_extras(l, mem, cpu, err) < 0 || keep_oci_parse_resources_io(l, r, err) < 0)
    return -1;
  json_t *devs = json_object_get(r, "devices");
  if (devs && !json_is_null(devs)) {
    if (!json_is_array(devs))
      return keep_fail(err, 0, CFG "linux.resources.devices: expected an array");
    if (too_many(devs, KEEP_MAX_ITEMS, "linux.resources.devices", err) < 0)
      return -1;
    cleanup_strvb struct strv_builder rules = {0};
    size_t i;
    json_t *d;
    json_array_foreach (devs, i, d) {
      json_t *allow = json_object_get(d, "allow");
      if (!json_is_boolean(allow))
        return keep_fail(err, 0, CFG "linux.resources.devices[%zu].allow: required (true or false)", i);
      const char *type = json_string_value(json_object_get(d, "type"));
      const char *access = json_string_value(json_object_get(d, "access"));
      json_t *maj = json_object_get(d, "major"), *min = json_object_get(d, "minor");
      if (type == NULL)
        type = "a";
      if (strlen(type) != 1 || strchr("abc", type[0]) == NULL)
        return keep_fail(err, 0, CFG "linux.resources.devices[%zu].type: `%s` is not a, b or c", i,
                         keep_q(type));
      if (access == NULL)
        access = "rwm";
      if (access[strspn(access, "rwm")] != '\0')
        return keep_fail(err, 0, CFG "linux.resources.devices[%zu].access: `%s` is not made of r, w, m", i,
                         keep_q(access));
      char majs[24] = "*", mins[24] = "*";
      if (json_is_integer(maj) && json_integer_value(maj) >= 0)
        snprintf(majs, sizeof(majs), "%lld", (long long) json_integer_value(maj));
      if (json_is_integer(min) && json_integer_value(min) >= 0)
        snprintf(mins, sizeof(mins), "%lld", (long long) json_integer_value(min));
      cleanup_free char *rule = xasprintf("%s %s %s:%s %s", json_is_true(allow) ? "allow" : "deny", type,
                                          majs, mins, *access ? access : "rwm");
      strvb_add(&rules, rule);
    }
    l->device_rules = strvb_finish(&rules);
  }
  return 0;
}

static int parse_devices(struct keep_oci_spec *s, json_t *v, keep_error **err)
{
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return keep_fail(err, 0, CFG "linux.devices: expected an array");
  if (too_many(v, KEEP_MAX_ITEMS, "linux.devices", err) < 0)
    return -1;
  s->devices = xcalloc(json_array_size(v) + 1, sizeof(*s->devices));
  size_t i;
  json_t *d;
  json_array_foreach (v, i, d) {
    struct keep_oci_device *dv = &s->devices[s->n_devices++];
    char f[64];
    cleanup_free char *type = NULL;
    snprintf(f, sizeof(f), "linux.devices[%zu].path", i);
    if (get_string(d, "path", f, true, &dv->path, err) < 0)
      return -1;
    if (dv->path[0] != '/')
      return keep_fail(err, 0, CFG "%s: `%s` is not an absolute path", f, keep_q(dv->path));
    snprintf(f, sizeof(f), "linux.devices[%zu].type", i);
    if (get_string(d, "type", f, true, &type, err) < 0)
      return -1;
    if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
      return keep_fail(err, 0, CFG "%s: `%s` is not one of c, b, u, p", f, keep_q(type));
    dv->type = type[0];
    bool has = false;
    snprintf(f, sizeof(f), "linux.devices[%zu].major", i);
    /* The kernel's device numbers: a 12-bit major, a 20-bit minor. */
    if (get_i64(d, "major", f, 0, 4095, &dv->major, &has, err) < 0)
      return -1;
    if (!has && dv->type != 'p')
      return keep_fail(err, 0, CFG "%s: required for type `%c`", f, dv->type);
    snprintf(f, sizeof(f), "linux.devices[%zu].minor", i);
    if (get_i64(d, "minor", f, 0, 1048575, &dv->minor, NULL, err) < 0)
      return -1;
    uint32_t mode = 0666, uid = 0, gid = 0;
    /* Permission bits, with the file type bits some managers add (podman
     * writes 8630, S_IFCHR|0666): anything else is not a mode. */
    snprintf(f, sizeof(f), "linux.devices[%zu].fileMode", i);
    if (get_u32(d, "fileMode", f, false, UINT32_MAX, &mode, err) < 0)
      return -1;
    if (mode & ~(07777u | S_IFMT))
      return keep_fail(err, 0, CFG "%s: %u is not a file mode (permission bits, and file type bits)", f,
                       mode);
    mode &= 07777;
    snprintf(f, sizeof(f), "linux.devices[%zu].uid", i);
    if (get_u32(d, "uid", f, false, ID_MAX, &uid, err) < 0)
      return -1;
    snprintf(f, sizeof(f), "linux.devices[%zu].gid", i);
    if (get_u32(d, "gid", f, false, ID_MAX, &gid, err) < 0)
      return -1;
    dv->mode = mode;
    dv->uid = uid;
    dv->gid = gid;
  }
  return 0;
}

/* After the config's own device rules, as runc and crun do: the nodes every
 * container's /dev has, and those linux.devices asks for, stay usable even
 * under a leading "deny everything" (later rules win). */
static void add_default_device_rules(struct keep_oci_spec *s)
{
  if (s->limits.device_rules == NULL)
    return;
  static const char *const defaults[] = {
      "allow c 1:3 rwm", "allow c 1:5 rwm", "allow c 1:7 rwm", "allow c 1:8 rwm",   "allow c 1:9 rwm",
      "allow c 5:0 rwm", "allow c 5:1 rwm", "allow c 5:2 rwm", "allow c 136:* rwm",
  };
  cleanup_strvb struct strv_builder rules = {0};
  strvb_add_all(&rules, s->limits.device_rules);
  strv_free(s->limits.device_rules);
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
    strvb_add(&rules, defaults[i]);
  for (size_t i = 0; i < s->n_devices; i++) {
    const struct keep_oci_device *d = &s->devices[i];
    if (d->type == 'p')
      continue; /* a FIFO is not a device the cgroup filters */
    cleanup_free char *rule = xasprintf("allow %c %lld:%lld rwm", d->type == 'b' ? 'b' : 'c',
                                        (long long) d->major, (long long) d->minor);
    strvb_add(&rules, rule);
  }
  s->limits.device_rules = strvb_finish(&rules);
}

static int parse_linux(struct keep_oci_spec *s, json_t *lx, keep_error **err)
{
  if (lx == NULL || json_is_null(lx))
    return 0;
  if (!json_is_object(lx))
    return keep_fail(err, 0, CFG "linux: expected an object");
  if (parse_namespaces(s, json_object_get(lx, "namespaces"), err) < 0 ||
      parse_idmaps(json_object_get(lx, "uidMappings"), "linux.uidMappings", s->uid_map, &s->n_uid_map, err) <
          0 ||
      parse_idmaps(json_object_get(lx, "gidMappings"), "linux.gidMappings", s->gid_map, &s->n_gid_map, err) <
          0 ||
      parse_resources(s, json_object_get(lx, "resources"), err) < 0 ||
      parse_devices(s, json_object_get(lx, "devices"), err) < 0 ||
      get_string(lx, "cgroupsPath", "linux.cgroupsPath", false, &s->cgroups_path, err) < 0 ||
      get_strv(lx, "maskedPaths", "linux.maskedPaths", KEEP_MAX_ITEMS, &s->masked_paths, err) < 0 ||
      get_strv(lx, "readonlyPaths", "linux.readonlyPaths", KEEP_MAX_ITEMS, &s->readonly_paths, err) < 0 ||
      get_string(lx, "mountLabel", "linux.mountLabel", false, &s->mount_label, err) < 0)
    return -1;
  add_default_device_rules(s);
  if ((s->n_uid_map || s->n_gid_map) && !s->ns[OCI_NS_USER])
    return keep_fail(err, 0, CFG "linux.uidMappings: given without a user namespace");
  if (s->ns[OCI_NS_USER] && !s->ns_path[OCI_NS_USER] && (!s->n_uid_map || !s->n_gid_map))
    return keep_fail(err, 0, CFG "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");

  json_t *sysctl = json_object_get(lx, "sysctl");
  if (sysctl && !json_is_null(sysctl)) {
    if (!json_is_object(sysctl))
      return keep_fail(err, 0, CFG "linux.sysctl: expected an object");
    if (too_many(sysctl, KEEP_MAX_ITEMS, "linux.sysctl", err) < 0)
      return -1;
    const char *k;
    json_t *v;
    cleanup_strvb struct strv_builder kvs = {0};
    json_object_foreach (sysctl, k, v) {
      if (!json_is_string(v) || strstr(k, "..") || k[0] == '/' || k[0] == '.')
        return keep_fail(err, 0, CFG "linux.sysctl.%s: %s", keep_q(k),
                         json_is_string(v) ? "not a sysctl name" : "expected a string");
      cleanup_free char *kv = xasprintf("%s=%s", k, json_string_value(v));
      strvb_add(&kvs, kv);
    }
    s->sysctl = strvb_finish(&kvs);
  }
  json_t *sc = json_object_get(lx, "seccomp");
  if (sc && !json_is_null(sc)) {
    if (!json_is_object(sc))
      return keep_fail(err, 0, CFG "linux.seccomp: expected an object");
    s->seccomp = sc;
  }
  cleanup_free char *prop = NULL;
  if (get_string(lx, "rootfsPropagation", "linux.rootfsPropagation", false, &prop, err) < 0)
    return -1;
  if (prop) {
    bool found = false;
    for (size_t k = 0; k < ARRAY_SIZE(propagations); k++)
      if (strcmp(prop, propagations[k].name) == 0) {
        s->rootfs_propagation = propagations[k].flag;
        found = true;
      }
    if (!found)
      return keep_fail(err, 0, CFG "linux.rootfsPropagation: unknown value `%s`", keep_q(prop));
  }
  json_t *pers = json_object_get(lx, "personality");
  if (pers && !json_is_null(pers)) {
    cleanup_free char *domain = NULL;
    if (get_string(pers, "domain", "linux.personality.domain", true, &domain, err) < 0)
      return -1;
    if (strcmp(domain, "LINUX") == 0)
      s->personality = PER_LINUX;
    else if (strcmp(domain, "LINUX32") == 0)
      s->personality = PER_LINUX32;
    else
      return keep_fail(err, 0, CFG "linux.personality.domain: unknown domain `%s`", keep_q(domain));
    if (json_array_size(json_object_get(pers, "flags")) > 0)
      return keep_fail(err, ENOTSUP, CFG "linux.personality.flags: not supported");
    s->has_personality = true;
  }
  json_t *to = json_object_get(lx, "timeOffsets");
  if (to && !json_is_null(to)) {
    if (!s->ns[OCI_NS_TIME])
      return keep_fail(err, 0, CFG "linux.timeOffsets: given without a time namespace");
    json_t *b = json_object_get(to, "boottime"), *m = json_object_get(to, "monotonic");
    if (b && get_i64(b, "secs", "linux.timeOffsets.boottime.secs", INT64_MIN, INT64_MAX,
                     &s->time_offset_boottime_s, NULL, err) < 0)
      return -1;
    if (m && get_i64(m, "secs", "linux.timeOffsets.monotonic.secs", INT64_MIN, INT64_MAX,
                     &s->time_offset_monotonic_s, NULL, err) < 0)
      return -1;
    s->has_time_offsets = true;
  }
  json_t *ip = json_object_get(lx, "intelRdt");
  if (ip && !json_is_null(ip))
    return keep_fail(err, ENOTSUP, CFG "linux.intelRdt: not supported on this host");
  return 0;
}

/* What an idmapped mount needs from the rest of the config. */
static int check_idmapped_mounts(const struct keep_oci_spec *s, keep_error **err)
{
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    if (m->idmap == OCI_IDMAP_NONE)
      continue;
    /* Without mappings of its own a mount takes the container's; with no
     * user namespace there are none (runtime-spec: an error). */
    if (!m->n_uid_map && !s->ns[OCI_NS_USER])
      return keep_fail(err, 0,
                       CFG "mounts[%zu].options: `%s` without uidMappings and gidMappings needs a user "
                           "namespace",
                       i, m->idmap == OCI_IDMAP_RECURSIVE ? "ridmap" : "idmap");
    /* The tree is prepared by keep in the host's mount namespace: a source
     * path meant for a joined one would name something else. */
    if (s->ns_path[OCI_NS_MOUNT])
      return keep_fail(err, ENOTSUP,
                       CFG "mounts[%zu]: an idmapped mount with a joined mount namespace (`%s`) "
                           "is not supported",
                       i, keep_q(s->ns_path[OCI_NS_MOUNT]));
  }
  return 0;
}

static int parse_doc(struct keep_oci_spec *s, keep_error **err)
{
  json_t *root = s->json;
  if (!json_is_object(root))
    return keep_fail(err, 0, CFG "expected a JSON object");
  if (get_string(root, "ociVersion", "ociVersion", true, &s->oci_version, err) < 0)
    return -1;
  if (!str_has_prefix(s->oci_version, "1."))
    return keep_fail(err, 0, CFG "ociVersion: `%s` is not a 1.x version", keep_q(s->oci_version));
  json_t *r = json_object_get(root, "root");
  if (!json_is_object(r))
    return keep_fail(err, 0, CFG "root: required (an object with path)");
  if (get_string(r, "path", "root.path", true, &s->root_path, err) < 0 ||
      get_bool(r, "readonly", "root.readonly", &s->root_readonly, err) < 0)
    return -1;
  if (s->root_path[0] != '/') {
    char *abs = xasprintf("%s/%s", s->bundle, s->root_path);
    free(s->root_path);
    s->root_path = abs;
  }
  if (get_string(root, "hostname", "hostname", false, &s->hostname, err) < 0 ||
      get_string(root, "domainname", "domainname", false, &s->domainname, err) < 0 ||
      parse_mounts(s, json_object_get(root, "mounts"), err) < 0 ||
      parse_hooks(s, json_object_get(root, "hooks"), err) < 0)
    return -1;
  json_t *proc = json_object_get(root, "process");
  if (proc && !json_is_null(proc) && keep_oci_process_parse(proc, "process", &s->process, err) < 0)
    return -1;
  json_t *ann = json_object_get(root, "annotations");
  if (ann && !json_is_null(ann)) {
    if (!json_is_object(ann))
      return keep_fail(err, 0, CFG "annotations: expected an object");
    if (too_many(ann, KEEP_MAX_ITEMS, "annotations", err) < 0)
      return -1;
    const char *k;
    json_t *v;
    json_object_foreach (ann, k, v)
      if (!json_is_string(v))
        return keep_fail(err, 0, CFG "annotations.%s: expected a string", keep_q(k));
    s->annotations = ann;
  }
  if (parse_linux(s, json_object_get(root, "linux"), err) < 0 || check_idmapped_mounts(s, err) < 0)
    return -1;
  /* The kernel's limit (HOST_NAME_MAX): refused here, not when sethostname fails in the container. */
  if (s->hostname && strlen(s->hostname) > 64)
    return keep_fail(err, 0, CFG "hostname: longer than 64 bytes (%zu)", strlen(s->hostname));
  if (s->domainname && strlen(s->domainname) > 64)
    return keep_fail(err, 0, CFG "domainname: longer than 64 bytes (%zu)", strlen(s->domainname));
  if ((s->hostname || s->domainname) && !s->ns[OCI_NS_UTS])
    return keep_fail(err, 0, CFG "hostname: setting it needs a uts namespace");
  return 0;
}

int keep_oci_spec_parse_len(const char *bundle, const char *text, size_t len, struct keep_oci_spec *out,
                            keep_error **err)
{
  memset(out, 0, sizeof(*out));
  out->process.umask = -1;
  out->limits.cpu_period_us = 100000;
  out->bundle = xstrdup(bundle);
  out->json = keep_json_parse(text, len, 0, "config.json", err);
  if (out->json == NULL || parse_doc(out, err) < 0) {
    keep_oci_spec_free(out);
    return -1;
  }
  return 0;
}

int keep_oci_spec_parse(const char *bundle, const char *text, struct keep_oci_spec *out, keep_error **err)
{
  return keep_oci_spec_parse_len(bundle, text, strlen(text), out, err);
}

int keep_oci_spec_load(const char *bundle, struct keep_oci_spec *out, keep_error **err)
{
  cleanup_free char *abs = realpath(bundle, NULL);
  if (abs == NULL)
    return keep_fail_errno(err, "bundle `%s`", keep_q(bundle));
  cleanup_free char *path = xasprintf("%s/config.json", abs);
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
    return keep_error_hint(err, "a bundle is a directory with config.json (`keep spec` writes one)");
  return keep_oci_spec_parse_len(abs, text, len, out, err);
}

void keep_oci_process_free(struct keep_oci_process *p)
{
  free(p->additional_gids);
  strv_free(p->args);
  strv_free(p->env);
  free(p->cwd);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  memset(p, 0, sizeof(*p));
}

void keep_oci_spec_free(struct keep_oci_spec *s)
{
  free(s->bundle);
  free(s->oci_version);
  free(s->root_path);
  free(s->hostname);
  free(s->domainname);
  for (size_t i = 0; i < s->n_mounts; i++) {
    free(s->mounts[i].destination);
    free(s->mounts[i].type);
    free(s->mounts[i].source);
    free(s->mounts[i].data);
  }
  free(s->mounts);
  keep_oci_process_free(&s->process);
  for (int k = 0; k < OCI_HOOK_KINDS; k++) {
    for (size_t i = 0; i < s->n_hooks[k]; i++) {
      free(s->hooks[k][i].path);
      strv_free(s->hooks[k][i].args);
      strv_free(s->hooks[k][i].env);
    }
    free(s->hooks[k]);
  }
  for (int k = 0; k < OCI_NS_COUNT; k++)
    free(s->ns_path[k]);
  free(s->cgroups_path);
  strv_free(s->sysctl);
  keep_limits_release(&s->limits);
  strv_free(s->masked_paths);
  strv_free(s->readonly_paths);
  free(s->mount_label);
  for (size_t i = 0; i < s->n_devices; i++)
    free(s->devices[i].path);
  free(s->devices);
  if (s->json)
    json_decref(s->json);
  memset(s, 0, sizeof(*s));
}
