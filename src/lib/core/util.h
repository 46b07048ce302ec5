/* Scope-bound cleanup and small helpers shared by every module. */
#ifndef KEEP_UTIL_H
#define KEEP_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "error.h"

#define KEEP_EXPORT __attribute__((visibility("default")))

void cleanup_freep(void *p);
void cleanup_closep(int *fd);
void cleanup_fclosep(FILE **f);
void cleanup_closedirp(DIR **d);
void cleanup_strvp(char ***v);

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_file __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_strv __attribute__((cleanup(cleanup_strvp)))

/* Hand ownership on: returns the value and leaves NULL / -1 behind. */
#define steal_pointer(pp)                                                                                    \
  ({                                                                                                         \
    __typeof__(*(pp)) _v = *(pp);                                                                            \
    *(pp) = NULL;                                                                                            \
    _v;                                                                                                      \
  })
#define steal_fd(fdp)                                                                                        \
  ({                                                                                                         \
    int _f = *(fdp);                                                                                         \
    *(fdp) = -1;                                                                                             \
    _f;                                                                                                      \
  })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
void strv_push(char ***v, const char *s); /* appends a copy */
void strv_free(char **v);
char **strv_dup(char *const *v);
/* A name of keep's (a container's, a network's): [A-Za-z0-9][A-Za-z0-9_.-]*,
 * at most max bytes. */
bool keep_name_valid(const char *name, size_t max);
/* v (may be NULL) with a copy of s appended: the new vector. */
char **strv_append(char **v, const char *s);
/* strv_push measures the vector each time: for short lists only.  Lists an
 * image, a config or a command line can make long are built here, in
 * amortised constant time per string. */
struct strv_builder {
  char **v;
  size_t n, cap;
};
void strvb_add(struct strv_builder *b, const char *s);      /* appends a copy */
void strvb_add_all(struct strv_builder *b, char *const *v); /* appends copies of a NULL-terminated vector */
char **strvb_finish(struct strv_builder *b);                /* the vector (NULL when empty); b is reset */
void strvb_free(struct strv_builder *b);
#define cleanup_strvb __attribute__((cleanup(strvb_free)))

/* Retry on EINTR, loop on short writes. */
int write_all(int fd, const void *buf, size_t len);
ssize_t read_all(int fd, void *buf, size_t len);
/* Open a file keep reads as input (a config, an env file, a policy, a key)
 * relative to dirfd: O_NONBLOCK, so a FIFO or a device cannot hold keep in
 * open(), then refused unless fstat says it is a regular file. */
int open_regular_at(int dirfd, const char *path, keep_error **err);
/* Read what fd gives until end of file (at most 64 MB): a pipe, a socket;
 * NUL-terminated, *len (when given) the bytes read.  `what` names it. */
int read_fd_all(int fd, const char *what, char **out, size_t *len, keep_error **err);
/* Read a whole (small, at most 64 MB) regular file relative to dirfd;
 * NUL-terminated, *len (when given) the bytes read, which may hold NULs. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, keep_error **err);
/* "a FIFO", "a directory"...: what a mode says a file is, for messages. */
const char *keep_file_kind(mode_t mode);

/* Parse a JSON document of exactly len bytes: a NUL byte inside is refused
 * (a parser reading up to the first NUL would accept a prefix and ignore the
 * rest).  `what` names the document in errors ("config.json"). */
struct json_t *keep_json_parse(const char *text, size_t len, size_t flags, const char *what,
                               keep_error **err);
/* Read a JSON document from a regular file; errors name `path`. */
struct json_t *keep_json_load_file_at(int dirfd, const char *path, size_t flags, keep_error **err);

/* Untrusted text (a reference, a path or a name from a config, a value given
 * on the command line) as a one-line message may echo it: control characters
 * and bytes that are not UTF-8 escaped (\n, \t, \x1b), at most KEEP_QUOTE_MAX
 * bytes of it, then "…".  The result lives in one of KEEP_QUOTE_SLOTS rotating
 * buffers of the calling thread: enough for every operand of one message. */
#define KEEP_QUOTE_MAX 256
#define KEEP_QUOTE_SLOTS 8
const char *keep_q(const char *s);
/* The same for len bytes that may hold NULs (shown as \x00). */
const char *keep_qn(const char *s, size_t len);
/* open(path, O_WRONLY|O_CLOEXEC|O_NOFOLLOW) relative to dirfd, write, close. */
int write_file_at(int dirfd, const char *path, const char *data, keep_error **err);
/* Create (or truncate) a regular file, never through a symlink. */
int create_file_at(int dirfd, const char *path, const char *data, mode_t mode, keep_error **err);

/* Strict number parsers: the whole string must be consumed. */
int parse_int64(const char *s, int64_t *out);
/* "512m", "1g", "1048576", "2KiB" → bytes.  Returns -1 on bad input. */
int parse_size(const char *s, int64_t *out);

bool str_has_prefix(const char *s, const char *prefix);
/* "1.23 MB": decimal units, three significant digits. */
void keep_human_size(uint64_t n, char *buf, size_t len);
/* A signal by number or name ("TERM", "SIGTERM", "15"); -1 when unknown. */
int keep_signal_parse(const char *s, int *sig);

/* Random lowercase hex of n chars (n <= 64). */
/* The time now as RFC 3339 in UTC with nanoseconds (OCI and Docker's form). */
char *keep_now_rfc3339(void);
int random_hex(char *out, size_t n, keep_error **err);

/* The command line a process shows in /proc/PID/cmdline is its argv memory.
 * keep's init inside a container is a fork of keep: without a rewrite it
 * would show the container the host's paths (keep's own, the rootfs, the
 * volumes).  main() records the area; the init overwrites it with `name`. */
void keep_cmdline_remember(int argc, char **argv);
void keep_cmdline_rewrite(const char *name);

#endif
