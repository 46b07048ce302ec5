#!/usr/bin/env bash
# rootless
# Bad input: one line naming the problem, exit 125, nothing left behind.
. "$SRCDIR/tests/lib.sh"
mkroot
touch "$T/afile"; chmod 644 "$T/afile"
cases=(
  "missing rootfs|$T/nope true|root filesystem .*nope"
  "rootfs is a file|$T/afile true|not a directory"
  "unknown flag|--bogus $ROOTFS true|unknown .*--bogus"
  "missing command|$ROOTFS|no command given"
  "no arguments||no image or root filesystem given"
  "bad volume spec|-v nocolon $ROOTFS true|invalid --volume"
  "relative volume|-v rel:/data $ROOTFS true|absolute"
  "bad volume mode|-v /tmp:/data:xx $ROOTFS true|unknown mode"
  "bad security-opt|--security-opt apparmor=x $ROOTFS true|unknown --security-opt"
  "no-new-privileges cannot be switched off|--security-opt no-new-privileges=false $ROOTFS true|cannot be switched off"
  "missing seccomp profile|--security-opt seccomp=$T/none.json $ROOTFS true|none.json"
  "bad network|--network bridge $ROOTFS true|invalid --network"
  "relative workdir|-w tmp $ROOTFS true|invalid --workdir"
  "bad storage driver|--storage-driver zfs $ROOTFS true|invalid --storage-driver .zfs.: overlay or vfs"
  "unknown image|nosuch.example/app:1 true|no image .nosuch.example/app:1. in the store"
  "bad image reference|Not_A_Ref true|invalid repository"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name args want <<< "$c"
  # shellcheck disable=SC2086
  krun $args
  expect_code "$name: 125" 125
  one_line_error "$name: one line"
  expect "$name: names the problem" "$want"
done
"$KEEP" frobnicate > "$T/out" 2>&1; RC=$?
expect_code "unknown command: 125" 125
"$KEEP" run --help > "$T/out" 2>&1; RC=$?
expect_code "run --help: 0" 0
expect "run --help has examples" "Examples:"
done_testing
