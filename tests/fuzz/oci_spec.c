/* OCI bundles' config.json (oci_spec.c): keep_oci_spec_parse, the pure
 * parser under keep_oci_spec_load.
 * Invariants, for an accepted config (a bad config must fail here, before
 * anything exists): paths that must be absolute are; bind sources are
 * absolute once resolved against the bundle; id maps are 1..5 non-empty
 * ranges that neither wrap past 2^32 nor overlap; rlimits have soft <= hard
 * and no resource twice; env entries are KEY=VALUE; umask fits 0777; hook
 * timeouts are positive; sysctl names cannot climb out of /proc/sys;
 * capabilities are known bits; the device rules compile to the cgroup
 * filter; unified keys are plain CONTROLLER.KNOB file names (no cgroup.procs),
 * values and net_prio/rdma lines one line each, huge page sizes the
 * kernel's own names.  A refused config leaves nothing allocated (LeakSanitizer). */
#include <linux/capability.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_devices_bpf.h"
#include "fuzz.h"
#include "oci_spec.h"
#include "util.h"

#define ALL_CAPS ((CAP_LAST_CAP == 63 ? 0 : (1ULL << (CAP_LAST_CAP + 1))) - 1)

static void idmaps_ok(const struct keep_idmap *m, size_t n, size_t max, const char *what)
{
  FUZZ_CHECK(n <= max, "%s: %zu ranges", what, n);
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(m[i].count > 0, "%s[%zu]: empty", what, i);
    FUZZ_CHECK((uint64_t) m[i].inside + m[i].count <= (uint64_t) UINT32_MAX + 1 &&
                   (uint64_t) m[i].outside + m[i].count <= (uint64_t) UINT32_MAX + 1,
               "%s[%zu]: wraps", what, i);
    for (size_t k = 0; k < i; k++) {
      bool in = m[i].inside < (uint64_t) m[k].inside + m[k].count &&
                m[k].inside < (uint64_t) m[i].inside + m[i].count;
      bool out = m[i].outside < (uint64_t) m[k].outside + m[k].count &&
                 m[k].outside < (uint64_t) m[i].outside + m[i].count;
      FUZZ_CHECK(!in && !out, "%s[%zu] overlaps %s[%zu]", what, i, what, k);
    }
  }
}

static void process_ok(const struct keep_oci_process *p)
{
  if (!p->present)
    return;
  FUZZ_CHECK(p->args && p->args[0], "process.args empty");
  FUZZ_CHECK(p->cwd && p->cwd[0] == '/', "process.cwd `%s`", p->cwd ? p->cwd : "(none)");
  for (size_t i = 0; p->env && p->env[i]; i++)
    FUZZ_CHECK(p->env[i][0] != '=' && strchr(p->env[i], '='), "process.env[%zu] `%s`", i, p->env[i]);
  FUZZ_CHECK(p->umask >= -1 && p->umask <= 0777, "umask %d", p->umask);
  FUZZ_CHECK(!p->has_oom_score_adj || (p->oom_score_adj >= -1000 && p->oom_score_adj <= 1000),
             "oomScoreAdj %d", p->oom_score_adj);
  uint64_t caps =
      p->caps_bounding | p->caps_effective | p->caps_inheritable | p->caps_permitted | p->caps_ambient;
  FUZZ_CHECK((caps & ~(uint64_t) ALL_CAPS) == 0, "unknown capability bits %#llx", (unsigned long long) caps);
  for (size_t i = 0; i < p->n_rlimits; i++) {
    FUZZ_CHECK(p->rlimits[i].soft <= p->rlimits[i].hard, "rlimits[%zu]: soft above hard", i);
    for (size_t k = 0; k < i; k++)
      FUZZ_CHECK(p->rlimits[i].resource != p->rlimits[k].resource, "rlimits[%zu] repeats rlimits[%zu]", i, k);
  }
}

/* What reaches a cgroup file as written: one line each, unified keys plain
 * file names of the container's own cgroup, page sizes the kernel's names. */
static void limits_io_ok(const struct keep_limits *l)
{
  const char *why = NULL;
  for (size_t i = 0; l->unified && l->unified[i]; i += 2) {
    FUZZ_CHECK(l->unified[i + 1] != NULL, "unified key `%s` without a value", l->unified[i]);
    FUZZ_CHECK(keep_cgroup_unified_key_ok(l->unified[i], &why) && !strchr(l->unified[i], '/'),
               "unified key `%s` accepted", l->unified[i]);
    FUZZ_CHECK(keep_cgroup_unified_value_ok(l->unified[i + 1]) && !strchr(l->unified[i + 1], '\n'),
               "unified value of `%s` is not one line", l->unified[i]);
  }
  for (size_t i = 0; i < l->n_hugetlb; i++) {
    uint64_t b;
    FUZZ_CHECK(keep_hugetlb_size_parse(l->hugetlb[i].page_size, &b), "page size `%s`",
               l->hugetlb[i].page_size);
  }
  FUZZ_CHECK(l->blkio_weight == 0 || (l->blkio_weight >= 10 && l->blkio_weight <= 1000), "blkio weight");
  for (size_t i = 0; i < l->n_blkio_devs; i++)
    FUZZ_CHECK(l->blkio_devs[i].major >= 0 && l->blkio_devs[i].major <= 4095 && l->blkio_devs[i].minor >= 0 &&
                   l->blkio_devs[i].minor <= 1048575 && l->blkio_devs[i].field,
               "blockIO device %zu", i);
  char **lines[] = {l->net_prios, l->rdma};
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; lines[k] && lines[k][i]; i++)
      FUZZ_CHECK(strpbrk(lines[k][i], "\n/") == NULL, "cgroup line `%s`", lines[k][i]);
}

