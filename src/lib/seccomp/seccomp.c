/* The seccomp filter of a container: prepared in keep's parent (so a bad
 * profile fails before anything exists), installed last before exec. */
#include "seccomp_filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_default_bpf.h"
#include "seccomp_internal.h"
#include "libseccomp.h"
#include "util.h"

struct keep_seccomp *sc_seccomp_new(void)
{
  struct keep_seccomp *s = xcalloc(1, sizeof(*s));
  s->handover_sock = -1;
  return s;
}

/* Compile `p` into `prog`, within the kernel's instruction limit. */
int sc_compile_prog(const struct sc_profile *p, struct sock_fprog *prog, unsigned char **owned,
                    keep_error **err)
{
  size_t len = 0;
  if (sc_compile(p, owned, &len, err) < 0)
    return -1;
  if (len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    free(*owned);
    *owned = NULL;
    return keep_fail(err, E2BIG, "compiles to more than %d instructions", BPF_MAXINSNS);
  }
  prog->filter = (struct sock_filter *) (void *) *owned;
  prog->len = (unsigned short) (len / sizeof(struct sock_filter));
  return 0;
}

/* What the filter answers, in a profile's words. */
static void describe_action(uint32_t ret, char *buf, size_t len)
{
  switch (ret & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_KILL_PROCESS: snprintf(buf, len, "SCMP_ACT_KILL_PROCESS"); break;
  case SECCOMP_RET_KILL_THREAD: snprintf(buf, len, "SCMP_ACT_KILL"); break;
  case SECCOMP_RET_TRAP: snprintf(buf, len, "SCMP_ACT_TRAP"); break;
  case SECCOMP_RET_ERRNO: snprintf(buf, len, "SCMP_ACT_ERRNO, errno %u", ret & SECCOMP_RET_DATA); break;
  default: snprintf(buf, len, "action %#x", ret); break;
  }
}

/* keep's own last step runs under the filter: after loading it, keep
 * starts the container's process with execve.  A profile that denies
 * execve can never start anything, and keep could not even say so: such a
 * profile mostly denies write and exit_group too, and the process died of
 * SIGSEGV (glibc's _exit falls through to a faulting instruction) or SIGSYS
 * with no word, as exit status 139 or 159.
 *
 * crun adds nothing to a profile implicitly, and neither does keep: an
 * implicit allow (execve, write, exit_group) would widen, for every process
 * of the container, a profile its operator wrote.  Instead the compiled
 * filter is run here on execve, in the parent before anything exists, and
 * a profile that denies it is refused in one line.  When the answer depends
 * on execve's arguments (pointers, unknown before), the profile is taken. */
int sc_check_exec_allowed(const struct sock_fprog *prog, const char *label, keep_error **err)
{
  static const uint64_t samples[] = {0, UINT64_MAX, 0x00007ffc00001000ULL};
  uint32_t ret = 0;
  for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
    struct seccomp_data d = {.nr = __NR_execve, .arch = keep_libseccomp()->arch_native()};
    for (size_t a = 0; a < ARRAY_SIZE(d.args); a++)
      d.args[a] = samples[i];
    if (sc_bpf_run(prog->filter, prog->len, &d, &ret) < 0)
      return 0; /* cannot tell: the kernel will */
    switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_TRACE: /* a tracer may let it through */
    case SECCOMP_RET_USER_NOTIF: /* so may the seccomp agent */ return 0;
    default: break;
    }
  }
  char what[64];
  describe_action(ret, what, sizeof(what));
  keep_fail(err, 0,
            "seccomp profile `%s`: execve is denied (%s): keep starts the container's process with execve "
            "after loading the filter",
            label, what);
  return keep_error_hint(err, "allow execve in the profile");
}

