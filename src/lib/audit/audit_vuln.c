/* Known vulnerabilities, offline: the packages an image's dpkg or apk
 * database lists, matched against a directory of OSV records (the format
 * OSV publishes for Debian and Alpine), versions compared exactly as dpkg
 * and apk compare them (pkgver.c).  Nothing is fetched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "pkgver.h"
#include "util.h"

enum pkg_kind { PKG_DPKG, PKG_APK };

struct pkg {
  char *name, *version; /* the source package (what OSV names), its version */
};

struct scan {
  enum pkg_kind kind;
  char *ecosystem; /* "Debian:12", "Alpine:v3.18" */
  struct pkg *pkgs;
  size_t n, cap;
  const char *db_file; /* where the packages were listed */
};

/* The content of `path` in the image: the topmost layer that has it, or
 * NULL when none does or it was deleted (an overlay whiteout, 0:0). */
static char *image_file(char *const *dirs, const char *path)
{
  size_t n = strv_len(dirs);
  for (size_t i = n; i-- > 0;) {
    cleanup_free char *p = xasprintf("%s%s", dirs[i], path);
    struct stat st;
    if (lstat(p, &st) < 0)
      continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
      return NULL;
    if (!S_ISREG(st.st_mode) || st.st_size > (64 << 20))
      return NULL;
    char *text = NULL;
    return read_file_at(AT_FDCWD, p, &text, NULL, NULL) < 0 ? NULL : text;
  }
  return NULL;
}

static char *field(const char *para, size_t len, const char *name)
{
  size_t n = strlen(name);
  for (const char *l = para; l < para + len;) {
    const char *nl = memchr(l, '\n', (size_t) (para + len - l));
    size_t ll = nl ? (size_t) (nl - l) : (size_t) (para + len - l);
    if (ll > n && strncmp(l, name, n) == 0) {
      const char *v = l + n;
      while (*v == ' ')
        v++;
      return xasprintf("%.*s", (int) (l + ll - v), v);
    }
    l = nl ? nl + 1 : para + len;
  }
  return NULL;
}

static void add_pkg(struct scan *s, const char *name, const char *version)
{
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 256;
    s->pkgs = xrealloc(s->pkgs, s->cap * sizeof(*s->pkgs));
  }
  s->pkgs[s->n++] = (struct pkg){xstrdup(name), xstrdup(version)};
}

/* dpkg's status: paragraphs; OSV names Debian's source packages. */
static void parse_dpkg(struct scan *s, const char *text)
{
  for (const char *p = text; p && *p;) {
    const char *end = strstr(p, "\n\n");
    size_t len = end ? (size_t) (end - p) : strlen(p);
    cleanup_free char *pkg = field(p, len, "Package:"), *status = field(p, len, "Status:"),
                      *ver = field(p, len, "Version:"), *src = field(p, len, "Source:");
    if (pkg && ver && (!status || strstr(status, " installed"))) {
      char *name = src ? src : pkg, *version = ver;
      char *paren = src ? strchr(src, '(') : NULL;
      if (paren) { /* "openssl (3.0.11-1)": the source's own version */
        char *close = strchr(paren, ')');
        if (close) {
          *close = '\0';
          version = paren + 1;
        }
        while (paren > src && paren[-1] == ' ')
          paren--;
        *paren = '\0';
      }
      add_pkg(s, name, version);
    }
    p = end ? end + 2 : NULL;
  }
}

/* apk's installed: records of "K:value" lines; OSV names the origin. */
static void parse_apk(struct scan *s, const char *text)
{
  for (const char *p = text; p && *p;) {
    const char *end = strstr(p, "\n\n");
    size_t len = end ? (size_t) (end - p) : strlen(p);
    cleanup_free char *name = field(p, len, "P:"), *ver = field(p, len, "V:"), *origin = field(p, len, "o:");
    if (name && ver)
      add_pkg(s, origin ? origin : name, ver);
    p = end ? end + 2 : NULL;
  }
}

static char *os_release(char *const *dirs, const char *key)
{
  cleanup_free char *t = image_file(dirs, "/etc/os-release");
  if (t == NULL)
    t = image_file(dirs, "/usr/lib/os-release");
  if (t == NULL)
    return NULL;
  cleanup_free char *k = xasprintf("%s=", key);
  char *v = field(t, strlen(t), k);
  if (v && *v == '"') {
    memmove(v, v + 1, strlen(v));
    char *q = strchr(v, '"');
    if (q)
      *q = '\0';
  }
  return v;
}

