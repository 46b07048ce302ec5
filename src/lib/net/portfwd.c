/* Start keep-portfwd: bind the host sockets in keep's network namespace,
 * fork, enter the container's, shed every privilege, report ready. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "landlock.h"
#include "portfwd_internal.h"
#include "util.h"

/* "127.0.0.1:8080/tcp", "[::1]:8080/udp": how errors name a host socket. */
static const char *host_addr_name(const struct keep_port *p, uint16_t port)
{
  static char buf[KEEP_PORT_IP_MAX + 16];
  bool v6 = strchr(p->host_ip, ':') != NULL;
  snprintf(buf, sizeof(buf), "%s%s%s:%u/%s", v6 ? "[" : "", p->host_ip, v6 ? "]" : "", port,
           p->proto == IPPROTO_UDP ? "udp" : "tcp");
  return buf;
}

/* The host address of p as a sockaddr; the port is in the same place in
 * both families. */
static int host_sockaddr(const struct keep_port *p, struct sockaddr_storage *ss, socklen_t *sl)
{
  bool v6 = strchr(p->host_ip, ':') != NULL;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
  struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
  memset(ss, 0, sizeof(*ss));
  ss->ss_family = v6 ? AF_INET6 : AF_INET;
  *(v6 ? &s6->sin6_port : &s4->sin_port) = htons(p->host_port);
  *sl = v6 ? sizeof(*s6) : sizeof(*s4);
  return inet_pton(ss->ss_family, p->host_ip, v6 ? (void *) &s6->sin6_addr : (void *) &s4->sin_addr) == 1
             ? 0
             : -1;
}

/* Bind (and listen on) one host socket; fills in the port the kernel chose. */
static int bind_host(struct keep_port *p, keep_error **err)
{
  struct sockaddr_storage ss;
  socklen_t sl;
  if (host_sockaddr(p, &ss, &sl) < 0)
    return keep_fail(err, EINVAL, "published port address `%s`", keep_q(p->host_ip));
  int family = ss.ss_family;
  bool tcp = p->proto == IPPROTO_TCP;
  cleanup_close int fd = socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return keep_fail_errno(err, "socket for `%s`", host_addr_name(p, p->host_port));
  int one = 1;
  /* [::]:80 must not also take 0.0.0.0:80: each address means what it says. */
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
    return keep_fail_errno(err, "IPV6_V6ONLY on `%s`", host_addr_name(p, p->host_port));
  /* A restart must not wait for the last run's TIME_WAIT connections; a
   * port another socket listens on stays refused (EADDRINUSE). */
  if (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
    return keep_fail_errno(err, "SO_REUSEADDR on `%s`", host_addr_name(p, p->host_port));
  /* A UDP reply must leave from the address the client wrote to, not from
   * one routing picks (0.0.0.0 on a host with several addresses): the relay
   * reads that address with each datagram and answers from it. */
  if (!tcp && setsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                         family == AF_INET6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &one, sizeof(one)) < 0)
    return keep_fail_errno(err, "PKTINFO on `%s`", host_addr_name(p, p->host_port));
  if (bind(fd, (struct sockaddr *) &ss, sl) < 0) {
    int e = errno;
    keep_fail(err, e, "bind `%s`", host_addr_name(p, p->host_port));
    if (e == EADDRINUSE)
      keep_error_hint(err, "another process uses the port; give another, or `IP::%u` for any", p->ctr_port);
    else if (e == EACCES)
      keep_error_hint(err, "ports below %s need privilege on the host", "1024");
    return -1;
  }
  if (tcp && listen(fd, SOMAXCONN) < 0)
    return keep_fail_errno(err, "listen on `%s`", host_addr_name(p, p->host_port));
  sl = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *) &ss, &sl) < 0)
    return keep_fail_errno(err, "getsockname of `%s`", host_addr_name(p, p->host_port));
  p->host_port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                          : ((struct sockaddr_in *) &ss)->sin_port);
  return steal_fd(&fd);
}

