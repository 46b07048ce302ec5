/* cgroup v2 device filter: OCI device rules as a BPF_PROG_TYPE_CGROUP_DEVICE
 * program.
 *
 * The kernel runs the program on every open of a device node and every
 * mknod by a process of the cgroup (Documentation/admin-guide/cgroup-v2.rst,
 * "Device controller"), with a struct bpf_cgroup_dev_ctx: access_type holds
 * the device type (BPF_DEVCG_DEV_BLOCK/CHAR) in its low 16 bits and the
 * access asked for (BPF_DEVCG_ACC_MKNOD/READ/WRITE, possibly several at once:
 * open(O_RDWR) asks for read and write together) in its high 16 bits.
 * Returning 0 fails the call with EPERM.
 *
 * Rule order: as runc and crun do on v2, a later rule takes precedence over
 * an earlier one, and nothing matching denies.  We decide each access bit on
 * its own: a rule "deny c 1:5 r" must also refuse open(O_RDWR) of 1:5, which
 * asks for read and write in one call (a whole-request subset test would let
 * that through).  The program is, for each of m, r, w:
 *
 *   if the bit is asked for:
 *     for the rules naming the bit, last first:
 *       if type, major and minor match: allow -> next bit, deny -> return 0
 *     return 0
 *   ...
 *   return 1
 *
 * A rule matching every device (type a, *:*) ends its bit's chain: the
 * verifier refuses unreachable instructions, and the earlier rules could not
 * be reached anyway. */
