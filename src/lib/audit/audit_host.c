/* keep audit host: what a daemonless runtime needs of its host, section 1
 * of the CIS Docker Benchmark v1.6.0 adapted (no daemon, no docker group
 * needed) plus keep's own checks (H.n).  Files are read below `root` ("/"
 * for this host; a copy of a host's /etc, /proc and /sys in tests), the
 * kernel's own answers (Landlock, the release) from the running kernel. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "apparmor.h"
#include "audit.h"
#include "keep_build_config.h"
#include "landlock.h"
#include "util.h"

static char *read_under(const char *root, const char *path)
{
  cleanup_free char *p = xasprintf("%s%s", strcmp(root, "/") == 0 ? "" : root, path);
  char *text = NULL;
  return read_file_at(AT_FDCWD, p, &text, NULL, NULL) < 0 ? NULL : text;
}

static int stat_under(const char *root, const char *path, struct stat *st)
{
  cleanup_free char *p = xasprintf("%s%s", strcmp(root, "/") == 0 ? "" : root, path);
  return lstat(p, st);
}

/* The members of group `name` in /etc/group text, or NULL when there is no
 * such group ("" when it has none). */
static char *group_members(const char *group, const char *name)
{
  size_t n = strlen(name);
  for (const char *l = group; l && *l;) {
    const char *end = strchr(l, '\n');
    size_t len = end ? (size_t) (end - l) : strlen(l);
    if (len > n && strncmp(l, name, n) == 0 && l[n] == ':') {
      const char *last = memrchr(l, ':', len);
      return xasprintf("%.*s", (int) (len - (size_t) (last + 1 - l)), last + 1);
    }
    l = end ? end + 1 : NULL;
  }
  return NULL;
}

static void check_groups(const char *root, struct keep_findings *f)
{
  cleanup_free char *group = read_under(root, "/etc/group");
  static const char *const groups[] = {"docker", "podman"};
  bool any = false;
  for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
    cleanup_free char *m = group ? group_members(group, groups[i]) : NULL;
    if (m && *m) {
      any = true;
      keep_findings_add(f, "1.1.2", AUDIT_WARN, "Only trusted users control a container daemon", "/etc/group",
                        "remove them: a member of that group is root on the host (keep needs no group)",
                        "group `%s` has members: %s", groups[i], m);
    }
  }
  if (!any)
    keep_findings_add(f, "1.1.2", AUDIT_PASS, "Only trusted users control a container daemon", "", NULL,
                      "no docker or podman group with members");
}

