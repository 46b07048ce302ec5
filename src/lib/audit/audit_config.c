/* Section 5 of the CIS Docker Benchmark v1.6.0 (container runtime), as
 * docker-bench-security numbers it, on an OCI config.json: what a container
 * made from it would be allowed.  Checks that need a daemon (swarm, health
 * checks, the docker0 bridge, `docker exec` options) do not apply. */
#include <linux/capability.h>
#include <string.h>
#include <sys/mount.h>

#include "audit.h"
#include "caps.h"
#include "cgroup.h"
#include "util.h"

/* Capabilities that make a container's root close to the host's. */
static const int dangerous_caps[] = {CAP_SYS_ADMIN, CAP_SYS_MODULE,     CAP_SYS_RAWIO,       CAP_SYS_PTRACE,
                                     CAP_SYS_BOOT,  CAP_SYS_TIME,       CAP_DAC_READ_SEARCH, CAP_NET_ADMIN,
                                     CAP_BPF,       CAP_PERFMON,        CAP_MAC_ADMIN,       CAP_MAC_OVERRIDE,
                                     CAP_SYSLOG,    CAP_LINUX_IMMUTABLE};

static char *caps_list(uint64_t caps)
{
  char *s = xstrdup("");
  for (int bit = 0; bit < 64; bit++) {
    if (!((caps >> bit) & 1))
      continue;
    cleanup_free char *name = keep_caps_name(bit);
    char *t = xasprintf("%s%s%s", s, *s ? "," : "", name ? name : "?");
    free(s);
    s = t;
  }
  return s;
}

static void check_caps(const struct keep_oci_spec *s, struct keep_findings *f)
{
  const struct keep_oci_process *p = &s->process;
  uint64_t any = p->caps_bounding | p->caps_effective | p->caps_permitted | p->caps_ambient;
  uint64_t bad = 0;
  for (size_t i = 0; i < ARRAY_SIZE(dangerous_caps); i++)
    bad |= any & (1ULL << dangerous_caps[i]);
  int n = __builtin_popcountll(any);
  const char *title = "Linux kernel capabilities are restricted";
  const char *fix = "drop them (keep run gives none unless --cap-add)";
  cleanup_free char *all = caps_list(any), *danger = caps_list(bad);
  if (bad)
    keep_findings_add(f, "5.4", AUDIT_FAIL, title, "process.capabilities", fix, "%s, of them %s", all,
                      danger);
  else if (any)
    keep_findings_add(f, "5.4", AUDIT_WARN, title, "process.capabilities", fix, "%s", all);
  else
    keep_findings_add(f, "5.4", AUDIT_PASS, title, "", NULL, "none");
  if (p->caps_inheritable || p->caps_ambient)
    keep_findings_add(f, "K.1", AUDIT_WARN, "Inheritable and ambient capabilities are empty",
                      "process.capabilities", "empty both (CVE-2022-24769)",
                      "inheritable %#llx, ambient %#llx", (unsigned long long) p->caps_inheritable,
                      (unsigned long long) p->caps_ambient);
  else
    keep_findings_add(f, "K.1", AUDIT_PASS, "Inheritable and ambient capabilities are empty", "", NULL,
                      "empty");
  /* Privileged: the capabilities and the walls `--privileged` removes. */
  bool privileged = n >= 38 || ((any >> CAP_SYS_ADMIN) & 1 && s->seccomp == NULL && !s->masked_paths);
  if (privileged)
    keep_findings_add(f, "5.5", AUDIT_FAIL, "Privileged containers are not used", "process.capabilities",
                      "give only the capabilities the process needs, keep seccomp and masked paths",
                      "%d capabilities%s", n, s->seccomp ? "" : ", no seccomp filter");
  else
    keep_findings_add(f, "5.5", AUDIT_PASS, "Privileged containers are not used", "", NULL, "no");
}

static bool path_is(const char *p, const char *dir)
{
  size_t n = strlen(dir);
  return strncmp(p, dir, n) == 0 && (p[n] == '\0' || (p[n] == '/' && p[n + 1] == '\0'));
}

