#!/usr/bin/env bash
# OCI resources passed to cgroup files: blockIO, hugepageLimits, network,
# rdma and unified.  Each one the host has a file for is read back from the
# container's cgroup; each one it has not is refused by name, in one line,
# leaving no cgroup and no state behind.  Runs on cgroup v1 (blkio) and on
# cgroup v2 (io, hugetlb, unified): the checks branch on the host.
. "$SRCDIR/tests/lib.sh"
oci_test_setup
[ "$(id -u)" -eq 0 ] || skip_all "needs root (the container's cgroup is read back on the host)"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then V=2; CG=/sys/fs/cgroup/keep-oci
elif [ -d /sys/fs/cgroup/memory ]; then V=1; CG=/sys/fs/cgroup/blkio/keep-oci
else skip_all "no cgroup v1 memory hierarchy or cgroup v2 mount"; fi
echo "# cgroup v$V"
fresh() { rm -f "$B/config.json"; k spec --bundle "$B" >/dev/null; }
leftover() { ls -d /sys/fs/cgroup/keep-oci/"$1" /sys/fs/cgroup/*/keep-oci/"$1" "$R/$1" 2>/dev/null || true; }
created() { # NAME ID PYTHON
  fresh; cfg "$3"
  RC=0; k create --bundle "$B" "$2" >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "$1" 0
}
gone() { # ID
  k delete --force "$1" >/dev/null 2>&1
  left=$(leftover "$1")
  if [ -z "$left" ]; then ok "delete $1 removes its cgroups"; else fail "delete $1 left $left"; fi
}

# A real block device: the root disk where there is one (not a loop or zram
# device, which may come and go).
dev=
for d in /sys/block/*/dev; do
  [ -e "$d" ] || continue
  case $d in */loop*|*/zram*|*/ram*) continue ;; esac
  dev=$(cat "$d"); break
done
# None (a VM on a 9p root): a loop device of the case's own, on cgroup v2,
# where io.max takes any disk.
loopdev=
if [ -z "$dev" ] && [ "$V" = 2 ] && command -v losetup >/dev/null; then
  /run/keep-vm-bin/modprobe loop 2>/dev/null || modprobe loop 2>/dev/null
  truncate -s 16M "$T/disk.img"
  loopdev=$(losetup -f --show "$T/disk.img" 2>/dev/null) && dev=$(cat "/sys/block/${loopdev#/dev/}/dev")
