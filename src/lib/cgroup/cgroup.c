/* Choosing the cgroup driver, and what both drivers share. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_devices_bpf.h"
#include "cgroup_internal.h"
#include "keep_build_config.h"
#include "state.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* Every v1 hierarchy keep may make a container's cgroup in (the last five
 * only when the config asks for their settings). */
static const char *const v1_controllers[] = {"memory", "cpu",     "pids",    "freezer",  "devices", "cpuset",
                                             "blkio",  "hugetlb", "net_cls", "net_prio", "rdma"};

int keep_cgroup_detect(enum keep_cgroup_version *out, keep_error **err)
{
  struct statfs s;
  if (statfs(CGROUP_ROOT, &s) < 0)
    return keep_fail_errno(err, "statfs `%s`", CGROUP_ROOT);
  if (s.f_type == CGROUP2_SUPER_MAGIC) {
    *out = KEEP_CGROUP_V2;
    return 0;
  }
  /* A hybrid host keeps memory/cpu/pids on v1; its cgroup2 mount at
   * /sys/fs/cgroup/unified (typically with no controllers) is ignored. */
  struct statfs m;
  if (statfs(CGROUP_ROOT "/memory", &m) == 0 && m.f_type == CGROUP_SUPER_MAGIC) {
    *out = KEEP_CGROUP_V1;
    return 0;
  }
  *out = KEEP_CGROUP_NONE;
  keep_fail(err, ENOENT, "no cgroup v2 or v1 memory hierarchy under `%s`", CGROUP_ROOT);
  return keep_error_hint(err, "mount cgroups, or pass --cgroups=off to run without limits");
}

int cg_write(const struct keep_cgroup *cg, const char *dir, const char *file, const char *val,
             keep_error **err)
{
  cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    return keep_fail_errno(err, "open `%s`", dir);
  if (!cg->fake) {
    struct statfs s;
    /* Never write a limit anywhere but a cgroup filesystem (CVE-2019-16884 class). */
    if (fstatfs(dfd, &s) < 0 || (s.f_type != CGROUP_SUPER_MAGIC && s.f_type != CGROUP2_SUPER_MAGIC))
      return keep_fail(err, EXDEV, "`%s` is not on a cgroup filesystem", dir);
  }
  int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (cg->fake ? O_CREAT | O_TRUNC : 0);
  cleanup_close int fd = openat(dfd, file, flags, 0644);
  if (fd < 0 || write_all(fd, val, strlen(val)) < 0)
    return keep_fail_errno(err, "write `%s` to `%s/%s`", val, dir, file);
  return 0;
}

int cg_write_i64(const struct keep_cgroup *cg, const char *dir, const char *file, int64_t val,
                 keep_error **err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%lld", (long long) val);
  return cg_write(cg, dir, file, buf, err);
}

int cg_kill_procs(const char *dir)
{
  cleanup_free char *path = xasprintf("%s/cgroup.procs", dir);
  cleanup_file FILE *f = fopen(path, "re");
  int n = 0;
  long pid;
  while (f && fscanf(f, "%ld", &pid) == 1)
    if (pid > 0 && kill((pid_t) pid, SIGKILL) == 0)
      n++;
  return n;
}

int cg_rmdir(const char *dir, keep_error **err)
{
  for (int i = 0; i < 200; i++) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      break;
    cg_kill_procs(dir);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return keep_fail_errno(err, "rmdir `%s`", dir);
}

bool cg_rel_valid(const char *rel)
{
  if (rel[0] == '\0' || rel[0] == '/')
    return false;
  for (const char *p = rel; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return false;
    p += n;
    if (*p == '/')
      p++;
    else
      break;
  }
  return rel[strlen(rel) - 1] != '/';
}

void cg_rmdir_made(const char *leaf, size_t made)
{
  cleanup_free char *dir = xstrdup(leaf);
  for (size_t i = 0; i < made; i++) {
    char *slash = strrchr(dir, '/');
    if (cg_rmdir(dir, NULL) < 0 || slash == NULL)
      return;
    *slash = '\0';
  }
}

