/* The container's side of create: the init.
 *
 * Cloned by create into the new namespaces, it waits for create to enter it
 * into the cgroup and write its id maps, becomes root of its user namespace,
 * builds the filesystem through fds, pivots, and waits on exec.fifo for
 * `start`; then it execs the container's process. */
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
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "net.h"
#include "oci_create_internal.h"
#include "oci_process.h"
#include "pid1_loop.h"
#include "process_setup.h"
#include "rootfs.h"
#include "secret.h"
#include "syscalls.h"
#include "msg.h"
#include "terminal.h"
#include "util.h"

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
  if (c->ext && c->root_tree < 0) {
    /* keep run, rootless or with a writable image: the root (its overlay,
     * keep's layer of missing mount points) is made here, in the
     * container's namespaces, from the directory its caller checked. */
    cleanup_close int hostroot = keep_reopen_same(c->rootfs_fd, c->ext->cfg->rootfs, NULL, err);
    if (hostroot < 0)
      return keep_error_wrap(err, "root filesystem");
    c->root_tree = keep_rootfs_tree(c->ext->cfg, hostroot, c->ext->volume_fds, (uid_t) -1, (gid_t) -1, err);
    if (c->root_tree < 0)
      return -1;
  }
  if (c->root_tree >= 0) {
    cleanup_close int newroot = steal_fd(&c->root_tree);
    c->root_over_slash = true;
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
    return keep_fail(err, ESTALE, "root.path `%s` changed while the container was being created",
                     s->root_path);
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
    return keep_fail_errno(err,
                           "open the container's `/dev/pts/ptmx` (process.terminal needs a devpts mount)");
  cleanup_close int master = (int) m;
  if (unlockpt(master) < 0)
    return keep_fail_errno(err, "unlockpt");
  *peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*peer < 0)
    return keep_fail_errno(err, "TIOCGPTPEER");
  if (p->console_height || p->console_width) {
    struct winsize ws = {.ws_row = (unsigned short) p->console_height,
                         .ws_col = (unsigned short) p->console_width};
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

/* keep run: the user named by the flags or the image, looked up in the
 * container's own /etc/passwd and /etc/group (never NSS, never the host's),
 * and the environment with its HOME. */
static int resolve_user(const struct oci_child *c, int rootfd, struct keep_oci_process *p, gid_t *gid_store,
                        keep_error **err)
{
  const struct keep_config *cfg = c->ext->cfg;
  struct keep_user user = {0};
  if (keep_user_resolve(rootfd, cfg->proc.user, &user, err) < 0)
    return -1;
  p->uid = user.uid;
  p->gid = user.gid;
  /* Its primary group is its only one: none of the host's. */
  *gid_store = user.gid;
  p->additional_gids = gid_store;
  p->n_additional_gids = 1;
  p->env = keep_env_build(cfg->proc.env, user.home, cfg->hostname, cfg->proc.tty);
  free(user.home);
  return 0;
}

/* keep run: keep's init stays PID 1 (it reaps orphans, forwards signals,
 * exits with the workload's status) and the workload is its child.  PID 1
 * keeps only CAP_KILL, to signal a workload of another uid, and no
 * descriptor but stdio and its signalfd.  It gets no Landlock domain of its
 * own: Landlock scopes signals to a domain and its children, and init must
 * reach the workload, whose own domain keeps it from signalling init. */
static noreturn void run_as_pid1(const struct keep_oci_confine *cf, bool stdin_null, int pid1_fd)
{
  keep_error *err = NULL;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  /* no_new_privs before the workload exists (it sets it too): from its first
   * instruction it sees a PID 1 that can gain nothing by exec.  PID 1 keeps
   * the capabilities the workload needs to switch ids until it has exec'd. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    keep_fail_errno(&err, "prctl(PR_SET_NO_NEW_PRIVS)");
    keep_error_print(err);
    _exit(125);
  }
  /* vfork: the workload shares PID 1's memory (nothing is copied, which is
   * what a fork costs most here) and PID 1 waits until it has exec'd or
   * died.  The workload never returns: it execs or _exits, and what it
   * changes is its own (signal dispositions, credentials, filters). */
  pid_t workload = vfork();
  if (workload < 0) {
    keep_fail_errno(&err, "fork the workload");
    keep_error_print(err);
    _exit(125);
  }
  if (workload == 0) {
    /* Without -i, stdin is the container's /dev/null, as `docker run`. */
    int nul = stdin_null ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
    if (stdin_null && (nul < 0 || dup2(nul, 0) < 0)) {
      keep_fail_errno(&err, "open `/dev/null` for stdin");
      keep_error_print(err);
      _exit(125);
    }
    keep_oci_process_exec(cf);
  }
  uint64_t kill_only = 1ULL << CAP_KILL;
  if (keep_caps_drop_bounding(kill_only, &err) < 0 || keep_caps_apply(kill_only, &err) < 0) {
    keep_error_print(err);
    kill(workload, SIGKILL);
    _exit(125);
  }
  /* Become keep-pid1 (the same loop in a program of a few pages: what
   * stays for the container's life); signals stay blocked across the exec.
   * Should that fail, this process stays PID 1 and runs the loop itself. */
  if (pid1_fd >= 3) {
    close_range(3, (unsigned) pid1_fd - 1, 0);
    close_range((unsigned) pid1_fd + 1, ~0U, 0);
    char *const args[] = {(char *) "keep-init", NULL};
    char *const no_env[] = {NULL};
    execveat(pid1_fd, "", args, no_env, AT_EMPTY_PATH);
  }
  close_range(3, ~0U, 0);
  int sigfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sigfd < 0) {
    kill(workload, SIGKILL);
    _exit(125);
  }
  keep_pid1_loop(workload, sigfd);
}