#include "cgroup_devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* Our own instruction builders (the kernel's are not uapi). */
#define INSN(c, d, s, o, i)                                                                                  \
  ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define ALU32_K(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV64_K(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_K(op, dst, imm) INSN(BPF_JMP | (op) | BPF_K, dst, 0, 0, imm)
#define JA INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0)
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define R_TYPE BPF_REG_2
#define R_ACC BPF_REG_3
#define R_MAJOR BPF_REG_4
#define R_MINOR BPF_REG_5

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

struct dev_rule {
  bool allow;
  char type;       /* 'a', 'b' or 'c' */
  int64_t major;   /* -1: any */
  int64_t minor;   /* -1: any */
  unsigned access; /* BPF_DEVCG_ACC_* bits */
};

/* "*" or a decimal number; the number goes into a jump's 32-bit immediate,
 * which the kernel sign-extends: keep it below 2^31 (Linux device numbers
 * have 12-bit majors and 20-bit minors, so nothing real is lost). */
static bool parse_num(const char **p, char stop, int64_t *out)
{
  const char *s = *p;
  if (*s == '*') {
    *out = -1;
    s++;
  } else {
    int64_t v = 0;
    const char *start = s;
    for (; *s >= '0' && *s <= '9'; s++) {
      v = v * 10 + (*s - '0');
      if (v > INT32_MAX)
        return false;
    }
    if (s == start)
      return false;
    *out = v;
  }
  if (*s != stop)
    return false;
  *p = s + 1;
  return true;
}

/* "allow c 1:3 rwm" / "deny a *:* rwm", as oci_spec.c builds them. */
static int parse_rule(const char *text, size_t i, struct dev_rule *r, keep_error **err)
{
  const char *p = text;
  if (str_has_prefix(p, "allow ")) {
    r->allow = true;
    p += 6;
  } else if (str_has_prefix(p, "deny ")) {
    r->allow = false;
    p += 5;
  } else {
    goto bad;
  }
  if (p[0] == '\0' || strchr("abc", p[0]) == NULL || p[1] != ' ')
    goto bad;
  r->type = p[0];
  p += 2;
  if (!parse_num(&p, ':', &r->major) || !parse_num(&p, ' ', &r->minor) || *p == '\0')
    goto bad;
  r->access = 0;
  for (; *p; p++) {
    if (*p == 'm')
      r->access |= BPF_DEVCG_ACC_MKNOD;
    else if (*p == 'r')
      r->access |= BPF_DEVCG_ACC_READ;
    else if (*p == 'w')
      r->access |= BPF_DEVCG_ACC_WRITE;
    else
      goto bad;
  }
  return 0;
bad:
  return keep_fail(err, EINVAL, "device rule %zu `%s` is not \"allow|deny a|b|c MAJOR:MINOR rwm\"", i, text);
}

/* A growing program with forward jumps to labels, resolved at the end. */
struct emitter {
  struct bpf_insn *insn;
  size_t n, cap;
  struct fixup {
    size_t at, label;
  } * fix;
  size_t nfix, capfix;
  size_t *label_at; /* SIZE_MAX until placed */
  size_t nlabels, caplabels;
};

static void grow(void *pp, size_t *cap, size_t need, size_t size)
{
  if (need <= *cap)
    return;
  *cap = *cap ? *cap * 2 : 64;
  if (*cap < need)
    *cap = need;
  *(void **) pp = xrealloc(*(void **) pp, *cap * size);
}

static void put(struct emitter *e, struct bpf_insn in)
{
  grow(&e->insn, &e->cap, e->n + 1, sizeof(*e->insn));
  e->insn[e->n++] = in;
}

static size_t new_label(struct emitter *e)
{
  grow(&e->label_at, &e->caplabels, e->nlabels + 1, sizeof(*e->label_at));
  e->label_at[e->nlabels] = SIZE_MAX;
  return e->nlabels++;
}

static void place(struct emitter *e, size_t label)
{
  e->label_at[label] = e->n;
}

/* A jump instruction whose offset is the distance to `label`. */
static void jump(struct emitter *e, struct bpf_insn in, size_t label)
{
  grow(&e->fix, &e->capfix, e->nfix + 1, sizeof(*e->fix));
  e->fix[e->nfix++] = (struct fixup){e->n, label};
  put(e, in);
}

static int resolve(struct emitter *e, keep_error **err)
{
  for (size_t i = 0; i < e->nfix; i++) {
    size_t to = e->label_at[e->fix[i].label];
    if (to == SIZE_MAX || to <= e->fix[i].at)
      return keep_fail(err, 0, "device filter: internal error: bad jump at %zu", e->fix[i].at);
    size_t off = to - e->fix[i].at - 1;
    if (off > INT16_MAX)
      return keep_fail(err, E2BIG, "device filter: too many device rules (a jump spans %zu instructions)",
                       off);
    e->insn[e->fix[i].at].off = (int16_t) off;
  }
  return 0;
}

/* The chain for one access bit: the rules naming it, last first. */
static void emit_bit(struct emitter *e, const struct dev_rule *r, size_t nr, unsigned bit, size_t deny)
{
  size_t done = new_label(e), asked = new_label(e);
  jump(e, JMP_K(BPF_JSET, R_ACC, (int32_t) bit), asked);
  jump(e, JA, done);
  place(e, asked);
  bool covered = false;
  for (size_t i = nr; i-- > 0 && !covered;) {
    if (!(r[i].access & bit))
      continue;
    size_t next = new_label(e);
    covered = true;
    if (r[i].type != 'a') {
      jump(e, JMP_K(BPF_JNE, R_TYPE, r[i].type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), next);
      covered = false;
    }
    if (r[i].major >= 0) {
      jump(e, JMP_K(BPF_JNE, R_MAJOR, (int32_t) r[i].major), next);
      covered = false;
    }
    if (r[i].minor >= 0) {
      jump(e, JMP_K(BPF_JNE, R_MINOR, (int32_t) r[i].minor), next);
      covered = false;
    }
    jump(e, JA, r[i].allow ? done : deny);
    place(e, next);
  }
  if (!covered)
    jump(e, JA, deny); /* no rule matched: deny */
  place(e, done);
}

int cg_devices_compile(char *const *rules, struct bpf_insn **insns, size_t *n, keep_error **err)
{
  size_t nr = strv_len(rules);
  cleanup_free struct dev_rule *r = xcalloc(nr ? nr : 1, sizeof(*r));
  for (size_t i = 0; i < nr; i++)
    if (parse_rule(rules[i], i, &r[i], err) < 0)
      return -1;

  struct emitter e = {0};
  size_t deny = new_label(&e), known_type = new_label(&e);
  const int16_t at = offsetof(struct bpf_cgroup_dev_ctx, access_type);
  put(&e, LDX_W(R_TYPE, BPF_REG_1, at));
  put(&e, ALU32_K(BPF_AND, R_TYPE, 0xffff));
  put(&e, LDX_W(R_ACC, BPF_REG_1, at));
  put(&e, ALU32_K(BPF_RSH, R_ACC, 16));
  put(&e, LDX_W(R_MAJOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major)));
  put(&e, LDX_W(R_MINOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor)));
  /* Fail closed on what the rules cannot speak of: an access bit or a
   * device type a newer kernel might add. */
  jump(&e, JMP_K(BPF_JSET, R_ACC, (int32_t) (0xffff & ~ACC_ALL)), deny);
  jump(&e, JMP_K(BPF_JEQ, R_TYPE, BPF_DEVCG_DEV_CHAR), known_type);
  jump(&e, JMP_K(BPF_JNE, R_TYPE, BPF_DEVCG_DEV_BLOCK), deny);
  place(&e, known_type);
  emit_bit(&e, r, nr, BPF_DEVCG_ACC_MKNOD, deny);
  emit_bit(&e, r, nr, BPF_DEVCG_ACC_READ, deny);
  emit_bit(&e, r, nr, BPF_DEVCG_ACC_WRITE, deny);
  put(&e, MOV64_K(BPF_REG_0, 1));
  put(&e, EXIT);
  place(&e, deny);
  put(&e, MOV64_K(BPF_REG_0, 0));
  put(&e, EXIT);

  int ret = resolve(&e, err);
  free(e.fix);
  free(e.label_at);
  if (ret < 0) {
    free(e.insn);
    return -1;
  }
  *insns = e.insn;
  *n = e.n;
  return 0;
}

