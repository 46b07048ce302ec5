#!/usr/bin/env bash
# Idmapped mounts in config.json (runtime-spec config.md, Mounts: the
# `idmap`/`ridmap` options and a mount's own uidMappings/gidMappings).  The
# container maps its 0..65535 to host 1000000000..; a volume whose files are
# stored as 0 and 1000 shows them as 0 and 1000 inside through an idmapped
# bind (65534, nobody, without one), and what container root writes there is
# stored as 0.  Every refusal is one line naming the field or the mount.
. "$SRCDIR/tests/lib.sh"
rootless && skip_all "idmapping a host filesystem needs root on the host"
oci_test_setup
fresh() { rm -f "$B/config.json"; k spec --bundle "$B"; }
orun() { RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" "$1" >"$T/out" 2>&1 </dev/null || RC=$?; }
# mnt DEST SOURCE OPTIONS [EXTRA-PYTHON-DICT-ITEMS]: append a mount.
mnt() { cfg 'c["mounts"].append(dict({"destination": "'"$1"'", "type": "bind", "source": "'"$2"'", "options": '"$3"'}'"${4:+, **$4}"'))'; }
args() { cfg 'c["process"]["args"] = ["sh", "-c", '"$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1")"']'; }
HOLDER=
trap 'umount -l "$T/tree/sub" 2>/dev/null; umount -R -l "$T/shr" 2>/dev/null; [ -z "$HOLDER" ] || kill -9 -- -$HOLDER 2>/dev/null' EXIT
# A container without a user namespace, on a root filesystem owned by root.
"$SRCDIR/tools/mkrootfs.sh" "$T/plainroot" >/dev/null
mkdir -p "$T/plainroot/vol"
no_userns() {
  cfg 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None)
c["root"]["path"] = "'"$T/plainroot"'"'
}

"$KEEP" features > "$T/out" 2>&1
python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
assert j["linux"]["mountExtensions"]["idmap"]["enabled"] is True and {"idmap", "ridmap"} <= set(j["mountOptions"])' "$T/out" &&
  ok "features: mountExtensions.idmap.enabled, and the idmap and ridmap options" || fail "features: idmap support reported"

# The volume: stored as root, with a file of uid/gid 1000.
V=$T/vol
mkdir -p "$V"
echo hi > "$V/f"
echo hi > "$V/g"
chown 1000:1000 "$V/g"
chmod 755 "$V"
# The mount points (the image's root directory is not container root's to write).
mkdir -p "$B/rootfs/vol" "$B/rootfs/tree" "$B/rootfs/hostproc" "$B/rootfs/late"

# --- idmap with the container's mappings
fresh
mnt /vol "$V" '["bind", "idmap"]'
args 'stat -c "f=%u:%g" /vol/f; stat -c "g=%u:%g" /vol/g; touch /vol/new && mkdir /vol/d && echo wrote; grep " /vol " /proc/self/mountinfo'
orun i1
expect_code "a container with an idmapped bind runs" 0
expect "a file stored as 0 is root's inside" "^f=0:0$"
expect "a file stored as 1000 is 1000 inside" "^g=1000:1000$"
expect "container root can write there" "^wrote$"
expect "the mount is idmapped" " /vol .*idmapped"
[ "$(stat -c %u:%g "$V/new" 2>/dev/null)" = 0:0 ] && [ "$(stat -c %u:%g "$V/d" 2>/dev/null)" = 0:0 ] &&
  ok "what container root created is stored as 0:0" || fail "what container root created is stored as 0:0 ($(stat -c %u:%g "$V/new" 2>&1))"
# The same bind without idmap: ids stored as the host's show as nobody.
fresh
mnt /vol "$V" '["bind"]'
args 'stat -c "f=%u:%g" /vol/f; touch /vol/new2 && echo wrote'
orun i2
expect "without idmap the file stored as 0 is nobody's" "^f=65534:65534$"
expect_not "and container root cannot write there" "^wrote$"

# --- a mount with mappings of its own: stored 500 is host 1000000000, which
# is container root; stored 1000 is host 1000001000, container 1000.
chown 500:500 "$V/f" "$V"
fresh
mnt /vol "$V" '["rbind", "idmap"]' '{"uidMappings": [{"containerID": 500, "hostID": 1000000000, "size": 1}, {"containerID": 1000, "hostID": 1000001000, "size": 1}], "gidMappings": [{"containerID": 500, "hostID": 1000000000, "size": 1}, {"containerID": 1000, "hostID": 1000001000, "size": 1}]}'
args 'stat -c "f=%u:%g" /vol/f; stat -c "g=%u:%g" /vol/g; stat -c "new=%u:%g" /vol/new; touch /vol/mine && echo wrote'
orun i3
expect_code "a mount with its own uidMappings and gidMappings runs" 0
expect "stored 500 is root inside, by the mount's mappings" "^f=0:0$"
expect "stored 1000 is 1000 inside" "^g=1000:1000$"
expect "stored 0, unmapped by them, is nobody's" "^new=65534:65534$"
expect "container root can write there" "^wrote$"
[ "$(stat -c %u:%g "$V/mine" 2>/dev/null)" = 500:500 ] && ok "what container root created is stored as 500:500" ||
  fail "what container root created is stored as 500:500 ($(stat -c %u:%g "$V/mine" 2>&1))"
