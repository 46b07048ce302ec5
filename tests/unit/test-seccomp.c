/* The seccomp filter: the built-in default, JSON profiles, real filters in
 * forked children. */
#include <errno.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libseccomp.h"
#include "seccomp_filter.h"
#include "seccomp_internal.h"
#include "tap.h"
#include "util.h"

static struct keep_seccomp *filter;
static keep_error *err_global;

/* 0 when the syscall failed with want_errno (or succeeded with want 0). */
static int check(long r, int want)
{
  if (want == 0)
    return r >= 0 ? 0 : 1;
  return (r < 0 && errno == want) ? 0 : 1;
}

static int child_default(void)
{
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (keep_seccomp_install(filter, NULL) < 0)
    return 100;
  int fails = 0;
  char c = 'x';
  fails |= check(syscall(SYS_getpid), 0) << 0;
  fails |= check(mount("none", "/", "tmpfs", 0, NULL), EPERM) << 1;
  fails |= check(unshare(CLONE_NEWUSER), EPERM) << 2;
  fails |= check(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM) << 3;
  fails |= check(syscall(435, NULL, 0), ENOSYS) << 4; /* clone3 */
  fails |= check(syscall(999), ENOSYS) << 5;          /* unknown */
  fails |= check(syscall(SYS_keyctl, 0, -3, 0), EPERM) << 7;
  fails |= check(syscall(SYS_ptrace, 16, 1, 0, 0), EPERM) << 8;
  fails |= check(syscall(SYS_socket, 40 /* AF_VSOCK */, 1, 0), EPERM) << 9;
  (void) c;
  return fails;
}