int cg_mkdir_path(const char *base, const char *rel,
                  int (*on_parent)(const char *dir, void *arg, keep_error **err), void *arg, char **out,
                  size_t *made, keep_error **err)
{
  if (!cg_rel_valid(rel))
    return keep_fail(err, EINVAL, "cgroup path `%s` is not a plain relative path", rel);
  cleanup_free char *dir = xstrdup(base);
  size_t n_made = 0;
  for (const char *p = rel;;) {
    size_t n = strcspn(p, "/");
    bool last = p[n] == '\0';
    if (on_parent && on_parent(dir, arg, err) < 0)
      goto fail;
    char *next = xasprintf("%s/%.*s", dir, (int) n, p);
    free(dir);
    dir = next;
    if (mkdir(dir, 0755) == 0) {
      n_made++;
    } else if (last || errno != EEXIST) {
      keep_fail_errno(err, "mkdir `%s`", dir);
      if (errno == EEXIST)
        keep_error_hint(err, "another container uses this cgroup");
      *strrchr(dir, '/') = '\0'; /* not made: its parent is the deepest that may be ours */
      goto fail;
    }
    if (last)
      break;
    p += n + 1;
  }
  if (made)
    *made = n_made;
  *out = steal_pointer(&dir);
  return 0;
fail:
  /* Nothing left behind: what was made on the way goes again. */
  cg_rmdir_made(dir, n_made);
  return -1;
}

void cg_free(struct keep_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++) {
    free(cg->names[i]);
    free(cg->dirs[i]);
  }
  free(cg);
}

static int v2_base(bool rootless, char **out, keep_error **err)
{
  if (!rootless) {
    *out = xstrdup(CGROUP_ROOT);
    return 0;
  }
  /* Rootless: beside our own cgroup, where systemd delegates to the user. */
  cleanup_free char *self = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err) < 0)
    return -1;
  char *p = strstr(self, "0::");
  if (p == NULL)
    return keep_fail(err, 0, "no cgroup v2 entry in /proc/self/cgroup");
  p += 3;
  p[strcspn(p, "\n")] = '\0';
  char *slash = strrchr(p, '/');
  if (slash)
    *slash = '\0';
  cleanup_free char *base = xasprintf(CGROUP_ROOT "%s", p);
  if (access(base, W_OK) < 0) {
    keep_fail_errno(err, "no delegated cgroup for uid %u at `%s`", (unsigned) geteuid(), base);
    return keep_error_hint(err, "run under a systemd user session with delegation, or pass --cgroups=off");
  }
  *out = steal_pointer(&base);
  return 0;
}

int keep_cgroup_create(const char *id, const struct keep_limits *l, bool rootless, struct keep_cgroup **out,
                       keep_error **err)
{
  cleanup_free char *rel = xasprintf("keep/%s", id);
  return keep_cgroup_create_at(rel, l, rootless, out, err);
}

int keep_cgroup_create_at(const char *rel, const struct keep_limits *l, bool rootless,
                          struct keep_cgroup **out, keep_error **err)
{
  enum keep_cgroup_version v;
  if (keep_cgroup_detect(&v, err) < 0)
    return -1;
  struct keep_cgroup *cg = xcalloc(1, sizeof(*cg));
  int r;
  if (v == KEEP_CGROUP_V1) {
    if (rootless) {
      free(cg);
      keep_fail(err, EPERM, "cgroup v1 cannot be delegated to an unprivileged user");
      return keep_error_hint(err, "pass --cgroups=off to run without resource limits");
    }
    r = cg_v1_create(CGROUP_ROOT, rel, l, cg, err);
  } else {
    cleanup_free char *base = NULL;
    r = v2_base(rootless, &base, err);
    if (r == 0)
      r = cg_v2_create(base, rel, l, cg, err);
  }
  if (r < 0) {
    cg_free(cg);
    return -1;
  }
  *out = cg;
  return 0;
}

int keep_cgroup_enter(struct keep_cgroup *cg, pid_t pid, keep_error **err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int) pid);
  for (size_t i = 0; i < cg->n; i++)
    if (cg_write(cg, cg->dirs[i], "cgroup.procs", buf, err) < 0)
      return -1;
  return 0;
}

enum keep_cgroup_version keep_cgroup_version_of(const struct keep_cgroup *cg)
{
  return cg->version;
}

size_t keep_cgroup_dirs(const struct keep_cgroup *cg, const char *const **names, const char *const **dirs)
{
  *names = (const char *const *) cg->names;
  *dirs = (const char *const *) cg->dirs;
  return cg->n;
}

/* rmdir succeeds only on a cgroup with no process: try that first.  True
 * when every directory is gone. */
static bool v1_remove_if_empty(struct keep_cgroup *cg)
{
  for (size_t i = cg->n; i-- > 0;)
    if (rmdir(cg->dirs[i]) < 0 && errno != ENOENT)
      return false;
  return true;
}

