/* The cgroup v2 device filter: the compiled program run by a small
 * interpreter against a model of the rules, the kernel's verifier on every
 * program, and, as root where a cgroup2 hierarchy is mounted, a real cgroup
 * whose processes must be refused what the rules deny. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_devices_bpf.h"
#include "cgroup_internal.h"
#include "tap.h"
#include "util.h"

#define ACC_M BPF_DEVCG_ACC_MKNOD
#define ACC_R BPF_DEVCG_ACC_READ
#define ACC_W BPF_DEVCG_ACC_WRITE
#define DEV_B BPF_DEVCG_DEV_BLOCK
#define DEV_C BPF_DEVCG_DEV_CHAR

/* Runs the instructions cg_devices_compile emits; -1 on anything else (an
 * unknown opcode, a backward or out-of-range jump, falling off the end). */
static int run(const struct bpf_insn *p, size_t n, unsigned type, unsigned access, unsigned major,
               unsigned minor)
{
  struct bpf_cgroup_dev_ctx ctx = {.access_type = (access << 16) | type, .major = major, .minor = minor};
  uint64_t r[11] = {0};
  for (size_t pc = 0; pc < n; pc++) {
    const struct bpf_insn *i = &p[pc];
    uint64_t k = (uint64_t) (int64_t) i->imm;
    bool jump = false;
    switch (i->code) {
    case BPF_LDX | BPF_W | BPF_MEM:
      if (i->src_reg != BPF_REG_1 || i->off < 0 || (size_t) i->off + 4 > sizeof(ctx))
        return -1;
      uint32_t v;
      memcpy(&v, (const char *) &ctx + i->off, 4);
      r[i->dst_reg] = v;
      break;
    case BPF_ALU | BPF_AND | BPF_K: r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & k); break;
    case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm; break;
    case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = k; break;
    case BPF_JMP | BPF_JA: jump = true; break;
    case BPF_JMP | BPF_JEQ | BPF_K: jump = r[i->dst_reg] == k; break;
    case BPF_JMP | BPF_JNE | BPF_K: jump = r[i->dst_reg] != k; break;
    case BPF_JMP | BPF_JSET | BPF_K: jump = (r[i->dst_reg] & k) != 0; break;
    case BPF_JMP | BPF_EXIT: return (int) r[0];
    default: return -1;
    }
    if (jump) {
      if (i->off < 0 || pc + 1 + (size_t) i->off >= n)
        return -1;
      pc += (size_t) i->off;
    }
  }
  return -1;
}

struct rule {
  bool allow;
  char type;
  int major, minor; /* -1: * */
  unsigned access;
};

/* The rules' meaning, written the plain way: each access bit asked for is
 * decided by the last rule naming it that matches; nothing matching denies. */
static int model(const struct rule *rs, size_t nr, unsigned type, unsigned access, unsigned major,
                 unsigned minor)
{
  for (unsigned bit = 1; bit <= 4; bit <<= 1) {
    if (!(access & bit))
      continue;
    bool ok = false;
    for (size_t i = nr; i-- > 0;) {
      const struct rule *x = &rs[i];
      if (!(x->access & bit) || (x->type == 'b' && type != DEV_B) || (x->type == 'c' && type != DEV_C) ||
          (x->major >= 0 && (unsigned) x->major != major) || (x->minor >= 0 && (unsigned) x->minor != minor))
        continue;
      ok = x->allow;
      break;
    }
    if (!ok)
      return 0;
  }
  return 1;
}

static char *rule_text(const struct rule *x)
{
  char maj[16] = "*", min[16] = "*", acc[4] = "";
  if (x->major >= 0)
    snprintf(maj, sizeof(maj), "%d", x->major);
  if (x->minor >= 0)
    snprintf(min, sizeof(min), "%d", x->minor);
  size_t k = 0;
  if (x->access & ACC_R)
    acc[k++] = 'r';
  if (x->access & ACC_W)
    acc[k++] = 'w';
  if (x->access & ACC_M)
    acc[k++] = 'm';
  return xasprintf("%s %c %s:%s %s", x->allow ? "allow" : "deny", x->type, maj, min, acc);
}

/* Compile `rules` and check the verdict for one request. */
static int verdict(const char *const *rules, unsigned type, unsigned access, unsigned major, unsigned minor)
{
  cleanup_free struct bpf_insn *p = NULL;
  size_t n = 0;
  keep_error *err = NULL;
  if (cg_devices_compile((char *const *) rules, &p, &n, &err) < 0) {
    keep_error_free(&err);
    return -2;
  }
  return run(p, n, type, access, major, minor);
}

