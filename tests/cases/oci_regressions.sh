#!/usr/bin/env bash
# Bugs the runtime-tools conformance suite found in keep's OCI mode, each a
# test that failed before its fix.
. "$SRCDIR/tests/lib.sh"
oci_test_setup
"$SRCDIR/tools/mkrootfs.sh" "$T/plainroot" >/dev/null
fresh() { rm -f "$B/config.json"; k spec --bundle "$B"; }
# As the conformance suite runs: no user namespace (real root, host ids).
no_userns='c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None)'
orun() { RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" "$1" >"$T/out" 2>&1 </dev/null || RC=$?; }

# A command without its container ID: a usage error, not a crash.
for c in start state pause resume create run kill delete ps; do
  RC=0; "$KEEP" --root "$R" $c >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "keep $c without an ID: 125, not a crash" 125
done

# A seccomp profile without close_range, and no no_new_privs (the filter
# goes in early): keep closes its descriptors before loading it.
fresh
cfg 'c["process"]["noNewPrivileges"] = False
s = c["linux"]["seccomp"]
for r in s["syscalls"]:
    r["names"] = [n for n in r["names"] if n != "close_range"]
c["process"]["args"] = ["echo", "started"]'
orun sc1
expect "a profile without close_range: the container starts" "^started$"

# The source of a non-bind mount is what mountinfo shows.
fresh
cfg 'c["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "keepsrc", "options": ["nosuid", "size=64k"]})
c["process"]["args"] = ["grep", " /mnt ", "/proc/self/mountinfo"]'
orun m1
expect "a tmpfs mount shows its source" " /mnt .* - tmpfs keepsrc "
# atime options on a bind mount (a user namespace locks them: the
# conformance suite runs without one).
fresh
cfg "$no_userns"'
c["root"]["path"] = "'"$T/plainroot"'"
c["mounts"].append({"destination": "/srv", "type": "bind", "source": "/etc", "options": ["rbind", "ro", "noatime"]})
c["process"]["args"] = ["grep", " /srv ", "/proc/self/mountinfo"]'
orun m2
expect "a bind mount with noatime starts, and is noatime" " /srv [^ ]*noatime"

# linux.devices fileMode exactly as asked, not reduced by the umask.
fresh
cfg "$no_userns"'
c["root"]["path"] = "'"$T/plainroot"'"
c["linux"]["devices"] = [{"path": "/dev/kzero", "type": "c", "major": 1, "minor": 5, "fileMode": 432, "uid": 0, "gid": 0}]
c["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rw"}]}
c["process"]["args"] = ["sh", "-c", "stat -c %a /dev/kzero; echo ok > /dev/null && echo null-ok"]'
orun d1
expect "fileMode 0660 stays 0660" "^660$"
expect "a deny-all device rule still leaves the default /dev nodes usable" "^null-ok$"

# The keep process that waits for a container survives the container's
# attempts to kill or ptrace it, even without a pid namespace of its own
# (the container sees keep, but as another user, and keep is not dumpable).
fresh
cfg 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]
c["mounts"] = [{"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind", "nosuid", "nodev", "noexec"]} if m["destination"] == "/proc" else m for m in c["mounts"]]
c["process"]["args"] = ["sh", "-c", "for p in /proc/[0-9]*; do grep -qx keep $p/comm 2>/dev/null || continue; keep-probe kill ${p#/proc/} 9; keep-probe ptrace-pid ${p#/proc/}; done; echo attacks-done"]'
orun p1
expect_code "the container's attacks on keep: keep lives and reports exit 0" 0
expect "the container could see keep (no pid namespace)" "^kill denied"
expect_not "kill of keep never succeeded" "^kill ok"
expect_not "ptrace of keep never succeeded" "^ptrace ok"
expect "and the container finished" "^attacks-done$"

# process.oomScoreAdj in a user namespace: the container's /proc files belong
# to host root (it is not dumpable), so keep sets it from outside.
fresh
cfg 'c["process"]["oomScoreAdj"] = 100
c["process"]["args"] = ["cat", "/proc/self/oom_score_adj"]'
orun o1
expect_code "oomScoreAdj with a user namespace: the container starts" 0
expect "oomScoreAdj: the container process has it" "^100$"
cfg 'c["process"]["args"] = ["sleep", "30"]'
k create --bundle "$B" o2 >"$T/out" 2>&1 </dev/null && k start o2
python3 - "$B/config.json" "$T/proc.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["process"]
p["args"] = ["cat", "/proc/self/oom_score_adj"]; p["oomScoreAdj"] = 200
json.dump(p, open(sys.argv[2], "w"))
PY
RC=0; k exec --process "$T/proc.json" o2 >"$T/out" 2>&1 </dev/null || RC=$?
expect "oomScoreAdj: an exec'd process has its own" "^200$"
k delete --force o2

