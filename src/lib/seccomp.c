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
#include "util.h"

struct keep_seccomp {
  struct sock_fprog prog;
  unsigned int flags;
  unsigned char *owned;   /* NULL when prog points at the built-in filter */
};

int keep_seccomp_prepare(const char *profile_path, uint64_t cap_add, const char *cache_dir,
                         struct keep_seccomp **out, keep_error **err)
{
  (void) cache_dir;
  struct keep_seccomp *s = xcalloc(1, sizeof(*s));
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
  size_t len = 0;
  int r = sc_compile(&p, &s->owned, &len, err);
  sc_profile_free(&p);
  if (r < 0) {
    free(s);
    return profile_path ? keep_error_wrap(err, "seccomp profile `%s`", profile_path) : -1;
  }
  if (len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    free(s->owned);
    free(s);
    return keep_fail(err, E2BIG, "seccomp profile `%s` compiles to more than %d instructions",
                     profile_path ? profile_path : "default", BPF_MAXINSNS);
  }
  s->prog.filter = (struct sock_filter *) (void *) s->owned;
  s->prog.len = (unsigned short) (len / sizeof(struct sock_filter));
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
  json_t *j = r < 0 ? NULL : json_loads(buf, 0, NULL);
  free(buf);
  return j;
}

int keep_seccomp_prepare_json(json_t *obj, const char *label, struct keep_seccomp **out,
                              keep_error **err)
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
  struct keep_seccomp *s = xcalloc(1, sizeof(*s));
  size_t len = 0;
  int r = sc_compile(&p, &s->owned, &len, err);
  s->flags = p.flags;
  sc_profile_free(&p);
  if (r < 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    free(s->owned);
    free(s);
    if (r == 0)
      keep_fail(err, E2BIG, "seccomp profile `%s` compiles to more than %d instructions", label, BPF_MAXINSNS);
    return keep_error_wrap(err, "seccomp profile `%s`", label);
  }
  s->prog.filter = (struct sock_filter *) (void *) s->owned;
  s->prog.len = (unsigned short) (len / sizeof(struct sock_filter));
  *out = s;
  return 0;
}

int keep_seccomp_install(const struct keep_seccomp *f, keep_error **err)
{
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog) < 0)
    return keep_fail_errno(err, "seccomp(SECCOMP_SET_MODE_FILTER)");
  return 0;
}

void keep_seccomp_free(struct keep_seccomp *f)
{
  if (f == NULL)
    return;
  free(f->owned);
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
