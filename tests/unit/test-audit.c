/* keep audit: the checks of section 5 on configs built in memory, the order
 * of findings and the failing threshold. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "oci_spec.h"
#include "pkgver.h"
#include "store.h"
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
      {"1.0", "1.1"},
      {"1.0~rc1", "1.0"},
      {"1.0~~", "1.0~"},
      {"1.0", "1.0+b1"},
      {"1.0", "1.0a"},
      {"1.0-1", "1.0-1+deb12u1"},
      {"1.0-1", "1.0-2"},
      {"2.0", "1:0.9"},
      {"1.9", "1.10"},
      {"1.0-1~bpo12+1", "1.0-1"},
      {"3.0.9-1", "3.0.11-1~deb12u2"},
      {"7.88.1-10+deb12u4", "7.88.1-10+deb12u5"},
      {"0:1.0", "1:1.0"},
      {"1.0.0", "1.0.0.1"},
  };
  for (size_t i = 0; i < sizeof(dpkg_less) / sizeof(dpkg_less[0]); i++) {
    const char *a = dpkg_less[i][0], *b = dpkg_less[i][1];
    tap_ok(keep_dpkg_vercmp(a, b) < 0 && keep_dpkg_vercmp(b, a) > 0, "dpkg: %s < %s", a, b);
  }
  tap_ok(keep_dpkg_vercmp("1.0", "1.0-0") == 0 && keep_dpkg_vercmp("0:1.0", "1.0") == 0 &&
             keep_dpkg_vercmp("1.00", "1.0") == 0,
         "dpkg: 1.0 = 1.0-0 = 0:1.0 = 1.00");
  static const char *const apk_less[][2] = {
      {"1.0_alpha", "1.0_beta"},
      {"1.0_beta", "1.0_pre"},
      {"1.0_pre", "1.0_rc"},
      {"1.0_rc1", "1.0"},
      {"1.0", "1.0_p1"},
      {"1.0", "1.0-r1"},
      {"1.0-r1", "1.0-r2"},
      {"1.0", "1.0a"},
      {"1.0", "1.0.1"},
      {"1.9", "1.10"},
      {"1.0_rc1", "1.0_rc2"},
      {"3.1.4-r5", "3.1.4-r6"},
      {"1.0_git20230101", "1.0_p1"},
  };
  for (size_t i = 0; i < sizeof(apk_less) / sizeof(apk_less[0]); i++) {
    const char *a = apk_less[i][0], *b = apk_less[i][1];
    tap_ok(keep_apk_vercmp(a, b) < 0 && keep_apk_vercmp(b, a) > 0, "apk: %s < %s", a, b);
  }
  tap_ok(keep_apk_vercmp("1.2.3-r0", "1.2.3") == 0, "apk: 1.2.3-r0 = 1.2.3");
}

#define ANY_OWNER ((unsigned) -1)
static void plant(const char *root, const char *path, const char *text, unsigned uid)
{
  char *p = xasprintf("%s%s", root, path);
  keep_error *err = NULL;
  if (create_file_at(AT_FDCWD, p, text, 0644, &err) < 0 ||
      (uid != ANY_OWNER && lchown(p, uid, (gid_t) -1) < 0))
    tap_ok(0, "plant %s: %s", p, err ? err->msg : strerror(errno));
  keep_error_free(&err);
  free(p);
}

/* H.11 and its detail on the host tree below root. */
static const char *delegation(const char *root, const char **detail)
{
  static char buf[512];
  struct keep_findings f = {0};
  keep_audit_host(root, &f);
  const char *level = "absent";
  for (size_t i = 0; i < f.n; i++)
    if (strcmp(f.v[i].id, "H.11") == 0) {
      level = keep_audit_level_name(f.v[i].level);
      snprintf(buf, sizeof(buf), "%s", f.v[i].detail);
    }
  *detail = buf;
  keep_findings_free(&f);
  return level;
}

/* cgroup delegation (H.11) on planted host trees: v1, v2 delegated, v2
 * with the subtree not the user's or a controller missing, no session. */
