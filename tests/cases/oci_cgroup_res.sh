#!/usr/bin/env bash
# OCI resources beyond memory/cpu/pids limits: cpuset, memory reservation,
# swappiness, the OOM killer, kernel memory, the real-time budget, cpu.idle
# and cpu.burst.  Each read back from the container's cgroup on the host (and
# the cpuset from inside); each one the kernel cannot apply is refused by
# name and leaves nothing behind.  On cgroup v1 and on cgroup v2 (where
# swappiness, the OOM killer, kernel memory and the real-time budget have no
# file and are refused).
. "$SRCDIR/tests/lib.sh"
oci_test_setup
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then V=2
elif [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpuset ]; then V=1
else skip_all "needs cgroup v2, or a cgroup v1 host with memory, cpu and cpuset"; fi
echo "# cgroup v$V"
fresh() { rm -f "$B/config.json"; k spec --bundle "$B"; }
# cg CONTROLLER ID FILE: a file of the container's cgroup (v2: one directory).
cg() { if [ "$V" = 2 ]; then cat "/sys/fs/cgroup/keep-oci/$2/$3"; else cat "/sys/fs/cgroup/$1/keep-oci/$2/$3"; fi; }
procs() { if [ "$V" = 2 ]; then echo "/sys/fs/cgroup/keep-oci/$1/cgroup.procs"; else echo "/sys/fs/cgroup/cpuset/keep-oci/$1/tasks"; fi; }
ncpu=$(nproc)
last=$((ncpu - 1))

fresh
if [ "$V" = 1 ]; then
  cfg "c['process']['args'] = ['sh', '-c', 'grep Cpus_allowed_list /proc/self/status; sleep 30']
c['linux']['resources'] = {'cpu': {'cpus': '$last', 'mems': '0', 'idle': 1, 'burst': 1000,
                                   'realtimeRuntime': 10000, 'realtimePeriod': 1000000},
                           'memory': {'limit': 268435456, 'reservation': 134217728, 'swappiness': 10,
                                      'disableOOMKiller': True, 'kernelTCP': 1048576}}"
else
  cfg "c['process']['args'] = ['sh', '-c', 'grep Cpus_allowed_list /proc/self/status; sleep 30']
c['linux']['resources'] = {'cpu': {'cpus': '$last', 'mems': '0', 'idle': 1, 'burst': 1000, 'quota': 50000, 'period': 100000},
                           'memory': {'limit': 268435456, 'reservation': 134217728}}"
fi
RC=0; k create --bundle "$B" r1 >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "create with every extra resource setting" 0
check "cpuset.cpus written" test "$(cg cpuset r1 cpuset.cpus)" = "$last"
check "cpuset.mems written" test "$(cg cpuset r1 cpuset.mems)" = 0
if [ "$V" = 1 ]; then
  check "soft limit (reservation) written" test "$(cg memory r1 memory.soft_limit_in_bytes)" = 134217728
  check "swappiness written" test "$(cg memory r1 memory.swappiness)" = 10
  check "OOM killer disabled" grep -qx "oom_kill_disable 1" "/sys/fs/cgroup/memory/keep-oci/r1/memory.oom_control"
  check "kernel TCP memory limit written" test "$(cg memory r1 memory.kmem.tcp.limit_in_bytes)" = 1048576
  check "real-time runtime written" test "$(cg cpu r1 cpu.rt_runtime_us)" = 10000
  check "real-time period written" test "$(cg cpu r1 cpu.rt_period_us)" = 1000000
  check "cpu.idle written" test "$(cg cpu r1 cpu.idle)" = 1
  check "cpu.cfs_burst_us written" test "$(cg cpu r1 cpu.cfs_burst_us)" = 1000
else
  check "memory.max written" test "$(cg memory r1 memory.max)" = 268435456
  check "memory.low (reservation) written" test "$(cg memory r1 memory.low)" = 134217728
  check "cpu.max written" test "$(cg cpu r1 cpu.max)" = "50000 100000"
  check "cpu.idle written" test "$(cg cpu r1 cpu.idle)" = 1
  check "cpu.max.burst written" test "$(cg cpu r1 cpu.max.burst)" = 1000
