/* Terminals and the parent/child message channel. */
#ifndef KEEP_TERMINAL_H
#define KEEP_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "error.h"

/* Messages on the SOCK_SEQPACKET pair between keep and the container's init:
 * one tag byte, optional text, optional fd (SCM_RIGHTS). */
int keep_msg_send(int sock, char tag, const char *text, int fd, keep_error **err);
/* Returns the payload length (0 on EOF with *tag = 0). */
int keep_msg_recv(int sock, char *tag, char *text, size_t textlen, int *fd, keep_error **err);

int keep_tty_make_raw(int fd, struct termios *saved, keep_error **err);
void keep_tty_restore(int fd, const struct termios *saved);
/* Copy the window size of `from` (a terminal) to `to` (a pty master). */
void keep_tty_copy_size(int from, int to);

#endif
