/* keep audit: the checks of section 5 on configs built in memory, the order
 * of findings and the failing threshold. */
#include <string.h>

#include "audit.h"
#include "oci_spec.h"
#include "pkgver.h"
#include "tap.h"
#include "util.h"

static const char *level_of(const struct keep_findings *f, const char *id)
{
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->v[i].id, id) == 0 && f->v[i].level != AUDIT_PASS)
      return keep_audit_level_name(f->v[i].level);
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->v[i].id, id) == 0)
      return "pass";
  return "absent";
}

static void audit_text(const char *json, struct keep_findings *f)
{
  struct keep_oci_spec s;
  keep_error *err = NULL;
  if (keep_oci_spec_parse("/tmp", json, &s, &err) < 0) {
    tap_ok(0, "parse: %s", err ? err->msg : "?");
    keep_error_free(&err);
    return;
  }
  struct keep_audit_host h = {.apparmor = true};
  keep_audit_config(&s, &h, f);
  keep_oci_spec_free(&s);
}

/* dpkg's ordering (deb-version(7)) and apk's: each pair is a < b. */
static void test_versions(void)
{
  static const char *const dpkg_less[][2] = {
      {"1.0", "1.1"},          {"1.0~rc1", "1.0"},        {"1.0~~", "1.0~"},      {"1.0", "1.0+b1"},
      {"1.0", "1.0a"},         {"1.0-1", "1.0-1+deb12u1"}, {"1.0-1", "1.0-2"},     {"2.0", "1:0.9"},
      {"1.9", "1.10"},         {"1.0-1~bpo12+1", "1.0-1"}, {"3.0.9-1", "3.0.11-1~deb12u2"},
      {"7.88.1-10+deb12u4", "7.88.1-10+deb12u5"},         {"0:1.0", "1:1.0"},     {"1.0.0", "1.0.0.1"},
  };
  for (size_t i = 0; i < sizeof(dpkg_less) / sizeof(dpkg_less[0]); i++) {
    const char *a = dpkg_less[i][0], *b = dpkg_less[i][1];
    tap_ok(keep_dpkg_vercmp(a, b) < 0 && keep_dpkg_vercmp(b, a) > 0, "dpkg: %s < %s", a, b);
  }
  tap_ok(keep_dpkg_vercmp("1.0", "1.0-0") == 0 && keep_dpkg_vercmp("0:1.0", "1.0") == 0 &&
             keep_dpkg_vercmp("1.00", "1.0") == 0,
         "dpkg: 1.0 = 1.0-0 = 0:1.0 = 1.00");
  static const char *const apk_less[][2] = {
      {"1.0_alpha", "1.0_beta"}, {"1.0_beta", "1.0_pre"}, {"1.0_pre", "1.0_rc"}, {"1.0_rc1", "1.0"},
      {"1.0", "1.0_p1"},         {"1.0", "1.0-r1"},       {"1.0-r1", "1.0-r2"},  {"1.0", "1.0a"},
      {"1.0", "1.0.1"},          {"1.9", "1.10"},         {"1.0_rc1", "1.0_rc2"}, {"3.1.4-r5", "3.1.4-r6"},
      {"1.0_git20230101", "1.0_p1"},
  };
  for (size_t i = 0; i < sizeof(apk_less) / sizeof(apk_less[0]); i++) {
    const char *a = apk_less[i][0], *b = apk_less[i][1];
    tap_ok(keep_apk_vercmp(a, b) < 0 && keep_apk_vercmp(b, a) > 0, "apk: %s < %s", a, b);
  }
  tap_ok(keep_apk_vercmp("1.2.3-r0", "1.2.3") == 0, "apk: 1.2.3-r0 = 1.2.3");
}

int main(void)
{
  test_versions();
  struct keep_findings f = {0};
  /* The least an OCI config can be: every check that needs a namespace,
   * a limit or a filter finds it missing. */
  audit_text(
      "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [\"sh\"], "
      "\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, \"linux\": {\"namespaces\": [{\"type\": "
      "\"mount\"}]}}",
      &f);
  TAP_EQ_STR(level_of(&f, "5.22"), "fail", "no seccomp: 5.22 fail");
  TAP_EQ_STR(level_of(&f, "5.16"), "fail", "the host's pid namespace: 5.16 fail");
  TAP_EQ_STR(level_of(&f, "5.10"), "warn", "the host's network: 5.10 warn");
  TAP_EQ_STR(level_of(&f, "5.31"), "warn", "no user namespace: 5.31 warn");
  TAP_EQ_STR(level_of(&f, "5.26"), "warn", "no_new_privs off: 5.26 warn");
  TAP_EQ_STR(level_of(&f, "5.2"), "warn", "AppArmor on the host, none asked: 5.2 warn");
  TAP_EQ_STR(level_of(&f, "5.13"), "warn", "writable root: 5.13 warn");
  TAP_EQ_STR(level_of(&f, "5.29"), "warn", "no pids limit: 5.29 warn");
  TAP_EQ_STR(level_of(&f, "5.4"), "pass", "no capabilities: 5.4 pass");
  bool sorted = true;
  for (size_t i = 1; i < f.n; i++)
    if (strcmp(f.v[i - 1].id, "5.2") == 0 && strcmp(f.v[i].id, "5.10") == 0)
      sorted = false;
  tap_ok(strcmp(f.v[0].id, "5.2") == 0 && strncmp(f.v[f.n - 1].id, "K.", 2) == 0 && sorted,
         "findings sorted: 5.2 first, keep's own last (got %s .. %s)", f.v[0].id, f.v[f.n - 1].id);
  tap_ok(keep_audit_reaches(&f, AUDIT_FAIL), "a fail reaches --fail-on fail");
  keep_findings_free(&f);

  enum keep_audit_level l = AUDIT_PASS;
  keep_error *err = NULL;
  tap_ok(keep_audit_level_parse("warn", &l, &err) == 0 && l == AUDIT_WARN, "level `warn` parses");
  tap_ok(keep_audit_level_parse("high", &l, &err) < 0 && err && strstr(err->msg, "high"),
         "level `high` refused, named");
  keep_error_free(&err);
  return tap_done();
}
