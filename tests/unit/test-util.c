/* Unit tests for the shared helpers: size parsing, string vectors, errors,
 * quoting untrusted text, JSON documents, opening host paths without symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "syscalls.h"
#include "msg.h"
#include "tap.h"
#include "util.h"

static void test_parse_size(void)
{
  static const struct {
    const char *in;
    int ok;
    int64_t want;
  } cases[] = {
      {"1048576", 0, 1048576},
      {"512m", 0, 512LL << 20},
      {"512MB", 0, 512LL << 20},
      {"2g", 0, 2LL << 30},
      {"1GiB", 0, 1LL << 30},
      {"64k", 0, 65536},
      {"10b", 0, 10},
      {"abc", -1, 0},
      {"", -1, 0},
      {"-5", -1, 0},
      {"5x", -1, 0},
      {"5mm", -1, 0},
      {"99999999999999999999", -1, 0},
      {"9999999999t", -1, 0},
      {" 5", -1, 0},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    int64_t v = 0;
    int r = parse_size(cases[i].in, &v);
    tap_ok(r == cases[i].ok && (r < 0 || v == cases[i].want), "parse_size(`%s`)", cases[i].in);
  }
}

static void test_parse_int(void)
{
  int64_t v = 0;
  tap_ok(parse_int64("-5", &v) == 0 && v == -5, "parse_int64 negative");
  tap_ok(parse_int64("12a", &v) < 0, "parse_int64 rejects trailing junk");
  tap_ok(parse_int64("", &v) < 0, "parse_int64 rejects empty");
}

static void test_strv(void)
{
  cleanup_strv char **v = NULL;
  strv_push(&v, "a");
  strv_push(&v, "b");
  TAP_EQ_INT(strv_len(v), 2, "strv_len");
  cleanup_strv char **d = strv_dup(v);
  TAP_EQ_STR(d[1], "b", "strv_dup copies");
}

static void test_errors(void)
{
  cleanup_error keep_error *err = NULL;
  keep_fail(&err, 2, "open `%s`", "/x");
  keep_fail(&err, 5, "second error must not overwrite the first");
  keep_error_wrap(&err, "mount volume");
  char *s = keep_error_format(err);
  TAP_EQ_STR(s, "keep: mount volume: open `/x`: No such file or directory", "error format and wrap");
  free(s);
  keep_error_hint(&err, "create it first");
  s = keep_error_format(err);
  tap_ok(strstr(s, "(create it first)") != NULL, "hint appended");
  free(s);
}

static void test_random_hex(void)
{
  char a[65], b[65];
  tap_ok(random_hex(a, 64, NULL) == 0 && random_hex(b, 64, NULL) == 0 && strcmp(a, b) != 0 &&
             strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64,
         "random_hex gives distinct hex ids");
}

static void test_quote(void)
{
  TAP_EQ_STR(keep_q("plain/path:1"), "plain/path:1", "keep_q leaves printable text");
  TAP_EQ_STR(keep_q("a\nb\tc\x1b[2J"), "a\\nb\\tc\\x1b[2J", "keep_q escapes control characters");
  TAP_EQ_STR(keep_q("caf\xc3\xa9"), "caf\xc3\xa9", "keep_q keeps UTF-8");
  TAP_EQ_STR(keep_q("\xff\xc2\x9b"), "\\xff\\xc2\\x9b",
             "keep_q escapes bytes that are not UTF-8, and C1 controls");
  TAP_EQ_STR(keep_qn("a\0b", 3), "a\\x00b", "keep_qn shows a NUL");
  char big[5000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  const char *q = keep_q(big);
  tap_ok(strlen(q) == KEEP_QUOTE_MAX + 3 && strcmp(q + KEEP_QUOTE_MAX, "\xe2\x80\xa6") == 0,
         "keep_q bounds long text and marks the cut (%zu bytes)", strlen(q));
  memset(big, '\n', sizeof(big) - 1);
  tap_ok(strlen(keep_q(big)) == KEEP_QUOTE_MAX * 2 + 3, "keep_q bounds escaped text too");
  /* A multibyte character cut by the bound is dropped whole. */
  memset(big, 'x', KEEP_QUOTE_MAX - 1);
  memcpy(big + KEEP_QUOTE_MAX - 1, "\xc3\xa9tail", 7);
  q = keep_q(big);
  tap_ok(strlen(q) == KEEP_QUOTE_MAX - 1 + 3, "keep_q does not cut a UTF-8 sequence");
  const char *a = keep_q("first"), *b = keep_q("second");
  tap_ok(strcmp(a, "first") == 0 && strcmp(b, "second") == 0,
         "keep_q results of one message do not overwrite each other");
}

