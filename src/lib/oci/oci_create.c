/* OCI create: the caller's side.
 *
 * create checks the whole config first (nothing exists yet), then: state
 * dir (locked) -> cgroup -> namespaces given by path joined -> clone into
 * the new ones -> cgroup entered and id maps written by the parent -> the
 * child builds the filesystem through fds, pivots, and waits on exec.fifo
 * (oci_init.c).  The parent records the state and exits; `start` writes to
 * the fifo (oci_start.c). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fault.h"
#include "oci_create_internal.h"
#include "oci_mounts.h"
#include "oci_process.h"
#include "selinux.h"
#include "state.h"
#include "syscalls.h"
#include "msg.h"
#include "network.h"
#include "portfwd.h"
#include "terminal.h"
#include "util.h"

static int check_supported(const struct keep_oci_spec *s, const struct keep_oci_create_opts *o, bool attached,
                           keep_error **err)
{
  if (!s->ns[OCI_NS_MOUNT])
    return keep_fail(err, 0, "config.json: linux.namespaces: keep needs a mount namespace");
  if (s->ns_path[OCI_NS_MOUNT] && s->ns[OCI_NS_USER] && !s->ns_path[OCI_NS_USER])
    return keep_fail(
        err, 0,
        "config.json: linux.namespaces: mount namespace `%s` cannot be joined from a new user namespace "
        "(a mount namespace can be joined only from the user namespace that owns it: give that one's path, "
        "or no user namespace)",
        s->ns_path[OCI_NS_MOUNT]);
  /* keep run -d -t hands the terminal to its monitor. */
  if (s->process.terminal && !o->console_socket && !attached && !o->ext)
    return keep_fail(err, 0, "process.terminal is true: pass --console-socket to receive the terminal");
  if (keep_oci_lsm_supported(s->process.apparmor_profile, s->process.selinux_label, "config.json: process",
                             err) < 0)
    return -1;
  if (s->mount_label && *s->mount_label) {
    if (keep_selinux_label_check(s->mount_label, "config.json: linux.mountLabel", err) < 0)
      return -1;
    if (!keep_selinux_enabled())
      return keep_fail(err, ENOTSUP, "config.json: linux.mountLabel: SELinux is not enabled on this host");
  }
  for (size_t i = 0; i < s->n_mounts; i++)
    if (s->mounts[i].idmap != OCI_IDMAP_NONE && geteuid() != 0)
      return keep_fail(err, EPERM,
                       "config.json: mounts[%zu]: an idmapped mount needs keep to run as root "
                       "(it idmaps a filesystem of the host, and writes mappings of host ids)",
                       i);
  if (s->process.present &&
      keep_oci_caps_grantable(&s->process, o->ext ? "--cap-add" : "config.json", err) < 0)
    return -1;
  if (s->cgroups_path && strchr(s->cgroups_path, ':'))
    return keep_fail(err, ENOTSUP,
                     "config.json: linux.cgroupsPath `%s` is systemd's form: keep drives cgroupfs only",
                     s->cgroups_path);
  return 0;
}

static int join_namespaces(const struct keep_oci_spec *s, keep_error **err)
{
  for (int k = 0; k < OCI_NS_COUNT; k++) {
    if (!s->ns_path[k] || k == OCI_NS_MOUNT || k == OCI_NS_USER)
      continue;
    cleanup_close int fd = keep_oci_ns_open(s, k, err);
    if (fd < 0)
      return -1;
    if (setns(fd, keep_oci_namespaces[k].clone_flag) < 0)
      return keep_fail_errno(err, "config.json: linux.namespaces: join %s namespace `%s`",
                             keep_oci_namespaces[k].name, s->ns_path[k]);
  }
  if (s->ns[OCI_NS_TIME] && !s->ns_path[OCI_NS_TIME]) {
    if (unshare(CLONE_NEWTIME) < 0)
      return keep_fail_errno(err, "unshare(CLONE_NEWTIME)");
    if (s->has_time_offsets) {
      cleanup_free char *o =
          xasprintf("monotonic %lld 0\nboottime %lld 0\n", (long long) s->time_offset_monotonic_s,
                    (long long) s->time_offset_boottime_s);
      if (write_file_at(AT_FDCWD, "/proc/self/timens_offsets", o, err) < 0)
        return keep_error_wrap(err, "config.json: linux.timeOffsets");
    }
  }
  return 0;
}

