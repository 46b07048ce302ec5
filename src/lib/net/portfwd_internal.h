/* Between the start of keep-portfwd (portfwd.c: sockets, namespaces,
 * privileges) and its relay loop (portfwd_loop.c). */
#ifndef KEEP_PORTFWD_INTERNAL_H
#define KEEP_PORTFWD_INTERNAL_H

#include <stdnoreturn.h>

#include "portfwd.h"

/* One bound host socket: a listening TCP socket or a UDP socket. */
struct fwd_listener {
  int fd;
  int proto;
  uint16_t ctr_port;
};

/* Relay until init_pidfd reports the init's exit; never returns. */
noreturn void keep_portfwd_loop(const struct fwd_listener *l, size_t n, int init_pidfd);

#endif
