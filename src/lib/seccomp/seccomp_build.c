/* Turning a profile into BPF with libseccomp, plus keep's ENOSYS prologue. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "seccomp_internal.h"
#include "libseccomp.h"
#include "util.h"

void sc_profile_add_strv(struct sc_profile *p, char **names, uint32_t action, const struct sc_arg *args,
                         unsigned n_args)
{
  p->rules = xrealloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
  struct sc_rule *r = &p->rules[p->n_rules++];
  memset(r, 0, sizeof(*r));
  r->names = names;
  r->origin = -1;
  r->action = action;
  r->n_args = n_args > SC_MAX_ARGS ? SC_MAX_ARGS : n_args;
  if (n_args)
    memcpy(r->args, args, r->n_args * sizeof(*args));
}

void sc_profile_add(struct sc_profile *p, const char *names, uint32_t action, const struct sc_arg *args,
                    unsigned n_args)
{
  size_t n = 0;
  for (const char *c = names; *c; c++)
    n += *c != ' ' && (c == names || c[-1] == ' ');
  char **v = xcalloc(n + 1, sizeof(*v));
  cleanup_free char *copy = xstrdup(names);
  char *save = NULL;
  n = 0;
  for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
    v[n++] = xstrdup(t);
  sc_profile_add_strv(p, v, action, args, n_args);
}

void sc_profile_free(struct sc_profile *p)
{
  for (size_t i = 0; i < p->n_rules; i++)
    strv_free(p->rules[i].names);
  free(p->rules);
  p->rules = NULL;
  p->n_rules = 0;
}

/* Highest syscall number libseccomp can name on an architecture: anything
 * above is newer than the profile and gets ENOSYS, so libc falls back to an
 * older call instead of failing with EPERM. */
static uint32_t max_known(uint32_t arch)
{
  uint32_t max = 0;
  for (int nr = 0; nr < 1024; nr++) {
    char *name = keep_libseccomp()->resolve_num_arch(arch, nr);
    if (name) {
      max = (uint32_t) nr;
      free(name);
    }
  }
  return max;
}

#define X32_BIT 0x40000000u

static void prologue(struct sock_filter *f)
{
  uint32_t max64 = max_known(SCMP_ARCH_X86_64), max32 = max_known(SCMP_ARCH_X86);
  const struct sock_filter pro[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 5, 0), /* x32: libseccomp's rules */
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max64, 3, 4),
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
      /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max32, 0, 1),
      /* 8 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  memcpy(f, pro, sizeof(pro));
}

#define PROLOGUE_LEN 9

/* libseccomp (2.5) refuses SCMP_ACT_ERRNO(4095), which the kernel takes
 * (MAX_ERRNO).  A profile using it is compiled with an errno it does not
 * use in its place, patched back in the program's return instructions. */
#define TOP_ERRNO 4095u

static bool uses_action(const struct sc_profile *p, uint32_t action)
{
  if (p->default_action == action)
    return true;
  for (size_t i = 0; i < p->n_rules; i++)
    if (p->rules[i].action == action)
      return true;
  return false;
}

static uint32_t stand_in_for_top_errno(const struct sc_profile *p)
{
  if (!uses_action(p, SCMP_ACT_ERRNO(TOP_ERRNO)))
    return 0;
  for (uint32_t e = TOP_ERRNO - 1; e > 0; e--)
    if (!uses_action(p, SCMP_ACT_ERRNO(e)))
      return SCMP_ACT_ERRNO(e);
  return 0;
}

static uint32_t compiled_action(uint32_t action, uint32_t stand_in)
{
  return stand_in && action == SCMP_ACT_ERRNO(TOP_ERRNO) ? stand_in : action;
}

static void restore_top_errno(struct sock_filter *f, size_t n, uint32_t stand_in)
{
  for (size_t i = 0; stand_in && i < n; i++)
    if (f[i].code == (BPF_RET | BPF_K) && f[i].k == stand_in)
      f[i].k = SCMP_ACT_ERRNO(TOP_ERRNO);
}

/* One libseccomp rule to add: the `name`th system call of rule `rule`. */
struct entry {
  size_t filter; /* the first rule with the same action and comparisons */
  int nr;
  size_t rule, name;
};

static bool same_filter(const struct sc_rule *a, const struct sc_rule *b)
{
  if (a->action != b->action || a->n_args != b->n_args)
    return false;
  for (unsigned i = 0; i < a->n_args; i++)
    if (a->args[i].index != b->args[i].index || a->args[i].op != b->args[i].op ||
        a->args[i].value != b->args[i].value || a->args[i].value_two != b->args[i].value_two)
      return false;
  return true;
}