static void test_json(void)
{
  cleanup_error keep_error *err = NULL;
  const char doc[] = "{\"a\": 1}\0garbage";
  json_t *j = keep_json_parse(doc, sizeof(doc) - 1, 0, "`x.json`", &err);
  tap_ok(j == NULL && err && strstr(err->msg, "`x.json` contains a NUL byte") != NULL,
         "a JSON document with a NUL inside is refused: %s", err ? err->msg : "(accepted)");
  keep_error_free(&err);
  j = keep_json_parse(doc, strlen(doc), 0, "`x.json`", &err);
  tap_ok(j != NULL && json_integer_value(json_object_get(j, "a")) == 1,
         "the same document up to the NUL parses");
  json_decref(j);
  j = keep_json_parse("{\"a\": 1} {", 10, 0, "`x.json`", &err);
  tap_ok(j == NULL && err && strstr(err->msg, "`x.json`: line 1") != NULL, "trailing text is refused: %s",
         err ? err->msg : "(accepted)");
}

static void test_regular_only(void)
{
  char dir[] = "/tmp/keep-unit-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    tap_skip("mkdtemp failed", "regular files only");
    return;
  }
  cleanup_free char *fifo = xasprintf("%s/fifo", dir);
  cleanup_free char *text = NULL;
  cleanup_error keep_error *err = NULL;
  mkfifo(fifo, 0600);
  /* Would block in open() without O_NONBLOCK: there is no writer. */
  tap_ok(read_file_at(AT_FDCWD, fifo, &text, NULL, &err) < 0 && err &&
             strstr(err->msg, "is a FIFO, not a regular file"),
         "read_file_at refuses a FIFO at once: %s", err ? err->msg : "(read)");
  keep_error_free(&err);
  tap_ok(read_file_at(AT_FDCWD, dir, &text, NULL, &err) < 0 && err && strstr(err->msg, "is a directory"),
         "read_file_at refuses a directory");
  unlink(fifo);
  rmdir(dir);
}

typedef int (*opener)(const char *, int, char **, char **);

static void check_open(opener fn, const char *how, const char *path, int want_errno, const char *want_link,
                       const char *want_target)
{
  char *link = NULL, *target = NULL;
  int fd = fn(path, 0, &link, &target);
  int e = errno;
  if (want_errno == 0)
    tap_ok(fd >= 0, "%s: `%s` opens", how, path);
  else
    tap_ok(fd < 0 && e == want_errno && (!want_link || (link && strcmp(link, want_link) == 0)) &&
               (!want_target || (target && strcmp(target, want_target) == 0)),
           "%s: `%s` refused with %s (link `%s` -> `%s`)", how, path, strerror(e), link ? link : "",
           target ? target : "");
  if (fd >= 0)
    close(fd);
  free(link);
  free(target);
}

