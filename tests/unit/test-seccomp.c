/* The seccomp filter: the built-in default, JSON profiles, real filters in
 * forked children. */
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "seccomp_internal.h"
#include "tap.h"
#include "util.h"

static struct keep_seccomp *filter;

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
  fails |= check(syscall(435, NULL, 0), ENOSYS) << 4;            /* clone3 */
  fails |= check(syscall(999), ENOSYS) << 5;                      /* unknown */
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
    tap_ok(r == 0 && (keep_seccomp_listener_path(f) != NULL) == notify, "%s: %s", name, err ? err->msg : "accepted");
  keep_error_free(&err);
  keep_seccomp_free(f);
  json_decref(j);
}

int main(void)
{
  cleanup_error keep_error *err = NULL;
  double t0 = now();
  tap_ok(keep_seccomp_prepare(NULL, 0, NULL, &filter, &err) == 0, "default filter prepared");
  double t1 = now();
  TAP_EQ_INT(run_child(child_default), 0, "default filter: allowed works, denied EPERM, unknown ENOSYS, vsock denied");

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

  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [", "line", "malformed JSON names the position");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"NOPE\"}]}",
                       "syscalls[0]: unknown action `NOPE`", "unknown action names the field");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_WAT\"}]}]}",
                       "args[0].op: unknown operator", "bad operator names the field");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY", "notify refused clearly");
  expect_profile_error("[1,2]", "expected a JSON object", "not an object");
  expect_profile_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                       "SCMP_ACT_NOTIFY is supported in OCI mode only", "keep run refuses notify rules");

  /* OCI profiles: notify rules need listenerPath, and may not name a call
   * keep's init makes under the listener filter. */
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/a\", \"listenerMetadata\": \"m\", "
                    "\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}", NULL, "notify with listenerPath");
  expect_oci_notify("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
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

  /* includes.caps: a rule only for a capability we do not keep is skipped. */
  cleanup_free char *capped = write_tmp("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                                        "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}");
  struct sc_profile cp;
  tap_ok(sc_parse_json(capped, 0, &cp, NULL) == 0 && cp.n_rules == 0, "includes.caps skipped without the cap");
  sc_profile_free(&cp);
  tap_ok(sc_parse_json(capped, 1ULL << 21, &cp, NULL) == 0 && cp.n_rules == 1, "includes.caps applied with the cap");
  sc_profile_free(&cp);
  unlink(capped);
  return tap_done();
}
