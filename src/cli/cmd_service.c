/* Docker's verbs for keep run's containers: stop, kill, rm, wait, start,
 * restart, and the monitor's own `_monitor-exit`.  No daemon: each verb
 * reads the container's state directory and acts on it (service.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "image_run.h"
#include "oci_state.h"
#include "service.h"
#include "state.h"
#include "util.h"

int keep_cli_ctr_open(const char *ref, char **base, struct keep_ctr *c, keep_error **err)
{
  *c = (struct keep_ctr){.dirfd = -1};
  if (*base == NULL && keep_state_base(base, err) < 0)
    return -1;
  char id[65];
  if (keep_ctr_find(*base, ref, id, err) < 0)
    return -1;
  return keep_ctr_open(*base, id, c, err);
}

/* Each of refs in turn; the first failure is reported, the rest still run
 * (as Docker does), and the status says whether any failed. */
typedef int (*ctr_action)(const char *base, struct keep_ctr *c, const void *arg, keep_error **err);
static int for_each_ref(char **refs, int n, ctr_action act, const void *arg, bool print_ref)
{
  cleanup_free char *base = NULL;
  int code = 0;
  for (int i = 0; i < n; i++) {
    keep_error *err = NULL;
    struct keep_ctr c;
    if (keep_cli_ctr_open(refs[i], &base, &c, &err) < 0 || act(base, &c, arg, &err) < 0) {
      keep_error_print(err);
      keep_error_free(&err);
      code = EXIT_KEEP_FAILED;
    } else if (print_ref) {
      printf("%s\n", refs[i]);
    }
    keep_ctr_free(&c);
  }
  return code;
}