static int by_name(const void *a, const void *b)
{
  return strcmp(((const struct pkg *) a)->name, ((const struct pkg *) b)->name);
}

static int cmp_version(const struct scan *s, const char *a, const char *b)
{
  return s->kind == PKG_DPKG ? keep_dpkg_vercmp(a, b) : keep_apk_vercmp(a, b);
}

/* Is `v` inside one of the affected entry's ranges or versions? */
static const char *affected_fix(const struct scan *s, json_t *aff, const char *v, bool *hit)
{
  *hit = false;
  const char *fix = NULL;
  size_t i;
  json_t *x;
  json_array_foreach (json_object_get(aff, "versions"), i, x) {
    if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
      *hit = true;
  }
  json_t *range;
  json_array_foreach (json_object_get(aff, "ranges"), i, range) {
    if (strcmp(json_string_value(json_object_get(range, "type")) ?: "", "ECOSYSTEM") != 0)
      continue;
    const char *introduced = NULL;
    size_t j;
    json_t *ev;
    json_array_foreach (json_object_get(range, "events"), j, ev) {
      const char *in = json_string_value(json_object_get(ev, "introduced"));
      const char *fixed = json_string_value(json_object_get(ev, "fixed"));
      const char *last = json_string_value(json_object_get(ev, "last_affected"));
      if (in) {
        introduced = in;
        continue;
      }
      if (!introduced)
        continue;
      bool after = strcmp(introduced, "0") == 0 || cmp_version(s, v, introduced) >= 0;
      if (fixed && after && cmp_version(s, v, fixed) < 0) {
        *hit = true;
        fix = fixed;
      }
      if (last && after && cmp_version(s, v, last) <= 0)
        *hit = true;
      if (fixed || last)
        introduced = NULL;
    }
    /* An introduction with no end: every later version. */
    if (introduced && (strcmp(introduced, "0") == 0 || cmp_version(s, v, introduced) >= 0))
      *hit = true;
  }
  return fix;
}

static void match_record(const struct scan *s, json_t *rec, size_t *found, struct keep_findings *f)
{
  const char *id = json_string_value(json_object_get(rec, "id"));
  size_t i;
  json_t *aff;
  json_array_foreach (json_object_get(rec, "affected"), i, aff) {
    json_t *pkg = json_object_get(aff, "package");
    const char *eco = json_string_value(json_object_get(pkg, "ecosystem"));
    const char *name = json_string_value(json_object_get(pkg, "name"));
    if (!eco || !name || strcmp(eco, s->ecosystem) != 0)
      continue;
    struct pkg key = {.name = (char *) name};
    struct pkg *p = bsearch(&key, s->pkgs, s->n, sizeof(*s->pkgs), by_name);
    /* Several binaries of one source: walk back to the first. */
    while (p && p > s->pkgs && strcmp(p[-1].name, name) == 0)
      p--;
    for (; p && p < s->pkgs + s->n && strcmp(p->name, name) == 0; p++) {
      if (p > s->pkgs && strcmp(p[-1].name, p->name) == 0 && strcmp(p[-1].version, p->version) == 0)
        continue; /* the same source and version, already matched */
      bool hit;
      const char *fix = affected_fix(s, aff, p->version, &hit);
      if (!hit)
        continue;
      (*found)++;
      json_t *aliases = json_object_get(rec, "aliases");
      const char *alias = json_string_value(json_array_get(aliases, 0));
      cleanup_free char *fixed_in = fix ? xasprintf(", fixed in %s", fix) : xstrdup("");
      keep_findings_add(f, "4.4", AUDIT_FAIL, "The image has no package with a known vulnerability",
                        s->db_file, "rebuild the image on updated packages", "`%s` %s: %s%s%s%s%s", p->name,
                        p->version, id ? id : "?", alias ? " (" : "", alias ? alias : "", alias ? ")" : "",
                        fixed_in);
    }
  }
}

