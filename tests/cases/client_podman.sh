#!/usr/bin/env bash
# Podman drives keep (`podman --runtime keep`): run, exit codes, exec, a tty
# session, pause, kill, rm, and nothing left behind.  Storage in $T only.
. "$SRCDIR/tests/lib.sh"
need_client podman podman
[ "$(id -u)" -eq 0 ] || skip_all "these podman tests run rootful"
command -v python3 >/dev/null || skip_all "python3 is needed to build the test image"
command -v script >/dev/null || skip_all "script (bsdextrautils) is needed for the tty test"

S=$T/podman
mkdir -p "$S"
# This host's root lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set.
LIM=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
p() {
  timeout 60 podman --root "$S/root" --runroot "$S/runroot" --tmpdir "$S/tmp" --runtime "$KEEP" \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
  p rm -af >/dev/null 2>&1
  p system reset -f >/dev/null 2>&1 || true
  grep " $S" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  # podman gives keep no --root: keep's default state root, empty by now.
  rmdir /run/keep/oci 2>/dev/null || true
  [ -z "${loopdev:-}" ] || losetup -d "$loopdev" 2>/dev/null
  loopdev=
}
trap cleanup EXIT

"$SRCDIR/tools/mkrootfs.sh" "$T/rootfs" --probe "$PROBE" >/dev/null
python3 "$SRCDIR/tools/mkimage.py" "$T/rootfs" "$T/image.tar" keep.test/busybox:latest
p load -i "$T/image.tar" > "$T/out" 2>&1
expect "image loaded" "keep.test/busybox"
IMG=keep.test/busybox:latest

RC=0; p run --rm --network none "${LIM[@]}" "$IMG" sh -c 'echo via-keep; exit 6' > "$T/out" 2>&1 || RC=$?
expect_code "podman run through keep: the exit status" 6
expect "podman run: the process ran" "^via-keep"
RC=0; p run --rm --network none "${LIM[@]}" "$IMG" sh -c 'echo pid=$$; grep -E "^Seccomp:" /proc/self/status' > "$T/out" 2>&1 || RC=$?
expect "podman run: pid 1 of its own pid namespace" "^pid=1$"
expect "podman run: podman's seccomp profile applied by keep" "^Seccomp:[[:space:]]+2"
RC=0; p run --rm --network none "${LIM[@]}" "$IMG" /nonexistent > "$T/out" 2>&1 || RC=$?
[ "$RC" -ne 0 ] && ok "podman run of a missing command fails ($RC)" || fail "missing command succeeded"

client_detached p --network none "${LIM[@]}"
p kill k1 > "$T/out" 2>&1 && ok "kill" || fail "kill: $(cat "$T/out")"
p rm -f k1 > "$T/out" 2>&1 && ok "rm" || fail "rm: $(cat "$T/out")"

# A terminal session: the pty comes through the console socket from conmon.
RC=0
timeout 60 script -qec "podman --root $S/root --runroot $S/runroot --tmpdir $S/tmp --runtime $KEEP --cgroup-manager cgroupfs --events-backend file run --rm -t --network none ${LIM[*]} $IMG sh -c 'tty; exit 5'" /dev/null \
  < /dev/null > "$T/out" 2>&1 || RC=$?
expect_code "run -t: exit status through the tty" 5
expect "run -t: the process has a terminal" "/dev/pts/0"

# cgroup v2 (the test VM, tests/vm): Docker's resource flags and podman's
# --cgroup-conf reach the container's cgroup through keep's OCI blockIO and
# unified, read back on the host from the cgroup of the container's pid.
loopdev=
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  cgfile() { # NAME FILE: a cgroup file of a running container
    local pid cg
    pid=$(p inspect -f '{{.State.Pid}}' "$1") && cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup") &&
      cat "/sys/fs/cgroup$cg/$2"
  }
  # The VM has no disk to throttle: a loop device of the case's own.
  /run/keep-vm-bin/modprobe loop 2>/dev/null || modprobe loop 2>/dev/null
  truncate -s 16M "$T/disk.img"
  loopdev=$(losetup -f --show "$T/disk.img" 2>/dev/null) || loopdev=
  if [ -n "$loopdev" ]; then
    dev=$(cat "/sys/block/${loopdev#/dev/}/dev")
    RC=0; p run -d --name r1 --network none "${LIM[@]}" --device-read-bps "$loopdev:1mb" \
      --cgroup-conf memory.high=209715200 "$IMG" sleep 60 > "$T/out" 2>&1 || RC=$?
    expect_code "run --device-read-bps --cgroup-conf" 0
    cgfile r1 io.max > "$T/out" 2>&1
    expect "--device-read-bps: io.max of the container's cgroup" "^$dev rbps=1048576 "
    cgfile r1 memory.high > "$T/out" 2>&1
    expect "--cgroup-conf memory.high: a unified key written" "^209715200$"
    weight=$(cgfile r1 io.bfq.weight 2>/dev/null || cgfile r1 io.weight 2>/dev/null) || weight=
    p rm -f r1 > "$T/out" 2>&1 && ok "rm r1" || fail "rm r1: $(cat "$T/out")"
  else
    skip "--device-read-bps" "no loop device"
  fi
  if [ -n "${weight:-}" ]; then
    RC=0; p run -d --name r2 --network none "${LIM[@]}" --blkio-weight 500 "$IMG" sleep 60 > "$T/out" 2>&1 || RC=$?
    expect_code "run --blkio-weight" 0
    # BFQ takes the blkio scale; io.weight 1..10000 (500 -> 4950).
    { cgfile r2 io.bfq.weight || cgfile r2 io.weight; } > "$T/out" 2>&1
    expect "--blkio-weight: the container's io weight" "^default (500|4950)$"
    p rm -f r2 > "$T/out" 2>&1 && ok "rm r2" || fail "rm r2: $(cat "$T/out")"
  else
    RC=0; p run --rm --network none "${LIM[@]}" --blkio-weight 500 "$IMG" true > "$T/out" 2>&1 || RC=$?
    [ "$RC" -ne 0 ] && ok "--blkio-weight with no io weight file refused ($RC)" || fail "--blkio-weight accepted"
    expect "--blkio-weight: refused by name" "blockIO.weight"
  fi
fi

p ps -a -q > "$T/out" 2>&1
check "no podman container left" test ! -s "$T/out"
# (libpod_parent/conmon is podman's own, kept across containers.)
check "no container cgroup left" test -z "$(ls -d /sys/fs/cgroup/pids/libpod_parent/libpod-*/ /sys/fs/cgroup/libpod_parent/libpod-*/ 2>/dev/null)"
cleanup
trap - EXIT
done_testing