static long long now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int stop_one(const char *base, struct keep_ctr *c, const void *arg, keep_error **err)
{
  int timeout = *(const int *) arg;
  if (!keep_owner_alive(base, c->id))
    return 0;
  if (timeout < 0)
    timeout = (int) json_integer_value(json_object_get(c->record, "stopTimeout"));
  int sig = (int) json_integer_value(json_object_get(c->record, "stopSignal"));
  /* The mark first: the monitor must know this exit was asked for, and a
   * restart under way must not happen. */
  cleanup_close int mark = openat(c->dirfd, "stopping", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (mark < 0)
    return keep_fail_errno(err, "mark `%s` stopping", c->dir);
  long long deadline = now_ms() + (long long) timeout * 1000;
  pid_t signalled = 0;
  /* Until its keep is gone: the stop signal to each init seen (a restart
   * may have begun before the mark), SIGKILL past the timeout. */
  while (keep_owner_alive(base, c->id)) {
    struct keep_ctr now;
    if (keep_ctr_open(base, c->id, &now, NULL) == 0 && now.status == KEEP_CTR_RUNNING) {
      bool late = now_ms() >= deadline;
      if (late || now.pid != signalled)
        keep_ctr_signal(&now, late ? SIGKILL : sig > 0 ? sig : SIGTERM, NULL);
      signalled = now.pid;
    }
    keep_ctr_free(&now);
    poll(NULL, 0, 20);
  }
  return 0;
}

/* The verbs' common shape: options, each given to take() (0: taken, -1:
 * bad, with its message printed), then at least one container.  Returns the
 * index of the first container, 0 after --help, -1 on bad arguments. */
struct verb {
  const char *name, *usage, *shortopts;
  const struct option *opts;
  int (*take)(int opt, const char *arg, void *ctx);
};

static int verb_args(const struct verb *v, int argc, char **argv, void *ctx)
{
  int o;
  optind = 0;
  while ((o = getopt_long(argc, argv, v->shortopts, v->opts, NULL)) != -1) {
    if (o == 'h') {
      printf("%s", v->usage);
      return 0;
    }
    if (o == '?' || v->take(o, optarg, ctx) < 0) {
      if (o == '?')
        fprintf(stderr, "keep %s: unknown option (see `keep %s --help`)\n", v->name, v->name);
      return -1;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "keep %s: name at least one container\n", v->name);
    return -1;
  }
  return optind;
}

static int run_verb(const struct verb *v, int argc, char **argv, ctr_action act, void *ctx)
{
  int first = verb_args(v, argc, argv, ctx);
  if (first <= 0)
    return first == 0 ? 0 : EXIT_KEEP_FAILED;
  return for_each_ref(argv + first, argc - first, act, ctx, true);
}

static int take_timeout(int opt, const char *s, void *ctx)
{
  int64_t n = 0;
  (void) opt;
  if (parse_int64(s, &n) < 0 || n < 0 || n > 86400) {
    fprintf(stderr, "keep: invalid --time `%s`: seconds from 0 to 86400\n", keep_q(s));
    return -1;
  }
  *(int *) ctx = (int) n;
  return 0;
}

static const struct option time_opts[] = {{"time", required_argument, NULL, 't'},
                                          {"timeout", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

int cmd_stop(int argc, char **argv)
{
  static const struct verb v = {
      "stop",
      "Usage: keep stop [-t SECONDS] CONTAINER...\n\nSend the container's stop signal (its StopSignal, else "
      "SIGTERM), then SIGKILL after the timeout (--stop-timeout, else 10 s).\n",
      "+t:", time_opts, take_timeout};
  int timeout = -1;
  return run_verb(&v, argc, argv, stop_one, &timeout);
}

static int kill_one(const char *base, struct keep_ctr *c, const void *arg, keep_error **err)
{
  (void) base;
  return keep_ctr_signal(c, *(const int *) arg, err);
}

static int take_signal(int opt, const char *s, void *ctx)
{
  (void) opt;
  if (keep_signal_parse(s, ctx) == 0)
    return 0;
  fprintf(stderr, "keep kill: invalid --signal `%s`: a signal name or number\n", keep_q(s));
  return -1;
}

int cmd_kill(int argc, char **argv)
{
  static const struct option opts[] = {
      {"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  static const struct verb v = {"kill",
                                "Usage: keep kill [-s SIGNAL] CONTAINER...\n\nSend SIGNAL (default SIGKILL) "
                                "to the container's first process.\n",
                                "+s:", opts, take_signal};
  int sig = SIGKILL;
  return run_verb(&v, argc, argv, kill_one, &sig);
}

/* The owner lock of a container no keep holds, or -1 when one does. */
static int take_owner(const struct keep_ctr *c)
{
  int fd = openat(c->dirfd, "owner", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  /* Whoever asks whether it is alive (ps, gc, a wait) holds a shared lock
   * for a moment: only a lock held for half a second is a keep's. */
  for (int tries = 0; fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0; tries++) {
    if (tries == 50) {
      close(fd);
      return -1;
    }
    poll(NULL, 0, 10);
  }
  return fd;
}

static int rm_one(const char *base, struct keep_ctr *c, const void *arg, keep_error **err)
{
  bool force = *(const bool *) arg;
  if (keep_owner_alive(base, c->id)) {
    if (!force)
      return keep_fail(err, EBUSY, "container `%.12s` is %s: stop it first, or use `keep rm -f`", c->id,
                       keep_ctr_status_name(c->status));
    int now = 0; /* SIGKILL at once, and no restart */
    if (stop_one(base, c, &now, err) < 0)
      return -1;
  }
  int lock = take_owner(c);
  if (lock < 0 && errno != ENOENT)
    return keep_fail(err, EBUSY, "container `%.12s` was started again meanwhile: stop it first", c->id);
  keep_service_end_cgroup(json_string_value(json_object_get(c->state, "cgroupPath")));
  const char *name = keep_ctr_str(c, "name");
  if (name)
    keep_name_release(base, name, c->id);
  keep_state_remove(base, c->id, lock);
  return 0;
}

static int take_force(int opt, const char *s, void *ctx)
{
  (void) opt, (void) s;
  *(bool *) ctx = true;
  return 0;
}

int cmd_rm(int argc, char **argv)
{
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  static const struct verb v = {"rm",
                                "Usage: keep rm [-f] CONTAINER...\n\nRemove stopped containers (with -f, "
                                "running ones are killed first): their state, log and cgroup.\n",
                                "+f", opts, take_force};
  bool force = false;
  return run_verb(&v, argc, argv, rm_one, &force);
}

static int wait_one(const char *base, struct keep_ctr *c, const void *arg, keep_error **err)
{
  (void) arg;
  keep_ctr_wait_gone(base, c->id, -1);
  struct keep_ctr now;
  if (keep_ctr_open(base, c->id, &now, err) < 0) {
    keep_ctr_free(&now);
    if (*err && (*err)->errnum == ENOENT) {
      keep_error_free(err);
      return keep_fail(err, ENOENT, "container `%.12s` was removed when it exited: its status is gone",
                       c->id);
    }
    return -1;
  }
  int code = (int) json_integer_value(json_object_get(now.exit, "exitCode"));
  bool known = now.exit != NULL;
  keep_ctr_free(&now);
  if (!known)
    return keep_fail(err, 0, "container `%.12s` died with its monitor: no exit status", c->id);
  printf("%d\n", code);
  return 0;
}

int cmd_wait(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    printf("Usage: keep wait CONTAINER...\n\nWait for each container to exit and print its exit code.\n");
    return argc < 2 ? EXIT_KEEP_FAILED : 0;
  }
  return for_each_ref(argv + 1, argc - 1, wait_one, NULL, false);
}

/* The container again, from the command line it was made with (its id,
 * name, record and log kept). */
static int start_again(const char *base, struct keep_ctr *c, int lock, bool by_user, keep_error **err)
{
  (void) base;
  json_t *args = json_object_get(c->record, "runArgs");
  if (!json_is_array(args) || json_array_size(args) == 0)
    return keep_fail(err, 0, "container `%.12s` has no record of how it was run: it cannot be started again",
                     c->id);
  size_t n = json_array_size(args);
  char **argv = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    argv[i] = (char *) (json_string_value(json_array_get(args, i)) ?: "");
  struct keep_config cfg;
  struct keep_image_hold hold = {0};
  bool help = false;
  keep_run_config_reuse_id(c->id);
  int r = keep_run_config((int) n, argv, &cfg, &hold, &help, err);
  free(argv);
  if (r == 0) {
    keep_service_end_cgroup(json_string_value(json_object_get(c->state, "cgroupPath")));
    if (by_user)
      unlinkat(c->dirfd, "stopping", 0);
    r = keep_service_detach(&cfg, NULL, lock, hold.fds, hold.n, err);
  }
  keep_config_free(&cfg);
  keep_image_hold_release(&hold);
  return r;
}

static int start_one(const char *base, struct keep_ctr *c, const void *arg, keep_error **err)
{
  (void) arg;
  if (c->status == KEEP_CTR_RUNNING)
    return 0;
  if (!json_is_true(json_object_get(c->record, "detached")))
    return keep_fail(err, 0, "container `%.12s` was run attached: only `keep run -d` containers restart",
                     c->id);
  cleanup_close int lock = take_owner(c);
  if (lock < 0)
    return keep_fail(err, EBUSY, "container `%.12s` is being started or stopped by another keep", c->id);
  return start_again(base, c, lock, true, err);
}

int cmd_service_start(int argc, char **argv)
{
  bool attach = argc > 1 && (strcmp(argv[1], "-a") == 0 || strcmp(argv[1], "--attach") == 0);
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || (attach && argc != 3)) {
    printf("Usage: keep start [-a] CONTAINER...\n\nStart stopped containers of `keep run -d` again (same id, "
           "name, settings and log).\n  -a, --attach   attach to it (one container), as `keep attach`\n");
    return argc < 2 || attach ? EXIT_KEEP_FAILED : 0;
  }
  if (!attach)
    return for_each_ref(argv + 1, argc - 1, start_one, NULL, true);
  int code = for_each_ref(argv + 2, 1, start_one, NULL, false);
  if (code != 0)
    return code;
  char *attach_argv[] = {(char *) "attach", argv[2], NULL};
  return cmd_attach(2, attach_argv);
}

static int restart_one(const char *base, struct keep_ctr *c, const void *arg, keep_error **err)
{
  if (stop_one(base, c, arg, err) < 0)
    return -1;
  struct keep_ctr now;
  int r = keep_ctr_open(base, c->id, &now, err);
  if (r == 0)
    r = start_one(base, &now, NULL, err);
  keep_ctr_free(&now);
  return r;
}

int cmd_restart(int argc, char **argv)
{
  static const struct verb v = {
      "restart", "Usage: keep restart [-t SECONDS] CONTAINER...\n\n`keep stop`, then `keep start`.\n",
      "+t:", time_opts, take_timeout};
  int timeout = -1;
  return run_verb(&v, argc, argv, restart_one, &timeout);
}

/* keep-monitor runs this when the init has exited:
 *   keep _monitor-exit --lock FD ID --exit-code N --log-dropped N */
/* The forwarders of -p (portfwd.h) are this process's children, and each
 * exits once the init it served has: wait for them (2 s at most), so that a
 * restart binds the same host ports again. */
static void reap_port_forwarders(void)
{
  for (int i = 0; i < 200; i++) {
    pid_t w = waitpid(-1, NULL, WNOHANG);
    if (w < 0 && errno == ECHILD)
      return;
    if (w == 0)
      poll(NULL, 0, 10);
  }
}

int cmd_monitor_exit(int argc, char **argv)
{
  static const struct option opts[] = {{"lock", required_argument, NULL, 'l'},
                                       {"exit-code", required_argument, NULL, 'c'},
                                       {"log-dropped", required_argument, NULL, 'd'},
                                       {NULL, 0, NULL, 0}};
  int64_t lock = -1, code = 125, dropped = 0;
  int o;
  optind = 1;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    int64_t *v = o == 'l' ? &lock : o == 'c' ? &code : o == 'd' ? &dropped : NULL;
    if (v == NULL || parse_int64(optarg, v) < 0) {
      fprintf(stderr, "keep _monitor-exit: keep-monitor runs this; it is not for use by hand\n");
      return EXIT_KEEP_FAILED;
    }
  }
  if (optind >= argc || !keep_state_id_valid(argv[optind]) || lock < 3) {
    fprintf(stderr, "keep _monitor-exit: keep-monitor runs this; it is not for use by hand\n");
    return EXIT_KEEP_FAILED;
  }
  const char *id = argv[optind];
  /* What the monitor passed on stays open for this process only, but the
   * owner lock. */
  for (int fd = 3; fd < 1024; fd++)
    if (fd != (int) lock)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  cleanup_free char *base = NULL;
  keep_error *err = NULL;
  if (keep_state_base(&base, &err) < 0)
    return keep_cli_fail(&err);
  struct keep_exit_info x = {.exit_code = (int) code, .log_dropped = (unsigned long long) dropped};
  int again = keep_service_exited(base, id, (int) lock, &x, &err);
  struct keep_ctr c;
  if (again < 0 || keep_ctr_open(base, id, &c, &err) < 0)
    return keep_cli_fail(&err);
  int ret = 0;
  if (again) {
    /* Docker's back-off: 100 ms, doubling with each restart, at most 5 s. */
    int n = (int) json_integer_value(json_object_get(c.exit, "restartCount"));
    int ms = 100 << (n > 6 ? 6 : n);
    poll(NULL, 0, ms > 5000 ? 5000 : ms);
    /* `keep stop` or `keep rm -f` during the back-off: no restart. */
    if (faccessat(c.dirfd, "stopping", F_OK, 0) == 0) {
      unlinkat(c.dirfd, "stopping", 0);
    } else if (reap_port_forwarders(), start_again(base, &c, (int) lock, false, &err) < 0) {
      cleanup_free char *msg = keep_error_format(err);
      keep_service_note_restart_error(base, id, msg);
      keep_error_free(&err);
      ret = EXIT_KEEP_FAILED;
    }
  } else if (json_is_true(json_object_get(c.record, "autoRemove"))) {
    const char *name = keep_ctr_str(&c, "name");
    if (name)
      keep_name_release(base, name, id);
    keep_state_remove(base, id, (int) lock);
  }
  keep_ctr_free(&c);
  return ret;
}

/* Options of start/kill/ps/exec (either form) that take a value. */
static bool takes_value(const char *a)
{
  static const char *const v[] = {"-e",
                                  "-u",
                                  "-w",
                                  "-s",
                                  "-p",
                                  "--env",
                                  "--user",
                                  "--cwd",
                                  "--workdir",
                                  "--signal",
                                  "--process",
                                  "--pid-file",
                                  "--console-socket",
                                  "--format",
                                  NULL};
  for (size_t i = 0; v[i]; i++)
    if (strcmp(a, v[i]) == 0)
      return true;
  return false;
}

bool keep_is_service_form(const char *cmd, int argc, char **argv)
{
  bool ps = strcmp(cmd, "ps") == 0;
  if (keep_global.root ||
      !(ps || strcmp(cmd, "start") == 0 || strcmp(cmd, "kill") == 0 || strcmp(cmd, "exec") == 0))
    return false;
  const char *first = NULL;
  for (int i = 1; i < argc && !first; i++) {
    if (strcmp(argv[i], "--") == 0)
      first = i + 1 < argc ? argv[i + 1] : NULL;
    else if (argv[i][0] == '-' && argv[i][1])
      i += takes_value(argv[i]) ? 1 : 0;
    else
      first = argv[i];
  }
  /* `ps ID` lists an OCI container's processes; `ps` alone lists containers. */
  if (ps || first == NULL)
    return ps && first == NULL;
  /* An OCI container of that id wins: containerd's calls never change meaning. */
  cleanup_free char *oci_root = keep_oci_default_root();
  cleanup_free char *oci_dir = xasprintf("%s/%s", oci_root, first);
  if (access(oci_dir, F_OK) == 0)
    return false;
  cleanup_free char *base = NULL;
  char id[65];
  return keep_state_base(&base, NULL) == 0 && keep_ctr_find(base, first, id, NULL) == 0;
}
