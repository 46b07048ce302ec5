/* Names of layer entries (layer_unpack.c): keep_layer_path_clean, which
 * every tar entry name and hard-link target goes through before anything
 * is created.
 * Invariants: refused exactly when the name is empty, absolute or has a
 * `..` component; a clean name is relative, has no `.`, `..` or empty
 * component and no trailing slash, keeps every other component in order,
 * and cleaning it again changes nothing. */
#include <string.h>

#include "fuzz.h"
#include "layer_unpack.h"
#include "util.h"

/* The components of `s` other than "" and ".", joined by '/'. */
static char *reference_clean(const char *s, bool *dotdot)
{
  char *out = xmalloc(strlen(s) + 1);
  size_t n = 0;
  *dotdot = false;
  for (const char *p = s; *p;) {
    size_t cl = strcspn(p, "/");
    if (cl == 2 && p[0] == '.' && p[1] == '.')
      *dotdot = true;
    if (cl > 0 && !(cl == 1 && p[0] == '.')) {
      if (n)
        out[n++] = '/';
      memcpy(out + n, p, cl);
      n += cl;
    }
    p += cl;
    p += strspn(p, "/");
  }
  out[n] = '\0';
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *name = fuzz_strndup(data, size);
  cleanup_free char *clean = NULL;
  keep_error *err = NULL;
  int ret = keep_layer_path_clean(name, &clean, &err);
  fuzz_error_done(&err, ret);
  bool dotdot;
  cleanup_free char *want = reference_clean(name, &dotdot);
  bool refuse = name[0] == '\0' || name[0] == '/' || dotdot;
  FUZZ_CHECK((ret < 0) == refuse, "`%s`: %s", name, ret < 0 ? "refused" : "accepted");
  if (ret < 0)
    return 0;
  FUZZ_CHECK(clean[0] != '/', "`%s` cleaned to an absolute `%s`", name, clean);
  FUZZ_CHECK(strcmp(clean, want) == 0, "`%s` cleaned to `%s`, expected `%s`", name, clean, want);
  size_t n = strlen(clean);
  FUZZ_CHECK(n <= strlen(name), "`%s` grew", name);
  FUZZ_CHECK(n == 0 || clean[n - 1] != '/', "`%s`: trailing slash in `%s`", name, clean);
  FUZZ_CHECK(strstr(clean, "//") == NULL, "`%s`: empty component in `%s`", name, clean);
  for (const char *p = clean; *p;) {
    size_t cl = strcspn(p, "/");
    FUZZ_CHECK(!(cl == 2 && p[0] == '.' && p[1] == '.'), "`%s`: `..` in `%s`", name, clean);
    FUZZ_CHECK(!(cl == 1 && p[0] == '.'), "`%s`: `.` in `%s`", name, clean);
    p += cl;
    p += *p == '/';
  }
  /* Idempotent: a cleaned name is its own clean form ("" is the root,
   * which the caller skips before cleaning again). */
  if (n > 0) {
    cleanup_free char *again = NULL;
    ret = keep_layer_path_clean(clean, &again, &err);
    fuzz_error_done(&err, ret);
    FUZZ_CHECK(ret == 0 && strcmp(again, clean) == 0, "cleaning `%s` again gave `%s`", clean,
               again ? again : "(refused)");
  }
  return 0;
}
