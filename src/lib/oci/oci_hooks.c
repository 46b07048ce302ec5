/* OCI hooks, and the console socket protocol. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci_runtime.h"
#include "util.h"

static int run_one(const struct keep_oci_hook *h, const char *state, keep_error **err)
{
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return keep_fail_errno(err, "pipe for hook `%s`", keep_q(h->path));
  pid_t pid = fork();
  if (pid < 0) {
    close(in[0]);
    close(in[1]);
    return keep_fail_errno(err, "fork hook `%s`", keep_q(h->path));
  }
  if (pid == 0) {
    dup2(in[0], 0);
    char *argv0[] = {h->path, NULL};
    execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : (char *[]){NULL});
    _exit(127);
  }
  close(in[0]);
  /* The hook may not read its stdin at all: a short write is fine. */
  signal(SIGPIPE, SIG_IGN);
  write_all(in[1], state, strlen(state));
  close(in[1]);
  int status = 0;
  time_t deadline = h->timeout > 0 ? time(NULL) + h->timeout : 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, deadline ? WNOHANG : 0);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return keep_fail_errno(err, "wait for hook `%s`", keep_q(h->path));
    if (deadline && time(NULL) >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return keep_fail(err, ETIMEDOUT, "hook `%s` ran longer than its timeout of %d s", keep_q(h->path),
                       h->timeout);
    }
    if (deadline) {
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return keep_fail(err, 0, "hook `%s` failed (%s %d)", h->path,
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  return 0;
}

int keep_oci_run_hooks(const struct keep_oci_spec *s, enum keep_oci_hook_kind kind,
                       const struct keep_oci_state *st, keep_error **err)
{
  if (s->n_hooks[kind] == 0)
    return 0;
  json_t *j = keep_oci_state_json(st);
  cleanup_free char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  /* runtime.md: a failing poststart or poststop hook is logged as a
   * warning, and the remaining hooks and the lifecycle go on as if it had
   * succeeded.  Any other failing hook fails the operation. */
  bool warn_only = kind == OCI_HOOK_POSTSTART || kind == OCI_HOOK_POSTSTOP;
  for (size_t i = 0; i < s->n_hooks[kind]; i++) {
    if (!warn_only) {
      if (run_one(&s->hooks[kind][i], text, err) < 0)
        return -1;
      continue;
    }
    keep_error *e = NULL;
    if (run_one(&s->hooks[kind][i], text, &e) < 0) {
      keep_error_wrap(&e, "warning: %s hook %zu (the remaining hooks still run)",
                      kind == OCI_HOOK_POSTSTART ? "poststart" : "poststop", i);
      keep_error_print(e);
      keep_error_free(&e);
    }
  }
  return 0;
}

int keep_unix_connect(const char *path, const char *what, keep_error **err)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(a.sun_path))
    return keep_fail(err, ENAMETOOLONG, "%s `%s`: path too long", what, keep_q(path));
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return keep_fail_errno(err, "socket");
  if (connect(fd, (struct sockaddr *) &a, sizeof(a)) < 0) {
    keep_fail_errno(err, "connect to %s `%s`", what, keep_q(path));
    close(fd);
    return -1;
  }
  return fd;
}

int keep_unix_send_fd(int sock, const char *text, int fd, const char *what, keep_error **err)
{
  size_t len = strlen(text);
  struct iovec iov = {.iov_base = (void *) text, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  size_t done = n > 0 ? (size_t) n : 0;
  /* A stream socket may take less: the rest follows without the fd. */
  while (n >= 0 && done < len) {
    n = send(sock, text + done, len - done, MSG_NOSIGNAL);
    if (n > 0)
      done += (size_t) n;
    else if (n < 0 && errno == EINTR)
      n = 0;
  }
  if (n < 0)
    return keep_fail_errno(err, "send %s", what);
  return 0;
}

int keep_console_connect(const char *path, keep_error **err)
{
  return keep_unix_connect(path, "console socket", err);
}

int keep_unix_recv_fd(int sock)
{
  char byte, cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
  ssize_t n;
  do
    n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&m) : NULL;
  if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

int keep_console_send(int sock, int master, keep_error **err)
{
  return keep_unix_send_fd(sock, "/dev/ptmx", master, "the terminal to the console socket", err);
}
