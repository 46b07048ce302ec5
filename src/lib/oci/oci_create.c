/* OCI create and start.
 *
 * create checks the whole config first (nothing exists yet), then: state
 * dir (locked) -> cgroup -> namespaces given by path joined -> clone into
 * the new ones -> cgroup entered and id maps written by the parent -> the
 * child builds the filesystem through fds, pivots, and waits on exec.fifo.
 * The parent records the state and exits; `start` writes to the fifo. */
#include <errno.h>
#include <grp.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fault.h"
#include "oci_mounts.h"
#include "oci_process.h"
#include "oci_runtime.h"
#include "rootfs.h"
#include "syscalls.h"
#include "msg.h"
#include "terminal.h"
#include "userns.h"
#include "util.h"

struct oci_child {
  const struct keep_oci_spec *s;
  const struct keep_oci_create_opts *o;
  struct keep_seccomp *seccomp;
  int sock;
  int rootfs_fd;
  int root_tree;   /* the root cloned by create as host root, or -1 */
  int fifo;             /* exec.fifo, read end: `start` writes to it */
  int close_fds[2];     /* the parent's: the state lock must never outlive create */
  bool deny_setgroups;
  struct keep_oci_mount_ctx mctx;
};


static int run_hooks_in_child(const struct keep_oci_spec *s, enum keep_oci_hook_kind k, const char *state,
                              keep_error **err)
{
  /* The parent serialised the state; rebuild a minimal one for the hooks. */
  struct keep_oci_state st = {0};
  json_t *j = keep_json_parse(state, strlen(state), 0, "the container's state", NULL);
  st.id = (char *) json_string_value(json_object_get(j, "id"));
  st.bundle = (char *) json_string_value(json_object_get(j, "bundle"));
  st.pid = getpid();
  st.start_time = 0;
  st.status = OCI_CREATING;
  st.oci_version = (char *) s->oci_version;
  int r = keep_oci_run_hooks(s, k, &st, err);
  json_decref(j);
  return r;
}

static int setup_root(struct oci_child *c, int *newroot_out, keep_error **err)
{
  const struct keep_oci_spec *s = c->s;
  /* Nothing we mount may propagate back to the host. */
  struct mount_attr priv = {.propagation = MS_PRIVATE};
  if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &priv, sizeof(priv)) < 0)
    return keep_fail_errno(err, "make mounts private");
  /* As root, create cloned the root (host root can reach it below any
   * directory): attach that over "/" of this private namespace, where
   * pivot_root takes it.  The root's own device nodes mean nothing in a
   * container: /dev is its own. */
  if (c->root_tree >= 0) {
    cleanup_close int newroot = c->root_tree;
    cleanup_close int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (slash < 0)
      return keep_fail_errno(err, "open `/`");
    if (mount_set_attrs(newroot, MOUNT_ATTR_NODEV, 0, 0, s->root_path, err) < 0 ||
        mount_attach(newroot, slash, "the root filesystem", s->root_path, err) < 0)
      return -1;
    /* The clone kept its source's propagation (shared, under a manager such
     * as dockerd): pivot_root refuses a shared root, and nothing mounted in
     * the container may reach the host. */
    if (mount_setattr(newroot, "", AT_EMPTY_PATH | AT_RECURSIVE, &priv, sizeof(priv)) < 0)
      return keep_fail_errno(err, "make the root filesystem private");
    *newroot_out = steal_fd(&newroot);
    return 0;
  }
  /* Rootless, or a joined mount namespace: the parent's fd belongs to the
   * host's mount namespace and cannot be cloned from here: re-open the path
   * and insist on the same inode. */
  cleanup_close int here = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct stat a, b;
  if (here < 0 || fstat(here, &a) < 0 || fstat(c->rootfs_fd, &b) < 0)
    return keep_fail_errno(err, "root.path `%s`", s->root_path);
  if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
    return keep_fail(err, ESTALE, "root.path `%s` changed while the container was being created", s->root_path);
  cleanup_close int newroot = bind_clone(here, "", 1, err);
  if (newroot < 0)
    return keep_error_wrap(err, "root.path `%s`", s->root_path);
  if (mount_set_attrs(newroot, MOUNT_ATTR_NODEV, 0, 0, s->root_path, err) < 0 ||
      mount_attach(newroot, here, "the root filesystem", s->root_path, err) < 0)
    return -1;
  *newroot_out = steal_fd(&newroot);
  return 0;
}

