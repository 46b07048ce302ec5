#!/usr/bin/env bash
# Images: `keep load` (OCI layout and docker save), `keep run IMAGE` with the
# image's config and every defence on, layers stacked read-only with
# overlayfs (whiteouts and opaque directories), images/inspect/verify/rmi/gc.
. "$SRCDIR/tests/lib.sh"
mkroot
image_test_setup

$MK "$ROOTFS" "$T/oci.tar" keep.test/app:1 --format oci --user 1000:1000 --entrypoint "/bin/echo from-entrypoint" \
  --cmd "default args" --workdir /home --env GREETING=hello
$MK "$ROOTFS" "$T/docker.tar" keep.test/plain:latest --format docker

k load "$T/oci.tar"
expect "load an OCI layout archive" "^Loaded image: docker.io/keep.test/app:1|^Loaded image: keep.test/app:1"
k load -i "$T/docker.tar"
expect "load a docker save archive" "Loaded image: keep.test/plain:latest"
k load - < /dev/null
expect_code "load from an empty stdin fails" 125
mkdir -p "$T/layout"; tar -xf "$T/oci.tar" -C "$T/layout"
k load --tag keep.test/fromdir:1 "$T/layout"
expect "load an OCI layout directory" "Loaded image: keep.test/fromdir:1"
k images
expect "images lists the tag" "keep.test/app +1 "
expect "images shows the manifest digest" "sha256:[0-9a-f]{12}"
k images --format json
expect "images --format json" '"digest": "sha256:[0-9a-f]{64}"'
k image inspect keep.test/app:1
expect "inspect shows the config" '"Entrypoint"'

krun keep.test/app:1
expect "Entrypoint + Cmd of the image" "^from-entrypoint default args$"
krun keep.test/app:1 other words
expect "arguments replace Cmd, not Entrypoint" "^from-entrypoint other words$"
krun --entrypoint /bin/sh keep.test/app:1 -c 'id -u; pwd; echo $GREETING'
expect "runs as the image's USER" "^1000$"
expect "WorkingDir applied" "^/home$"
expect "Env applied" "^hello$"
krun -e GREETING=bye --entrypoint /bin/sh keep.test/app:1 -c 'echo $GREETING'
expect "-e overrides the image's Env" "^bye$"
krun keep.test/plain true
expect "an image without USER gets a warning" "sets no USER"
krun keep.test/plain keep-probe write /etc/evil
expect "the image's root is read-only" "EROFS|Read-only"
krun keep.test/plain sh -c 'cat /proc/self/uid_map'
expect "container root is an unprivileged host uid" "^ +0 +[1-9][0-9]{5,} +65536"
krun --read-write keep.test/plain sh -c 'echo new > /etc/added && cat /etc/added'
expect "--read-write: writes land in a private layer" "^new$"
krun keep.test/plain sh -c 'test -e /etc/added && echo leaked || echo clean'
expect "--read-write writes are gone with the container" "^clean$"
if ! find "$KEEP_STORE/layers" -name added | grep -q .; then ok "the stored layers are untouched"; else fail "a write reached the store"; fi
$MK "$ROOTFS" "$T/stop.tar" keep.test/stop:1 --format oci --stop-signal SIGUSR1 \
  --cmd "sh -c 'trap \"echo got-usr1; exit 3\" USR1; echo ready; while :; do sleep 0.1; done'"
k load "$T/stop.tar"
"$KEEP" run keep.test/stop:1 >"$T/out" 2>&1 </dev/null &
kp=$!
for _ in $(seq 50); do grep -q ready "$T/out" && break; sleep 0.1; done
kill -TERM "$kp"; wait "$kp"
expect "StopSignal: SIGTERM to keep reaches the workload as SIGUSR1" "^got-usr1$"
krun keep.test/plain keep-probe syscall mount
expect "seccomp on for images too" "EPERM|ENOSYS"