static int run_child(int (*fn)(void))
{
  pid_t p = fork();
  if (p == 0)
    _exit(fn());
  int st = 0;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *write_tmp(const char *text)
{
  char *path = xstrdup("/tmp/keep-unit-sc.XXXXXX");
  int fd = mkstemp(path);
  write_all(fd, text, strlen(text));
  close(fd);
  return path;
}

static void expect_profile_error(const char *json, const char *want, const char *name)
{
  cleanup_free char *p = write_tmp(json);
  struct keep_seccomp *f = NULL;
  keep_error *err = NULL;
  int r = keep_seccomp_prepare(p, 0, NULL, &f, &err);
  tap_ok(r < 0 && err && strstr(err->msg, want), "%s: %s", name, err ? err->msg : "accepted");
  keep_error_free(&err);
  keep_seccomp_free(f);
  unlink(p);
}

/* want == NULL: accepted, with a listener exactly when it has notify rules. */
static void expect_oci_notify(const char *text, const char *want, const char *name)
{
  json_t *j = json_loads(text, 0, NULL);
  struct keep_seccomp *f = NULL;
  keep_error *err = NULL;
  int r = keep_seccomp_prepare_json(j, "linux.seccomp", &f, &err);
  bool notify = strstr(text, "\"SCMP_ACT_NOTIFY\"}") != NULL;
  if (want)
    tap_ok(r < 0 && err && strstr(err->msg, want), "%s: %s", name, err ? err->msg : "accepted");
  else
    tap_ok(r == 0 && (keep_seccomp_listener_path(f) != NULL) == notify, "%s: %s", name,
           err ? err->msg : "accepted");
  keep_error_free(&err);
  keep_seccomp_free(f);
  json_decref(j);
}

/* A profile allowing everything but `rule` (JSON text of one syscalls[] entry). */
static void expect_rule_error(const char *rule, const char *want, const char *name)
{
  cleanup_free char *text = xasprintf("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                                      "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\"}, %s]}",
                                      rule);
  expect_profile_error(text, want, name);
}

static void expect_profile_ok(const char *json, const char *name)
{
  cleanup_free char *p = write_tmp(json);
  struct keep_seccomp *f = NULL;
  keep_error *err = NULL;
  int r = keep_seccomp_prepare(p, 0, NULL, &f, &err);
  tap_ok(r == 0, "%s: %s", name, err ? err->msg : "accepted");
  keep_error_free(&err);
  keep_seccomp_free(f);
  unlink(p);
}

static int child_errnos(void)
{
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (keep_seccomp_install(filter, NULL) < 0)
    return 100;
  char buf[256];
  return check(syscall(SYS_getcwd, buf, sizeof(buf)), 4095) | check(syscall(SYS_getppid), EACCES) << 1 |
         check(syscall(SYS_getpid), 0) << 2;
}

/* A profile of `rules` rules, each naming `names` calls (cycling through
 * `pool`), with a comparison of its own when `args`. */
static char *big_profile(size_t rules, size_t names, const char *const *pool, size_t n_pool, bool args)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  fprintf(f, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [");
  for (size_t r = 0; r < rules; r++) {
    fprintf(f, "%s{\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13, ", r ? ", " : "");
    if (args)
      fprintf(f, "\"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": %zu}], ", r);
    fprintf(f, "\"names\": [");
    for (size_t n = 0; n < names; n++)
      fprintf(f, "%s\"%s\"", n ? ", " : "", pool[(r * names + n) % n_pool]);
    fprintf(f, "]}");
  }
  fprintf(f, "]}");
  fclose(f);
  return buf;
}

static double prepare_seconds(const char *json, bool *ok, char **msg)
{
  cleanup_free char *p = write_tmp(json);
  struct keep_seccomp *f = NULL;
  keep_error *err = NULL;
  double t0 = now();
  *ok = keep_seccomp_prepare(p, 0, NULL, &f, &err) == 0;
  double t = now() - t0;
  if (msg)
    *msg = xstrdup(err ? err->msg : "accepted");
  keep_error_free(&err);
  keep_seccomp_free(f);
  unlink(p);
  return t;
}

static const char *const getcwd_only[] = {"getcwd"};

static int child_big(void)
{
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (keep_seccomp_install(filter, NULL) < 0)
    return 100;
  char buf[256];
  return check(syscall(SYS_getcwd, buf, sizeof(buf)), EACCES) | check(syscall(SYS_getppid), EACCES) << 1 |
         check(syscall(SYS_getpid), 0) << 2;
}

/* Work on a profile is n log n in its names, and every list has a bound,
 * refused by name.  A rule naming one call 100,000 times took minutes:
 * libseccomp compares each rule it is given with all it holds. */
static void size_checks(void)
{
  static const char *const calls[] = {"getcwd", "getppid", "nosuchcall"};
  bool ok;
  char *msg = NULL;
  cleanup_free char *huge = big_profile(1, 100000, getcwd_only, 1, false);
  double t = prepare_seconds(huge, &ok, &msg);
  tap_ok(!ok && strstr(msg, "syscalls[0].names: 100000 names, at most 1024 in a rule") && t < 1,
         "a rule of 100,000 names refused in %.3f s: %s", t, msg);
  free(msg);
  cleanup_free char *rules = big_profile(1025, 1, getcwd_only, 1, false);
  prepare_seconds(rules, &ok, &msg);
  tap_ok(!ok && strstr(msg, "syscalls: 1025 rules, at most 1024"), "1025 rules refused: %s", msg);
  free(msg);
  cleanup_free char *argn = big_profile(3, 200, calls, ARRAY_SIZE(calls), true);
  prepare_seconds(argn, &ok, &msg);
  tap_ok(!ok && strstr(msg, "syscalls[2]: more than 512 names in rules with args in the profile"),
         "more than 512 names under args refused: %s", msg);
  free(msg);
  expect_rule_error("{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
                    "\"op\": \"SCMP_CMP_EQ\"}, "
                    "{\"index\": 1, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 2, \"op\": \"SCMP_CMP_EQ\"}, "
                    "{\"index\": 3, \"op\": \"SCMP_CMP_EQ\"}, "
                    "{\"index\": 4, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 5, \"op\": \"SCMP_CMP_EQ\"}, "
                    "{\"index\": 5, \"op\": \"SCMP_CMP_EQ\"}]}",
                    "syscalls[1].args: 7 comparisons, at most 6 (one per argument)",
                    "more than 6 args refused");

  /* At the bounds: 64 rules of 1024 names, the same few calls again and
   * again; it compiles at once, and denies what it names. */
  cleanup_free char *full = big_profile(64, 1024, calls, ARRAY_SIZE(calls), false);
  cleanup_free char *path = write_tmp(full);
  keep_error_free(&err_global);
  filter = NULL;
  double t0 = now();
  int r = keep_seccomp_prepare(path, 0, NULL, &filter, &err_global);
  t = now() - t0;
  tap_ok(r == 0 && t < 1, "64 rules of 1024 names (65,536 in all) prepared in %.3f s: %s", t,
         err_global ? err_global->msg : "ok");
  if (r == 0)
    TAP_EQ_INT(run_child(child_big), 0, "that filter denies what it names with its errno");
  keep_seccomp_free(filter);
  filter = NULL;
  unlink(path);
  /* Linear: twice the names, about twice the time. */
  for (size_t rules_n = 16; rules_n <= 64; rules_n *= 2) {
    cleanup_free char *j = big_profile(rules_n, 1024, calls, ARRAY_SIZE(calls), false);
    printf("# %zu names: prepared in %.1f ms\n", rules_n * 1024, prepare_seconds(j, &ok, NULL) * 1e3);
  }
  /* The slowest libseccomp gets within the bounds: 512 names under args,
   * spread over every call, each with a comparison of its own. */
  char *all[512];
  size_t n_all = 0;
  for (int nr = 0; nr < 1024 && n_all < ARRAY_SIZE(all); nr++) {
    char *name = keep_libseccomp()->resolve_num_arch(SCMP_ARCH_X86_64, nr);
    if (name)
      all[n_all++] = name;
  }
  cleanup_free char *cond = big_profile(512, 1, (const char *const *) all, n_all, true);
  t = prepare_seconds(cond, &ok, &msg);
  tap_ok(ok && t < 5, "512 rules with args, on %zu different calls, prepared in %.3f s: %s", n_all, t, msg);
  free(msg);
  for (size_t i = 0; i < n_all; i++)
    free(all[i]);
}

/* Rules libseccomp refuses: a clear error, and (in the ASan build, where
 * LeakSanitizer checks at exit) nothing of libseccomp's or keep's left
 * allocated on the way out. */
static void rejected_rule_checks(void)
{
  static const char conflict[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", %s\"syscalls\": [{\"names\": "
                                 "[\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\"}, "
                                 "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_%s\", \"args\": "
                                 "[{\"index\": 1, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}]}, "
                                 "{\"names\": [\"getcwd\", \"mkdir\"], \"action\": \"SCMP_ACT_KILL\", "
                                 "\"args\": [{\"index\": 1, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}]}]}";
  cleanup_free char *file = xasprintf(conflict, "", "ERRNO");
  expect_profile_error(file, "the rule for `mkdir` in syscalls[2] is refused by libseccomp",
                       "two actions for one call and comparison: refused, naming the rule");
  /* The same with errno 4095's stand-in, and in OCI mode with a listener
   * filter compiled before the main one is refused. */
  cleanup_free char *top = xasprintf(conflict, "", "ERRNO\", \"errnoRet\": 4095, \"x\": \"");
  expect_profile_error(top, "refused by libseccomp", "refused rule next to errno 4095");
  /* Notify rules become allow rules in the main filter: allow and kill. */
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"listenerPath\": \"/a\", \"syscalls\": ["
                    "{\"names\": [\"execve\"], \"action\": \"SCMP_ACT_ALLOW\"}, "
                    "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\", \"args\": [{\"index\": 1, "
                    "\"op\": \"SCMP_CMP_EQ\", \"value\": 1}]}, "
                    "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_KILL\", \"args\": [{\"index\": 1, "
                    "\"op\": \"SCMP_CMP_EQ\", \"value\": 1}]}]}",
                    "the rule for `mkdir` in syscalls[2] is refused by libseccomp",
                    "OCI: refused rule after the listener filter was built");
}

/* The BPF runner that checks profiles gives the kernel's answers. */
static void bpf_run_checks(void)
{
  struct sc_profile p;
  sc_default_profile(0, &p);
  unsigned char *bpf = NULL;
  size_t len = 0;
  tap_ok(sc_compile(&p, &bpf, &len, NULL) == 0, "default profile compiled for the BPF runner");
  sc_profile_free(&p);
  static const struct {
    uint32_t arch;
    int nr;
    uint64_t arg0;
    uint32_t want;
    const char *name;
  } cases[] = {
      {AUDIT_ARCH_X86_64, SYS_getpid, 0, SECCOMP_RET_ALLOW, "x86_64 getpid: allowed"},
      {AUDIT_ARCH_X86_64, SYS_execve, 0, SECCOMP_RET_ALLOW, "x86_64 execve: allowed"},
      {AUDIT_ARCH_X86_64, SYS_mount, 0, SECCOMP_RET_ERRNO | EPERM, "x86_64 mount: EPERM"},
      {AUDIT_ARCH_X86_64, 999, 0, SECCOMP_RET_ERRNO | ENOSYS, "x86_64 unknown call: ENOSYS"},
      {AUDIT_ARCH_X86_64, 435, 0, SECCOMP_RET_ERRNO | ENOSYS, "x86_64 clone3: ENOSYS"},
      {AUDIT_ARCH_X86_64, SYS_socket, 40 /* AF_VSOCK */, SECCOMP_RET_ERRNO | EPERM,
       "x86_64 socket(AF_VSOCK): EPERM"},
      {AUDIT_ARCH_X86_64, SYS_socket, 2 /* AF_INET */, SECCOMP_RET_ALLOW, "x86_64 socket(AF_INET): allowed"},
      {AUDIT_ARCH_X86_64, 0x40000000 | 39, 0, SECCOMP_RET_ALLOW, "x32 getpid: allowed"},
      {AUDIT_ARCH_I386, 20, 0, SECCOMP_RET_ALLOW, "i386 getpid: allowed"},
      {AUDIT_ARCH_I386, 21, 0, SECCOMP_RET_ERRNO | EPERM, "i386 mount: EPERM"},
      {AUDIT_ARCH_AARCH64, 172, 0, SECCOMP_RET_KILL_PROCESS, "another architecture: killed"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    struct seccomp_data d = {.nr = cases[i].nr, .arch = cases[i].arch, .args = {cases[i].arg0}};
    uint32_t ret = 0xdead;
    int r = sc_bpf_run((const struct sock_filter *) (void *) bpf, len / sizeof(struct sock_filter), &d, &ret);
    tap_ok(r == 0 && ret == cases[i].want, "BPF runner: %s (got %#x)", cases[i].name, ret);
  }
  free(bpf);
  struct sock_filter no_ret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
  struct sock_filter bad_load[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, 0)};
  struct seccomp_data d = {0};
  uint32_t ret;
  tap_ok(sc_bpf_run(no_ret, 1, &d, &ret) < 0 && sc_bpf_run(bad_load, 2, &d, &ret) < 0,
         "BPF runner: programs the kernel refuses are not run");
}

/* A profile that denies execve could never start a process: keep loads
 * the filter and then execs, and such a profile used to end in a silent
 * SIGSEGV or SIGSYS (write and exit_group denied as well). */
static void exec_checks(void)
{
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\"}",
                       "execve is denied (SCMP_ACT_ERRNO, errno 1)", "a deny-all profile is refused");
  expect_profile_error(
      "{\"defaultAction\": \"SCMP_ACT_KILL\", \"syscalls\": [{\"names\": [\"read\", \"write\", "
      "\"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
      "execve is denied (SCMP_ACT_KILL)", "a kill-all profile with no execve is refused");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"execve\"], "
                       "\"action\": \"SCMP_ACT_KILL_PROCESS\"}]}",
                       "execve is denied (SCMP_ACT_KILL_PROCESS)", "a profile killing on execve is refused");
  expect_profile_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"execve\"], "
                    "\"action\": \"SCMP_ACT_ALLOW\"}]}",
                    "a profile allowing execve alone is taken");
  expect_profile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"execve\"], "
      "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 2, \"op\": \"SCMP_CMP_NE\", \"value\": 0}]}]}",
      "execve allowed depending on its arguments: taken (they are not known before)");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\"}",
                    "execve is denied (SCMP_ACT_KILL_PROCESS)",
                    "OCI linux.seccomp: a deny-all profile is refused");
}

