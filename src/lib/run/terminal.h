/* Terminals.  (The parent/child messages are in msg.h.) */
#ifndef KEEP_TERMINAL_H
#define KEEP_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "error.h"

int keep_tty_make_raw(int fd, struct termios *saved, keep_error **err);
void keep_tty_restore(int fd, const struct termios *saved);
/* Copy the window size of `from` (a terminal) to `to` (a pty master). */
void keep_tty_copy_size(int from, int to);

#endif