static void test_semantics(void)
{
  const char *deny_all[] = {"deny a *:* rwm", "allow c 1:3 rwm", NULL};
  TAP_EQ_INT(verdict(deny_all, DEV_C, ACC_R | ACC_W, 1, 3), 1, "deny a, allow c 1:3: 1:3 rw allowed");
  TAP_EQ_INT(verdict(deny_all, DEV_C, ACC_M, 1, 3), 1, "deny a, allow c 1:3: 1:3 mknod allowed");
  TAP_EQ_INT(verdict(deny_all, DEV_C, ACC_R, 1, 5), 0, "deny a, allow c 1:3: 1:5 r denied");
  TAP_EQ_INT(verdict(deny_all, DEV_B, ACC_R, 1, 3), 0, "deny a, allow c 1:3: block 1:3 denied");

  const char *allow_all[] = {"allow a *:* rwm", "deny c 1:5 r", NULL};
  TAP_EQ_INT(verdict(allow_all, DEV_C, ACC_R, 1, 5), 0, "allow a, deny c 1:5 r: 1:5 r denied");
  TAP_EQ_INT(verdict(allow_all, DEV_C, ACC_R | ACC_W, 1, 5), 0,
             "allow a, deny c 1:5 r: 1:5 rw (open O_RDWR) denied too");
  TAP_EQ_INT(verdict(allow_all, DEV_C, ACC_W, 1, 5), 1, "allow a, deny c 1:5 r: 1:5 w allowed");
  TAP_EQ_INT(verdict(allow_all, DEV_C, ACC_M, 1, 5), 1, "allow a, deny c 1:5 r: 1:5 mknod allowed");
  TAP_EQ_INT(verdict(allow_all, DEV_B, ACC_R, 8, 0), 1, "allow a, deny c 1:5 r: block 8:0 allowed");

  const char *later_wins[] = {"allow c 1:3 rwm", "deny c 1:3 w", NULL};
  TAP_EQ_INT(verdict(later_wins, DEV_C, ACC_W, 1, 3), 0, "a later deny overrides an earlier allow");
  TAP_EQ_INT(verdict(later_wins, DEV_C, ACC_R, 1, 3), 1, "... only for the access it names");
  const char *later_allow[] = {"deny c 1:3 rwm", "allow c 1:3 rwm", NULL};
  TAP_EQ_INT(verdict(later_allow, DEV_C, ACC_R, 1, 3), 1, "a later allow overrides an earlier deny");
  const char *split[] = {"deny a *:* rwm", "allow c 1:3 r", "allow c 1:3 w", NULL};
  TAP_EQ_INT(verdict(split, DEV_C, ACC_R | ACC_W, 1, 3), 1, "r and w allowed by two rules: rw allowed");
  const char *reset[] = {"allow c 1:3 rwm", "deny a *:* rwm", NULL};
  TAP_EQ_INT(verdict(reset, DEV_C, ACC_R, 1, 3), 0, "a catch-all deny after an allow wins");
  const char *blk[] = {"allow b 8:* r", NULL};
  TAP_EQ_INT(verdict(blk, DEV_B, ACC_R, 8, 17), 1, "allow b 8:* r: block 8:17 r allowed");
  TAP_EQ_INT(verdict(blk, DEV_B, ACC_W, 8, 17), 0, "allow b 8:* r: block 8:17 w denied");
  TAP_EQ_INT(verdict(blk, DEV_C, ACC_R, 8, 17), 0, "allow b 8:* r: char 8:17 denied");
  const char *none[] = {NULL};
  TAP_EQ_INT(verdict(none, DEV_C, ACC_R, 1, 3), 0, "no rules: everything denied");
  const char *all[] = {"allow a *:* rwm", NULL};
  TAP_EQ_INT(verdict(all, DEV_C, 1u << 5, 1, 3), 0, "an access bit the rules cannot name is denied");
  TAP_EQ_INT(verdict(all, 4, ACC_R, 1, 3), 0, "a device type the rules cannot name is denied");
  TAP_EQ_INT(verdict(all, DEV_B, ACC_R | ACC_W | ACC_M, 259, 1048575), 1,
             "allow a *:* rwm: anything allowed");
}