/* keep_seccomp_prepare on `path` in a child, so a loader that blocks is
 * reported (and killed) instead of hanging the test: 0 when it failed within
 * 5 s with `want` in its message. */
static void expect_load_error(const char *path, const char *want, const char *name)
{
  int pfd[2];
  if (pipe(pfd) < 0) {
    tap_ok(false, "%s: pipe", name);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    struct keep_seccomp *f = NULL;
    keep_error *err = NULL;
    int r = keep_seccomp_prepare(path, 0, NULL, &f, &err);
    const char *msg = r < 0 && err ? err->msg : "accepted";
    write_all(pfd[1], msg, strlen(msg));
    _exit(r < 0 ? 0 : 1);
  }
  close(pfd[1]);
  int st = 0;
  bool hung = true;
  for (int i = 0; i < 500; i++) {
    if (waitpid(pid, &st, WNOHANG) == pid) {
      hung = false;
      break;
    }
    usleep(10000);
  }
  if (hung) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  char msg[512] = "";
  ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
  msg[n > 0 ? n : 0] = '\0';
  close(pfd[0]);
  tap_ok(!hung && strstr(msg, want) != NULL, "%s: %s", name, hung ? "still blocked after 5 s" : msg);
}

/* The profile file is opened without blocking, and only a regular file of
 * at most 1 MiB is read: a FIFO used to block keep forever. */