static bool path_under(const char *p, const char *dir)
{
  size_t n = strlen(dir);
  return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static const char *const sensitive_dirs[] = {"/",
                                             "/boot",
                                             "/dev",
                                             "/etc",
                                             "/lib",
                                             "/lib64",
                                             "/proc",
                                             "/sys",
                                             "/usr",
                                             "/bin",
                                             "/sbin",
                                             "/root",
                                             "/var/lib/keep",
                                             "/var/lib/docker",
                                             "/var/lib/containerd",
                                             "/run/keep"};
static const char *const sockets[] = {"/var/run/docker.sock",
                                      "/run/docker.sock",
                                      "/run/containerd/containerd.sock",
                                      "/var/run/containerd/containerd.sock",
                                      "/run/podman/podman.sock",
                                      "/var/run/crio/crio.sock",
                                      "/run/crio/crio.sock"};

static void check_mounts(const struct keep_oci_spec *s, struct keep_findings *f)
{
  bool sens = false, sock = false, shared = false, devs = s->n_devices > 0;
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    cleanup_free char *where = xasprintf("mounts[%zu]", i);
    if ((m->propagation & ~(unsigned long) MS_REC) == MS_SHARED) {
      shared = true;
      keep_findings_add(f, "5.20", AUDIT_WARN, "Mount propagation is not shared", where,
                        "use private or slave propagation", "`%s` is shared", m->destination);
    }
    if (!m->bind || m->source == NULL)
      continue;
    for (size_t k = 0; k < ARRAY_SIZE(sockets); k++)
      if (path_is(m->source, sockets[k])) {
        sock = true;
        keep_findings_add(f, "5.32", AUDIT_FAIL, "The Docker socket is not mounted inside any container",
                          where, "never give a container the runtime's socket: it is root on the host",
                          "`%s` on `%s`", m->source, m->destination);
      }
    for (size_t k = 0; k < ARRAY_SIZE(sensitive_dirs); k++)
      if (path_is(m->source, sensitive_dirs[k])) {
        sens = true;
        bool ro = m->flags & MS_RDONLY;
        keep_findings_add(f, "5.6", ro ? AUDIT_WARN : AUDIT_FAIL,
                          "Sensitive host directories are not mounted", where,
                          "mount only what the process needs, read-only", "`%s` on `%s`%s", m->source,
                          m->destination, ro ? " (read-only)" : ", writable");
      }
    if (path_under(m->source, "/dev") && !path_is(m->source, "/dev/null") &&
        !path_is(m->source, "/dev/zero") && !path_is(m->source, "/dev/urandom") &&
        !path_is(m->source, "/dev/random") && !path_is(m->source, "/dev/full") &&
        !path_is(m->source, "/dev/tty")) {
      devs = true;
      keep_findings_add(f, "5.18", AUDIT_WARN, "Host devices are not directly exposed", where,
                        "give no host device the process does not need", "`%s`", m->source);
    }
  }
  for (size_t i = 0; i < s->n_devices; i++) {
    cleanup_free char *where = xasprintf("linux.devices[%zu]", i);
    keep_findings_add(f, "5.18", AUDIT_WARN, "Host devices are not directly exposed", where,
                      "give no host device the process does not need", "`%s` (%c %lld:%lld)",
                      s->devices[i].path, s->devices[i].type, (long long) s->devices[i].major,
                      (long long) s->devices[i].minor);
  }
  if ((s->rootfs_propagation & ~(unsigned long) MS_REC) == MS_SHARED) {
    shared = true;
    keep_findings_add(f, "5.20", AUDIT_WARN, "Mount propagation is not shared", "linux.rootfsPropagation",
                      "use private or slave propagation", "the root is shared");
  }
  if (!sens)
    keep_findings_add(f, "5.6", AUDIT_PASS, "Sensitive host directories are not mounted", "", NULL, "none");
  if (!devs)
    keep_findings_add(f, "5.18", AUDIT_PASS, "Host devices are not directly exposed", "", NULL, "none");
  if (!shared)
    keep_findings_add(f, "5.20", AUDIT_PASS, "Mount propagation is not shared", "", NULL, "none");
  if (!sock)
    keep_findings_add(f, "5.32", AUDIT_PASS, "The Docker socket is not mounted inside any container", "",
                      NULL, "none");
}

