#!/usr/bin/env bash
# rootless
# The runtime-escape classes: leaked fds, /proc/self/exe, cwd, terminals.
. "$SRCDIR/tests/lib.sh"
mkroot
mkdir -p "$T/hostdir"; chmod 755 "$T/hostdir"

# CVE-2024-21626: descriptors keep (or its caller) holds never reach the workload.
RC=0
if rootless; then
  timeout 30 setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups --reset-env \
    sh -c 'exec 5<"$1" 7>/dev/null; exec "$2" run --cgroups=off "$3" keep-probe fds' sh "$T/hostdir" "$KEEP" "$ROOTFS" > "$T/out" 2>&1 || RC=$?
else
  ( exec 5<"$T/hostdir" 7>/dev/null; exec timeout 30 "$KEEP" run "$ROOTFS" keep-probe fds ) > "$T/out" 2>&1 || RC=$?
fi
expect "no descriptor above 2 reaches the workload" "^fds 0$"

# CVE-2019-5736: keep runs from a sealed memfd; the container cannot write it.
krun "$ROOTFS" keep-probe open-write /proc/1/exe
expect "/proc/1/exe (keep's init) cannot be opened for writing" "denied"
krun "$ROOTFS" keep-probe ptrace-pid 1
expect "init cannot be ptraced" "^ptrace denied"
krun "$ROOTFS" keep-probe syscall ptrace
expect "ptrace is denied by the seccomp profile" "denied"
krun "$ROOTFS" keep-probe kill 1 0
# EACCES where AppArmor's profile refuses it first.
abi=$("$KEEP" audit host --format json 2>/dev/null | tr -d "\n" | grep -oE '"H\.4"[^}]*"detail": "ABI [0-9]+' | grep -oE '[0-9]+$')
if [ "${abi:-0}" -ge 6 ]; then
  expect "the workload cannot signal keep's init (Landlock scope, AppArmor)" "denied E(PERM|ACCES)"
else
  skip "the workload cannot signal keep's init (Landlock scope)" "Landlock ABI ${abi:-none} has no signal scope (Linux 6.12); keep audit host says so"
fi
if ! rootless; then
  krun --network host "$ROOTFS" true
  if [ "${abi:-0}" -ge 6 ]; then
    expect_not "--network host: no warning where Landlock scopes abstract unix sockets" "cannot scope"
  else
    expect "--network host, Landlock ABI ${abi:-none}: says abstract unix sockets are not scoped" "warning: .*cannot scope abstract unix sockets"
  fi
fi
# On every kernel: SIGKILL from inside the pid namespace to its init is
# ignored, so the workload cannot take keep's init down with it.
krun "$ROOTFS" sh -c 'keep-probe kill 1 9; sleep 0.3; echo init-alive'
expect "SIGKILL to keep's init from the workload: ignored" "^init-alive$"

krun -w /tmp "$ROOTFS" pwd
expect "-w sets the working directory" "^/tmp$"
krun -w /nonexistent "$ROOTFS" pwd
expect_code "-w to a missing directory: 125" 125
expect "-w names the directory" "working directory"

# CVE-2019-16884 class: a mount covering /proc would take the masks meant
# for procfs; refused, as runc refuses mounts over /proc.
krun -v "$T/hostdir:/proc" "$ROOTFS" true
expect_code "a volume over /proc: refused with 125" 125
expect "a volume over /proc: says another mount covers it" "/proc. is not the proc mounted there"

# CVE-2017-5226: TIOCSTI into the caller's terminal.
if command -v script >/dev/null; then
  if rootless; then cmd="setpriv --reuid=$KEEP_AS --regid=$KEEP_AS --init-groups --reset-env $KEEP run --cgroups=off"; else cmd="$KEEP run"; fi
  timeout 30 script -qec "$cmd $ROOTFS keep-probe tiocsti 2" /dev/null > "$T/out" 2>&1
  expect "TIOCSTI on the caller's terminal denied" "tiocsti denied (EPERM|EACCES)"
  timeout 30 script -qec "$cmd -t $ROOTFS readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2" /dev/null > "$T/out" 2>&1
  expect_not "with -t the workload holds only the container's own pty" "^/dev/pts/[1-9]|^/dev/tty"
else
  skip "TIOCSTI" "script(1) not installed"
fi
done_testing