static void loader_checks(void)
{
  char dir[] = "/tmp/keep-unit-scdir.XXXXXX";
  if (mkdtemp(dir) == NULL) {
    tap_ok(false, "mkdtemp");
    return;
  }
  cleanup_free char *fifo = xasprintf("%s/fifo.json", dir);
  mkfifo(fifo, 0600);
  cleanup_free char *want = xasprintf("seccomp profile: `%s` is a FIFO, not a regular file", fifo);
  expect_load_error(fifo, want, "a FIFO is refused at once, not waited on");
  expect_load_error(dir, "is a directory, not a regular file", "a directory is refused");
  expect_load_error("/dev/zero", "is a character device, not a regular file", "a device is refused");
  cleanup_free char *big = xasprintf("%s/big.json", dir);
  FILE *f = fopen(big, "w");
  fprintf(f, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"%*s}", 1 << 20, "");
  fclose(f);
  expect_load_error(big, "is larger than 1048576 bytes", "a profile over 1 MiB is refused");
  cleanup_free char *missing = xasprintf("%s/none.json", dir);
  expect_load_error(missing, "seccomp profile: open `", "a missing profile names the path");
  unlink(fifo);
  unlink(big);
  rmdir(dir);
}

/* errnoRet/defaultErrnoRet: a JSON integer 1-4095, or the profile is
 * refused; 65536 or 2^40 used to become errno 0 (the call "succeeded"
 * without running), -1 a failure of seccomp_init. */
