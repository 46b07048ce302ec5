/* keep-monitor: what stays on the host for a detached container.
 *
 * `keep run -d` creates and starts the container, then becomes this small
 * program (execve keeps the pid, so the container's init stays its child):
 * it holds the read ends of the container's stdout and stderr, writes them
 * to a bounded log, waits for the init to exit, and then becomes keep again
 * (`keep _monitor-exit`), which records the exit, removes the cgroup and
 * applies the restart policy.  It links nothing but libc and touches a few
 * pages: it is the only host process a running detached container costs.
 *
 * The log is in the CRI format Kubernetes and Podman use (k8s-file), one
 * record per line: `TIMESTAMP STREAM F|P MESSAGE`, P marking a line cut in
 * parts (a line longer than LINE_MAX, or unterminated at exit).  It rotates
 * at max-size into ctr.log.1 ... ctr.log.(max-file - 1).  A write that
 * fails (a full disk) drops the line, counts it, and never blocks the
 * container: the pipes are always drained.
 *
 * It also serves `keep attach` on attach.sock in the state directory: an
 * attached client gets the output as it comes and its input goes to the
 * container's stdin (a pipe with -i, the terminal with -t).
 *
 * Usage (keep runs it, never a person):
 *   keep-monitor PID OUTFD ERRFD INFD LOGDIR MAXSIZE MAXFILE LISTENFD KEEP ARG...
 * (ERRFD is -1 with a terminal, which is OUTFD and INFD; INFD -1: no stdin;
 * LISTENFD: attach.sock, listening, or -1) 
 * and when the init has exited it executes
 *   KEEP ARG... --exit-code N --log-dropped N */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384

struct stream {
  int fd;
  const char *name;
  char buf[LINE_MAX_BYTES];
  size_t len;
};

static struct {
  int dirfd, logfd;
  long long size, max_size;
  int max_file;
  unsigned long long dropped;
  int drop_errno;
} lg = {.dirfd = -1, .logfd = -1};

static int open_log(int trunc)
{
  lg.logfd =
      openat(lg.dirfd, "ctr.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | trunc, 0600);
  struct stat st;
  lg.size = lg.logfd >= 0 && fstat(lg.logfd, &st) == 0 ? st.st_size : 0;
  return lg.logfd;
}

static void rotate(void)
{
  close(lg.logfd);
  lg.logfd = -1;
  if (lg.max_file > 1) {
    char from[32], to[32];
    for (int i = lg.max_file - 1; i >= 1; i--) {
      if (i == 1)
        snprintf(from, sizeof(from), "ctr.log");
      else
        snprintf(from, sizeof(from), "ctr.log.%d", i - 1);
      snprintf(to, sizeof(to), "ctr.log.%d", i);
      renameat(lg.dirfd, from, lg.dirfd, to);
    }
  }
  open_log(O_TRUNC);
}

/* One record; any failure drops it (and is counted), never blocks. */
static void write_record(const char *stream, char tag, const char *msg, size_t len)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char head[96];
  size_t h = strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
  h += (size_t) snprintf(head + h, sizeof(head) - h, ".%09ldZ %s %c ", ts.tv_nsec, stream, tag);
  char *rec = malloc(h + len + 1);
  if (rec == NULL) {
    lg.dropped++;
    return;
  }
  memcpy(rec, head, h);
  memcpy(rec + h, msg, len);
  rec[h + len] = '\n';
  size_t n = h + len + 1;
  if (lg.logfd >= 0 && lg.size > 0 && lg.size + (long long) n > lg.max_size)
    rotate();
  if (lg.logfd < 0 && open_log(0) < 0) {
    lg.dropped++;
    lg.drop_errno = errno;
  } else if (write(lg.logfd, rec, n) != (ssize_t) n) {
    lg.dropped++;
    lg.drop_errno = errno;
    /* A short write left part of a record: end it so the next one parses. */
    struct stat st;
    if (fstat(lg.logfd, &st) == 0 && st.st_size > lg.size && ftruncate(lg.logfd, lg.size) < 0)
      lg.size = st.st_size; /* left as it is: the reader skips a torn record */
  } else {
    lg.size += (long long) n;
  }
  free(rec);
}

/* After drops, once a write works again, say so in the log itself. */
static void note_drops(unsigned long long *noted)
{
  if (lg.dropped == *noted)
    return;
  char msg[160];
  int n = snprintf(msg, sizeof(msg), "keep: %llu log lines dropped (%s)", lg.dropped - *noted,
                   strerror(lg.drop_errno));
  unsigned long long before = lg.dropped;
  write_record("stderr", 'F', msg, (size_t) n);
  if (lg.dropped == before)
    *noted = lg.dropped;
  else
    lg.dropped = before; /* the note itself is not a line of the container */
}

/* Emit the complete lines of s; at_end: the rest too, marked partial. */
static void emit(struct stream *s, bool at_end)
{
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->buf[i] == '\n') {
      write_record(s->name, 'F', s->buf + start, i - start);
      start = i + 1;
    }
  if (start == 0 && s->len == sizeof(s->buf)) {
    write_record(s->name, 'P', s->buf, s->len);
    start = s->len;
  }
  if (at_end && start < s->len) {
    write_record(s->name, 'P', s->buf + start, s->len - start);
    start = s->len;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
}

/* Read what is there; returns 0 at end of file. */
/* The attached client (keep attach), or -1: it gets what the container
 * writes as it comes, and what it sends is the container's stdin.  A client
 * that does not read fast enough loses output; the container never waits. */
