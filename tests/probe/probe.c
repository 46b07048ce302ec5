/* keep-probe: runs inside a container, tries one thing, prints what happened.
 * Output: one line "<what> ok" or "<what> denied <ERRNO>" (or a value).
 * Static and self-contained: it needs nothing from the container's root. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *ename(int e)
{
  switch (e) {
  case 0: return "ok";
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ENOSYS: return "ENOSYS";
  case EROFS: return "EROFS";
  case ENOENT: return "ENOENT";
  case EINVAL: return "EINVAL";
  case EAGAIN: return "EAGAIN";
  case ENOTTY: return "ENOTTY";
  case ETXTBSY: return "ETXTBSY";
  case ENETUNREACH: return "ENETUNREACH";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EBADF: return "EBADF";
  case ESRCH: return "ESRCH";
  case EFAULT: return "EFAULT";
  case EEXIST: return "EEXIST";
  case ENOMEM: return "ENOMEM";
  case EXDEV: return "EXDEV";
  default: {
    static char buf[32];
    snprintf(buf, sizeof(buf), "E%d", e);
    return buf;
  }
  }
}

static int report(const char *what, long r)
{
  if (r < 0)
    printf("%s denied %s\n", what, ename(errno));
  else
    printf("%s ok\n", what);
  return 0;
}

static long raw_syscall(const char *name)
{
  errno = 0;
  if (!strcmp(name, "mount"))
    return mount("none", "/tmp", "tmpfs", 0, NULL);
  if (!strcmp(name, "umount"))
    return umount2("/proc", MNT_DETACH);
  if (!strcmp(name, "unshare-user"))
    return unshare(CLONE_NEWUSER);
  if (!strcmp(name, "unshare-mount"))
    return unshare(CLONE_NEWNS);
  if (!strcmp(name, "clone-newuser"))
    return syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (!strcmp(name, "clone3"))
    return syscall(435, NULL, 0);
  if (!strcmp(name, "keyctl"))
    return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
  if (!strcmp(name, "add_key"))
    return syscall(SYS_add_key, "user", "keep", "x", 1, -3);
  if (!strcmp(name, "bpf"))
    return syscall(SYS_bpf, 0, NULL, 0);
  if (!strcmp(name, "perf_event_open"))
    return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  if (!strcmp(name, "ptrace"))
    return ptrace(PTRACE_ATTACH, 1, 0, 0);
  if (!strcmp(name, "setns"))
    return syscall(SYS_setns, 0, 0);
  if (!strcmp(name, "pivot_root"))
    return syscall(SYS_pivot_root, "/tmp", "/tmp");
  if (!strcmp(name, "chroot"))
    return chroot("/tmp");
  if (!strcmp(name, "open_by_handle_at"))
    return syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
  if (!strcmp(name, "kexec_load"))
    return syscall(SYS_kexec_load, 0, 0, NULL, 0);
  if (!strcmp(name, "init_module"))
    return syscall(SYS_init_module, NULL, 0, "");
  if (!strcmp(name, "reboot"))
    return syscall(SYS_reboot, 0, 0, 0, NULL);
  if (!strcmp(name, "userfaultfd"))
    return syscall(SYS_userfaultfd, 0);
  if (!strcmp(name, "io_uring_setup"))
    return syscall(425, 1, NULL);
  if (!strcmp(name, "personality"))
    return syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */);
  if (!strcmp(name, "socket-vsock"))
    return socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
  if (!strcmp(name, "mknod"))
    return mknod("/tmp/probe-null", S_IFCHR | 0666, makedev(1, 3));
  if (!strcmp(name, "nr999"))
    return syscall(999);
  if (!strcmp(name, "socket-raw"))
    return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (!strcmp(name, "socket-packet"))
    return socket(17 /* AF_PACKET */, SOCK_RAW, 0);
  if (!strcmp(name, "socket-unix"))
    return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
  if (!strcmp(name, "getpid"))
    return syscall(SYS_getpid);
  if (!strcmp(name, "getcwd")) {
    char b[256];
    return syscall(SYS_getcwd, b, sizeof(b));
  }
  fprintf(stderr, "keep-probe: unknown syscall test `%s`\n", name);
  exit(2);
}

