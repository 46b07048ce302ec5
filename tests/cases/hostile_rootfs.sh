#!/usr/bin/env bash
# rootless
# A root filesystem that plants symlinks must never make keep mount or write
# on the host (CVE-2021-30465, CVE-2025-31133 class).
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/outside"; echo untouched > "$T/outside/marker"; chmod -R a+rX "$T/outside"
mounts_before=$(wc -l < /proc/self/mountinfo)

for d in proc dev sys tmp run; do
  rm -rf "$T/evil"; mkroot "$T/evil"
  rm -rf "$T/evil/$d"; ln -s "$T/outside" "$T/evil/$d"
  krun "$T/evil" true
  expect_code "/$d symlinked out: refused with 125" 125
  expect "/$d symlinked out: says it is a symlink" "/$d. in the root filesystem is or passes through a symlink"
  rm -rf "$T/evil/$d"; ln -s ../../../../../"$T/outside" "$T/evil/$d"
  krun "$T/evil" true
  expect_code "/$d relative symlink up and out: refused" 125
done
if [ "$(ls -A "$T/outside")" = marker ] && [ "$(cat "$T/outside/marker")" = untouched ]; then ok "nothing landed in the outside directory"; else fail "outside directory changed: $(ls -A "$T/outside")"; fi
if [ "$(wc -l < /proc/self/mountinfo)" = "$mounts_before" ]; then ok "no mount appeared on the host"; else fail "host mounts changed"; fi

# A volume target that is a symlink to a host path resolves inside the root.
rm -rf "$T/evil"; mkroot "$T/evil"
mkdir -p "$T/evil/inside" "$T/vol"; echo vol > "$T/vol/f"; chmod -R a+rX "$T/vol"
rm -rf "$T/evil/data"; ln -s /inside "$T/evil/data"
mkdir -p "$T/evil/$T/outside"
rm -rf "$T/evil/srv"; ln -s "$T/outside" "$T/evil/srv"
krun -v "$T/vol:/data" "$T/evil" cat /inside/f
expect "absolute symlink target resolves inside the container" "^vol$"
krun -v "$T/vol:/srv" "$T/evil" cat "$T/outside/f"
# $T is under /tmp, which is the container's own tmpfs: the target does not exist there.
expect_code "volume on a symlink to a host path: resolved inside, refused" 125
if [ ! -e "$T/outside/f" ]; then ok "host directory behind the symlink untouched"; else fail "volume landed on the host"; fi
krun "$T/evil" ls /
expect_not "the host is not visible" "keep-t"
done_testing
