/* The workload's environment is built from nothing: no variable of the
 * caller (tokens, SSH agent sockets, proxies) reaches the container unless
 * named with -e or --env-file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process_setup.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool valid_key(const char *s, size_t len)
{
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if (s[i] == '\0' || s[i] == '=' || s[i] == ' ' || s[i] == '\t')
      return false;
  return true;
}

int keep_env_add_arg(const char *arg, char ***env, keep_error **err)
{
  const char *eq = strchr(arg, '=');
  size_t klen = eq ? (size_t) (eq - arg) : strlen(arg);
  if (!valid_key(arg, klen))
    return keep_fail(err, 0, "invalid environment variable `%s`: expected KEY=VALUE or KEY", arg);
  if (eq) {
    strv_push(env, arg);
    return 0;
  }
  const char *v = getenv(arg);
  if (v) {
    cleanup_free char *kv = xasprintf("%s=%s", arg, v);
    strv_push(env, kv);
  }
  return 0;
}

int keep_env_file_parse(const char *path, char ***env, keep_error **err)
{
  /* A regular file only: a FIFO or a device would hold keep in open() or read(). */
  int fd = open_regular_at(AT_FDCWD, path, err);
  if (fd < 0)
    return keep_error_wrap(err, "--env-file");
  cleanup_file FILE *f = fdopen(fd, "re");
  if (f == NULL) {
    close(fd);
    return keep_fail_errno(err, "env file `%s`", keep_q(path));
  }
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned lineno = 0;
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0' || *p == '#')
      continue;
    keep_error *e = NULL;
    if (keep_env_add_arg(p, env, &e) < 0) {
      keep_error_free(&e);
      return keep_fail(err, 0, "env file `%s`:%u: invalid line `%s`", path, lineno, p);
    }
  }
  if (ferror(f))
    return keep_fail_errno(err, "read env file `%s`", path);
  return 0;
}

static void set_var(char ***env, const char *kv)
{
  size_t klen = strcspn(kv, "=");
  for (size_t i = 0; *env && (*env)[i]; i++)
    if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
      free((*env)[i]);
      (*env)[i] = xstrdup(kv);
      return;
    }
  strv_push(env, kv);
}

char **keep_env_build(char *const *asked, const char *home, const char *hostname, bool tty)
{
  char **env = NULL;
  set_var(&env, DEFAULT_PATH);
  cleanup_free char *h = xasprintf("HOME=%s", home ? home : "/");
  set_var(&env, h);
  cleanup_free char *hn = xasprintf("HOSTNAME=%s", hostname ? hostname : "");
  set_var(&env, hn);
  if (tty)
    set_var(&env, "TERM=xterm");
  for (size_t i = 0; asked && asked[i]; i++)
    set_var(&env, asked[i]);
  return env;
}
