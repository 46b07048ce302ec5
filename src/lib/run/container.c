/* `keep run`: the hardened spec + create + start, attached.
 *
 * keep run checks everything it can before anything exists (the root, the
 * volume sources, the seccomp profile, the id maps), makes the root as host
 * root where it can, writes the document `keep spec` describes with the
 * image's config and the flags applied (run_spec.c), and hands both to the
 * same create and start as `keep run --bundle` (oci_create.c, oci_init.c,
 * oci_start.c): one pipeline, one confinement step (oci_process.c). */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "oci_runtime.h"
#include "rootfs.h"
#include "run_spec.h"
#include "sealed_exec.h"
#include "seccomp_filter.h"
#include "secret.h"
#include "syscalls.h"
#include "userns.h"
#include "util.h"

/* What keep run opens and prepares before create takes over. */
struct run_resources {
  int rootfs_fd;
  int root_tree; /* the root as a detached mount (root only) */
  int *volume_fds;
  size_t n_volumes;
  size_t n_secrets;
  int *volume_of_mount; /* per mount of the document: its volume, or -1 */
  int *secret_fds;      /* cfg->secrets order */
  struct keep_seccomp *seccomp;
  struct keep_userns_plan userns;
  int pid1_fd; /* keep-pid1, sealed: what PID 1 becomes */
};

static void release(struct run_resources *r)
{
  for (size_t i = 0; i < r->n_volumes; i++)
    if (r->volume_fds[i] >= 0)
      close(r->volume_fds[i]);
  free(r->volume_fds);
  if (r->rootfs_fd >= 0)
    close(r->rootfs_fd);
  if (r->root_tree >= 0)
    close(r->root_tree);
  if (r->pid1_fd >= 0)
    close(r->pid1_fd);
  keep_seccomp_free(r->seccomp);
  free(r->volume_of_mount);
  keep_secret_fds_close(r->secret_fds, r->n_secrets);
  keep_userns_plan_free(&r->userns);
}

static int open_inputs(const struct keep_config *cfg, struct run_resources *r, keep_error **err)
{
  r->rootfs_fd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfs_fd < 0) {
    if (errno == ENOTDIR)
      return keep_fail(err, 0, "root filesystem `%s` is not a directory", keep_q(cfg->rootfs));
    return keep_fail_errno(err, "root filesystem `%s`", keep_q(cfg->rootfs));
  }
  r->n_volumes = cfg->n_mounts;
  r->volume_fds = xcalloc(cfg->n_mounts ? cfg->n_mounts : 1, sizeof(int));
  for (size_t i = 0; i < cfg->n_mounts; i++) {
    r->volume_fds[i] = -1;
    if (cfg->mounts[i].kind != KEEP_MOUNT_BIND)
      continue;
    /* Opened once here, never through a symlink in any component: a
     * directory on the way that another container writes (a shared :rw
     * volume) could otherwise be swapped for a symlink to `/` while this one
     * starts.  The container side binds this very object. */
    r->volume_fds[i] = open_host_nofollow_checked(cfg->mounts[i].src, "volume source", err);
    if (r->volume_fds[i] < 0)
      return -1;
  }
  if (cfg->proc.argv == NULL || cfg->proc.argv[0] == NULL)
    return keep_fail(err, 0, "no command given");
  /* Values are opened here, by the caller who alone can read its store;
   * the container's init gets descriptors, never a path into it. */
  r->n_secrets = cfg->n_secrets;
  return keep_secrets_open(cfg->secrets, cfg->n_secrets, &r->secret_fds, err);
}

/* keep-pid1 in a sealed memfd: once the workload runs, PID 1 becomes this
 * small program instead of staying a copy of keep.  Where it is not
 * installed, keep's init stays PID 1 itself (the same loop, more memory). */
static int open_pid1(void)
{
  cleanup_free char *path = keep_helper_path("keep-pid1");
  cleanup_close int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  return fd < 0 ? -1 : keep_sealed_copy(fd, "keep-init", NULL);
}

