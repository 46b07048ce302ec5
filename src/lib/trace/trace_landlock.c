/* Paths seen, and the directory rules they reduce to. */
#include "trace_landlock.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "landlock.h"
#include "util.h"

void trace_paths_free(struct trace_paths *p)
{
  strv_free(p->v);
  p->v = NULL;
  p->n = 0;
}

void trace_paths_add_entry(struct trace_paths *p, const char *entry)
{
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(p->v[mid], entry);
    if (c == 0)
      return;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  p->v = xrealloc(p->v, (p->n + 2) * sizeof(*p->v));
  memmove(&p->v[lo + 1], &p->v[lo], (p->n - lo) * sizeof(*p->v));
  p->v[lo] = xstrdup(entry);
  p->v[++p->n] = NULL;
}

void trace_paths_add(struct trace_paths *p, unsigned access, const char *dir)
{
  cleanup_free char *e = xasprintf("%s %s", keep_landlock_access_name(access), dir);
  trace_paths_add_entry(p, e);
}

char *trace_path_join(const char *base, const char *path)
{
  if (path[0] != '/' && (base == NULL || base[0] != '/'))
    return NULL;
  cleanup_free char *all = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", base, path);
  char *out = xmalloc(strlen(all) + 2);
  size_t len = 0;
  char *save = NULL;
  for (char *c = strtok_r(all, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0) {
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 0)
        len--; /* the slash before it; ".." of "/" is "/" */
      continue;
    }
    out[len++] = '/';
    size_t n = strlen(c);
    memcpy(out + len, c, n);
    len += n;
  }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

char *trace_path_dir(const char *path)
{
  const char *slash = strrchr(path, '/');
  if (slash == NULL || slash == path)
    return xstrdup("/");
  return xasprintf("%.*s", (int) (slash - path), path);
}

/* The first `levels` components of an absolute path. */
static char *top(const char *path, int levels)
{
  const char *c = path;
  for (int i = 0; i < levels && *c; i++) {
    c++;
    c += strcspn(c, "/");
  }
  return c == path ? xstrdup("/") : xasprintf("%.*s", (int) (c - path), path);
}

static bool beneath(const char *path, const char *ancestor)
{
  size_t n = strlen(ancestor);
  if (strcmp(ancestor, "/") == 0)
    return true;
  return strncmp(path, ancestor, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The access of an entry "ACCESS PATH". */
static unsigned access_of(const char *entry)
{
  return str_has_prefix(entry, "write ")  ? KEEP_LL_WRITE
         : str_has_prefix(entry, "exec ") ? KEEP_LL_EXEC
                                          : KEEP_LL_READ;
}

/* What each access also grants (keep_landlock_apply_rules): exec and write
 * read too. */
static bool grants(unsigned have, unsigned want)
{
  return have == want || want == KEEP_LL_READ;
}

char *trace_paths_rules(const struct trace_paths *p)
{
  struct trace_paths widened = {0};
  for (size_t i = 0; i < p->n; i++) {
    const char *path = strchr(p->v[i], ' ') + 1;
    unsigned access = access_of(p->v[i]);
    cleanup_free char *dir = NULL;
    if (access == KEEP_LL_WRITE)
      dir = xstrdup(path);
    else if (beneath(path, "/proc") || beneath(path, "/sys"))
      dir = top(path, 1); /* /proc/123 of one run is another's /proc/456 */
    else
      dir = top(path, 2);
    trace_paths_add(&widened, access, dir);
  }
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    die("open_memstream");
  fprintf(f, "# keep landlock rules (keep trace --landlock-out): ACCESS PATH, access beneath PATH;\n"
             "# read: read and list; exec: also execute; write: also create, remove, write.\n"
             "# Anything not named is denied.  keep run --security-opt landlock=THIS-FILE\n");
  for (size_t i = 0; i < widened.n; i++) {
    const char *sp = strchr(widened.v[i], ' ');
    unsigned access = access_of(widened.v[i]);
    bool covered = false;
    for (size_t k = 0; k < widened.n && !covered; k++) {
      if (k == i)
        continue;
      const char *ksp = strchr(widened.v[k], ' ');
      unsigned kacc = access_of(widened.v[k]);
      bool same_path = strcmp(ksp + 1, sp + 1) == 0;
      /* An ancestor granting it, or the same path granting more. */
      if (grants(kacc, access) && beneath(sp + 1, ksp + 1) && (!same_path || kacc != access))
        covered = true;
    }
    if (!covered)
      fprintf(f, "%s\n", widened.v[i]);
  }
  fclose(f);
  trace_paths_free(&widened);
  return text;
}
