/* keep logs [-f] [--tail N] [--since T] [-t] CONTAINER: what a container
 * wrote, from the log its monitor keeps (CRI format, see keep_monitor.c):
 * stdout to stdout, stderr to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "service.h"
#include "state.h"
#include "util.h"

struct logs_opts {
  bool timestamps;
  const char *since; /* a timestamp in the log's own form, or NULL */
  long long tail;    /* -1: all */
  bool at_line_start[2];
};

/* One record "TS STREAM F|P MSG": print it per the options. */
static void print_record(struct logs_opts *o, const char *rec, size_t len)
{
  const char *sp1 = memchr(rec, ' ', len);
  const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t) (sp1 + 1 - rec)) : NULL;
  if (sp2 == NULL || (size_t) (sp2 - rec) + 3 > len)
    return; /* not a record: a torn write */
  size_t ts_len = (size_t) (sp1 - rec);
  if (o->since && ts_len >= strlen(o->since) && strncmp(rec, o->since, strlen(o->since)) < 0)
    return;
  bool err = (size_t) (sp2 - sp1 - 1) == 6 && memcmp(sp1 + 1, "stderr", 6) == 0;
  bool full = sp2[1] == 'F';
  const char *msg = sp2 + 3;
  size_t mlen = len - (size_t) (msg - rec);
  FILE *out = err ? stderr : stdout;
  if (o->timestamps && o->at_line_start[err])
    fprintf(out, "%.*s ", (int) ts_len, rec);
  fwrite(msg, 1, mlen, out);
  if (full)
    fputc('\n', out);
  o->at_line_start[err] = full;
}

/* Every record of the log, oldest file first, as one buffer. */
static char *read_all_logs(int dirfd, int max_file, size_t *len, size_t *live_len)
{
  char *all = xstrdup("");
  *len = 0;
  for (int i = max_file - 1; i >= 0; i--) {
    char name[32];
    if (i)
      snprintf(name, sizeof(name), "ctr.log.%d", i);
    else
      snprintf(name, sizeof(name), "ctr.log");
    cleanup_free char *text = NULL;
    size_t n = 0;
    if (read_file_at(dirfd, name, &text, &n, NULL) < 0)
      continue;
    if (i == 0)
      *live_len = n;
    all = xrealloc(all, *len + n + 1);
    memcpy(all + *len, text, n);
    *len += n;
    all[*len] = '\0';
  }
  return all;
}

static void print_buffer(struct logs_opts *o, const char *buf, size_t len)
{
  const char *p = buf, *end = buf + len;
  size_t skip = 0;
  if (o->tail >= 0) {
    long long lines = 0;
    for (const char *q = buf; q < end; q++)
      lines += *q == '\n';
    skip = lines > o->tail ? (size_t) (lines - o->tail) : 0;
  }
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t) (end - p));
    if (nl == NULL)
      break;
    if (skip)
      skip--;
    else
      print_record(o, p, (size_t) (nl - p));
    p = nl + 1;
  }
}

/* --since: 10s / 5m / 2h, Unix seconds, or RFC 3339; as the log writes it. */
static char *since_stamp(const char *s)
{
  time_t t = 0;
  char *end = NULL;
  double v = strtod(s, &end);
  if (end != s && (*end == 's' || *end == 'm' || *end == 'h') && end[1] == '\0') {
    double mul = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
    t = time(NULL) - (time_t) (v * mul);
  } else if (end != s && *end == '\0') {
    t = (time_t) v;
  } else {
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == NULL)
      return NULL;
    t = timegm(&tm);
  }
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xstrdup(buf);
}

/* -f: what the live log gains, across rotations, until the container's
 * keep is gone and nothing is left to read. */