static int do_pivot(int newroot, bool no_pivot, bool over_slash, keep_error **err)
{
  if (!no_pivot)
    return keep_pivot_root(newroot, err);
  /* --no-pivot (for ramfs roots): move the root over / (unless it is
   * there already) and chroot. */
  if (fchdir(newroot) < 0)
    return keep_fail_errno(err, "fchdir to the new root");
  if ((!over_slash && mount(".", "/", NULL, MS_MOVE, NULL) < 0) || chroot(".") < 0)
    return keep_fail_errno(err, "move the root to `/` (--no-pivot)");
  if (chdir("/") < 0)
    return keep_fail_errno(err, "chdir `/`");
  return 0;
}

static int open_pty(int newroot, const struct keep_oci_process *p, int sock, int *peer, keep_error **err)
{
  long m = sys_openat2(newroot, "dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0,
                       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (m < 0)
    return keep_fail_errno(err, "open the container's `/dev/pts/ptmx` (process.terminal needs a devpts mount)");
  cleanup_close int master = (int) m;
  if (unlockpt(master) < 0)
    return keep_fail_errno(err, "unlockpt");
  *peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*peer < 0)
    return keep_fail_errno(err, "TIOCGPTPEER");
  if (p->console_height || p->console_width) {
    struct winsize ws = {.ws_row = (unsigned short) p->console_height, .ws_col = (unsigned short) p->console_width};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  return keep_msg_send(sock, KEEP_MSG_TERMINAL, NULL, master, err);
}

/* Until create's HOOK_STATE (after the prestart and createRuntime hooks,
 * which may make the sources): the idmapped mounts it prepared, one
 * IDMAPPED_TREE (the mount's index, its tree) each.  HOOK_STATE carries the
 * state for the createContainer hooks. */
static int receive_trees(struct oci_child *c, char *state, size_t state_len, keep_error **err)
{
  size_t n = c->s->n_mounts;
  c->mctx.trees = xcalloc(n + 1, sizeof(int));
  for (size_t i = 0; i < n; i++)
    c->mctx.trees[i] = -1;
  for (;;) {
    int fd = -1;
    int type = keep_msg_recv(c->sock, state, state_len, &fd, err);
    if (type < 0)
      return -1;
    if (type == KEEP_MSG_HOOK_STATE && fd < 0)
      return 0;
    char *end = NULL;
    const char *text = state;
    unsigned long i = strtoul(text, &end, 10);
    if (type != KEEP_MSG_IDMAPPED_TREE || fd < 0 || end == text || *end || i >= n || c->mctx.trees[i] >= 0) {
      if (fd >= 0)
        close(fd);
      return -1;
    }
    c->mctx.trees[i] = fd;
  }
}

static noreturn void oci_child(struct oci_child *c);
static void oci_child_entry(void *arg)
{
  oci_child(arg);
}

static noreturn void oci_child(struct oci_child *c)
{
  const struct keep_oci_spec *s = c->s;
  keep_error *err = NULL;
  int sock = c->sock;
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  keep_cmdline_rewrite("keep-init");
  for (size_t i = 0; i < ARRAY_SIZE(c->close_fds); i++)
    if (c->close_fds[i] >= 0)
      close(c->close_fds[i]);
  char state[8192];
  if (keep_msg_expect(sock, KEEP_MSG_GO, "the set-up", &err) < 0)
    _exit(125);   /* keep is gone or failed: it reports */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (s->ns[OCI_NS_USER] && !s->ns_path[OCI_NS_USER]) {
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      keep_fail_errno(&err, "become root of the user namespace");
      keep_msg_fail(sock, err);
    }
    if (!c->deny_setgroups && setgroups(0, NULL) < 0) {
      keep_fail_errno(&err, "setgroups");
      keep_msg_fail(sock, err);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  } else if (s->ns_path[OCI_NS_USER]) {
    /* A joined user namespace: become its root, as in a new one. */
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      keep_fail_errno(&err, "config.json: linux.namespaces: become root (uid and gid 0) in user namespace `%s`",
                      s->ns_path[OCI_NS_USER]);
      keep_msg_fail(sock, err);
    }
    if (setgroups(0, NULL) < 0 && errno != EPERM) {
      keep_fail_errno(&err, "setgroups");
      keep_msg_fail(sock, err);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  }
  if (s->ns[OCI_NS_CGROUP] && !s->ns_path[OCI_NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0) {
    keep_fail_errno(&err, "unshare(CLONE_NEWCGROUP)");
    keep_msg_fail(sock, err);
  }
  if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
    keep_fail_errno(&err, "sethostname `%s`", s->hostname);
    keep_msg_fail(sock, err);
  }
  if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
    keep_fail_errno(&err, "setdomainname `%s`", s->domainname);
    keep_msg_fail(sock, err);
  }
  cleanup_close int newroot = -1;
  if (setup_root(c, &newroot, &err) < 0)
    keep_msg_fail(sock, err);
  int fifo = c->fifo;
  /* prestart and createRuntime hooks run in the parent now. */
  if (keep_msg_send(sock, KEEP_MSG_ROOT_BUILT, NULL, -1, &err) < 0 || receive_trees(c, state, sizeof(state), &err) < 0)
    _exit(125);
  if (keep_oci_mounts_setup(newroot, s, &c->mctx, &err) < 0)
    keep_msg_fail(sock, err);
  if (run_hooks_in_child(s, OCI_HOOK_CREATE_CONTAINER, state, &err) < 0)
    keep_msg_fail(sock, err);
  int tty_peer = -1;
  if (s->process.terminal) {
    if (open_pty(newroot, &s->process, sock, &tty_peer, &err) < 0)
      keep_msg_fail(sock, err);
    /* Let go of create's stdio now: containerd's shim waits for those pipes
     * to close before it takes the terminal and starts the container. */
    for (int i = 0; i < 3; i++)
      if (dup2(tty_peer, i) < 0) {
        keep_fail_errno(&err, "dup2 the terminal");
        keep_msg_fail(sock, err);
      }
  }
  /* sysctls before masking: /proc/sys is among the read-only paths. */
  if (do_pivot(newroot, c->o->no_pivot, c->root_tree >= 0, &err) < 0 || keep_oci_sysctl(s, &err) < 0)
    keep_msg_fail(sock, err);
  cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || keep_oci_mask_paths(rootfd, s, &err) < 0) {
    if (rootfd < 0)
      keep_fail_errno(&err, "open the new root");
    keep_msg_fail(sock, err);
  }
  if (s->root_readonly) {
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) < 0) {
      keep_fail_errno(&err, "make the root read-only (root.readonly)");
      keep_msg_fail(sock, err);
    }
  }
  if (s->rootfs_propagation) {
    struct mount_attr pa = {.propagation = s->rootfs_propagation & ~(unsigned long) MS_REC};
    if (mount_setattr(AT_FDCWD, "/", (s->rootfs_propagation & MS_REC) ? AT_RECURSIVE : 0, &pa, sizeof(pa)) < 0) {
      keep_fail_errno(&err, "linux.rootfsPropagation");
      keep_msg_fail(sock, err);
    }
  }
  /* SCMP_ACT_NOTIFY: the listener must reach the agent during create, so
   * the notify rules are loaded now, as a filter of their own; the rest of
   * the profile still loads right before execve (seccomp_notify.c says
   * why, and which calls of ours the profile may not notify). */
  if (keep_seccomp_listener_path(c->seccomp)) {
    int listener = keep_seccomp_install_listener(c->seccomp, &err);
    if (listener < 0)
      keep_msg_fail(sock, err);
    int sent = keep_msg_send(sock, KEEP_MSG_LISTENER, NULL, listener, &err);
    close(listener);
    if (sent < 0)
      _exit(125);
  }
  /* Created: once create has recorded it, this process outlives create. */
  if (keep_msg_send(sock, KEEP_MSG_READY, NULL, -1, &err) < 0 ||
      keep_msg_expect(sock, KEEP_MSG_RECORDED, "create recorded the container", &err) < 0)
    _exit(125);
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (keep_msg_send(sock, KEEP_MSG_RECORDED_ACK, NULL, -1, &err) < 0)
    _exit(125);
  close(sock);

  struct pollfd pf = {.fd = fifo, .events = POLLIN};
  for (;;) {
    if (poll(&pf, 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      _exit(125);
    }
    char b;
    ssize_t n = read(fifo, &b, 1);
    if (n == 1)
      break;
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    _exit(125);   /* the state directory went away: deleted before start */
  }
  close(fifo);
  /* No process (optional at create, required at start): `start` refuses,
   * and this init ends so the container is stopped, not left waiting. */
  if (!s->process.present)
    _exit(125);
  if (s->n_hooks[OCI_HOOK_START_CONTAINER] && run_hooks_in_child(s, OCI_HOOK_START_CONTAINER, state, &err) < 0) {
    keep_error_print(err);
    _exit(125);
  }
  keep_oci_process_exec(&s->process, c->seccomp, tty_peer, !c->deny_setgroups, s->has_personality,
                        s->personality);
}