static void check_sockets(const char *root, struct keep_findings *f)
{
  static const char *const socks[] = {"/var/run/docker.sock", "/run/docker.sock",
                                      "/run/containerd/containerd.sock", "/run/podman/podman.sock",
                                      "/var/run/crio/crio.sock"};
  bool any = false;
  for (size_t i = 0; i < ARRAY_SIZE(socks); i++) {
    struct stat st;
    if (stat_under(root, socks[i], &st) < 0 || !S_ISSOCK(st.st_mode))
      continue;
    if (st.st_mode & S_IWOTH) {
      any = true;
      keep_findings_add(f, "3.16", AUDIT_FAIL, "Container runtime sockets are not world-writable", socks[i],
                        "chmod o-rwx it: whoever can write it is root on the host", "mode %04o, owner %u",
                        (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid);
    }
  }
  if (!any)
    keep_findings_add(f, "3.16", AUDIT_PASS, "Container runtime sockets are not world-writable", "", NULL,
                      "none");
}

static long read_long(const char *root, const char *path, long dflt)
{
  cleanup_free char *t = read_under(root, path);
  return t ? strtol(t, NULL, 10) : dflt;
}

/* keep's AppArmor profile, loaded by the first container root runs; until
 * then a normal user's containers are refused, not run unconfined. */
static void check_apparmor_profile(struct keep_findings *f)
{
  const char *title = "keep's AppArmor profile is loaded";
  if (!keep_apparmor_enabled()) {
    keep_findings_add(f, "H.12", AUDIT_INFO, title, "", NULL, "this host has no AppArmor");
    return;
  }
  int r = keep_apparmor_loaded(KEEP_APPARMOR_DEFAULT, NULL);
  if (r == 1)
    keep_findings_add(f, "H.12", AUDIT_PASS, title, "", NULL, "%s", KEEP_APPARMOR_DEFAULT);
  else
    keep_findings_add(f, "H.12", AUDIT_INFO, title, "/sys/kernel/security/apparmor/profiles",
                      "run a container as root once: keep loads it", "%s",
                      r == 0 ? "not yet: a normal user's containers are refused until it is"
                             : "cannot tell (the list is root's)");
}

static void check_kernel(const char *root, struct keep_findings *f)
{
  long userns = read_long(root, "/proc/sys/user/max_user_namespaces", -1);
  if (userns == 0)
    keep_findings_add(
        f, "H.1", AUDIT_FAIL, "User namespaces can be created", "/proc/sys/user/max_user_namespaces",
        "set user.max_user_namespaces above 0: keep maps container root to an unprivileged uid", "0");
  else
    keep_findings_add(f, "H.1", AUDIT_PASS, "User namespaces can be created", "", NULL, "%ld", userns);
  cleanup_free char *acts = read_under(root, "/proc/sys/kernel/seccomp/actions_avail");
  if (acts && strstr(acts, "errno") && strstr(acts, "kill_process"))
    keep_findings_add(f, "H.2", AUDIT_PASS, "Seccomp filters are available", "", NULL, "yes");
  else
    keep_findings_add(f, "H.2", AUDIT_FAIL, "Seccomp filters are available", "/proc/sys/kernel/seccomp",
                      "a kernel with CONFIG_SECCOMP_FILTER", "%s",
                      acts ? "no errno or kill_process action" : "no");
  cleanup_free char *lsm = read_under(root, "/sys/kernel/security/lsm");
  bool aa = lsm && strstr(lsm, "apparmor"), se = lsm && strstr(lsm, "selinux");
  long enforce = read_long(root, "/sys/fs/selinux/enforce", 0);
  if (aa || (se && enforce == 1))
    keep_findings_add(f, "H.3", AUDIT_PASS, "A mandatory access control LSM is active", "", NULL, "%s",
                      aa ? "AppArmor" : "SELinux, enforcing");
  else
    keep_findings_add(f, "H.3", AUDIT_WARN, "A mandatory access control LSM is active",
                      "/sys/kernel/security/lsm",
                      "boot with apparmor=1 security=apparmor (or SELinux enforcing)", "%s",
                      se ? "SELinux, not enforcing" : "neither AppArmor nor SELinux");
  if (strcmp(root, "/") == 0) {
    int abi = keep_landlock_abi();
    /* ABI 6 (Linux 6.12) scopes signals and abstract unix sockets; before
     * it only the pid and network namespaces stand between a container and
     * those, and with --network host the host's abstract sockets are open. */
    if (abi >= 6)
      keep_findings_add(f, "H.4", AUDIT_PASS, "Landlock is available", "", NULL, "ABI %d", abi);
    else if (abi > 0)
      keep_findings_add(f, "H.4", AUDIT_WARN, "Landlock is available", "uname",
                        "Linux 6.12 or later (Landlock ABI 6)",
                        "ABI %d: signals and abstract unix sockets are not scoped: a container's processes "
                        "may signal its init, and with --network host reach the host's abstract sockets",
                        abi);
    else
      keep_findings_add(f, "H.4", AUDIT_WARN, "Landlock is available",
                        "lsm=", "add landlock to the kernel's lsm=",
                        "no: containers run without their LSM layer unless one above is active");
    struct utsname u;
    unsigned maj = 0, min = 0;
    if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &maj, &min) == 2 && (maj > 5 || (maj == 5 && min >= 12)))
      keep_findings_add(f, "H.5", AUDIT_PASS, "The kernel is one keep supports", "", NULL, "%s", u.release);
    else
      keep_findings_add(f, "H.5", AUDIT_FAIL, "The kernel is one keep supports", "uname",
                        "Linux 5.12 or later (mount_setattr, idmapped mounts)", "%s", u.release);
    check_apparmor_profile(f);
  }
  struct stat st;
  bool v2 = stat_under(root, "/sys/fs/cgroup/cgroup.controllers", &st) == 0;
  keep_findings_add(
      f, "H.6", v2 ? AUDIT_PASS : AUDIT_INFO, "cgroup v2 is the host's hierarchy", "", NULL, "%s",
      v2 ? "v2" : "v1 (or hybrid): limits for root's containers, none can be delegated to users");
}

