/* Landlock: the workload may read and execute in its own tree and write
 * only below the writable mounts.  A descriptor to anything outside the tree
 * (leaked by mistake, CVE-2024-21626) gives no access, because rules are
 * tied to the container's directories, not to paths. */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/* The attr struct grows with the ABI; declare the version-6 layout here so
 * the code builds against older headers too. */
struct keep_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

int keep_landlock_abi(void)
{
  long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : (int) v;
}

static uint64_t fs_access_for(int abi)
{
  uint64_t a = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
               LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
               LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
               LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
               LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2)
    a |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3)
    a |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) /* older ABIs reject bits they do not know */
    a |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return a;
}

static int add_rule(int ruleset, const char *path, uint64_t access, keep_error **err)
{
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return keep_fail_errno(err, "landlock: open `%s`", path);
  }
  struct landlock_path_beneath_attr pb = {.allowed_access = access, .parent_fd = fd};
  long r = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
  int saved = errno;
  close(fd);
  if (r < 0) {
    /* A file (a single-file volume) only takes file accesses. */
    if (saved == EINVAL) {
      fd = open(path, O_PATH | O_CLOEXEC);
      pb.parent_fd = fd;
      pb.allowed_access = access & (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                    LANDLOCK_ACCESS_FS_IOCTL_DEV);
      r = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
      saved = errno;
      close(fd);
      if (r == 0)
        return 0;
    }
    return keep_fail(err, saved, "landlock_add_rule `%s`", path);
  }
  return 0;
}

/* A ruleset handling every access this kernel knows (and, from ABI 6,
 * scoping signals and abstract unix sockets). */
static int landlock_ruleset(keep_error **err)
{
  int abi = keep_landlock_abi();
  if (abi <= 0)
    return keep_fail(err, EOPNOTSUPP, "landlock is not available on this kernel");
  struct keep_ruleset_attr attr = {.handled_access_fs = fs_access_for(abi)};
  size_t attr_size = sizeof(uint64_t);
  if (abi >= 6) {
    attr.scoped = LANDLOCK_SCOPE_SIGNAL | LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
    attr_size = sizeof(attr);
  }
  long rs = syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
  if (rs < 0)
    return keep_fail_errno(err, "landlock_create_ruleset");
  return (int) rs;
}

static int restrict_self(int ruleset, keep_error **err)
{
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return keep_fail_errno(err, "prctl(PR_SET_NO_NEW_PRIVS)");
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
    return keep_fail_errno(err, "landlock_restrict_self");
  return 0;
}

int keep_landlock_apply(const char *const *writable, size_t n_writable, bool root_writable, keep_error **err)
{
  int rs = landlock_ruleset(err);
  if (rs < 0)
    return -1;
  cleanup_close int ruleset = rs;
  uint64_t all = fs_access_for(keep_landlock_abi());
  uint64_t ro = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  if (add_rule(ruleset, "/", root_writable ? all : ro, err) < 0)
    return -1;
  for (size_t i = 0; i < n_writable; i++)
    if (add_rule(ruleset, writable[i], all, err) < 0)
      return -1;
  return restrict_self(ruleset, err);
}

/* RULES files (--security-opt landlock=FILE). */
static const char *const access_names[] = {"read", "write", "exec"};

const char *keep_landlock_access_name(unsigned access)
{
  for (unsigned i = 0; i < ARRAY_SIZE(access_names); i++)
    if (access == (1u << i))
      return access_names[i];
  return "?";
}

/* Far above a learned set (a dozen lines), low enough to bound the work. */
#define KEEP_LL_MAX_RULES 1024

int keep_landlock_rules_parse(const char *text, const char *label, struct keep_landlock_rule **out, size_t *n,
                              keep_error **err)
{
  *out = NULL;
  *n = 0;
  cleanup_free char *copy = xstrdup(text);
  size_t line_no = 0;
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    line_no++;
    line += strspn(line, " \t");
    size_t len = strcspn(line, "#");
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
      len--;
    line[len] = '\0';
    if (len == 0)
      continue;
    char *path = line + strcspn(line, " \t");
    if (*path)
      *path++ = '\0';
    path += strspn(path, " \t");
    unsigned access = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(access_names); i++)
      if (strcmp(line, access_names[i]) == 0)
        access = 1u << i;
    const char *why = access == 0               ? "expected read, write or exec"
                      : path[0] != '/'          ? "expected an absolute path"
                      : strpbrk(path, " \t")    ? "expected one path (no blanks)"
                      : *n >= KEEP_LL_MAX_RULES ? "too many rules"
                                                : NULL;
    if (why) {
      for (size_t i = 0; i < *n; i++)
        free((*out)[i].path);
      free(*out);
      *out = NULL;
      *n = 0;
      return keep_fail(err, 0, "landlock rules `%s`: line %zu: %s", label, line_no, why);
    }
    *out = xrealloc(*out, (*n + 1) * sizeof(**out));
    (*out)[(*n)++] = (struct keep_landlock_rule){.path = xstrdup(path), .access = access};
  }
  if (*n == 0)
    return keep_fail(err, 0, "landlock rules `%s`: no rule (read|write|exec PATH, one a line)", label);
  return 0;
}

int keep_landlock_rules_load(const char *file, struct keep_landlock_rule **out, size_t *n, keep_error **err)
{
  cleanup_close int fd = open_regular_at(AT_FDCWD, file, err);
  if (fd < 0)
    return keep_error_wrap(err, "landlock rules");
  cleanup_free char *text = NULL;
  if (read_fd_all(fd, file, &text, NULL, err) < 0)
    return keep_error_wrap(err, "landlock rules");
  return keep_landlock_rules_parse(text, file, out, n, err);
}

int keep_landlock_apply_rules(const struct keep_landlock_rule *rules, size_t n, keep_error **err)
{
  int ruleset = landlock_ruleset(err);
  if (ruleset < 0)
    return -1;
  cleanup_close int rs = ruleset;
  uint64_t all = fs_access_for(keep_landlock_abi());
  uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  for (size_t i = 0; i < n; i++) {
    uint64_t a = rules[i].access == KEEP_LL_WRITE  ? all & ~(uint64_t) LANDLOCK_ACCESS_FS_EXECUTE
                 : rules[i].access == KEEP_LL_EXEC ? read | LANDLOCK_ACCESS_FS_EXECUTE
                                                   : read;
    if (add_rule(rs, rules[i].path, a & all, err) < 0)
      return -1;
  }
  return restrict_self(rs, err);
}
