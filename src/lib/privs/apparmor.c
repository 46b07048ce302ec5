/* AppArmor: whether the host enforces it, keep's profile in the kernel, and
 * the profile a container's process executes under. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apparmor.h"
#include "util.h"

#define AA_FS "/sys/kernel/security/apparmor"

bool keep_apparmor_enabled(void)
{
  cleanup_free char *on = NULL;
  if (read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &on, NULL, NULL) < 0)
    return false;
  return on[0] == 'Y' && access(AA_FS, F_OK) == 0;
}

int keep_apparmor_name_check(const char *name, const char *what, keep_error **err)
{
  size_t n = strlen(name);
  if (n == 0 || n > 255)
    return keep_fail(err, EINVAL, "%s: an AppArmor profile name of 1 to 255 characters", what);
  /* Written as "exec NAME": a space or a control character would be read
   * as a different request by the kernel. */
  for (size_t i = 0; i < n; i++)
    if ((unsigned char) name[i] <= ' ' || name[i] == 0x7f)
      return keep_fail(err, EINVAL, "%s `%s`: an AppArmor profile name has no space or control character",
                       what, keep_q(name));
  return 0;
}

bool keep_apparmor_list_has(const char *list, const char *name)
{
  size_t n = strlen(name);
  for (const char *line = list; line && *line;) {
    if (strncmp(line, name, n) == 0 && line[n] == ' ' && line[n + 1] == '(')
      return true;
    line = strchr(line, '\n');
    if (line)
      line++;
  }
  return false;
}

/* Without CAP_MAC_ADMIN the `profiles` list is closed; the policy tree has
 * a directory per profile with its name in a file anyone may read. */
static int loaded_in_tree(const char *name, keep_error **err)
{
  cleanup_dir DIR *d = opendir(AA_FS "/policy/profiles");
  if (d == NULL)
    return keep_fail_errno(err, "open `%s`", AA_FS "/policy/profiles");
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    cleanup_free char *path = xasprintf(AA_FS "/policy/profiles/%s/name", e->d_name);
    cleanup_free char *text = NULL;
    if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
      continue;
    text[strcspn(text, "\n")] = '\0';
    if (strcmp(text, name) == 0)
      return 1;
  }
  return 0;
}

int keep_apparmor_loaded(const char *name, keep_error **err)
{
  cleanup_free char *list = NULL;
  keep_error *e = NULL;
  if (read_file_at(AT_FDCWD, AA_FS "/profiles", &list, NULL, &e) == 0)
    return keep_apparmor_list_has(list, name) ? 1 : 0;
  keep_error_free(&e);
  return loaded_in_tree(name, err);
}

static const char *parser_path(void)
{
  static const char *const paths[] = {"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"};
  for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
    if (access(paths[i], X_OK) == 0)
      return paths[i];
  return NULL;
}

/* apparmor_parser --replace, the profile on its stdin; its first line of
 * complaint, if any, goes into the error. */
static int load_profile(const char *name, const char *text, keep_error **err)
{
  const char *parser = parser_path();
  if (parser == NULL) {
    keep_fail(err, ENOENT, "load AppArmor profile `%s`: no apparmor_parser in /usr/sbin or /sbin", name);
    return keep_error_hint(err, "install the package `apparmor`");
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
    int e = errno;
    for (int i = 0; i < 2; i++) {
      if (in[i] >= 0)
        close(in[i]);
      if (out[i] >= 0)
        close(out[i]);
    }
    return keep_fail(err, e, "pipe");
  }
  pid_t pid = fork();
  if (pid == 0) {
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (dup2(in[0], 0) < 0 || dup2(nul, 1) < 0 || dup2(out[1], 2) < 0)
      _exit(127);
    char *const argv[] = {(char *) parser, (char *) "--replace", (char *) "--skip-cache", NULL};
    char *const envp[] = {(char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LANG=C", NULL};
    execve(parser, argv, envp);
    _exit(127);
  }
  int fork_errno = errno;
  close(in[0]);
  close(out[1]);
  cleanup_close int to = in[1], from = out[0];
  if (pid < 0)
    return keep_fail(err, fork_errno, "fork `%s`", parser);
  /* The profile is a few kB, below a pipe's buffer: no deadlock with the
   * parser's stderr. */
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);
  int wr = write_all(to, text, strlen(text));
  signal(SIGPIPE, old);
  close(to);
  to = -1;
  char msg[512] = "";
  ssize_t n = read_all(from, msg, sizeof(msg) - 1);
  msg[n > 0 ? n : 0] = '\0';
  msg[strcspn(msg, "\n")] = '\0';
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (wr < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return keep_fail(err, 0, "load AppArmor profile `%s` with `%s`: %s", name, parser,
                     *msg ? msg : "it failed");
  return 0;
}

int keep_apparmor_ensure_default(keep_error **err)
{
  const char *name = KEEP_APPARMOR_DEFAULT;
  keep_error *e = NULL;
  int r = keep_apparmor_loaded(name, &e);
  if (r == 1)
    return 0;
  if (r < 0 && geteuid() != 0) {
    /* Cannot tell: the container's process will find out at its write. */
    keep_error_free(&e);
    return 0;
  }
  keep_error_free(&e);
  if (geteuid() != 0) {
    keep_fail(err, EPERM, "AppArmor profile `%s` is not loaded, and only root can load it", name);
    return keep_error_hint(err, "run one container as root first (keep loads it), or pass --security-opt "
                                "apparmor=unconfined to run without AppArmor");
  }
  cleanup_free char *text = keep_apparmor_profile_text(name);
  if (load_profile(name, text, err) < 0)
    return -1;
  return 0;
}

int keep_apparmor_resolve(const char *asked, const char *what, char **out, keep_error **err)
{
  *out = NULL;
  bool enabled = keep_apparmor_enabled();
  if (asked && strcmp(asked, "unconfined") == 0) {
    if (enabled)
      *out = xstrdup("unconfined");
    return 0;
  }
  if (asked && keep_apparmor_name_check(asked, what, err) < 0)
    return -1;
  if (!enabled) {
    if (asked)
      return keep_fail(err, ENOTSUP, "%s `%s`: AppArmor is not enabled on this host", what, keep_q(asked));
    return 0;
  }
  if (asked == NULL || strcmp(asked, KEEP_APPARMOR_DEFAULT) == 0) {
    if (keep_apparmor_ensure_default(err) < 0)
      return -1;
    *out = xstrdup(KEEP_APPARMOR_DEFAULT);
    return 0;
  }
  keep_error *e = NULL;
  int r = keep_apparmor_loaded(asked, &e);
  keep_error_free(&e);
  if (r == 0) {
    keep_fail(err, ENOENT, "%s `%s`: no AppArmor profile of that name is loaded", what, keep_q(asked));
    return keep_error_hint(err, "load it first: apparmor_parser -r FILE");
  }
  /* r < 0: the list is closed to us; the process's own write checks it. */
  *out = xstrdup(asked);
  return 0;
}

int keep_apparmor_exec_profile(const char *profile, keep_error **err)
{
  /* "unconfined": nothing to change; from a confined keep, a process
   * stays as confined as keep itself, never less. */
  if (profile == NULL || *profile == '\0' || strcmp(profile, "unconfined") == 0)
    return 0;
  cleanup_free char *what = xasprintf("AppArmor profile `%s`", profile);
  cleanup_free char *req = xasprintf("exec %s", profile);
  if (keep_lsm_attr_write("apparmor/exec", "exec", req, what, err) < 0) {
    if ((*err)->errnum == ENOENT)
      keep_error_hint(err, "no profile of that name is loaded");
    return -1;
  }
  return 0;
}
