#include "terminal.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

int keep_msg_send(int sock, char tag, const char *text, int fd, keep_error **err)
{
  char buf[4096];
  size_t tl = text ? strlen(text) : 0;
  if (tl > sizeof(buf) - 1)
    tl = sizeof(buf) - 1;
  buf[0] = tag;
  if (tl)
    memcpy(buf + 1, text, tl);
  struct iovec iov = {.iov_base = buf, .iov_len = tl + 1};
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&cbuf, 0, sizeof(cbuf));
    msg.msg_control = cbuf.b;
    msg.msg_controllen = sizeof(cbuf.b);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t r;
  do
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return keep_fail_errno(err, "send message to the other side of keep");
  return 0;
}

int keep_msg_recv(int sock, char *tag, char *text, size_t textlen, int *fd, keep_error **err)
{
  char buf[4096];
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
                       .msg_controllen = sizeof(cbuf.b)};
  if (fd)
    *fd = -1;
  ssize_t r;
  do
    r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return keep_fail_errno(err, "receive message from the other side of keep");
  *tag = 0;
  if (r == 0)
    return 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof(int));
      if (fd)
        *fd = got;
      else
        close(got);
    }
  *tag = buf[0];
  size_t n = (size_t) r - 1;
  if (text && textlen) {
    if (n >= textlen)
      n = textlen - 1;
    memcpy(text, buf + 1, n);
    text[n] = '\0';
  }
  return (int) n;
}

int keep_tty_make_raw(int fd, struct termios *saved, keep_error **err)
{
  if (tcgetattr(fd, saved) < 0)
    return keep_fail_errno(err, "tcgetattr on the terminal");
  struct termios raw = *saved;
  cfmakeraw(&raw);
  raw.c_oflag = saved->c_oflag;   /* keep output processing: the container's pty does it too */
  if (tcsetattr(fd, TCSANOW, &raw) < 0)
    return keep_fail_errno(err, "tcsetattr on the terminal");
  return 0;
}

void keep_tty_restore(int fd, const struct termios *saved)
{
  tcsetattr(fd, TCSANOW, saved);
}

void keep_tty_copy_size(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}
