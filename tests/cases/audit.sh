#!/usr/bin/env bash
# keep audit config: section 5 of the CIS Docker Benchmark v1.6.0 on
# config.json files that each carry one planted weakness, on keep spec's
# clean default, and on a running keep run container; table, JSON, SARIF.
. "$SRCDIR/tests/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to edit config.json"
mkroot
k() { RC=0; "$KEEP" "$@" >"$T/out" 2>&1 </dev/null || RC=$?; }
B=$T/b
mkdir -p "$B"
(cd "$B" && "$KEEP" spec)

k audit config "$B"
expect_code "keep spec's config: nothing at warn or above (exit 0)" 0
expect "the table ends with the counts" "^0 fail, 0 warn, [0-9]+ info, [0-9]+ pass$"
expect "it lists the seccomp check as passed" "^5\.22 +pass"

# plant NAME ID LEVEL PYTHON: the config with one weakness is found, with
# its id and level, and fails the audit.
plant() {
  cp "$B/config.json" "$T/c.json"
  python3 - "$T/c.json" "$4" <<'PY'
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p))
exec(code)
json.dump(c, open(p, "w"))
PY
  k audit config --format json "$T/c.json"
  local rc=$RC
  python3 - "$T/out" "$2" "$3" > "$T/found" 2>&1 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
hit = [x for x in f if x["id"] == sys.argv[2] and x["level"] == sys.argv[3]]
others = [x for x in f if x["level"] in ("warn", "fail") and x["id"] != sys.argv[2]]
print("found" if hit else "missing", "; others:", ", ".join(x["id"] for x in others) or "none")
PY
  if grep -q "^found ; others: none" "$T/found" && [ "$rc" -eq 1 ]; then ok "$1: $2 $3"; else fail "$1: wanted $2 $3 alone and exit 1 (exit $rc): $(cat "$T/found")"; fi
}
caps() { echo 'for s in ("bounding", "effective", "permitted"): c["process"]["capabilities"][s] = '"$1"; }
plant "CAP_SYS_ADMIN added" 5.4 fail "$(caps '["CAP_SYS_ADMIN"]')"
plant "CAP_NET_BIND_SERVICE added" 5.4 warn "$(caps '["CAP_NET_BIND_SERVICE"]')"
plant "/etc of the host mounted writable" 5.6 fail 'c["mounts"].append({"destination": "/host", "type": "bind", "source": "/etc", "options": ["rbind", "rw"]})'
plant "the Docker socket mounted" 5.32 fail 'c["mounts"].append({"destination": "/d.sock", "type": "bind", "source": "/var/run/docker.sock", "options": ["bind"]})'
plant "the host's network" 5.10 warn 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
plant "no memory limit" 5.11 warn 'del c["linux"]["resources"]["memory"]'
plant "no CPU quota" 5.12 warn 'del c["linux"]["resources"]["cpu"]'
plant "no pids limit" 5.29 warn 'del c["linux"]["resources"]["pids"]'
plant "a writable root" 5.13 warn 'c["root"]["readonly"] = False'
plant "the host's pid namespace" 5.16 fail 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
plant "the host's ipc namespace" 5.17 warn 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "ipc"]'
plant "the host's uts namespace" 5.21 warn 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "uts"]; c.pop("hostname", None)'
plant "no user namespace" 5.31 warn 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("uidMappings"); c["linux"].pop("gidMappings")'
plant "no seccomp profile" 5.22 fail 'del c["linux"]["seccomp"]'
plant "no_new_privs off" 5.26 warn 'c["process"]["noNewPrivileges"] = False'
plant "shared root propagation" 5.20 warn 'c["linux"]["rootfsPropagation"] = "rshared"'
plant "a host block device" 5.18 warn 'c["linux"]["devices"] = [{"path": "/dev/sda", "type": "b", "major": 8, "minor": 0}]'
plant "no masked paths" K.3 warn 'del c["linux"]["maskedPaths"]'

