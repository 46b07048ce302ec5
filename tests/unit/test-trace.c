/* keep trace's learned profile: sets, merging, the rules they make, and
 * that the rules compile to a filter that allows exactly what was seen. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "libseccomp.h"
#include "seccomp_internal.h"
#include "tap.h"
#include "trace_landlock.h"
#include "trace_profile.h"
#include "config.h"
#include "landlock.h"
#include "util.h"

static const struct sc_rule *find_rule(const struct sc_profile *p, const char *name, size_t nth)
{
  for (size_t i = 0; i < p->n_rules; i++)
    for (size_t k = 0; p->rules[i].names[k]; k++)
      if (strcmp(p->rules[i].names[k], name) == 0 && nth-- == 0)
        return &p->rules[i];
  return NULL;
}

/* What the compiled rules answer for one call. */
static uint32_t run(const unsigned char *bpf, size_t len, uint32_t arch, int nr, uint64_t arg0)
{
  struct seccomp_data d = {.nr = nr, .arch = arch, .args = {arg0}};
  uint32_t ret = 0;
  if (sc_bpf_run((const struct sock_filter *) (const void *) bpf, len / sizeof(struct sock_filter), &d,
                 &ret) < 0)
    return 0xdeadbeef;
  return ret;
}

static void test_sets(void)
{
  struct trace_profile t = {0};
  trace_profile_add_name(&t, "write");
  trace_profile_add_name(&t, "read");
  trace_profile_add_name(&t, "write");
  trace_profile_add_name(&t, "execve");
  TAP_EQ_INT(t.n_names, 3, "names are a set");
  TAP_EQ_STR(t.names[0], "execve", "names are sorted");
  TAP_EQ_STR(t.names[2], "write", "names are sorted (last)");
  tap_ok(t.names[3] == NULL, "names are NULL-terminated");
  trace_profile_add_value(&t, TRACE_CLONE, 0x1200011);
  trace_profile_add_value(&t, TRACE_CLONE, 0x4111);
  trace_profile_add_value(&t, TRACE_CLONE, 0x1200011);
  TAP_EQ_INT(t.n_values[TRACE_CLONE], 2, "values are a set");
  tap_ok(t.values[TRACE_CLONE][0] == 0x4111, "values are sorted");
  TAP_EQ_INT(trace_profile_count(&t), 4, "count: names, and a narrowed call once");
  TAP_EQ_INT(trace_narrowed_index("socket"), TRACE_SOCKET, "socket is narrowed");
  TAP_EQ_INT(trace_narrowed_index("read"), -1, "read is not");
  trace_profile_free(&t);
}

