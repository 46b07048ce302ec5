#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *keep_progname = "keep";

static char *vformat(const char *fmt, va_list ap)
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

char *keep_error_format(const keep_error *e)
{
  char *s = NULL;
  int r = asprintf(&s, "%s: %s%s%s%s%s%s", keep_progname, e->msg,
                   e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "",
                   e->hint ? " (" : "", e->hint ? e->hint : "", e->hint ? ")" : "");
  if (r < 0)
    die("out of memory");
  return s;
}

void keep_error_print(const keep_error *e)
{
  char *s = keep_error_format(e);
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
  dprintf(STDERR_FILENO, "%s: fatal: %s%s%s\n", keep_progname, buf,
          saved ? ": " : "", saved ? strerror(saved) : "");
  /* 125: keep itself failed (docker/podman convention). */
  _exit(125);
}