static void follow(struct logs_opts *o, const char *base, const struct keep_ctr *c, off_t from)
{
  int fd = openat(c->dirfd, "ctr.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  off_t off = from;
  cleanup_free char *pending = NULL;
  size_t plen = 0;
  for (;;) {
    bool alive = keep_owner_alive(base, c->id);
    char buf[65536];
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), off) : 0;
    if (n > 0) {
      off += n;
      pending = xrealloc(pending, plen + (size_t) n + 1);
      memcpy(pending + plen, buf, (size_t) n);
      plen += (size_t) n;
      char *last = memrchr(pending, '\n', plen);
      if (last) {
        size_t used = (size_t) (last - pending) + 1;
        print_buffer(o, pending, used);
        memmove(pending, pending + used, plen - used);
        plen -= used;
      }
      fflush(stdout);
      fflush(stderr);
      continue;
    }
    /* Rotated: the file we read is now ctr.log.1; the new one starts at 0. */
    struct stat a, b;
    if (fd < 0 || (fstatat(c->dirfd, "ctr.log", &b, AT_SYMLINK_NOFOLLOW) == 0 && fstat(fd, &a) == 0 &&
                   a.st_ino != b.st_ino)) {
      if (fd >= 0)
        close(fd);
      fd = openat(c->dirfd, "ctr.log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      off = 0;
      if (fd >= 0)
        continue;
    }
    if (!alive)
      break;
    poll(NULL, 0, 100);
  }
  if (fd >= 0)
    close(fd);
}

int cmd_logs(int argc, char **argv)
{
  static const struct option opts[] = {
      {"follow", no_argument, NULL, 'f'},      {"tail", required_argument, NULL, 'n'},
      {"since", required_argument, NULL, 's'}, {"timestamps", no_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
  struct logs_opts lo = {.tail = -1, .at_line_start = {true, true}};
  bool follow_it = false;
  cleanup_free char *since = NULL;
  int o;
  optind = 1;
  while ((o = getopt_long(argc, argv, "+fn:t", opts, NULL)) != -1) {
    int64_t n = 0;
    switch (o) {
    case 'f': follow_it = true; break;
    case 't': lo.timestamps = true; break;
    case 'n':
      if (strcmp(optarg, "all") == 0) {
        lo.tail = -1;
      } else if (parse_int64(optarg, &n) == 0 && n >= 0) {
        lo.tail = n;
      } else {
        fprintf(stderr, "keep logs: invalid --tail `%s`: a number of lines, or all\n", keep_q(optarg));
        return EXIT_KEEP_FAILED;
      }
      break;
    case 's':
      free(since);
      since = since_stamp(optarg);
      if (since == NULL) {
        fprintf(stderr,
                "keep logs: invalid --since `%s`: 10s, 5m, 2h, Unix seconds or 2006-01-02T15:04:05Z\n",
                keep_q(optarg));
        return EXIT_KEEP_FAILED;
      }
      break;
    case 'h':
      printf("Usage: keep logs [-f] [--tail N] [--since T] [-t] CONTAINER\n\nPrint what the container wrote "
             "(its stderr on stderr).  -f follows until it stops.\n");
      return 0;
    default: fprintf(stderr, "keep logs: unknown option (see `keep logs --help`)\n"); return EXIT_KEEP_FAILED;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "keep logs: name one container\n");
    return EXIT_KEEP_FAILED;
  }
  lo.since = since;
  cleanup_free char *base = NULL;
  keep_error *err = NULL;
  struct keep_ctr c;
  if (keep_cli_ctr_open(argv[optind], &base, &c, &err) < 0) {
    keep_ctr_free(&c);
    return keep_cli_fail(&err);
  }
  int max_file = (int) json_integer_value(json_object_get(json_object_get(c.record, "log"), "maxFile"));
  if (!json_is_true(json_object_get(c.record, "detached"))) {
    keep_ctr_free(&c);
    fprintf(stderr, "keep logs: container `%s` runs attached: its output goes to the terminal that ran it\n",
            argv[optind]);
    return EXIT_KEEP_FAILED;
  }
  size_t len = 0, live = 0;
  cleanup_free char *all = read_all_logs(c.dirfd, max_file > 0 ? max_file : 1, &len, &live);
  /* Whole records only: the live file may end in one being written. */
  char *last = memrchr(all, '\n', len);
  size_t whole = last ? (size_t) (last - all) + 1 : 0;
  print_buffer(&lo, all, whole);
  fflush(stdout);
  fflush(stderr);
  if (follow_it) {
    lo.tail = -1;
    follow(&lo, base, &c, (off_t) live - (off_t) (len - whole));
  }
  keep_ctr_free(&c);
  return 0;
}
