#include "sealed_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keep_build_config.h"
#include "util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* Carried across the sealed re-exec in the environment, read and removed
 * before anything else runs. */
#define SELF_ENV "KEEP_SELF_EXE"
static char self_path[4096];

void keep_self_remember(void)
{
  const char *e = getenv(SELF_ENV);
  if (e && *e == '/' && strlen(e) < sizeof(self_path)) {
    memcpy(self_path, e, strlen(e) + 1);
  } else {
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
    self_path[n > 0 ? n : 0] = '\0';
  }
  unsetenv(SELF_ENV);
}

const char *keep_self_path(void)
{
  return self_path;
}

int keep_sealed_copy(int src, const char *name, keep_error **err)
{
  struct stat st;
  if (fstat(src, &st) < 0)
    return keep_fail_errno(err, "stat `%s`", name);
  cleanup_close int mem = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mem < 0 && errno == EINVAL) /* kernels before 6.3 have no MFD_EXEC: exec is implied */
    mem = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0)
    return keep_fail_errno(err, "memfd_create for the sealed copy of %s", name);
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mem, src, &off, (size_t) (st.st_size - off));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return keep_fail_errno(err, "copy %s into a sealed memfd", name);
    }
    if (n == 0)
      break;
  }
  /* Sealed against writes, resizing and further changes of the seals. */
  if (fcntl(mem, F_ADD_SEALS, REQUIRED_SEALS | F_SEAL_EXEC) < 0 &&
      fcntl(mem, F_ADD_SEALS, REQUIRED_SEALS) < 0)
    return keep_fail_errno(err, "seal the in-memory copy of %s", name);
  return steal_fd(&mem);
}

char *keep_helper_path(const char *name)
{
  const char *slash = strrchr(self_path, '/');
  if (slash) {
    char *beside = xasprintf("%.*s/%s", (int) (slash - self_path), self_path, name);
    if (access(beside, X_OK) == 0)
      return beside;
    free(beside);
  }
  char *installed = xasprintf("%s/%s", KEEP_LIBEXEC_DIR, name);
  if (access(installed, X_OK) == 0)
    return installed;
  free(installed);
  return NULL;
}

int keep_ensure_sealed_self(char **argv, keep_error **err)
{
  cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return keep_fail_errno(err, "open `/proc/self/exe`");
  int seals = fcntl(self, F_GET_SEALS);
  if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS)
    return 0;
  cleanup_close int mem = keep_sealed_copy(self, "keep", err);
  if (mem < 0)
    return -1;
  if (self_path[0] == '/')
    setenv(SELF_ENV, self_path, 1);
  fexecve(mem, argv, environ);
  unsetenv(SELF_ENV);
  return keep_fail_errno(err, "re-execute keep from a sealed memfd");
}
