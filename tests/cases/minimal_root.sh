#!/usr/bin/env bash
# Every root Docker runs: a root with nothing but one static binary (no /proc,
# /dev, /sys, /tmp or /run, as a FROM-scratch image or a bare directory) runs
# through `keep run DIR`, `keep run IMAGE` and `keep spec` + `run --bundle`;
# keep run supplies the missing mount points from a layer of its own and never
# writes to the root.
# rootless
. "$SRCDIR/tests/lib.sh"
mkdir -p "$T/bare/bin"
cp "$(command -v busybox)" "$T/bare/bin/busybox"
chmod 755 "$T" "$T/bare" "$T/bare/bin"
listing() { (cd "$1" && find . | sort); }
before=$(listing "$T/bare")

krun "$T/bare" /bin/busybox sh -c 'for d in proc dev sys tmp run; do [ -d /$d ] && echo has-$d; done; grep -c . /proc/self/mountinfo >/dev/null && echo proc-mounted; echo x > /tmp/x && echo tmp-writable; touch /x 2>&1'
expect_code "keep run of a root holding only a static binary" 1
for d in proc dev sys tmp run; do expect "the container has /$d" "^has-$d$"; done
expect "/proc is mounted" "^proc-mounted$"
expect "/tmp is a writable tmpfs" "^tmp-writable$"
expect "the root stays read-only" "Read-only file system"
check "the root directory was not modified" test "$(listing "$T/bare")" = "$before"

mkdir -p "$T/vol"; echo from-volume > "$T/vol/f"; chmod -R a+rX "$T/vol"
krun -v "$T/vol:/data/in" --tmpfs /scratch "$T/bare" /bin/busybox sh -c 'cat /data/in/f; [ -d /scratch ] && echo has-scratch'
expect_code "a volume and a --tmpfs whose targets the root lacks" 0
expect "the volume is mounted on its missing target" "^from-volume$"
expect "the --tmpfs target is supplied too" "^has-scratch$"
check "the root directory is still unmodified" test "$(listing "$T/bare")" = "$before"

# A root below a directory the container's root cannot search (0700, as
# /root or a `mktemp -d` directory), as root and as a normal user.
if rootless; then
  private=$(setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups mktemp -d)
  setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups cp -r "$T/bare" "$private/root"
else
  private=$(mktemp -d); cp -r "$T/bare" "$private/root"
fi
chmod 700 "$private"
krun "$private/root" /bin/busybox echo private-ok
expect_code "a root below a 0700 directory" 0
expect "it runs" "^private-ok$"
rm -rf "$private"

# A one-layer image holding only the static binary.
if ! rootless; then
  image_test_setup
  k() { RC=0; "$KEEP" "$@" >"$T/out" 2>&1 </dev/null || RC=$?; }
  python3 "$SRCDIR/tools/mkimage.py" "$T/bare" "$T/bare.tar" keep.test/scratch:1 --cmd '/bin/busybox echo from-scratch' --format oci >/dev/null
  k load -i "$T/bare.tar"
  expect_code "load the one-layer image" 0
  krun keep.test/scratch:1
  expect_code "keep run IMAGE of a FROM-scratch image" 0
  expect "it runs" "^from-scratch$"
  # A store below a 0700 directory.
  private=$(mktemp -d)
  KEEP_STORE=$private/store k load -i "$T/bare.tar"
  KEEP_STORE=$private/store krun keep.test/scratch:1
  expect_code "an image from a store below a 0700 directory" 0
  expect "it runs" "^from-scratch$"
  # Writable: its upper layer is mounted in keep's own mount namespace,
  # which the host never sees.
  KEEP_STORE=$private/store krun --read-write keep.test/scratch:1 /bin/busybox sh -c 'echo w > /written && /bin/busybox cat /written'
  expect_code "--read-write image from a store below a 0700 directory" 0
  expect "it writes" "^w$"
  check "--read-write: no mount of keep's reaches the host" sh -c "! grep -q ' $private' /proc/self/mountinfo"
  rm -rf "$private"

  # keep spec + run --bundle, the rootfs owned by host root (a user
  # namespace in the config): the mount points are created as runc does.
  mkdir -p "$T/bundle"; cp -a "$T/bare" "$T/bundle/rootfs"
  (cd "$T/bundle" && "$KEEP" spec) && python3 - "$T/bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["/bin/busybox", "sh", "-c", "ls /proc/self/status && echo bundle-ok"]
json.dump(c, open(sys.argv[1], "w"))
PY
  RC=0; timeout 30 "$KEEP" --root "$T/state" run --bundle "$T/bundle" mb1 >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "keep spec + run --bundle on the bare root owned by host root" 0
  expect "it runs" "^bundle-ok$"
  # The same bundle below a 0700 directory.
  private=$(mktemp -d); cp -a "$T/bundle" "$private/bundle"
  RC=0; timeout 30 "$KEEP" --root "$T/state" run --bundle "$private/bundle" mb0 >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "run --bundle of a bundle below a 0700 directory (user namespace, host root's files)" 0
  expect "it runs" "^bundle-ok$"
  rm -rf "$private"
  # A mount point that is a symlink to the host is never created through.
  rm -rf "$T/bundle/rootfs/tmp"; ln -s /nonexistent-keep-test "$T/bundle/rootfs/tmp"
  RC=0; timeout 30 "$KEEP" --root "$T/state" run --bundle "$T/bundle" mb2 >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "a dangling symlink as a mount point: refused" 125
  check "nothing was created through it" test ! -e /nonexistent-keep-test
fi
done_testing
