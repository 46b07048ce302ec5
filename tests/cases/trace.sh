#!/usr/bin/env bash
# rootless
# keep trace: a profile learned from one run reruns the workload and denies
# the rest; --merge joins runs; keep run --log-denied names what is denied.
. "$SRCDIR/tests/lib.sh"
mkroot
P=$T/profiles
mkdir -p "$P" && chmod 777 "$P"
# ktrace ARGS...: `keep trace ARGS` as the case's user, like krun.
ktrace() { kas "$KEEP" trace "${rootless_run_flags[@]}" "$@"; }

ktrace -o "$P/ls.json" "$ROOTFS" /bin/ls /etc
expect_code "trace ls: the workload's exit status" 0
expect "trace ls: the workload ran" "passwd"
expect "trace ls: says how many calls it allows" "ls.json: [0-9]+ system calls allowed"
check "the profile is Docker format: default EPERM, keep's architectures, clone3 ENOSYS" python3 - "$P/ls.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 1, p
assert p["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], p
allowed = {n for r in p["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]}
assert {"execve", "getdents64", "write", "exit_group"} <= allowed, allowed
assert not {"mkdir", "mkdirat", "mount", "socket"} & allowed, allowed
assert any(r["names"] == ["clone3"] and r["errnoRet"] == 38 for r in p["syscalls"]), p
PY
krun --security-opt seccomp="$P/ls.json" "$ROOTFS" /bin/ls /etc
expect_code "ls reruns under its profile" 0
expect "ls reruns under its profile: same output" "passwd"
krun --security-opt seccomp="$P/ls.json" "$ROOTFS" /bin/mkdir /tmp/d
expect_code "mkdir under ls's profile: fails" 1
expect "mkdir under ls's profile: EPERM" "Operation not permitted"
krun --log-denied --security-opt seccomp="$P/ls.json" "$ROOTFS" /bin/mkdir /tmp/d
expect "--log-denied: one line naming the call, its ABI and the process" \
  "^keep: seccomp denied mkdir \(x86_64\) to pid [0-9]+ .mkdir. in the container: EPERM"
krun --log-denied "$ROOTFS" keep-probe syscall getpid
expect_not "--log-denied: nothing to say when nothing is denied" "seccomp denied"
krun --log-denied --security-opt seccomp=unconfined "$ROOTFS" true
expect_code "--log-denied with seccomp=unconfined: refused" 125
one_line_error "--log-denied with seccomp=unconfined: one line"

# Tracing never widens the profile it runs under: what keep's default
# denies is denied while tracing, and not learned.
ktrace -o "$P/mount.json" "$ROOTFS" keep-probe syscall mount
expect "while tracing, mount is denied as by keep's default" "denied EPERM"
check "a denied call is not learned" bash -c "! grep -q '\"mount\"' '$P/mount.json'"
ktrace -o "$P/clone.json" "$ROOTFS" keep-probe syscall clone-newuser
expect "while tracing, clone with CLONE_NEWUSER is denied" "denied EPERM"

# A shell script using several applets, a pipe and a background job.
script='for f in /etc/passwd /etc/group; do wc -l $f; done | sort | head -1; mkdir -p /tmp/w && echo x > /tmp/w/f && cat /tmp/w/f; sleep 0.1 & wait; id -u'
ktrace -o "$P/sh.json" "$ROOTFS" /bin/sh -c "$script"
expect_code "trace a shell script: its status" 0
cp "$T/out" "$T/traced"
check "clone is narrowed to the flags seen" python3 - "$P/sh.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
clone = [r for r in p["syscalls"] if r["names"] == ["clone"]]
assert clone and all(r["args"][0]["op"] == "SCMP_CMP_EQ" and r["args"][0]["value"] & 0x10000000 == 0 for r in clone), clone
PY
krun --security-opt seccomp="$P/sh.json" "$ROOTFS" /bin/sh -c "$script"
expect_code "the shell script reruns under its profile" 0
cp "$T/out" "$T/rerun"
check "the shell script reruns: same output" diff <(grep -v '^keep' "$T/traced") "$T/rerun"

# A program that opens a socket: the family seen, and no other.
ktrace -o "$P/sock.json" "$ROOTFS" keep-probe connect 127.0.0.1 9
expect "trace a socket: it ran" "connect denied ECONNREFUSED"
krun --security-opt seccomp="$P/sock.json" "$ROOTFS" keep-probe connect 127.0.0.1 9
expect "the socket program reruns under its profile" "connect denied ECONNREFUSED"
krun --security-opt seccomp="$P/sock.json" "$ROOTFS" keep-probe syscall socket-unix
expect "socket of another family (AF_UNIX): EPERM" "denied EPERM"

# --merge: a second run's calls join the first's.
ktrace -o "$P/merged.json" --merge "$P/ls.json" "$ROOTFS" /bin/mkdir -p /tmp/d
expect "trace with --merge: the union is counted" "merged.json: [0-9]+ system calls allowed"
krun --security-opt seccomp="$P/merged.json" "$ROOTFS" /bin/mkdir -p /tmp/d
expect_code "merged: the second workload runs" 0
krun --security-opt seccomp="$P/merged.json" "$ROOTFS" /bin/ls /etc
expect "merged: the first workload still runs" "passwd"
ktrace -o "$P/ls.json" --merge "$P/ls.json" "$ROOTFS" /bin/ls /etc
expect_code "--merge into the output itself" 0

# The status of the workload is keep trace's, and the profile is written.
ktrace -o "$P/exit.json" "$ROOTFS" /bin/sh -c 'exit 3'
expect_code "trace: the workload's exit status" 3
check "trace: the profile of a failing workload is written" test -s "$P/exit.json"

# An i386 binary's calls are learned by their i386 names.
krun "$ROOTFS" keep-probe i386-getpid
if [ "$RC" -eq 139 ]; then
  skip "i386 calls learned by their own names" "this kernel has no IA32 emulation"
else
  ktrace -o "$P/i386.json" "$ROOTFS" keep-probe i386-getuid32
  check "i386 calls learned by their own names" grep -q '"getuid32"' "$P/i386.json"
  krun --security-opt seccomp="$P/i386.json" "$ROOTFS" keep-probe i386-getuid32
  expect "the i386 workload reruns under its profile" "i386-getuid32 ok"
fi

# --landlock-out: the paths read, written and executed as a few directory
# rules; under them the workload writes where it wrote and nowhere else,
# even where keep's own rules would let it (/run).
work='mkdir -p /tmp/w && echo x > /tmp/w/f && cat /tmp/w/f /etc/passwd > /dev/null && ls /usr/bin > /dev/null && echo done'
ktrace -o "$P/w.json" --landlock-out "$P/w.rules" "$ROOTFS" /bin/sh -c "$work"
expect "trace with --landlock-out: the workload ran" "^done"
check "the rules: a write rule where it wrote, reads of the two-level directories" \
  bash -c "grep -qx 'write /tmp' '$P/w.rules' && grep -qx 'read /etc' '$P/w.rules' && grep -qx 'exec /bin' '$P/w.rules'"
check "the rules: no write elsewhere" bash -c "! grep -v -e '^#' -e '^write /tmp\$' -e '^write /dev\$' '$P/w.rules' | grep -q '^write'"
krun --security-opt landlock="$P/w.rules" --security-opt seccomp="$P/w.json" "$ROOTFS" /bin/sh -c "$work"
expect_code "the workload reruns under its Landlock rules and profile" 0
expect "the workload reruns: it wrote and read" "^done"
krun --security-opt landlock="$P/w.rules" "$ROOTFS" /bin/sh -c 'echo y > /run/x'
expect "a write to /run (keep's rules allow it): denied by the learned rules" "can't create /run/x: Permission denied"
krun --security-opt landlock="$P/w.rules" "$ROOTFS" /bin/ls /var
expect "a read outside the learned directories: denied" "/var.*Permission denied"
krun "$ROOTFS" /bin/sh -c 'echo y > /run/x && echo wrote'
expect "without them, keep's own rules let /run be written" "^wrote"
echo 'remove /etc' > "$P/bad.rules"
krun --security-opt landlock="$P/bad.rules" "$ROOTFS" true
expect_code "a bad rules file: 125" 125
expect "a bad rules file: names the file and the line" "landlock rules .*bad.rules.: line 1: expected read, write or exec"
one_line_error "a bad rules file: one line"

# Bad input: one line, 125, no profile.
ktrace "$ROOTFS" /bin/true
expect_code "no -o: 125" 125
one_line_error "no -o: one line"
ktrace -o "$P/x.json" --apparmor-out "$P/aa" "$ROOTFS" /bin/true
expect_code "--apparmor-out without AppArmor: 125" 125
expect "--apparmor-out: says why" "AppArmor is not enabled on this host"
one_line_error "--apparmor-out: one line"
echo '{"defaultAction": 1}' > "$P/bad.json"
ktrace -o "$P/x.json" --merge "$P/bad.json" "$ROOTFS" /bin/true
expect_code "--merge of a bad profile: 125" 125
expect "--merge of a bad profile: names it" "bad.json"
one_line_error "--merge of a bad profile: one line"
ktrace -o "$P/x.json" "$T/no-such-root" /bin/true
expect_code "a root that does not exist: 125" 125
one_line_error "a root that does not exist: one line"
check "nothing written when keep failed" test ! -e "$P/x.json"
done_testing
