/* TCP round-trip latency: one byte out, one byte back, N times over one
 * connection (TCP_NODELAY), the median and 99th percentile in µs.
 *   pingpong -s PORT             serve: echo every byte, one child per client
 *   pingpong HOST PORT [N]       measure N round trips (default 10000)
 * Built static so it runs in a busybox root as well as on the host. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
  perror(what);
  exit(1);
}

static void nodelay(int fd)
{
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
    die("pingpong: setsockopt TCP_NODELAY");
}

static int serve(const char *port)
{
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short) atoi(port))};
  int s = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;
  if (s < 0)
    die("pingpong: socket");
  /* One socket for IPv4 and IPv6 clients alike. */
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr *) &a, sizeof a) < 0)
    die("pingpong: bind");
  if (listen(s, 16) < 0)
    die("pingpong: listen");
  signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0)
      continue;
    if (fork() == 0) {
      char b;
      close(s);
      nodelay(c);
      while (read(c, &b, 1) == 1)
        if (write(c, &b, 1) != 1)
          break;
      _exit(0);
    }
    close(c);
  }
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "-s") == 0)
    return serve(argv[2]);
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: pingpong -s PORT | pingpong HOST PORT [N]\n");
    return 2;
  }
  long n = argc == 4 ? atol(argv[3]) : 10000;
  if (n < 1)
    n = 1;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
  int rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
  if (rc != 0) {
    fprintf(stderr, "pingpong: %s: %s\n", argv[1], gai_strerror(rc));
    return 1;
  }
  int fd = -1;
  /* The server may still be starting: retry for up to 5 s. */
  for (int i = 0; i < 100; i++) {
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0)
      die("pingpong: socket");
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
      break;
    close(fd);
    fd = -1;
    usleep(50000);
  }
  if (fd < 0)
    die("pingpong: connect");
  nodelay(fd);
  double *us = malloc(sizeof *us * (size_t) n);
  if (!us)
    die("pingpong: malloc");
  char b = 'x';
  /* A short warm-up, not counted. */
  for (long i = -100; i < n; i++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
      die("pingpong: round trip");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (i >= 0)
      us[i] = (double) (t1.tv_sec - t0.tv_sec) * 1e6 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e3;
  }
  qsort(us, (size_t) n, sizeof *us, cmp);
  printf("%.1f %.1f\n", us[n / 2], us[(n * 99) / 100]);
  return 0;
}