# Layers: whiteouts and opaque directories, keyed by uncompressed digest.
$LAYER whiteout-base "$T/base.tar"; $LAYER whiteout-top "$T/top.tar"
$MK "$ROOTFS" "$T/wh.tar" keep.test/wh:1 --format oci --layer-tar "$T/base.tar" --layer-tar "$T/top.tar" --zstd
k load "$T/wh.tar"
expect "a zstd image with three layers loads" "Loaded image"
krun keep.test/wh:1 sh -c 'ls /opt/dir | tr "\n" " "; test -e /opt/gone && echo gone-still-there || echo gone-removed'
expect "opaque directory hides the lower layer" "^c gone-removed$"
# Many layers: kernels before 6.8 take them all as one fsconfig string of at
# most 255 characters, so keep names them by fd (/proc/self/fd/N); 21 such
# names (the base and 20 more) still exceed it, and keep refuses in one line
# naming the limit.  Newer kernels stack them.
many=()
for i in $(seq 20); do
  mkdir -p "$T/many$i/opt"; echo "$i" >"$T/many$i/opt/l$i"
  tar -C "$T/many$i" -cf "$T/many$i.tar" opt; many+=(--layer-tar "$T/many$i.tar")
done
$MK "$ROOTFS" "$T/many.tar" keep.test/many:1 --format oci "${many[@]}"
k load "$T/many.tar"
krun keep.test/many:1 sh -c 'cat /opt/l1 /opt/l20 | tr "\n" " "'
if grep -q "^1 20 $" "$T/out"; then
  ok "21 layers stack (lowerdir+)"
elif [ "$RC" -eq 125 ] && [ "$(grep -c "exceed the 255 characters fsconfig takes" "$T/out")" = 1 ]; then
  ok "21 layers on a kernel without lowerdir+: refused in one line naming the 255-character limit"
else
  fail "21 layers (exit $RC)"; sed 's/^/#   /' "$T/out" | head -20
