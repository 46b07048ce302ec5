#!/usr/bin/env bash
# Memory, CPU and pids limits by default; the cgroup goes with the container,
# also when keep is killed.  Each layout where the host has it: cgroup v1
# files, cgroup v2 files, and rootless in a delegated v2 subtree (the
# v2 + AppArmor guest of tests/vm has both).  Rootless on cgroup v1 needs
# --cgroups=off; the last test checks the message that says so.
. "$SRCDIR/tests/lib.sh"
mkroot
[ "$(id -u)" -eq 0 ] || skip_all "needs root"

krun "$ROOTFS" sh -c 'cat /proc/self/cgroup | grep -E "memory|pids|^0::"; ls /sys/fs/cgroup'
expect "own cgroup namespace" "memory:/$|^0::/$"
cg=$(ls -d /sys/fs/cgroup/memory 2>/dev/null)
if [ -n "$cg" ]; then
  krun "$ROOTFS" sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us'
  expect "default pids limit 2048" "^2048$"
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024 / 4 / 4096 * 4096 ))  # the kernel rounds to pages
  expect "default memory limit: a quarter of RAM" "^$mem$"
  expect "default CPU quota: half the CPUs" "^$(( ( ($(nproc) + 1) / 2) * 100000 ))$"
  krun --memory 64m --cpus 0.5 --pids-limit 64 "$ROOTFS" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max'
  expect "--memory 64m applied" "^67108864$"
  expect "--cpus 0.5 applied" "^50000$"
  expect "--pids-limit 64 applied" "^64$"
fi
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: the container's own cgroup is the root of its cgroup mount.
  v2_limits() {
    expect "$1default pids limit 2048" "^pids.max=2048$"
    mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024 / 4 / 4096 * 4096))
    expect "$1default memory limit: a quarter of RAM" "^memory.max=$mem$"
    expect "$1default CPU quota: half the CPUs" "^cpu.max=$(( ( ($(nproc) + 1) / 2) * 100000 )) 100000$"
  }
  show='for f in pids.max memory.max cpu.max; do echo "$f=$(cat /sys/fs/cgroup/$f)"; done'
  krun "$ROOTFS" sh -c "$show"
  v2_limits "v2: "
  krun --memory 64m --cpus 0.5 --pids-limit 64 "$ROOTFS" sh -c "$show"
  expect "v2: --memory 64m applied" "^memory.max=67108864$"
  expect "v2: --cpus 0.5 applied" "^cpu.max=50000 100000$"
  expect "v2: --pids-limit 64 applied" "^pids.max=64$"
  # Rootless, with a subtree delegated as systemd delegates user@UID.service:
  # the same limits, in a cgroup beside the user's own, gone at exit.
  if id keeptest >/dev/null 2>&1 && cgroups_delegated keeptest; then
    before=$(keep_cgroup_dirs)
    KEEP_AS=keeptest krun "$ROOTFS" sh -c "$show; cat /proc/self/cgroup"
    expect_code "rootless v2, delegated: runs with cgroups (no --cgroups=off)" 0
    v2_limits "rootless v2, delegated: "
    KEEP_AS=keeptest krun --memory 32m "$ROOTFS" keep-probe alloc 200
    if [ "$RC" -eq 137 ] || grep -q "alloc denied" "$T/out"; then ok "rootless v2, delegated: memory limit enforced ($RC)"; else fail "rootless v2, delegated: memory limit not enforced (exit $RC)"; fi
    left=$(comm -13 <(echo "$before") <(keep_cgroup_dirs))
    if [ -z "$left" ]; then ok "rootless v2, delegated: cgroups removed at exit"; else fail "rootless v2, delegated: left $left"; fi
  else
    skip "rootless v2 with a delegated subtree" "no cgroup v2 subtree delegated to keeptest here"
  fi
fi
krun --pids-limit 64 "$ROOTFS" keep-probe forkbomb 5000
expect "fork bomb stopped at the pids limit" "^forked 6[0-3] EAGAIN$"
krun --memory 32m "$ROOTFS" keep-probe alloc 200
if [ "$RC" -eq 137 ] || grep -q "alloc denied" "$T/out"; then ok "memory limit: 200 MB in a 32 MB container fails ($RC)"; else fail "memory limit not enforced (exit $RC)"; fi

# The cgroup exists while the container runs and is gone after.  Only the
# cgroups that appear during the run count (v1 or v2 layout alike).
before=$(keep_cgroup_dirs)
timeout 30 "$KEEP" run "$ROOTFS" sleep 3 >/dev/null 2>&1 &
bg=$!; sleep 1
new=$(comm -13 <(echo "$before") <(keep_cgroup_dirs))
if [ -n "$new" ]; then ok "cgroup exists while running"; else fail "no cgroup while running"; fi
wait $bg
left=$(comm -13 <(echo "$before") <(keep_cgroup_dirs))
if [ -z "$left" ]; then ok "cgroup removed at exit"; else fail "cgroup left after exit: $left"; fi

# keep killed with SIGKILL: its container dies with it, its cgroup stays
# until `keep gc` removes it.
timeout 30 "$KEEP" run "$ROOTFS" sleep 20 >/dev/null 2>&1 &
bg=$!
# Until its container runs in its cgroup: a fixed wait is too short on a slow
# host (the emulated guest), and a keep killed earlier leaves no cgroup.
for _ in $(seq 100); do
  new=$(comm -13 <(echo "$before") <(keep_cgroup_dirs) | head -1)
  [ -n "$new" ] && grep -q . "$new/cgroup.procs" 2>/dev/null && break
  sleep 0.1
done
kid=$(pgrep -x keep -P $bg)
kill -KILL "$kid"; wait $bg 2>/dev/null; sleep 0.3
new=$(comm -13 <(echo "$before") <(keep_cgroup_dirs))
if [ -n "$new" ]; then ok "a killed keep leaves its cgroup for gc"; else fail "no cgroup left to collect: the gc check below would prove nothing"; fi
"$KEEP" gc > "$T/out" 2>&1
expect "keep gc says it removed the cgroup" "^removed [1-9][0-9]* cgroup"
left=$(comm -13 <(echo "$before") <(keep_cgroup_dirs))
if [ -z "$left" ] && [ -z "$(ls /run/keep | grep -E '^[0-9a-f]{64}$')" ]; then ok "nothing left after gc"; else fail "left after gc: $left $(ls /run/keep)"; fi
# The exact command line: a pattern would also match a `sleep 200` of anyone's.
if ! pgrep -fx "sleep 20" >/dev/null; then ok "the container died with keep"; else fail "container survived keep: $(pgrep -fxa 'sleep 20')"; pkill -KILL -fx "sleep 20"; fi

for bad in --memory=abc --memory=1k --pids-limit=-5 --pids-limit=0 --cpus=0 --cpus=abc --cpus=99999 --cgroups=maybe; do
  krun "$bad" "$ROOTFS" true
  expect_code "$bad: 125" 125
  one_line_error "$bad: one line"
done
if grep -q cgroup /proc/filesystems && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
  KEEP_AS=keeptest KEEP_NO_AUTO_CGROUPS=1 krun "$ROOTFS" true
  expect_code "rootless on cgroup v1 without --cgroups=off: 125" 125
  expect "rootless on cgroup v1: says to pass --cgroups=off" "pass --cgroups=off"
fi
done_testing
