/* The tracer: a process of keep's, outside the container, that holds the
 * observed filter's listener for the whole run.  Each notification is
 * answered with the profile's own decision (keep_seccomp_decide): an
 * allowed call is recorded and continued, a denied one is logged and fails
 * with the profile's errno.  When the last process under the filter is
 * gone, the tracer reports what it recorded, one line per call ("NAME", or
 * "NAME VALUE" for a narrowed call), and exits. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "libseccomp.h"
#include "oci_runtime.h"
#include "seccomp_filter.h"
#include "trace_watch.h"
#include "util.h"

#define X32_BIT 0x40000000u
#define MAX_NR 1024

enum { ABI_X86_64, ABI_X32, ABI_I386, ABI_COUNT };
static const uint32_t abi_scmp[ABI_COUNT] = {SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_X86};
static const char *const abi_names[ABI_COUNT] = {"x86_64", "x32", "i386"};

/* What is known of each (ABI, number): 0 not yet seen; else its kind. */
enum { SEEN_NONE, SEEN_PLAIN, SEEN_NARROWED, SEEN_NAMELESS };
struct tracer {
  unsigned observe;
  const struct keep_seccomp *sc;
  unsigned char seen[ABI_COUNT][MAX_NR];
  signed char narrowed[ABI_COUNT][MAX_NR];
  char *names[ABI_COUNT][MAX_NR];
  struct trace_profile learned;
  bool learn_paths; /* --landlock-out */
  struct trace_paths paths;
};

static int abi_of(const struct seccomp_data *d, unsigned *nr)
{
  uint32_t n = (uint32_t) d->nr;
  if (d->arch == AUDIT_ARCH_I386) {
    *nr = n;
    return n < MAX_NR ? ABI_I386 : -1;
  }
  if (d->arch != AUDIT_ARCH_X86_64)
    return -1;
  *nr = n & ~X32_BIT;
  if (*nr >= MAX_NR)
    return -1;
  return (n & X32_BIT) ? ABI_X32 : ABI_X86_64;
}

/* libseccomp's name for the call, looked up once per (ABI, number). */
static const char *name_of(struct tracer *t, int abi, unsigned nr)
{
  if (t->names[abi][nr] == NULL) {
    char *n = keep_libseccomp()->resolve_num_arch(abi_scmp[abi], (int) (nr | (abi == ABI_X32 ? X32_BIT : 0)));
    t->names[abi][nr] = n ? n : xasprintf("#%u", nr);
    t->narrowed[abi][nr] = (signed char) (n ? trace_narrowed_index(n) : -1);
  }
  return t->names[abi][nr];
}

static void record(struct tracer *t, const struct seccomp_data *d)
{
  unsigned nr;
  int abi = abi_of(d, &nr);
  if (abi < 0)
    return;
  if (t->seen[abi][nr] == SEEN_PLAIN || t->seen[abi][nr] == SEEN_NAMELESS)
    return;
  const char *name = name_of(t, abi, nr);
  if (name[0] == '#') {
    /* Known to the kernel and the profile, unnamed by libseccomp: a
     * profile cannot name it either. */
    t->seen[abi][nr] = SEEN_NAMELESS;
    fprintf(stderr, "%s: warning: system call %u (%s) has no name in libseccomp: it stays denied\n",
            keep_progname, nr, abi_names[abi]);
    return;
  }
  int w = t->narrowed[abi][nr];
  if (w >= 0) {
    t->seen[abi][nr] = SEEN_NARROWED;
    uint64_t v = d->args[0];
    if (abi != ABI_X86_64)
      v &= 0xffffffffu; /* a 32-bit ABI's argument, as its filter compares it */
    trace_profile_add_value(&t->learned, w, v);
    return;
  }
  t->seen[abi][nr] = SEEN_PLAIN;
  trace_profile_add_name(&t->learned, name);
}

/* The denied call's process, as the container sees it: its pid there (the
 * last NSpid) and its command name. */
