/* Capabilities, environment, users and Landlock. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "landlock.h"
#include "process_setup.h"
#include "tap.h"
#include "util.h"

static void test_caps(void)
{
  const char *spellings[] = {"NET_ADMIN", "CAP_NET_ADMIN", "net_admin", "cap_net_admin", "Net_Admin"};
  for (size_t i = 0; i < ARRAY_SIZE(spellings); i++) {
    uint64_t m = 0;
    tap_ok(keep_caps_parse(spellings[i], &m, NULL) == 0 && m == (1ULL << CAP_NET_ADMIN), "cap `%s`",
           spellings[i]);
  }
  uint64_t m = 0;
  keep_error *err = NULL;
  tap_ok(keep_caps_parse("NET_WIZARD", &m, &err) < 0 && strstr(err->msg, "`NET_WIZARD`"),
         "unknown cap named");
  keep_error_free(&err);
  m = 0;
  tap_ok(keep_caps_parse_list("chown,KILL", &m, NULL) == 0 && m == ((1ULL << CAP_CHOWN) | (1ULL << CAP_KILL)),
         "cap list");
  m = 0;
  tap_ok(keep_caps_parse("ALL", &m, NULL) == 0 && (m & (1ULL << CAP_SYS_ADMIN)), "ALL");
  char *n = keep_caps_name(CAP_CHOWN);
  TAP_EQ_STR(n, "CAP_CHOWN", "cap name");
  free(n);
}

static void test_env(void)
{
  struct strv_builder b_asked = {0};
  setenv("KEEP_UNIT_VAR", "from-caller", 1);
  unsetenv("KEEP_UNIT_UNSET");
  tap_ok(keep_env_add_arg("A=1", &b_asked, NULL) == 0, "-e A=1");
  tap_ok(keep_env_add_arg("KEEP_UNIT_VAR", &b_asked, NULL) == 0, "-e KEY takes the caller's value");
  tap_ok(keep_env_add_arg("KEEP_UNIT_UNSET", &b_asked, NULL) == 0 && b_asked.n == 2,
         "-e KEY unset is skipped");
  keep_error *err = NULL;
  tap_ok(keep_env_add_arg("=x", &b_asked, &err) < 0, "-e =x rejected");
  keep_error_free(&err);
  char path[] = "/tmp/keep-unit-env.XXXXXX";
  int fd = mkstemp(path);
  dprintf(fd, "# comment\n\n  B=two words\nPATH=/custom\n");
  close(fd);
  tap_ok(keep_env_file_parse(path, &b_asked, NULL) == 0, "env file parsed");
  fd = open(path, O_WRONLY | O_TRUNC);
  dprintf(fd, "OK=1\nbad line\n");
  close(fd);
  tap_ok(keep_env_file_parse(path, &b_asked, &err) < 0 && strstr(err->msg, ":2:"),
         "bad env line names file:line");
  keep_error_free(&err);
  unlink(path);
  cleanup_strv char **asked = strvb_finish(&b_asked);
  cleanup_strv char **env = keep_env_build(asked, "/home/x", "h1", true);
  bool path_custom = false, term = false, home = false, caller = false, b = false;
  for (size_t i = 0; env[i]; i++) {
    path_custom |= strcmp(env[i], "PATH=/custom") == 0;
    term |= strcmp(env[i], "TERM=xterm") == 0;
    home |= strcmp(env[i], "HOME=/home/x") == 0;
    caller |= strcmp(env[i], "KEEP_UNIT_VAR=from-caller") == 0;
    b |= strcmp(env[i], "B=two words") == 0;
  }
  tap_ok(path_custom && term && home && caller && b, "environment built from defaults and asked values");
  cleanup_strv char **plain = keep_env_build(NULL, "/", "h", false);
  TAP_EQ_INT(strv_len(plain), 3, "nothing but PATH, HOME, HOSTNAME by default");

  /* Later entries win, in the place the name first had; prefixes are other names. */
  char *order[] = {"A=1", "B=2", "A=3", "AB=4", "PATH=/p", "B", NULL};
  cleanup_strv char **o = keep_env_build(order, "/", "h", false);
  const char *want[] = {"PATH=/p", "HOME=/", "HOSTNAME=h", "A=3", "B", "AB=4"};
  bool same = strv_len(o) == ARRAY_SIZE(want);
  for (size_t i = 0; same && i < ARRAY_SIZE(want); i++)
    same = strcmp(o[i], want[i]) == 0;
  tap_ok(same, "overrides keep the first place of a name");

  /* Linear: 100,000 variables, half of them overriding the other half. */
  struct strv_builder big = {0};
  for (int i = 0; i < 100000; i++) {
    char kv[48];
    snprintf(kv, sizeof(kv), "VAR%d=value%d", i % 50000, i);
    strvb_add(&big, kv);
  }
  cleanup_strv char **bigv = strvb_finish(&big);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cleanup_strv char **built = keep_env_build(bigv, "/", "h", false);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
  tap_ok(strv_len(built) == 50003 && strcmp(built[3], "VAR0=value50000") == 0 && secs < 1.0,
         "100,000 variables built in %.3f s", secs);
}