# Inheritable and ambient capabilities (CVE-2022-24769).
cp "$B/config.json" "$T/a.json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["process"]["capabilities"]["ambient"]=c["process"]["capabilities"]["inheritable"]=["CAP_CHOWN"]; json.dump(c, open(sys.argv[1],"w"))' "$T/a.json"
k audit config "$T/a.json"
expect "ambient and inheritable capabilities: K.1 warn" "^K\.1 +warn"

# Every capability and no filter: privileged in all but name.
cp "$B/config.json" "$T/p.json"
python3 - "$T/p.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
names = ["CAP_" + n for n in "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ".split()]
for s in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][s] = names
del c["linux"]["seccomp"]
json.dump(c, open(sys.argv[1], "w"))
PY
k audit config "$T/p.json"
expect "every capability: privileged (5.5 fail)" "^5\.5 +fail"

# --fail-on: a warning alone passes when only failures count.
cp "$B/config.json" "$T/w.json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["root"]["readonly"]=False; json.dump(c, open(sys.argv[1],"w"))' "$T/w.json"
k audit config --fail-on fail "$T/w.json"
expect_code "--fail-on fail: a warning alone exits 0" 0
k audit config --fail-on info "$B"
expect_code "--fail-on info: the host's missing AppArmor counts" 1

# SARIF for code-scanning tools: version 2.1.0, one result per finding.
k audit config --format sarif "$T/w.json"
cp "$T/out" "$T/sarif.json"
check "SARIF: 2.1.0 with the writable root as a warning" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "2.1.0"
r = s["runs"][0]["results"]
assert any(x["ruleId"] == "5.13" and x["level"] == "warning" for x in r), r' "$T/sarif.json"

