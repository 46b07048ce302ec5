#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *keep_progname = "keep";

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    die("out of memory");
  return s;
}

int keep_fail(keep_error **err, int errnum, const char *fmt, ...)
{
  if (err == NULL || *err != NULL)
    return -1;
  keep_error *e = calloc(1, sizeof(*e));
  if (e == NULL)
    die("out of memory");
  va_list ap;
  va_start(ap, fmt);
  e->msg = vformat(fmt, ap);
  va_end(ap);
  e->errnum = errnum;
  *err = e;
  return -1;
}

int keep_error_hint(keep_error **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *h = vformat(fmt, ap);
  va_end(ap);
  free((*err)->hint);
  (*err)->hint = h;
  return -1;
}

int keep_error_wrap(keep_error **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *ctx = vformat(fmt, ap);
  va_end(ap);
  char *joined = NULL;
  if (asprintf(&joined, "%s: %s", ctx, (*err)->msg) < 0)
    die("out of memory");
  free(ctx);
  free((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

/* The last line of defence of the one-line rule, behind the bounded quoting
 * at the call sites: control characters escaped, at most ERROR_LINE_MAX
 * bytes (a config can make a path ten megabytes long). */
#define ERROR_LINE_MAX 4096

static char *one_line(const char *s)
{
  size_t n = strlen(s), cut = n;
  if (n > ERROR_LINE_MAX) {
    cut = ERROR_LINE_MAX;
    /* Never in the middle of a UTF-8 sequence. */
    while (cut > 0 && ((unsigned char) s[cut] & 0xc0) == 0x80)
      cut--;
  }
  char *out = malloc(cut * 4 + 4);
  if (out == NULL)
    die("out of memory");
  size_t o = 0;
  for (size_t i = 0; i < cut; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c >= 0x20 && c != 0x7f) {
      out[o++] = (char) c;
      continue;
    }
    o += (size_t) sprintf(out + o, c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : "\\x%02x", c);
  }
  if (cut < n) {
    memcpy(out + o, "\xe2\x80\xa6", 3);
    o += 3;
  }
  out[o] = '\0';
  return out;
}

char *keep_error_format(const keep_error *e)
{
  char *s = NULL;
  int r = asprintf(&s, "%s: %s%s%s%s%s%s", keep_progname, e->msg, e->errnum ? ": " : "",
                   e->errnum ? strerror(e->errnum) : "", e->hint ? " (" : "", e->hint ? e->hint : "",
                   e->hint ? ")" : "");
  if (r < 0)
    die("out of memory");
  char *line = one_line(s);
  free(s);
  return line;
}

static int log_fd = -1;
static bool log_json;

int keep_log_open(const char *path, bool json)
{
  log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  log_json = json;
  return log_fd < 0 ? -1 : 0;
}

/* The --log file: containerd and podman show its last error to the user. */
static void log_error(const char *line)
{
  if (log_fd < 0)
    return;
  if (!log_json) {
    dprintf(log_fd, "%s\n", line);
    return;
  }
  json_t *j = json_pack("{s:s, s:s}", "level", "error", "msg", line);
  char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (t)
    dprintf(log_fd, "%s\n", t);
  free(t);
  json_decref(j);
}

void keep_error_print(const keep_error *e)
{
  char *s = keep_error_format(e);
  log_error(s);
  /* One write so concurrent writers do not interleave the line. */
  size_t n = strlen(s);
  s[n] = '\n';
  ssize_t w = write(STDERR_FILENO, s, n + 1);
  (void) w;
  free(s);
}

void keep_error_free(keep_error **err)
{
  if (err == NULL || *err == NULL)
    return;
  free((*err)->msg);
  free((*err)->hint);
  free(*err);
  *err = NULL;
}

noreturn void die(const char *fmt, ...)
{
  int saved = errno;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  dprintf(STDERR_FILENO, "%s: fatal: %s%s%s\n", keep_progname, buf, saved ? ": " : "",
          saved ? strerror(saved) : "");
  /* 125: keep itself failed (docker/podman convention). */
  _exit(125);
}