static int write_pid_file(const char *path, pid_t pid, keep_error **err)
{
  if (path == NULL)
    return 0;
  cleanup_free char *tmp = xasprintf("%s.tmp%d", path, (int) getpid());
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int) pid);
  if (create_file_at(AT_FDCWD, tmp, buf, 0644, err) < 0)
    return keep_error_wrap(err, "--pid-file");
  if (rename(tmp, path) < 0) {
    unlink(tmp);
    return keep_fail_errno(err, "--pid-file `%s`", path);
  }
  return 0;
}

void oci_create_release(struct create_res *r)
{
  if (!r->done && r->portfwd > 0)
    kill(r->portfwd, SIGTERM);
  if (r->portfwd > 0) /* it exits with the init; reaped where it was born */
    while (waitpid(r->portfwd, NULL, r->done ? WNOHANG : 0) < 0 && errno == EINTR)
      ;
  if (!r->done) {
    if (r->child > 0) {
      kill(r->child, SIGKILL);
      while (waitpid(r->child, NULL, 0) < 0 && errno == EINTR)
        ;
    }
    keep_error *e = NULL;
    if (r->cg && keep_cgroup_destroy(r->cg, &e) < 0 && r->ext) {
      keep_error_wrap(&e, "remove the container's cgroup (`keep gc` retries)");
      keep_error_print(e);
    }
    keep_error_free(&e);
    if (r->ext) {
      keep_fault_point("run-cgroup-removed");
      /* The state goes last: while it is locked, gc leaves the cgroup alone. */
      if (r->run_lock >= 0) {
        if (r->ext->name)
          keep_name_release(r->ext->state_base, r->ext->name, r->st.id);
        keep_state_remove(r->ext->state_base, r->st.id, r->run_lock);
      }
    } else if (r->st.dirfd >= 0) {
      keep_oci_state_remove(&r->st, NULL);
    }
  } else {
    /* Handed over: the container owns its cgroup until `delete`. */
    keep_cgroup_forget(r->cg);
  }
  keep_oci_state_free(&r->st);
  keep_seccomp_free(r->seccomp);
  keep_userns_plan_free(&r->userns);
  if (r->rootfs_fd >= 0)
    close(r->rootfs_fd);
  if (r->root_tree >= 0)
    close(r->root_tree);
  if (r->sock >= 0)
    close(r->sock);
  if (r->console >= 0)
    close(r->console);
  if (r->master >= 0)
    close(r->master);
  keep_oci_spec_free(&r->spec);
}

static int plan_userns(struct create_res *r, keep_error **err)
{
  const struct keep_oci_spec *s = &r->spec;
  if (!s->ns[OCI_NS_USER] || s->ns_path[OCI_NS_USER])
    return 0;
  struct keep_userns_plan *p = &r->userns;
  if (r->ext) {
    /* keep run's plan: the same maps, and how to write them (helpers). */
    *p = *r->ext->userns;
    p->notice = NULL;
    return 0;
  }
  memcpy(p->uid, s->uid_map, sizeof(struct keep_idmap) * s->n_uid_map);
  memcpy(p->gid, s->gid_map, sizeof(struct keep_idmap) * s->n_gid_map);
  p->n_uid = s->n_uid_map;
  p->n_gid = s->n_gid_map;
  if (geteuid() != 0) {
    /* Mapping only ourselves needs no helper (and setgroups denied). */
    bool self_only = p->n_uid == 1 && p->uid[0].outside == geteuid() && p->uid[0].count == 1 &&
                     p->n_gid == 1 && p->gid[0].outside == getegid() && p->gid[0].count == 1;
    p->use_helpers = !self_only;
    p->deny_setgroups = self_only;
    if (!self_only && (p->n_uid > 2 || p->n_gid > 2))
      return keep_fail(err, ENOTSUP, "config.json: linux.uidMappings: at most 2 mappings without root");
  }
  return 0;
}