int keep_cgroup_destroy(struct keep_cgroup *cg, keep_error **err)
{
  if (cg == NULL)
    return 0;
  int ret = 0;
  if (cg->version == KEEP_CGROUP_V2) {
    /* cgroup.kill takes the whole subtree at once, with no fork race. */
    keep_error *ignored = NULL;
    if (cg_write(cg, cg->dirs[0], "cgroup.kill", "1", &ignored) < 0)
      cg_kill_procs(cg->dirs[0]);
    keep_error_free(&ignored);
  } else if (!cg->fake && v1_remove_if_empty(cg)) {
    /* Nothing left inside (the usual end of a container): no freeze and thaw,
     * each of which costs a v1 freezer over a millisecond. */
    cg_free(cg);
    return 0;
  } else {
    /* v1: freeze first so nothing forks between listing and killing. */
    const char *freezer = NULL;
    for (size_t i = 0; i < cg->n; i++)
      if (strcmp(cg->names[i], "freezer") == 0)
        freezer = cg->dirs[i];
    if (freezer)
      cg_write(cg, freezer, "freezer.state", "FROZEN", NULL);
    for (size_t i = 0; i < cg->n; i++)
      cg_kill_procs(cg->dirs[i]);
    if (freezer)
      cg_write(cg, freezer, "freezer.state", "THAWED", NULL);
  }
  for (size_t i = cg->n; i-- > 0;)
    if (!cg->fake && cg_rmdir(cg->dirs[i], err) < 0)
      ret = -1;
  cg_free(cg);
  return ret;
}

/* One hierarchy's keep/ directory: remove the cgroups of dead containers. */
static int gc_dir(const char *keepdir, const char *state_base)
{
  cleanup_dir DIR *d = opendir(keepdir);
  if (d == NULL)
    return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!keep_state_id_valid(e->d_name) || e->d_type != DT_DIR)
      continue;
    if (keep_owner_alive(state_base, e->d_name))
      continue;
    cleanup_free char *dir = xasprintf("%s/%s", keepdir, e->d_name);
    cg_kill_procs(dir);
    if (cg_rmdir(dir, NULL) == 0)
      n++;
  }
  return n;
}

int keep_cgroup_gc(bool rootless, keep_error **err)
{
  cleanup_free char *state = NULL;
  if (keep_state_base(&state, err) < 0)
    return -1;
  enum keep_cgroup_version v;
  keep_error *ignored = NULL;
  int r = keep_cgroup_detect(&v, &ignored);
  keep_error_free(&ignored);
  if (r < 0)
    return 0;
  int n = 0;
  if (v == KEEP_CGROUP_V1) {
    if (rootless)
      return 0;
    for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++) {
      cleanup_free char *k = xasprintf(CGROUP_ROOT "/%s/keep", v1_controllers[i]);
      n += gc_dir(k, state);
    }
    return n;
  }
  cleanup_free char *base = NULL;
  if (v2_base(rootless, &base, &ignored) < 0) {
    keep_error_free(&ignored);
    return 0;
  }
  cleanup_free char *k = xasprintf("%s/keep", base);
  return gc_dir(k, state);
}

int keep_cgroup_open_at(const char *rel, struct keep_cgroup **out, keep_error **err)
{
  if (!cg_rel_valid(rel))
    return keep_fail(err, EINVAL, "cgroup path `%s` is not a plain relative path", rel);
  enum keep_cgroup_version v;
  if (keep_cgroup_detect(&v, err) < 0)
    return -1;
  struct keep_cgroup *cg = xcalloc(1, sizeof(*cg));
  cg->version = v;
  if (v == KEEP_CGROUP_V2) {
    cg->names[0] = xstrdup("");
    cg->dirs[0] = xasprintf(CGROUP_ROOT "/%s", rel);
    cg->n = access(cg->dirs[0], F_OK) == 0 ? 1 : 0;
    if (cg->n == 0)
      free(cg->dirs[0]), free(cg->names[0]);
  } else {
    for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++) {
      char *dir = xasprintf(CGROUP_ROOT "/%s/%s", v1_controllers[i], rel);
      if (access(dir, F_OK) < 0) {
        free(dir);
        continue;
      }
      cg->names[cg->n] = xstrdup(v1_controllers[i]);
      cg->dirs[cg->n++] = dir;
    }
  }
  if (cg->n == 0) {
    cg_free(cg);
    return keep_fail(err, ENOENT, "no cgroup `%s`", rel);
  }
  *out = cg;
  return 0;
}

const char *keep_cgroup_v2_rel(const struct keep_cgroup *cg)
{
  const char *root = CGROUP_ROOT "/";
  if (cg->version != KEEP_CGROUP_V2 || cg->n != 1 || !str_has_prefix(cg->dirs[0], root))
    return NULL;
  return cg->dirs[0] + strlen(root);
}

