#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

void cleanup_freep(void *p)
{
  free(*(void **) p);
}

void cleanup_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}

void cleanup_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}

void cleanup_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}

void cleanup_strvp(char ***v)
{
  strv_free(*v);
}

void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    die("out of memory");
  return p;
}

void *xcalloc(size_t n, size_t sz)
{
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (p == NULL)
    die("out of memory");
  return p;
}

void *xrealloc(void *p, size_t n)
{
  void *q = realloc(p, n ? n : 1);
  if (q == NULL)
    die("out of memory");
  return q;
}

char *xstrdup(const char *s)
{
  char *d = strdup(s);
  if (d == NULL)
    die("out of memory");
  return d;
}

char *xasprintf(const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (r < 0)
    die("out of memory");
  return s;
}

size_t strv_len(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void strv_push(char ***v, const char *s)
{
  size_t n = strv_len(*v);
  *v = xrealloc(*v, (n + 2) * sizeof(char *));
  (*v)[n] = xstrdup(s);
  (*v)[n + 1] = NULL;
}

void strv_free(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

char **strv_dup(char *const *v)
{
  size_t n = strv_len(v);
  char **d = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    d[i] = xstrdup(v[i]);
  return d;
}

int write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t) w;
  }
  return 0;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
  size_t got = 0;
  char *p = buf;
  while (got < len) {
    ssize_t r = read(fd, p + got, len - got);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    got += (size_t) r;
  }
  return (ssize_t) got;
}

int read_file_at(int dirfd, const char *path, char **out, size_t *len, keep_error **err)
{
  cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", path);
  size_t cap = 4096, n = 0;
  cleanup_free char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > (64u << 20))
        return keep_fail(err, EFBIG, "read `%s`", path);
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return keep_fail_errno(err, "read `%s`", path);
    }
    if (r == 0)
      break;
    n += (size_t) r;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = steal_pointer(&buf);
  return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, keep_error **err)
{
  cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", path);
  if (write_all(fd, data, strlen(data)) < 0)
    return keep_fail_errno(err, "write `%s` to `%s`", data, path);
  return 0;
}

int create_file_at(int dirfd, const char *path, const char *data, mode_t mode, keep_error **err)
{
  cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
  if (fd < 0)
    return keep_fail_errno(err, "create `%s`", path);
  if (write_all(fd, data, strlen(data)) < 0)
    return keep_fail_errno(err, "write `%s`", path);
  return 0;
}

int parse_int64(const char *s, int64_t *out)
{
  if (s == NULL || *s == '\0' || isspace((unsigned char) *s))
    return -1;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int parse_size(const char *s, int64_t *out)
{
  if (s == NULL || !isdigit((unsigned char) *s))
    return -1;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s)
    return -1;
  unsigned long long mult = 1;
  if (*end) {
    char u = (char) tolower((unsigned char) *end++);
    switch (u) {
    case 'b': mult = 1; break;
    case 'k': mult = 1ULL << 10; break;
    case 'm': mult = 1ULL << 20; break;
    case 'g': mult = 1ULL << 30; break;
    case 't': mult = 1ULL << 40; break;
    default: return -1;
    }
    /* Accept the suffix forms docker and podman users type: 512m, 512mb, 512MiB. */
    if (u != 'b') {
      if (*end == 'i' || *end == 'I')
        end++;
      if (*end == 'b' || *end == 'B')
        end++;
    }
    if (*end)
      return -1;
  }
  if (v > (unsigned long long) INT64_MAX / mult)
    return -1;
  *out = (int64_t) (v * mult);
  return 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

int random_hex(char *out, size_t n, keep_error **err)
{
  unsigned char raw[32];
  if (n > 64)
    n = 64;
  size_t need = (n + 1) / 2;
  if (getrandom(raw, need, 0) != (ssize_t) need)
    return keep_fail_errno(err, "getrandom");
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++)
    out[i] = hex[(raw[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf];
  out[n] = '\0';
  return 0;
}

static char *cmdline_start;
static size_t cmdline_len;

void keep_cmdline_remember(int argc, char **argv)
{
  if (argc < 1)
    return;
  cmdline_start = argv[0];
  cmdline_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
}

void keep_cmdline_rewrite(const char *name)
{
  if (!cmdline_start)
    return;
  memset(cmdline_start, 0, cmdline_len);
  size_t n = strlen(name);
  memcpy(cmdline_start, name, n < cmdline_len - 1 ? n : cmdline_len - 1);
}

int keep_signal_parse(const char *s, int *sig)
{
  char *end;
  long n = strtol(s, &end, 10);
  if (*s && *end == '\0') {
    if (n <= 0 || n >= NSIG)
      return -1;
    *sig = (int) n;
    return 0;
  }
  const char *name = str_has_prefix(s, "SIG") ? s + 3 : s;
  for (int i = 1; i < NSIG; i++) {
    const char *abbrev = sigabbrev_np(i);
    if (abbrev && strcasecmp(abbrev, name) == 0) {
      *sig = i;
      return 0;
    }
  }
  return -1;
}

void keep_human_size(uint64_t n, char *buf, size_t len)
{
  const char *units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = (double) n;
  size_t u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    u++;
  }
  snprintf(buf, len, u ? "%.3g %s" : "%.0f %s", v, units[u]);
}
