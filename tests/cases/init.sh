#!/usr/bin/env bash
# rootless
# PID 1 is keep's init: exit codes pass through, signals are forwarded, zombies reaped.
. "$SRCDIR/tests/lib.sh"
mkroot

krun "$ROOTFS" keep-probe pid
expect "workload is not PID 1 (keep's init is)" "^pid 2 ppid 1$"
for code in 0 1 42; do
  krun "$ROOTFS" keep-probe exit $code
  expect_code "exit code $code passed through" $code
done
krun "$ROOTFS" /nonexistent
expect_code "missing command: 127" 127
expect "missing command: message names it" "^keep: exec ./nonexistent."
krun "$ROOTFS" /etc
expect_code "not executable: 126" 126
krun "$ROOTFS" sh -c 'kill -KILL $$'
expect_code "killed by SIGKILL: 137" 137
krun "$ROOTFS" keep-probe zombies
expect "orphaned zombies are reaped" "^zombies 0$"

# SIGTERM to keep reaches the workload: 128+15.
if rootless; then
  timeout 30 setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups --reset-env "$KEEP" run --cgroups=off "$ROOTFS" sleep 20 >/dev/null 2>&1 &
else
  timeout 30 "$KEEP" run "$ROOTFS" sleep 20 >/dev/null 2>&1 &
fi
bg=$!
sleep 1
kill -TERM "$(pgrep -x keep -P "$bg")"
wait "$bg"; RC=$?
expect_code "SIGTERM forwarded, exit 143" 143
# PID 1 is a fork of keep: it must not show the host's paths or environment.
KEEP_SECRET_HOST_VAR=leak krun "$ROOTFS" sh -c 'tr "\0" " " < /proc/1/cmdline; echo; cat /proc/1/environ'
expect "PID 1 shows itself as keep-init" "^keep-init *$"
expect_not "PID 1's command line has no host path" "$ROOTFS"
expect_not "PID 1's environment is unreadable" "KEEP_SECRET_HOST_VAR"
# Once the workload runs, PID 1 is keep-pid1: a small static program from a
# sealed copy (where the build has it), with CAP_KILL alone, not dumpable.
if [ -x "$(dirname "$KEEP")/keep-pid1" ]; then
  # (PID 1 becomes it just after the workload starts: give it a moment.)
  krun "$ROOTFS" sh -c 'sleep 0.3; grep -E "^(Name|CapEff|VmRSS)" /proc/1/status'
  expect "PID 1 is keep-init" "^Name:.keep-init$"
  expect "PID 1 keeps CAP_KILL alone" "^CapEff:.0000000000000020$"
  rss=$(awk '/^VmRSS/{print $2}' "$T/out")
  check "PID 1 is small (${rss} kB resident)" test "${rss:-9999}" -lt 200
  krun "$ROOTFS" keep-probe read /proc/1/exe
  expect "the workload cannot open PID 1's program" "read denied"
  krun "$ROOTFS" keep-probe read /proc/1/mem
  expect "the workload cannot read PID 1's memory" "read denied"
else
  skip "PID 1 is keep-pid1" "built without musl-gcc (apt-get install musl-tools)"
fi
done_testing
