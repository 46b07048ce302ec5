#!/usr/bin/env bash
# Docker drives keep (`docker run --runtime keep`): run, exit codes, exec,
# a tty session, pause, kill, rm, and nothing left behind.  dockerd runs in
# a network namespace of its own, so the host's network is never touched.
. "$SRCDIR/tests/lib.sh"
need_client dockerd docker.io
[ "$(id -u)" -eq 0 ] || skip_all "dockerd needs root"
command -v python3 >/dev/null || skip_all "python3 is needed to build the test image"
command -v script >/dev/null || skip_all "script (bsdextrautils) is needed for the tty test"

S=$T/docker
mkdir -p "$S"
setsid unshare --net dockerd --data-root "$S/data" --exec-root "$S/exec" --pidfile "$S/pid" \
  -H "unix://$S/sock" --bridge=none --iptables=false --ip6tables=false --add-runtime "keep=$KEEP" \
  > "$S/log" 2>&1 < /dev/null &
stop_dockerd() {
  [ -s "$S/pid" ] && kill "$(cat "$S/pid")" 2>/dev/null
  for _ in $(seq 100); do [ -s "$S/pid" ] && kill -0 "$(cat "$S/pid")" 2>/dev/null || break; sleep 0.1; done
  grep " $S" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
}
trap stop_dockerd EXIT
for _ in $(seq 120); do [ -S "$S/sock" ] && break; sleep 0.5; done
[ -S "$S/sock" ] || { sed 's/^/# /' "$S/log" | tail -5; skip_all "dockerd did not start"; }
d() { timeout 60 docker -H "unix://$S/sock" "$@"; }

"$SRCDIR/tools/mkrootfs.sh" "$T/rootfs" --probe "$PROBE" >/dev/null
python3 "$SRCDIR/tools/mkimage.py" "$T/rootfs" "$T/image.tar" keep.test/busybox:latest
d load -i "$T/image.tar" > "$T/out" 2>&1
expect "image loaded" "keep.test/busybox"
IMG=keep.test/busybox:latest
R=(--runtime keep --network none)

RC=0; d run --rm "${R[@]}" "$IMG" sh -c 'echo via-keep; exit 9' > "$T/out" 2>&1 || RC=$?
expect_code "docker run through keep: the exit status" 9
expect "docker run: the process ran" "^via-keep"
RC=0; d run --rm "${R[@]}" "$IMG" sh -c 'echo pid=$$; grep -E "^(Seccomp|CapInh):" /proc/self/status' > "$T/out" 2>&1 || RC=$?
expect "docker run: pid 1 of its own pid namespace" "^pid=1$"
expect "docker run: Docker's seccomp profile applied by keep" "^Seccomp:[[:space:]]+2"
expect "docker run: no inheritable capabilities" "^CapInh:[[:space:]]+0+$"
RC=0; d run --rm "${R[@]}" "$IMG" /nonexistent > "$T/out" 2>&1 || RC=$?
expect_code "docker run of a missing command: 127" 127

# Docker keeps CAP_MKNOD and no user namespace: only the device cgroup stops a
# container from making a node for the host's disk and reading it.
disk=$(findmnt -no SOURCE / 2>/dev/null)
if [ -b "$disk" ]; then
  maj=$((0x$(stat -c %t "$disk"))) min=$((0x$(stat -c %T "$disk")))
  RC=0; d run --rm "${R[@]}" "$IMG" sh -c "mknod /tmp/disk b $maj $min; head -c 512 /tmp/disk > /dev/null && echo READ-THE-HOST-DISK || echo denied" > "$T/out" 2>&1 || RC=$?
  expect "the host's disk cannot be read through mknod (device cgroup)" "denied"
  expect_not "the host's disk was not read" "READ-THE-HOST-DISK"
else
  skip "device cgroup" "the root filesystem is not on a block device"
fi

client_detached d "${R[@]}"
RC=0; d kill k1 > "$T/out" 2>&1 || RC=$?
expect_code "kill" 0
RC=0; d rm -f k1 > "$T/out" 2>&1 || RC=$?
expect_code "rm" 0

# A terminal session: the pty goes to containerd's shim over the console socket.
RC=0
timeout 60 script -qec "docker -H unix://$S/sock run --rm -t --runtime keep --network none $IMG sh -c 'tty; exit 5'" /dev/null \
  < /dev/null > "$T/out" 2>&1 || RC=$?
expect_code "run -t: exit status through the tty" 5
expect "run -t: the process has a terminal" "/dev/pts/0"

# A real `docker save` archive, loaded and run by keep itself.
d tag "$IMG" keep.test/saved:1 >/dev/null 2>&1
RC=0; d save keep.test/saved:1 > "$T/saved.tar" 2>"$T/out" || RC=$?
expect_code "docker save" 0
RC=0; KEEP_STORE="$T/store" "$KEEP" load -i "$T/saved.tar" > "$T/out" 2>&1 || RC=$?
expect "keep load of a docker save archive" "Loaded image: .*keep.test/saved:1"
RC=0; KEEP_STORE="$T/store" timeout 30 "$KEEP" run keep.test/saved:1 echo from-docker-save > "$T/out" 2>&1 </dev/null || RC=$?
expect "keep run of the image Docker saved" "^from-docker-save$"

d ps -aq > "$T/out" 2>&1
check "no docker container left" test ! -s "$T/out"
check "no container cgroup left" test -z "$(ls -d /sys/fs/cgroup/pids/docker/*/ /sys/fs/cgroup/docker/*/ /sys/fs/cgroup/system.slice/docker-*.scope/ 2>/dev/null)"
stop_dockerd
trap - EXIT
done_testing