static int send_tree(int sock, const struct keep_oci_mount *m, size_t i, int userns, keep_error **err)
{
  cleanup_close int tree = keep_oci_idmapped_tree(m, userns, err);
  if (tree < 0)
    return keep_error_wrap(err, "config.json: mounts[%zu]", i);
  char idx[24];
  snprintf(idx, sizeof(idx), "%zu", i);
  return keep_msg_send(sock, KEEP_MSG_IDMAPPED_TREE, idx, tree, err);
}

/* Idmapped mounts are prepared here, not by init: idmapping a filesystem
 * takes CAP_SYS_ADMIN over its superblock's user namespace (the host's),
 * which init, inside its own, does not have.  Init attaches them. */
static int send_idmapped_trees(struct create_res *r, pid_t pid, keep_error **err)
{
  const struct keep_oci_spec *s = &r->spec;
  cleanup_close int userns = -1;
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    if (m->idmap != OCI_IDMAP_NONE && !m->n_uid_map && userns < 0) {
      /* No mappings of its own: the container's (joined or new) namespace. */
      cleanup_free char *own = xasprintf("/proc/%d/ns/user", (int) pid);
      if (s->ns_path[OCI_NS_USER]) {
        /* Checked to be a user namespace, never a FIFO that blocks. */
        userns = keep_oci_ns_open(s, OCI_NS_USER, err);
        if (userns < 0)
          return keep_error_wrap(err, "config.json: mounts[%zu]", i);
      } else {
        userns = open(own, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
          return keep_fail_errno(err, "config.json: mounts[%zu]: open the container's user namespace `%s`", i,
                                 own);
      }
    }
    if (m->idmap != OCI_IDMAP_NONE && send_tree(r->sock, m, i, userns, err) < 0)
      return -1;
  }
  return 0;
}

/* Does the config ask for any cgroup setting?  (Device rules aside: keep
 * adds its own to every config, and a rootless container gets a fresh /dev.) */
static bool limits_asked(const struct keep_limits *l)
{
  return l->memory_bytes > 0 || l->pids > 0 || l->cpu_quota_us > 0 || l->cpu_shares > 0 || l->cpuset_cpus ||
         l->cpuset_mems || l->memory_reservation > 0 || l->has_swappiness || l->disable_oom_killer ||
         l->kernel_bytes != 0 || l->kernel_tcp_bytes != 0 || l->rt_runtime_us != 0 || l->rt_period_us > 0 ||
         l->has_cpu_idle || l->cpu_burst_us > 0 || keep_limits_io_asked(l);
}

/* keep run: per mount, the volume source it opened, and the name its errors
 * give the mount (a user of keep run wrote flags, not a config.json). */
static void run_mounts(const struct keep_oci_run_ext *x, const struct keep_oci_spec *s, int **sources,
                       char ***names, bool **strict)
{
  *sources = xcalloc(s->n_mounts + 1, sizeof(int));
  *names = xcalloc(s->n_mounts + 1, sizeof(char *));
  *strict = xcalloc(s->n_mounts + 1, sizeof(bool));
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct keep_oci_mount *m = &s->mounts[i];
    int v = x->volume_of_mount[i];
    /* keep's own mount points on the root itself (not /dev/pts inside its
     * /dev) must be the root's directories, never symlinks: a symlink
     * there is refused, not followed. */
    (*strict)[i] = v < 0 && strchr(m->destination + 1, '/') == NULL;
    (*sources)[i] = v >= 0 ? x->volume_fds[v] : -1;
    if (v >= 0 && m->bind)
      (*names)[i] = xasprintf("volume `%s:%s`", keep_q(m->source), keep_q(m->destination));
    else if (v >= 0)
      (*names)[i] = xasprintf("--tmpfs `%s`", keep_q(m->destination));
    else
      (*names)[i] = xasprintf("%s on `%s`", m->type, m->destination);
  }
}