static void log_denied(struct tracer *t, const struct seccomp_notif *req, uint32_t ret)
{
  unsigned nr = 0;
  int abi = abi_of(&req->data, &nr);
  const char *name = abi >= 0 ? name_of(t, abi, nr) : "?";
  char path[64], buf[4096], comm[64] = "?";
  long inner = (long) req->pid;
  snprintf(path, sizeof(path), "/proc/%u/status", req->pid);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
  if (n > 0) {
    buf[n] = '\0';
    const char *ns = strstr(buf, "\nNSpid:");
    const char *nm = strncmp(buf, "Name:\t", 6) == 0 ? buf + 6 : NULL;
    if (ns) {
      ns += 7;
      const char *end = ns + strcspn(ns, "\n");
      while (end > ns && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
      const char *last = end;
      while (last > ns && last[-1] != '\t' && last[-1] != ' ')
        last--;
      inner = strtol(last, NULL, 10);
    }
    if (nm)
      snprintf(comm, sizeof(comm), "%.*s", (int) strcspn(nm, "\n"), nm);
  }
  int e = (int) (ret & SECCOMP_RET_DATA);
  fprintf(stderr, "%s: seccomp denied %s (%s) to pid %ld `%s` in the container: %s (errno %d)\n",
          keep_progname, name, abi >= 0 ? abi_names[abi] : "unknown ABI", inner, keep_q(comm),
          strerrorname_np(e) ?: "?", e);
}

/* One notification: the profile's answer, recorded or logged. */
static void answer(struct tracer *t, int listener, struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
  uint32_t ret = keep_seccomp_decide(t->sc, &req->data);
  resp->id = req->id;
  resp->val = 0;
  resp->error = 0;
  resp->flags = 0;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_ALLOW:
  case SECCOMP_RET_LOG:
    if (t->observe & KEEP_SECCOMP_OBSERVE_ALLOWED)
      record(t, &req->data);
    if (t->learn_paths) {
      unsigned nr;
      int abi = abi_of(&req->data, &nr);
      if (abi >= 0)
        trace_watch_call(&t->paths, (pid_t) req->pid, name_of(t, abi, nr), &req->data);
    }
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    break;
  case SECCOMP_RET_ERRNO:
    if (t->observe & KEEP_SECCOMP_OBSERVE_DENIED)
      log_denied(t, req, ret);
    resp->error = -(int) (ret & SECCOMP_RET_DATA);
    break;
  default:
    /* Never notified (only allow, log and errno are): fail closed. */
    resp->error = -EPERM;
    break;
  }
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
    fprintf(stderr, "%s: warning: seccomp: answer a notification: %s\n", keep_progname, strerror(errno));
}

static void report(struct tracer *t, FILE *out)
{
  for (size_t i = 0; i < t->learned.n_names; i++)
    fprintf(out, "%s\n", t->learned.names[i]);
  for (int w = 0; w < TRACE_NARROWED; w++)
    for (size_t i = 0; i < t->learned.n_values[w]; i++)
      fprintf(out, "%s %llu\n", trace_narrowed_names[w], (unsigned long long) t->learned.values[w][i]);
  for (size_t i = 0; i < t->paths.n; i++)
    fprintf(out, "path %s\n", t->paths.v[i]);
}

