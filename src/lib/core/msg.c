#include "msg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

struct wire_header {
  uint32_t type;
  int32_t errnum;    /* KEEP_MSG_ERROR only */
  uint32_t text_len; /* the message text (the error's message) */
  uint32_t hint_len; /* KEEP_MSG_ERROR only */
};

#define MSG_MAX 8192

static int send_raw(int sock, const struct wire_header *h, const char *text, const char *hint, int fd,
                    keep_error **err)
{
  char buf[MSG_MAX];
  size_t n = sizeof(*h);
  memcpy(buf, h, sizeof(*h));
  memcpy(buf + n, text, h->text_len);
  n += h->text_len;
  memcpy(buf + n, hint, h->hint_len);
  n += h->hint_len;
  struct iovec iov = {.iov_base = buf, .iov_len = n};
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
    return keep_fail_errno(err, "send a message to the other side of keep");
  return 0;
}

/* Lengths that fit one message: the text first, the hint with what is left. */
static void fit(size_t *text, size_t *hint)
{
  size_t room = MSG_MAX - sizeof(struct wire_header);
  if (*text > room)
    *text = room;
  if (*hint > room - *text)
    *hint = room - *text;
}

int keep_msg_send(int sock, enum keep_msg type, const char *text, int fd, keep_error **err)
{
  size_t tl = text ? strlen(text) : 0, hl = 0;
  fit(&tl, &hl);
  struct wire_header h = {.type = (uint32_t) type, .text_len = (uint32_t) tl};
  return send_raw(sock, &h, text ? text : "", "", fd, err);
}

void keep_msg_send_error(int sock, const keep_error *e)
{
  const char *msg = e && e->msg ? e->msg : "failed";
  const char *hint = e && e->hint ? e->hint : "";
  size_t tl = strlen(msg), hl = strlen(hint);
  fit(&tl, &hl);
  struct wire_header h = {.type = KEEP_MSG_ERROR,
                          .errnum = e ? e->errnum : 0,
                          .text_len = (uint32_t) tl,
                          .hint_len = (uint32_t) hl};
  send_raw(sock, &h, msg, hint, -1, NULL);
}

noreturn void keep_msg_fail(int sock, keep_error *e)
{
  keep_msg_send_error(sock, e);
  _exit(125);
}

int keep_msg_recv(int sock, char *text, size_t textlen, int *fd, keep_error **err)
{
  char buf[MSG_MAX + 1];
  struct iovec iov = {.iov_base = buf, .iov_len = MSG_MAX};
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b)};
  if (fd)
    *fd = -1;
  if (text && textlen)
    text[0] = '\0';
  ssize_t r;
  do
    r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return keep_fail_errno(err, "receive a message from the other side of keep");
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof(int));
      if (fd)
        *fd = got;
      else
        close(got);
    }
  if (r == 0)
    return KEEP_MSG_CLOSED;
  struct wire_header h;
  if ((size_t) r < sizeof(h))
    return keep_fail(err, EPROTO, "a message from the other side of keep is cut short (%zd bytes)", r);
  memcpy(&h, buf, sizeof(h));
  if ((size_t) r != sizeof(h) + h.text_len + h.hint_len || h.type > KEEP_MSG_ERROR)
    return keep_fail(err, EPROTO, "a malformed message from the other side of keep (type %u)", h.type);
  const char *body = buf + sizeof(h);
  if (h.type == KEEP_MSG_ERROR) {
    cleanup_free char *m = strndup(body, h.text_len);
    keep_fail(err, h.errnum, "%s", m ? m : "failed");
    if (h.hint_len) {
      cleanup_free char *hint = strndup(body + h.text_len, h.hint_len);
      keep_error_hint(err, "%s", hint ? hint : "");
    }
    return -1;
  }
  if (text && textlen) {
    size_t n = h.text_len < textlen - 1 ? h.text_len : textlen - 1;
    memcpy(text, body, n);
    text[n] = '\0';
  }
  return (int) h.type;
}

int keep_msg_expect(int sock, enum keep_msg want, const char *step, keep_error **err)
{
  int got = keep_msg_recv(sock, NULL, 0, NULL, err);
  if (got < 0)
    return -1;
  if (got == KEEP_MSG_CLOSED)
    return keep_fail(err, 0, "the container's side of keep exited before %s", step);
  if (got != (int) want)
    return keep_fail(err, EPROTO, "unexpected message %d from the other side of keep before %s", got, step);
  return 0;
}
