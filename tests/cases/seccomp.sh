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

# krun, but a keep that is still preparing after 30 s gets SIGKILL: it may
# not answer SIGTERM there.
krun_kill() { timeout() { command timeout -s KILL "$@"; }; krun "$@"; unset -f timeout; }

# A FIFO as the profile: refused at once, not waited on (the old loader
# blocked keep for good).
mkfifo "$T/fifo.json"; chmod 644 "$T/fifo.json"
krun_kill --security-opt seccomp="$T/fifo.json" "$ROOTFS" true
expect_code "a FIFO as the profile: 125, not a hang" 125
expect "a FIFO as the profile: names the path, not a regular file" "fifo.json. is a FIFO, not a regular file"
one_line_error "a FIFO as the profile: one line"

# Size: a rule naming one call 100,000 times took minutes (libseccomp
# compares each rule it is given with all it holds); now it is refused by
# its size, and a profile at the bounds starts at once.
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
names=$(printf '"getcwd", %.0s' $(seq 99999))
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [%s"getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}\n' "$names" > "$T/big.json"
start=$(date +%s%N)
krun_kill --security-opt seccomp="$T/big.json" "$ROOTFS" true
ms=$(ms_since "$start")
expect_code "a rule of 100,000 names: 125 (in $ms ms)" 125
expect "a rule of 100,000 names: names the bound" "big.json.: syscalls\[0\]\.names: 100000 names, at most 1024 in a rule"
rule=$(printf '"getcwd", "getppid", "nosuchcall", %.0s' $(seq 341))
rule="{\"names\": [$rule\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}"
rules=$(printf "$rule, %.0s" $(seq 63))
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [%s%s]}\n' "$rules" "$rule" > "$T/big.json"
start=$(date +%s%N)
krun_kill --security-opt seccomp="$T/big.json" "$ROOTFS" keep-probe syscall getcwd
ms=$(ms_since "$start")
expect "64 rules of 1024 names: applied" "denied EACCES"
if [ "$ms" -lt 5000 ]; then ok "64 rules of 1024 names: the container ran in $ms ms"
else fail "64 rules of 1024 names: the container took $ms ms"; fi

# A profile denying execve: keep loads the filter, then execs, so it could
# never start, and it died of SIGSEGV or SIGSYS without a word (write and
# exit_group denied too).  Now: one line, before anything is created.
for d in SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS; do
  printf '{"defaultAction": "%s", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}\n' "$d" > "$T/deny.json"
  krun --security-opt seccomp="$T/deny.json" "$ROOTFS" keep-probe syscall getpid
  expect_code "defaultAction $d, no execve: 125" 125
  expect "defaultAction $d, no execve: says execve is denied" "deny.json.: execve is denied \($d"
  one_line_error "defaultAction $d, no execve: one line"
done

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
