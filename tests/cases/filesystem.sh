#!/usr/bin/env bash
# rootless
# Read-only root, tmpfs /tmp and /run, a fresh minimal /dev, masked /proc and /sys.
. "$SRCDIR/tests/lib.sh"
mkroot
before=$(find "$ROOTFS" -newer "$ROOTFS/etc/passwd" | wc -l)

krun "$ROOTFS" keep-probe write /etc/evil
expect "root filesystem is read-only" "^write denied EROFS$"
krun "$ROOTFS" sh -c 'keep-probe write /tmp/x; keep-probe write /run/x'
expect "/tmp and /run are writable" "^write ok$"
krun "$ROOTFS" sh -c 'grep -E " /(tmp|run) " /proc/self/mountinfo'
expect "/tmp and /run are tmpfs nosuid,nodev" "nosuid,nodev.*tmpfs"
krun "$ROOTFS" ls /dev
if [ "$(tr '\n' ' ' < "$T/out")" = "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " ]; then ok "/dev has only the safe nodes"; else fail "/dev contents: $(tr '\n' ' ' < "$T/out")"; fi
krun "$ROOTFS" keep-probe syscall mknod
expect "mknod is denied" "denied"
krun "$ROOTFS" sh -c 'keep-probe write /dev/evil'
expect "nothing can be created in /dev" "denied (EROFS|EACCES)"
krun "$ROOTFS" sh -c 'cat /proc/keys /proc/timer_list /proc/sched_debug 2>/dev/null | wc -c'
expect "masked /proc files read empty" "^0$"
krun "$ROOTFS" keep-probe write /proc/sys/kernel/hostname
expect "/proc/sys is read-only" "denied (EROFS|EACCES)"
if [ -e /proc/sysrq-trigger ]; then
  krun "$ROOTFS" keep-probe write /proc/sysrq-trigger
  expect "/proc/sysrq-trigger is read-only" "denied (EROFS|EACCES)"
else
  skip "/proc/sysrq-trigger is read-only" "this kernel has no sysrq"
fi
krun "$ROOTFS" sh -c 'ls -A /sys/firmware | wc -l; keep-probe write /sys/kernel/uevent_helper'
expect "/sys/firmware is masked" "^0$"
expect "/sys is read-only" "denied (EROFS|EACCES)"
krun "$ROOTFS" keep-probe write /sys/fs/cgroup/x
expect "/sys/fs/cgroup is read-only" "denied (EROFS|EACCES)"

mkdir -p "$T/vol"; echo data > "$T/vol/f"; chmod -R a+rwX "$T/vol"
krun -v "$T/vol:/data" "$ROOTFS" sh -c 'cat /data/f; keep-probe write /data/f'
expect "volume readable" "^data$"
expect "volume read-only by default" "^write denied EROFS$"
krun -v "$T/vol:/data:rw" "$ROOTFS" keep-probe write /data/f
expect "volume :rw is writable" "^write ok$"
krun -v "$T/vol:/data:ro" "$ROOTFS" sh -c 'grep " /data " /proc/self/mountinfo'
expect "volumes are nosuid,nodev" "nosuid,nodev"
krun --tmpfs /srv "$ROOTFS" sh -c 'keep-probe write /srv/x'
expect "--tmpfs is writable" "^write ok$"
krun -v "$T/nonexistent:/data" "$ROOTFS" true
expect_code "missing volume source: 125" 125
one_line_error "missing volume source: one line naming it"
krun -v "$T/vol:/nonexistent" "$ROOTFS" sh -c 'test -d /nonexistent && echo target-supplied'
if [ "$(printf '%s\n' "$(uname -r)" 6.15 | sort -V | head -n1)" = 6.15 ]; then
  expect_code "a volume target the root lacks: supplied by keep's own layer" 0
  expect "the volume is mounted there" "^target-supplied$"
else
  # overlayfs before 6.15 stacks no detached mount: refused, and said.
  expect_code "a volume target the root lacks, kernel before 6.15: refused" 125
  expect "a volume target the root lacks, kernel before 6.15: says why" "before Linux 6.15 stacks no detached mount"
fi
check "the root filesystem was not modified for it" test ! -e "$ROOTFS/nonexistent"
krun --read-write "$ROOTFS" sh -c 'awk '\''$5 == "/" {print "root:", $6}'\'' /proc/self/mountinfo'
expect "--read-write makes the root writable" "^root: rw,"
after=$(find "$ROOTFS" -newer "$ROOTFS/etc/passwd" | wc -l)
if [ "$before" = "$after" ] && [ ! -e "$ROOTFS/etc/evil" ]; then ok "host root directory never modified"; else fail "root directory modified"; fi
done_testing