fi
k start r1
for _ in $(seq 50); do [ -n "$(cat "$(procs r1)")" ] && break; sleep 0.1; done
pid=$(k state r1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "the container runs in its cpuset" grep -qx "$pid" "$(procs r1)"
check "the container's CPUs are the cpuset's" grep -q "^Cpus_allowed_list:[[:space:]]*$last$" "/proc/$pid/status"
k delete --force r1
check "delete removes the cpuset cgroup too" test ! -e /sys/fs/cgroup/cpuset/keep-oci/r1 -a ! -e /sys/fs/cgroup/keep-oci/r1

# Refused by name, nothing left: what the kernel will not take.
oci_refused "a CPU the host does not have" "c['linux']['resources'] = {'cpu': {'cpus': '$ncpu'}}" "cpuset.cpus"
if [ "$V" = 1 ]; then
  oci_refused "a kernel memory limit the kernel ignores" \
    "c['linux']['resources'] = {'memory': {'kernel': 104857600}}" "memory.kmem.limit_in_bytes.*ignores"
  oci_refused "a real-time runtime above the host's" \
    "c['linux']['resources'] = {'cpu': {'realtimeRuntime': 999999, 'realtimePeriod': 1000000}}" "cpu.rt_runtime_us"
else
  oci_refused "swappiness on cgroup v2" "c['linux']['resources'] = {'memory': {'swappiness': 10}}" \
    "cgroup v2 has no setting for memory swappiness \\(linux.resources.memory.swappiness\\)"
  oci_refused "disableOOMKiller on cgroup v2" "c['linux']['resources'] = {'memory': {'disableOOMKiller': True}}" \
    "linux.resources.memory.disableOOMKiller"
  oci_refused "kernel memory on cgroup v2" "c['linux']['resources'] = {'memory': {'kernel': 104857600}}" \
    "linux.resources.memory.kernel"
  oci_refused "a real-time budget on cgroup v2" \
    "c['linux']['resources'] = {'cpu': {'realtimeRuntime': 10000, 'realtimePeriod': 1000000}}" "linux.resources.cpu.realtime"
fi
oci_refused "cpu.idle other than 0 or 1" "c['linux']['resources'] = {'cpu': {'idle': 2}}" "linux.resources.cpu.idle"

# A cgroupsPath whose parents keep makes: a refusal removes them too.
fresh
cfg "c['linux']['cgroupsPath'] = '/kt-outer/kt-inner/c1'
c['linux']['resources'] = {'cpu': {'cpus': '$ncpu'}}"
RC=0; k create --bundle "$B" np1 >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "a nested cgroupsPath with a refused setting: refused" 125
left=$(ls -d /sys/fs/cgroup/kt-outer /sys/fs/cgroup/*/kt-outer 2>/dev/null || true)
if [ -z "$left" ]; then ok "the parents keep made for it are gone too"; else fail "left $left"; fi

# Rootless on cgroup v1 nothing can be delegated: every setting is refused,
# never dropped.
if [ "$V" = 2 ]; then
  skip "rootless on cgroup v1" "this host has cgroup v2"
elif id keeptest >/dev/null 2>&1; then
  RB=$T/rl; mkdir -p "$RB"
  "$SRCDIR/tools/mkrootfs.sh" "$RB/rootfs" >/dev/null
  chown -R keeptest "$RB"
  su keeptest -s /bin/sh -c "'$KEEP' spec --rootless --bundle '$RB'" >"$T/out" 2>&1
  for r in "{'cpu': {'cpus': '0'}}" "{'memory': {'reservation': 1048576}}" "{'cpu': {'shares': 512}}"; do
    B=$RB cfg "c['linux']['resources'] = $r"
    RC=0; su keeptest -s /bin/sh -c "XDG_RUNTIME_DIR='$RB' '$KEEP' --root '$RB/state' run --bundle '$RB' rl" \
      >"$T/out" 2>&1 </dev/null || RC=$?
    expect_code "rootless on v1, $r: refused" 125
    expect "rootless on v1, $r: says why" "cgroup v1 cannot be delegated"
  done
else
  skip "rootless on cgroup v1" "no keeptest user"
fi
done_testing
