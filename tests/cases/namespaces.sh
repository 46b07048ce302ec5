#!/usr/bin/env bash
# rootless
# Every namespace is new; container root is an unprivileged host uid.
. "$SRCDIR/tests/lib.sh"
mkroot

for ns in user pid mnt net ipc uts cgroup; do
  host=$(readlink /proc/self/ns/$ns)
  krun "$ROOTFS" readlink /proc/self/ns/$ns
  if [ "$RC" -eq 0 ] && [ "$(cat "$T/out")" != "$host" ]; then ok "new $ns namespace"; else fail "new $ns namespace ($(cat "$T/out") vs $host)"; fi
done

krun "$ROOTFS" cat /proc/self/uid_map
if rootless; then
  expect "rootless: container root is the caller, others from /etc/subuid" "^ +0 +$(id -u "$KEEP_AS") +1"
  expect "rootless: subordinate range mapped" "^ +1 +200000 +65535"
  RC=0; out=$(timeout 30 setpriv --reuid=keeptest-nosub --regid=keeptest-nosub --init-groups --reset-env \
    "$KEEP" run --cgroups=off "$ROOTFS" cat /proc/self/uid_map 2>&1) || RC=$?
  echo "$out" > "$T/out"
  expect "no subuid range: single-uid map" "^ +0 +$(id -u keeptest-nosub) +1$"
  expect "no subuid range: one clear message" "no subordinate id range for .keeptest-nosub."
else
  expect "root maps to an unprivileged host range" "^ +0 +1000000000 +65536$"
fi

krun "$ROOTFS" id -u
expect "uid 0 inside" "^0$"
krun --hostname box1 "$ROOTFS" hostname
expect "own hostname" "^box1$"
krun "$ROOTFS" hostname
expect "default hostname is 12 hex chars of the id" "^[0-9a-f]{12}$"
krun "$ROOTFS" sh -c 'ps -o pid,comm | wc -l'
expect "only the container's processes are visible" "^ *[3-5]$"
done_testing
