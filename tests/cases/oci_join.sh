#!/usr/bin/env bash
# OCI configs that join existing namespaces by path (user and mount ones,
# which keep must enter before it creates the others), and a config without
# a process (allowed at create, refused at start).
. "$SRCDIR/tests/lib.sh"
rootless && skip_all "joining another process's namespaces needs root"
oci_test_setup
fresh() { rm -f "$B/config.json"; k spec --bundle "$B"; }
orun() { RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" "$1" >"$T/out" 2>&1 </dev/null || RC=$?; }
HOLDERS=()
# hold NAME UNSHARE-ARGS...: a process sitting in new namespaces; sets NSPID.
hold() {
  setsid unshare "$@" --fork sleep 300 </dev/null >/dev/null 2>&1 &
  HOLDERS+=($!)
  local i
  for i in $(seq 50); do
    NSPID=$(pgrep -P $! -x sleep) && return 0
    sleep 0.1
  done
  return 1
}
trap 'for p in "${HOLDERS[@]}"; do kill -9 -- -$p 2>/dev/null; done' EXIT

# --- a config without process: create works, start refuses, the container stops
fresh
cfg 'del c["process"]'
RC=0; k create --bundle "$B" np >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "create without process succeeds (process is needed only at start)" 0
k state np >"$T/out" 2>&1
expect "it is created" '"status": "created"'
RC=0; k start np >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "start without process fails" 125
expect "the error names process" "config.json: process: not set"
for i in $(seq 50); do k state np 2>/dev/null | grep -q '"stopped"' && break; sleep 0.1; done
k state np >"$T/out" 2>&1
expect "and the container is stopped" '"status": "stopped"'
RC=0; k delete np >"$T/out" 2>&1 || RC=$?
expect_code "then delete cleans it up" 0
fresh
cfg 'del c["process"]'
orun np2
expect_code "run without process: an error" 125
expect "naming process" "config.json: process: not set"

# --- joining a mount namespace by path (no user namespace, as the
# conformance suite runs): the container is in that very namespace.
"$SRCDIR/tools/mkrootfs.sh" "$T/plainroot" >/dev/null
no_userns='c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None)
c["root"]["path"] = "'"$T/plainroot"'"'
hold --mount --propagation private
mntns=$(readlink /proc/$NSPID/ns/mnt)
fresh
cfg "$no_userns"'
c["linux"]["namespaces"] = [dict(n, path="/proc/'"$NSPID"'/ns/mnt") if n["type"] == "mount" else n for n in c["linux"]["namespaces"]]
c["process"]["args"] = ["readlink", "/proc/self/ns/mnt"]'
orun j1
expect_code "a container joining a mount namespace runs" 0
expect "it is in the mount namespace it named" "^${mntns//[\[\]]/.}\$"
[ "$(readlink /proc/self/ns/mnt)" != "$mntns" ] && ok "and that is not the host's" || fail "and that is not the host's"

# A mount namespace owned by the host's user namespace cannot be entered
# from a new user namespace: a clear error, nothing left.
fresh
cfg 'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$NSPID"'/ns/mnt") if n["type"] == "mount" else n for n in c["linux"]["namespaces"]]'
orun j2
expect_code "a host-owned mount namespace with a new user namespace: refused" 125
expect "naming the namespace and why" "mount namespace \`/proc/$NSPID/ns/mnt\` cannot be joined.*user namespace that owns it"

fresh
cfg 'c["linux"]["namespaces"] = [dict(n, path="/nonexistent/mnt") if n["type"] == "mount" else n for n in c["linux"]["namespaces"]]'
orun j3
expect_code "a mount namespace path that does not exist: refused" 125
expect "naming the path" "mount namespace \`/nonexistent/mnt\`"

# A user namespace whose root is the bundle's owner, mapped by host root.
hold_userns() {
  hold --user "$@" || return 1
  echo "0 1000000000 65536" > /proc/$NSPID/uid_map && echo "0 1000000000 65536" > /proc/$NSPID/gid_map
}

# --- joining a user namespace by path: keep becomes its root, and the new
# pid, ipc, uts and mount namespaces it creates belong to it.
if hold_userns; then
  userns=$(readlink /proc/$NSPID/ns/user)
  fresh
  cfg 'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$NSPID"'/ns/user") if n["type"] == "user" else n for n in c["linux"]["namespaces"]]
c["process"]["user"] = {"uid": 1000, "gid": 1000}
c["process"]["args"] = ["sh", "-c", "readlink /proc/self/ns/user; cat /proc/self/uid_map; echo pid=$$; id -u"]'
  orun u1
  expect_code "a container joining a user namespace runs" 0
  expect "it is in the user namespace it named" "^${userns//[\[\]]/.}\$"
  expect "whose map is the holder's" "^ +0 +1000000000 +65536"
  expect "with a pid namespace of its own" "^pid=1$"
  expect "as the user the config names" "^1000$"
  # The config's mappings must describe the namespace it joins.
  fresh
  cfg 'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$NSPID"'/ns/user") if n["type"] == "user" else n for n in c["linux"]["namespaces"]]
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 2000000000, "size": 65536}]'
  orun u2
  expect_code "uidMappings that do not match the joined namespace: refused" 125
  expect "naming the field" "linux.uidMappings: do not match the user namespace"
  # Both by path: the mount namespace of that user namespace.
  fresh
  kill -9 -- -"${HOLDERS[-1]}"
  hold_userns --mount
  mntns=$(readlink /proc/$NSPID/ns/mnt)
  cfg 'c["linux"]["namespaces"] = [dict(n, path="/proc/'"$NSPID"'/ns/" + ("mnt" if n["type"] == "mount" else "user")) if n["type"] in ("user", "mount") else n for n in c["linux"]["namespaces"]]
c["process"]["args"] = ["readlink", "/proc/self/ns/mnt"]'
  orun u3
  expect_code "joining a user namespace and its mount namespace" 0
  expect "the container is in that mount namespace" "^${mntns//[\[\]]/.}\$"
else
  fail "a process in a user namespace of its own, to join"
fi
for k in $(k list -q 2>/dev/null); do k delete --force "$k" >/dev/null 2>&1; done
done_testing