static void check_subuid(const char *root, struct keep_findings *f)
{
  cleanup_free char *sub = read_under(root, "/etc/subuid");
  bool keep = false;
  for (const char *l = sub; l && *l;) {
    if (strncmp(l, "keep:", 5) == 0)
      keep = true;
    const char *nl = strchr(l, '\n');
    l = nl ? nl + 1 : NULL;
  }
  keep_findings_add(f, "H.7", keep ? AUDIT_PASS : AUDIT_INFO,
                    "Root's containers have an id range of their own", keep ? "" : "/etc/subuid", NULL, "%s",
                    keep ? "/etc/subuid has `keep`"
                         : "no `keep` entry: containers map 1000000000+ (65536 ids)");
}

/* Users who log in: uid 1000 up to 60000 with a shell, in /etc/passwd. */
struct login_user {
  char *name;
  unsigned uid;
};

static size_t login_users(const char *passwd, struct login_user **out)
{
  size_t n = 0;
  *out = NULL;
  for (const char *l = passwd; l && *l;) {
    const char *nl = strchr(l, '\n');
    cleanup_free char *line = xasprintf("%.*s", (int) (nl ? (size_t) (nl - l) : strlen(l)), l);
    l = nl ? nl + 1 : NULL;
    char *fields[7] = {0};
    char *p = line;
    for (int i = 0; i < 7; i++) {
      fields[i] = p;
      char *c = p ? strchr(p, ':') : NULL;
      if (c)
        *c = '\0';
      p = c ? c + 1 : NULL;
    }
    if (!fields[2] || !fields[6] || strtol(fields[2], NULL, 10) < 1000 ||
        strtol(fields[2], NULL, 10) >= 60000 || strstr(fields[6], "nologin") || strstr(fields[6], "/false") ||
        !*fields[6])
      continue;
    *out = xrealloc(*out, (n + 1) * sizeof(**out));
    (*out)[n++] = (struct login_user){xstrdup(fields[0]), (unsigned) strtol(fields[2], NULL, 10)};
  }
  return n;
}

static void login_users_free(struct login_user *u, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(u[i].name);
  free(u);
}

/* Append `item` to a list shown as "a, b, c". */
static void list_add(char **list, const char *item)
{
  char *t = xasprintf("%s%s%s", *list ? *list : "", *list ? ", " : "", item);
  free(*list);
  *list = t;
}

/* Login users with no subordinate range: their containers get a single-uid
 * map (every file of the image owned by the user, setgroups denied). */
static void check_user_ranges(const char *root, const struct login_user *u, size_t nu,
                              struct keep_findings *f)
{
  cleanup_free char *sub = read_under(root, "/etc/subuid");
  cleanup_free char *missing = NULL, *text = xasprintf("\n%s", sub ? sub : "");
  size_t n = 0;
  for (size_t i = 0; i < nu; i++) {
    cleanup_free char *by_name = xasprintf("\n%s:", u[i].name), *by_uid = xasprintf("\n%u:", u[i].uid);
    if (strstr(text, by_name) || strstr(text, by_uid))
      continue;
    list_add(&missing, u[i].name);
    n++;
  }
  if (n)
    keep_findings_add(f, "H.9", AUDIT_INFO, "Users have subordinate id ranges", "/etc/subuid",
                      "usermod --add-subuids and --add-subgids for them", "%zu without one: %s", n, missing);
  else
    keep_findings_add(f, "H.9", AUDIT_PASS, "Users have subordinate id ranges", "", NULL, "every login user");
}