static int cmp_size(size_t a, size_t b)
{
  return (a > b) - (a < b);
}

static int by_filter_and_nr(const void *x, const void *y)
{
  const struct entry *a = x, *b = y;
  if (a->filter != b->filter)
    return cmp_size(a->filter, b->filter);
  if (a->nr != b->nr)
    return (a->nr > b->nr) - (a->nr < b->nr);
  if (a->rule != b->rule)
    return cmp_size(a->rule, b->rule);
  return cmp_size(a->name, b->name);
}

static int in_profile_order(const void *x, const void *y)
{
  const struct entry *a = x, *b = y;
  return a->rule != b->rule ? cmp_size(a->rule, b->rule) : cmp_size(a->name, b->name);
}

/* The rules to hand to libseccomp, each (filter, system call) once and in
 * the profile's order.  libseccomp compares a new rule with every rule it
 * holds, so adding the same one n times took time in n^2: a rule naming
 * one call 100,000 times took minutes.  Sorting makes it n log n. */
static struct entry *profile_entries(const struct sc_profile *p, size_t *count)
{
  size_t total = 0;
  for (size_t i = 0; i < p->n_rules; i++)
    if (p->rules[i].action != p->default_action)
      total += strv_len(p->rules[i].names);
  struct entry *e = xcalloc(total + 1, sizeof(*e));
  size_t n = 0;
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct sc_rule *rule = &p->rules[i];
    if (rule->action == p->default_action)
      continue; /* what the default does anyway; libseccomp refuses it */
    size_t filter = i;
    for (size_t j = 0; j < i && filter == i; j++)
      if (same_filter(&p->rules[j], rule))
        filter = j;
    for (size_t k = 0; rule->names && rule->names[k]; k++) {
      int nr = keep_libseccomp()->resolve_name(rule->names[k]);
      if (nr == __NR_SCMP_ERROR)
        continue; /* unknown to this libseccomp: newer than it (the prologue answers ENOSYS) or no call at all */
      e[n++] = (struct entry){.filter = filter, .nr = nr, .rule = i, .name = k};
    }
  }
  qsort(e, n, sizeof(*e), by_filter_and_nr);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (kept == 0 || e[i].filter != e[kept - 1].filter || e[i].nr != e[kept - 1].nr)
      e[kept++] = e[i];
  qsort(e, kept, sizeof(*e), in_profile_order);
  *count = kept;
  return e;
}

/* libseccomp's filter context, released with its scope whatever path
 * leaves it (a refused rule, a failed export). */
static void release_ctx(scmp_filter_ctx *ctx)
{
  if (*ctx)
    keep_libseccomp()->release(*ctx);
}
#define cleanup_scmp __attribute__((cleanup(release_ctx)))

static int add_rules(scmp_filter_ctx ctx, const struct sc_profile *p, uint32_t stand_in, keep_error **err)
{
  size_t n = 0;
  cleanup_free struct entry *entries = profile_entries(p, &n);
  for (size_t i = 0; i < n; i++) {
    const struct sc_rule *rule = &p->rules[entries[i].rule];
    struct scmp_arg_cmp cmp[SC_MAX_ARGS];
    for (unsigned a = 0; a < rule->n_args; a++)
      cmp[a] = (struct scmp_arg_cmp){.arg = rule->args[a].index,
                                     .op = rule->args[a].op,
                                     .datum_a = rule->args[a].value,
                                     .datum_b = rule->args[a].value_two};
    int r = keep_libseccomp()->rule_add_array(ctx, compiled_action(rule->action, stand_in), entries[i].nr,
                                              rule->n_args, cmp);
    if (r < 0) {
      char where[48] = "";
      if (rule->origin >= 0)
        snprintf(where, sizeof(where), " in syscalls[%ld]", rule->origin);
      keep_fail(err, -r, "the rule for `%s`%s is refused by libseccomp", rule->names[entries[i].name], where);
      if (r == -EEXIST)
        keep_error_hint(err, "another rule gives that call, with the same comparisons, another action");
      return -1;
    }
  }
  return 0;
}

