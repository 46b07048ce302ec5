#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

int keep_subid_find(const char *content, const char *user, uid_t uid, uint32_t *start, uint32_t *count)
{
  char uidstr[16];
  snprintf(uidstr, sizeof(uidstr), "%u", (unsigned) uid);
  const char *line = content;
  while (line && *line) {
    const char *end = strchr(line, '\n');
    size_t len = end ? (size_t) (end - line) : strlen(line);
    char buf[512];
    if (len < sizeof(buf)) {
      memcpy(buf, line, len);
      buf[len] = '\0';
      char *save = buf; /* strsep: an empty field stays a field */
      char *name = strsep(&save, ":");
      char *s = strsep(&save, ":");
      char *c = strsep(&save, ":");
      int64_t sv, cv;
      if (name && s && c && ((user && strcmp(name, user) == 0) || strcmp(name, uidstr) == 0) &&
          parse_int64(s, &sv) == 0 && parse_int64(c, &cv) == 0 && sv > 0 && cv > 0 && sv <= UINT32_MAX &&
          cv <= UINT32_MAX && sv + cv <= UINT32_MAX) {
        *start = (uint32_t) sv;
        *count = (uint32_t) cv;
        return 0;
      }
    }
    line = end ? end + 1 : NULL;
  }
  return -1;
}

static int lookup_subid(const char *file, const char *user, uid_t uid, uint32_t *start, uint32_t *count)
{
  cleanup_free char *content = NULL;
  if (read_file_at(AT_FDCWD, file, &content, NULL, NULL) < 0)
    return -1;
  return keep_subid_find(content, user, uid, start, count);
}

static void set_map(struct keep_idmap *m, uint32_t in, uint32_t out, uint32_t count)
{
  m->inside = in;
  m->outside = out;
  m->count = count;
}

int keep_userns_plan(struct keep_userns_plan *p, keep_error **err)
{
  memset(p, 0, sizeof(*p));
  uid_t uid = geteuid();
  gid_t gid = getegid();
  uint32_t us = 0, uc = 0, gs = 0, gc = 0;
  if (uid == 0) {
    /* Root: the whole container range maps to unprivileged host ids. */
    if (lookup_subid("/etc/subuid", "keep", (uid_t) -1, &us, &uc) < 0 || uc < KEEP_SUBID_COUNT)
      us = KEEP_DEFAULT_SUBID_BASE;
    if (lookup_subid("/etc/subgid", "keep", (uid_t) -1, &gs, &gc) < 0 || gc < KEEP_SUBID_COUNT)
      gs = KEEP_DEFAULT_SUBID_BASE;
    set_map(&p->uid[0], 0, us, KEEP_SUBID_COUNT);
    set_map(&p->gid[0], 0, gs, KEEP_SUBID_COUNT);
    p->n_uid = p->n_gid = 1;
    p->tty_gid_mapped = true;
    return 0;
  }

  struct passwd *pw = getpwuid(uid); /* the caller's own entry, on the host */
  const char *name = pw ? pw->pw_name : NULL;
  bool have_u = lookup_subid("/etc/subuid", name, uid, &us, &uc) == 0;
  bool have_g = lookup_subid("/etc/subgid", name, uid, &gs, &gc) == 0;
  bool helpers = access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0;
  if (have_u && have_g && helpers) {
    /* Container root is the caller; 1.. come from the caller's range. */
    uc = uc > KEEP_SUBID_COUNT - 1 ? KEEP_SUBID_COUNT - 1 : uc;
    gc = gc > KEEP_SUBID_COUNT - 1 ? KEEP_SUBID_COUNT - 1 : gc;
    set_map(&p->uid[0], 0, uid, 1);
    set_map(&p->uid[1], 1, us, uc);
    set_map(&p->gid[0], 0, gid, 1);
    set_map(&p->gid[1], 1, gs, gc);
    p->n_uid = p->n_gid = 2;
    p->use_helpers = true;
    p->tty_gid_mapped = gc >= 5;
    return 0;
  }
  set_map(&p->uid[0], 0, uid, 1);
  set_map(&p->gid[0], 0, gid, 1);
  p->n_uid = p->n_gid = 1;
  p->deny_setgroups = true;
  if (!helpers && have_u && have_g)
    p->notice = xasprintf("newuidmap/newgidmap not found: the container gets a single uid "
                          "(apt-get install uidmap)");
  else
    p->notice = xasprintf("no subordinate id range for `%s` in /etc/subuid and /etc/subgid: the "
                          "container gets a single uid (add one: usermod --add-subuids 200000-265535 "
                          "--add-subgids 200000-265535 %s)",
                          name ? name : "?", name ? name : "USER");
  (void) err;
  return 0;
}

void keep_userns_plan_free(struct keep_userns_plan *p)
{
  free(p->notice);
  p->notice = NULL;
}

static char *format_map(const struct keep_idmap *m, size_t n)
{
  char *s = xstrdup("");
  for (size_t i = 0; i < n; i++) {
    char *t = xasprintf("%s%u %u %u\n", s, m[i].inside, m[i].outside, m[i].count);
    free(s);
    s = t;
  }
  return s;
}

