/* keep audit: findings, each with an id (the CIS Docker Benchmark v1.6.0
 * number where it has one, as docker-bench-security numbers them), a level,
 * a title, where it was found and how to fix it; printed as a table, JSON or
 * SARIF. */
#ifndef KEEP_AUDIT_H
#define KEEP_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "oci_spec.h"

enum keep_audit_level { AUDIT_PASS, AUDIT_INFO, AUDIT_WARN, AUDIT_FAIL };

struct keep_finding {
  const char *id, *title, *fix; /* static text */
  enum keep_audit_level level;
  char *where, *detail; /* owned */
};

struct keep_findings {
  struct keep_finding *v;
  size_t n, cap;
};

void keep_findings_add(struct keep_findings *f, const char *id, enum keep_audit_level level,
                       const char *title, const char *where, const char *fix, const char *detail_fmt, ...)
    __attribute__((format(printf, 7, 8)));
void keep_findings_free(struct keep_findings *f);
/* By id: section, then number (5.2 before 5.10), keep's own (K.n) last. */
void keep_findings_sort(struct keep_findings *f);

const char *keep_audit_level_name(enum keep_audit_level l);
int keep_audit_level_parse(const char *s, enum keep_audit_level *out, keep_error **err);
/* Is any finding at `at` or above?  Of check `id`? */
bool keep_audit_reaches(const struct keep_findings *f, enum keep_audit_level at);
bool keep_audit_reaches_id(const struct keep_findings *f, const char *id, enum keep_audit_level at);

/* format: "table", "json" or "sarif"; subject names what was audited. */
int keep_audit_print(FILE *out, const struct keep_findings *f, const char *format, const char *subject,
                     keep_error **err);

/* What the host offers, for the checks that depend on it. */
struct keep_audit_host {
  bool apparmor, selinux;
};
void keep_audit_host_probe(struct keep_audit_host *h);

/* Section 5 (container runtime) on a parsed config.json: pure, one finding
 * per check, a pass where nothing is wrong. */
void keep_audit_config(const struct keep_oci_spec *s, const struct keep_audit_host *h,
                       struct keep_findings *out);

/* The host (CIS section 1 adapted, and keep's H.n): files below `root`
 * ("/" for this host), the kernel's own answers from the running one. */
void keep_audit_host(const char *root, struct keep_findings *out);

/* An image of the store (section 4 and Dockle's checks): its config and the
 * files of its unpacked layers. */
struct keep_store;
int keep_audit_image(struct keep_store *s, const char *ref, const char *vuln_db, int max_age_days,
                     struct keep_findings *out, keep_error **err);
/* Known vulnerabilities (audit_vuln.c): the image's dpkg or apk packages
 * (layers bottom first) against the OSV records in directory `db`; a
 * database older than max_age_days is a warning, never a refusal. */
int keep_audit_vulns(char *const *layers, const char *db, int max_age_days, struct keep_findings *out,
                     keep_error **err);

#endif