/* The verifier's reason for refusing: the last line of its log before the
 * "processed N insns" summary (the lines before it trace instructions). */
static const char *verifier_reason(char *log)
{
  const char *reason = "";
  for (char *line = log; *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    if (*line && !str_has_prefix(line, "processed ") && !str_has_prefix(line, "verification time"))
      reason = line;
    if (nl == NULL)
      break;
    line = nl + 1;
  }
  return reason;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cg_devices_load(const struct bpf_insn *insns, size_t n, const char *what, keep_error **err)
{
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uintptr_t) insns;
  a.insn_cnt = (uint32_t) n;
  a.license = (uintptr_t) "GPL";
  memcpy(a.prog_name, "keep_devices", sizeof("keep_devices"));
  /* bpf fds are close-on-exec: the container never inherits this one. */
  long fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return (int) fd;
  /* Again with the verifier's log, for a message that says why.  Not on the
   * first try: a log too small for a large (valid) program fails the load. */
  const size_t log_size = 64 * 1024;
  cleanup_free char *log = xcalloc(1, log_size);
  a.log_level = 1;
  a.log_buf = (uintptr_t) log;
  a.log_size = (uint32_t) log_size;
  fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return (int) fd;
  int saved = errno;
  log[log_size - 1] = '\0';
  const char *why = verifier_reason(log);
  keep_fail(err, saved, "bpf(BPF_PROG_LOAD) of the device filter for `%s`%s%s", what, why[0] ? ": " : "",
            why);
  if (saved == EPERM)
    keep_error_hint(err,
                    "loading a cgroup device filter needs CAP_SYS_ADMIN or CAP_BPF (and, before Linux 5.11, "
                    "enough RLIMIT_MEMLOCK)");
  return -1;
}

int cg_devices_attach(int prog_fd, const char *dir, keep_error **err)
{
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0)
    return keep_fail_errno(err, "open `%s`", dir);
  struct statfs s;
  if (fstatfs(dfd, &s) < 0)
    return keep_fail_errno(err, "fstatfs `%s`", dir);
  if (s.f_type != CGROUP2_SUPER_MAGIC)
    return keep_fail(err, EXDEV, "`%s` is not a cgroup v2 directory", dir);
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.target_fd = (uint32_t) dfd;
  a.attach_bpf_fd = (uint32_t) prog_fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  /* ALLOW_MULTI: the programs of the ancestors (systemd's, an outer
   * runtime's) keep running; a device passes only when all of them allow. */
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
    return keep_fail_errno(err, "bpf(BPF_PROG_ATTACH) of the device filter to `%s`", dir);
  return 0;
}

int cg_devices_apply_v2(const char *dir, char *const *rules, keep_error **err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  size_t n = 0;
  if (cg_devices_compile(rules, &insns, &n, err) < 0)
    return -1;
  cleanup_close int fd = cg_devices_load(insns, n, dir, err);
  if (fd < 0)
    return -1;
  return cg_devices_attach(fd, dir, err);
}
