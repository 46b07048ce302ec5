/* `keep spec`: a config.json with keep's defaults, not a permissive one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/resource.h>

#include "apparmor.h"
#include "cgroup.h"
#include "defaults.h"
#include "oci_spec.h"
#include "seccomp_filter.h"
#include "userns.h"
#include "util.h"

static json_t *default_seccomp(keep_error **err)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL) {
    keep_fail_errno(err, "open_memstream");
    return NULL;
  }
  int r = keep_seccomp_print_default(f, err);
  fclose(f);
  json_t *j = r < 0 ? NULL : keep_json_parse(buf, len, 0, "the default seccomp profile", NULL);
  free(buf);
  if (r == 0 && j == NULL)
    keep_fail(err, 0, "the default seccomp profile does not parse");
  return j;
}

json_t *keep_oci_default_spec(bool rootless, bool with_seccomp, keep_error **err)
{
  /* keep run leaves the profile out: it loads the same one precompiled. */
  json_t *sc = with_seccomp ? default_seccomp(err) : json_object();
  if (sc == NULL)
    return NULL;
  struct keep_limits l;
  keep_limits_default(&l);
  uint32_t uid_out = KEEP_DEFAULT_SUBID_BASE, gid_out = KEEP_DEFAULT_SUBID_BASE, count = KEEP_SUBID_COUNT;
  if (rootless) {
    uid_out = (uint32_t) geteuid();
    gid_out = (uint32_t) getegid();
    count = 1;
  }
  json_t *ns = json_array();
  for (int k = 0; k < OCI_NS_COUNT; k++)
    if (keep_oci_namespaces[k].in_default_spec)
      json_array_append_new(ns, json_pack("{s:s}", "type", keep_oci_namespaces[k].name));
  json_t *mounts = json_pack(
      "[{s:s,s:s,s:s,s:[s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s]},"
      "{s:s,s:s,s:s,s:[s,s,s]}]",
      "destination", "/proc", "type", "proc", "source", "proc", "options", "nosuid", "noexec", "nodev",
      "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options", "nosuid", "noexec", "ro",
      "mode=755", "size=64k", "nr_inodes=64", "destination", "/dev/pts", "type", "devpts", "source", "devpts",
      "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
      rootless ? "nodev" : "gid=5", "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options",
      "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", "destination", "/dev/mqueue", "type", "mqueue",
      "source", "mqueue", "options", "nosuid", "noexec", "nodev", "destination", "/sys", "type", "sysfs",
      "source", "sysfs", "options", "nosuid", "noexec", "nodev", "ro", "destination", "/sys/fs/cgroup",
      "type", "cgroup", "source", "cgroup", "options", "nosuid", "noexec", "nodev", "ro",
      /* /tmp and /run as keep run makes them: unbounded but for the
       * container's memory limit, which their pages count against. */
      "destination", "/tmp", "type", "tmpfs", "source", "tmpfs", "options", "nosuid", "nodev", "mode=1777",
      "destination", "/run", "type", "tmpfs", "source", "tmpfs", "options", "nosuid", "nodev", "mode=755");
  /* The tables keep run applies (defaults.h): the spec describes it. */
  json_t *masked = json_array(), *ro = json_array(), *rlimits = json_array();
  for (size_t i = 0; i < keep_n_masked_paths; i++)
    json_array_append_new(masked, json_string(keep_masked_paths[i]));
  for (size_t i = 0; i < keep_n_readonly_paths; i++)
    json_array_append_new(ro, json_string(keep_readonly_paths[i]));
  for (size_t i = 0; i < keep_n_default_rlimits; i++) {
    const struct keep_default_rlimit *d = &keep_default_rlimits[i];
    /* As keep run does: never above the caller's own hard limit. */
    struct rlimit cur;
    uint64_t hard = d->hard, soft = d->soft;
    if (getrlimit(d->resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && hard > cur.rlim_max)
      hard = cur.rlim_max;
    if (soft > hard)
      soft = hard;
    json_array_append_new(rlimits, json_pack("{s:s, s:I, s:I}", "type", d->name, "soft", (json_int_t) soft,
                                             "hard", (json_int_t) hard));
  }
  json_t *spec =
      json_pack("{s:s, s:{s:s, s:b}, s:s,"
                " s:{s:b, s:{s:i, s:i}, s:[s], s:[s,s], s:s,"
                "    s:{s:[], s:[], s:[], s:[], s:[]},"
                "    s:o, s:b},"
                " s:o,"
                " s:{s:o, s:[{s:i, s:i, s:i}], s:[{s:i, s:i, s:i}],"
                "    s:{s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I}},"
                "    s:o, s:o, s:o}}",
                "ociVersion", "1.0.2", "root", "path", "rootfs", "readonly", 1, "hostname", "keep", "process",
                "terminal", 0, "user", "uid", 0, "gid", 0, "args", "sh", "env",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd", "/",
                "capabilities", "bounding", "effective", "inheritable", "permitted", "ambient", "rlimits",
                rlimits, "noNewPrivileges", 1, "mounts", mounts, "linux", "namespaces", ns, "uidMappings",
                "containerID", 0, "hostID", (int) uid_out, "size", (int) count, "gidMappings", "containerID",
                0, "hostID", (int) gid_out, "size", (int) count, "resources", "memory", "limit",
                (json_int_t) l.memory_bytes, "swap", (json_int_t) l.memory_bytes, "cpu", "quota",
                (json_int_t) l.cpu_quota_us, "period", (json_int_t) l.cpu_period_us, "pids", "limit",
                (json_int_t) l.pids, "seccomp", sc, "maskedPaths", masked, "readonlyPaths", ro);
  if (spec == NULL)
    keep_fail(err, 0, "build the default config.json");
  /* In its own network namespace a process with no capability may bind any
   * port, 80 included (as Docker sets it): a web server needs no
   * NET_BIND_SERVICE, and the host's ports are out of reach anyway. */
  if (spec)
    json_object_set_new(json_object_get(spec, "linux"), "sysctl",
                        json_pack("{s:s}", "net.ipv4.ip_unprivileged_port_start", "0"));
  /* keep's own AppArmor profile where the host has AppArmor, as keep run
   * gives it (create loads it when it runs as root). */
  if (spec && keep_apparmor_enabled())
    json_object_set_new(json_object_get(spec, "process"), "apparmorProfile",
                        json_string(KEEP_APPARMOR_DEFAULT));
  if (spec && !with_seccomp)
    json_object_del(json_object_get(spec, "linux"), "seccomp");
  if (rootless && spec) {
    /* cgroup v1 cannot be delegated: no limits there, said by `keep audit`. */
    enum keep_cgroup_version v = KEEP_CGROUP_NONE;
    keep_cgroup_detect(&v, NULL);
    if (v != KEEP_CGROUP_V2)
      json_object_del(json_object_get(spec, "linux"), "resources");
  }
  return spec;
}