/* A namespace the container does not get of its own: the host's (or one
 * named by path, which keep cannot judge). */
static void check_ns(const struct keep_oci_spec *s, enum keep_oci_ns k, const char *id, const char *title,
                     enum keep_audit_level level, struct keep_findings *f)
{
  const char *name = keep_oci_namespaces[k].name;
  if (!s->ns[k])
    keep_findings_add(f, id, level, title, "linux.namespaces", "add the namespace to linux.namespaces",
                      "no %s namespace: the host's is shared", name);
  else if (s->ns_path[k])
    keep_findings_add(f, id, AUDIT_INFO, title, "linux.namespaces", NULL, "joins the %s namespace `%s`", name,
                      s->ns_path[k]);
  else
    keep_findings_add(f, id, AUDIT_PASS, title, "", NULL, "its own");
}

static void check_limits(const struct keep_oci_spec *s, struct keep_findings *f)
{
  const struct keep_limits *l = &s->limits;
  if (l->memory_bytes > 0)
    keep_findings_add(f, "5.11", AUDIT_PASS, "Memory usage is limited", "", NULL, "%lld bytes",
                      (long long) l->memory_bytes);
  else
    keep_findings_add(f, "5.11", AUDIT_WARN, "Memory usage is limited", "linux.resources.memory.limit",
                      "set a memory limit (keep run sets a quarter of RAM)", "no limit");
  if (l->cpu_quota_us > 0 || l->cpu_shares > 0)
    keep_findings_add(f, "5.12", AUDIT_PASS, "CPU priority is set", "", NULL, "set");
  else
    keep_findings_add(f, "5.12", AUDIT_WARN, "CPU priority is set", "linux.resources.cpu",
                      "set a CPU quota or shares (keep run sets half the CPUs)", "no quota and no shares");
  if (l->pids > 0)
    keep_findings_add(f, "5.29", AUDIT_PASS, "The PIDs cgroup limit is used", "", NULL, "%lld",
                      (long long) l->pids);
  else
    keep_findings_add(f, "5.29", AUDIT_WARN, "The PIDs cgroup limit is used", "linux.resources.pids.limit",
                      "set a pids limit (a fork bomb stops there; keep run sets 2048)", "no limit");
  /* unified is written after the limits above and overrides them: what it
   * raises is an opt-out like any other, and said as one. */
  static const struct {
    const char *key, *id, *title;
  } over[] = {{"memory.max", "5.11", "Memory usage is limited"},
              {"cpu.max", "5.12", "CPU priority is set"},
              {"pids.max", "5.29", "The PIDs cgroup limit is used"}};
  for (size_t i = 0; i < ARRAY_SIZE(over); i++) {
    const char *v = keep_limits_unified_get(l, over[i].key);
    if (v)
      keep_findings_add(f, over[i].id, str_has_prefix(v, "max") ? AUDIT_WARN : AUDIT_INFO, over[i].title,
                        "linux.resources.unified", "remove the key, or give it a number",
                        "linux.resources.unified sets %s to `%s`, over the limit above", over[i].key, v);
  }
}

/* keep run writes what config.json has no field for in annotations. */
static const char *annotation(const struct keep_oci_spec *s, const char *key)
{
  return s->annotations ? json_string_value(json_object_get(s->annotations, key)) : NULL;
}

