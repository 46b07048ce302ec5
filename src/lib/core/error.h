/* One error convention for all of keep.
 *
 * A function that can fail takes `keep_error **err`, returns a negative value
 * on failure and fills *err with the errno and a message that names the
 * operand ("open `/etc/passwd`").  Callers add context on the way up with
 * keep_error_wrap().  Only the CLI's top level prints and exits.
 * die() is for broken invariants where carrying on could run unconfined. */
#ifndef KEEP_ERROR_H
#define KEEP_ERROR_H

#include <stdarg.h>
#include <stdnoreturn.h>

typedef struct keep_error {
  int errnum; /* errno at the point of failure, 0 when not a syscall error */
  char *msg;  /* human text, without the strerror() part */
  char *hint; /* optional "how to fix it", printed after the message */
} keep_error;

/* Fill *err (if err and *err is empty) and return -1. */
int keep_fail(keep_error **err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, reading errno. */
#define keep_fail_errno(err, ...) keep_fail((err), errno, __VA_ARGS__)
/* Attach a fix-it hint to an existing error; returns -1. */
int keep_error_hint(keep_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix context: "<context>: <old message>"; returns -1. */
int keep_error_wrap(keep_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line: "keep: <msg>: <strerror>" (+ " (<hint>)"). */
char *keep_error_format(const keep_error *err);
void keep_error_print(const keep_error *err);
void keep_error_free(keep_error **err);
#define cleanup_error __attribute__((cleanup(keep_error_free)))

noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Also write every printed error to `path` (text, or JSON lines). */
int keep_log_open(const char *path, _Bool json);

/* Program name used as the prefix of every message. */
extern const char *keep_progname;

#endif
