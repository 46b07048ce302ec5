/* The OCI runtime lifecycle (runtime-spec runtime.md): create, start, kill,
 * delete, exec, pause/resume, on keep's fd-confined sandbox code. */
#ifndef KEEP_OCI_RUNTIME_H
#define KEEP_OCI_RUNTIME_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"
#include "oci_state.h"

struct keep_config;
struct keep_seccomp;
struct keep_userns_plan;

/* What `keep run` hands create beside its document (run_spec.h): keep's own
 * steps that config.json has no field for (keep's init as PID 1, Landlock,
 * a user named in the image's /etc/passwd, stdin closed unless -i) and what
 * keep run opened and checked before anything existed.  The OCI commands
 * pass none. */
struct keep_net_attach_req;
struct keep_oci_run_ext {
  const struct keep_config *cfg;
  const char *spec_text;  /* the document */
  const char *state_base; /* the state is <base>/<id>, owner-locked (state.h): `keep gc` finds it */
  int rootfs_fd;          /* the root as the caller named it */
  int root_tree;          /* made by keep_rootfs_tree as host root, taken by create; -1: the init makes it */
  const int *volume_fds;  /* cfg->mounts order; -1 for tmpfs */
  const int *volume_of_mount;   /* per mount of the document: its index in cfg->mounts, or -1 */
  const int *secret_fds;        /* cfg->secrets order: each value, opened by keep run (secret.h) */
  struct keep_seccomp *seccomp; /* precompiled, taken by create; NULL: unconfined */
  const struct keep_userns_plan *userns;
  int pid1_fd;             /* sealed keep-pid1 that PID 1 becomes once the workload runs, or -1 */
  const char *record_text; /* container.json (service.h), written beside the state */
  const char *name;        /* --name, claimed once the state exists (state.h) */
  const struct keep_net_attach_req *net; /* keep networks to join (network.h), or NULL */
  char *const *publish;                  /* -p specs (portfwd.h), checked; NULL: none */
  bool reuse; /* a restart: <base>/<id> exists, locked by reuse_lock (kept by the caller) */
  int reuse_lock;
  /* Out, when detached: the owner lock, the init and its terminal (-t), for
   * the monitor. */
  int run_lock;
  pid_t init_pid;
  int master;
};

struct keep_oci_create_opts {
  const char *root; /* state root (--root) */
  const char *id;
  const char *bundle;
  const char *pid_file;
  const char *console_socket; /* AF_UNIX path: receives the pty master */
  bool no_pivot;
  bool detach;                  /* run -d */
  struct keep_oci_run_ext *ext; /* keep run's additions, or NULL */
};

/* create: the container exists, its process waits for `start`. */
int keep_oci_create(const struct keep_oci_create_opts *o, keep_error **err);
/* start: let the created process run; poststart hooks. */
int keep_oci_start(const char *root, const char *id, keep_error **err);
/* run: create + start; unless detached, wait and return the exit status
 * (relaying the terminal when the process has one and no console socket). */
int keep_oci_run(const struct keep_oci_create_opts *o, int *exit_code, keep_error **err);
/* The wait of an attached run (oci_attach.c): relay the terminal `master`
 * (stdin too when interactive), forward the signals of `mask` (blocked by
 * keep_oci_block_forwarded) to `child`, SIGTERM as stop_signal when set;
 * *exit_code gets its status as a shell shows it. */
struct keep_oci_attach {
  pid_t child;
  int master; /* -1: no terminal */
  bool interactive;
  int stop_signal;
  const sigset_t *mask;
};
int keep_oci_attach(const struct keep_oci_attach *a, int *exit_code, keep_error **err);
/* Attached waits (oci_wait.c): block the forwarded signals, then forward
 * them to `child` until it exits; returns its status as a shell would. */
void keep_oci_block_forwarded(sigset_t *mask, sigset_t *old);
int keep_oci_forward_and_wait(pid_t child, const sigset_t *mask);
/* Open the namespace config.json names by path for kind k (-1 and no error
 * when it names none). */
int keep_oci_ns_open(const struct keep_oci_spec *s, enum keep_oci_ns k, keep_error **err);
/* Start the container's init (oci_spawn.c): a child of the caller in the
 * namespaces `flags` creates and the ones config.json names by path; it
 * closes `close_in_init`, then runs init(arg).  nest_userns: a user
 * namespace to make the container's own in (a normal user's networks,
 * holder.h), or -1. */
pid_t keep_oci_spawn_init(const struct keep_oci_spec *s, unsigned long flags, int nest_userns,
                          int close_in_init, void (*init)(void *), void *arg, keep_error **err);
int keep_oci_kill(const char *root, const char *id, int sig, bool all, keep_error **err);
int keep_oci_delete(const char *root, const char *id, bool force, keep_error **err);
int keep_oci_pause(const char *root, const char *id, bool pause, keep_error **err);
/* The pids (host) of the container's processes. */
int keep_oci_pids(const char *root, const char *id, pid_t **pids, size_t *n, keep_error **err);

struct keep_oci_exec_opts {
  const char *root, *id;
  struct keep_oci_process *process; /* filled from --process or the config + CLI */
  const char *pid_file;
  const char *console_socket;
  bool detach;
  /* A container of keep run: what its config.json cannot say (NULL/false
   * for OCI): its filter, compiled as keep run compiled it, Landlock's
   * rules, and stdin closed unless -i. */
  struct keep_seccomp *seccomp;
  char **landlock_writable;
  bool landlock_root_writable;
  struct keep_landlock_rule *landlock_rules; /* landlock=RULES: these instead */
  size_t n_landlock_rules;
  bool stdin_null;
  bool via_workload; /* join through the init's child (keep's init is not dumpable) */
  int console_fd;    /* a connected socket for the pty master instead of console_socket; -1: none */
  pid_t *pid_out;    /* detached: the new process, as this process sees it */
};
/* exec: a new process in a running container, in all its namespaces, its
 * cgroup and under its seccomp filter and capability limits. */
int keep_oci_exec(const struct keep_oci_exec_opts *o, int *exit_code, keep_error **err);

/* Run the hooks of one kind with the state on stdin (runtime namespace). */
int keep_oci_run_hooks(const struct keep_oci_spec *s, enum keep_oci_hook_kind kind,
                       const struct keep_oci_state *st, keep_error **err);

/* Send a pty master to a console socket (SCM_RIGHTS), as containerd and
 * podman's conmon expect. */
int keep_console_send(int sock, int master, keep_error **err);
int keep_console_connect(const char *path, keep_error **err);
/* An AF_UNIX stream connection (`what` names the socket in errors), and
 * `text` sent on it with `fd` as SCM_RIGHTS on the first sendmsg. */
int keep_unix_connect(const char *path, const char *what, keep_error **err);
int keep_unix_send_fd(int sock, const char *text, int fd, const char *what, keep_error **err);
/* The fd that came with the first byte read from sock (close-on-exec), or
 * -1; the rest of the text stays unread. */
int keep_unix_recv_fd(int sock);
/* SCMP_ACT_NOTIFY (oci_seccomp_notify.c): send the listener `fd` of the
 * container process st->pid, with its state, to linux.seccomp.listenerPath. */
struct keep_seccomp;
int keep_oci_send_listener(const struct keep_seccomp *sc, const struct keep_oci_state *st, int fd,
                           keep_error **err);

#endif