/* The fault-injection step (fault.h): keep run's names for its own. */
/* -p: keep-portfwd, the caller's child, relays each host port into the
 * container's network namespace until the init exits (portfwd.h).  A
 * normal user reaches that namespace through the container's user
 * namespace, which it owns. */
static int publish_ports(struct create_res *r, pid_t pid, keep_error **err)
{
  size_t n = 0;
  while (r->ext->publish[n])
    n++;
  cleanup_free struct keep_port *ports = xcalloc(n, sizeof(*ports));
  for (size_t i = 0; i < n; i++)
    if (keep_port_parse(r->ext->publish[i], &ports[i], err) < 0)
      return -1;
  cleanup_free char *net_path = xasprintf("/proc/%d/ns/net", (int) pid);
  cleanup_free char *user_path = xasprintf("/proc/%d/ns/user", (int) pid);
  cleanup_close int netns = open(net_path, O_RDONLY | O_CLOEXEC);
  cleanup_close int userns = geteuid() == 0 ? -1 : open(user_path, O_RDONLY | O_CLOEXEC);
  cleanup_close int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  if (netns < 0 || (geteuid() != 0 && userns < 0) || pidfd < 0)
    return keep_fail_errno(err, "open the namespaces of the container's init (%d) for -p", (int) pid);
  return keep_portfwd_start(ports, n, netns, userns, pidfd, &r->portfwd, err);
}

static void step(const struct create_res *r, const char *create_name, const char *run_name)
{
  keep_fault_point(r->ext ? run_name : create_name);
}

/* The config, from the bundle or (keep run) from its document, and what
 * it names opened: the seccomp filter, the root. */
static int load_inputs(const struct keep_oci_create_opts *o, bool attached, struct create_res *r,
                       keep_error **err)
{
  const struct keep_oci_run_ext *x = o->ext;
  const char *bundle = o->bundle ? o->bundle : ".";
  if ((x ? keep_oci_spec_parse(bundle, x->spec_text, &r->spec, err)
         : keep_oci_spec_load(bundle, &r->spec, err)) < 0)
    return -1;
  struct keep_oci_spec *s = &r->spec;
  if (check_supported(s, o, attached, err) < 0)
    return -1;
  if (x) {
    /* keep run opened and checked these before anything existed, and
     * compiled its profile once for every run (seccomp.c caches it). */
    r->seccomp = steal_pointer(&o->ext->seccomp);
    r->root_tree = steal_fd(&o->ext->root_tree);
    r->rootfs_fd = fcntl(x->rootfs_fd, F_DUPFD_CLOEXEC, 3);
    if (r->rootfs_fd < 0)
      return keep_fail_errno(err, "dup the root's fd");
    return 0;
  }
  if (s->seccomp && keep_seccomp_prepare_json(s->seccomp, "config.json: linux.seccomp", &r->seccomp, err) < 0)
    return -1;
  r->rootfs_fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfs_fd < 0)
    return keep_fail_errno(err, "config.json: root.path `%s`", s->root_path);
  if (!s->ns_path[OCI_NS_MOUNT] && keep_oci_make_mount_points(r->rootfs_fd, s, err) < 0)
    return -1;
  /* As root, the root is cloned here, by host root: a bundle below a
   * directory the container's root cannot search still works. */
  if (geteuid() == 0 && !s->ns_path[OCI_NS_MOUNT]) {
    r->root_tree =
        (int) open_tree(r->rootfs_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    if (r->root_tree < 0)
      return keep_fail_errno(err, "config.json: root.path `%s`: clone it", s->root_path);
  }
  return 0;
}

/* The state directory, locked.  keep run's lives in its own state base
 * with an owner lock, so `keep gc` removes it (and its cgroup) when the
 * keep that ran it was killed; leftovers of such runs go first. */