/* Random rule lists against the model, over a small domain so rules hit. */
static void test_random(void)
{
  static const int majors[] = {-1, 1, 8}, minors[] = {-1, 3, 5};
  static const unsigned req_majors[] = {1, 8, 9}, req_minors[] = {0, 3, 5};
  unsigned seed = 12345;
  size_t lists = 0, checks = 0, wrong = 0, bad = 0;
  for (int round = 0; round < 3000; round++) {
    struct rule rs[8];
    char *texts[9] = {NULL};
    size_t nr = (size_t) (rand_r(&seed) % 8);
    for (size_t i = 0; i < nr; i++) {
      rs[i] = (struct rule){.allow = rand_r(&seed) % 2,
                            .type = "abc"[rand_r(&seed) % 3],
                            .major = majors[rand_r(&seed) % 3],
                            .minor = minors[rand_r(&seed) % 3],
                            .access = 1 + (unsigned) (rand_r(&seed) % 7)};
      texts[i] = rule_text(&rs[i]);
    }
    cleanup_free struct bpf_insn *p = NULL;
    size_t n = 0;
    keep_error *err = NULL;
    if (cg_devices_compile(texts, &p, &n, &err) < 0) {
      keep_error_free(&err);
      bad++;
    } else {
      lists++;
      for (unsigned type = DEV_B; type <= DEV_C; type++)
        for (unsigned acc = 0; acc < 8; acc++)
          for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 3; b++) {
              checks++;
              if (run(p, n, type, acc, req_majors[a], req_minors[b]) !=
                  model(rs, nr, type, acc, req_majors[a], req_minors[b]))
                wrong++;
            }
    }
    for (size_t i = 0; i < nr; i++)
      free(texts[i]);
  }
  tap_ok(bad == 0 && wrong == 0,
         "%zu random rule lists, %zu requests: program and model agree (%zu wrong, %zu not compiled)", lists,
         checks, wrong, bad);
}

static void test_bad_rules(void)
{
  static const char *const bad[] = {
      "permit c 1:3 rwm",
      "allow x 1:3 rwm",
      "allow c 1:3",
      "allow c 1:3 ",
      "allow c 1:3 rwq",
      "allow c 1-3 rwm",
      "allow c :3 rwm",
      "allow c 1: rwm",
      "allow c -1:3 rwm",
      "allow c 2147483648:3 rwm",
      "allow c 1:99999999999 rwm",
      "allow  c 1:3 rwm",
      "allow c 1:3 rwm ",
      "allow c",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    char *rules[] = {(char *) "deny a *:* rwm", (char *) bad[i], NULL};
    struct bpf_insn *p = NULL;
    size_t n = 0;
    keep_error *err = NULL;
    int r = cg_devices_compile(rules, &p, &n, &err);
    tap_ok(r < 0 && err && strstr(err->msg, "device rule 1") && strstr(err->msg, bad[i]),
           "malformed rule `%s` is an error naming it: %s", bad[i], err ? err->msg : "accepted");
    keep_error_free(&err);
    free(p);
  }
  const char *ok[] = {"allow c 2147483647:0 r", "deny b *:* m", "allow a 1:* wr", NULL};
  tap_ok(verdict(ok, DEV_C, ACC_R, 2147483647u, 0) == 1, "largest number, any access order accepted");
}

static bool is_root(void)
{
  return geteuid() == 0;
}

