/* Findings and how they are printed. */
#include "audit.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *const level_names[] = {"pass", "info", "warn", "fail"};

const char *keep_audit_level_name(enum keep_audit_level l)
{
  return level_names[l];
}

int keep_audit_level_parse(const char *s, enum keep_audit_level *out, keep_error **err)
{
  for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
    if (strcmp(s, level_names[i]) == 0) {
      *out = (enum keep_audit_level) i;
      return 0;
    }
  return keep_fail(err, 0, "unknown level `%s`: pass, info, warn or fail", keep_q(s));
}

void keep_findings_add(struct keep_findings *f, const char *id, enum keep_audit_level level,
                       const char *title, const char *where, const char *fix, const char *detail_fmt, ...)
{
  if (f->n == f->cap) {
    f->cap = f->cap ? f->cap * 2 : 32;
    f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
  }
  va_list ap;
  va_start(ap, detail_fmt);
  char *detail = NULL;
  if (vasprintf(&detail, detail_fmt, ap) < 0)
    die("out of memory");
  va_end(ap);
  f->v[f->n++] = (struct keep_finding){
      .id = id, .title = title, .fix = fix, .level = level, .where = xstrdup(where), .detail = detail};
}

void keep_findings_free(struct keep_findings *f)
{
  for (size_t i = 0; i < f->n; i++) {
    free(f->v[i].where);
    free(f->v[i].detail);
  }
  free(f->v);
  *f = (struct keep_findings){0};
}

/* "5.2" < "5.10" < "K.1": by section, then number. */
static int by_id(const void *a, const void *b)
{
  const char *x = ((const struct keep_finding *) a)->id, *y = ((const struct keep_finding *) b)->id;
  /* keep's own (H.n, K.n) after the benchmark's numbers. */
  bool kx = *x == 'K' || *x == 'H', ky = *y == 'K' || *y == 'H';
  if (kx != ky)
    return kx ? 1 : -1;
  if (kx && *x != *y)
    return *x < *y ? -1 : 1;
  const char *dx = strchr(x, '.'), *dy = strchr(y, '.');
  long sx = strtol(x + kx, NULL, 10), sy = strtol(y + ky, NULL, 10);
  long nx = dx ? strtol(dx + 1, NULL, 10) : 0, ny = dy ? strtol(dy + 1, NULL, 10) : 0;
  if (sx != sy)
    return sx < sy ? -1 : 1;
  return nx < ny ? -1 : nx > ny;
}

void keep_findings_sort(struct keep_findings *f)
{
  /* Stable enough: ties keep their order (several findings of one check). */
  for (size_t i = 1; i < f->n; i++)
    for (size_t j = i; j > 0 && by_id(&f->v[j - 1], &f->v[j]) > 0; j--) {
      struct keep_finding t = f->v[j];
      f->v[j] = f->v[j - 1];
      f->v[j - 1] = t;
    }
}

bool keep_audit_reaches_id(const struct keep_findings *f, const char *id, enum keep_audit_level at)
{
  for (size_t i = 0; i < f->n; i++)
    if (f->v[i].level >= at && strcmp(f->v[i].id, id) == 0)
      return true;
  return false;
}

bool keep_audit_reaches(const struct keep_findings *f, enum keep_audit_level at)
{
  for (size_t i = 0; i < f->n; i++)
    if (f->v[i].level >= at)
      return true;
  return false;
}

static void print_table(FILE *out, const struct keep_findings *f, const char *subject)
{
  fprintf(out, "%s\n", subject);
  size_t counts[4] = {0};
  for (size_t i = 0; i < f->n; i++) {
    const struct keep_finding *x = &f->v[i];
    counts[x->level]++;
    fprintf(out, "%-6s %-4s  %s", x->id, keep_audit_level_name(x->level), x->title);
    if (x->level != AUDIT_PASS) {
      fprintf(out, ": %s", x->detail);
      if (*x->where)
        fprintf(out, " [%s]", x->where);
      if (x->fix && x->level >= AUDIT_WARN)
        fprintf(out, "\n              fix: %s", x->fix);
    }
    fputc('\n', out);
  }
  fprintf(out, "%zu fail, %zu warn, %zu info, %zu pass\n", counts[AUDIT_FAIL], counts[AUDIT_WARN],
          counts[AUDIT_INFO], counts[AUDIT_PASS]);
}

static json_t *finding_json(const struct keep_finding *x)
{
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "id", x->id, "level", keep_audit_level_name(x->level),
                   "title", x->title, "detail", x->detail, "where", x->where, "fix", x->fix);
}

/* SARIF 2.1.0, the format code-scanning tools read: one rule per id, one
 * result per finding that is not a pass. */
static json_t *sarif(const struct keep_findings *f, const char *subject)
{
  static const char *const sarif_level[] = {"none", "note", "warning", "error"};
  json_t *rules = json_array(), *results = json_array();
  for (size_t i = 0; i < f->n; i++) {
    const struct keep_finding *x = &f->v[i];
    json_array_append_new(rules, json_pack("{s:s, s:{s:s}, s:{s:s?}}", "id", x->id, "shortDescription",
                                           "text", x->title, "help", "text", x->fix));
    if (x->level == AUDIT_PASS)
      continue;
    cleanup_free char *msg = xasprintf("%s: %s", x->title, x->detail);
    json_array_append_new(results,
                          json_pack("{s:s, s:i, s:s, s:{s:s}, s:[{s:{s:{s:s}}, s:[{s:s}]}]}", "ruleId", x->id,
                                    "ruleIndex", (int) i, "level", sarif_level[x->level], "message", "text",
                                    msg, "locations", "physicalLocation", "artifactLocation", "uri", subject,
                                    "logicalLocations", "fullyQualifiedName", x->where));
  }
  return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o}]}", "$schema",
                   "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs", "tool",
                   "driver", "name", "keep", "informationUri",
                   "https://github.com/opencontainers/runtime-spec", "rules", rules, "results", results);
}

int keep_audit_print(FILE *out, const struct keep_findings *f, const char *format, const char *subject,
                     keep_error **err)
{
  json_t *j = NULL;
  if (strcmp(format, "table") == 0) {
    print_table(out, f, subject);
    return 0;
  }
  if (strcmp(format, "json") == 0) {
    j = json_array();
    for (size_t i = 0; i < f->n; i++)
      json_array_append_new(j, finding_json(&f->v[i]));
  } else if (strcmp(format, "sarif") == 0) {
    j = sarif(f, subject);
  } else {
    return keep_fail(err, 0, "unknown --format `%s`: table, json or sarif", keep_q(format));
  }
  int r = json_dumpf(j, out, JSON_INDENT(2));
  json_decref(j);
  fputc('\n', out);
  if (r < 0)
    return keep_fail(err, EIO, "write the findings");
  return 0;
}

void keep_audit_host_probe(struct keep_audit_host *h)
{
  h->apparmor = access("/sys/kernel/security/apparmor", F_OK) == 0;
  h->selinux = access("/sys/fs/selinux/enforce", F_OK) == 0;
}
