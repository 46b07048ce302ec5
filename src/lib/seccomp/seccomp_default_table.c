/* keep's default seccomp profile: an allowlist at least as strict as
 * Docker's default (moby profiles/seccomp/default.json).  Not allowed, among
 * others: mount and the new mount API, unshare/setns and clone with
 * namespace flags (nested user namespaces), keyctl/add_key/request_key
 * (kernel keyrings are not namespaced), bpf, perf_event_open, ptrace,
 * io_uring, userfaultfd, kexec and module loading, open_by_handle_at
 * (the "shocker" escape), reboot, swapon, acct. */
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include "seccomp_internal.h"
#include "util.h"

static const char *const allowed =
    "accept accept4 access adjtimex alarm arch_prctl bind brk capget capset chdir chmod chown chown32 "
    "clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 "
    "clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 "
    "dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait "
    "epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 "
    "fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat "
    "fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 "
    "fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv "
    "futex_wake futex_wait futex_requeue futimesat getcpu getcwd getdents getdents64 getegid "
    "getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid "
    "getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 "
    "getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid "
    "gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 "
    "inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 "
    "ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset "
    "landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr "
    "_llseek lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier "
    "memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 "
    "modify_ldt mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 "
    "mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock "
    "munlockall munmap nanosleep newfstatat _newselect open openat openat2 pause pidfd_open "
    "pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl "
    "pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev "
    "pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 "
    "recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq "
    "rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend "
    "rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr "
    "sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler "
    "sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr "
    "sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
    "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid "
    "setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid "
    "setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit "
    "set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr "
    "shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn "
    "socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync "
    "sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun "
    "timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime "
    "timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit "
    "umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 "
    "waitid waitpid write writev";

/* What an added capability allows, as in Docker's profile. */
static const struct {
  int cap;
  const char *names;
} cap_allowed[] = {
    {CAP_SYS_ADMIN, "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
                    "mount mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd "
                    "setdomainname sethostname setns syslog umount umount2 unshare"},
    {CAP_SYS_BOOT, "reboot"},
    {CAP_SYS_CHROOT, "chroot"},
    {CAP_SYS_MODULE, "delete_module init_module finit_module"},
    {CAP_SYS_PACCT, "acct"},
    {CAP_SYS_PTRACE, "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"},
    {CAP_SYS_RAWIO, "iopl ioperm"},
    {CAP_SYS_TIME, "settimeofday stime clock_settime clock_settime64"},
    {CAP_SYS_TTY_CONFIG, "vhangup"},
    {CAP_SYS_NICE, "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"},
    {CAP_SYSLOG, "syslog"},
    {CAP_BPF, "bpf"},
    {CAP_PERFMON, "perf_event_open"},
    {CAP_DAC_READ_SEARCH, "open_by_handle_at"},
};

#define NS_FLAGS                                                                                             \
  (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

uint64_t sc_widening_caps(void)
{
  uint64_t m = 0;
  for (size_t i = 0; i < ARRAY_SIZE(cap_allowed); i++)
    m |= 1ULL << cap_allowed[i].cap;
  return m;
}

void sc_default_profile(uint64_t cap_add, struct sc_profile *p)
{
  *p = (struct sc_profile){.default_action = SCMP_ACT_ERRNO(1)}; /* EPERM */
  sc_profile_add(p, allowed, SCMP_ACT_ALLOW, NULL, 0);
  bool sys_admin = cap_add & (1ULL << CAP_SYS_ADMIN);
  for (size_t i = 0; i < ARRAY_SIZE(cap_allowed); i++)
    if (cap_add & (1ULL << cap_allowed[i].cap))
      sc_profile_add(p, cap_allowed[i].names, SCMP_ACT_ALLOW, NULL, 0);

  if (!sys_admin) {
    /* clone without namespace flags only; clone3 cannot be filtered by
     * flags (they are in memory), so it reports ENOSYS and libc falls back
     * to clone. */
    struct sc_arg no_ns = {.index = 0, .op = SCMP_CMP_MASKED_EQ, .value = NS_FLAGS, .value_two = 0};
    sc_profile_add(p, "clone", SCMP_ACT_ALLOW, &no_ns, 1);
    sc_profile_add(p, "clone3", SCMP_ACT_ERRNO(38), NULL, 0);
  }
  /* personality: only the harmless personas (as Docker). */
  static const uint64_t personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
  for (size_t i = 0; i < ARRAY_SIZE(personas); i++) {
    struct sc_arg a = {.index = 0, .op = SCMP_CMP_EQ, .value = personas[i]};
    sc_profile_add(p, "personality", SCMP_ACT_ALLOW, &a, 1);
  }
  /* socket: every family but AF_VSOCK (a channel to the hypervisor). */
  struct sc_arg not_vsock = {.index = 0, .op = SCMP_CMP_NE, .value = AF_VSOCK};
  sc_profile_add(p, "socket", SCMP_ACT_ALLOW, &not_vsock, 1);
  /* ioctl stays open as in Docker's profile.  TIOCSTI into the caller's
   * terminal (CVE-2017-5226) is stopped by the new session keep gives the
   * workload: the kernel refuses TIOCSTI on a terminal that is not the
   * caller's controlling tty.  A seccomp rule on the command cannot be
   * made exact here: libseccomp lets an unconditional allow win over a
   * masked per-command rule. */
  sc_profile_add(p, "ioctl", SCMP_ACT_ALLOW, NULL, 0);
}