static void errno_checks(void)
{
  static const char *const bad_errnos[] = {"65536", "1099511627776", "4294967295", "-1", "0", "4096"};
  for (size_t i = 0; i < ARRAY_SIZE(bad_errnos); i++) {
    cleanup_free char *rule = xasprintf(
        "{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %s}", bad_errnos[i]);
    cleanup_free char *want = xasprintf("syscalls[1].errnoRet: %s is not an errno (1-4095)", bad_errnos[i]);
    cleanup_free char *name = xasprintf("errnoRet %s refused", bad_errnos[i]);
    expect_rule_error(rule, want, name);
    cleanup_free char *prof =
        xasprintf("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": %s, \"syscalls\": "
                  "[{\"names\": [\"execve\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                  bad_errnos[i]);
    cleanup_free char *want2 = xasprintf("defaultErrnoRet: %s is not an errno (1-4095)", bad_errnos[i]);
    cleanup_free char *name2 = xasprintf("defaultErrnoRet %s refused", bad_errnos[i]);
    expect_profile_error(prof, want2, name2);
  }
  /* The whole message: the file, the field, the value. */
  cleanup_free char *p =
      write_tmp("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": [\"getpid\"], "
                "\"action\": \"SCMP_ACT_ERRNO\"}, "
                "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\"}, "
                "{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 65536}]}");
  struct keep_seccomp *f = NULL;
  cleanup_error keep_error *err = NULL;
  cleanup_free char *want =
      xasprintf("seccomp profile `%s`: syscalls[3].errnoRet: 65536 is not an errno (1-4095)", p);
  tap_ok(keep_seccomp_prepare(p, 0, NULL, &f, &err) < 0 && err && strcmp(err->msg, want) == 0,
         "errnoRet out of range: one message naming file, field and value: %s", err ? err->msg : "accepted");
  keep_seccomp_free(f);
  unlink(p);
  expect_rule_error("{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": \"13\"}",
                    "syscalls[1].errnoRet: expected an integer, got a string",
                    "errnoRet as a string refused");
  expect_rule_error("{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13.5}",
                    "syscalls[1].errnoRet: expected an integer, got a real number",
                    "errnoRet as a real number refused");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": \"1\"}",
                       "defaultErrnoRet: expected an integer, got a string",
                       "defaultErrnoRet as a string refused");
  expect_rule_error("{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 65536}",
                    "syscalls[1].errnoRet: 65536 is not a tracer message (0-65535)",
                    "SCMP_ACT_TRACE: errnoRet in 16 bits");
  expect_profile_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getcwd\"], "
                    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 4095}, {\"names\": [\"getppid\"], "
                    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}",
                    "errnoRet 1 and 4095 accepted");
  /* 4095 is the kernel's highest errno, one libseccomp does not take. */
  cleanup_free char *top =
      write_tmp("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getcwd\"], "
                "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 4095}, {\"names\": [\"getppid\"], "
                "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}]}");
  filter = NULL;
  keep_error_free(&err);
  tap_ok(keep_seccomp_prepare(top, 0, NULL, &filter, &err) == 0, "errnoRet 4095 compiles: %s",
         err ? err->msg : "yes");
  if (filter)
    TAP_EQ_INT(run_child(child_errnos), 0, "errnoRet 4095 and 13 are what the calls fail with");
  keep_seccomp_free(filter);
  filter = NULL;
  unlink(top);
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getcwd\"], "
                    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 65536}]}",
                    "seccomp profile `linux.seccomp`: syscalls[0].errnoRet: 65536 is not an errno (1-4095)",
                    "OCI linux.seccomp: errnoRet range-checked too");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1099511627776}",
                    "defaultErrnoRet: 1099511627776 is not an errno (1-4095)",
                    "OCI linux.seccomp: defaultErrnoRet range-checked too");
}