int keep_seccomp_prepare(const char *profile_path, uint64_t cap_add, const char *cache_dir,
                         struct keep_seccomp **out, keep_error **err)
{
  (void) cache_dir;
  struct keep_seccomp *s = sc_seccomp_new();
  if (profile_path == NULL && (cap_add & sc_widening_caps()) == 0) {
    /* The common case: the filter compiled at build time, used as is. */
    s->prog.filter = (struct sock_filter *) (void *) keep_seccomp_default_bpf;
    s->prog.len = (unsigned short) (sizeof(keep_seccomp_default_bpf) / sizeof(struct sock_filter));
    *out = s;
    return 0;
  }
  struct sc_profile p = {0};
  if (profile_path) {
    if (sc_parse_json(profile_path, cap_add, &p, err) < 0) {
      free(s);
      return -1;
    }
  } else {
    sc_default_profile(cap_add, &p);
  }
  int r = 0;
  if (sc_profile_has_notify(&p))
    r = keep_fail(err, ENOTSUP,
                  "seccomp profile `%s`: SCMP_ACT_NOTIFY is supported in OCI mode only "
                  "(linux.seccomp.listenerPath in config.json)",
                  profile_path);
  else if (sc_compile_prog(&p, &s->prog, &s->owned, err) < 0)
    r = keep_error_wrap(err, "seccomp profile `%s`", profile_path ? profile_path : "default");
  else
    r = sc_check_exec_allowed(&s->prog, profile_path ? profile_path : "default", err);
  sc_profile_free(&p);
  if (r < 0) {
    keep_seccomp_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

static json_t *default_profile_json(void)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    return NULL;
  struct sc_profile p;
  sc_default_profile(0, &p);
  int r = sc_print_json(&p, f, NULL);
  sc_profile_free(&p);
  fclose(f);
  json_t *j = r < 0 ? NULL : keep_json_parse(buf, len, 0, "the default seccomp profile", NULL);
  free(buf);
  return j;
}

/* SCMP_ACT_NOTIFY rules: moved out of `p` into a filter of their own, with
 * where its listener goes. */
static int prepare_listener(json_t *obj, const char *label, struct sc_profile *p, struct keep_seccomp *s,
                            keep_error **err)
{
  const char *path = json_string_value(json_object_get(obj, "listenerPath"));
  const char *meta = json_string_value(json_object_get(obj, "listenerMetadata"));
  if (path == NULL)
    return keep_fail(err, 0,
                     "seccomp profile `%s`: SCMP_ACT_NOTIFY needs listenerPath (the socket the listener "
                     "is sent to)",
                     label);
  struct sc_profile lp = {0};
  int r = sc_profile_split_notify(p, &lp, label, err);
  if (r == 0 && (r = sc_compile_prog(&lp, &s->listener, &s->listener_owned, err)) < 0)
    keep_error_wrap(err, "seccomp profile `%s`: the SCMP_ACT_NOTIFY rules", label);
  s->listener_flags = lp.flags;
  sc_profile_free(&lp);
  if (r < 0)
    return -1;
  s->listener_path = xstrdup(path);
  s->listener_metadata = meta ? xstrdup(meta) : NULL;
  return 0;
}

int keep_seccomp_prepare_json(json_t *obj, const char *label, struct keep_seccomp **out, keep_error **err)
{
  /* keep's own profile (as `keep spec` writes it) is already compiled:
   * compiling it again with libseccomp would cost ~10 ms per start. */
  json_t *def = default_profile_json();
  bool is_default = def && json_equal(obj, def);
  json_decref(def);
  if (is_default)
    return keep_seccomp_prepare(NULL, 0, NULL, out, err);
  struct sc_profile p = {0};
  if (sc_parse_json_obj(obj, label, 0, &p, err) < 0)
    return -1;
  struct keep_seccomp *s = sc_seccomp_new();
  s->flags = p.flags;
  int r = sc_profile_has_notify(&p) ? prepare_listener(obj, label, &p, s, err) : 0;
  if (r == 0 && sc_compile_prog(&p, &s->prog, &s->owned, err) < 0)
    r = keep_error_wrap(err, "seccomp profile `%s`", label);
  if (r == 0)
    r = sc_check_exec_allowed(&s->prog, label, err);
  sc_profile_free(&p);
  if (r < 0) {
    keep_seccomp_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

const char *keep_seccomp_listener_path(const struct keep_seccomp *f)
{
  return f ? f->listener_path : NULL;
}

const char *keep_seccomp_listener_metadata(const struct keep_seccomp *f)
{
  return f ? f->listener_metadata : NULL;
}

int keep_seccomp_install_listener(const struct keep_seccomp *f, keep_error **err)
{
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    f->listener_flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &f->listener);
  if (fd < 0)
    return keep_fail_errno(err, "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)");
  return (int) fd;
}

int keep_seccomp_install(const struct keep_seccomp *f, keep_error **err)
{
  if (f->handover_sock >= 0)
    return sc_install_observed(f, err);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog) < 0)
    return keep_fail_errno(err, "seccomp(SECCOMP_SET_MODE_FILTER)");
  return 0;
}

void keep_seccomp_free(struct keep_seccomp *f)
{
  if (f == NULL)
    return;
  free(f->owned);
  free(f->listener_owned);
  free(f->decide_owned);
  free(f->listener_path);
  free(f->listener_metadata);
  free(f);
}

int keep_seccomp_print_default(FILE *out, keep_error **err)
{
  struct sc_profile p;
  sc_default_profile(0, &p);
  int r = sc_print_json(&p, out, err);
  sc_profile_free(&p);
  return r;
}