static int make_state(const struct keep_oci_create_opts *o, struct create_res *r, keep_error **err)
{
  const struct keep_oci_run_ext *x = o->ext;
  if (x == NULL)
    return keep_oci_state_new(o->root, o->id, &r->st, err);
  /* A dead run's cgroup outlives it only while its state does (the state
   * goes last): no dead state, no cgroup to look for. */
  if (keep_state_gc(x->state_base, NULL) > 0 && x->cfg->cgroups)
    keep_cgroup_gc(x->cfg->rootless, NULL);
  cleanup_free char *dir = xasprintf("%s/%s", x->state_base, o->id);
  if (x->reuse) {
    /* A restart: the state, its record and its log stay; the lock is the
     * caller's, so a failure here leaves an exited container, not none. */
    return keep_oci_state_adopt(dir, o->id, &r->st, err);
  }
  r->run_lock = keep_state_create(x->state_base, o->id, err);
  if (r->run_lock < 0)
    return -1;
  if (keep_oci_state_adopt(dir, o->id, &r->st, err) < 0)
    return -1;
  if (x->record_text && create_file_at(r->st.dirfd, "container.json", x->record_text, 0600, err) < 0)
    return -1;
  if (x->name && keep_name_claim(x->state_base, x->name, o->id, err) < 0)
    return -1;
  return 0;
}

/* `block`: the signals an attached run forwards, blocked once the inputs
 * are open and checked (a blocking open stays interruptible), or NULL. */
int oci_do_create(const struct keep_oci_create_opts *o, bool attached, sigset_t *block, sigset_t *old,
                  struct create_res *r, keep_error **err)
{
  r->ext = o->ext;
  if (load_inputs(o, attached, r, err) < 0)
    return -1;
  struct keep_oci_spec *s = &r->spec;
  if (plan_userns(r, err) < 0)
    return -1;
  if (o->console_socket && s->process.terminal) {
    r->console = keep_console_connect(o->console_socket, err);
    if (r->console < 0)
      return -1;
  }
  if (block)
    keep_oci_block_forwarded(block, old);

  if (make_state(o, r, err) < 0)
    return -1;
  r->st.bundle = xstrdup(s->bundle);
  r->st.oci_version = xstrdup(s->oci_version);
  r->st.created = keep_now_rfc3339();
  r->st.annotations = s->annotations ? json_incref(s->annotations) : NULL;

  bool rootless = geteuid() != 0;
  enum keep_cgroup_version cgv = KEEP_CGROUP_NONE;
  keep_cgroup_detect(&cgv, NULL);
  /* keep run: a cgroup unless --cgroups=off (rootless on v1 that fails,
   * and says to pass it); OCI: where one can be had. */
  bool want_cg = r->ext ? r->ext->cfg->cgroups : !(rootless && cgv != KEEP_CGROUP_V2);
  if (!want_cg && !r->ext && s->has_resources && limits_asked(&s->limits))
    return keep_fail(err, EPERM,
                     "config.json: linux.resources: cgroup v1 cannot be delegated to an unprivileged user");
  if (want_cg) {
    /* Not under keep/ for OCI: `keep gc` owns that tree and removes
     * cgroups whose `keep run` died; an OCI container's life is its
     * manager's business. */
    r->st.cgroup_rel = r->ext            ? xasprintf("keep/%s", o->id)
                       : s->cgroups_path ? xstrdup(s->cgroups_path + strspn(s->cgroups_path, "/"))
                                         : xasprintf("keep-oci/%s", o->id);
    r->st.cgroup_owned = true;
  }
  /* Crash safety: everything `delete --force` must undo is recorded before
   * it exists.  The cgroup path is saved before the cgroup is made, the
   * init's pid as soon as it has one, so a create killed at any point
   * leaves a state that delete can clean up, and the id can be used again.
   * keep run's needs neither: its owner lock tells `keep gc` that it died,
   * and its cgroup is keep/<id>; it is saved once, created. */
  if (!r->ext && keep_oci_state_save(&r->st, err) < 0)
    return -1;
  step(r, "create-state", "run-state");
  cleanup_free char *cfg_text = r->ext ? NULL : json_dumps(s->json, JSON_COMPACT);
  if (create_file_at(r->st.dirfd, "config.json", r->ext ? r->ext->spec_text : cfg_text, 0600, err) < 0)
    return -1;
  cleanup_free char *fifo_path = xasprintf("%s/exec.fifo", r->st.dir);
  if (mkfifo(fifo_path, 0600) < 0)
    return keep_fail_errno(err, "mkfifo `%s`", fifo_path);
  if (want_cg && keep_cgroup_create_at(r->st.cgroup_rel, &s->limits, rootless, &r->cg, err) < 0) {
    /* A setting the host refused names itself (linux.resources.…). */
    bool named = err && *err && str_has_prefix((*err)->msg, "linux.resources");
    return r->ext ? -1 : keep_error_wrap(err, named ? "config.json" : "config.json: linux.cgroupsPath");
  }
  /* A normal user's cgroup v2 is made below the user's delegated subtree:
   * recorded by its whole path, so that exec, inspect, rm and the exit
   * find it from any cgroup of the user's. */
  const char *whole = r->cg && rootless ? keep_cgroup_v2_rel(r->cg) : NULL;
  if (whole) {
    free(r->st.cgroup_rel);
    r->st.cgroup_rel = xstrdup(whole);
  }
  step(r, "create-cgroup", "run-cgroup");

