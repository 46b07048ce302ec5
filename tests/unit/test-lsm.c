/* AppArmor and SELinux: keep's profile text, names and labels, the attr
 * write and what it refuses. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apparmor.h"
#include "selinux.h"
#include "tap.h"
#include "util.h"

/* FNV-1a: enough to notice a changed text. */
static uint64_t text_hash(const char *s)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
  return h;
}

static size_t count(const char *hay, const char *needle)
{
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

static void test_profile(void)
{
  char *t = keep_apparmor_profile_text(KEEP_APPARMOR_DEFAULT);
  tap_ok(strstr(t, "profile " KEEP_APPARMOR_DEFAULT " flags=(attach_disconnected,mediate_deleted) {\n") !=
             NULL,
         "profile named, attach_disconnected");
  const char *rules[] = {"  deny mount,\n",
                         "  deny umount,\n",
                         "  deny remount,\n",
                         "  deny pivot_root,\n",
                         "  deny network raw,\n",
                         "  deny network packet,\n",
                         "  deny /proc/sys/** wkx,\n",
                         "  deny /proc/sysrq-trigger rwklx,\n",
                         "  deny /proc/kcore rwklx,\n",
                         "  deny /sys/kernel/security/** rwklx,\n",
                         "  deny /sys/fs/cgroup/**/release_agent wklx,\n",
                         "  signal (send, receive) peer=" KEEP_APPARMOR_DEFAULT ",\n",
                         "  signal (receive) peer=unconfined,\n",
                         "  ptrace (trace, read, tracedby, readby) peer=" KEEP_APPARMOR_DEFAULT ",\n"};
  for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
    tap_ok(strstr(t, rules[i]) != NULL, "profile has `%.*s`", (int) strlen(rules[i]) - 3, rules[i] + 2);
  /* ptrace rules only for its own peers: nothing outside the container. */
  TAP_EQ_INT(count(t, "\n  ptrace "), 1, "one ptrace rule");
  TAP_EQ_INT(count(t, "@NAME@"), 0, "every name placeholder filled");
  TAP_EQ_INT(count(t, "{"), count(t, "}"), "braces balanced");
  /* The text is pinned to its version: a change without a new version
   * would leave an older keep's profile in the kernel under this name. */
  uint64_t h = text_hash(t);
  tap_ok(h == 0x156ab384dd5961e9ULL,
         "profile text matches version %d (hash %016llx): bump KEEP_APPARMOR_VERSION on a change",
         KEEP_APPARMOR_VERSION, (unsigned long long) h);
  /* The profile compiles (apparmor_parser, no kernel needed). */
  const char *parser = access("/usr/sbin/apparmor_parser", X_OK) == 0 ? "/usr/sbin/apparmor_parser"
                       : access("/sbin/apparmor_parser", X_OK) == 0   ? "/sbin/apparmor_parser"
                                                                      : NULL;
  if (parser) {
    char path[] = "/tmp/keep-unit-aa.XXXXXX";
    int fd = mkstemp(path);
    tap_ok(fd >= 0 && write_all(fd, t, strlen(t)) == 0, "profile written");
    close(fd);
    /* Its complaints, if any, as TAP comments. */
    char *cmd =
        xasprintf("%s -Q -K -S %s >/dev/null 2>%s.err || { sed 's/^/# /' %s.err; rm -f %s.err; exit 1; }; "
                  "rm -f %s.err",
                  parser, path, path, path, path, path);
    tap_ok(system(cmd) == 0, "apparmor_parser compiles the profile");
    unlink(path);
    free(cmd);
  } else {
    tap_skip("no apparmor_parser", "apparmor_parser compiles the profile");
  }
  free(t);
  char *other = keep_apparmor_profile_text("keep-x");
  tap_ok(count(other, "peer=keep-x,") == 2 && !strstr(other, KEEP_APPARMOR_DEFAULT), "name substituted");
  free(other);
}

static void test_names(void)
{
  keep_error *err = NULL;
  tap_ok(keep_apparmor_name_check("keep-default-v1", "x", NULL) == 0, "name ok");
  tap_ok(keep_apparmor_name_check("/usr/bin/foo", "x", NULL) == 0, "path-like name ok");
  tap_ok(keep_apparmor_name_check("a b", "--security-opt apparmor=", &err) < 0 && strstr(err->msg, "`a b`") &&
             strstr(err->msg, "--security-opt apparmor="),
         "space refused, named");
  keep_error_free(&err);
  tap_ok(keep_apparmor_name_check("a\nexec b", "x", NULL) < 0, "newline refused");
  tap_ok(keep_apparmor_name_check("", "x", NULL) < 0, "empty refused");
  char long_name[300];
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  tap_ok(keep_apparmor_name_check(long_name, "x", NULL) < 0, "256+ bytes refused");

  const char *list = "docker-default (enforce)\nkeep-default-v1 (enforce)\n/usr/bin/man (complain)\n";
  tap_ok(keep_apparmor_list_has(list, "keep-default-v1"), "list: found");
  tap_ok(keep_apparmor_list_has(list, "/usr/bin/man"), "list: found (last)");
  tap_ok(!keep_apparmor_list_has(list, "keep-default"), "list: a prefix is not a name");
  tap_ok(!keep_apparmor_list_has(list, "default-v1"), "list: a suffix is not a name");
  tap_ok(!keep_apparmor_list_has("", "x"), "list: empty");
}

static void test_selinux(void)
{
  keep_error *err = NULL;
  tap_ok(keep_selinux_label_check("system_u:system_r:container_t:s0:c1,c2", "x", NULL) == 0, "label ok");
  tap_ok(keep_selinux_label_check("container_t", "linux.mountLabel", &err) < 0 &&
             strstr(err->msg, "linux.mountLabel `container_t`"),
         "label without fields refused, named");
  keep_error_free(&err);
  tap_ok(keep_selinux_label_check("a:b:c\"", "x", NULL) < 0, "quote refused");
  tap_ok(keep_selinux_label_check("a:b :c", "x", NULL) < 0, "space refused");
  char *d = keep_selinux_mount_data("mode=755,size=65536k", "u:r:t:s0:c1,c2");
  TAP_EQ_STR(d, "mode=755,size=65536k,context=\"u:r:t:s0:c1,c2\"", "mount data with a quoted context");
  free(d);
  d = keep_selinux_mount_data(NULL, "u:r:t:s0");
  TAP_EQ_STR(d, "context=\"u:r:t:s0\"", "mount data of only a context");
  free(d);
  tap_ok(keep_selinux_labels_fs("tmpfs") && keep_selinux_labels_fs("mqueue") &&
             keep_selinux_labels_fs("devpts"),
         "tmpfs, mqueue, devpts labelled");
  tap_ok(!keep_selinux_labels_fs("proc") && !keep_selinux_labels_fs("sysfs") &&
             !keep_selinux_labels_fs("cgroup2"),
         "proc, sysfs, cgroup not labelled");
}

/* A /proc that is not procfs (a tmpfs here, as an image's volume could
 * plant) never takes the write (CVE-2019-16884). */
static int child_fake_proc(void)
{
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("tmpfs", "/proc", "tmpfs", 0, "size=64k") < 0)
    return 10;
  mkdir("/proc/thread-self", 0755);
  keep_error *err = NULL;
  int r = keep_apparmor_exec_profile("keep-x", &err);
  int ok = r < 0 && strstr(err->msg, "`/proc` is not a procfs") && strstr(err->msg, "`keep-x`");
  keep_error_free(&err);
  return ok ? 0 : 1;
}