static int check_supported(const struct keep_oci_spec *s, const struct keep_oci_create_opts *o,
                           bool attached, keep_error **err)
{
  if (!s->ns[OCI_NS_MOUNT])
    return keep_fail(err, 0, "config.json: linux.namespaces: keep needs a mount namespace");
  if (s->ns_path[OCI_NS_MOUNT] && s->ns[OCI_NS_USER] && !s->ns_path[OCI_NS_USER])
    return keep_fail(err, 0,
                     "config.json: linux.namespaces: mount namespace `%s` cannot be joined from a new user namespace "
                     "(a mount namespace can be joined only from the user namespace that owns it: give that one's path, "
                     "or no user namespace)", s->ns_path[OCI_NS_MOUNT]);
  if (s->process.terminal && !o->console_socket && !attached)
    return keep_fail(err, 0, "process.terminal is true: pass --console-socket to receive the terminal");
  if (s->process.apparmor_profile && *s->process.apparmor_profile &&
      access("/sys/kernel/security/apparmor", F_OK) < 0)
    return keep_fail(err, ENOTSUP, "config.json: process.apparmorProfile: AppArmor is not enabled on this host");
  if (s->process.selinux_label && *s->process.selinux_label && access("/sys/fs/selinux/enforce", F_OK) < 0)
    return keep_fail(err, ENOTSUP, "config.json: process.selinuxLabel: SELinux is not enabled on this host");
  for (size_t i = 0; i < s->n_mounts; i++)
    if (s->mounts[i].idmap != OCI_IDMAP_NONE && geteuid() != 0)
      return keep_fail(err, EPERM, "config.json: mounts[%zu]: an idmapped mount needs keep to run as root "
                       "(it idmaps a filesystem of the host, and writes mappings of host ids)", i);
  if (s->process.present && keep_oci_caps_grantable(&s->process, "config.json", err) < 0)
    return -1;
  if (s->cgroups_path && strchr(s->cgroups_path, ':'))
    return keep_fail(err, ENOTSUP, "config.json: linux.cgroupsPath `%s` is systemd's form: keep drives cgroupfs only",
                     s->cgroups_path);
  return 0;
}