static void test_rules(void)
{
  struct trace_profile t = {0};
  trace_profile_add_name(&t, "execve");
  trace_profile_add_name(&t, "exit_group");
  trace_profile_add_value(&t, TRACE_CLONE, 0x1200011);
  trace_profile_add_value(&t, TRACE_SOCKET, AF_UNIX);
  struct sc_profile p;
  trace_profile_rules(&t, &p);
  tap_ok(p.default_action == SCMP_ACT_ERRNO(EPERM), "default: EPERM");
  const struct sc_rule *r = find_rule(&p, "clone", 0);
  tap_ok(r && r->action == SCMP_ACT_ALLOW && r->n_args == 1 && r->args[0].op == SCMP_CMP_EQ &&
             r->args[0].value == 0x1200011,
         "clone: allowed with the flags seen only");
  tap_ok(find_rule(&p, "clone", 1) == NULL, "clone: one rule per value");
  r = find_rule(&p, "socket", 0);
  tap_ok(r && r->args[0].value == AF_UNIX, "socket: the family seen");
  r = find_rule(&p, "clone3", 0);
  tap_ok(r && r->action == SCMP_ACT_ERRNO(ENOSYS), "clone3 unseen: ENOSYS (libc falls back to clone)");
  tap_ok(find_rule(&p, "personality", 0) == NULL, "personality unseen: no rule");

  unsigned char *bpf = NULL;
  size_t len = 0;
  keep_error *err = NULL;
  int rc = sc_compile(&p, &bpf, &len, &err);
  tap_ok(rc == 0, "the learned rules compile");
  if (rc == 0) {
    tap_ok(run(bpf, len, AUDIT_ARCH_X86_64, __NR_execve, 0) == SECCOMP_RET_ALLOW, "compiled: execve allowed");
    tap_ok(run(bpf, len, AUDIT_ARCH_X86_64, __NR_mkdir, 0) == (SECCOMP_RET_ERRNO | EPERM),
           "compiled: mkdir (never seen) EPERM");
    tap_ok(run(bpf, len, AUDIT_ARCH_X86_64, __NR_clone, 0x1200011) == SECCOMP_RET_ALLOW,
           "compiled: clone with the flags seen allowed");
    tap_ok(run(bpf, len, AUDIT_ARCH_X86_64, __NR_clone, 0x1200011 | CLONE_NEWUSER) ==
               (SECCOMP_RET_ERRNO | EPERM),
           "compiled: clone with other flags EPERM");
    tap_ok(run(bpf, len, AUDIT_ARCH_X86_64, __NR_socket, AF_NETLINK) == (SECCOMP_RET_ERRNO | EPERM),
           "compiled: socket of another family EPERM");
    tap_ok(run(bpf, len, AUDIT_ARCH_X86_64, __NR_clone3, 0) == (SECCOMP_RET_ERRNO | ENOSYS),
           "compiled: clone3 ENOSYS");
    tap_ok(run(bpf, len, AUDIT_ARCH_I386, 11 /* execve */, 0) == SECCOMP_RET_ALLOW,
           "compiled: the same names on i386");
    tap_ok(run(bpf, len, AUDIT_ARCH_I386, 39 /* mkdir */, 0) == (SECCOMP_RET_ERRNO | EPERM),
           "compiled: i386 mkdir EPERM");
  }
  free(bpf);
  sc_profile_free(&p);

  /* Many clone flag values: one rule, no flag outside those seen. */
  for (uint64_t i = 0; i <= TRACE_MAX_CLONE_VALUES; i++)
    trace_profile_add_value(&t, TRACE_CLONE, SIGCHLD | (i << 8));
  trace_profile_rules(&t, &p);
  r = find_rule(&p, "clone", 0);
  tap_ok(r && r->args[0].op == SCMP_CMP_MASKED_EQ && (r->args[0].value & CLONE_NEWUSER) &&
             r->args[0].value_two == 0 && find_rule(&p, "clone", 1) == NULL,
         "more than %d clone values: one mask of the flags seen", TRACE_MAX_CLONE_VALUES);
  sc_profile_free(&p);

  /* Seen unconditionally (a merged profile allowed it): no narrowed rule. */
  trace_profile_add_name(&t, "socket");
  trace_profile_add_name(&t, "clone3");
  trace_profile_rules(&t, &p);
  r = find_rule(&p, "socket", 0);
  tap_ok(r && r->n_args == 0 && find_rule(&p, "socket", 1) == NULL,
         "socket allowed whatever: one plain name");
  r = find_rule(&p, "clone3", 0);
  tap_ok(r && r->action == SCMP_ACT_ALLOW, "clone3 seen: allowed");
  sc_profile_free(&p);
  trace_profile_free(&t);
}

static void test_merge(void)
{
  struct trace_profile t = {0};
  trace_profile_add_name(&t, "read");
  trace_profile_add_value(&t, TRACE_CLONE, 0x4111);
  struct sc_profile earlier = {.default_action = SCMP_ACT_ERRNO(EPERM)};
  sc_profile_add(&earlier, "write read", SCMP_ACT_ALLOW, NULL, 0);
  struct sc_arg eq = {.index = 0, .op = SCMP_CMP_EQ, .value = 0x1200011};
  sc_profile_add(&earlier, "clone", SCMP_ACT_ALLOW, &eq, 1);
  struct sc_arg pers = {.index = 0, .op = SCMP_CMP_EQ, .value = 0};
  sc_profile_add(&earlier, "personality", SCMP_ACT_ALLOW, &pers, 1);
  struct sc_arg other = {.index = 1, .op = SCMP_CMP_EQ, .value = 5};
  sc_profile_add(&earlier, "fcntl", SCMP_ACT_ALLOW, &other, 1);
  sc_profile_add(&earlier, "clone3", SCMP_ACT_ERRNO(ENOSYS), NULL, 0);
  sc_profile_add(&earlier, "mkdir", SCMP_ACT_ERRNO(EACCES), NULL, 0);
  trace_profile_merge(&t, &earlier);
  trace_profile_merge(&t, &earlier);
  TAP_EQ_INT(t.n_names, 2, "merge: the earlier names joined (read once)");
  TAP_EQ_INT(t.n_values[TRACE_CLONE], 2, "merge: the earlier clone value joined");
  TAP_EQ_INT(t.n_values[TRACE_PERSONALITY], 1, "merge: the earlier personality value joined");
  TAP_EQ_INT(t.kept.n_rules, 1, "merge: another allow rule with args kept as it is, once");
  tap_ok(!find_rule(&t.kept, "mkdir", 0) && !find_rule(&t.kept, "clone3", 0),
         "merge: denials are not carried");
  struct sc_profile p;
  trace_profile_rules(&t, &p);
  const struct sc_rule *r = find_rule(&p, "fcntl", 0);
  tap_ok(r && r->n_args == 1 && r->args[0].index == 1, "merge: the kept rule is in the output");
  sc_profile_free(&p);
  sc_profile_free(&earlier);
  trace_profile_free(&t);
}