static void test_delegation(void)
{
  unsigned uid = geteuid() == 0 ? 1000 : (unsigned) geteuid();
  if (uid < 1000 || uid >= 60000) {
    tap_skip("needs root, or a uid from 1000 to 59999", "cgroup delegation on planted trees");
    return;
  }
  char root[] = "/tmp/keep-audit-host-XXXXXX";
  if (mkdtemp(root) == NULL)
    return;
  char *svc = xasprintf("%s/sys/fs/cgroup/user.slice/user-%u.slice/user@%u.service", root, uid, uid);
  char *rel = xasprintf("/sys/fs/cgroup/user.slice/user-%u.slice/user@%u.service", uid, uid);
  char *etc = xasprintf("%s/etc", root), *cg = xasprintf("%s/sys/fs/cgroup", root);
  mkdir(etc, 0755);
  char *pw = xasprintf("root:x:0:0::/root:/bin/sh\nann:x:%u:%u::/home/ann:/bin/bash\n", uid, uid);
  plant(root, "/etc/passwd", pw, ANY_OWNER);
  const char *d = NULL;
  TAP_EQ_STR(delegation(root, &d), "warn", "cgroup v1: H.11 warn");
  tap_ok(strstr(d, "nothing can be delegated; rootless containers of ann run without cgroup limits") != NULL,
         "v1: says nothing can be delegated, names the user: %s", d);
  keep_error *err = NULL;
  char *sub = xasprintf("user.slice/user-%u.slice/user@%u.service", uid, uid);
  char *mk = xasprintf("%s/%s", cg, sub);
  for (char *p = mk + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
    *p = '\0';
    mkdir(mk, 0755);
    *p = '/';
  }
  mkdir(mk, 0755);
  plant(root, "/sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n", ANY_OWNER);
  char *f1 = xasprintf("%s/cgroup.controllers", rel), *f2 = xasprintf("%s/cgroup.procs", rel),
       *f3 = xasprintf("%s/cgroup.subtree_control", rel);
  plant(root, f1, "cpuset cpu io memory pids\n", uid);
  plant(root, f2, "", uid);
  plant(root, f3, "", uid);
  TAP_EQ_STR(delegation(root, &d), "pass", "v2, user@UID.service the user's: H.11 pass");
  tap_ok(strstr(d, "delegated to: ann") != NULL, "it names the user: %s", d);
  /* A second login user with no session: info for her, ann still named. */
  char *pw2 = xasprintf("%sbea:x:%u:%u::/home/bea:/bin/sh\n", pw, uid + 1, uid + 1);
  plant(root, "/etc/passwd", pw2, ANY_OWNER);
  struct keep_findings two = {0};
  keep_audit_host(root, &two);
  bool pass_ann = false, info_bea = false;
  for (size_t i = 0; i < two.n; i++)
    if (strcmp(two.v[i].id, "H.11") == 0) {
      pass_ann = pass_ann || (two.v[i].level == AUDIT_PASS && strstr(two.v[i].detail, "to: ann"));
      info_bea = info_bea || (two.v[i].level == AUDIT_INFO && strstr(two.v[i].detail, "for: bea (uid"));
    }
  tap_ok(pass_ann && info_bea, "two users: ann delegated (pass), bea with no session (info)");
  keep_findings_free(&two);
  plant(root, "/etc/passwd", pw, ANY_OWNER);
  free(pw2);
  plant(root, f1, "cpuset io memory pids\n", uid);
  TAP_EQ_STR(delegation(root, &d), "warn", "v2, cpu not delegated: H.11 warn");
  tap_ok(strstr(d, "controllers not delegated: cpu:") != NULL, "it names the controller: %s", d);
  plant(root, f1, "cpu memory pids", uid);
  if (geteuid() == 0) {
    plant(root, f3, "", 0);
    TAP_EQ_STR(delegation(root, &d), "warn", "v2, cgroup.subtree_control root's: H.11 warn");
    tap_ok(strstr(d, "not delegated (cgroup.subtree_control not the user's)") != NULL, "it says which: %s",
           d);
  }
  keep_remove_tree(AT_FDCWD, svc, &err);
  TAP_EQ_STR(delegation(root, &d), "info", "v2, no user session: H.11 info");
  keep_remove_tree(AT_FDCWD, root, &err);
  keep_error_free(&err);
  char *owned[] = {f1, f2, f3, mk, sub, pw, etc, cg, rel, svc};
  for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
    free(owned[i]);
}

int main(void)
{
  test_versions();
  test_delegation();
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

  /* A unified key written over keep's pids limit: the limit is gone, and
   * the audit says so though linux.resources.pids.limit is set. */
  struct keep_findings u = {0};
  audit_text("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": "
             "[\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, \"linux\": {\"resources\": "
             "{\"pids\": {\"limit\": 100}, \"memory\": {\"limit\": 536870912}, "
             "\"unified\": {\"pids.max\": \"max\", \"memory.max\": \"1073741824\"}}}}",
             &u);
  TAP_EQ_STR(level_of(&u, "5.29"), "warn", "unified pids.max=max over pids.limit: 5.29 warn");
  TAP_EQ_STR(level_of(&u, "5.11"), "info", "unified memory.max of a number: 5.11 info");
  keep_findings_free(&u);

  enum keep_audit_level l = AUDIT_PASS;
  keep_error *err = NULL;
  tap_ok(keep_audit_level_parse("warn", &l, &err) == 0 && l == AUDIT_WARN, "level `warn` parses");
  tap_ok(keep_audit_level_parse("high", &l, &err) < 0 && err && strstr(err->msg, "high"),
         "level `high` refused, named");
  keep_error_free(&err);
  return tap_done();
}