# A running keep run container, by its id: the document it runs.
# Found by a variable only it has: other people's containers may be newer.
timeout 30 "$KEEP" run --security-opt landlock=off --cap-add NET_RAW -e "AUDIT_MARK=$T" "$ROOTFS" sleep 6 >/dev/null 2>&1 &
bg=$!; id=
for _ in $(seq 100); do
  cfg=$(grep -l "AUDIT_MARK=$T\"" "${XDG_RUNTIME_DIR:-/run}"/keep/*/config.json 2>/dev/null | head -1)
  [ -n "$cfg" ] && { id=$(basename "$(dirname "$cfg")"); break; }
  sleep 0.1
done
k audit config --format json "$id"
cp "$T/out" "$T/running.json"
check "a keep run container by id: Landlock off (K.2) and NET_RAW (5.4) found" python3 -c '
import json, sys
f = {(x["id"], x["level"]) for x in json.load(open(sys.argv[1]))}
assert ("K.2", "warn") in f and ("5.4", "warn") in f and ("5.22", "pass") in f, f' "$T/running.json"
wait $bg

# keep audit host on this host: it runs, and every check is there.
k audit host --format json
cp "$T/out" "$T/out.host"
check "audit host: every check of this host" python3 -c '
import json, sys
ids = {x["id"] for x in json.load(open(sys.argv[1]))}
assert {"1.1.2", "3.16", "H.1", "H.2", "H.3", "H.4", "H.5", "H.6", "H.7", "H.8", "H.9", "H.10", "H.11"} <= ids, ids' "$T/out.host"
# A host tree with a planted problem of each kind (--root DIR).
H=$T/host
mkdir -p "$H/etc" "$H/proc/sys/user" "$H/proc/sys/kernel/seccomp" "$H/sys/kernel/security" "$H/run/keep" "$H/var/lib/keep" "$H/var/run"
printf 'root:x:0:\ndocker:x:999:alice,bob\n' > "$H/etc/group"
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\nsvc:x:1001:1001::/:/usr/sbin/nologin\n' > "$H/etc/passwd"
echo 0 > "$H/proc/sys/user/max_user_namespaces"
echo "kill_thread trap" > "$H/proc/sys/kernel/seccomp/actions_avail"
echo "capability,landlock" > "$H/sys/kernel/security/lsm"
chmod 0777 "$H/run/keep"; chmod 0711 "$H/var/lib/keep"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$H/var/run/docker.sock"
chmod 0666 "$H/var/run/docker.sock"
k audit host --root "$H" --format json
cp "$T/out" "$T/host.json"
expect_code "a host with planted problems: exit 1" 1
for want in "1.1.2 warn" "3.16 fail" "H.1 fail" "H.2 fail" "H.3 warn" "H.6 info" "H.7 info" "H.8 fail" "H.9 info" "H.11 warn"; do
  check "host: $want" python3 -c '
import json, sys
i, l = sys.argv[2].split()
assert any(x["id"] == i and x["level"] == l for x in json.load(open(sys.argv[1]))), sys.argv[2]' "$T/host.json" "$want"
done
check "host: group members and the socket are named" grep -q 'alice,bob' "$T/host.json"
check "host: the login user without a range is named, the service user is not" sh -c "grep -q '1 without one: alice' '$T/host.json'"
check "host: cgroup v1 cannot delegate: alice's rootless containers run without limits" \
  grep -q 'nothing can be delegated; rootless containers of alice run without cgroup limits' "$T/host.json"
# The same tree with the problems fixed passes.
printf 'root:x:0:\ndocker:x:999:\n' > "$H/etc/group"; chmod 0660 "$H/var/run/docker.sock"
echo 1000 > "$H/proc/sys/user/max_user_namespaces"; echo "kill_process kill_thread trap errno user_notif trace log allow" > "$H/proc/sys/kernel/seccomp/actions_avail"
echo "capability,landlock,apparmor" > "$H/sys/kernel/security/lsm"; chmod 0700 "$H/run/keep"
mkdir -p "$H/sys/fs/cgroup"; touch "$H/sys/fs/cgroup/cgroup.controllers"; printf 'keep:1000000000:65536\nalice:100000:65536\n' > "$H/etc/subuid"
# cgroup v2, with systemd's delegation to alice: her user@1000.service is hers.
U=$H/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service
mkdir -p "$U"; echo "cpuset cpu io memory pids" > "$U/cgroup.controllers"; touch "$U/cgroup.procs" "$U/cgroup.subtree_control"
chown -R 1000 "$U"
k audit host --root "$H"
expect_code "the fixed host tree: exit 0" 0
expect "the fixed host tree: nothing at warn or above" "^0 fail, 0 warn, 0 info, [0-9]+ pass$"
# host_h11 LEVEL WORDS: H.11 alone at LEVEL, its detail holding WORDS.
host_h11() {
  k audit host --root "$H" --format json
  python3 - "$T/out" "$1" "$2" <<'PY'
import json, sys
f = [x for x in json.load(open(sys.argv[1])) if x["id"] == "H.11"]
assert len(f) == 1 and f[0]["level"] == sys.argv[2] and sys.argv[3] in f[0]["detail"], f
PY
}
check "cgroup v2, delegated: H.11 pass, alice named" host_h11 pass "memory, pids and cpu delegated to: alice"
chown 0 "$U/cgroup.procs"
check "v2, user@1000.service not the user's: H.11 warn" host_h11 warn "\`alice\` (uid 1000): not delegated (cgroup.procs not the user's)"
chown 1000 "$U/cgroup.procs"; echo "cpuset io memory pids" > "$U/cgroup.controllers"
check "v2, cpu not delegated: H.11 warn naming it" host_h11 warn "controllers not delegated: cpu"
rm -rf "$H/sys/fs/cgroup/user.slice"
check "v2, alice not logged in: H.11 info, nothing to check" host_h11 info "no user session now, so nothing to check, for: alice (uid 1000)"
k audit host --root "$T/nothing-here"
expect_code "audit host --root of a missing directory: 125" 125

# keep audit run: the document keep run would run with these flags, before
# anything runs.
k audit run -- "$ROOTFS" true
expect_code "audit run with keep run's defaults: nothing at warn or above" 0
k audit run --format json -- --cap-add SYS_ADMIN --security-opt seccomp=unconfined --network host --read-write \
  --security-opt landlock=off "$ROOTFS" true
cp "$T/out" "$T/run.json"
expect_code "audit run with weakened flags: exit 1" 1
for want in "5.4 fail" "5.22 fail" "5.10 warn" "5.13 warn" "K.2 warn"; do
  check "audit run: $want" python3 -c '
import json, sys
i, l = sys.argv[2].split()
assert any(x["id"] == i and x["level"] == l for x in json.load(open(sys.argv[1]))), sys.argv[2]' "$T/run.json" "$want"
done
k audit run -- --memory abc "$ROOTFS" true
expect_code "audit run with a bad flag: 125, as keep run" 125

# keep audit image: a clean image, and one with a planted problem of each
# kind, in a store of the test's own.
export KEEP_STORE=$T/store
"$SRCDIR/tools/mkrootfs.sh" "$T/clean" >/dev/null
python3 "$SRCDIR/tools/mkimage.py" "$T/clean" "$T/clean.tar" keep.test/clean:1 --user 1000:1000 --healthcheck "true" --format oci >/dev/null
k load -i "$T/clean.tar"
k audit image --format json keep.test/clean:1
cp "$T/out" "$T/clean.json"
check "a clean image: nothing at warn or above but 4.5 (loaded: no signature checked)" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
assert [(x["id"], x["level"]) for x in f if x["level"] in ("warn", "fail")] == [("4.5", "warn")], f
assert any(x["id"] == "4.5" and "loaded from" in x["detail"] for x in f), f' "$T/clean.json"
k audit image --fail-on fail keep.test/clean:1
expect_code "a clean image: --fail-on fail exits 0" 0
expect "a clean image: USER set (4.1 pass)" "^4\.1 +pass"
cp -a "$T/clean" "$T/dirty"
chmod u+s "$T/dirty/bin/busybox"
mkdir -p "$T/dirty/root/.ssh" "$T/dirty/root/.aws" "$T/dirty/app" "$T/dirty/var/cache/apt/archives"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n' > "$T/dirty/root/.ssh/id_ed25519"
printf '[default]\naws_secret_access_key = planted-value-7c1\n' > "$T/dirty/root/.aws/credentials"
echo "DB_PASSWORD=planted-value-7c1" > "$T/dirty/app/.env"
echo x > "$T/dirty/app/open"; chmod 0666 "$T/dirty/app/open"
touch "$T/dirty/var/cache/apt/archives/curl.deb"
python3 "$SRCDIR/tools/mkimage.py" "$T/dirty" "$T/dirty.tar" keep.test/dirty:1 --env "API_TOKEN=planted-value-7c1" \
  --history "ADD https://example.invalid/tool /usr/bin/tool" --format oci >/dev/null
k load -i "$T/dirty.tar"
k audit image --format json keep.test/dirty:1
cp "$T/out" "$T/dirty.json"
expect_code "a dirty image: exit 1" 1
for want in "4.1 warn no USER" "4.6 info HEALTHCHECK" "4.8 warn /bin/busybox" "4.9 warn ADD" \
            "4.10 fail API_TOKEN" "4.10 fail /root/.ssh/id_ed25519" "4.10 fail /root/.aws/credentials" \
            "4.10 fail /app/.env" "K.4 warn /app/open" "K.5 info cached" "4.2 info tag"; do
  check "image: $want" python3 -c '
import json, sys
i, l, what = sys.argv[2].split(" ", 2)
f = json.load(open(sys.argv[1]))
assert any(x["id"] == i and x["level"] == l and what in (x["detail"] + x["where"] + x["title"]) for x in f), sys.argv[2]' "$T/dirty.json" "$want"
done
check "image: no secret value is printed" sh -c "! grep -q planted-value '$T/dirty.json'"
# Known vulnerabilities, offline: a Debian image and an Alpine image against
# a directory of OSV records.  Reported: the vulnerable ones.  Not reported:
# a version that is the fix, one an epoch makes newer, a removed package,
# and records of another release or distribution.
DB=$T/osv; mkdir -p "$DB"
osv() { python3 -c 'import json,sys; id,eco,name,fixed=sys.argv[2:6]; json.dump({"id":id,"aliases":["CVE-"+id],"affected":[{"package":{"ecosystem":eco,"name":name},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":fixed}]}]}]}, open(sys.argv[1],"w"))' "$DB/$1.json" "$@"; }
osv DSA-1 Debian:12 openssl 3.0.11-1~deb12u2
osv DSA-2 Debian:12 curl 7.88.1-10+deb12u5
osv DSA-3 Debian:12 foo 2.5-1
osv DSA-4 Debian:12 bar 9.0-1
osv DSA-5 Debian:11 curl 7.88.1-10+deb12u9
osv ALPINE-1 Alpine:v3.18 openssl 3.1.4-r0
osv ALPINE-2 Alpine:v3.18 busybox 1.36.1-r5
cp -a "$T/clean" "$T/deb"; mkdir -p "$T/deb/var/lib/dpkg"
printf 'ID=debian\nVERSION_ID="12"\n' > "$T/deb/etc/os-release"
cat > "$T/deb/var/lib/dpkg/status" <<'DPKG'
Package: libssl3
Status: install ok installed
Source: openssl
Version: 3.0.9-1

Package: curl
Status: install ok installed
Version: 7.88.1-10+deb12u5

Package: foo
Status: install ok installed
Version: 1:2.0-1

Package: bar
Status: deinstall ok config-files
Version: 1.0-1
DPKG
python3 "$SRCDIR/tools/mkimage.py" "$T/deb" "$T/deb.tar" keep.test/deb:1 --user 1000 --format oci >/dev/null
k load -i "$T/deb.tar"
k audit image --vuln-db "$DB" --vuln-db-max-age 60 --format json keep.test/deb:1
cp "$T/out" "$T/deb.json"
check "Debian: the vulnerable openssl is found, with its fix" python3 -c '
import json, sys
v = [x["detail"] for x in json.load(open(sys.argv[1])) if x["id"] == "4.4" and x["level"] == "fail"]
assert len(v) == 1 and "openssl" in v[0] and "DSA-1" in v[0] and "3.0.11-1~deb12u2" in v[0], v' "$T/deb.json"
cp -a "$T/clean" "$T/alp"; mkdir -p "$T/alp/lib/apk/db"
printf 'ID=alpine\nVERSION_ID=3.18.4\n' > "$T/alp/etc/os-release"
printf 'P:libcrypto3\nV:3.1.1-r1\no:openssl\n\nP:busybox\nV:1.36.1-r5\no:busybox\n\n' > "$T/alp/lib/apk/db/installed"
python3 "$SRCDIR/tools/mkimage.py" "$T/alp" "$T/alp.tar" keep.test/alp:1 --user 1000 --format oci >/dev/null
k load -i "$T/alp.tar"
k audit image --vuln-db "$DB" --vuln-db-max-age 60 --format json keep.test/alp:1
cp "$T/out" "$T/alp.json"
check "Alpine: the vulnerable openssl is found, busybox at its fix is not" python3 -c '
import json, sys
v = [x["detail"] for x in json.load(open(sys.argv[1])) if x["id"] == "4.4" and x["level"] == "fail"]
assert len(v) == 1 and "openssl" in v[0] and "ALPINE-1" in v[0], v' "$T/alp.json"
touch -d "30 days ago" "$DB"/*.json
k audit image --vuln-db "$DB" --format json keep.test/alp:1
cp "$T/out" "$T/old.json"
check "a database older than the threshold is a warning (K.6), the scan still runs" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
assert any(x["id"] == "K.6" and x["level"] == "warn" for x in f)
assert any(x["id"] == "4.4" and x["level"] == "fail" for x in f)' "$T/old.json"

k audit image --vuln-db "$DB" --fail-on fail keep.test/clean:1
expect_code "--vuln-db on an image with no package database: no failure" 0
expect "it says there is no package database" "no dpkg or apk database"
k audit image keep.test/nothing:1
expect_code "audit image of a missing image: 125" 125
unset KEEP_STORE

k audit config "$T/nothing-here"
expect_code "a missing config: 125" 125
one_line_error "a missing config"
k audit config --format xml "$B"
expect_code "an unknown format: 125" 125
done_testing
