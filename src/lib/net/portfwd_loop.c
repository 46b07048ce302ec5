/* keep-portfwd's relay: one process, one epoll loop, inside the container's
 * network namespace with the host sockets keep bound before it entered.
 *
 * TCP: each accepted connection gets a new connection to 127.0.0.1:PORT in
 * the container, and bytes move between the two with splice() through a pipe
 * per direction, never copied to user space.  An end of file from one side
 * is passed on as shutdown(SHUT_WR) to the other (half-close), an error or a
 * refused connection as a reset.
 * UDP: a flow per client address, each with a connected socket of its own in
 * the container (so replies find their client), closed after a minute idle.
 *
 * The container sees 127.0.0.1 as every client's address: a proxy cannot
 * pass the client's own on (see portfwd.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "portfwd_internal.h"
#include "util.h"

enum ev_kind { EV_LISTEN, EV_PIDFD, EV_TCP, EV_UDP };

/* epoll data: kind, the slot's generation (a slot closed and reused within
 * one batch of events must not take the old connection's events), index and
 * side. */
static uint64_t ev_data(enum ev_kind kind, uint32_t gen, uint32_t idx, unsigned side)
{
  return (uint64_t) kind << 60 | (uint64_t) (gen & 0xffffff) << 36 | (uint64_t) side << 32 | idx;
}
#define EV_KIND(d) ((enum ev_kind)((d) >> 60))
#define EV_GEN(d) ((uint32_t) ((d) >> 36) & 0xffffff)
#define EV_SIDE(d) ((unsigned) ((d) >> 32) & 1)
#define EV_IDX(d) ((uint32_t) (d))

/* Side 0 is the client's socket, side 1 the container's; direction d moves
 * bytes from side d to side 1-d through pipe[d]. */
struct tcp_conn {
  int fd[2];
  int pipe[2][2];
  size_t pending[2]; /* bytes in pipe[d] not yet written on */
  bool eof[2];       /* side d has sent its last byte */
  bool shut[2];      /* ...and that was passed on */
  bool used, connecting;
  uint32_t gen;
};

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message: CMSG_SPACE's
 * value, spelled as a constant (some compilers do not take CMSG_SPACE as
 * one), with room to spare for its alignment. */
#define PKTINFO_SPACE (sizeof(struct cmsghdr) + sizeof(struct in6_pktinfo) + 2 * sizeof(size_t))

struct udp_flow {
  int fd; /* connected to the container's port */
  size_t listener;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  struct {
    /* aligned for a struct cmsghdr, which cannot be a member itself: it
     * ends in a flexible array */
    _Alignas(struct cmsghdr) char buf[PKTINFO_SPACE];
  } local; /* the address the client wrote to, to answer from */
  size_t local_len;
  uint64_t last_ms;
  bool used;
  uint32_t gen;
};