/* Every OSV record of the directory against the packages of s. */
static int scan_db(struct scan *s, const char *db, int max_age_days, struct keep_findings *f,
                   keep_error **err)
{
  cleanup_dir DIR *d = opendir(db);
  if (d == NULL)
    return keep_fail_errno(err, "--vuln-db `%s`", keep_q(db));
  size_t records = 0, found = 0;
  time_t newest = 0;
  int dfd = dirfd(d);
  size_t cap = 1 << 16;
  cleanup_free char *buf = xmalloc(cap);
  struct dirent *e;
  /* Tens of thousands of small files: one open, fstat, read and close each,
   * into one buffer, and only records of this ecosystem are parsed. */
  while ((e = readdir(d)) != NULL) {
    size_t nl = strlen(e->d_name);
    if (nl < 6 || strcmp(e->d_name + nl - 5, ".json") != 0 ||
        (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
      continue;
    int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
      continue;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
      close(fd);
      continue;
    }
    if ((size_t) st.st_size + 1 > cap) {
      cap = (size_t) st.st_size + 1;
      buf = xrealloc(buf, cap);
    }
    ssize_t len = read_all(fd, buf, (size_t) st.st_size);
    close(fd);
    if (len < 0)
      continue;
    if (st.st_mtime > newest)
      newest = st.st_mtime;
    records++;
    if (memmem(buf, (size_t) len, s->ecosystem, strlen(s->ecosystem)) == NULL)
      continue;
    keep_error *ignored = NULL;
    json_t *rec = keep_json_parse(buf, (size_t) len, 0, e->d_name, &ignored);
    keep_error_free(&ignored);
    if (rec == NULL)
      continue;
    match_record(s, rec, &found, f);
    json_decref(rec);
  }
  if (found == 0)
    keep_findings_add(f, "4.4", AUDIT_PASS, "The image has no package with a known vulnerability", "", NULL,
                      "%zu packages (%s), %zu records", s->n, s->ecosystem, records);
  long age = newest ? (long) ((time(NULL) - newest) / 86400) : -1;
  if (records == 0 || age > max_age_days)
    keep_findings_add(f, "K.6", AUDIT_WARN, "The vulnerability database is current", db,
                      "refresh it from OSV (the scan itself never goes online)", "%s",
                      records == 0 ? "no OSV record in it" : "older than the threshold");
  else
    keep_findings_add(f, "K.6", AUDIT_PASS, "The vulnerability database is current", "", NULL, "%ld days old",
                      age);
  return 0;
}

int keep_audit_vulns(char *const *dirs, const char *db, int max_age_days, struct keep_findings *f,
                     keep_error **err)
{
  struct scan s = {0};
  cleanup_free char *dpkg = image_file(dirs, "/var/lib/dpkg/status");
  cleanup_free char *apk = dpkg ? NULL : image_file(dirs, "/lib/apk/db/installed");
  cleanup_free char *id = os_release(dirs, "ID"), *ver = os_release(dirs, "VERSION_ID");
  if (dpkg) {
    s.kind = PKG_DPKG;
    s.db_file = "/var/lib/dpkg/status";
    parse_dpkg(&s, dpkg);
    if (id && strcmp(id, "debian") == 0 && ver)
      s.ecosystem = xasprintf("Debian:%.*s", (int) strcspn(ver, "."), ver);
  } else if (apk) {
    s.kind = PKG_APK;
    s.db_file = "/lib/apk/db/installed";
    parse_apk(&s, apk);
    const char *dot = ver ? strchr(ver, '.') : NULL;
    if (id && strcmp(id, "alpine") == 0 && dot)
      s.ecosystem = xasprintf("Alpine:v%.*s", (int) (strcspn(dot + 1, ".") + (size_t) (dot + 1 - ver)), ver);
  }
  int r = 0;
  if (s.n == 0 || s.ecosystem == NULL) {
    keep_findings_add(f, "4.4", AUDIT_INFO, "The image has no package with a known vulnerability", "", NULL,
                      "%s",
                      s.n == 0 ? "no dpkg or apk database in the image"
                               : "the image's distribution is not one the database covers (Debian, Alpine)");
    goto out;
  }
  qsort(s.pkgs, s.n, sizeof(*s.pkgs), by_name);
  r = scan_db(&s, db, max_age_days, f, err);
out:
  for (size_t i = 0; i < s.n; i++) {
    free(s.pkgs[i].name);
    free(s.pkgs[i].version);
  }
  free(s.pkgs);
  free(s.ecosystem);
  return r;
}