static noreturn void tracer_main(int sock, int out_fd, const struct keep_seccomp *sc, unsigned observe,
                                 bool learn_paths)
{
  static struct tracer t;
  t.observe = observe;
  t.learn_paths = learn_paths;
  t.sc = sc;
  int listener = keep_unix_recv_fd(sock);
  close(sock);
  if (listener < 0)
    _exit(0); /* the workload never loaded the filter: keep run says why */
  if (write(out_fd, "started\n", 8) != 8)
    _exit(1);
  struct seccomp_notif_sizes sizes = {0};
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    _exit(1);
  size_t req_size =
      sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
  size_t resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
                         ? sizes.seccomp_notif_resp
                         : sizeof(struct seccomp_notif_resp);
  struct seccomp_notif *req = xcalloc(1, req_size);
  struct seccomp_notif_resp *resp = xcalloc(1, resp_size);
  for (;;) {
    struct pollfd pf = {.fd = listener, .events = POLLIN};
    if (poll(&pf, 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (!(pf.revents & POLLIN)) {
      if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
        break; /* nothing is left under the filter */
      continue;
    }
    memset(req, 0, req_size);
    memset(resp, 0, resp_size);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
      continue; /* EINTR, or ENOENT: the caller died meanwhile */
    answer(&t, listener, req, resp);
  }
  FILE *out = fdopen(out_fd, "w");
  if (out == NULL)
    _exit(1);
  report(&t, out);
  _exit(fclose(out) == 0 ? 0 : 1);
}

int keep_trace_start(struct keep_config *cfg, unsigned observe, bool learn_paths, struct keep_trace *t,
                     keep_error **err)
{
  int sv[2], pp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return keep_fail_errno(err, "socketpair for the seccomp listener");
  if (pipe2(pp, O_CLOEXEC) < 0) {
    close(sv[0]);
    close(sv[1]);
    return keep_fail_errno(err, "pipe for the tracer's report");
  }
  struct keep_seccomp *sc = NULL;
  const char *file = cfg->seccomp == KEEP_SECCOMP_FILE ? cfg->seccomp_file : NULL;
  if (keep_seccomp_prepare_observed(file, cfg->seccomp == KEEP_SECCOMP_UNCONFINED, cfg->cap_add, observe,
                                    sv[1], &sc, err) < 0) {
    close(sv[0]);
    close(sv[1]);
    close(pp[0]);
    close(pp[1]);
    return -1;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    keep_seccomp_free(sc);
    close(sv[0]);
    close(sv[1]);
    close(pp[0]);
    close(pp[1]);
    return keep_fail_errno(err, "fork the tracer");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    keep_cmdline_rewrite("keep-trace");
    /* A terminal's ^C is the container's to take (keep forwards it): the
     * tracer ends when the container has, never before it. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (dup2(sv[0], 3) < 0 || dup2(pp[1], 4) < 0)
      _exit(1);
    close_range(5, ~0U, 0);
    tracer_main(3, 4, sc, observe, learn_paths);
  }
  close(sv[0]);
  close(pp[1]);
  t->pid = pid;
  t->results = pp[0];
  t->handover = sv[1];
  cfg->seccomp_prepared = sc;
  return 0;
}

void keep_trace_abandon(struct keep_trace *t)
{
  if (t->handover >= 0)
    close(steal_fd(&t->handover));
  if (t->results >= 0)
    close(steal_fd(&t->results));
  if (t->pid > 0) {
    kill(t->pid, SIGKILL);
    while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR)
      ;
    t->pid = -1;
  }
}

static int parse_report(char *text, struct trace_profile *learned, struct trace_paths *paths, bool *started,
                        keep_error **err)
{
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strcmp(line, "started") == 0) {
      *started = true;
      continue;
    }
    if (str_has_prefix(line, "path ")) {
      if (paths)
        trace_paths_add_entry(paths, line + 5);
      continue;
    }
    if (learned == NULL)
      continue;
    char *sp = strchr(line, ' ');
    if (sp == NULL) {
      trace_profile_add_name(learned, line);
      continue;
    }
    *sp = '\0';
    int w = trace_narrowed_index(line);
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(sp + 1, &end, 10);
    if (w < 0 || errno || end == sp + 1 || *end)
      return keep_fail(err, EINVAL, "the tracer's report: bad line `%s`", keep_q(line));
    trace_profile_add_value(learned, w, v);
  }
  return 0;
}

int keep_trace_finish(struct keep_trace *t, struct trace_profile *learned, struct trace_paths *paths,
                      bool *started, keep_error **err)
{
  *started = false;
  /* Ours was the last copy outside the container: without a listener sent,
   * the tracer now sees the end of the socket. */
  if (t->handover >= 0)
    close(steal_fd(&t->handover));
  cleanup_free char *text = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 16384;
      text = xrealloc(text, cap);
    }
    ssize_t n = read(t->results, text + len, cap - len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t) n;
  }
  text[len] = '\0';
  close(steal_fd(&t->results));
  int status = 0;
  while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
    ;
  t->pid = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return keep_fail(err, EIO, "keep's seccomp tracer failed (status %#x): what it saw is lost", status);
  return parse_report(text, learned, paths, started, err);
}