static void spec_ok(const struct keep_oci_spec *s)
{
  FUZZ_CHECK(s->oci_version && str_has_prefix(s->oci_version, "1."), "ociVersion");
  FUZZ_CHECK(s->root_path && s->root_path[0] == '/', "root.path `%s`",
             s->root_path ? s->root_path : "(none)");
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    FUZZ_CHECK(m->destination && m->destination[0] == '/', "mounts[%zu].destination", i);
    FUZZ_CHECK(m->type != NULL, "mounts[%zu]: no type", i);
    FUZZ_CHECK(!m->bind || (m->source && m->source[0] == '/'), "mounts[%zu]: bind source `%s`", i,
               m->source ? m->source : "(none)");
    FUZZ_CHECK(m->idmap == OCI_IDMAP_NONE || m->bind, "mounts[%zu]: idmapped but not a bind mount", i);
    FUZZ_CHECK((m->n_uid_map == 0) == (m->n_gid_map == 0), "mounts[%zu]: uid and gid maps apart", i);
    idmaps_ok(m->uid_map, m->n_uid_map, 5, "mount uidMappings");
    idmaps_ok(m->gid_map, m->n_gid_map, 5, "mount gidMappings");
  }
  process_ok(&s->process);
  static const char *const hook_keys[OCI_HOOK_KINDS] = {
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
  };
  for (int k = 0; k < OCI_HOOK_KINDS; k++)
    for (size_t i = 0; i < s->n_hooks[k]; i++) {
      FUZZ_CHECK(s->hooks[k][i].path && s->hooks[k][i].path[0] == '/', "hooks.%s[%zu].path", hook_keys[k], i);
      /* The timeout asked for is the one kept, never wrapped to another. */
      json_t *t = json_object_get(
          json_array_get(json_object_get(json_object_get(s->json, "hooks"), hook_keys[k]), i), "timeout");
      FUZZ_CHECK(t || s->hooks[k][i].timeout == 0, "hooks.%s[%zu]: a timeout from nowhere", hook_keys[k], i);
      FUZZ_CHECK(!t || s->hooks[k][i].timeout == json_integer_value(t),
                 "hooks.%s[%zu].timeout %lld kept as %d", hook_keys[k], i, (long long) json_integer_value(t),
                 s->hooks[k][i].timeout);
    }
  for (int k = 0; k < OCI_NS_COUNT; k++) {
    FUZZ_CHECK(!s->ns_path[k] || (s->ns[k] && s->ns_path[k][0] == '/'), "namespace %d path", k);
  }
  idmaps_ok(s->uid_map, s->n_uid_map, 5, "linux.uidMappings");
  idmaps_ok(s->gid_map, s->n_gid_map, 5, "linux.gidMappings");
  FUZZ_CHECK(!(s->n_uid_map || s->n_gid_map) || s->ns[OCI_NS_USER], "id maps without a user namespace");
  for (size_t i = 0; s->sysctl && s->sysctl[i]; i++) {
    const char *kv = s->sysctl[i];
    size_t kl = strcspn(kv, "=");
    FUZZ_CHECK(kv[kl] == '=' && kv[0] != '/' && kv[0] != '.', "sysctl `%s`", kv);
    cleanup_free char *key = strndup(kv, kl);
    FUZZ_CHECK(key && strstr(key, "..") == NULL, "sysctl `%s` climbs", kv);
  }
  for (size_t i = 0; i < s->n_devices; i++) {
    FUZZ_CHECK(s->devices[i].path && s->devices[i].path[0] == '/', "linux.devices[%zu].path", i);
    FUZZ_CHECK(strchr("cbup", s->devices[i].type) && s->devices[i].type, "linux.devices[%zu].type", i);
    FUZZ_CHECK((s->devices[i].mode & ~07777u) == 0, "linux.devices[%zu].fileMode", i);
  }
  for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
    FUZZ_CHECK(s->masked_paths[i] != NULL, "maskedPaths");
  if (s->limits.device_rules) {
    struct bpf_insn *insns = NULL;
    size_t n = 0;
    keep_error *err = NULL;
    int r = cg_devices_compile(s->limits.device_rules, &insns, &n, &err);
    FUZZ_CHECK(r == 0, "accepted device rules do not compile: %s", err ? err->msg : "?");
    keep_error_free(&err);
    free(insns);
  }
  limits_io_ok(&s->limits);
  FUZZ_CHECK(!s->has_time_offsets || s->ns[OCI_NS_TIME], "timeOffsets without a time namespace");
  FUZZ_CHECK(!(s->hostname || s->domainname) || s->ns[OCI_NS_UTS], "hostname without a uts namespace");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_strndup(data, size);
  struct keep_oci_spec s;
  keep_error *err = NULL;
  int r = keep_oci_spec_parse("/run/bundle", text, &s, &err);
  fuzz_error_done(&err, r);
  if (r < 0) {
    FUZZ_CHECK(s.json == NULL && s.mounts == NULL && s.bundle == NULL, "a refused config left fields behind");
    return 0;
  }
  spec_ok(&s);
  keep_oci_spec_free(&s);
  return 0;
}