static int run_helper(const char *helper, pid_t pid, const struct keep_idmap *m, size_t n, keep_error **err)
{
  char *argv[2 + 3 * 2 + 1];
  char bufs[7][16];
  size_t a = 0;
  argv[a++] = (char *) helper;
  snprintf(bufs[0], sizeof(bufs[0]), "%d", (int) pid);
  argv[a++] = bufs[0];
  for (size_t i = 0; i < n && i < 2; i++) {
    snprintf(bufs[1 + 3 * i], 16, "%u", m[i].inside);
    snprintf(bufs[2 + 3 * i], 16, "%u", m[i].outside);
    snprintf(bufs[3 + 3 * i], 16, "%u", m[i].count);
    argv[a++] = bufs[1 + 3 * i];
    argv[a++] = bufs[2 + 3 * i];
    argv[a++] = bufs[3 + 3 * i];
  }
  argv[a] = NULL;
  pid_t child = fork();
  if (child < 0)
    return keep_fail_errno(err, "fork for `%s`", helper);
  if (child == 0) {
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    execve(helper, argv, envp);
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return keep_fail_errno(err, "wait for `%s`", helper);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return keep_fail(err, 0, "`%s` failed to write the id map of the container", helper);
  return 0;
}

int keep_userns_apply(const struct keep_userns_plan *p, pid_t pid, keep_error **err)
{
  if (p->use_helpers) {
    if (run_helper("/usr/bin/newuidmap", pid, p->uid, p->n_uid, err) < 0 ||
        run_helper("/usr/bin/newgidmap", pid, p->gid, p->n_gid, err) < 0)
      return keep_error_hint(err, "check your ranges in /etc/subuid and /etc/subgid");
    return 0;
  }
  cleanup_free char *dir = xasprintf("/proc/%d", (int) pid);
  cleanup_close int procfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0)
    return keep_fail_errno(err, "open `%s`", dir);
  struct statfs sfs;
  /* The maps decide what host ids the container is: only ever write them to procfs. */
  if (fstatfs(procfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return keep_fail(err, EXDEV, "`%s` is not on procfs", dir);
  if (p->deny_setgroups && write_file_at(procfd, "setgroups", "deny", err) < 0)
    return -1;
  cleanup_free char *um = format_map(p->uid, p->n_uid);
  cleanup_free char *gm = format_map(p->gid, p->n_gid);
  if (write_file_at(procfd, "uid_map", um, err) < 0 || write_file_at(procfd, "gid_map", gm, err) < 0)
    return -1;
  return 0;
}

int keep_userns_apply_nested(const struct keep_userns_plan *p, pid_t pid, int parent, keep_error **err)
{
  struct keep_userns_plan inner = {.n_uid = p->n_uid, .n_gid = p->n_gid, .deny_setgroups = p->deny_setgroups};
  for (size_t i = 0; i < p->n_uid; i++)
    set_map(&inner.uid[i], p->uid[i].inside, p->uid[i].inside, p->uid[i].count);
  for (size_t i = 0; i < p->n_gid; i++)
    set_map(&inner.gid[i], p->gid[i].inside, p->gid[i].inside, p->gid[i].count);
  fflush(NULL);
  pid_t child = fork();
  if (child < 0)
    return keep_fail_errno(err, "fork");
  if (child == 0) {
    keep_error *e = NULL;
    /* Root there (the caller owns it): the maps are written directly. */
    if (setns(parent, CLONE_NEWUSER) < 0)
      keep_fail_errno(&e, "enter the user namespace of your networks");
    else if (keep_userns_apply(&inner, pid, &e) == 0)
      _exit(0);
    keep_error_print(e);
    _exit(1);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return keep_fail(err, 0,
                     "write the container's id maps in the user namespace of your networks (see above)");
  return 0;
}

/* Map the fresh user namespace of `pid` and open it. */
static int open_ns_of(pid_t pid, const struct keep_userns_plan *p, keep_error **err)
{
  if (keep_userns_apply(p, pid, err) < 0)
    return keep_error_wrap(err, "write the maps of a user namespace for an idmapped mount");
  cleanup_free char *path = xasprintf("/proc/%d/ns/user", (int) pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", path);
  return fd;
}

int keep_userns_open(const struct keep_idmap *uid, size_t n_uid, const struct keep_idmap *gid, size_t n_gid,
                     keep_error **err)
{
  struct keep_userns_plan p = {.n_uid = n_uid, .n_gid = n_gid};
  if (n_uid > ARRAY_SIZE(p.uid) || n_gid > ARRAY_SIZE(p.gid))
    return keep_fail(err, EINVAL, "more than %zu id mappings", ARRAY_SIZE(p.uid));
  memcpy(p.uid, uid, n_uid * sizeof(*uid));
  memcpy(p.gid, gid, n_gid * sizeof(*gid));
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) < 0)
    return keep_fail_errno(err, "pipe");
  /* clone with CLONE_NEWUSER rather than fork+unshare: the namespace
   * exists when the pid is known, nothing to wait for before the maps. */
  pid_t pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    /* Only wait for the pipe to close: the parent is done, or died. */
    char b;
    close(hold[1]);
    while (read(hold[0], &b, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
  }
  int e = errno;
  close(hold[0]);
  int fd =
      pid < 0 ? keep_fail(err, e, "clone(CLONE_NEWUSER) for an idmapped mount") : open_ns_of(pid, &p, err);
  close(hold[1]);
  if (pid > 0) {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  return fd;
}
