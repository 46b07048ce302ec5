/* Turning a profile into BPF with libseccomp, plus keep's ENOSYS prologue. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "seccomp_internal.h"
#include "util.h"

void sc_profile_add(struct sc_profile *p, const char *names, uint32_t action,
                    const struct sc_arg *args, unsigned n_args)
{
  p->rules = xrealloc(p->rules, (p->n_rules + 1) * sizeof(*p->rules));
  struct sc_rule *r = &p->rules[p->n_rules++];
  memset(r, 0, sizeof(*r));
  cleanup_free char *copy = xstrdup(names);
  char *save = NULL;
  for (char *n = strtok_r(copy, " ", &save); n; n = strtok_r(NULL, " ", &save))
    strv_push(&r->names, n);
  r->action = action;
  r->n_args = n_args > 6 ? 6 : n_args;
  if (n_args)
    memcpy(r->args, args, r->n_args * sizeof(*args));
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
    char *name = seccomp_syscall_resolve_num_arch(arch, nr);
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
    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 5, 0),   /* x32: libseccomp's rules */
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

int sc_compile(const struct sc_profile *p, unsigned char **bpf, size_t *len, keep_error **err)
{
  uint32_t stand_in = stand_in_for_top_errno(p);
  scmp_filter_ctx ctx = seccomp_init(compiled_action(p->default_action, stand_in));
  int r;
  if (ctx == NULL)
    return keep_fail(err, ENOMEM, "seccomp_init");
  /* Same rules on the i386 and x32 entry points: neither may be a way round
   * the filter; any other architecture kills the process. */
  if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && r != -EEXIST)
    goto fail_r;
  if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && r != -EEXIST)
    goto fail_r;
  if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
    goto fail_r;
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct sc_rule *rule = &p->rules[i];
    if (rule->action == p->default_action)
      continue;
    struct scmp_arg_cmp cmp[6];
    for (unsigned a = 0; a < rule->n_args; a++)
      cmp[a] = (struct scmp_arg_cmp){.arg = rule->args[a].index, .op = rule->args[a].op,
                                     .datum_a = rule->args[a].value, .datum_b = rule->args[a].value_two};
    for (size_t n = 0; rule->names && rule->names[n]; n++) {
      int nr = seccomp_syscall_resolve_name(rule->names[n]);
      if (nr == __NR_SCMP_ERROR)
        continue;   /* unknown to this libseccomp: stays denied */
      r = seccomp_rule_add_array(ctx, compiled_action(rule->action, stand_in), nr, rule->n_args, cmp);
      if (r < 0) {
        seccomp_release(ctx);
        return keep_fail(err, -r, "seccomp rule for `%s`", rule->names[n]);
      }
    }
  }
  int mfd = memfd_create("keep-seccomp", MFD_CLOEXEC);
  if (mfd < 0) {
    seccomp_release(ctx);
    return keep_fail_errno(err, "memfd_create");
  }
  r = seccomp_export_bpf(ctx, mfd);
  seccomp_release(ctx);
  if (r < 0) {
    close(mfd);
    return keep_fail(err, -r, "seccomp_export_bpf");
  }
  off_t size = lseek(mfd, 0, SEEK_END);
  if (size <= 0 || size % (off_t) sizeof(struct sock_filter) != 0) {
    close(mfd);
    return keep_fail(err, EINVAL, "seccomp_export_bpf produced %lld bytes", (long long) size);
  }
  size_t total = PROLOGUE_LEN * sizeof(struct sock_filter) + (size_t) size;
  unsigned char *out = xmalloc(total);
  prologue((struct sock_filter *) out);
  ssize_t got = pread(mfd, out + PROLOGUE_LEN * sizeof(struct sock_filter), (size_t) size, 0);
  close(mfd);
  if (got != size) {
    free(out);
    return keep_fail(err, EIO, "read the compiled seccomp filter");
  }
  restore_top_errno((struct sock_filter *) (void *) out, total / sizeof(struct sock_filter), stand_in);
  *bpf = out;
  *len = total;
  return 0;
fail_r:
  seccomp_release(ctx);
  return keep_fail(err, -r, "set up the seccomp filter");
}