struct relay {
  int ep;
  const struct fwd_listener *l;
  size_t nl;
  struct tcp_conn *tcp;
  uint32_t *tcp_free; /* a stack of free slots */
  size_t tcp_max, tcp_nfree;
  struct udp_flow *udp;
  size_t udp_max, udp_n;
  size_t pipe_size;
};

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static struct sockaddr_in ctr_addr(uint16_t port)
{
  return (struct sockaddr_in){
      .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Close with an RST rather than a FIN: the peer learns the connection
 * failed, not that it ended. */
static void reset_close(int *fd)
{
  if (*fd < 0)
    return;
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close_fd(fd);
}

static void tcp_close(struct relay *r, uint32_t idx, bool reset)
{
  struct tcp_conn *c = &r->tcp[idx];
  for (int s = 0; s < 2; s++) {
    if (reset)
      reset_close(&c->fd[s]);
    else
      close_fd(&c->fd[s]);
    close_fd(&c->pipe[s][0]);
    close_fd(&c->pipe[s][1]);
  }
  c->used = false;
  c->gen++;
  r->tcp_free[r->tcp_nfree++] = idx;
}

/* Move what can move in direction d.  Returns -1 when the connection is
 * over (either side failed). */
static int tcp_pump(struct relay *r, struct tcp_conn *c, int d)
{
  int src = c->fd[d], dst = c->fd[1 - d];
  for (;;) {
    if (c->pending[d] > 0) {
      ssize_t w = splice(c->pipe[d][0], NULL, dst, NULL, c->pending[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (w < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1; /* EAGAIN: EPOLLOUT on dst resumes */
      c->pending[d] -= (size_t) w;
      if (c->pending[d] > 0)
        continue;
    }
    if (c->eof[d])
      break;
    /* The pipe is empty here, so EAGAIN can only mean src has nothing. */
    ssize_t n = splice(src, NULL, c->pipe[d][1], NULL, r->pipe_size, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0)
      return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0)
      c->eof[d] = true;
    c->pending[d] = (size_t) n;
  }
  if (!c->shut[d]) {
    /* Half-close: the other side may still answer. */
    if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
      return -1;
    c->shut[d] = true;
  }
  return 0;
}

static void tcp_event(struct relay *r, uint32_t idx, unsigned side, uint32_t events)
{
  struct tcp_conn *c = &r->tcp[idx];
  if (c->connecting) {
    if (side != 1 || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
      return;
    int e = 0;
    socklen_t el = sizeof(e);
    if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
      tcp_close(r, idx, true); /* refused in the container: the client gets a reset */
      return;
    }
    c->connecting = false;
  }
  if (tcp_pump(r, c, 0) < 0 || tcp_pump(r, c, 1) < 0) {
    tcp_close(r, idx, true);
    return;
  }
  if (c->shut[0] && c->shut[1] && c->pending[0] == 0 && c->pending[1] == 0)
    tcp_close(r, idx, false);
}

static int tcp_setup(struct relay *r, struct tcp_conn *c, uint32_t idx, uint16_t port)
{
  int one = 1;
  c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd[1] < 0)
    return -1;
  /* The endpoints chose their own write sizes: delaying the relay's copy of
   * them only adds latency. */
  setsockopt(c->fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  for (int d = 0; d < 2; d++) {
    if (pipe2(c->pipe[d], O_NONBLOCK | O_CLOEXEC) < 0)
      return -1;
    if (r->pipe_size > 65536)
      fcntl(c->pipe[d][1], F_SETPIPE_SZ, (int) r->pipe_size);
  }
  struct sockaddr_in to = ctr_addr(port);
  if (connect(c->fd[1], (struct sockaddr *) &to, sizeof(to)) < 0) {
    if (errno != EINPROGRESS)
      return -1;
    c->connecting = true;
  }
  for (unsigned s = 0; s < 2; s++) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = ev_data(EV_TCP, c->gen, idx, s)};
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd[s], &ev) < 0)
      return -1;
  }
  return 0;
}

static void tcp_accept(struct relay *r, const struct fwd_listener *l)
{
  for (;;) {
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return; /* EAGAIN; or the peer gave up already */
    if (r->tcp_nfree == 0) {
      reset_close(&fd); /* at the bound: a flood is refused, not queued */
      continue;
    }
    uint32_t idx = r->tcp_free[--r->tcp_nfree];
    struct tcp_conn *c = &r->tcp[idx];
    uint32_t gen = c->gen;
    *c = (struct tcp_conn){.fd = {fd, -1}, .pipe = {{-1, -1}, {-1, -1}}, .used = true, .gen = gen};
    if (tcp_setup(r, c, idx, l->ctr_port) < 0)
      tcp_close(r, idx, true);
  }
}

static void udp_close(struct relay *r, struct udp_flow *f)
{
  close_fd(&f->fd);
  f->used = false;
  f->gen++;
  r->udp_n--;
}

static bool same_peer(const struct udp_flow *f, size_t li, const struct sockaddr_storage *ss, socklen_t len)
{
  return f->used && f->listener == li && f->peer_len == len && memcmp(&f->peer, ss, len) == 0;
}

/* The client's flow, made on its first datagram; at the bound, the flow
 * idle longest makes room. */