/* Every field of the wrong JSON type, or a number out of its range, is
 * refused naming the field. */
static void type_checks(void)
{
  static const struct {
    const char *rule, *want;
  } rules[] = {
      {"{\"names\": \"getcwd\", \"action\": \"SCMP_ACT_ERRNO\"}",
       "syscalls[1].names: expected an array, got a string"},
      {"{\"names\": [5], \"action\": \"SCMP_ACT_ERRNO\"}",
       "syscalls[1].names[0]: expected a string, got an integer"},
      {"{\"names\": [\"\"], \"action\": \"SCMP_ACT_ERRNO\"}",
       "syscalls[1].names[0]: expected a system call name, got an empty string"},
      {"{\"name\": 5, \"action\": \"SCMP_ACT_ERRNO\"}",
       "syscalls[1].name: expected a string, got an integer"},
      {"{\"names\": [\"getcwd\"], \"action\": 1}", "syscalls[1].action: expected a string, got an integer"},
      {"{\"names\": [\"getcwd\"]}", "syscalls[1].action: expected a string, got nothing"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": {}}",
       "syscalls[1].args: expected an array, got an object"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [5]}",
       "syscalls[1].args[0]: expected an object, got an integer"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": \"0\", \"op\": "
       "\"SCMP_CMP_EQ\"}]}",
       "syscalls[1].args[0].index: expected an integer, got a string"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"op\": "
       "\"SCMP_CMP_EQ\"}]}",
       "syscalls[1].args[0].index: 6 is not an argument index (0-5)"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": 4}]}",
       "syscalls[1].args[0].op: expected a string, got an integer"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": "
       "\"SCMP_CMP_EQ\", \"value\": -1}]}",
       "syscalls[1].args[0].value: -1 is not an unsigned 64-bit integer"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": "
       "\"SCMP_CMP_EQ\", \"value\": \"1\"}]}",
       "syscalls[1].args[0].value: expected an integer, got a string"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": "
       "\"SCMP_CMP_MASKED_EQ\", \"value\": 1, \"valueTwo\": 0.5}]}",
       "syscalls[1].args[0].valueTwo: expected an integer, got a real number"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": "
       "\"SCMP_CMP_EQ\", \"value\": 1}, "
       "{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 2}]}",
       "syscalls[1].args[1].index: argument 0 is compared already"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": []}",
       "syscalls[1].includes: expected an object, got an array"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": "
       "\"CAP_SYS_ADMIN\"}}",
       "syscalls[1].includes.caps: expected an array, got a string"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": [21]}}",
       "syscalls[1].includes.caps[0]: expected a string, got an integer"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"arches\": \"amd64\"}}",
       "syscalls[1].excludes.arches: expected an array, got a string"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"arches\": [\"amd46\"]}}",
       "syscalls[1].includes.arches[0]: unknown architecture `amd46`"},
      {"{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": 4}}",
       "syscalls[1].includes.minKernel: expected a string, got an integer"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
    expect_rule_error(rules[i].rule, rules[i].want, rules[i].want);
  static const struct {
    const char *profile, *want;
  } profiles[] = {
      {"{\"defaultAction\": 1}", "defaultAction: expected a string, got an integer"},
      {"{\"syscalls\": []}", "defaultAction: expected a string, got nothing"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
       "syscalls: expected an array, got an object"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [5]}",
       "syscalls[0]: expected an object, got an integer"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": \"SECCOMP_FILTER_FLAG_LOG\"}",
       "flags: expected an array, got a string"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [1]}",
       "flags[0]: expected a string, got an integer"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": \"SCMP_ARCH_X86_64\"}",
       "architectures: expected an array, got a string"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
       "\"SCMP_ARCH_NOPE\"]}",
       "architectures[1]: unknown architecture `SCMP_ARCH_NOPE`"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", "
       "\"subArchitectures\": [\"SCMP_ARCH_X68\"]}]}",
       "archMap[0].subArchitectures[0]: unknown architecture `SCMP_ARCH_X68`"},
      {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"architecture\": 5}]}",
       "archMap[0].architecture: expected a string, got an integer"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
    expect_profile_error(profiles[i].profile, profiles[i].want, profiles[i].want);
  /* What Docker's and Podman's profiles use is accepted. */
  expect_profile_ok(
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"archMap\": ["
      "{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\", "
      "\"SCMP_ARCH_X32\"]}, "
      "{\"architecture\": \"SCMP_ARCH_LOONGARCH64\", \"subArchitectures\": []}], "
      "\"architectures\": [\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\"], \"syscalls\": ["
      "{\"names\": [\"execve\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"x\", "
      "\"includes\": {\"minKernel\": \"4.8\"}, \"excludes\": {}}, "
      "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": "
      "2114060288, "
      "\"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}], \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], "
      "\"arches\": [\"s390\", \"s390x\"]}}, "
      "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
      "\"value\": 9223372036854775807, \"op\": \"SCMP_CMP_EQ\"}], \"includes\": {\"arches\": [\"amd64\", "
      "\"x32\", \"x86\"]}}, "
      "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}",
      "a Docker-style profile (archMap, arches, minKernel, comment) accepted");
}