static int join_namespaces(const struct keep_oci_spec *s, keep_error **err)
{
  static const int types[OCI_NS_COUNT] = {
    [OCI_NS_PID] = CLONE_NEWPID, [OCI_NS_NETWORK] = CLONE_NEWNET, [OCI_NS_IPC] = CLONE_NEWIPC,
    [OCI_NS_UTS] = CLONE_NEWUTS, [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
  };
  for (int k = 0; k < OCI_NS_COUNT; k++) {
    if (!s->ns_path[k] || k == OCI_NS_MOUNT || k == OCI_NS_USER)
      continue;
    cleanup_close int fd = keep_oci_ns_open(s, k, err);
    if (fd < 0)
      return -1;
    if (setns(fd, types[k]) < 0)
      return keep_fail_errno(err, "config.json: linux.namespaces: join %s namespace `%s`",
                             keep_oci_ns_names[k], s->ns_path[k]);
  }
  if (s->ns[OCI_NS_TIME] && !s->ns_path[OCI_NS_TIME]) {
    if (unshare(CLONE_NEWTIME) < 0)
      return keep_fail_errno(err, "unshare(CLONE_NEWTIME)");
    if (s->has_time_offsets) {
      cleanup_free char *o = xasprintf("monotonic %lld 0\nboottime %lld 0\n",
                                       (long long) s->time_offset_monotonic_s, (long long) s->time_offset_boottime_s);
      if (write_file_at(AT_FDCWD, "/proc/self/timens_offsets", o, err) < 0)
        return keep_error_wrap(err, "config.json: linux.timeOffsets");
    }
  }
  return 0;
}

static char *now_rfc3339(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
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

/* What `create` holds until it hands the container over. */
struct create_res {
  struct keep_oci_spec spec;
  struct keep_oci_state st;
  struct keep_seccomp *seccomp;
  struct keep_cgroup *cg;
  struct keep_userns_plan userns;
  int rootfs_fd, root_tree, sock, console, master;
  pid_t child;
  bool done;
};

static void create_release(struct create_res *r)
{
  if (!r->done) {
    if (r->child > 0) {
      kill(r->child, SIGKILL);
      waitpid(r->child, NULL, 0);
    }
    keep_cgroup_destroy(r->cg, NULL);
    if (r->st.dirfd >= 0)
      keep_oci_state_remove(&r->st, NULL);
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
          return keep_fail_errno(err, "config.json: mounts[%zu]: open the container's user namespace `%s`", i, own);
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
         l->has_cpu_idle || l->cpu_burst_us > 0;
}

/* `block`: the signals an attached run forwards, blocked once the inputs
 * are open and checked (a blocking open stays interruptible), or NULL. */
static int do_create(const struct keep_oci_create_opts *o, bool attached, sigset_t *block, sigset_t *old,
                     struct create_res *r, keep_error **err)
{
  const char *bundle = o->bundle ? o->bundle : ".";
  if (keep_oci_spec_load(bundle, &r->spec, err) < 0)
    return -1;
  struct keep_oci_spec *s = &r->spec;
  if (check_supported(s, o, attached, err) < 0)
    return -1;
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
    r->root_tree = (int) open_tree(r->rootfs_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    if (r->root_tree < 0)
      return keep_fail_errno(err, "config.json: root.path `%s`: clone it", s->root_path);
  }
  if (plan_userns(r, err) < 0)
    return -1;
  if (o->console_socket && s->process.terminal) {
    r->console = keep_console_connect(o->console_socket, err);
    if (r->console < 0)
      return -1;
  }
  if (block)
    keep_oci_block_forwarded(block, old);

  if (keep_oci_state_new(o->root, o->id, &r->st, err) < 0)
    return -1;
  r->st.bundle = xstrdup(s->bundle);
  r->st.oci_version = xstrdup(s->oci_version);
  r->st.created = now_rfc3339();
  r->st.annotations = s->annotations ? json_incref(s->annotations) : NULL;

  bool rootless = geteuid() != 0;
  enum keep_cgroup_version cgv = KEEP_CGROUP_NONE;
  keep_cgroup_detect(&cgv, NULL);
  bool want_cg = !(rootless && cgv != KEEP_CGROUP_V2);
  if (!want_cg && s->has_resources && limits_asked(&s->limits))
    return keep_fail(err, EPERM, "config.json: linux.resources: cgroup v1 cannot be delegated to an unprivileged user");
  if (want_cg) {
    /* Not under keep/: `keep gc` owns that tree and removes cgroups whose
     * `keep run` died; an OCI container's life is its manager's business. */
    r->st.cgroup_rel = s->cgroups_path ? xstrdup(s->cgroups_path + strspn(s->cgroups_path, "/"))
                                       : xasprintf("keep-oci/%s", o->id);
    r->st.cgroup_owned = true;
  }
  /* Crash safety: everything `delete --force` must undo is recorded before
   * it exists.  The cgroup path is saved before the cgroup is made, the
   * init's pid as soon as it has one, so a create killed at any point
   * leaves a state that delete can clean up, and the id can be used again. */
  if (keep_oci_state_save(&r->st, err) < 0)
    return -1;
  keep_fault_point("create-state");
  cleanup_free char *cfg_text = json_dumps(s->json, JSON_COMPACT);
  if (create_file_at(r->st.dirfd, "config.json", cfg_text, 0600, err) < 0)
    return -1;
  cleanup_free char *fifo_path = xasprintf("%s/exec.fifo", r->st.dir);
  if (mkfifo(fifo_path, 0600) < 0)
    return keep_fail_errno(err, "mkfifo `%s`", fifo_path);
  if (want_cg && keep_cgroup_create_at(r->st.cgroup_rel, &s->limits, rootless, &r->cg, err) < 0)
    return keep_error_wrap(err, "config.json: linux.cgroupsPath");
  keep_fault_point("create-cgroup");

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
  struct oci_child c = {.s = s, .o = o, .seccomp = r->seccomp, .sock = sv[1], .rootfs_fd = r->rootfs_fd,
                        .root_tree = r->root_tree,
                        .fifo = fifo, .deny_setgroups = r->userns.deny_setgroups,
                        .close_fds = {r->st.dirfd, r->console}};
  if (r->cg) {
    const char *const *names, *const *dirs;
    c.mctx.n_cgroup_dirs = keep_cgroup_dirs(r->cg, &names, &dirs);
    c.mctx.cgroup_names = names;
    c.mctx.cgroup_dirs = dirs;
    c.mctx.cgroup2 = keep_cgroup_version_of(r->cg) == KEEP_CGROUP_V2;
  } else {
    c.mctx.cgroup2 = cgv == KEEP_CGROUP_V2;
  }
  unsigned long flags = 0;
  if (!s->ns_path[OCI_NS_MOUNT])
    flags |= CLONE_NEWNS;
  if (s->ns[OCI_NS_USER] && !s->ns_path[OCI_NS_USER])
    flags |= CLONE_NEWUSER;
  if (s->ns[OCI_NS_PID] && !s->ns_path[OCI_NS_PID])
    flags |= CLONE_NEWPID;
  if (s->ns[OCI_NS_NETWORK] && !s->ns_path[OCI_NS_NETWORK])
    flags |= CLONE_NEWNET;
  if (s->ns[OCI_NS_IPC] && !s->ns_path[OCI_NS_IPC])
    flags |= CLONE_NEWIPC;
  if (s->ns[OCI_NS_UTS] && !s->ns_path[OCI_NS_UTS])
    flags |= CLONE_NEWUTS;
  fflush(NULL);
  if (rootless && s->ns[OCI_NS_USER])
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  pid_t pid = keep_oci_spawn_init(s, flags, sv[0], oci_child_entry, &c, err);
  close(sv[1]);
  if (pid < 0)
    return -1;
  close(steal_fd(&fifo));
  r->child = pid;
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  r->st.pid = pid;
  r->st.start_time = keep_proc_start_time(pid);
  if (keep_oci_state_save(&r->st, err) < 0)
    return -1;
  keep_fault_point("create-spawned");
  if ((r->cg && keep_cgroup_enter(r->cg, pid, err) < 0) ||
      keep_oci_set_oom_score_adj(pid, &s->process, err) < 0 ||
      (flags & CLONE_NEWUSER && keep_userns_apply(&r->userns, pid, err) < 0) ||
      keep_msg_send(r->sock, KEEP_MSG_GO, NULL, -1, err) < 0)
    return -1;
  for (;;) {
    int fd = -1;
    int type = keep_msg_recv(r->sock, NULL, 0, &fd, err);
    if (type < 0)
      return -1;   /* the container's side failed: its error, as it was */
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
          keep_oci_run_hooks(s, OCI_HOOK_CREATE_RUNTIME, &r->st, err) < 0 || send_idmapped_trees(r, pid, err) < 0)
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
    if (type == KEEP_MSG_READY)
      break;
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
  keep_fault_point("create-saved");
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
  struct create_res r = {.rootfs_fd = -1, .root_tree = -1, .sock = -1, .console = -1, .master = -1, .st = {.dirfd = -1}};
  int ret = do_create(o, false, NULL, NULL, &r, err);
  if (ret == 0) {
    r.done = true;
    r.child = 0;
  }
  create_release(&r);
  return ret;
}

static int open_fifo_for_start(struct keep_oci_state *st, keep_error **err)
{
  int fd = openat(st->dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO)
      return keep_fail(err, ESRCH, "container `%s` is not waiting to start", st->id);
    return keep_fail_errno(err, "open `%s/exec.fifo`", st->dir);
  }
  return fd;
}

static int load_stored_spec(struct keep_oci_state *st, struct keep_oci_spec *s, keep_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(st->dirfd, "config.json", &text, &len, err) < 0)
    return -1;
  return keep_oci_spec_parse_len(st->bundle, text, len, s, err);
}

/* Wake the container's init: it execs the process, or ends when there is none. */
static int release_init(struct keep_oci_state *st, const struct keep_oci_spec *s, keep_error **err)
{
  cleanup_close int fifo = open_fifo_for_start(st, err);
  if (fifo < 0)
    return -1;
  cleanup_close int mark = openat(st->dirfd, "started", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (mark < 0)
    return keep_fail_errno(err, "mark `%s` started", st->id);
  keep_fault_point("start-marked");
  if (write(fifo, "1", 1) != 1)
    return keep_fail_errno(err, "start `%s`", st->id);
  if (!s->process.present)
    return keep_fail(err, 0, "config.json: process: not set, so container `%s` has nothing to start (it is now stopped)",
                     st->id);
  return 0;
}

static int start_locked(struct keep_oci_state *st, keep_error **err)
{
  if (st->status != OCI_CREATED)
    return keep_fail(err, 0, "container `%s` is %s: only a created container can be started", st->id,
                     keep_oci_status_name(st->status));
  struct keep_oci_spec s;
  if (load_stored_spec(st, &s, err) < 0)
    return -1;
  int r = release_init(st, &s, err);
  if (r == 0) {
    st->status = OCI_RUNNING;
    keep_error *e = NULL;
    /* A failing poststart hook is reported, the container keeps running. */
    if (keep_oci_run_hooks(&s, OCI_HOOK_POSTSTART, st, &e) < 0) {
      keep_error_wrap(&e, "poststart");
      keep_error_print(e);
      keep_error_free(&e);
    }
  }
  keep_oci_spec_free(&s);
  return r;
}

int keep_oci_start(const char *root, const char *id, keep_error **err)
{
  struct keep_oci_state st;
  if (keep_oci_state_open(root, id, &st, err) < 0) {
    keep_oci_state_free(&st);
    return -1;
  }
  int r = start_locked(&st, err);
  keep_oci_state_free(&st);
  return r;
}

static void relay(int master, pid_t child, int *status)
{
  bool in_open = true, out_open = true;
  while (waitpid(child, status, WNOHANG) == 0) {
    struct pollfd p[2] = {{.fd = in_open ? 0 : -1, .events = POLLIN}, {.fd = out_open ? master : -1, .events = POLLIN}};
    if (poll(p, 2, 100) <= 0)
      continue;
    char buf[4096];
    if (p[0].revents) {
      ssize_t n = read(0, buf, sizeof(buf));
      if (n <= 0 || write_all(master, buf, (size_t) n) < 0)
        in_open = false;
    }
    if (p[1].revents) {
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0 || write_all(1, buf, (size_t) n) < 0)
        out_open = false;
    }
  }
}

int keep_oci_run(const struct keep_oci_create_opts *o, int *exit_code, keep_error **err)
{
  struct create_res r = {.rootfs_fd = -1, .root_tree = -1, .sock = -1, .console = -1, .master = -1, .st = {.dirfd = -1}};
  sigset_t mask, old;
  sigprocmask(SIG_SETMASK, NULL, &old);
  int ret = do_create(o, !o->detach, &mask, &old, &r, err);
  if (ret == 0)
    ret = start_locked(&r.st, err);
  if (ret == 0 && o->detach) {
    r.done = true;
    r.child = 0;
  } else if (ret == 0) {
    /* Attached: forward signals (or relay the terminal), wait, then delete
     * like `--rm`. */
    int status = 0;
    if (r.master >= 0) {
      relay(r.master, r.child, &status);
      *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    } else {
      *exit_code = keep_oci_forward_and_wait(r.child, &mask);
    }
    r.child = 0;
    keep_error *e = NULL;
    if (keep_oci_run_hooks(&r.spec, OCI_HOOK_POSTSTOP, &r.st, &e) < 0) {
      keep_error_print(e);
      keep_error_free(&e);
    }
  }
  create_release(&r);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return ret;
}
