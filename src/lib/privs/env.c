/* The workload's environment is built from nothing: no variable of the
 * caller (tokens, SSH agent sockets, proxies) reaches the container unless
 * named with -e or --env-file. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

int keep_env_add_arg(const char *arg, struct strv_builder *env, keep_error **err)
{
  const char *eq = strchr(arg, '=');
  size_t klen = eq ? (size_t) (eq - arg) : strlen(arg);
  if (!valid_key(arg, klen))
    return keep_fail(err, 0, "invalid environment variable `%s`: expected KEY=VALUE or KEY", keep_q(arg));
  if (env->n >= KEEP_MAX_ENV)
    return keep_fail(err, 0, "more than %d environment variables (-e and --env-file)", KEEP_MAX_ENV);
  if (eq) {
    strvb_add(env, arg);
    return 0;
  }
  const char *v = getenv(arg);
  if (v) {
    cleanup_free char *kv = xasprintf("%s=%s", arg, v);
    strvb_add(env, kv);
  }
  return 0;
}

#define ENV_FILE_MAX (16u << 20)

int keep_env_file_parse(const char *path, struct strv_builder *env, keep_error **err)
{
  /* A regular file only: a FIFO or a device would hold keep in open() or read(). */
  int fd = open_regular_at(AT_FDCWD, path, err);
  if (fd < 0)
    return keep_error_wrap(err, "--env-file");
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > (off_t) ENV_FILE_MAX) {
    close(fd);
    return keep_fail(err, EFBIG, "env file `%s`: larger than %u MB", keep_q(path), ENV_FILE_MAX >> 20);
  }
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
    if (env->n >= KEEP_MAX_ENV)
      return keep_fail(err, 0, "env file `%s`:%u: more than %d environment variables (-e and --env-file)",
                       keep_q(path), lineno, KEEP_MAX_ENV);
    keep_error *e = NULL;
    if (keep_env_add_arg(p, env, &e) < 0) {
      keep_error_free(&e);
      return keep_fail(err, 0, "env file `%s`:%u: invalid line `%s`", keep_q(path), lineno, keep_q(p));
    }
  }
  if (ferror(f))
    return keep_fail_errno(err, "read env file `%s`", keep_q(path));
  return 0;
}

/* The name of KEY=VALUE: its length, and a hash of it (FNV-1a). */
static size_t key_len(const char *kv)
{
  return strcspn(kv, "=");
}

static uint64_t key_hash(const char *kv, size_t len)
{
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char) kv[i]) * 1099511628211ull;
  return h;
}

char **keep_env_build(char *const *asked, const char *home, const char *hostname, bool tty)
{
  cleanup_free char *h = xasprintf("HOME=%s", home ? home : "/");
  cleanup_free char *hn = xasprintf("HOSTNAME=%s", hostname ? hostname : "");
  const char *defaults[4] = {DEFAULT_PATH, h, hn, tty ? "TERM=xterm" : NULL};
  size_t n_asked = strv_len(asked), total = n_asked + ARRAY_SIZE(defaults);
  /* Later entries override earlier ones of the same name, in the place the
   * name first had: one pass with a hash table of the names seen (an image
   * may carry tens of thousands of variables; comparing each with every
   * other took seconds). */
  size_t slots = 16;
  while (slots < total * 2)
    slots *= 2;
  cleanup_free size_t *table = xcalloc(slots, sizeof(size_t)); /* index + 1 into out; 0 = empty */
  char **out = xcalloc(total + 1, sizeof(char *));
  size_t n = 0;
  for (size_t i = 0; i < total; i++) {
    const char *kv = i < ARRAY_SIZE(defaults) ? defaults[i] : asked[i - ARRAY_SIZE(defaults)];
    if (kv == NULL)
      continue;
    size_t len = key_len(kv);
    size_t slot = (size_t) key_hash(kv, len) & (slots - 1);
    for (;; slot = (slot + 1) & (slots - 1)) {
      size_t at = table[slot];
      if (at == 0) {
        table[slot] = n + 1;
        out[n++] = xstrdup(kv);
        break;
      }
      const char *seen = out[at - 1];
      if (key_len(seen) == len && memcmp(seen, kv, len) == 0) {
        free(out[at - 1]);
        out[at - 1] = xstrdup(kv);
        break;
      }
    }
  }
  out[n] = NULL;
  return out;
}
