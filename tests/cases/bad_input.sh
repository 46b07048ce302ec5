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

# A control character in an image reference: one line, shown escaped.
for ref in "$(printf 'busy\nbox:1')" "$(printf 'busybox:1\033[2J')"; do
  krun "$ref" true
  expect_code "control character in an image reference: 125" 125
  one_line_error "control character in an image reference: one line"
  expect "control character in an image reference: shown escaped" 'image reference .busy(\\n)?box:1(\\x1b\[2J)?.: it contains a control character'
done
kas "$KEEP" pull "$(printf 'busy\nbox:1')"
expect_code "keep pull: control character in a reference: 125" 125
one_line_error "keep pull: control character in a reference: one line"

# A file keep reads must be a regular file: a FIFO (no writer, so an open
# would wait forever, and keep would not even die of SIGTERM once it blocks
# its signals) is refused at once, in one line naming it.
mkfifo "$T/fifo"; chmod 666 "$T/fifo"
mkdir -p "$T/fifobundle"; mkfifo "$T/fifobundle/config.json"; chmod -R a+rwX "$T/fifobundle"
fifo_cases=(
  "--env-file FIFO|$KEEP run --env-file $T/fifo $ROOTFS true"
  "seccomp profile FIFO|$KEEP run --security-opt seccomp=$T/fifo $ROOTFS true"
  "bundle config.json FIFO|$KEEP --root $T/state run --bundle $T/fifobundle fifo1"
  "exec --process FIFO|$KEEP --root $T/state exec --process $T/fifo nosuch"
)
for c in "${fifo_cases[@]}"; do
  IFS='|' read -r name cmd <<< "$c"
  start=$SECONDS
  # shellcheck disable=SC2086
  KRUN_TIMEOUT=5 kas $cmd
  expect_code "$name: 125" 125
  if [ $((SECONDS - start)) -lt 4 ]; then ok "$name: at once"; else fail "$name: took $((SECONDS - start)) s"; fi
  one_line_error "$name: one line"
  expect "$name: says it is a FIFO" "is a FIFO, not a regular file"
done
# A namespace path that is a FIFO: refused as not a namespace file, never opened blocking.
if command -v python3 >/dev/null && ! rootless; then
  mkdir -p "$T/nsbundle"; "$KEEP" spec --bundle "$T/nsbundle"
  python3 - "$T/nsbundle/config.json" "$ROOTFS" "$T/fifo" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"]["path"] = sys.argv[2]
c["process"]["args"] = ["true"]
for n in c["linux"]["namespaces"]:
    if n["type"] == "network":
        n["path"] = sys.argv[3]
json.dump(c, open(sys.argv[1], "w"))
PY
  start=$SECONDS
  KRUN_TIMEOUT=5 kas "$KEEP" --root "$T/state" run --bundle "$T/nsbundle" fifons
  expect_code "namespace path FIFO: 125" 125
  if [ $((SECONDS - start)) -lt 4 ]; then ok "namespace path FIFO: at once"; else fail "namespace path FIFO: took $((SECONDS - start)) s"; fi
  one_line_error "namespace path FIFO: one line"
  expect "namespace path FIFO: not a namespace file" "network namespace .*fifo. is not a namespace file \\(a FIFO\\)"
fi

"$KEEP" frobnicate > "$T/out" 2>&1; RC=$?
expect_code "unknown command: 125" 125
"$KEEP" run --help > "$T/out" 2>&1; RC=$?
expect_code "run --help: 0" 0
expect "run --help has examples" "Examples:"
done_testing
