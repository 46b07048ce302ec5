# Shared helpers for tests/cases/*.sh: TAP output, a fresh root filesystem,
# and `krun` to run keep as root or as the unprivileged test user.
#   Environment from tests/run: KEEP (binary), PROBE (static probe), T (fresh
#   temp dir), KEEP_AS (empty = root, or a user name to run keep as).
set -u
. "$SRCDIR/tests/keep_cgroups.sh"
_n=0 _fail=0
ok()   { _n=$((_n + 1)); echo "ok $_n - $*"; }
fail() { _n=$((_n + 1)); _fail=$((_fail + 1)); echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
done_testing() { echo "1..$_n"; [ "$_fail" -eq 0 ]; }
# A whole case that cannot run here: exit 77 with the reason last.
skip_all() { echo "# skip: $*"; exit 77; }

# check NAME COMMAND...: passes when COMMAND succeeds.
check() { local name=$1; shift; if "$@" >"$T/out" 2>&1; then ok "$name"; else fail "$name"; sed 's/^/#   /' "$T/out" | head -20; fi; }
# expect NAME PATTERN: passes when the last output ($T/out) matches (grep -E).
expect() { if grep -Eq -- "$2" "$T/out"; then ok "$1"; else fail "$1 (wanted /$2/)"; sed 's/^/#   /' "$T/out" | head -20; fi; }
expect_not() { if grep -Eq -- "$2" "$T/out"; then fail "$1 (unwanted /$2/)"; sed 's/^/#   /' "$T/out" | head -20; else ok "$1"; fi; }
# expect_code NAME WANT: the exit code of the last krun.
expect_code() { if [ "$RC" -eq "$2" ]; then ok "$1"; else fail "$1 (exit $RC, wanted $2)"; sed 's/^/#   /' "$T/out" | head -20; fi; }

ROOTFS="$T/rootfs"
mkroot() {
  local dest=${1:-$ROOTFS}
  "$SRCDIR/tools/mkrootfs.sh" "$dest" --probe "$PROBE" >/dev/null
  chmod 755 "$T"
}

rootless() { [ -n "${KEEP_AS:-}" ]; }
# as_test_user CMD...: CMD as the case's user (KEEP_AS), or as root.
as_test_user() {
  if rootless; then
    setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups --reset-env "$@"
  else
    "$@"
  fi
}
# cgroups_delegated USER: USER may make cgroups beside the current one (a
# cgroup v2 subtree delegated as systemd delegates user@UID.service), which
# is where rootless keep makes its cgroups.  Never on cgroup v1.
cgroups_delegated() {
  [ -f /sys/fs/cgroup/cgroup.controllers ] || return 1
  local self
  self=$(sed -n 's/^0:://p' /proc/self/cgroup)
  setpriv --reuid="$1" --regid="$1" --init-groups --reset-env test -w "/sys/fs/cgroup${self%/*}/cgroup.procs"
}
# The flags a direct `keep run` needs as that user: --cgroups=off unless a
# cgroup v2 subtree is delegated to them (cgroup v1 cannot be delegated).
rootless_run_flags=()
if rootless && ! cgroups_delegated "$KEEP_AS"; then rootless_run_flags=(--cgroups=off); fi

# krun ARGS...: `keep run ARGS` with output in $T/out and status in $RC.
# Rootless without a delegated cgroup subtree needs --cgroups=off.
# KRUN_TIMEOUT: seconds before keep is sent SIGTERM (default 30).
krun() {
  local extra=()
  if [ "${KEEP_NO_AUTO_CGROUPS:-}" != 1 ]; then extra=("${rootless_run_flags[@]}"); fi
  kas "$KEEP" run "${extra[@]}" "$@"
}
# kas COMMAND...: COMMAND (keep with any arguments) as the test's user, with
# output in $T/out and status in $RC.
kas() {
  RC=0
  if rootless; then
    timeout -k 5 "${KRUN_TIMEOUT:-30}" setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups --reset-env \
      "$@" >"$T/out" 2>&1 </dev/null || RC=$?
  else
    timeout -k 5 "${KRUN_TIMEOUT:-30}" "$@" >"$T/out" 2>&1 </dev/null || RC=$?
  fi
}

# The one-line error rule: exactly one line, starting with "keep".
one_line_error() {
  if [ "$(grep -cv '^keep: no subordinate' "$T/out")" -eq 1 ] && grep -q '^keep' "$T/out"; then ok "$1"; else fail "$1 (not one line)"; sed 's/^/#   /' "$T/out"; fi
}

# need_client COMMAND PACKAGE: install a real client from Debian when missing
# (as root, unless KEEP_TESTS_NO_INSTALL is set); skip the case otherwise.
need_client() {
  command -v "$1" >/dev/null && return 0
  if [ "$(id -u)" -eq 0 ] && [ -z "${KEEP_TESTS_NO_INSTALL:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1
  fi
  command -v "$1" >/dev/null || skip_all "$1 is not installed (apt-get install $2)"
}

# Image tests: a private store, the image and layer builders, and `k` to run
# any keep command with output in $T/out and status in $RC.
image_test_setup() {
  export KEEP_STORE="$T/store"
  MK="python3 $SRCDIR/tools/mkimage.py"
  LAYER="python3 $SRCDIR/tests/data/mklayer.py"
}
k() { RC=0; "$KEEP" "$@" >"$T/out" 2>&1 </dev/null || RC=$?; }

# OCI tests: a bundle in $B (rootfs owned by the mapped root), state in $R,
# `k` = keep --root $R, `cfg PYTHON` edits $B/config.json (as `c`).
oci_test_setup() {
  command -v python3 >/dev/null || skip_all "python3 is needed to edit config.json"
  B=$T/bundle
  R=$T/state
  mkdir -p "$B"
  "$SRCDIR/tools/mkrootfs.sh" "$B/rootfs" --probe "$PROBE" --chown 1000000000 >/dev/null
  chmod 755 "$T" "$B"
  k() { "$KEEP" --root "$R" "$@"; }
}
# oci_refused NAME PYTHON PATTERN: a config.json edited by PYTHON is refused
# by create (125) in one line matching PATTERN, leaving no cgroup (v1 or v2)
# and no state.
oci_refused() {
  rm -f "$B/config.json"; k spec --bundle "$B" >/dev/null; cfg "$2"
  RC=0; k create --bundle "$B" bad1 >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "$1: refused" 125
  expect "$1: names it" "$3"
  one_line_error "$1: one line"
  local left
  left=$(ls -d /sys/fs/cgroup/keep-oci/bad1 /sys/fs/cgroup/*/keep-oci/bad1 "$R/bad1" 2>/dev/null || true)
  if [ -z "$left" ]; then ok "$1: nothing left"; else fail "$1: left $left"; k delete --force bad1 >/dev/null 2>&1; fi
}
cfg() {
  python3 - "$B/config.json" "$1" <<'PY'
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p))
exec(code)
json.dump(c, open(p, "w"), indent=1)
PY
}

# client_detached CLIENT [RUN-ARGS...]: through a real client (a function
# that runs docker or podman), start $IMG detached as k1, exec into it, and
# pause and unpause it.  Killing and removing stay the caller's.
client_detached() {
  local c=$1; shift
  RC=0; $c run -d --name k1 "$@" "$IMG" sleep 60 > "$T/out" 2>&1 || RC=$?
  expect_code "run -d" 0
  RC=0; $c exec k1 sh -c 'tr "\0" " " < /proc/1/cmdline; echo; exit 4' > "$T/out" 2>&1 || RC=$?
  expect_code "exec: its exit status" 4
  expect "exec: sees the container's pid 1" "^sleep 60"
  $c pause k1 > "$T/out" 2>&1 && $c inspect -f '{{.State.Status}}' k1 > "$T/out" 2>&1
  expect "pause: paused" "^paused$"
  $c unpause k1 > "$T/out" 2>&1 && $c inspect -f '{{.State.Status}}' k1 > "$T/out" 2>&1
  expect "unpause: running" "^running$"
}

# local_registry_with_image: Debian's docker-registry on a free loopback
# port (stopped on exit) holding $ROOTFS as REG/busybox:latest; sets REG and
# $T/accept.json (a policy that accepts anything).  Needs image_test_setup.
local_registry_with_image() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$T/reg"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$T/reg/data" "$port" > "$T/reg/config.yml"
  docker-registry serve "$T/reg/config.yml" >"$T/reg/log" 2>&1 &
  _registry_pid=$!
  trap 'kill $_registry_pid 2>/dev/null; wait $_registry_pid 2>/dev/null' EXIT
  for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  REG=127.0.0.1:$port
  $MK "$ROOTFS" "$T/img.tar" keep.test/busybox:latest --format oci
  skopeo copy -q --dest-tls-verify=false "oci-archive:$T/img.tar" "docker://$REG/busybox:latest" \
    >"$T/push.log" 2>&1 || sed 's/^/# push: /' "$T/push.log"
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$T/accept.json"
}

# gpg_signing_key: a GnuPG home of the test's own ($T/gnupg) with one
# signing key: sets FPR, exports the public key to $T/key.gpg, and writes
# $T/signed.json, a policy that rejects everything but $REG signed by it.
gpg_signing_key() {
  export GNUPGHOME="$T/gnupg"; mkdir -m 700 "$GNUPGHOME"
  gpg --batch --passphrase '' --quick-gen-key "keep test <test@keep.invalid>" ed25519 sign never >/dev/null 2>&1
  FPR=$(gpg --list-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
  gpg --export "$FPR" > "$T/key.gpg"
  cat > "$T/signed.json" <<JSON
{"default":[{"type":"reject"}],
 "transports":{"docker":{"$REG":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$T/key.gpg"}]}}}
JSON
}