# keep gc leaves OCI containers alone: their manager owns them.
fresh
cfg 'c["process"]["args"] = ["sleep", "30"]'
k create --bundle "$B" g1 >"$T/out" 2>&1 </dev/null && k start g1
"$KEEP" gc >/dev/null 2>&1
k state g1 >"$T/out" 2>&1
expect "keep gc does not touch a running OCI container" '"status": "running"'
k delete --force g1

# Failing poststart and poststop hooks are warnings: the remaining hooks
# still run and the lifecycle goes on (runtime.md).
fresh
cat > "$T/marker.sh" <<'SH'
#!/bin/sh
echo "$1" >> "$2"
SH
chmod +x "$T/marker.sh"
cfg "c['process']['args'] = ['sleep', '30']
c['hooks'] = {k: [{'path': '/bin/false'}, {'path': '$T/marker.sh', 'args': ['marker', k, '$T/ran']}] for k in ['poststart', 'poststop']}"
k create --bundle "$B" h1 >/dev/null 2>&1 </dev/null
RC=0; k start h1 >"$T/out" 2>&1 || RC=$?
expect_code "a failing poststart hook: start still succeeds" 0
expect "the failing poststart hook is a warning" "warning: poststart hook 0"
k state h1 >"$T/out" 2>&1
expect "the container runs" '"status": "running"'
RC=0; k delete --force h1 >"$T/out" 2>&1 || RC=$?
expect_code "a failing poststop hook: delete still succeeds" 0
expect "the failing poststop hook is a warning" "warning: poststop hook 0"
check "the hooks after the failing ones ran" test "$(tr '\n' ' ' < "$T/ran")" = "poststart poststop "
check "delete removed the container" test ! -e "$R/h1"

# A capability outside keep's own bounding set fails create, not the
# container after start.
fresh
cfg 'c["process"]["args"] = ["true"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = ["CAP_SYS_TIME"]'
RC=0; setpriv --bounding-set -sys_time "$KEEP" --root "$R" create --bundle "$B" cap1 >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "a capability keep cannot grant: create fails" 125
expect "the error names the capability and the set" "process.capabilities.bounding: CAP_SYS_TIME is not in keep's own bounding set"
check "nothing is left of it" test ! -e "$R/cap1"

# A root on a shared mount (as under dockerd): the clone keep makes of it
# must be private, or pivot_root refuses it.  keep run and run --bundle.
mkdir -p "$T/shared"
mount -t tmpfs tmpfs "$T/shared" && mount --make-shared "$T/shared"
mkdir -p "$T/shared/b" && cp -a "$B/rootfs" "$T/shared/b/rootfs"
fresh
cfg 'c["process"]["args"] = ["echo", "shared-ok"]'
cp "$B/config.json" "$T/shared/b/config.json"
RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$T/shared/b" sh1 >"$T/out" 2>&1 </dev/null || RC=$?
expect "run --bundle of a root on a shared mount" "^shared-ok$"
"$SRCDIR/tools/mkrootfs.sh" "$T/shared/plain" >/dev/null
RC=0; timeout 30 "$KEEP" run "$T/shared/plain" echo shared-ok >"$T/out" 2>&1 </dev/null || RC=$?
expect "keep run of a root on a shared mount" "^shared-ok$"
umount -l "$T/shared"
# An attached `run --bundle` blocks the signals it forwards: the container's
# process must not inherit that mask (a blocked SIGTERM made it unstoppable).
fresh
cfg 'c["process"]["args"] = ["grep", "^SigBlk", "/proc/self/status"]'
orun sig1
expect "run --bundle: the process has no blocked signal" "^SigBlk:[[:space:]]+0+$"
# A new network namespace gets its loopback up, as runc and crun do.
fresh
cfg 'c["process"]["args"] = ["cat", "/sys/class/net/lo/operstate", "/sys/class/net/lo/flags"]'
orun lo1
expect "run --bundle: loopback is up in a new network namespace" "^0x9$"

done_testing