/* Rootless containers get cgroup limits only inside a subtree systemd
 * delegates to the user: user@UID.service, whose cgroup.procs and
 * cgroup.subtree_control the user owns, with the controllers keep's
 * default limits use (memory, pids, cpu) enabled there.  cgroup v1 cannot
 * be delegated at all: keep run needs --cgroups=off, and a rootless
 * container may then take all the memory, CPU and pids it can. */
#define DELEGATE_TITLE "Users' rootless containers get cgroup limits (a delegated cgroup v2 subtree)"
static const char *const delegated_controllers[] = {"memory", "pids", "cpu"};

static bool has_word(const char *text, const char *word)
{
  size_t n = strlen(word);
  for (const char *p = text; p && (p = strstr(p, word)) != NULL; p += n)
    if ((p == text || p[-1] == ' ' || p[-1] == '\n') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
      return true;
  return false;
}

static void check_user_delegation(const char *root, const struct login_user *u, struct keep_findings *f,
                                  char **ok, char **absent)
{
  cleanup_free char *dir =
      xasprintf("/sys/fs/cgroup/user.slice/user-%u.slice/user@%u.service", u->uid, u->uid);
  struct stat st;
  if (stat_under(root, dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
    cleanup_free char *who = xasprintf("%s (uid %u)", u->name, u->uid);
    list_add(absent, who);
    return;
  }
  static const char *const owned[] = {"cgroup.procs", "cgroup.subtree_control"};
  for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
    cleanup_free char *p = xasprintf("%s/%s", dir, owned[i]);
    bool missing = stat_under(root, p, &st) < 0;
    if (missing || st.st_uid != u->uid) {
      keep_findings_add(f, "H.11", AUDIT_WARN, DELEGATE_TITLE, p,
                        "give user@.service Delegate=yes (systemd's default; see systemctl show "
                        "user@UID.service -p Delegate)",
                        "`%s` (uid %u): not delegated (%s %s): keep run fails for them unless --cgroups=off, "
                        "which runs without limits",
                        u->name, u->uid, owned[i], missing ? "missing" : "not the user's");
      return;
    }
  }
  cleanup_free char *cpath = xasprintf("%s/cgroup.controllers", dir);
  cleanup_free char *ctl = read_under(root, cpath), *missing = NULL;
  for (size_t i = 0; i < ARRAY_SIZE(delegated_controllers); i++)
    if (ctl == NULL || !has_word(ctl, delegated_controllers[i]))
      list_add(&missing, delegated_controllers[i]);
  if (missing) {
    keep_findings_add(f, "H.11", AUDIT_WARN, DELEGATE_TITLE, cpath,
                      "delegate them: a drop-in for user@.service with [Service] Delegate=memory pids cpu",
                      "`%s` (uid %u): controllers not delegated: %s: keep's default limits cannot be set, "
                      "keep run fails for them unless --cgroups=off",
                      u->name, u->uid, missing);
    return;
  }
  list_add(ok, u->name);
}

static void check_delegation(const char *root, const struct login_user *u, size_t nu, struct keep_findings *f)
{
  struct stat st;
  bool v2 = stat_under(root, "/sys/fs/cgroup/cgroup.controllers", &st) == 0;
  if (!v2) {
    cleanup_free char *names = NULL;
    for (size_t i = 0; i < nu; i++)
      list_add(&names, u[i].name);
    keep_findings_add(
        f, "H.11", nu ? AUDIT_WARN : AUDIT_INFO, DELEGATE_TITLE, "/sys/fs/cgroup",
        "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) to delegate limits to users",
        "cgroup v1 (or hybrid): nothing can be delegated; rootless containers%s%s run without cgroup "
        "limits (keep run needs --cgroups=off)",
        names ? " of " : "", names ? names : "");
    return;
  }
  cleanup_free char *ok = NULL, *absent = NULL;
  for (size_t i = 0; i < nu; i++)
    check_user_delegation(root, &u[i], f, &ok, &absent);
  if (absent)
    keep_findings_add(f, "H.11", AUDIT_INFO, DELEGATE_TITLE, "/sys/fs/cgroup/user.slice",
                      "check again while they are logged in (or loginctl enable-linger them)",
                      "no user session now, so nothing to check, for: %s", absent);
  /* Those who are delegated are named too, beside any who are not. */
  if (ok || nu == 0)
    keep_findings_add(f, "H.11", AUDIT_PASS, DELEGATE_TITLE, "", NULL, "%s%s",
                      ok ? "memory, pids and cpu delegated to: " : "no login users", ok ? ok : "");
}

/* keep itself and keep-images: root's, writable by nobody else. */
static void check_binaries(struct keep_findings *f)
{
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0)
    return;
  self[n] = '\0';
  const char *paths[] = {self, KEEP_LIBEXEC_DIR "/keep-images"};
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
    struct stat st;
    if (stat(paths[i], &st) < 0)
      continue;
    if (st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH)))
      keep_findings_add(f, "H.10", AUDIT_PASS, "keep's programs belong to root, writable by nobody else", "",
                        NULL, "`%s`", paths[i]);
    else
      keep_findings_add(f, "H.10", AUDIT_WARN, "keep's programs belong to root, writable by nobody else",
                        paths[i], "install keep as root (meson install) with mode 0755",
                        "owner %u, mode %04o: whoever can change it runs code as every user of keep",
                        (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
  }
}

