/* keep run's config.json: keep_oci_default_spec() (what `keep spec` prints)
 * with the flags and the image's config written over it, field by field. */
#include "run_spec.h"

#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "oci_spec.h"
#include "process_setup.h"
#include "util.h"

static json_t *strv_json(char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *caps_json(uint64_t caps)
{
  json_t *a = json_array();
  for (int bit = 0; bit < 64; bit++)
    if ((caps >> bit) & 1) {
      cleanup_free char *name = keep_caps_name(bit);
      if (name)
        json_array_append_new(a, json_string(name));
    }
  return a;
}

static json_t *maps_json(const struct keep_idmap *m, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t) m[i].inside, "hostID",
                                       (json_int_t) m[i].outside, "size", (json_int_t) m[i].count));
  return a;
}

static size_t path_depth(const char *p)
{
  size_t n = 0;
  for (; *p; p++)
    if (*p == '/' && p[1] && p[1] != '/')
      n++;
  return n;
}

/* Volumes after keep's own mounts, shallow targets first, so a volume at
 * /data/sub lands on top of one at /data. */
static void add_volumes(json_t *mounts, const struct keep_config *cfg, int *volume_of_mount)
{
  size_t max_depth = 0;
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (path_depth(cfg->mounts[i].dst) > max_depth)
      max_depth = path_depth(cfg->mounts[i].dst);
  for (size_t d = 0; d <= max_depth; d++)
    for (size_t i = 0; i < cfg->n_mounts; i++) {
      const struct keep_mount_req *m = &cfg->mounts[i];
      if (path_depth(m->dst) != d)
        continue;
      volume_of_mount[json_array_size(mounts)] = (int) i;
      if (m->kind == KEEP_MOUNT_TMPFS)
        json_array_append_new(mounts,
                              json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination", m->dst, "type", "tmpfs",
                                        "source", "tmpfs", "options", "nosuid", "nodev", "mode=1777"));
      else
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s,s,s]}", "destination", m->dst, "type",
                                                "bind", "source", m->src, "options", "rbind", "nosuid",
                                                "nodev", m->writable ? "rw" : "ro"));
    }
}

/* devpts: gid=5 only where the user namespace maps the tty group. */
static void set_devpts(json_t *mounts, bool tty_gid)
{
  size_t i;
  json_t *m;
  json_array_foreach (mounts, i, m) {
    if (strcmp(json_string_value(json_object_get(m, "destination")), "/dev/pts") != 0)
      continue;
    json_t *o = json_pack("[s,s,s,s,s]", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
    if (tty_gid)
      json_array_append_new(o, json_string("gid=5"));
    json_object_set_new(m, "options", o);
  }
}

static void set_resources(json_t *lx, const struct keep_config *cfg)
{
  if (!cfg->cgroups) {
    json_object_del(lx, "resources");
    return;
  }
  const struct keep_limits *l = &cfg->limits;
  json_t *r = json_object();
  if (l->memory_bytes > 0) {
    int64_t swap = l->memory_swap_bytes != 0 ? l->memory_swap_bytes : l->memory_bytes;
    json_object_set_new(
        r, "memory",
        json_pack("{s:I, s:I}", "limit", (json_int_t) l->memory_bytes, "swap", (json_int_t) swap));
  }
  json_t *cpu = json_object();
  if (l->cpu_quota_us > 0) {
    json_object_set_new(cpu, "quota", json_integer(l->cpu_quota_us));
    json_object_set_new(cpu, "period", json_integer(l->cpu_period_us));
  }
  if (l->cpu_shares > 0)
    json_object_set_new(cpu, "shares", json_integer(l->cpu_shares));
  json_object_set_new(r, "cpu", cpu);
  if (l->pids > 0)
    json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t) l->pids));
  json_object_set_new(lx, "resources", r);
}

json_t *keep_run_spec(const struct keep_config *cfg, const struct keep_userns_plan *u, int **volume_of_mount,
                      size_t *n_mounts, keep_error **err)
{
  json_t *spec = keep_oci_default_spec(cfg->rootless, false, err);
  if (spec == NULL)
    return NULL;
  json_t *root = json_object_get(spec, "root");
  json_object_set_new(root, "path", json_string(cfg->rootfs));
  json_object_set_new(root, "readonly", json_boolean(!cfg->read_write));
  json_object_set_new(spec, "hostname", json_string(cfg->hostname));

  /* The user is looked up in the container's own /etc/passwd, by the init
   * once the root is built (never NSS, never the host's files): uid 0 and
   * HOME=/ here until then. */
  json_t *proc = json_object_get(spec, "process");
  json_object_set_new(proc, "terminal", json_boolean(cfg->proc.tty));
  json_object_set_new(proc, "args", strv_json(cfg->proc.argv));
  cleanup_strv char **env = keep_env_build(cfg->proc.env, NULL, cfg->hostname, cfg->proc.tty);
  json_object_set_new(proc, "env", strv_json(env));
  json_object_set_new(proc, "cwd", json_string(cfg->proc.cwd ? cfg->proc.cwd : "/"));
  json_object_set_new(proc, "capabilities",
                      json_pack("{s:o, s:o, s:[], s:o, s:[]}", "bounding", caps_json(cfg->cap_add),
                                "effective", caps_json(cfg->cap_add), "inheritable", "permitted",
                                caps_json(cfg->cap_add), "ambient"));
  /* keep's AppArmor profile, another, or "unconfined" (WEAKER); none on a
   * host without AppArmor. */
  if (cfg->apparmor)
    json_object_set_new(proc, "apparmorProfile", json_string(cfg->apparmor));
  else
    json_object_del(proc, "apparmorProfile");

  json_t *mounts = json_object_get(spec, "mounts");
  set_devpts(mounts, u->tty_gid_mapped);
  size_t n = json_array_size(mounts) + cfg->n_mounts;
  *volume_of_mount = xcalloc(n ? n : 1, sizeof(int));
  for (size_t i = 0; i < n; i++)
    (*volume_of_mount)[i] = -1;
  add_volumes(mounts, cfg, *volume_of_mount);
  *n_mounts = n;

  json_t *lx = json_object_get(spec, "linux");
  if (cfg->network == KEEP_NET_HOST) {
    json_t *ns = json_object_get(lx, "namespaces");
    size_t i;
    json_t *e;
    json_array_foreach (ns, i, e) {
      if (strcmp(json_string_value(json_object_get(e, "type")), "network") == 0) {
        json_array_remove(ns, i);
        break;
      }
    }
    /* The host's network: its sysctls are the host's, never the container's. */
    json_object_del(json_object_get(lx, "sysctl"), "net.ipv4.ip_unprivileged_port_start");
  }
  json_object_set_new(lx, "uidMappings", maps_json(u->uid, u->n_uid));
  json_object_set_new(lx, "gidMappings", maps_json(u->gid, u->n_gid));
  set_resources(lx, cfg);

  /* What config.json has no field for, said where a reader looks. */
  const char *sc = cfg->seccomp == KEEP_SECCOMP_UNCONFINED ? "unconfined"
                   : cfg->seccomp == KEEP_SECCOMP_FILE     ? cfg->seccomp_file
                                                           : "default";
  json_object_set_new(spec, "annotations",
                      json_pack("{s:s, s:s, s:s}", "run.keep.seccomp", sc, "run.keep.landlock",
                                cfg->landlock ? "on" : "off", "run.keep.init", "keep-init"));
  return spec;
}