static void check_confinement(const struct keep_oci_spec *s, const struct keep_audit_host *h,
                              struct keep_findings *f)
{
  const char *aa = s->process.apparmor_profile;
  if (!h->apparmor)
    keep_findings_add(f, "5.2", AUDIT_INFO, "An AppArmor profile is enabled", "", NULL,
                      "this host has no AppArmor");
  else if (aa == NULL || *aa == '\0' || strcmp(aa, "unconfined") == 0)
    keep_findings_add(f, "5.2", AUDIT_WARN, "An AppArmor profile is enabled", "process.apparmorProfile",
                      "name a profile", "%s", aa && *aa ? "unconfined" : "none");
  else
    keep_findings_add(f, "5.2", AUDIT_PASS, "An AppArmor profile is enabled", "", NULL, "%s", aa);
  const char *se = s->process.selinux_label;
  if (!h->selinux)
    keep_findings_add(f, "5.3", AUDIT_INFO, "SELinux security options are set", "", NULL,
                      "this host has no SELinux");
  else if (se == NULL || *se == '\0')
    keep_findings_add(f, "5.3", AUDIT_WARN, "SELinux security options are set", "process.selinuxLabel",
                      "set a label", "none");
  else
    keep_findings_add(f, "5.3", AUDIT_PASS, "SELinux security options are set", "", NULL, "%s", se);

  const char *sc = annotation(s, "run.keep.seccomp");
  bool unconfined = sc ? strcmp(sc, "unconfined") == 0 : s->seccomp == NULL;
  if (unconfined)
    keep_findings_add(f, "5.22", AUDIT_FAIL, "The default seccomp profile is not disabled", "linux.seccomp",
                      "keep a seccomp profile (`keep spec` writes keep's; keep run: drop --security-opt "
                      "seccomp=unconfined)",
                      "no seccomp filter");
  else
    keep_findings_add(f, "5.22", AUDIT_PASS, "The default seccomp profile is not disabled", "", NULL, "%s",
                      sc ? sc : "a profile");
  if (s->process.present && !s->process.no_new_privileges)
    keep_findings_add(f, "5.26", AUDIT_WARN, "The container cannot acquire additional privileges",
                      "process.noNewPrivileges", "set noNewPrivileges (keep run always does)",
                      "setuid binaries and file capabilities work");
  else
    keep_findings_add(f, "5.26", AUDIT_PASS, "The container cannot acquire additional privileges", "", NULL,
                      "no_new_privs");
  const char *ll = annotation(s, "run.keep.landlock");
  if (ll && strcmp(ll, "off") == 0)
    keep_findings_add(f, "K.2", AUDIT_WARN, "Landlock confines writes", "annotations",
                      "drop --security-opt landlock=off", "off");
  else if (ll)
    keep_findings_add(f, "K.2", AUDIT_PASS, "Landlock confines writes", "", NULL, "%s", ll);
  if (!s->masked_paths || !s->readonly_paths)
    keep_findings_add(f, "K.3", AUDIT_WARN, "Kernel files in /proc and /sys are masked", "linux.maskedPaths",
                      "keep `keep spec`'s maskedPaths and readonlyPaths", "%s",
                      !s->masked_paths ? "no masked paths" : "no read-only paths");
  else
    keep_findings_add(f, "K.3", AUDIT_PASS, "Kernel files in /proc and /sys are masked", "", NULL, "masked");
}

void keep_audit_config(const struct keep_oci_spec *s, const struct keep_audit_host *h,
                       struct keep_findings *f)
{
  check_confinement(s, h, f);
  check_caps(s, f);
  check_mounts(s, f);
  check_ns(s, OCI_NS_NETWORK, "5.10", "The host's network namespace is not shared", AUDIT_WARN, f);
  check_limits(s, f);
  if (s->root_readonly)
    keep_findings_add(f, "5.13", AUDIT_PASS, "The root filesystem is mounted read-only", "", NULL,
                      "read-only");
  else
    keep_findings_add(f, "5.13", AUDIT_WARN, "The root filesystem is mounted read-only", "root.readonly",
                      "set root.readonly (drop --read-write)", "writable");
  check_ns(s, OCI_NS_PID, "5.16", "The host's process namespace is not shared", AUDIT_FAIL, f);
  check_ns(s, OCI_NS_IPC, "5.17", "The host's IPC namespace is not shared", AUDIT_WARN, f);
  check_ns(s, OCI_NS_UTS, "5.21", "The host's UTS namespace is not shared", AUDIT_WARN, f);
  check_ns(s, OCI_NS_USER, "5.31", "The host's user namespace is not shared", AUDIT_WARN, f);
  keep_findings_sort(f);
}