static int cmp_int(const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Close every fd above 2 but the n in keep (sorted here): nothing of keep's
 * (a state directory, a terminal, a socket of the caller) stays reachable
 * from a process that handles the network's traffic. */
static int close_all_but(int *keep, size_t n)
{
  qsort(keep, n, sizeof(*keep), cmp_int);
  unsigned from = 3;
  for (size_t i = 0; i < n; i++) {
    if (keep[i] < 3)
      continue;
    if ((unsigned) keep[i] > from && close_range(from, (unsigned) keep[i] - 1, 0) < 0)
      return -1;
    from = (unsigned) keep[i] + 1;
  }
  return close_range(from, ~0U, 0);
}

/* The parent-death signal is cleared by every credential change (setns into
 * a user namespace, capset), so it is set after them; the parent may have
 * died before it was set, which getppid() tells. */
static int watch_parent(pid_t parent, keep_error **err)
{
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return keep_fail_errno(err, "prctl(PR_SET_PDEATHSIG)");
  if (getppid() != parent)
    return keep_fail(err, 0, "keep exited before the port forwarder started");
  return 0;
}

/* Everything the forwarder does before it relays anything.  Any failure is
 * reported to keep, which fails the start. */
static int forwarder_setup(int *keepfds, size_t nkeep, int netns_fd, int userns_fd, pid_t parent,
                           keep_error **err)
{
  if (watch_parent(parent, err) < 0)
    return -1;
  prctl(PR_SET_NAME, "keep-portfwd", 0, 0, 0);
  keep_cmdline_rewrite("keep-portfwd");
  /* Its own session: a terminal's ^C or hang-up is for the container, which
   * ends the forwarder through its pidfd. */
  setsid();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0)
    return keep_fail_errno(err, "open `/dev/null`");
  for (int i = 0; i < 3; i++)
    if (dup2(devnull, i) < 0)
      return keep_fail_errno(err, "dup2 /dev/null");
  close(devnull);
  if (close_all_but(keepfds, nkeep) < 0)
    return keep_fail_errno(err, "close_range");

  /* A normal user gains CAP_SYS_ADMIN over the container's network namespace
   * by entering the user namespace that owns it (the user's own). */
  if (userns_fd >= 0 && setns(userns_fd, CLONE_NEWUSER) < 0)
    return keep_fail_errno(err, "setns into the container's user namespace");
  if (setns(netns_fd, CLONE_NEWNET) < 0)
    return keep_fail_errno(err, "setns into the container's network namespace");
  if (userns_fd >= 0)
    close(userns_fd);
  close(netns_fd);

  /* socket() and connect() to the container's loopback need no capability:
   * none is kept, none can be regained. */
  if (keep_caps_drop_bounding(0, err) < 0 || keep_caps_apply(0, err) < 0)
    return -1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return keep_fail_errno(err, "prctl(PR_SET_NO_NEW_PRIVS)");
  /* It stays in the host's mount namespace, as root when keep is: with no
   * capability, root still owns most host files.  Landlock with no rule
   * takes every filesystem access away (and, from ABI 6, signals to other
   * processes), so traffic that subverted it could not write /etc. */
  if (keep_landlock_abi() > 0 && keep_landlock_apply_rules(NULL, 0, err) < 0)
    return -1;
  /* Not dumpable (set after the credential changes, which reset it): no
   * ptrace, no /proc/PID/mem, no core with the traffic in it. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return keep_fail_errno(err, "prctl(PR_SET_DUMPABLE)");
  return watch_parent(parent, err);
}

/* An fd the forwarder keeps, moved above 2 when the caller had closed its
 * stdin, stdout or stderr: those three become /dev/null. */
static int above_stdio(int fd)
{
  return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

noreturn static void forwarder_main(struct fwd_listener *l, size_t n, int netns_fd, int userns_fd,
                                    int init_pidfd, int report_fd, pid_t parent)
{
  cleanup_error keep_error *err = NULL;
  report_fd = above_stdio(report_fd);
  netns_fd = above_stdio(netns_fd);
  userns_fd = above_stdio(userns_fd);
  init_pidfd = above_stdio(init_pidfd);
  for (size_t i = 0; i < n; i++)
    l[i].fd = above_stdio(l[i].fd);
  if (report_fd < 0)
    _exit(1); /* keep sees no report: "exited before it was ready" */
  int *keepfds = xcalloc(n + 4, sizeof(int));
  size_t nkeep = 0;
  for (size_t i = 0; i < n; i++)
    keepfds[nkeep++] = l[i].fd;
  keepfds[nkeep++] = netns_fd;
  keepfds[nkeep++] = init_pidfd;
  keepfds[nkeep++] = report_fd;
  if (userns_fd >= 0)
    keepfds[nkeep++] = userns_fd;
  int r = forwarder_setup(keepfds, nkeep, netns_fd, userns_fd, parent, &err);
  free(keepfds);
  if (r < 0) {
    /* The errno, then the message: keep adds its context and prints it. */
    char buf[1024];
    int e = err->errnum;
    memcpy(buf, &e, sizeof(e));
    size_t len = strnlen(err->msg, sizeof(buf) - sizeof(e));
    memcpy(buf + sizeof(e), err->msg, len);
    if (write_all(report_fd, buf, sizeof(e) + len) < 0)
      _exit(1);
    _exit(1);
  }
  if (write_all(report_fd, "", 1) < 0)
    _exit(1);
  close(report_fd);
  keep_portfwd_loop(l, n, init_pidfd);
}

static void close_listeners(struct fwd_listener *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (l[i].fd >= 0)
      close(l[i].fd);
}

int keep_portfwd_start(struct keep_port *ports, size_t n, int netns_fd, int userns_fd, int init_pidfd,
                       pid_t *fwd_pid, keep_error **err)
{
  *fwd_pid = -1;
  if (n == 0)
    return 0;
  if (netns_fd < 0 || init_pidfd < 0)
    return keep_fail(err, EBADF, "port forwarder: no network namespace or pidfd of the container");
  cleanup_free struct fwd_listener *l = xcalloc(n, sizeof(*l));
  for (size_t i = 0; i < n; i++)
    l[i].fd = -1;
  for (size_t i = 0; i < n; i++) {
    if (ports[i].proto != IPPROTO_TCP && ports[i].proto != IPPROTO_UDP) {
      close_listeners(l, n);
      return keep_fail(err, EINVAL, "published port %zu: protocol %d is not tcp or udp", i, ports[i].proto);
    }
    l[i].fd = bind_host(&ports[i], err);
    if (l[i].fd < 0) {
      close_listeners(l, n);
      return -1;
    }
    l[i].proto = ports[i].proto;
    l[i].ctr_port = ports[i].ctr_port;
  }

  int rep[2];
  if (pipe2(rep, O_CLOEXEC) < 0) {
    close_listeners(l, n);
    return keep_fail_errno(err, "pipe");
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(rep[0]);
    close(rep[1]);
    close_listeners(l, n);
    return keep_fail_errno(err, "fork the port forwarder");
  }
  if (pid == 0) {
    close(rep[0]);
    forwarder_main(l, n, netns_fd, userns_fd, init_pidfd, rep[1], parent);
  }
  close(rep[1]);
  close_listeners(l, n);

  /* Ready is one NUL byte; anything else is the forwarder's error. */
  cleanup_close int rfd = rep[0];
  cleanup_free char *msg = NULL;
  size_t len = 0;
  if (read_fd_all(rfd, "the port forwarder's report", &msg, &len, err) < 0 || len != 1 || msg[0] != '\0') {
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    if (err && *err)
      return -1;
    int e = 0;
    if (len <= sizeof(e))
      return keep_fail(err, 0, "the port forwarder exited before it was ready");
    memcpy(&e, msg, sizeof(e));
    return keep_fail(err, e, "port forwarder: %s", keep_qn(msg + sizeof(e), len - sizeof(e)));
  }
  *fwd_pid = pid;
  return 0;
}