static void test_paths(void)
{
  char *j = trace_path_join("/usr/lib", "../bin/./ls");
  TAP_EQ_STR(j, "/usr/bin/ls", "join: relative, . and ..");
  free(j);
  j = trace_path_join(NULL, "/a/../../b//c/");
  TAP_EQ_STR(j, "/b/c", "join: absolute, .. above / stays at /");
  free(j);
  tap_ok(trace_path_join(NULL, "x") == NULL && trace_path_join("pipe:[3]", "x") == NULL,
         "join: a relative path needs an absolute base");
  j = trace_path_dir("/etc/passwd");
  TAP_EQ_STR(j, "/etc", "dir of a file");
  free(j);
  j = trace_path_dir("/tmp");
  TAP_EQ_STR(j, "/", "dir of a top-level name");
  free(j);

  struct trace_paths p = {0};
  trace_paths_add(&p, KEEP_LL_READ, "/usr/lib/x86_64-linux-gnu");
  trace_paths_add(&p, KEEP_LL_READ, "/usr/lib/locale/C.utf8");
  trace_paths_add(&p, KEEP_LL_READ, "/proc/123/task");
  trace_paths_add(&p, KEEP_LL_READ, "/etc");
  trace_paths_add(&p, KEEP_LL_READ, "/etc/ssl/certs");
  trace_paths_add(&p, KEEP_LL_EXEC, "/usr/bin");
  trace_paths_add(&p, KEEP_LL_READ, "/usr/bin");
  trace_paths_add(&p, KEEP_LL_WRITE, "/tmp/w");
  trace_paths_add(&p, KEEP_LL_WRITE, "/tmp/w/sub");
  trace_paths_add(&p, KEEP_LL_READ, "/tmp/w/sub");
  trace_paths_add(&p, KEEP_LL_WRITE, "/dev");
  TAP_EQ_INT(p.n, 11, "paths: a set");
  char *rules = trace_paths_rules(&p);
  struct keep_landlock_rule *r = NULL;
  size_t n = 0;
  keep_error *err = NULL;
  int rc = keep_landlock_rules_parse(rules, "learned", &r, &n, &err);
  tap_ok(rc == 0, "the rules parse as keep run reads them");
  char got[512] = "";
  for (size_t i = 0; i < n; i++)
    snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s %s;", keep_landlock_access_name(r[i].access),
             r[i].path);
  const char *joined = got;
  TAP_EQ_STR(joined, "exec /usr/bin;read /etc;read /proc;read /usr/lib;write /dev;write /tmp/w;",
             "rules: reads widened to two levels (/proc one), writes exact, covered rules dropped");
  for (size_t i = 0; i < n; i++)
    free(r[i].path);
  free(r);
  free(rules);
  trace_paths_free(&p);

  const char *bad[] = {"read etc\n", "delete /etc\n", "read /a b\n", "# nothing\n"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    keep_error *e = NULL;
    tap_ok(keep_landlock_rules_parse(bad[i], "bad", &r, &n, &e) < 0 && e &&
               strstr(e->msg, "landlock rules `bad`"),
           "bad rules refused, naming the file: %zu", i);
    keep_error_free(&e);
  }
}

int main(void)
{
  test_paths();
  test_sets();
  test_rules();
  test_merge();
  return tap_done();
}