/* Root (uid and gid 0) of the container's user namespace, a new one (create
 * wrote its maps) or one joined by path, with no supplementary group. */
static void become_userns_root(const struct oci_child *c, int sock)
{
  const struct keep_oci_spec *s = c->s;
  const char *joined = s->ns_path[OCI_NS_USER];
  if (!s->ns[OCI_NS_USER] && !joined)
    return;
  keep_error *err = NULL;
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
    if (joined)
      keep_fail_errno(
          &err, "config.json: linux.namespaces: become root (uid and gid 0) in user namespace `%s`", joined);
    else
      keep_fail_errno(&err, "become root of the user namespace");
    keep_msg_fail(sock, err);
  }
  /* A new namespace mapping only the caller denies setgroups (create knows);
   * a joined one may deny it too, and then has no groups to drop. */
  if ((joined || !c->deny_setgroups) && setgroups(0, NULL) < 0 && !(joined && errno == EPERM)) {
    keep_fail_errno(&err, "setgroups");
    keep_msg_fail(sock, err);
  }
  /* Changing credentials cleared the parent-death signal: set it again, so
   * a killed keep never leaves its init behind before the container exists. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
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
    _exit(125); /* keep is gone or failed: it reports */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  become_userns_root(c, sock);
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
  /* A network namespace of its own starts with loopback down. */
  if (s->ns[OCI_NS_NETWORK] && !s->ns_path[OCI_NS_NETWORK] && keep_net_loopback_up(&err) < 0)
    keep_msg_fail(sock, err);
  cleanup_close int newroot = -1;
  if (setup_root(c, &newroot, &err) < 0)
    keep_msg_fail(sock, err);
  int fifo = c->fifo;
  /* prestart and createRuntime hooks run in the parent now. */
  if (keep_msg_send(sock, KEEP_MSG_ROOT_BUILT, NULL, -1, &err) < 0 ||
      receive_trees(c, state, sizeof(state), &err) < 0)
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
  if (do_pivot(newroot, c->o->no_pivot, c->root_over_slash, &err) < 0 || keep_oci_sysctl(s, &err) < 0)
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
    if (mount_setattr(AT_FDCWD, "/", (s->rootfs_propagation & MS_REC) ? AT_RECURSIVE : 0, &pa, sizeof(pa)) <
        0) {
      keep_fail_errno(&err, "linux.rootfsPropagation");
      keep_msg_fail(sock, err);
    }
  }
  struct keep_oci_process proc = s->process;
  gid_t gid_store = 0;
  if (c->ext && resolve_user(c, rootfd, &proc, &gid_store, &err) < 0)
    keep_msg_fail(sock, err);
  /* keep run --secret: the values on their own read-only tmpfs, owned by
   * the user just resolved; the descriptors are closed here, long before
   * anything of the image runs. */
  if (c->ext && keep_secrets_mount(rootfd, c->ext->cfg->secrets, c->ext->secret_fds, c->ext->cfg->n_secrets,
                                   proc.uid, proc.gid, &err) < 0)
    keep_msg_fail(sock, err);
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
  /* Created: once create has recorded it, this process outlives create;
   * keep run's never does. */
  /* The user a name resolved to, for `keep exec` to run as (keep run). */
  char ready[64] = "";
  if (c->ext)
    snprintf(ready, sizeof(ready), "%u:%u", (unsigned) proc.uid, (unsigned) proc.gid);
  if (keep_msg_send(sock, KEEP_MSG_READY, c->ext ? ready : NULL, -1, &err) < 0)
    _exit(125);
  if (!c->ext) {
    if (keep_msg_expect(sock, KEEP_MSG_RECORDED, "create recorded the container", &err) < 0)
      _exit(125);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (keep_msg_send(sock, KEEP_MSG_RECORDED_ACK, NULL, -1, &err) < 0)
      _exit(125);
  }
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
    _exit(125); /* the state directory went away: deleted before start */
  }
  close(fifo);
  /* No process (optional at create, required at start): `start` refuses,
   * and this init ends so the container is stopped, not left waiting. */
  if (!s->process.present)
    _exit(125);
  if (s->n_hooks[OCI_HOOK_START_CONTAINER] &&
      run_hooks_in_child(s, OCI_HOOK_START_CONTAINER, state, &err) < 0) {
    keep_error_print(err);
    _exit(125);
  }
  cleanup_strv char **writable = NULL;
  if (c->ext && c->ext->cfg->landlock)
    writable = keep_rootfs_writable_paths(c->ext->cfg);
  struct keep_oci_confine cf = {.p = &proc,
                                .seccomp = c->seccomp,
                                .tty_fd = tty_peer,
                                .setgroups_allowed = !c->deny_setgroups,
                                .has_personality = s->has_personality,
                                .personality = s->personality,
                                .landlock_writable = writable,
                                .landlock_root_writable = c->ext && c->ext->cfg->read_write,
                                .landlock_rules = c->ext ? c->ext->cfg->landlock_rules : NULL,
                                .n_landlock_rules =
                                    c->ext && c->ext->cfg->landlock ? c->ext->cfg->n_landlock_rules : 0,
                                .apparmor_profile = proc.apparmor_profile,
                                .selinux_label = proc.selinux_label};
  if (c->ext)
    run_as_pid1(&cf, tty_peer < 0 && !c->ext->cfg->proc.interactive, c->ext->pid1_fd);
  keep_oci_process_exec(&cf);
}

/* keep_oci_spawn_init runs this in the new init. */
void oci_child_entry(void *arg)
{
  oci_child(arg);
}