int sc_compile(const struct sc_profile *p, unsigned char **bpf, size_t *len, keep_error **err)
{
  uint32_t stand_in = stand_in_for_top_errno(p);
  cleanup_scmp scmp_filter_ctx ctx = keep_libseccomp()->init(compiled_action(p->default_action, stand_in));
  if (ctx == NULL)
    return keep_fail(err, EINVAL, "seccomp_init: defaultAction %#x", p->default_action);
  /* Same rules on the i386 and x32 entry points: neither may be a way round
   * the filter; any other architecture kills the process. */
  int r;
  if (((r = keep_libseccomp()->arch_add(ctx, SCMP_ARCH_X86)) < 0 && r != -EEXIST) ||
      ((r = keep_libseccomp()->arch_add(ctx, SCMP_ARCH_X32)) < 0 && r != -EEXIST) ||
      (r = keep_libseccomp()->attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
      (r = keep_libseccomp()->attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
    return keep_fail(err, -r, "set up the seccomp filter");
  if (add_rules(ctx, p, stand_in, err) < 0)
    return -1;
  cleanup_close int mfd = memfd_create("keep-seccomp", MFD_CLOEXEC);
  if (mfd < 0)
    return keep_fail_errno(err, "memfd_create");
  if ((r = keep_libseccomp()->export_bpf(ctx, mfd)) < 0)
    return keep_fail(err, -r, "seccomp_export_bpf");
  off_t size = lseek(mfd, 0, SEEK_END);
  if (size <= 0 || size % (off_t) sizeof(struct sock_filter) != 0)
    return keep_fail(err, EINVAL, "seccomp_export_bpf produced %lld bytes", (long long) size);
  size_t total = PROLOGUE_LEN * sizeof(struct sock_filter) + (size_t) size;
  cleanup_free unsigned char *out = xmalloc(total);
  prologue((struct sock_filter *) (void *) out);
  ssize_t got = pread(mfd, out + PROLOGUE_LEN * sizeof(struct sock_filter), (size_t) size, 0);
  if (got != size)
    return keep_fail(err, EIO, "read the compiled seccomp filter");
  restore_top_errno((struct sock_filter *) (void *) out + PROLOGUE_LEN,
                    (size_t) size / sizeof(struct sock_filter), stand_in);
  *bpf = steal_pointer(&out);
  *len = total;
  return 0;
}

/* The classic BPF the kernel's seccomp checker accepts (seccomp_check_filter),
 * run as the kernel runs it. */
int sc_bpf_run(const struct sock_filter *f, size_t len, const struct seccomp_data *d, uint32_t *ret)
{
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
  for (size_t pc = 0; pc < len; pc++) {
    const struct sock_filter *in = &f[pc];
    uint32_t k = in->k;
    switch (in->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (k % 4 != 0 || k > sizeof(*d) - 4)
        return -1;
      memcpy(&a, (const unsigned char *) d + k, 4);
      break;
    case BPF_LD | BPF_W | BPF_LEN: a = sizeof(*d); break;
    case BPF_LDX | BPF_W | BPF_LEN: x = sizeof(*d); break;
    case BPF_LD | BPF_IMM: a = k; break;
    case BPF_LDX | BPF_IMM: x = k; break;
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
      if (k >= BPF_MEMWORDS)
        return -1;
      if (in->code == (BPF_LD | BPF_MEM))
        a = mem[k];
      else if (in->code == (BPF_LDX | BPF_MEM))
        x = mem[k];
      else
        mem[k] = in->code == BPF_ST ? a : x;
      break;
    case BPF_MISC | BPF_TAX: x = a; break;
    case BPF_MISC | BPF_TXA: a = x; break;
    case BPF_ALU | BPF_NEG: a = -a; break;
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X: {
      uint32_t v = BPF_SRC(in->code) == BPF_X ? x : k;
      switch (BPF_OP(in->code)) {
      case BPF_ADD: a += v; break;
      case BPF_SUB: a -= v; break;
      case BPF_MUL: a *= v; break;
      case BPF_DIV:
        if (v == 0)
          return -1;
        a /= v;
        break;
      case BPF_AND: a &= v; break;
      case BPF_OR: a |= v; break;
      case BPF_XOR: a ^= v; break;
      case BPF_LSH: a = v < 32 ? a << v : 0; break;
      default: a = v < 32 ? a >> v : 0; break;
      }
      break;
    }
    case BPF_JMP | BPF_JA: pc += k; break;
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X: {
      uint32_t v = BPF_SRC(in->code) == BPF_X ? x : k;
      bool t;
      switch (BPF_OP(in->code)) {
      case BPF_JEQ: t = a == v; break;
      case BPF_JGT: t = a > v; break;
      case BPF_JGE: t = a >= v; break;
      default: t = (a & v) != 0; break;
      }
      pc += t ? in->jt : in->jf;
      break;
    }
    case BPF_RET | BPF_K: *ret = k; return 0;
    case BPF_RET | BPF_A: *ret = a; return 0;
    default: return -1;
    }
  }
  return -1; /* ran off the end: the kernel refuses such a program */
}
