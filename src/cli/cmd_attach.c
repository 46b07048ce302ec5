/* keep attach [--detach-keys ctrl-p,ctrl-q|none] CONTAINER: the terminal of
 * a detached container.  Its monitor serves attach.sock (keep_monitor.c):
 * output as it comes, and with -i our stdin as the container's.  The
 * detach keys (Docker's ctrl-p ctrl-q) leave it running; otherwise attach
 * ends when the container does, with its exit code. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "service.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

/* "ctrl-p,ctrl-q" (Docker's form), or "none". */
static int parse_keys(const char *s, char keys[2], size_t *n)
{
  *n = 0;
  if (strcmp(s, "none") == 0 || *s == '\0')
    return 0;
  cleanup_free char *copy = xstrdup(s);
  char *save = NULL;
  for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
    if (*n == 2)
      return -1;
    if (str_has_prefix(k, "ctrl-") && strlen(k) == 6 && k[5] >= 'a' && k[5] <= 'z')
      keys[(*n)++] = (char) (k[5] - 'a' + 1);
    else if (strlen(k) == 1)
      keys[(*n)++] = k[0];
    else
      return -1;
  }
  return 0;
}

static int connect_attach(const struct keep_ctr *c, keep_error **err)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if ((size_t) snprintf(a.sun_path, sizeof(a.sun_path), "%s/attach.sock", c->dir) >= sizeof(a.sun_path))
    return keep_fail(err, ENAMETOOLONG, "`%s/attach.sock`: path too long for a socket", c->dir);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof(a)) < 0) {
    keep_fail_errno(err, "connect to the monitor of `%.12s` (`%s`)", c->id, a.sun_path);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

/* Relay until the container ends (1) or the detach keys (0). */
static int relay(int sock, bool input, const char keys[2], size_t nkeys)
{
  size_t matched = 0;
  bool in_open = input;
  for (;;) {
    struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = in_open ? 0 : -1, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return 1;
    }
    char buf[4096];
    if (p[0].revents) {
      ssize_t n = read(sock, buf, sizeof(buf));
      if (n <= 0)
        return 1;
      write_all(1, buf, (size_t) n);
    }
    if (p[1].revents) {
      ssize_t n = read(0, buf, sizeof(buf));
      if (n <= 0) {
        in_open = false; /* keep the output coming */
        continue;
      }
      for (ssize_t i = 0; i < n; i++) {
        if (nkeys && buf[i] == keys[matched]) {
          if (++matched == nkeys)
            return 0;
          continue;
        }
        /* Not the sequence after all: what was held back goes too. */
        if (matched)
          write_all(sock, keys, matched);
        matched = 0;
        write_all(sock, buf + i, 1);
      }
    }
  }
}

int cmd_attach(int argc, char **argv)
{
  const char *keyspec = "ctrl-p,ctrl-q", *ref = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      printf("Usage: keep attach [--detach-keys ctrl-p,ctrl-q|none] CONTAINER\n\nAttach to a container of "
             "`keep run -d`: its output, and with -i your input.\nThe detach keys (ctrl-p ctrl-q) leave it "
             "running; otherwise attach ends with it, with its exit code.\n");
      return 0;
    }
    if (strcmp(argv[i], "--detach-keys") == 0 && i + 1 < argc)
      keyspec = argv[++i];
    else if (str_has_prefix(argv[i], "--detach-keys="))
      keyspec = argv[i] + 14;
    else if (argv[i][0] == '-' || ref) {
      fprintf(stderr, "keep attach: unexpected `%s` (see `keep attach --help`)\n", keep_q(argv[i]));
      return EXIT_KEEP_FAILED;
    } else
      ref = argv[i];
  }
  char keys[2];
  size_t nkeys = 0;
  if (parse_keys(keyspec, keys, &nkeys) < 0) {
    fprintf(stderr, "keep attach: invalid --detach-keys `%s`: e.g. ctrl-p,ctrl-q or none\n", keep_q(keyspec));
    return EXIT_KEEP_FAILED;
  }
  if (ref == NULL) {
    fprintf(stderr, "keep attach: name a container\n");
    return EXIT_KEEP_FAILED;
  }
  cleanup_free char *base = NULL;
  keep_error *err = NULL;
  struct keep_ctr c;
  int code = EXIT_KEEP_FAILED;
  if (keep_cli_ctr_open(ref, &base, &c, &err) < 0)
    goto out;
  if (c.status != KEEP_CTR_RUNNING || !json_is_true(json_object_get(c.record, "detached"))) {
    keep_fail(&err, 0, "container `%s` is not a running container of `keep run -d`", ref);
    goto out;
  }
  int sock = connect_attach(&c, &err);
  if (sock < 0)
    goto out;
  bool tty = json_is_true(json_object_get(c.record, "tty"));
  bool input = json_is_true(json_object_get(c.record, "interactive"));
  struct termios saved;
  bool raw = tty && input && isatty(0) && keep_tty_make_raw(0, &saved, NULL) == 0;
  int ended = relay(sock, input, keys, nkeys);
  if (raw)
    keep_tty_restore(0, &saved);
  close(sock);
  if (!ended) {
    fprintf(stderr, "\nkeep: detached from %s; it runs on (`keep attach %s` again)\n", ref, ref);
    code = 0;
    goto out;
  }
  /* It ended: its exit code, once its monitor has recorded it. */
  keep_ctr_wait_gone(base, c.id, -1);
  struct keep_ctr now;
  code = 0;
  if (keep_ctr_open(base, c.id, &now, NULL) == 0 && now.exit)
    code = (int) json_integer_value(json_object_get(now.exit, "exitCode"));
  keep_ctr_free(&now);
out:
  keep_ctr_free(&c);
  if (err)
    return keep_cli_fail(&err);
  return code;
}