static struct udp_flow *udp_flow_for(struct relay *r, size_t li, const struct sockaddr_storage *ss,
                                     socklen_t len)
{
  struct udp_flow *free_slot = NULL, *oldest = NULL;
  for (size_t i = 0; i < r->udp_max; i++) {
    struct udp_flow *f = &r->udp[i];
    if (same_peer(f, li, ss, len))
      return f;
    if (!f->used && !free_slot)
      free_slot = f;
    if (f->used && (!oldest || f->last_ms < oldest->last_ms))
      oldest = f;
  }
  if (!free_slot) {
    udp_close(r, oldest);
    free_slot = oldest;
  }
  struct udp_flow *f = free_slot;
  f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (f->fd < 0)
    return NULL;
  struct sockaddr_in to = ctr_addr(r->l[li].ctr_port);
  struct epoll_event ev = {.events = EPOLLIN,
                           .data.u64 = ev_data(EV_UDP, f->gen, (uint32_t) (f - r->udp), 0)};
  if (connect(f->fd, (struct sockaddr *) &to, sizeof(to)) < 0 ||
      epoll_ctl(r->ep, EPOLL_CTL_ADD, f->fd, &ev) < 0) {
    close_fd(&f->fd);
    return NULL;
  }
  f->used = true;
  f->listener = li;
  memcpy(&f->peer, ss, len);
  f->peer_len = len;
  r->udp_n++;
  return f;
}

static char udp_buf[65536];

/* A bounded batch per wake-up, so one busy port cannot starve the others. */
#define UDP_BATCH 64

/* The control message that makes a reply leave from the address the
 * datagram came to (IP_PKTINFO / IPV6_PKTINFO, as the kernel handed it). */
static void udp_remember_local(struct udp_flow *f, struct msghdr *mh)
{
  f->local_len = 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
    struct cmsghdr *out = (struct cmsghdr *) (void *) f->local.buf;
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo in;
      memcpy(&in, CMSG_DATA(cm), sizeof(in));
      struct in_pktinfo reply = {.ipi_spec_dst = in.ipi_addr}; /* any interface: routing picks */
      *out = (struct cmsghdr){
          .cmsg_level = IPPROTO_IP, .cmsg_type = IP_PKTINFO, .cmsg_len = CMSG_LEN(sizeof(reply))};
      memcpy(CMSG_DATA(out), &reply, sizeof(reply));
      f->local_len = CMSG_SPACE(sizeof(reply));
    } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
      *out = (struct cmsghdr){.cmsg_level = IPPROTO_IPV6,
                              .cmsg_type = IPV6_PKTINFO,
                              .cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo))};
      memcpy(CMSG_DATA(out), CMSG_DATA(cm), sizeof(struct in6_pktinfo)); /* its interface: link-local scope */
      f->local_len = CMSG_SPACE(sizeof(struct in6_pktinfo));
    }
  }
}

static void udp_from_clients(struct relay *r, size_t li)
{
  for (int i = 0; i < UDP_BATCH; i++) {
    struct sockaddr_storage ss;
    union {
      struct cmsghdr hdr;
      char buf[PKTINFO_SPACE];
    } control;
    struct iovec iov = {.iov_base = udp_buf, .iov_len = sizeof(udp_buf)};
    struct msghdr mh = {.msg_name = &ss,
                        .msg_namelen = sizeof(ss),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf)};
    ssize_t n = recvmsg(r->l[li].fd, &mh, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN)
        return;
      continue; /* an ICMP error from an earlier reply: nothing to do */
    }
    struct udp_flow *f = udp_flow_for(r, li, &ss, mh.msg_namelen);
    if (!f)
      continue;
    f->last_ms = now_ms();
    udp_remember_local(f, &mh);
    send(f->fd, udp_buf, (size_t) n, MSG_DONTWAIT); /* datagrams may be lost */
  }
}

static void udp_from_container(struct relay *r, struct udp_flow *f)
{
  for (int i = 0; i < UDP_BATCH; i++) {
    ssize_t n = recv(f->fd, udp_buf, sizeof(udp_buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN)
        return;
      continue; /* ECONNREFUSED: nothing listens on the port yet */
    }
    f->last_ms = now_ms();
    struct iovec iov = {.iov_base = udp_buf, .iov_len = (size_t) n};
    struct msghdr mh = {.msg_name = &f->peer,
                        .msg_namelen = f->peer_len,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = f->local_len ? f->local.buf : NULL,
                        .msg_controllen = f->local_len};
    sendmsg(r->l[f->listener].fd, &mh, MSG_DONTWAIT);
  }
}

