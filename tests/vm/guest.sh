#!/bin/sh
# The guest's second stage, PID 1 in the host's root (read-only, under a
# tmpfs overlay): mount what a systemd host would have mounted, delegate a
# cgroup v2 subtree to the test user as systemd does for a user session,
# run `tests/run PATTERN` for each pattern with the host's source and build
# trees, and power off.  Sourced by /run/keep-vm/job.sh, which sets
# VM_SRCDIR, VM_BUILD, VM_OUT and the patterns ($@).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
log() { echo "keep-guest: $*" | tee -a "$VM_OUT/guest.log" > /dev/console; }
off() { sync; echo o > /proc/sysrq-trigger; sleep 30; }
trap off EXIT

mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || log "cannot mount cgroup2"
mount -t securityfs securityfs /sys/kernel/security || log "cannot mount securityfs"
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t mqueue mqueue /dev/mqueue
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
hostname keep-guest
ip link set lo up

# The guest kernel's modules, for what the kernel loads on demand (veth,
# bridge, nf_tables...): busybox's modprobe reads the modules.dep the guest
# builder made.
mkdir -p /lib/modules && ln -sfn "$VM_MODULES" "/lib/modules/$(uname -r)"
mkdir -p /run/keep-vm-bin && ln -sf /usr/bin/busybox /run/keep-vm-bin/modprobe
echo /run/keep-vm-bin/modprobe > /proc/sys/kernel/modprobe

# Delegation as systemd does it for a logged-in user: user@UID.service and
# its cgroup.procs, cgroup.subtree_control and cgroup.threads belong to the
# user, with memory, pids and cpu enabled; the session runs in a leaf below
# it, so keep (rootless) makes its cgroups beside its own.
uid=$(id -u keeptest)
svc=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service
mkdir -p "$svc/session.scope"
for d in /sys/fs/cgroup /sys/fs/cgroup/user.slice "${svc%/*}" "$svc"; do
  echo "+cpu +memory +pids +io" > "$d/cgroup.subtree_control" || log "cannot enable controllers in $d"
done
chown -R keeptest:keeptest "$svc"
chown keeptest:keeptest "$svc" "$svc/cgroup.procs" "$svc/cgroup.subtree_control" "$svc/cgroup.threads"
echo $$ > "$svc/session.scope/cgroup.procs" || log "cannot enter $svc/session.scope"

log "kernel $(uname -r), cgroup $(stat -f -c %T /sys/fs/cgroup), LSM $(cat /sys/kernel/security/lsm 2>/dev/null)"
log "booted in $(cut -d' ' -f1 /proc/uptime) s"
# tests/run must not build: the trees are the host's, read-only here.
export KEEP_BUILD="$VM_BUILD" KEEP_NO_BUILD=1 KEEP_TESTS_NO_INSTALL=1 KEEP_VM_GUEST=1
cd /tmp
for p in "$@"; do
  start=$(cut -d' ' -f1 /proc/uptime)
  echo "# guest: tests/run $p" >> "$VM_OUT/tap"
  "$VM_SRCDIR/tests/run" "$p" >> "$VM_OUT/tap" 2>&1 < /dev/null
  log "tests/run $p: exit $?, $(awk -v s="$start" '{printf "%d", $1 - s}' /proc/uptime) s"
done
echo "guest done $(cut -d' ' -f1 /proc/uptime)" > "$VM_OUT/done"