# Mappings without the option still idmap (never ignored).
fresh
mnt /vol "$V" '["bind"]' '{"uidMappings": [{"containerID": 500, "hostID": 1000000000, "size": 1}], "gidMappings": [{"containerID": 500, "hostID": 1000000000, "size": 1}]}'
args 'stat -c "f=%u:%g" /vol/f'
orun i4
expect "uidMappings without idmap in options are applied" "^f=0:0$"
# With no user namespace a mount's own mappings still work.
fresh
no_userns
mnt /vol "$V" '["bind", "idmap"]' '{"uidMappings": [{"containerID": 500, "hostID": 7, "size": 1}], "gidMappings": [{"containerID": 500, "hostID": 8, "size": 1}]}'
args 'stat -c "f=%u:%g" /vol/f'
orun i5
expect_code "without a user namespace, a mount with its own mappings runs" 0
expect "and shows stored 500 as 7:8" "^f=7:8$"

# A user namespace joined by path: its mappings are the default.
setsid unshare --user --fork sleep 300 </dev/null >/dev/null 2>&1 &
HOLDER=$!
for i in $(seq 50); do NSPID=$(pgrep -P $HOLDER -x sleep) && break; sleep 0.1; done
if [ -n "${NSPID:-}" ] && echo "0 1000000000 65536" > /proc/$NSPID/uid_map && echo "0 1000000000 65536" > /proc/$NSPID/gid_map; then
  fresh
  cfg 'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$NSPID"'/ns/user") if n["type"] == "user" else n for n in c["linux"]["namespaces"]]'
  mnt /vol "$V" '["bind", "idmap"]'
  args 'stat -c "g=%u:%g" /vol/g'
  orun j1
  expect_code "idmap in a joined user namespace runs" 0
  expect "with that namespace's mappings" "^g=1000:1000$"
else
  fail "a process in a user namespace of its own, to join"
fi
kill -9 -- -$HOLDER 2>/dev/null; wait $HOLDER 2>/dev/null; HOLDER=

# A source that a createRuntime hook makes (the trees are prepared after the hooks).
fresh
cfg 'c["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "mkdir '"$T/late"' && echo x > '"$T/late/x"'"]}]}'
mnt /late "$T/late" '["bind", "idmap"]'
args 'stat -c "x=%u" /late/x'
orun h1
expect_code "an idmapped mount of what a createRuntime hook made runs" 0
expect "and is idmapped" "^x=0$"

# --- ridmap over a tree with a submount (a tmpfs, which can be idmapped too)
mkdir -p "$T/tree/sub"
echo top > "$T/tree/top"
chmod 755 "$T/tree"
mount -t tmpfs -o mode=0755,size=1m tmpfs "$T/tree/sub"
echo s > "$T/tree/sub/s"
fresh
mnt /tree "$T/tree" '["rbind", "ridmap"]'
args 'stat -c "top=%u" /tree/top; stat -c "sub=%u" /tree/sub/s; touch /tree/sub/w && echo wrote'
orun r1
expect_code "rbind with ridmap runs" 0
expect "the top of the tree is idmapped" "^top=0$"
expect "so is the submount" "^sub=0$"
expect "which container root can write" "^wrote$"
fresh
mnt /tree "$T/tree" '["rbind", "idmap"]'
args 'stat -c "top=%u" /tree/top; stat -c "sub=%u" /tree/sub/s'
orun r2
expect "rbind with idmap: the top is idmapped" "^top=0$"
expect "but not the submount" "^sub=65534$"
umount "$T/tree/sub"

# A source on a shared host mount: the idmapped tree is made private, so a
# mount the container makes inside it never shows up on the host.
mkdir -p "$T/shr/sub" "$B/rootfs/shr"
chmod 755 "$T/shr"
mount --bind "$T/shr" "$T/shr" && mount --make-shared "$T/shr"
fresh
mnt /shr "$T/shr" '["bind", "idmap"]'
cfg 'c["mounts"].append({"destination": "/shr/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]})'
args 'grep -q " /shr/sub " /proc/self/mountinfo && echo inside; sleep 2'
orun_bg() { "$KEEP" --root "$R" run --bundle "$B" "$1" >"$T/out" 2>&1 </dev/null & }
orun_bg p1
sleep 1
grep " $T/shr/sub " /proc/self/mountinfo > "$T/host" 2>&1
wait
expect "the container mounted over its idmapped bind" "^inside$"
[ -s "$T/host" ] && fail "that mount did not propagate to the host's shared source: $(cat "$T/host")" ||
  ok "that mount did not propagate to the host's shared source"
