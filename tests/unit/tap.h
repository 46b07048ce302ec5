/* Minimal TAP producer for unit tests. */
#ifndef KEEP_TAP_H
#define KEEP_TAP_H

#include <stdbool.h>

void tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fn() in a child process (what it changes about itself stays there): its
 * exit status, or 99 when it did not exit. */
int tap_in_child(int (*fn)(void));
/* Prints the plan and returns the exit status (non-zero when any failed). */
int tap_done(void);

#define TAP_EQ_INT(a, b, name)                                                                               \
  tap_ok((long long) (a) == (long long) (b), "%s (got %lld, want %lld)", (name), (long long) (a),            \
         (long long) (b))
#define TAP_EQ_STR(a, b, name)                                                                               \
  tap_ok((a) && (b) && strcmp((a), (b)) == 0, "%s (got `%s`, want `%s`)", (name), (a) ? (a) : "(null)",      \
         (b) ? (b) : "(null)")

#endif
