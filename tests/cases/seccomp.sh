#!/usr/bin/env bash
# rootless
# The default filter: EPERM for what it denies, ENOSYS for what it does not know.
. "$SRCDIR/tests/lib.sh"
mkroot

krun "$ROOTFS" grep Seccomp: /proc/self/status
expect "filter installed" "Seccomp:\s+2"
for s in mount umount unshare-user unshare-mount clone-newuser keyctl add_key bpf perf_event_open ptrace setns \
         pivot_root chroot open_by_handle_at kexec_load init_module reboot userfaultfd io_uring_setup \
         personality socket-vsock; do
  krun "$ROOTFS" keep-probe syscall $s
  expect "$s denied with EPERM" "denied EPERM"
done
krun "$ROOTFS" keep-probe syscall clone3
expect "clone3 gives ENOSYS (libc falls back to clone)" "denied ENOSYS"
krun "$ROOTFS" keep-probe syscall nr999
expect "unknown syscall gives ENOSYS" "denied ENOSYS"
krun "$ROOTFS" keep-probe syscall getpid
expect "ordinary syscalls work" "ok"
krun "$ROOTFS" keep-probe i386-getpid
if [ "$RC" -eq 139 ]; then skip "i386 entry point filtered too" "this kernel has no IA32 emulation"
else krun "$ROOTFS" keep-probe i386-mount; expect "i386 entry point filtered too" "denied EPERM"; fi

krun --security-opt seccomp=unconfined "$ROOTFS" grep Seccomp: /proc/self/status
expect "seccomp=unconfined: no filter" "Seccomp:\s+0"
cat > "$T/profile.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
J
chmod 644 "$T/profile.json"
krun --security-opt seccomp="$T/profile.json" "$ROOTFS" keep-probe syscall getcwd
expect "custom JSON profile applied" "denied EACCES"

# errnoRet is an integer 1-4095, or the profile is refused naming the field:
# 65536 and 2^40 once became errno 0 (the call "succeeded" without running),
# a string or a real number silently became EPERM.
for e in 65536 1099511627776 -1 0 4096 '"13"' 13.5; do
  printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}, {"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": %s}]}\n' "$e" > "$T/errno.json"
  chmod 644 "$T/errno.json"
  krun --security-opt seccomp="$T/errno.json" "$ROOTFS" keep-probe syscall getcwd
  expect_code "errnoRet $e: refused with 125" 125
  expect "errnoRet $e: names the file and the field" "errno.json.: syscalls\[1\]\.errnoRet: "
  one_line_error "errnoRet $e: one line"
done
sed 's/"errnoRet": 13/"errnoRet": 4095/' "$T/profile.json" > "$T/errno.json"
krun --security-opt seccomp="$T/errno.json" "$ROOTFS" keep-probe syscall getcwd
expect "errnoRet 4095 (the kernel's highest): the call fails with it" "denied E4095"
"$KEEP" seccomp default | sed 's/"defaultErrnoRet": 1,/"defaultErrnoRet": 13,/' > "$T/errno.json"
krun --security-opt seccomp="$T/errno.json" "$ROOTFS" keep-probe syscall mount
expect "defaultErrnoRet is what a denied call fails with" "denied EACCES"

# A FIFO as the profile: refused at once, not waited on (the old loader
# blocked keep for good).  SIGKILL: a blocked keep may not answer SIGTERM.
mkfifo "$T/fifo.json"; chmod 644 "$T/fifo.json"
timeout() { command timeout -s KILL "$@"; }
krun --security-opt seccomp="$T/fifo.json" "$ROOTFS" true
unset -f timeout
expect_code "a FIFO as the profile: 125, not a hang" 125
expect "a FIFO as the profile: names the path, not a regular file" "fifo.json. is not a regular file"
one_line_error "a FIFO as the profile: one line"

echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [' > "$T/bad.json"; chmod 644 "$T/bad.json"
krun --security-opt seccomp="$T/bad.json" "$ROOTFS" true
expect_code "malformed profile: 125" 125
expect "malformed profile: names the file and position" "bad.json.*line"
echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names":["getpid"],"action":"SCMP_ACT_FOO"}]}' > "$T/bad2.json"; chmod 644 "$T/bad2.json"
krun --security-opt seccomp="$T/bad2.json" "$ROOTFS" true
expect "unknown action names the field" "syscalls\[0\]\.action: unknown action .SCMP_ACT_FOO."
"$KEEP" seccomp default > "$T/default.json"; chmod 644 "$T/default.json"
krun --security-opt seccomp="$T/default.json" "$ROOTFS" keep-probe syscall mount
expect "the printed default profile round-trips" "denied EPERM"
done_testing