static void check_dirs(const char *root, struct keep_findings *f)
{
  static const char *const dirs[] = {KEEP_STATE_DIR, KEEP_DATA_DIR};
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
    struct stat st;
    if (stat_under(root, dirs[i], &st) < 0) {
      keep_findings_add(f, "H.8", AUDIT_PASS,
                        "keep's directories belong to root, unreadable and unwritable by others", "", NULL,
                        "`%s` not made yet", dirs[i]);
      continue;
    }
    /* Search (0711) is allowed: containers' mapped root traverses the store
     * to the layers; listing or writing is not. */
    bool ok = S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 066) == 0;
    if (ok)
      keep_findings_add(f, "H.8", AUDIT_PASS,
                        "keep's directories belong to root, unreadable and unwritable by others", "", NULL,
                        "`%s`", dirs[i]);
    else
      keep_findings_add(
          f, "H.8", AUDIT_FAIL, "keep's directories belong to root, unreadable and unwritable by others",
          dirs[i], "chown root and chmod go-rw it: others could read or plant containers' state and images",
          "%s, owner %u, mode %04o", S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
          (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
  }
}

void keep_audit_host(const char *root, struct keep_findings *f)
{
  check_groups(root, f);
  check_sockets(root, f);
  check_kernel(root, f);
  check_subuid(root, f);
  cleanup_free char *passwd = read_under(root, "/etc/passwd");
  struct login_user *users = NULL;
  size_t nu = login_users(passwd, &users);
  /* On this host, the calling user too (a service account may run keep). */
  bool listed = geteuid() == 0 || strcmp(root, "/") != 0;
  for (size_t i = 0; !listed && i < nu; i++)
    listed = users[i].uid == geteuid();
  if (!listed) {
    users = xrealloc(users, (nu + 1) * sizeof(*users));
    const struct passwd *pw = getpwuid(geteuid());
    users[nu++] = (struct login_user){pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned) geteuid()),
                                      (unsigned) geteuid()};
  }
  check_user_ranges(root, users, nu, f);
  check_delegation(root, users, nu, f);
  login_users_free(users, nu);
  check_dirs(root, f);
  if (strcmp(root, "/") == 0)
    check_binaries(f);
  keep_findings_sort(f);
}