static int prepare_seccomp(struct keep_config *cfg, struct run_resources *r, keep_error **err)
{
  if (cfg->seccomp_prepared) { /* keep trace, --log-denied: the observed profile */
    r->seccomp = steal_pointer(&cfg->seccomp_prepared);
    return 0;
  }
  if (cfg->seccomp == KEEP_SECCOMP_UNCONFINED)
    return 0;
  /* The profile loader opens it without blocking, regular files only. */
  const char *file = cfg->seccomp == KEEP_SECCOMP_FILE ? cfg->seccomp_file : NULL;
  return keep_seccomp_prepare(file, cfg->cap_add, cfg->cache_dir, &r->seccomp, err);
}

/* A writable image's upper layer is a tmpfs that overlayfs takes only when
 * it is attached: as root, keep attaches it in a mount namespace of its
 * own, which dies with keep (nothing can leak onto the host), and which
 * receives the host's mounts but never sends it any. */
static int private_mount_namespace(keep_error **err)
{
  if (unshare(CLONE_NEWNS) < 0)
    return keep_fail_errno(err, "unshare(CLONE_NEWNS) for the writable layer");
  struct mount_attr slave = {.propagation = MS_SLAVE};
  if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &slave, sizeof(slave)) < 0)
    return keep_fail_errno(err, "make keep's mounts receive-only");
  return 0;
}

/* The host ids of the container's root: it owns a writable image's root. */
static uid_t container_root_uid(const struct keep_userns_plan *u)
{
  for (size_t i = 0; i < u->n_uid; i++)
    if (u->uid[i].inside == 0)
      return u->uid[i].outside;
  return (uid_t) -1;
}

static gid_t container_root_gid(const struct keep_userns_plan *u)
{
  for (size_t i = 0; i < u->n_gid; i++)
    if (u->gid[i].inside == 0)
      return u->gid[i].outside;
  return (gid_t) -1;
}

/* On a keep network, /etc/hosts names the other containers: a file of
 * keep's, kept current while the container runs, bound read-only. */
static int add_hosts_file(struct keep_config *cfg, keep_error **err)
{
  char *path = NULL;
  if (cfg->n_mounts + 2 > KEEP_MAX_MOUNTS)
    return keep_fail(err, 0, "more than %d volumes and tmpfs mounts", KEEP_MAX_MOUNTS);
  if (keep_net_hosts_prepare(cfg->state_dir, cfg->id, &path, err) < 0)
    return -1;
  cfg->mounts = xrealloc(cfg->mounts, (cfg->n_mounts + 2) * sizeof(*cfg->mounts));
  cfg->mounts[cfg->n_mounts++] =
      (struct keep_mount_req){.kind = KEEP_MOUNT_BIND, .src = path, .dst = xstrdup("/etc/hosts")};
  /* Names outside, on an egress network only: elsewhere there is no way out. */
  if (keep_net_any_egress((const char *const *) cfg->networks)) {
    if (keep_net_resolv_prepare(cfg->state_dir, cfg->id, &path, err) < 0)
      return -1;
    cfg->mounts[cfg->n_mounts++] =
        (struct keep_mount_req){.kind = KEEP_MOUNT_BIND, .src = path, .dst = xstrdup("/etc/resolv.conf")};
  }
  return 0;
}