  if (join_namespaces(s, err) < 0)
    return -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return keep_fail_errno(err, "socketpair");
  r->sock = sv[0];
  /* Opened here, by host root: the container's root cannot reach the state
   * directory.  O_NONBLOCK so the open does not wait for `start`. */
  cleanup_close int fifo = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return keep_fail_errno(err, "open `%s`", fifo_path);
  struct oci_child c = {.s = s,
                        .o = o,
                        .seccomp = r->seccomp,
                        .sock = sv[1],
                        .rootfs_fd = r->rootfs_fd,
                        .root_tree = r->root_tree,
                        .fifo = fifo,
                        .deny_setgroups = r->userns.deny_setgroups,
                        .ext = r->ext,
                        .close_fds = {r->st.dirfd, r->console,
                                      r->run_lock >= 0          ? r->run_lock
                                      : r->ext && r->ext->reuse ? r->ext->reuse_lock
                                                                : -1}};
  cleanup_free int *sources = NULL;
  cleanup_free bool *strict = NULL;
  cleanup_strv char **mount_names = NULL;
  if (r->ext) {
    run_mounts(r->ext, s, &sources, &mount_names, &strict);
    c.mctx.sources = sources;
    c.mctx.names = mount_names;
    c.mctx.strict = strict;
  }
  if (r->cg) {
    const char *const *names, *const *dirs;
    c.mctx.n_cgroup_dirs = keep_cgroup_dirs(r->cg, &names, &dirs);
    c.mctx.cgroup_names = names;
    c.mctx.cgroup_dirs = dirs;
    c.mctx.cgroup2 = keep_cgroup_version_of(r->cg) == KEEP_CGROUP_V2;
  } else {
    c.mctx.cgroup2 = cgv == KEEP_CGROUP_V2;
  }
  /* The new namespaces the clone makes: every one wanted and not joined,
   * but cgroup (init unshares it once it is in its cgroup) and time (made
   * above, by join_namespaces, which writes its offsets before any process
   * is in it).  check_supported insists on a mount namespace. */
  unsigned long flags = 0;
  for (int k = 0; k < OCI_NS_COUNT; k++)
    if (s->ns[k] && !s->ns_path[k] && k != OCI_NS_CGROUP && k != OCI_NS_TIME)
      flags |= (unsigned long) keep_oci_namespaces[k].clone_flag;
  fflush(NULL);
  if (rootless && s->ns[OCI_NS_USER])
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  /* A normal user's container on a network: its user namespace is made in
   * the one that holds the user's networks. */
  cleanup_close int nest = -1;
  if (r->ext && r->ext->net && rootless && (nest = keep_net_rootless_userns(r->ext->state_base, err)) < 0) {
    close(sv[1]);
    return -1;
  }
  pid_t pid = keep_oci_spawn_init(s, flags, nest, sv[0], oci_child_entry, &c, err);
  close(sv[1]);
  if (pid < 0)
    return -1;
  close(steal_fd(&fifo));
  r->child = pid;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  r->st.pid = pid;
  r->st.start_time = keep_proc_start_time(pid);
  if (!r->ext && keep_oci_state_save(&r->st, err) < 0)
    return -1;
  step(r, "create-spawned", "run-cloned");
  if ((r->cg && keep_cgroup_enter(r->cg, pid, err) < 0) ||
      keep_oci_set_oom_score_adj(pid, &s->process, err) < 0 ||
      (flags & CLONE_NEWUSER && (nest >= 0 ? keep_userns_apply_nested(&r->userns, pid, nest, err)
                                           : keep_userns_apply(&r->userns, pid, err)) < 0))
    return -1;
  /* Its interfaces exist before anything of it runs. */
  if (r->ext && r->ext->net && keep_net_attach(r->ext->state_base, o->id, r->ext->net, pid, err) < 0)
    return -1;
  if (r->ext && r->ext->publish && publish_ports(r, pid, err) < 0)
    return -1;
  step(r, "create-networked", "run-networked");
  if (keep_msg_send(r->sock, KEEP_MSG_GO, NULL, -1, err) < 0)
    return -1;
  for (;;) {
    int fd = -1;
    char text[64] = "";
    int type = keep_msg_recv(r->sock, text, sizeof(text), &fd, err);
    if (type < 0)
      return -1; /* the container's side failed: its error, as it was */
    if (type == KEEP_MSG_TERMINAL) {
      if (r->console >= 0) {
        int sent = keep_console_send(r->console, fd, err);
        close(fd);
        if (sent < 0)
          return -1;
      } else {
        r->master = fd;
      }
      continue;
    }
    if (type == KEEP_MSG_ROOT_BUILT) {
      if (keep_oci_run_hooks(s, OCI_HOOK_PRESTART, &r->st, err) < 0 ||
          keep_oci_run_hooks(s, OCI_HOOK_CREATE_RUNTIME, &r->st, err) < 0 ||
          send_idmapped_trees(r, pid, err) < 0)
        return -1;
      json_t *j = keep_oci_state_json(&r->st);
      cleanup_free char *txt = json_dumps(j, JSON_COMPACT);
      json_decref(j);
      if (keep_msg_send(r->sock, KEEP_MSG_HOOK_STATE, txt, -1, err) < 0)
        return -1;
      continue;
    }
    if (type == KEEP_MSG_LISTENER) {
      int sent = keep_oci_send_listener(r->seccomp, &r->st, fd, err);
      close(fd);
      if (sent < 0)
        return -1;
      continue;
    }
    if (type == KEEP_MSG_READY) {
      /* keep run: the user the process runs as, for `keep exec`. */
      if (r->ext && text[0] && create_file_at(r->st.dirfd, "user", text, 0600, err) < 0)
        return -1;
      break;
    }
    if (fd >= 0)
      close(fd);
    return keep_fail(err, 0, "the container exited while it was being created");
  }
  /* Device rules last: from here the container's processes (and anything
   * they exec) may open only the devices the config allows. */
  if (r->cg && keep_cgroup_apply_devices(r->cg, s->limits.device_rules, err) < 0)
    return -1;
  r->st.status = OCI_CREATED;
  if (keep_oci_state_save(&r->st, err) < 0 || write_pid_file(o->pid_file, pid, err) < 0)
    return -1;
  step(r, "create-saved", "run-ready");
  /* keep run's init never outlives it: it keeps its parent-death signal. */
  if (r->ext)
    return 0;
  /* Only now may the init outlive this process: it drops its parent-death
   * signal when told, and says so, so that it neither dies with a create
   * that succeeded nor survives one that was killed. */
  if (keep_msg_send(r->sock, KEEP_MSG_RECORDED, NULL, -1, err) < 0 ||
      keep_msg_expect(r->sock, KEEP_MSG_RECORDED_ACK, "it was created", err) < 0)
    return -1;
  return 0;
}

int keep_oci_create(const struct keep_oci_create_opts *o, keep_error **err)
{
  struct create_res r = OCI_CREATE_RES_INIT;
  int ret = oci_do_create(o, false, NULL, NULL, &r, err);
  if (ret == 0) {
    r.done = true;
    r.child = 0;
  }
  oci_create_release(&r);
  return ret;
}