fi
# The vfs driver (where overlayfs cannot be mounted): a merged tree, read-only.
krun --storage-driver vfs keep.test/wh:1 sh -c 'ls /opt/dir | tr "\n" " "; test -e /opt/gone && echo gone-still-there || echo gone-removed'
expect "vfs: whiteouts and opaque directories applied" "^c gone-removed$"
krun --storage-driver vfs keep.test/wh:1 keep-probe write /etc/evil
expect "vfs: the root is read-only" "EROFS|Read-only"
krun --storage-driver vfs --read-write keep.test/wh:1 true
expect_code "vfs with --read-write: refused" 125
expect "vfs with --read-write: says overlayfs is needed" "needs overlayfs"
if ls -d "$KEEP_STORE"/layers/*/vfs-* >/dev/null 2>&1; then ok "vfs: the merged tree is kept in the store"; else fail "no vfs tree"; fi
n_before=$(ls "$KEEP_STORE"/layers/*/ | wc -l)
$MK "$ROOTFS" "$T/same.tar" keep.test/same:1 --format docker
k load "$T/same.tar"
n_after=$(ls "$KEEP_STORE"/layers/*/ | wc -l)
if [ "$n_before" = "$n_after" ]; then ok "a layer shared by two images is unpacked once"; else fail "layers $n_before -> $n_after"; fi

# Device nodes in a layer are refused as root too: the unpacker runs as the
# container's mapped root, which cannot make them.
$LAYER device "$T/rdev.tar"; $MK "$ROOTFS" "$T/rdev-img.tar" keep.test/rdev:1 --format oci --layer-tar "$T/rdev.tar"
k load "$T/rdev-img.tar"
expect_code "a device node in a layer: refused as root" 125
expect "a device node in a layer: says why" "device nodes in a layer are refused"

# Setuid bits are kept (and useless: no_new_privs, no capabilities).
$LAYER setuid "$T/suid.tar"
$MK "$ROOTFS" "$T/suid-img.tar" keep.test/suid:1 --format oci --layer-tar "$T/suid.tar" --user 1000
k load "$T/suid-img.tar"
expect "load reports the setuid file" "note: .* keeps 1 setuid/setgid file\(s\), e.g. /usr/local/bin/suid"
k image inspect keep.test/suid:1
expect "inspect lists setuid files" '"/usr/local/bin/suid"'
krun keep.test/suid:1 sh -c 'ls -l /usr/local/bin/suid; /usr/local/bin/suid'
expect "setuid bit kept in the layer" "^-rwsr-xr-x"
expect "setuid does not raise privileges" "^1000$"

# Owners and modes exactly as the layer says, set-gid directories included.
$LAYER owners "$T/owners.tar"
$MK "$ROOTFS" "$T/owners-img.tar" keep.test/owners:1 --format oci --layer-tar "$T/owners.tar"
k load "$T/owners-img.tar"
krun keep.test/owners:1 sh -c 'cd /srv && stat -c "%n %u:%g %a" . root-file sub sub/user-file lnk /plain'
expect "a set-gid directory keeps its group and mode" "^\. 0:100 2775$"
expect "a file under it keeps its own group" "^root-file 0:0 644$"
expect "a directory under it does not inherit set-gid" "^sub 0:0 755$"
expect "a user's file keeps its owner" "^sub/user-file 1000:1000 644$"
expect "a symlink under it keeps its own group" "^lnk 0:0 777$"
expect "a root file keeps root" "^/plain 0:0 644$"

k verify
expect "verify: every blob matches" "^ok keep.test/app:1"
# Tamper with a stored config blob: use refuses it, verify names it.
cfg=$("$KEEP" image inspect keep.test/plain | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"].split(":")[1])')
chmod u+w "$KEEP_STORE/blobs/sha256/$cfg"; echo tampered >> "$KEEP_STORE/blobs/sha256/$cfg"
krun keep.test/plain true
expect_code "a tampered config blob: run refuses" 125
expect "the error says the blob is corrupt" "corrupt"
k verify keep.test/plain
expect_code "verify fails on the tampered image" 1
k rmi keep.test/plain keep.test/app:1
expect "rmi untags" "Untagged: .*keep.test/plain:latest"
expect "rmi reclaims unused blobs" "Reclaimed [1-9]"
k images
expect_not "removed images are gone" "keep.test/plain|keep.test/app"
k run keep.test/plain true
expect_code "running a removed image fails" 125
krun nosuch.example/image:1 true
expect "an unknown image: says how to get it" "keep pull"
one_line_error "an unknown image: one line"
# Rootless: the user's own store; layers owned by the user (the container's root).
if id keeptest >/dev/null 2>&1; then
  mkdir -p "$T/ustore"; chown keeptest "$T/ustore"
  $MK "$ROOTFS" "$T/u.tar" keep.test/mine:1 --format oci --cmd "sh -c 'head -1 /proc/self/uid_map; echo rootless-ok'"
  $LAYER device "$T/dev.tar"; $MK "$ROOTFS" "$T/udev.tar" keep.test/dev:1 --format oci --layer-tar "$T/dev.tar"
  chmod 644 "$T/u.tar" "$T/udev.tar"
  as_user() { RC=0; timeout 60 setpriv --reuid=keeptest --regid=keeptest --init-groups --reset-env \
    env KEEP_STORE="$T/ustore" HOME=/home/keeptest PATH=/usr/bin:/bin "$KEEP" "$@" >"$T/out" 2>&1 </dev/null || RC=$?; }
  as_user load "$T/u.tar"
  expect "rootless: load into the user's store" "Loaded image"
  as_user run --cgroups=off keep.test/mine:1
  expect "rootless: run the image" "^rootless-ok$"
  expect "rootless: container root is the user" "^ +0 +$(id -u keeptest) +1$"
  as_user load "$T/udev.tar"
  expect_code "rootless: a device node in a layer is refused" 125
  expect "rootless: says why" "device nodes in a layer are refused"
else
  skip "rootless images" "no keeptest user (tests/run creates it)"
fi

k rmi keep.test/wh:1 keep.test/many:1 keep.test/same:1 keep.test/suid:1 keep.test/stop:1 keep.test/fromdir:1 keep.test/owners:1
k gc
left=$(find "$KEEP_STORE/blobs" "$KEEP_STORE/tmp" "$KEEP_STORE/layers" -mindepth 2 -maxdepth 2 ! -name .empty ! -name .rw | wc -l)
if [ "$left" -eq 0 ]; then ok "after rmi of everything the store holds no blob or layer"; else fail "left in the store: $left"; find "$KEEP_STORE" -maxdepth 3 | sed 's/^/#   /'; fi
done_testing