umount -R "$T/shr" 2>/dev/null

# --- refusals: one line, naming the field or the mount
refused() { # NAME PATTERN: the last run failed with one line matching
  expect_code "$1: refused" 125
  expect "$1: the error names it" "$2"
  [ "$(grep -c . "$T/out")" -eq 1 ] && ok "$1: one line" || fail "$1: one line"
}
fresh
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["mounts"]))' "$B/config.json")
mnt /vol "$V" '["bind", "idmap"]' '{"uidMappings": [{"containerID": 0, "hostID": 1000000000, "size": 1}]}'
orun e1
refused "uidMappings without gidMappings" "mounts\[$n\]\.gidMappings: required"
fresh
mnt /vol "$V" '["bind", "idmap"]' '{"uidMappings": [{"containerID": 0, "hostID": 1000000000, "size": 0}], "gidMappings": [{"containerID": 0, "hostID": 1000000000, "size": 1}]}'
orun e2
refused "a mapping of size 0" "mounts\[$n\]\.uidMappings\[0\]\.size"
fresh
mnt /vol "$V" '["bind", "idmap"]' '{"uidMappings": [{"containerID": 0, "hostID": 1000000000, "size": 10}, {"containerID": 5, "hostID": 2000000000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000000000, "size": 1}]}'
orun e3
refused "overlapping mappings" "mounts\[$n\]\.uidMappings\[1\]: overlaps"
fresh
mnt /vol "$V" '["bind", "idmap"]' '{"uidMappings": [{"containerID": 4294967295, "hostID": 1, "size": 2}], "gidMappings": [{"containerID": 0, "hostID": 1000000000, "size": 1}]}'
orun e4
refused "a range past 2^32" "mounts\[$n\]\.uidMappings\[0\]"
fresh
cfg 'c["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]})'
orun e5
refused "idmap on a tmpfs mount" "mounts\[$n\]\.options: idmapped mounts are supported for bind mounts only"
fresh
mnt /vol "$V" '["bind", "idmap=uids=0-1000000000-10"]'
orun e6
refused "mappings inside the option" "mounts\[$n\]\.options\[1\]"
fresh
mnt /vol "$V" '["bind", "idmap", "ridmap"]'
orun e7
refused "idmap and ridmap together" "mounts\[$n\]\.options\[2\]"
fresh
no_userns
mnt /vol "$V" '["bind", "idmap"]'
orun e8
refused "idmap without mappings or a user namespace" "mounts\[$n\]\.options: .idmap. without uidMappings and gidMappings needs a user namespace"
# A filesystem that cannot be idmapped (procfs): the mount and the syscall.
fresh
mnt /hostproc /proc '["rbind", "idmap"]'
orun e9
refused "idmap on procfs" "mounts\[$n\].*idmap \`/proc\` on \`/hostproc\`: mount_setattr\(MOUNT_ATTR_IDMAP\)"

# Without root on the host: refused before anything is made.
if id keeptest >/dev/null 2>&1; then
  RB=$T/rl
  mkdir -p "$RB"
  "$SRCDIR/tools/mkrootfs.sh" "$RB/rootfs" >/dev/null
  mkdir -p "$RB/rootfs/vol"
  chown -R keeptest "$RB"
  su keeptest -s /bin/sh -c "'$KEEP' spec --rootless --bundle '$RB'" >"$T/out" 2>&1
  B=$RB mnt /vol "$V" '["bind", "idmap"]'
  RC=0; su keeptest -s /bin/sh -c "XDG_RUNTIME_DIR='$RB' '$KEEP' --root '$RB/state' run --bundle '$RB' rl" >"$T/out" 2>&1 </dev/null || RC=$?
  refused "idmap without root on the host" "mounts\[[0-9]+\]: an idmapped mount needs keep to run as root"
else
  skip "idmap without root on the host" "no keeptest user"
fi

# Nothing left: no container, no holder of a throwaway user namespace (it
# would carry keep's command line, with this state directory in it).
sleep 0.2
left=$(pgrep -f -- "--root $R" || true)
[ -z "$left" ] && ok "no process left behind" || fail "no process left behind: $left"
# A run with a mount's own mappings spawns a holder each time: count them.
fresh
mnt /vol "$V" '["bind", "idmap"]' '{"uidMappings": [{"containerID": 500, "hostID": 1000000000, "size": 1}], "gidMappings": [{"containerID": 500, "hostID": 1000000000, "size": 1}]}'
args 'sleep 2'
orun_bg bg
sleep 1
kids=$(pgrep -f -- "--root $R run" | wc -l)
wait
[ "$kids" -eq 1 ] && ok "while the container runs only keep itself is left of the run" ||
  fail "while the container runs only keep itself is left of the run ($kids: $(pgrep -af -- "--root $R"))"
for c in $(k list -q 2>/dev/null); do k delete --force "$c" >/dev/null 2>&1; done
done_testing