fi
maj=${dev%%:*}; min=${dev##*:}

# ---- What the parser refuses, whatever the host: checked here, not again
# in the test VM (tests/vm), where each container costs seconds ----
if [ -z "${KEEP_VM_GUEST:-}" ]; then
  for key in ../cgroup.procs cgroup.procs memory.max/../x .hidden cgroup.subtree_control cgroup.kill memory.; do
    oci_refused "unified key \`$key\`" "c['linux']['resources'] = {'unified': {'$key': '1'}}" "unified.*$(printf %s "$key" | sed 's/[.]/[.]/g')"
  done
  oci_refused "a unified value of two lines" "c['linux']['resources'] = {'unified': {'pids.max': '10\\n20'}}" "unified.pids.max"

  # hugepageLimits: the page size in the kernel's own spelling.
  for size in 2mb 2048KB 2M 0MB; do
    oci_refused "page size \`$size\`" "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '$size', 'limit': 2097152}]}" \
      "hugepageLimits\\[0\\]\\.pageSize"
  done
  oci_refused "blockIO weight 5" "c['linux']['resources'] = {'blockIO': {'weight': 5}}" "blockIO.weight"
fi
oci_refused "rdma" "c['linux']['resources'] = {'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}}}" "linux.resources.rdma"

if [ "$V" = 1 ]; then
  oci_refused "unified on cgroup v1" "c['linux']['resources'] = {'unified': {'pids.max': '10'}}" \
    "linux.resources.unified needs cgroup v2"
  if [ -d /sys/fs/cgroup/net_cls ]; then
    created "network.classID on a host with net_cls" n1 "c['linux']['resources'] = {'network': {'classID': 1048577}}"
    check "net_cls.classid written" test "$(cat /sys/fs/cgroup/net_cls/keep-oci/n1/net_cls.classid)" = 1048577
    gone n1
  else
    oci_refused "network without net_cls" "c['linux']['resources'] = {'network': {'classID': 1048577}}" \
      "linux.resources.network.classID.*net_cls"
  fi
  oci_refused "network priorities without net_prio" \
    "c['linux']['resources'] = {'network': {'priorities': [{'name': 'lo', 'priority': 3}]}}" "linux.resources.network"
  if [ -d /sys/fs/cgroup/hugetlb ]; then
    created "hugepageLimits 2MB" h1 "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}]}"
    check "hugetlb.2MB.limit_in_bytes written" test "$(cat /sys/fs/cgroup/hugetlb/keep-oci/h1/hugetlb.2MB.limit_in_bytes)" = 4194304
    gone h1
  else
    oci_refused "hugepageLimits with no v1 hugetlb" \
      "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}]}" "linux.resources.hugepageLimits.*hugetlb"
  fi
  if [ -d /sys/fs/cgroup/blkio ] && [ -n "$dev" ]; then
    created "blockIO throttles on $dev" io1 "c['process']['args'] = ['sleep', '30']
c['linux']['resources'] = {'blockIO': {
  'throttleReadBpsDevice': [{'major': $maj, 'minor': $min, 'rate': 1048576}],
  'throttleWriteBpsDevice': [{'major': $maj, 'minor': $min, 'rate': 2097152}],
  'throttleReadIOPSDevice': [{'major': $maj, 'minor': $min, 'rate': 100}],
  'throttleWriteIOPSDevice': [{'major': $maj, 'minor': $min, 'rate': 200}]}}"
    check "read bps written" grep -qx "$dev 1048576" "$CG/io1/blkio.throttle.read_bps_device"
    check "write bps written" grep -qx "$dev 2097152" "$CG/io1/blkio.throttle.write_bps_device"
    check "read iops written" grep -qx "$dev 100" "$CG/io1/blkio.throttle.read_iops_device"
    check "write iops written" grep -qx "$dev 200" "$CG/io1/blkio.throttle.write_iops_device"
    k start io1 >/dev/null 2>&1
    pid=$(k state io1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
    check "the container runs in its blkio cgroup" grep -qx "$pid" "$CG/io1/cgroup.procs"
    gone io1
    oci_refused "a throttle on a device that does not exist" \
      "c['linux']['resources'] = {'blockIO': {'throttleReadBpsDevice': [{'major': 4095, 'minor': 1048575, 'rate': 1}]}}" \
      "blockIO.throttleReadBpsDevice\\[0\\]"
    if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
      created "blockIO.weight" w1 "c['linux']['resources'] = {'blockIO': {'weight': 300}}"
      check "blkio weight written" grep -q 300 "$CG/w1/blkio.weight" "$CG/w1/blkio.bfq.weight"
      gone w1
    else
      oci_refused "blockIO.weight with no CFQ or BFQ scheduler" "c['linux']['resources'] = {'blockIO': {'weight': 300}}" \
        "blockIO.weight: the host's cgroup has no .blkio.weight. or .blkio.bfq.weight."
    fi
    if [ -e /sys/fs/cgroup/blkio/blkio.leaf_weight ]; then :; else
      oci_refused "blockIO.leafWeight with no file for it" "c['linux']['resources'] = {'blockIO': {'leafWeight': 300}}" \
        "blockIO.leafWeight"
    fi
  else
    skip "blockIO on cgroup v1" "no blkio hierarchy or no block device"
  fi
else
  ctrls=$(cat /sys/fs/cgroup/cgroup.controllers)
  oci_refused "network on cgroup v2" "c['linux']['resources'] = {'network': {'classID': 1048577}}" "linux.resources.network"
  oci_refused "blockIO.leafWeight on cgroup v2" "c['linux']['resources'] = {'blockIO': {'leafWeight': 300}}" "blockIO.leafWeight"
  created "unified keys" u1 "c['linux']['resources'] = {'unified': {'pids.max': '77', 'memory.high': '209715200'}}"
  check "unified pids.max overrides keep's default" test "$(cat "$CG/u1/pids.max")" = 77
  check "unified memory.high written" test "$(cat "$CG/u1/memory.high")" = 209715200
  gone u1
  oci_refused "a unified key with no such file" "c['linux']['resources'] = {'unified': {'memory.no_such_knob': '1'}}" \
    "unified.memory.no_such_knob: the container's cgroup has no such file"
  oci_refused "a unified key of no controller" "c['linux']['resources'] = {'unified': {'nosuchctl.max': '1'}}" \
    "unified.nosuchctl.max: cgroup v2 controller .nosuchctl. is not available"
  if case " $ctrls " in *" hugetlb "*) [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] ;; *) false ;; esac; then
    created "hugepageLimits 2MB" h1 "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}]}"
    check "hugetlb.2MB.max written" test "$(cat "$CG/h1/hugetlb.2MB.max")" = 4194304
    gone h1
    oci_refused "a page size the host has not" \
      "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '4MB', 'limit': 4194304}]}" "hugepageLimits\\[0\\].pageSize: the host has no 4MB"
  else
    oci_refused "hugepageLimits with no hugetlb controller" \
      "c['linux']['resources'] = {'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}]}" "linux.resources.hugepageLimits"
  fi
  if case " $ctrls " in *" io "*) true ;; *) false ;; esac; then
    created "blockIO.weight" w1 "c['linux']['resources'] = {'blockIO': {'weight': 500}}"
    # BFQ takes the blkio scale; io.weight 1..10000 (500 -> 4950).
    if [ -e "$CG/w1/io.bfq.weight" ]; then
      check "io.bfq.weight written" grep -q "default 500" "$CG/w1/io.bfq.weight"
    else
      check "io.weight written, converted" grep -q "default 4950" "$CG/w1/io.weight"
    fi
    gone w1
    if [ -n "$dev" ]; then
      created "blockIO throttles on $dev" io1 "c['process']['args'] = ['sleep', '30']
c['linux']['resources'] = {'blockIO': {
  'throttleReadBpsDevice': [{'major': $maj, 'minor': $min, 'rate': 1048576}],
  'throttleWriteIOPSDevice': [{'major': $maj, 'minor': $min, 'rate': 200}]}}"
      check "io.max written" grep -q "^$dev rbps=1048576 wbps=max riops=max wiops=200" "$CG/io1/io.max"
      gone io1
    else
      skip "blockIO throttles on cgroup v2" "no block device"
    fi
  else
    oci_refused "blockIO with no io controller" "c['linux']['resources'] = {'blockIO': {'weight': 500}}" "linux.resources.blockIO"
  fi
fi
[ -z "$loopdev" ] || losetup -d "$loopdev"
done_testing