/* The 32-bit entry point: the filter must hold there too. */
static long i386_syscall(long nr, long a, long b, long c)
{
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  if (ret < 0 && ret > -4096) {
    errno = (int) -ret;
    return -1;
  }
  return ret;
}

static int cmd_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int dfd = d ? dirfd(d) : -1, n = 0;
  while (d && (e = readdir(d))) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd <= 2 || fd == dfd)
      continue;
    char path[64], target[512] = "";
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t l = readlink(path, target, sizeof(target) - 1);
    target[l > 0 ? l : 0] = '\0';
    printf("fd %d %s\n", fd, target);
    n++;
  }
  printf("fds %d\n", n);
  return 0;
}

static int cmd_forkbomb(int max)
{
  pid_t kids[100000];
  int n = 0, err = 0;
  while (n < max) {
    pid_t p = fork();
    if (p < 0) {
      err = errno;
      break;
    }
    if (p == 0) {
      pause();
      _exit(0);
    }
    kids[n++] = p;
  }
  printf("forked %d %s\n", n, ename(err));
  for (int i = 0; i < n; i++)
    kill(kids[i], SIGKILL);
  for (int i = 0; i < n; i++)
    waitpid(kids[i], NULL, 0);
  return 0;
}

static int cmd_zombies(void)
{
  /* Orphans whose parent exits become children of PID 1; it must reap them. */
  for (int i = 0; i < 5; i++) {
    pid_t p = fork();
    if (p == 0) {
      if (fork() == 0) {
        usleep(100000);
        _exit(0);
      }
      _exit(0);
    }
    waitpid(p, NULL, 0);
  }
  usleep(400000);
  int z = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char path[300], buf[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "re");
    if (!f)
      continue;
    if (fgets(buf, sizeof(buf), f)) {
      char *rp = strrchr(buf, ')');
      if (rp && rp[1] == ' ' && rp[2] == 'Z')
        z++;
    }
    fclose(f);
  }
  printf("zombies %d\n", z);
  return 0;
}

static int cmd_connect(const char *host, int port)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short) port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  /* A filtered address answers nothing: give up after 2 s (EINPROGRESS). */
  struct timeval tv = {.tv_sec = 2};
  if (s >= 0)
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return report("connect", s < 0 ? -1 : connect(s, (struct sockaddr *) &a, sizeof(a)));
}

/* Print every datagram that arrives on PORT (a line each). */
static int cmd_udp_listen(int port)
{
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short) port)};
  if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof(a)) < 0)
    return report("udp-listen", -1);
  setvbuf(stdout, NULL, _IOLBF, 0);
  char buf[256];
  for (ssize_t n; (n = recv(s, buf, sizeof(buf) - 1, 0)) >= 0;)
    fwrite(buf, 1, (size_t) n, stdout);
  return 0;
}

/* A UDP datagram from an address that is not the container's: IP_FREEBIND
 * needs no capability, so any process can try this. */
static int cmd_udp_from(const char *src, const char *host, int port)
{
  int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
  struct sockaddr_in from = {.sin_family = AF_INET},
                     to = {.sin_family = AF_INET, .sin_port = htons((unsigned short) port)};
  inet_pton(AF_INET, src, &from.sin_addr);
  inet_pton(AF_INET, host, &to.sin_addr);
  if (s < 0 || setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
      bind(s, (struct sockaddr *) &from, sizeof(from)) < 0)
    return report("udp-from", -1);
  char msg[64];
  snprintf(msg, sizeof(msg), "from %s\n", src);
  return report("udp-from", sendto(s, msg, strlen(msg), 0, (struct sockaddr *) &to, sizeof(to)) < 0 ? -1 : 0);
}

