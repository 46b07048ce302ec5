#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

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

bool keep_name_valid(const char *name, size_t max)
{
  size_t n = strlen(name);
  if (n == 0 || n > max)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
      return false;
  }
  return true;
}

char **strv_append(char **v, const char *s)
{
  size_t n = strv_len(v);
  v = xrealloc(v, (n + 2) * sizeof(char *));
  v[n] = xstrdup(s);
  v[n + 1] = NULL;
  return v;
}

static void strvb_reserve(struct strv_builder *b, size_t more)
{
  if (b->n + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 16;
  while (cap < b->n + more + 1)
    cap *= 2;
  b->v = xrealloc(b->v, cap * sizeof(char *));
  b->cap = cap;
}

void strvb_add(struct strv_builder *b, const char *s)
{
  strvb_reserve(b, 1);
  b->v[b->n++] = xstrdup(s);
  b->v[b->n] = NULL;
}

void strvb_add_all(struct strv_builder *b, char *const *v)
{
  size_t n = strv_len(v);
  strvb_reserve(b, n);
  for (size_t i = 0; i < n; i++)
    b->v[b->n++] = xstrdup(v[i]);
  b->v[b->n] = NULL;
}

char **strvb_finish(struct strv_builder *b)
{
  char **v = b->n ? b->v : NULL;
  if (v == NULL)
    free(b->v);
  *b = (struct strv_builder){0};
  return v;
}

void strvb_free(struct strv_builder *b)
{
  strv_free(strvb_finish(b));
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

const char *keep_file_kind(mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFREG: return "a regular file";
  case S_IFDIR: return "a directory";
  case S_IFIFO: return "a FIFO";
  case S_IFCHR: return "a character device";
  case S_IFBLK: return "a block device";
  case S_IFSOCK: return "a socket";
  case S_IFLNK: return "a symlink";
  default: return "not a regular file";
  }
}

int open_regular_at(int dirfd, const char *path, keep_error **err)
{
  /* A FIFO would block open() until a writer comes (and keep cannot be
   * interrupted once it blocks its signals); a device could be read forever. */
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return keep_fail_errno(err, "open `%s`", keep_q(path));
  struct stat st;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return keep_fail_errno(err, "stat `%s`", keep_q(path));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return keep_fail(err, 0, "`%s` is %s, not a regular file", keep_q(path), keep_file_kind(st.st_mode));
  }
  return fd;
}

int read_fd_all(int fd, const char *what, char **out, size_t *len, keep_error **err)
{
  size_t cap = 4096, n = 0;
  cleanup_free char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > (64u << 20))
        return keep_fail(err, EFBIG, "read %s", what);
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return keep_fail_errno(err, "read %s", what);
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

int read_file_at(int dirfd, const char *path, char **out, size_t *len, keep_error **err)
{
  cleanup_close int fd = open_regular_at(dirfd, path, err);
  if (fd < 0)
    return -1;
  cleanup_free char *what = xasprintf("`%s`", keep_q(path));
  return read_fd_all(fd, what, out, len, err);
}

json_t *keep_json_parse(const char *text, size_t len, size_t flags, const char *what, keep_error **err)
{
  const char *nul = memchr(text, '\0', len);
  if (nul) {
    keep_fail(err, 0, "%s contains a NUL byte (at offset %zu): not a JSON document", what,
              (size_t) (nul - text));
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(text, len, flags, &je);
  if (j == NULL)
    keep_fail(err, 0, "%s: line %d, column %d: %s", what, je.line, je.column, keep_q(je.text));
  return j;
}

json_t *keep_json_load_file_at(int dirfd, const char *path, size_t flags, keep_error **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(dirfd, path, &text, &len, err) < 0)
    return NULL;
  cleanup_free char *what = xasprintf("`%s`", keep_q(path));
  return keep_json_parse(text, len, flags, what, err);
}

/* Length of the UTF-8 sequence at s (at most n bytes) when it is a valid,
 * printable one; 0 otherwise.  C1 controls (U+0080..U+009F) count as not
 * printable: some terminals act on them. */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
  unsigned char c = s[0];
  size_t want;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    want = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    want = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    want = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < want)
    return 0;
  for (size_t i = 1; i < want; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((want == 3 && cp < 0x800) || (want == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
    return 0;
  return want;
}

const char *keep_qn(const char *s, size_t len)
{
  static __thread char slots[KEEP_QUOTE_SLOTS][KEEP_QUOTE_MAX * 4 + 8];
  static __thread unsigned next;
  char *out = slots[next++ % KEEP_QUOTE_SLOTS];
  if (s == NULL)
    return strcpy(out, "(null)");
  const unsigned char *p = (const unsigned char *) s;
  size_t shown = len < KEEP_QUOTE_MAX ? len : KEEP_QUOTE_MAX, o = 0, i = 0;
  while (i < shown) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f) {
      out[o++] = (char) c;
      i++;
      continue;
    }
    size_t u = c >= 0x80 ? utf8_printable(p + i, shown - i) : 0;
    if (u > 0) {
      memcpy(out + o, p + i, u);
      o += u;
      i += u;
      continue;
    }
    /* A sequence cut by the bound is dropped whole, not escaped. */
    if (c >= 0xc2 && c <= 0xf4 && shown < len && utf8_printable(p + i, len - i) > 0)
      break;
    static const char hex[] = "0123456789abcdef";
    out[o++] = '\\';
    switch (c) {
    case '\n': out[o++] = 'n'; break;
    case '\t': out[o++] = 't'; break;
    case '\r': out[o++] = 'r'; break;
    default:
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 0xf];
    }
    i++;
  }
  if (shown < len) {
    memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
    o += 3;
  }
  out[o] = '\0';
  return out;
}

const char *keep_q(const char *s)
{
  return keep_qn(s, s ? strlen(s) : 0);
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
  cleanup_close int fd =
      openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
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
  cmdline_len = (size_t) (argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
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

char *keep_now_rfc3339(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}
