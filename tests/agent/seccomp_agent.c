/* A seccomp agent for the tests: receives a container's listener from keep
 * and answers its notifications.
 *   keep-seccomp-agent SOCKET OUTDIR
 * Listens on SOCKET (AF_UNIX stream) for one connection, writes the
 * container process state it receives to OUTDIR/state.json (and the number
 * of fds that came with it to OUTDIR/fds), then answers: mkdir and mkdirat
 * get a fake success (nothing is created), rmdir fails with EXDEV, anything
 * else runs as asked.  Each answered call is logged to OUTDIR/log as
 * "NAME PID".  Ends when every process under the filter is gone. */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
  perror(what);
  exit(1);
}

static FILE *open_out(const char *dir, const char *name)
{
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    die(path);
  setvbuf(f, NULL, _IOLBF, 0);
  return f;
}

/* The state and the listener: one connection, one message, fd on the first
 * sendmsg; the JSON may come in several pieces until the peer closes. */
static int receive(int conn, const char *dir)
{
  static char buf[1 << 16];
  size_t len = 0;
  int listener = -1, nfds = 0;
  for (;;) {
    union {
      char b[CMSG_SPACE(4 * sizeof(int))];
      struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf + len, .iov_len = sizeof(buf) - 1 - len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0)
      die("recvmsg");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int k = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        if (listener < 0 && k > 0)
          memcpy(&listener, CMSG_DATA(c), sizeof(int));
        nfds += k;
      }
    if (n == 0)
      break;
    len += (size_t) n;
  }
  buf[len] = '\0';
  FILE *f = open_out(dir, "state.json");
  fputs(buf, f);
  fclose(f);
  f = open_out(dir, "fds");
  fprintf(f, "%d\n", nfds);
  fclose(f);
  return listener;
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: keep-seccomp-agent SOCKET OUTDIR\n");
    return 2;
  }
  alarm(120); /* never outlive a broken test */
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(s, 1) < 0)
    die(argv[1]);
  int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die("accept");
  int listener = receive(conn, argv[2]);
  close(conn);
  close(s);
  unlink(argv[1]);
  if (listener < 0) {
    fprintf(stderr, "no listener received\n");
    return 1;
  }
  FILE *log = open_out(argv[2], "log");
  for (;;) {
    struct pollfd p = {.fd = listener, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      die("poll");
    }
    if (!(p.revents & POLLIN))
      break; /* POLLHUP: nothing left under the filter */
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof(req));
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
      if (errno == EINTR || errno == ENOENT)
        continue;
      die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    const char *name = "other";
    if (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat) {
      name = "mkdir"; /* fake success */
    } else if (req.data.nr == SYS_rmdir) {
      name = "rmdir";
      resp.error = -EXDEV;
    } else {
      resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
    fprintf(log, "%s %u\n", name, req.pid);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
      die("SECCOMP_IOCTL_NOTIF_SEND");
  }
  return 0;
}
