#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int count, failed;

__attribute__((format(printf, 3, 0))) static void line(const char *status, const char *directive,
                                                       const char *fmt, va_list ap)
{
  printf("%s %d - ", status, ++count);
  vprintf(fmt, ap);
  if (directive)
    printf(" # %s", directive);
  printf("\n");
  fflush(stdout);
}

void tap_ok(bool cond, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  line(cond ? "ok" : "not ok", NULL, fmt, ap);
  va_end(ap);
  if (!cond)
    failed++;
}

void tap_skip(const char *why, const char *fmt, ...)
{
  char d[256];
  snprintf(d, sizeof(d), "SKIP %s", why);
  va_list ap;
  va_start(ap, fmt);
  line("ok", d, fmt, ap);
  va_end(ap);
}

int tap_in_child(int (*fn)(void))
{
  pid_t p = fork();
  if (p == 0)
    _exit(fn());
  int st = 0;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

int tap_done(void)
{
  printf("1..%d\n", count);
  return failed ? 1 : 0;
}