static void test_passwd(void)
{
  const char *pw = "root:x:0:0:root:/root:/bin/sh\nbroken line\napp:x:1000:1001::/home/app:/bin/sh\n";
  uid_t u;
  gid_t g;
  char *home = NULL;
  tap_ok(keep_passwd_find(pw, "app", 0, &u, &g, &home) == 0 && u == 1000 && g == 1001 &&
             !strcmp(home, "/home/app"),
         "passwd by name");
  free(home);
  tap_ok(keep_passwd_find(pw, NULL, 0, &u, &g, NULL) == 0 && u == 0, "passwd by uid");
  tap_ok(keep_passwd_find(pw, "nobody", 0, &u, &g, NULL) < 0, "passwd missing name");
  tap_ok(keep_group_find("tty:x:5:\nstaff:x:50:a,b\n", "staff", &g) == 0 && g == 50, "group by name");

  /* A hostile root whose /etc/passwd is a symlink to the host's. */
  char root[] = "/tmp/keep-unit-root.XXXXXX";
  tap_ok(mkdtemp(root) != NULL, "temp root");
  cleanup_free char *etc = xasprintf("%s/etc", root);
  mkdir(etc, 0755);
  cleanup_free char *link = xasprintf("%s/passwd", etc);
  /* Resolves inside the root: to itself, a loop or nothing. */
  tap_ok(symlink("/etc/passwd", link) == 0, "hostile /etc/passwd symlink planted");
  int rfd = open(root, O_PATH | O_DIRECTORY);
  struct keep_user user;
  keep_error *err = NULL;
  /* root is in every host's /etc/passwd: found only if the host's is read. */
  tap_ok(keep_user_resolve(rfd, "root", &user, &err) < 0, "a symlinked /etc/passwd never reads the host's");
  keep_error_free(&err);
  tap_ok(keep_user_resolve(rfd, "1000:1000", &user, &err) == 0 && user.uid == 1000 && user.gid == 1000,
         "numeric user needs no passwd");
  free(user.home);
  tap_ok(keep_user_resolve(rfd, "70000", &user, &err) < 0, "uid outside the mapped range refused");
  keep_error_free(&err);
  close(rfd);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
  tap_ok(system(cmd) == 0, "clean up");
}

static int child_caps(void)
{
  if (keep_caps_drop_bounding(1ULL << CAP_KILL, NULL) < 0 || keep_caps_apply(1ULL << CAP_KILL, NULL) < 0)
    return 1;
  char *st = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/status", &st, NULL, NULL) < 0)
    return 2;
  int ok = strstr(st, "CapInh:\t0000000000000000") && strstr(st, "CapPrm:\t0000000000000020") &&
           strstr(st, "CapEff:\t0000000000000020") && strstr(st, "CapBnd:\t0000000000000020") &&
           strstr(st, "CapAmb:\t0000000000000000");
  free(st);
  return ok ? 0 : 3;
}

static char ll_dir[64];

static int child_landlock(void)
{
  char w[128], other[128];
  snprintf(w, sizeof(w), "%s/w", ll_dir);
  snprintf(other, sizeof(other), "%s/other", ll_dir);
  int leaked = open(other, O_PATH | O_DIRECTORY); /* held from before: the leaked-fd case */
  const char *writable[] = {w};
  if (keep_landlock_apply(writable, 1, false, NULL) < 0)
    return 1;
  char f1[160], f2[160];
  snprintf(f1, sizeof(f1), "%s/file", w);
  snprintf(f2, sizeof(f2), "%s/file", other);
  if (open(f1, O_CREAT | O_WRONLY, 0600) < 0)
    return 2;
  if (open(f2, O_CREAT | O_WRONLY, 0600) >= 0 || errno != EACCES)
    return 3;
  if (openat(leaked, "viafd", O_CREAT | O_WRONLY, 0600) >= 0)
    return 4;
  if (open("/etc/hostname", O_RDONLY) < 0)
    return 5;
  return 0;
}

int main(void)
{
  test_caps();
  test_env();
  test_passwd();
  if (geteuid() == 0)
    TAP_EQ_INT(tap_in_child(child_caps), 0, "caps applied: only CAP_KILL, inheritable and ambient empty");
  else
    tap_skip("needs root", "caps applied");
  if (keep_landlock_abi() > 0) {
    snprintf(ll_dir, sizeof(ll_dir), "/tmp/keep-unit-ll.XXXXXX");
    tap_ok(mkdtemp(ll_dir) != NULL, "landlock temp dir");
    char d[128];
    snprintf(d, sizeof(d), "%s/w", ll_dir);
    mkdir(d, 0755);
    snprintf(d, sizeof(d), "%s/other", ll_dir);
    mkdir(d, 0755);
    TAP_EQ_INT(tap_in_child(child_landlock), 0,
               "landlock: write only where allowed, not through a leaked fd");
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", ll_dir);
    tap_ok(system(cmd) == 0, "clean up");
  } else {
    tap_skip("no Landlock in this kernel", "landlock");
  }
  return tap_done();
}