static bool have_unified(void)
{
  struct statfs s;
  return statfs("/sys/fs/cgroup/unified", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* The kernel's verifier accepts every program we make, a long one too. */
static void test_verifier(void)
{
  if (!is_root()) {
    tap_skip("needs root (CAP_SYS_ADMIN) to load a cgroup device program", "verifier accepts the programs");
    return;
  }
  cleanup_strv char **big = NULL;
  strv_push(&big, "deny a *:* rwm");
  for (int i = 0; i < 1000; i++) {
    cleanup_free char *r = xasprintf("%s %c %d:%d %s", i % 3 ? "allow" : "deny", i % 2 ? 'b' : 'c', i % 300,
                                     i, i % 4 ? "rw" : "m");
    strv_push(&big, r);
  }
  const char *lists[][4] = {
      {NULL},
      {"allow a *:* rwm", NULL},
      {"deny a *:* rwm", NULL},
      {"deny a *:* rwm", "allow c 1:3 rwm", NULL},
      {"allow a *:* rwm", "deny c 1:5 r", NULL},
      {"allow c 1:3 rwm", "deny a *:* rwm", "allow b 8:* r", NULL},
  };
  for (size_t i = 0; i <= ARRAY_SIZE(lists); i++) {
    char *const *rules = i < ARRAY_SIZE(lists) ? (char *const *) lists[i] : big;
    cleanup_free struct bpf_insn *p = NULL;
    size_t n = 0;
    cleanup_error keep_error *err = NULL;
    int fd = -1;
    if (cg_devices_compile(rules, &p, &n, &err) == 0)
      fd = cg_devices_load(p, n, "test", &err);
    tap_ok(fd >= 0, "verifier accepts list %zu (%zu rules, %zu instructions) %s", i, strv_len(rules), n,
           err ? err->msg : "");
    if (fd >= 0)
      close(fd);
  }
  /* A program the verifier refuses: the error says bpf(BPF_PROG_LOAD) and why. */
  struct bpf_insn broken[] = {{.code = BPF_JMP | BPF_EXIT}};
  cleanup_error keep_error *err = NULL;
  int fd = cg_devices_load(broken, 1, "/sys/fs/cgroup/x", &err);
  tap_ok(fd < 0 && err && strstr(err->msg, "bpf(BPF_PROG_LOAD)") && strstr(err->msg, "`/sys/fs/cgroup/x`") &&
             strstr(err->msg, "R0 !read_ok"),
         "a refused program is an error with the verifier's reason: %s", err ? err->msg : "loaded");
  if (fd >= 0)
    close(fd);
}

/* What a process in the cgroup tried, and the errno it got (0: success). */
enum { OP_NULL_RDWR, OP_ZERO_RDONLY, OP_ZERO_RDWR, OP_ZERO_WRONLY, OP_MKNOD_ZERO, OP_MKNOD_NULL, N_OPS };
static const char *const op_names[N_OPS] = {
    "open /dev/null O_RDWR", "open /dev/zero O_RDONLY",
    "open /dev/zero O_RDWR", "open /dev/zero O_WRONLY",
    "mknod c 1:5",           "mknod c 1:3",
};

static int try_open(const char *path, int flags)
{
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0)
    return errno;
  close(fd);
  return 0;
}

static int try_mknod(const char *dir, const char *name, unsigned minor)
{
  cleanup_free char *path = xasprintf("%s/%s", dir, name);
  if (mknod(path, S_IFCHR | 0600, makedev(1, minor)) < 0)
    return errno;
  unlink(path);
  return 0;
}

/* Fork a child that joins `cg` and tries every op; results[op] = errno. */
static bool probe_in(const char *cg, const char *tmp, int results[N_OPS])
{
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return false;
  pid_t pid = fork();
  if (pid < 0)
    return false;
  if (pid == 0) {
    int res[N_OPS];
    cleanup_free char *procs = xasprintf("%s/cgroup.procs", cg);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1)
      _exit(3);
    close(fd);
    res[OP_NULL_RDWR] = try_open("/dev/null", O_RDWR);
    res[OP_ZERO_RDONLY] = try_open("/dev/zero", O_RDONLY);
    res[OP_ZERO_RDWR] = try_open("/dev/zero", O_RDWR);
    res[OP_ZERO_WRONLY] = try_open("/dev/zero", O_WRONLY);
    res[OP_MKNOD_ZERO] = try_mknod(tmp, "zero", 5);
    res[OP_MKNOD_NULL] = try_mknod(tmp, "null", 3);
    _exit(write(pfd[1], res, sizeof(res)) == (ssize_t) sizeof(res) ? 0 : 4);
  }
  close(pfd[1]);
  ssize_t got = read_all(pfd[0], results, sizeof(int) * N_OPS);
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return got == (ssize_t) (sizeof(int) * N_OPS) && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One case: a fresh cgroup, the rules attached (none: the control), the
 * probe, the expected errno of each op, then the cgroup removed. */
static void real_case(const char *name, char *const *rules, bool via_cgroup_api, const int want[N_OPS])
{
  cleanup_free char *cg = xasprintf("/sys/fs/cgroup/unified/keep-test-bpf-%d", (int) getpid());
  char tmp[] = "/tmp/keep-unit-bpf.XXXXXX";
  if (mkdtemp(tmp) == NULL || mkdir(cg, 0755) < 0) {
    tap_ok(false, "%s: mkdtemp/mkdir `%s`: %s", name, cg, strerror(errno));
    return;
  }
  cleanup_error keep_error *err = NULL;
  int r = 0;
  if (rules && via_cgroup_api) {
    /* Through the cgroup module's entry point, as `keep create` calls it. */
    struct keep_cgroup c = {.version = KEEP_CGROUP_V2, .n = 1, .names = {(char *) ""}, .dirs = {cg}};
    r = keep_cgroup_apply_devices(&c, rules, &err);
  } else if (rules) {
    r = cg_devices_apply_v2(cg, rules, &err);
  }
  tap_ok(r == 0, "%s: filter attached to `%s` %s", name, cg, err ? err->msg : "");
  int res[N_OPS];
  bool ran = r == 0 && probe_in(cg, tmp, res);
  tap_ok(ran, "%s: the probe ran inside the cgroup", name);
  for (int i = 0; ran && i < N_OPS; i++)
    tap_ok(res[i] == want[i], "%s: %s: got %s, want %s", name, op_names[i],
           res[i] ? strerror(res[i]) : "success", want[i] ? strerror(want[i]) : "success");
  tap_ok(cg_rmdir(cg, NULL) == 0 && rmdir(tmp) == 0, "%s: cgroup and temporary directory removed", name);
}

static void test_real(void)
{
  if (!is_root() || !have_unified()) {
    tap_skip("needs root and a cgroup2 hierarchy at /sys/fs/cgroup/unified",
             "device filter in a real cgroup");
    return;
  }
  /* The control: with no program, everything the cases deny works, so a
   * denial below comes from the filter and nothing else. */
  const int control[N_OPS] = {0, 0, 0, 0, 0, 0};
  real_case("no filter (control)", NULL, false, control);

  char *deny_all[] = {(char *) "deny a *:* rwm", (char *) "allow c 1:3 rwm", NULL};
  const int want1[N_OPS] = {0, EPERM, EPERM, EPERM, EPERM, 0};
  real_case("deny a *:* rwm, allow c 1:3 rwm", deny_all, true, want1);

  char *allow_all[] = {(char *) "allow a *:* rwm", (char *) "deny c 1:5 r", NULL};
  const int want2[N_OPS] = {0, EPERM, EPERM, 0, 0, 0};
  real_case("allow a *:* rwm, deny c 1:5 r", allow_all, false, want2);

  /* Attaching anywhere but a cgroup v2 directory is an error naming it. */
  cleanup_error keep_error *err = NULL;
  int r = cg_devices_apply_v2("/tmp", deny_all, &err);
  tap_ok(r < 0 && err && strstr(err->msg, "`/tmp`") && strstr(err->msg, "cgroup v2"),
         "attach to a non-cgroup directory refused: %s", err ? err->msg : "attached");
}

/* A fake tree records the rules; a bad rule is still an error. */
static void test_fake(void)
{
  char root[] = "/tmp/keep-unit-bpf-fake.XXXXXX";
  if (mkdtemp(root) == NULL) {
    tap_ok(false, "mkdtemp");
    return;
  }
  struct keep_cgroup c = {
      .version = KEEP_CGROUP_V2, .n = 1, .names = {(char *) ""}, .dirs = {root}, .fake = true};
  char *rules[] = {(char *) "deny a *:* rwm", (char *) "allow c 1:3 rwm", NULL};
  cleanup_error keep_error *err = NULL;
  int r = keep_cgroup_apply_devices(&c, rules, &err);
  tap_ok(r == 0, "fake v2: rules applied %s", err ? err->msg : "");
  cleanup_free char *path = xasprintf("%s/devices.bpf", root);
  cleanup_free char *text = NULL;
  read_file_at(AT_FDCWD, path, &text, NULL, NULL);
  tap_ok(text && strcmp(text, "deny a *:* rwm\nallow c 1:3 rwm\n") == 0,
         "fake v2: rules recorded in devices.bpf");
  char *bad[] = {(char *) "allow c 1:3 rwx", NULL};
  keep_error *e2 = NULL;
  r = keep_cgroup_apply_devices(&c, bad, &e2);
  tap_ok(r < 0 && e2 && strstr(e2->msg, "linux.resources.devices") && strstr(e2->msg, "rwx"),
         "fake v2: a bad rule is an error: %s", e2 ? e2->msg : "accepted");
  keep_error_free(&e2);
  unlink(path);
  tap_ok(rmdir(root) == 0, "fake tree removed");
}

int main(void)
{
  test_semantics();
  test_random();
  test_bad_rules();
  test_fake();
  test_verifier();
  test_real();
  return tap_done();
}
