/* Package versions ordered exactly as the package managers order them:
 * dpkg's (deb-version(7), lib/dpkg/version.c) and apk's (apk-tools'
 * version.c), so a vulnerability fixed in a version is never reported for
 * that version or a later one. */
#include "pkgver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* dpkg: letters sort before other characters, `~` before everything, even
 * the end of the string. */
static int dpkg_order(int c)
{
  if (isdigit(c))
    return 0;
  if (isalpha(c))
    return c;
  if (c == '~')
    return -1;
  if (c)
    return c + 256;
  return 0;
}

static int dpkg_verrevcmp(const char *a, const char *b)
{
  while (*a || *b) {
    int first_diff = 0;
    while ((*a && !isdigit((unsigned char) *a)) || (*b && !isdigit((unsigned char) *b))) {
      int ac = dpkg_order((unsigned char) *a), bc = dpkg_order((unsigned char) *b);
      if (ac != bc)
        return ac - bc;
      a++;
      b++;
    }
    while (*a == '0')
      a++;
    while (*b == '0')
      b++;
    while (isdigit((unsigned char) *a) && isdigit((unsigned char) *b)) {
      if (!first_diff)
        first_diff = *a - *b;
      a++;
      b++;
    }
    if (isdigit((unsigned char) *a))
      return 1;
    if (isdigit((unsigned char) *b))
      return -1;
    if (first_diff)
      return first_diff;
  }
  return 0;
}

struct dpkg_version {
  unsigned long epoch;
  char *upstream, *revision; /* one allocation: upstream's */
};

static void dpkg_parse(const char *v, struct dpkg_version *out)
{
  const char *colon = strchr(v, ':');
  out->epoch = colon ? strtoul(v, NULL, 10) : 0;
  out->upstream = xstrdup(colon ? colon + 1 : v);
  char *hyphen = strrchr(out->upstream, '-');
  if (hyphen) {
    *hyphen = '\0';
    out->revision = hyphen + 1;
  } else {
    out->revision = out->upstream + strlen(out->upstream); /* "" */
  }
}

int keep_dpkg_vercmp(const char *a, const char *b)
{
  struct dpkg_version x, y;
  dpkg_parse(a, &x);
  dpkg_parse(b, &y);
  int r = x.epoch != y.epoch ? (x.epoch < y.epoch ? -1 : 1) : dpkg_verrevcmp(x.upstream, y.upstream);
  if (r == 0)
    r = dpkg_verrevcmp(x.revision, y.revision);
  free(x.upstream);
  free(y.upstream);
  return r < 0 ? -1 : r > 0;
}

/* apk: numbers separated by dots, an optional letter, suffixes (_alpha <
 * _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p, each with an
 * optional number), then -rN. */
static const char *const apk_suffixes[] = {"alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"};
#define APK_NO_SUFFIX 4

struct apk_version {
  unsigned long nums[16];
  size_t n_nums;
  int letter;
  int suffix[8];
  unsigned long suffix_num[8];
  size_t n_suffix;
  unsigned long rev;
};

static void apk_parse(const char *v, struct apk_version *o)
{
  memset(o, 0, sizeof(*o));
  const char *p = v;
  while (isdigit((unsigned char) *p)) {
    char *end;
    unsigned long n = strtoul(p, &end, 10);
    if (o->n_nums < ARRAY_SIZE(o->nums))
      o->nums[o->n_nums++] = n;
    p = end;
    if (*p == '.' && isdigit((unsigned char) p[1]))
      p++;
    else
      break;
  }
  if (islower((unsigned char) *p))
    o->letter = *p++;
  while (*p == '_') {
    p++;
    int rank = APK_NO_SUFFIX;
    for (size_t i = 0; i < ARRAY_SIZE(apk_suffixes); i++) {
      size_t n = strlen(apk_suffixes[i]);
      if (n && strncmp(p, apk_suffixes[i], n) == 0 && !islower((unsigned char) p[n])) {
        rank = (int) i;
        p += n;
        break;
      }
    }
    unsigned long num = strtoul(p, (char **) &p, 10);
    if (o->n_suffix < ARRAY_SIZE(o->suffix)) {
      o->suffix[o->n_suffix] = rank;
      o->suffix_num[o->n_suffix++] = num;
    }
  }
  if (strncmp(p, "-r", 2) == 0)
    o->rev = strtoul(p + 2, NULL, 10);
}

static int cmp_ul(unsigned long a, unsigned long b)
{
  return a < b ? -1 : a > b;
}

int keep_apk_vercmp(const char *a, const char *b)
{
  struct apk_version x, y;
  apk_parse(a, &x);
  apk_parse(b, &y);
  for (size_t i = 0; i < x.n_nums && i < y.n_nums; i++)
    if (x.nums[i] != y.nums[i])
      return cmp_ul(x.nums[i], y.nums[i]);
  if (x.n_nums != y.n_nums)
    return x.n_nums < y.n_nums ? -1 : 1; /* 1.2 < 1.2.1 */
  if (x.letter != y.letter)
    return x.letter < y.letter ? -1 : 1;
  for (size_t i = 0; i < x.n_suffix || i < y.n_suffix; i++) {
    int rx = i < x.n_suffix ? x.suffix[i] : APK_NO_SUFFIX, ry = i < y.n_suffix ? y.suffix[i] : APK_NO_SUFFIX;
    if (rx != ry)
      return rx < ry ? -1 : 1;
    unsigned long nx = i < x.n_suffix ? x.suffix_num[i] : 0, ny = i < y.n_suffix ? y.suffix_num[i] : 0;
    if (nx != ny)
      return cmp_ul(nx, ny);
  }
  return cmp_ul(x.rev, y.rev);
}