static int client = -1;

static void to_client(const char *buf, size_t len)
{
  if (client >= 0 && write(client, buf, len) < 0 && errno != EAGAIN) {
    close(client);
    client = -1;
  }
}

static int drain(struct stream *s)
{
  for (;;) {
    ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
    if (n < 0 && errno == EINTR)
      continue;
    /* EIO: a terminal whose other side is gone, its end of file. */
    if (n <= 0)
      return n == 0 ? 0 : (errno == EAGAIN ? 1 : 0);
    to_client(s->buf + s->len, (size_t) n);
    s->len += (size_t) n;
    emit(s, false);
  }
}

static long long number(const char *s)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) {
    fprintf(stderr, "keep-monitor: `%s` is not a number (keep-monitor is run by keep run -d)\n", s);
    exit(125);
  }
  return v;
}

int main(int argc, char **argv)
{
  if (argc < 10) {
    fprintf(stderr, "keep-monitor: keep run -d runs this program; it is not for use by hand\n");
    return 125;
  }
  /* Not even a process of the same uid may read or trace it. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  pid_t pid = (pid_t) number(argv[1]);
  static struct stream out = {.name = "stdout"}, err = {.name = "stderr"};
  out.fd = (int) number(argv[2]);
  err.fd = (int) number(argv[3]);
  int in = (int) number(argv[4]); /* the container's stdin (-i), or its terminal (-t), or -1 */
  lg.max_size = number(argv[6]);
  lg.max_file = (int) number(argv[7]);
  lg.dirfd = open(argv[5], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (lg.dirfd >= 0)
    open_log(0);
  int fds[] = {out.fd, err.fd, in};
  for (size_t i = 0; i < 3; i++)
    if (fds[i] >= 0) {
      fcntl(fds[i], F_SETFD, FD_CLOEXEC);
      fcntl(fds[i], F_SETFL, O_NONBLOCK);
    }
  /* attach.sock, made and listening before keep said "started": one
   * client at a time, the newest wins. */
  int lsock = (int) number(argv[8]);
  if (lsock >= 0) {
    fcntl(lsock, F_SETFD, FD_CLOEXEC);
    fcntl(lsock, F_SETFL, O_NONBLOCK);
  }
  /* The init is our child: its pid cannot be reused before we reap it. */
  int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  int status = 0;
  unsigned long long noted = 0;
  bool out_open = out.fd >= 0, err_open = err.fd >= 0, exited = false;
  while (!exited || out_open || err_open) {
    struct pollfd p[5] = {{.fd = out_open ? out.fd : -1, .events = POLLIN},
                          {.fd = err_open ? err.fd : -1, .events = POLLIN},
                          {.fd = exited ? -1 : pidfd, .events = POLLIN},
                          {.fd = exited ? -1 : lsock, .events = POLLIN},
                          {.fd = exited ? -1 : client, .events = POLLIN}};
    /* Once the init is gone, the rest of its pid namespace is too: what
     * remains in the pipes comes at once; a writer that escaped (a fd
     * passed out) is not waited for beyond a second. */
    int r = poll(p, 5, exited ? 1000 : -1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 && exited)
      break;
    if (p[0].revents && drain(&out) == 0)
      out_open = false;
    if (p[1].revents && drain(&err) == 0)
      err_open = false;
    note_drops(&noted);
    if (p[3].revents) {
      int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c >= 0) {
        if (client >= 0)
          close(client);
        client = c;
      }
    }
    if (p[4].revents && client >= 0) {
      char buf[4096];
      ssize_t n = read(client, buf, sizeof(buf));
      if (n > 0 && in >= 0) {
        /* Input the container does not take at once is dropped, never
         * waited for: the monitor serves the log first. */
        if (write(in, buf, (size_t) n) < 0 && errno != EAGAIN) {
          close(in);
          in = -1;
        }
      } else if (n == 0 || (n < 0 && errno != EAGAIN)) {
        close(client);
        client = -1;
      }
    }
    if (pidfd < 0 || p[2].revents) {
      int ws = 0;
      if (waitpid(pid, &ws, pidfd < 0 ? 0 : WNOHANG) == pid || pidfd < 0) {
        status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 125;
        exited = true;
      }
    }
  }
  if (lsock >= 0) {
    close(lsock);
    unlinkat(lg.dirfd, "attach.sock", 0);
  }
  if (client >= 0)
    close(client); /* the attached client sees the end, then reads the exit */
  emit(&out, true);
  emit(&err, true);
  char code[16], dropped[32];
  snprintf(code, sizeof(code), "%d", status);
  snprintf(dropped, sizeof(dropped), "%llu", lg.dropped);
  char **args = calloc((size_t) argc, sizeof(char *));
  if (args == NULL)
    return 125;
  int n = 0;
  for (int i = 10; i < argc; i++)
    args[n++] = argv[i];
  args[n++] = (char *) "--exit-code";
  args[n++] = code;
  args[n++] = (char *) "--log-dropped";
  args[n++] = dropped;
  args[n] = NULL;
  char **full = calloc((size_t) argc + 6, sizeof(char *));
  if (full == NULL)
    return 125;
  full[0] = argv[9];
  for (int i = 0; i <= n; i++)
    full[i + 1] = args[i];
  execv(argv[9], full);
  fprintf(stderr, "keep-monitor: cannot run `%s`: %s\n", argv[9], strerror(errno));
  return 125;
}