static void test_attr(void)
{
  tap_ok(keep_apparmor_exec_profile(NULL, NULL) == 0 && keep_apparmor_exec_profile("", NULL) == 0 &&
             keep_apparmor_exec_profile("unconfined", NULL) == 0,
         "no profile, unconfined: nothing written");
  tap_ok(keep_selinux_exec_label(NULL, NULL) == 0, "no label: nothing written");
  if (!keep_apparmor_enabled()) {
    /* Fail closed: no AppArmor to take the profile is an error, never a
     * process that runs unconfined. */
    keep_error *err = NULL;
    tap_ok(keep_apparmor_exec_profile("keep-x", &err) < 0 && strstr(err->msg, "AppArmor profile `keep-x`"),
           "without AppArmor, applying a profile fails, named");
    keep_error_free(&err);
    char *out = (char *) "sentinel";
    tap_ok(keep_apparmor_resolve(NULL, "x", &out, NULL) == 0 && out == NULL,
           "without AppArmor, keep's default is no profile");
    tap_ok(keep_apparmor_resolve("unconfined", "x", &out, NULL) == 0 && out == NULL,
           "without AppArmor, unconfined is nothing to do");
    tap_ok(keep_apparmor_resolve("foo", "--security-opt apparmor=", &out, &err) < 0 &&
               strstr(err->msg, "--security-opt apparmor= `foo`: AppArmor is not enabled on this host"),
           "without AppArmor, a named profile is refused");
    keep_error_free(&err);
  } else {
    tap_skip("AppArmor enabled", "without AppArmor checks");
  }
  if (geteuid() == 0)
    TAP_EQ_INT(tap_in_child(child_fake_proc), 0, "a /proc that is not procfs is refused");
  else
    tap_skip("needs root", "a /proc that is not procfs is refused");
}

int main(void)
{
  test_profile();
  test_names();
  test_selinux();
  test_attr();
  return tap_done();
}
