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
  "bad security-opt|--security-opt foo=x $ROOTFS true|unknown --security-opt"
  "no-new-privileges cannot be switched off|--security-opt no-new-privileges=false $ROOTFS true|cannot be switched off"
  "missing seccomp profile|--security-opt seccomp=$T/none.json $ROOTFS true|none.json"
  "bad network|--network bad/name $ROOTFS true|invalid --network"
  "Docker's default bridge|--network bridge $ROOTFS true|keep has no default bridge"
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

# Numbers on the command line: out of range, refused naming the flag.
krun --pids-limit 99999999 "$ROOTFS" true
expect_code "--pids-limit above the kernel's maximum: 125" 125
expect "--pids-limit above the kernel's maximum: names it" "invalid --pids-limit .99999999.: expected a number from 1 to 4194304"
krun --user 70000 "$ROOTFS" true
expect_code "--user beyond the container's ids: 125" 125
one_line_error "--user beyond the container's ids: one line"
expect "--user beyond the container's ids: names it" "invalid --user .70000.: ids go from 0 to 65535"
kas "$KEEP" --root "$T/state" exec --user 1:-1 nosuch true
expect_code "exec --user with a negative gid: 125" 125
expect "exec --user with a negative gid: names it" "invalid --user .1:-1."

# config.json: a wrong type or an out-of-range number is refused in one line
# naming the field; text echoed from it is bounded; a NUL ends nothing.
if command -v python3 >/dev/null; then
  mkdir -p "$T/ob"
  "$KEEP" spec --bundle "$T/ob"
  cp "$T/ob/config.json" "$T/spec.json"
  ocfg() { # NAME PYTHON WANT: edit a fresh config.json (as `c`), run it, expect WANT
    python3 - "$T/spec.json" "$T/ob/config.json" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"))
PY
    kas "$KEEP" --root "$T/state" run --bundle "$T/ob" badcfg
    expect_code "config.json $1: 125" 125
    one_line_error "config.json $1: one line"
    expect "config.json $1: names the field" "$3"
  }
  ocfg "negative rlimit" 'c["process"]["rlimits"][0]["hard"] = -1' \
    "process\.rlimits\[0\]\.hard: expected an integer from 0 to 9223372036854775807"
  ocfg "rlimit as a string" 'c["process"]["rlimits"][0]["soft"] = "1024"' "process\.rlimits\[0\]\.soft: expected an integer"
  ocfg "uid -1" 'c["process"]["user"]["uid"] = 4294967295' "process\.user\.uid: expected an integer from 0 to 4294967294"
  ocfg "uid as a string" 'c["process"]["user"]["uid"] = "0"' "process\.user\.uid: expected an integer"
  ocfg "memory limit below -1" 'c["linux"]["resources"] = {"memory": {"limit": -5}}' \
    "linux\.resources\.memory\.limit: expected an integer from -1"
  ocfg "pids limit too large" 'c["linux"]["resources"] = {"pids": {"limit": 99999999999}}' \
    "linux\.resources\.pids\.limit: expected an integer from -1 to 4194304"
  ocfg "cpu shares of the wrong type" 'c["linux"]["resources"] = {"cpu": {"shares": "512"}}' \
    "linux\.resources\.cpu\.shares: expected an integer"
  ocfg "args of the wrong type" 'c["process"]["args"] = "sh"' "process\.args: expected an array of strings"
  ocfg "10 MB relative namespace path" \
    'c["linux"]["namespaces"][1]["path"] = "x" * (10 << 20) + "\n2nd line"' \
    "linux\.namespaces\[1\]\.path: .x{256}….* is not an absolute path"
  if [ "$(wc -c < "$T/out")" -lt 2048 ]; then ok "10 MB namespace path: the line is bounded ($(wc -c < "$T/out") bytes)"; else fail "10 MB namespace path: a $(wc -c < "$T/out")-byte error"; fi
  ocfg "10 MB mount destination" 'c["mounts"][0]["destination"] = "d" * (10 << 20)' \
    "mounts\[0\]\.destination: .d{256}…. is not an absolute path"
  if [ "$(wc -c < "$T/out")" -lt 2048 ]; then ok "10 MB mount destination: the line is bounded"; else fail "10 MB mount destination: a $(wc -c < "$T/out")-byte error"; fi
  # A NUL, then anything: the document is all the bytes of the file.
  cp "$T/spec.json" "$T/ob/config.json"
  printf '\0{"garbage": [' >> "$T/ob/config.json"
  kas "$KEEP" --root "$T/state" run --bundle "$T/ob" badcfg
  expect_code "config.json with a NUL and garbage: 125" 125
  one_line_error "config.json with a NUL and garbage: one line"
  expect "config.json with a NUL and garbage: says so" "config\.json contains a NUL byte \(at offset [0-9]+\)"
fi

"$KEEP" frobnicate > "$T/out" 2>&1; RC=$?
expect_code "unknown command: 125" 125
"$KEEP" run --help > "$T/out" 2>&1; RC=$?
expect_code "run --help: 0" 0
expect "run --help has examples" "Examples:"
done_testing
