/* Helpers shared by the harnesses (see fuzz.h). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "store.h"
#include "util.h"

void fuzz_broken(const char *file, int line, const char *cond, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "\n==INVARIANT== %s:%d: `%s` does not hold: ", file, line, cond);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  abort();
}

bool fuzz_pending(void)
{
  static int on = -1;
  if (on < 0) {
    const char *e = getenv("KEEP_FUZZ_PENDING");
    on = e && strcmp(e, "1") == 0;
  }
  return on;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
  char *s = xmalloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

int fuzz_memfd(const void *data, size_t size)
{
  int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
  if (fd < 0)
    die("memfd_create: %m");
  if (size > 0 && write_all(fd, data, size) < 0)
    die("write the input to a memfd: %m");
  if (lseek(fd, 0, SEEK_SET) < 0)
    die("lseek: %m");
  return fd;
}

char *fuzz_fd_path(int fd)
{
  return xasprintf("/proc/self/fd/%d", fd);
}

static char *tmpdir;

static void remove_tmpdir(void)
{
  if (tmpdir == NULL)
    return;
  cleanup_error keep_error *ignored = NULL;
  keep_remove_tree(AT_FDCWD, tmpdir, &ignored);
  free(tmpdir);
  tmpdir = NULL;
}

const char *fuzz_tmpdir(void)
{
  if (tmpdir)
    return tmpdir;
  const char *base = getenv("TMPDIR");
  tmpdir = xasprintf("%s/keep-fuzz-XXXXXX", base && *base == '/' ? base : "/tmp");
  if (mkdtemp(tmpdir) == NULL)
    die("mkdtemp `%s`: %m", tmpdir);
  atexit(remove_tmpdir);
  return tmpdir;
}

void fuzz_error_done(keep_error **err, int ret)
{
  /* One error convention: a failure fills the error (with a message), a
   * success leaves it empty. */
  if (ret < 0)
    FUZZ_CHECK(*err != NULL && (*err)->msg != NULL && (*err)->msg[0] != '\0',
               "failure without an error message");
  else
    FUZZ_CHECK(*err == NULL, "success with an error set: %s", (*err)->msg);
  keep_error_free(err);
}
