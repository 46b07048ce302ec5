#!/usr/bin/env bash
# Run the host-dependent test cases in a cgroup v2 + AppArmor guest: Debian's
# own kernel under qemu (TCG), this machine's root read-only over virtio-9p.
#   tests/vm/run.sh [--srcdir DIR] [--build DIR] [PATTERN...]
# Prints the guest's TAP and a last "N passed, N failed" line; exits non-zero
# when anything failed or the guest did not come back.  See tests/vm/README.md.
set -uo pipefail
VM=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$VM/../.." && pwd)
BUILD=
while [ $# -gt 0 ]; do
  case $1 in
    --srcdir) SRCDIR=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    -h | --help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "tests/vm/run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
BUILD=${BUILD:-$SRCDIR/build}
# The cases that depend on the host (cgroups, devices, AppArmor, rootless
# with delegation, a real client); apparmor.sh where the tree has it.
if [ $# -eq 0 ]; then
  set -- /cgroups.sh /oci_cgroup_res.sh /devices.sh /oci_regressions.sh /escapes.sh /client_podman.sh
  [ -f "$SRCDIR/tests/cases/apparmor.sh" ] && set -- "$@" /apparmor.sh
fi
TIMEOUT=${KEEP_VM_TIMEOUT:-1500}

[ -x "$BUILD/src/keep" ] || { echo "tests/vm/run.sh: no keep built in $BUILD (ninja -C $BUILD)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
  { echo "tests/vm/run.sh: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 2; }
. "$VM/kernel.sh"
guest_kernel || exit 2 # sets KERNEL, MODULES, KVER (cached by package version)

# The guest has a /tmp of its own: a tree below the host's /tmp comes in as
# a share of its own, mounted at the same path (the build must be inside it).
share=() keep_src=
case $SRCDIR/ in
  /tmp/*)
    case $BUILD/ in "$SRCDIR"/*) ;; *)
      echo "tests/vm/run.sh: a source tree under /tmp needs its build inside it (--build $BUILD)" >&2; exit 2 ;;
    esac
    share=(-virtfs "local,path=$SRCDIR,mount_tag=src,security_model=none,readonly=on,multidevs=remap")
    keep_src=" keep_src=$SRCDIR"
    ;;
esac
case $SRCDIR in *[[:space:]]*)
  echo "tests/vm/run.sh: a source path with spaces cannot go on the guest's command line" >&2; exit 2 ;;
esac

OUT=$(mktemp -d /tmp/keep-vm.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
guest_initrd "$OUT/initrd.img" "$VM/init" || exit 2
{
  printf 'VM_SRCDIR=%q VM_BUILD=%q VM_OUT=/run/keep-vm VM_MODULES=%q\n' "$SRCDIR" "$BUILD" "$MODULES"
  printf 'set --'; printf ' %q' "$@"; echo
  printf '. %q\n' "$VM/guest.sh"
} > "$OUT/job.sh"

# The guest's /tmp and /var/lib: a sparse ext4 disk, gone with the run.
truncate -s 16G "$OUT/scratch.img" && mkfs.ext4 -q -F "$OUT/scratch.img" ||
  { echo "tests/vm/run.sh: cannot make the scratch disk" >&2; exit 2; }
# 2 vCPUs and 3 GiB; TCG only: KVM guests hang when this host is itself a guest.
start=$(date +%s)
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 3072 \
  -nographic -no-reboot -nodefaults -serial "file:$OUT/console.log" -monitor none \
  -kernel "$KERNEL" -initrd "$OUT/initrd.img" \
  -append "console=ttyS0 panic=-1 quiet loglevel=4 cgroup_no_v1=all apparmor=1 security=apparmor$keep_src" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  "${share[@]}" \
  -virtfs "local,path=$OUT,mount_tag=out,security_model=none,multidevs=remap" \
  -drive "file=$OUT/scratch.img,if=virtio,format=raw,cache=unsafe" \
  > "$OUT/qemu.log" 2>&1
qrc=$?
secs=$(($(date +%s) - start))

[ -f "$OUT/tap" ] && cat "$OUT/tap"
sed 's/^/# /' "$OUT/guest.log" 2>/dev/null
passed=$(grep -c '^ok ' "$OUT/tap" 2>/dev/null) skipped=$(grep -c '^ok .*# SKIP' "$OUT/tap" 2>/dev/null)
failed=$(grep -c '^not ok ' "$OUT/tap" 2>/dev/null)
passed=$((passed - skipped))
if [ ! -f "$OUT/done" ]; then
  echo "not ok - the guest did not come back (qemu exit $qrc after $secs s; timeout $TIMEOUT s)"
  sed 's/^/#   /' "$OUT/qemu.log" | tail -5
  tr -d '\r' < "$OUT/console.log" | sed 's/^/#   console: /' | tail -25
  failed=$((failed + 1))
fi
echo "# guest run: $secs s"
echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
