/* Published ports (`-p`): a small userspace forwarder.
 *
 * keep binds each host socket itself, in the caller's network namespace, so
 * a port that is taken fails the start before the container runs; then one
 * process (keep-portfwd) enters the container's network namespace and relays
 * every TCP connection, and every UDP client's datagrams, to 127.0.0.1:PORT
 * there.  Reaching the container's loopback is the point: it works for a
 * container with no network at all, and a published port reaches that one
 * port and nothing else.
 *
 * The container sees every connection come from 127.0.0.1: a userspace
 * proxy opens a new connection of its own, so the client's source address is
 * lost (only a kernel path, DNAT on a bridge, could keep it).  A server in
 * the container that logs or filters by client address sees the forwarder.
 *
 * The default address is 127.0.0.1, so nothing is exposed beyond the host by
 * accident; any other address (0.0.0.0, ::, a real one) marks the port
 * `weaker`, for keep inspect and keep audit. */
#ifndef KEEP_PORTFWD_H
#define KEEP_PORTFWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define KEEP_PORT_IP_MAX 46 /* INET6_ADDRSTRLEN */

struct keep_port {
  int proto;                      /* IPPROTO_TCP or IPPROTO_UDP */
  char host_ip[KEEP_PORT_IP_MAX]; /* "127.0.0.1" unless given; IPv4 or IPv6 literal, canonical form */
  uint16_t host_port, ctr_port;   /* host_port 0: the kernel picks one (reported back) */
  bool weaker;                    /* an address other than loopback was asked for (0.0.0.0, ::, a real one) */
};

/* "[IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]", "[IP:]:CONTAINERPORT" (any host
 * port), "[v6addr]:H:C" and "[v6addr]::C".  The default IP is 127.0.0.1 and
 * the default protocol tcp.  Anything else is refused in one line naming the
 * spec.  Pure: no system state is read. */
int keep_port_parse(const char *spec, struct keep_port *out, keep_error **err);
/* "127.0.0.1:8080->80/tcp", "[::1]:8080->80/udp" (Docker's form) into buf. */
void keep_port_format(const struct keep_port *p, char *buf, size_t len);

/* Bind every host socket now, in the caller's network namespace (so a port
 * in use fails the start, in one line naming IP:PORT), fill in host_port
 * where 0 was asked, then fork keep-portfwd: it enters the container's
 * network namespace and forwards each TCP connection (and each UDP client
 * flow) to 127.0.0.1:ctr_port there, until the container's init exits
 * (init_pidfd) or the caller dies (PR_SET_PDEATHSIG).
 *   netns_fd:   an fd of /proc/PID/ns/net of the container's init;
 *   userns_fd:  its user namespace, or -1 when the caller is root (root may
 *               setns the network namespace directly; a normal user first
 *               enters the container's user namespace, which it owns, to gain
 *               CAP_SYS_ADMIN over the network namespace);
 *   init_pidfd: a pidfd of the container's init.
 * The fds stay the caller's.  Returns 0 with *fwd_pid once the forwarder is
 * inside the namespace and ready (an error there fails the start too).
 * The forwarder is the caller's child: the caller reaps it (it exits 0 when
 * the init exits) and may end it sooner with SIGTERM.  Because of
 * PR_SET_PDEATHSIG, the calling thread must live as long as the container:
 * a detached container's forwarder is started by its monitor. */
int keep_portfwd_start(struct keep_port *ports, size_t n, int netns_fd, int userns_fd, int init_pidfd,
                       pid_t *fwd_pid, keep_error **err);

/* Limits of one forwarder: past them, the oldest UDP flow is dropped and a
 * new TCP connection is reset, so a flood cannot exhaust its fds. */
#define KEEP_PORTFWD_MAX_TCP 4096
#define KEEP_PORTFWD_MAX_UDP 1024
#define KEEP_PORTFWD_UDP_IDLE_SEC 60

#endif