/* The document and what keep run prepared, handed to create and start. */
static int create_and_start(struct keep_config *cfg, struct run_resources *r, int *exit_code,
                            const char *record, struct keep_handover *h, keep_error **err)
{
  size_t n_mounts = 0;
  json_t *spec = keep_run_spec(cfg, &r->userns, &r->volume_of_mount, &n_mounts, err);
  if (spec == NULL)
    return -1;
  cleanup_free char *text = json_dumps(spec, JSON_COMPACT);
  json_decref(spec);
  cleanup_free char *cwd = getcwd(NULL, 0);
  if (cwd == NULL)
    return keep_fail_errno(err, "getcwd");
  struct keep_oci_run_ext ext = {.cfg = cfg,
                                 .spec_text = text,
                                 .state_base = cfg->state_dir,
                                 .rootfs_fd = r->rootfs_fd,
                                 .root_tree = steal_fd(&r->root_tree),
                                 .volume_fds = r->volume_fds,
                                 .volume_of_mount = r->volume_of_mount,
                                 .secret_fds = r->secret_fds,
                                 .seccomp = steal_pointer(&r->seccomp),
                                 .userns = &r->userns,
                                 .pid1_fd = r->pid1_fd,
                                 .record_text = record,
                                 .name = cfg->svc.name,
                                 .reuse = h && h->reuse_lock >= 0,
                                 .reuse_lock = h ? h->reuse_lock : -1,
                                 .run_lock = -1,
                                 .master = -1};
  struct keep_net_attach_req net = {.networks = (const char *const *) cfg->networks,
                                    .aliases = (const char *const *) cfg->net_aliases,
                                    .ip = cfg->net_ip,
                                    .name = cfg->svc.name};
  if (cfg->networks)
    ext.net = &net;
  ext.publish = cfg->publish;
  struct keep_oci_create_opts o = {.id = cfg->id, .bundle = cwd, .ext = &ext, .detach = h != NULL};
  int ret = keep_oci_run(&o, exit_code, err);
  if (ret == 0 && h) {
    h->lock = ext.run_lock;
    h->pid = ext.init_pid;
    h->master = ext.master;
  }
  /* What create did not take is still ours. */
  if (ext.root_tree >= 0)
    close(ext.root_tree);
  keep_seccomp_free(ext.seccomp);
  return ret;
}

static int run_container(struct keep_config *cfg, const char *record, int *exit_code, struct keep_handover *h,
                         keep_error **err)
{
  struct run_resources r = {.rootfs_fd = -1, .root_tree = -1, .pid1_fd = -1};
  int ret = -1;
  /* Inputs are opened and checked while SIGINT and SIGTERM still end keep:
   * an open or a read that blocks (a FIFO, a stalled network filesystem)
   * stays interruptible, and nothing exists yet that a signal could leave
   * behind.  Create blocks them once it starts making things. */
  if (cfg->networks && add_hosts_file(cfg, err) < 0)
    goto out;
  if (open_inputs(cfg, &r, err) < 0 || prepare_seccomp(cfg, &r, err) < 0 ||
      keep_userns_plan(&r.userns, err) < 0)
    goto out;
  if (r.userns.notice)
    fprintf(stderr, "%s: %s\n", keep_progname, r.userns.notice);
  /* As root, the root filesystem is mounted here, by host root, before the
   * container exists: the container's root need not be able to reach it
   * (a root below /root, or a store below a 0700 directory). */
  if (!cfg->rootless && cfg->layers && cfg->read_write && private_mount_namespace(err) < 0)
    goto out;
  if (!cfg->rootless &&
      (r.root_tree = keep_rootfs_tree(cfg, r.rootfs_fd, r.volume_fds, container_root_uid(&r.userns),
                                      container_root_gid(&r.userns), err)) < 0)
    goto out;
  r.pid1_fd = open_pid1();
  ret = create_and_start(cfg, &r, exit_code, record, h, err);
out:
  release(&r);
  /* A detached container keeps its networks until it exits (its monitor
   * releases them then); any other, now. */
  if (cfg->networks && (ret < 0 || h == NULL))
    keep_net_release(cfg->state_dir, cfg->id);
  return ret;
}

int keep_container_run(struct keep_config *cfg, const char *record, int *exit_code, keep_error **err)
{
  return run_container(cfg, record, exit_code, NULL, err);
}

int keep_container_start_detached(struct keep_config *cfg, struct keep_handover *h, keep_error **err)
{
  int unused = 0;
  h->lock = -1;
  h->pid = 0;
  h->master = -1;
  return run_container(cfg, h->record, &unused, h, err);
}