static void test_open_nofollow(void)
{
  char dir[] = "/tmp/keep-unit-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    tap_skip("mkdtemp failed", "open without symlinks");
    return;
  }
  cleanup_free char *real = xasprintf("%s/real", dir), *file = xasprintf("%s/real/file", dir);
  cleanup_free char *link = xasprintf("%s/link", dir), *rootlink = xasprintf("%s/rootlink", dir);
  mkdir(real, 0755);
  close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  if (symlink(real, link) < 0 || symlink("/", rootlink) < 0) {
    tap_skip("symlink failed", "open without symlinks");
    return;
  }
  cleanup_close int dirfd = open(dir, O_PATH | O_CLOEXEC);
  cleanup_free char *through = xasprintf("%s/link/file", dir),
                    *dotdot = xasprintf("%s/real/../real/file", dir);
  cleanup_free char *slash = xasprintf("%s/real/", dir), *file_slash = xasprintf("%s/real/file/", dir);
  cleanup_free char *nope = xasprintf("%s/nope", dir), *link_slash = xasprintf("%s/link/", dir);
  cleanup_free char *magic = xasprintf("/proc/self/fd/%d", dirfd);
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == NULL)
    cwd[0] = '\0';
  /* Both: openat2, and the walk used where the kernel has none. */
  struct {
    opener fn;
    const char *how;
  } fns[] = {{open_host_nofollow, "openat2"}, {open_host_nofollow_walk, "walk"}};
  for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
    check_open(fns[i].fn, fns[i].how, file, 0, NULL, NULL);
    check_open(fns[i].fn, fns[i].how, slash, 0, NULL, NULL);
    check_open(fns[i].fn, fns[i].how, dotdot, 0, NULL, NULL);
    check_open(fns[i].fn, fns[i].how, "/", 0, NULL, NULL);
    check_open(fns[i].fn, fns[i].how, rootlink, ELOOP, rootlink, "/");
    check_open(fns[i].fn, fns[i].how, link_slash, ELOOP, link, real);
    check_open(fns[i].fn, fns[i].how, through, ELOOP, link, real);
    check_open(fns[i].fn, fns[i].how, magic, ELOOP, NULL, NULL);
    check_open(fns[i].fn, fns[i].how, nope, ENOENT, NULL, NULL);
    check_open(fns[i].fn, fns[i].how, file_slash, ENOTDIR, NULL, NULL);
    if (chdir(dir) == 0) {
      check_open(fns[i].fn, fns[i].how, "real/file", 0, NULL, NULL);
      check_open(fns[i].fn, fns[i].how, "link/file", ELOOP, "link", real);
      if (cwd[0] && chdir(cwd) < 0)
        break;
    }
  }
  cleanup_error keep_error *err = NULL;
  tap_ok(open_host_nofollow_checked(through, "volume source", &err) < 0 && err &&
             strstr(err->msg, "passes through the symlink") &&
             strstr(err->msg, "keep does not follow symlinks in volume sources"),
         "the error names the symlink: %s", err ? err->msg : "(opened)");
  unlink(file);
  unlink(link);
  unlink(rootlink);
  rmdir(real);
  rmdir(dir);
}

/* The typed messages between keep and the container's side (msg.h). */
static void test_messages(void)
{
  int sv[2];
  tap_ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  keep_error *e = NULL;
  /* An error crosses as {errno, message, hint} and comes back as it was. */
  keep_error *sent = NULL;
  keep_fail(&sent, EACCES, "open `%s`", "/x");
  keep_error_hint(&sent, "check its mode");
  keep_msg_send_error(sv[0], sent);
  int t = keep_msg_recv(sv[1], NULL, 0, NULL, &e);
  tap_ok(t == -1 && e && e->errnum == EACCES && strcmp(e->msg, "open `/x`") == 0 && e->hint &&
             strcmp(e->hint, "check its mode") == 0,
         "an error arrives with its errno, message and hint");
  char *a = keep_error_format(sent), *b = e ? keep_error_format(e) : NULL;
  tap_ok(b && strcmp(a, b) == 0, "and prints exactly as on the sending side");
  free(a);
  free(b);
  keep_error_free(&sent);
  keep_error_free(&e);
  /* A typed message with text and an fd. */
  int pipefd[2];
  tap_ok(pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
  keep_msg_send(sv[0], KEEP_MSG_IDMAPPED_TREE, "3", pipefd[0], NULL);
  char text[16];
  int fd = -1;
  t = keep_msg_recv(sv[1], text, sizeof(text), &fd, &e);
  tap_ok(t == KEEP_MSG_IDMAPPED_TREE && strcmp(text, "3") == 0 && fd >= 0, "type, text and fd arrive");
  if (fd >= 0)
    close(fd);
  close(pipefd[0]);
  close(pipefd[1]);
  /* The wrong message where one is expected names the step. */
  keep_msg_send(sv[0], KEEP_MSG_READY, NULL, -1, NULL);
  tap_ok(keep_msg_expect(sv[1], KEEP_MSG_GO, "the set-up", &e) < 0 && e && e->errnum == EPROTO &&
             strstr(e->msg, "the set-up"),
         "an unexpected message fails, naming the step");
  keep_error_free(&e);
  /* Bytes that are no message of ours. */
  tap_ok(write(sv[0], "G", 1) == 1, "a bare tag byte sent");
  tap_ok(keep_msg_recv(sv[1], NULL, 0, NULL, &e) < 0 && e && e->errnum == EPROTO,
         "a malformed message is refused");
  keep_error_free(&e);
  close(sv[0]);
  tap_ok(keep_msg_recv(sv[1], NULL, 0, NULL, &e) == KEEP_MSG_CLOSED, "EOF: the other side is gone");
  close(sv[1]);
}

int main(void)
{
  test_parse_size();
  test_parse_int();
  test_strv();
  test_errors();
  test_random_hex();
  test_quote();
  test_json();
  test_regular_only();
  test_open_nofollow();
  test_messages();
  return tap_done();
}
