#!/usr/bin/env bash
# containerd drives keep through the OCI runtime command line (`ctr run
# --runc-binary keep`): run, exit codes, exec, pause/resume, kill, delete,
# and nothing left behind.  containerd listens on a unix socket in $T only.
. "$SRCDIR/tests/lib.sh"
need_client containerd containerd
[ "$(id -u)" -eq 0 ] || skip_all "containerd needs root"
command -v python3 >/dev/null || skip_all "python3 is needed to build the test image"

D=$T/containerd
mkdir -p "$D"
cat > "$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
[grpc]
  address = "$D/sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
EOF
setsid containerd --config "$D/config.toml" > "$D/log" 2>&1 < /dev/null &
cd_pid=$!
stop_containerd() {
  kill "$cd_pid" 2>/dev/null; wait "$cd_pid" 2>/dev/null
  pkill -f "containerd-shim-runc-v2 .*-address $D/sock" 2>/dev/null
  grep " $D" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
}
trap stop_containerd EXIT
for _ in $(seq 100); do [ -S "$D/sock" ] && break; sleep 0.1; done
c() { timeout 60 ctr --address "$D/sock" "$@"; }

"$SRCDIR/tools/mkrootfs.sh" "$T/rootfs" --probe "$PROBE" >/dev/null
python3 "$SRCDIR/tools/mkimage.py" "$T/rootfs" "$T/image.tar" keep.test/busybox:latest
c image import "$T/image.tar" > "$T/out" 2>&1
check "image imported" c image ls -q
IMG=keep.test/busybox:latest

RC=0; c run --rm --runc-binary "$KEEP" "$IMG" k1 sh -c 'echo via-keep; exit 7' > "$T/out" 2>&1 || RC=$?
expect_code "ctr run through keep: the exit status" 7
expect "ctr run: the process ran" "^via-keep"
c run --rm --runc-binary "$KEEP" "$IMG" k2 sh -c 'echo pid=$$' > "$T/out" 2>&1
expect "ctr run: the process is pid 1 of its own pid namespace" "^pid=1$"

c run -d --runc-binary "$KEEP" "$IMG" k3 sleep 60 > "$T/out" 2>&1
c task ls > "$T/out" 2>&1
expect "run -d: the task is running" "^k3 +[0-9]+ +RUNNING"
RC=0; c task exec --exec-id e1 k3 sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; exit 3' > "$T/out" 2>&1 || RC=$?
expect_code "task exec: its exit status" 3
expect "task exec: sees the container's pid 1" "^sleep 60"
c task pause k3 && c task ls > "$T/out" 2>&1
expect "task pause: paused" "^k3 +[0-9]+ +PAUSED"
c task resume k3 && c task ls > "$T/out" 2>&1
expect "task resume: running" "^k3 +[0-9]+ +RUNNING"
c task kill -s KILL k3
for _ in $(seq 50); do c task ls | grep -q 'k3.*STOPPED' && break; sleep 0.1; done
c task ls > "$T/out" 2>&1
expect "task kill: stopped" "^k3 +[0-9]+ +STOPPED"
c task rm k3 > "$T/out" 2>&1 && ok "task rm" || fail "task rm: $(cat "$T/out")"
c container rm k3 > "$T/out" 2>&1 && ok "container rm" || fail "container rm: $(cat "$T/out")"

# A terminal session: the pty goes to the shim over the console socket.
if command -v script >/dev/null; then
  RC=0
  timeout 60 script -qec "ctr --address $D/sock run --rm -t --runc-binary $KEEP $IMG k4 sh -c 'tty; exit 5'" /dev/null \
    < /dev/null > "$T/out" 2>&1 || RC=$?
  expect_code "run -t: exit status through the tty" 5
  expect "run -t: the process has a terminal" "/dev/pts/0"
else
  skip "run -t" "script (bsdextrautils) is not installed"
fi

"$KEEP" --root /run/containerd/runc/default list > "$T/out" 2>&1
expect_not "no keep state left in containerd's runtime root" "^k[0-9]"
check "no container cgroup left" test -z "$(ls -d /sys/fs/cgroup/pids/default/k* /sys/fs/cgroup/default/k* 2>/dev/null)"
stop_containerd
trap - EXIT
done_testing