static int cmd_netifs(void)
{
  struct if_nameindex *ifs = if_nameindex();
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
    struct ifreq r;
    memset(&r, 0, sizeof(r));
    strncpy(r.ifr_name, i->if_name, IFNAMSIZ - 1);
    ioctl(s, SIOCGIFFLAGS, &r);
    printf("netif %s %s\n", i->if_name, (r.ifr_flags & IFF_UP) ? "up" : "down");
  }
  return 0;
}

static int usage(void)
{
  fprintf(stderr,
          "usage: keep-probe syscall NAME | i386-mount | i386-getuid32 | tiocsti FD | fds | write PATH |\n"
          "       open-write PATH | read PATH | forkbomb N | alloc MB | zombies | pid |\n"
          "       connect IP PORT | udp-from SRC IP PORT | udp-listen PORT | netifs | kill PID SIG | exit N "
          "| sleep S\n");
  return 2;
}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2)
    return usage();
  const char *c = argv[1];
  if (!strcmp(c, "syscall") && argc == 3) {
    char what[128];
    snprintf(what, sizeof(what), "syscall-%s", argv[2]);
    return report(what, raw_syscall(argv[2]));
  }
  if (!strcmp(c, "i386-mount")) /* i386 mount is nr 21; getpid is 20 */
    return report("i386-mount", i386_syscall(21, (long) "none", (long) "/tmp", (long) "tmpfs"));
  if (!strcmp(c, "i386-getpid"))
    return report("i386-getpid", i386_syscall(20, 0, 0, 0));
  if (!strcmp(c, "i386-getuid32")) /* a call only the i386 ABI has (nr 199) */
    return report("i386-getuid32", i386_syscall(199, 0, 0, 0));
  if (!strcmp(c, "tiocsti") && argc == 3) {
    char ch = 'x';
    return report("tiocsti", ioctl(atoi(argv[2]), TIOCSTI, &ch));
  }
  if (!strcmp(c, "kill") && argc == 4)
    return report("kill", kill(atoi(argv[2]), atoi(argv[3])));
  if (!strcmp(c, "ptrace-pid") && argc == 3)
    return report("ptrace", ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0));
  if (!strcmp(c, "fds"))
    return cmd_fds();
  if (!strcmp(c, "write") && argc == 3) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return report("write", fd < 0 ? -1 : write(fd, "x", 1));
  }
  if (!strcmp(c, "open-write") && argc == 3)
    return report("open-write", open(argv[2], O_WRONLY | O_CLOEXEC));
  if (!strcmp(c, "read") && argc == 3)
    return report("read", open(argv[2], O_RDONLY | O_CLOEXEC));
  if (!strcmp(c, "forkbomb") && argc == 3)
    return cmd_forkbomb(atoi(argv[2]));
  if (!strcmp(c, "alloc") && argc == 3) {
    size_t n = (size_t) atol(argv[2]) << 20;
    char *p = malloc(n);
    if (p)
      memset(p, 1, n);
    return report("alloc", p ? 0 : -1);
  }
  if (!strcmp(c, "zombies"))
    return cmd_zombies();
  if (!strcmp(c, "pid")) {
    printf("pid %d ppid %d\n", (int) getpid(), (int) getppid());
    return 0;
  }
  if (!strcmp(c, "connect") && argc == 4)
    return cmd_connect(argv[2], atoi(argv[3]));
  if (!strcmp(c, "udp-listen") && argc == 3)
    return cmd_udp_listen(atoi(argv[2]));
  if (!strcmp(c, "udp-from") && argc == 5)
    return cmd_udp_from(argv[2], argv[3], atoi(argv[4]));
  if (!strcmp(c, "netifs"))
    return cmd_netifs();
  if (!strcmp(c, "kill") && argc == 4)
    return report("kill", kill(atoi(argv[2]), atoi(argv[3])));
  if (!strcmp(c, "exit") && argc == 3)
    return atoi(argv[2]);
  if (!strcmp(c, "sleep") && argc == 3) {
    sleep((unsigned) atoi(argv[2]));
    return 0;
  }
  return usage();
}