static void udp_expire(struct relay *r, uint64_t now)
{
  for (size_t i = 0; i < r->udp_max && r->udp_n > 0; i++)
    if (r->udp[i].used && now - r->udp[i].last_ms >= KEEP_PORTFWD_UDP_IDLE_SEC * 1000ULL)
      udp_close(r, &r->udp[i]);
}

/* Each TCP connection holds 6 fds (2 sockets, 2 pipes), each UDP flow 1:
 * raise the soft limit to what the bounds need, or lower the bounds to fit
 * the hard limit. */
static void size_limits(struct relay *r)
{
  struct rlimit rl;
  size_t reserve = 16 + r->nl;
  size_t want = reserve + KEEP_PORTFWD_MAX_TCP * 6 + KEEP_PORTFWD_MAX_UDP;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
    rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  size_t avail = rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 0;
  r->udp_max = avail * KEEP_PORTFWD_MAX_UDP / want;
  r->tcp_max = (avail - r->udp_max) / 6;
  if (r->udp_max > KEEP_PORTFWD_MAX_UDP)
    r->udp_max = KEEP_PORTFWD_MAX_UDP;
  if (r->tcp_max > KEEP_PORTFWD_MAX_TCP)
    r->tcp_max = KEEP_PORTFWD_MAX_TCP;
  if (r->udp_max == 0)
    r->udp_max = 1;
  if (r->tcp_max == 0)
    r->tcp_max = 1;
}

noreturn void keep_portfwd_loop(const struct fwd_listener *l, size_t n, int init_pidfd)
{
  struct relay r = {.l = l, .nl = n, .pipe_size = 256 * 1024};
  size_limits(&r);
  r.tcp = xcalloc(r.tcp_max, sizeof(*r.tcp));
  r.tcp_free = xcalloc(r.tcp_max, sizeof(*r.tcp_free));
  for (size_t i = 0; i < r.tcp_max; i++)
    r.tcp_free[r.tcp_nfree++] = (uint32_t) (r.tcp_max - 1 - i);
  r.udp = xcalloc(r.udp_max, sizeof(*r.udp));
  for (size_t i = 0; i < r.udp_max; i++)
    r.udp[i].fd = -1;

  r.ep = epoll_create1(EPOLL_CLOEXEC);
  if (r.ep < 0)
    _exit(1);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ev_data(EV_PIDFD, 0, 0, 0)};
  if (epoll_ctl(r.ep, EPOLL_CTL_ADD, init_pidfd, &ev) < 0)
    _exit(1);
  for (size_t i = 0; i < n; i++) {
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = ev_data(EV_LISTEN, 0, (uint32_t) i, 0)};
    if (epoll_ctl(r.ep, EPOLL_CTL_ADD, l[i].fd, &ev) < 0)
      _exit(1);
  }

  uint64_t next_sweep = 0;
  for (;;) {
    struct epoll_event evs[64];
    int timeout = -1;
    uint64_t now = now_ms();
    if (r.udp_n > 0) {
      if (now >= next_sweep) {
        udp_expire(&r, now);
        next_sweep = now + 1000;
      }
      timeout = (int) (next_sweep - now);
    }
    int k = epoll_wait(r.ep, evs, (int) ARRAY_SIZE(evs), r.udp_n > 0 ? timeout : -1);
    if (k < 0 && errno != EINTR)
      _exit(1);
    for (int i = 0; i < k; i++) {
      uint64_t d = evs[i].data.u64;
      uint32_t idx = EV_IDX(d);
      switch (EV_KIND(d)) {
      case EV_PIDFD: _exit(0); /* the container's init is gone: so is every port */
      case EV_LISTEN:
        if (l[idx].proto == IPPROTO_TCP)
          tcp_accept(&r, &l[idx]);
        else
          udp_from_clients(&r, idx);
        break;
      case EV_TCP:
        if (r.tcp[idx].used && r.tcp[idx].gen % 0x1000000 == EV_GEN(d))
          tcp_event(&r, idx, EV_SIDE(d), evs[i].events);
        break;
      case EV_UDP:
        if (r.udp[idx].used && r.udp[idx].gen % 0x1000000 == EV_GEN(d))
          udp_from_container(&r, &r.udp[idx]);
        break;
      }
    }
  }
}