int main(void)
{
  cleanup_error keep_error *err = NULL;
  double t0 = now();
  tap_ok(keep_seccomp_prepare(NULL, 0, NULL, &filter, &err) == 0, "default filter prepared");
  double t1 = now();
  TAP_EQ_INT(run_child(child_default), 0,
             "default filter: allowed works, denied EPERM, unknown ENOSYS, vsock denied");

  struct sc_profile p;
  sc_default_profile(0, &p);
  unsigned char *bpf = NULL;
  size_t len = 0;
  double t2 = now();
  tap_ok(sc_compile(&p, &bpf, &len, &err) == 0, "default profile compiles at run time too");
  double t3 = now();
  printf("# built-in default: %.1f us to prepare; compiling it with libseccomp: %.1f ms (%zu instructions)\n",
         (t1 - t0) * 1e6, (t3 - t2) * 1e3, len / 8);
  free(bpf);
  sc_profile_free(&p);
  keep_seccomp_free(filter);

  /* The printed default round-trips through the JSON parser. */
  char *buf = NULL;
  size_t blen = 0;
  FILE *mf = open_memstream(&buf, &blen);
  keep_seccomp_print_default(mf, NULL);
  fclose(mf);
  cleanup_free char *path = write_tmp(buf);
  free(buf);
  filter = NULL;
  tap_ok(keep_seccomp_prepare(path, 0, NULL, &filter, &err) == 0, "printed default profile parses back");
  TAP_EQ_INT(run_child(child_default), 0, "round-tripped profile behaves the same");
  keep_seccomp_free(filter);
  unlink(path);

  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [", "line",
                       "malformed JSON names the position");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], "
                       "\"action\": \"NOPE\"}]}",
                       "syscalls[0].action: unknown action `NOPE`", "unknown action names the field");
  expect_profile_error(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_WAT\"}]}]}",
      "args[0].op: unknown operator", "bad operator names the field");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY",
                       "notify refused clearly");
  expect_profile_error("[1,2]", "expected a JSON object", "not an object");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                       "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                       "SCMP_ACT_NOTIFY is supported in OCI mode only", "keep run refuses notify rules");

  /* OCI profiles: notify rules need listenerPath, and may not name a call
   * keep's init makes under the listener filter. */
  expect_oci_notify(
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a\", \"listenerMetadata\": \"m\", "
      "\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
      NULL, "notify with listenerPath");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                    "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                    "SCMP_ACT_NOTIFY needs listenerPath", "notify without listenerPath");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"m\"}",
                    "listenerMetadata is set without listenerPath", "listenerMetadata without listenerPath");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a\"}", NULL,
                    "listenerPath without notify rules is ignored");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a\", \"syscalls\": "
                    "[{\"names\": [\"mkdir\", \"setresuid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                    "SCMP_ACT_NOTIFY on `setresuid` is refused", "notify on a call of keep's init");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/a\"}",
                    "cannot be the default action", "notify as the default action");

  errno_checks();
  type_checks();
  loader_checks();
  size_checks();
  rejected_rule_checks();
  bpf_run_checks();
  exec_checks();
  keep_error_free(&err_global);

  /* includes.caps: a rule only for a capability we do not keep is skipped. */
  cleanup_free char *capped = write_tmp("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                                        "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                        "\"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}");
  struct sc_profile cp;
  tap_ok(sc_parse_json(capped, 0, &cp, NULL) == 0 && cp.n_rules == 0,
         "includes.caps skipped without the cap");
  sc_profile_free(&cp);
  tap_ok(sc_parse_json(capped, 1ULL << 21, &cp, NULL) == 0 && cp.n_rules == 1,
         "includes.caps applied with the cap");
  sc_profile_free(&cp);
  unlink(capped);
  return tap_done();
}