const char *cg_dir_of(const struct keep_cgroup *cg, const char *name)
{
  for (size_t i = 0; i < cg->n; i++)
    if (strcmp(cg->names[i], name) == 0)
      return cg->dirs[i];
  return NULL;
}

int keep_cgroup_freeze(struct keep_cgroup *cg, bool frozen, keep_error **err)
{
  if (cg->version == KEEP_CGROUP_V2)
    return cg_write(cg, cg->dirs[0], "cgroup.freeze", frozen ? "1" : "0", err);
  const char *dir = cg_dir_of(cg, "freezer");
  if (dir == NULL)
    return keep_fail(err, ENOTSUP, "the container has no freezer cgroup");
  if (cg_write(cg, dir, "freezer.state", frozen ? "FROZEN" : "THAWED", err) < 0)
    return -1;
  /* v1 freezes asynchronously: wait until the state says so. */
  cleanup_free char *state_path = xasprintf("%s/freezer.state", dir);
  for (int i = 0; frozen && i < 1000; i++) {
    cleanup_free char *st = NULL;
    if (read_file_at(AT_FDCWD, state_path, &st, NULL, err) < 0)
      return -1;
    if (str_has_prefix(st, "FROZEN"))
      return 0;
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (frozen)
    return keep_fail(err, EBUSY, "`%s` did not reach FROZEN", state_path);
  return 0;
}

int keep_cgroup_pids(const struct keep_cgroup *cg, pid_t **pids, size_t *n, keep_error **err)
{
  const char *dir = cg->version == KEEP_CGROUP_V2 ? cg->dirs[0] : cg_dir_of(cg, "pids");
  if (dir == NULL)
    dir = cg->dirs[0];
  cleanup_free char *path = xasprintf("%s/cgroup.procs", dir);
  cleanup_free char *text = NULL;
  if (read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
    return -1;
  *pids = NULL;
  *n = 0;
  for (char *p = text; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    *pids = xrealloc(*pids, (*n + 1) * sizeof(pid_t));
    (*pids)[(*n)++] = (pid_t) v;
    p = end;
    while (*p == '\n')
      p++;
  }
  return 0;
}

void keep_cgroup_forget(struct keep_cgroup *cg)
{
  if (cg)
    cg_free(cg);
}

/* v2: the rules become an eBPF program on the container's cgroup.  A fake
 * test tree records them in `devices.bpf` instead (after compiling them, so
 * a bad rule is still an error). */
static int apply_devices_v2(struct keep_cgroup *cg, char *const *rules, keep_error **err)
{
  const char *dir = cg->dirs[0];
  if (!cg->fake)
    return cg_devices_apply_v2(dir, rules, err);
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n = 0;
  if (cg_devices_compile(rules, &insns, &n, err) < 0)
    return -1;
  cleanup_free char *text = xstrdup("");
  for (size_t i = 0; rules[i]; i++) {
    char *t = xasprintf("%s%s\n", text, rules[i]);
    free(text);
    text = t;
  }
  return cg_write(cg, dir, "devices.bpf", text, err);
}

int keep_cgroup_apply_devices(struct keep_cgroup *cg, char *const *rules, keep_error **err)
{
  if (rules == NULL)
    return 0;
  if (cg->version == KEEP_CGROUP_V2) {
    /* Fail closed: no program attached is an error, never a container
     * running with every device open to it. */
    if (cg->n == 0)
      return keep_fail(err, ENOENT, "linux.resources.devices: no cgroup v2 directory");
    if (apply_devices_v2(cg, rules, err) < 0)
      return keep_error_wrap(err, "linux.resources.devices");
    return 0;
  }
  if (cg->version != KEEP_CGROUP_V1)
    return keep_fail(err, ENOTSUP, "linux.resources.devices: no cgroup to filter devices with");
  const char *d = cg_dir_of(cg, "devices");
  if (d == NULL)
    return keep_fail(err, ENOENT, "linux.resources.devices: no devices cgroup");
  /* In order, as runc does: a rule list normally starts with "deny a" and
   * allows the few nodes the container needs. */
  for (size_t i = 0; rules[i]; i++) {
    bool allow = str_has_prefix(rules[i], "allow ");
    if (cg_write(cg, d, allow ? "devices.allow" : "devices.deny", strchr(rules[i], ' ') + 1, err) < 0)
      return keep_error_wrap(err, "linux.resources.devices[%zu]", i);
  }
  return 0;
}
