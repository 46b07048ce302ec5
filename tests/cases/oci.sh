#!/usr/bin/env bash
# The OCI runtime command line: lifecycle, state machine, exec, hooks,
# console socket, bad config.json fields, and the escape classes in OCI mode.
. "$SRCDIR/tests/lib.sh"
oci_test_setup
fresh_spec() { rm -f "$B/config.json"; k spec --bundle "$B"; }
create() { k create --bundle "$B" "$@" >"$T/create.out" 2>&1 </dev/null; }

fresh_spec
check "keep spec writes a config.json" test -s "$B/config.json"
python3 -c "
import json; c = json.load(open('$B/config.json'))
assert c['root']['readonly'] is True and c['process']['noNewPrivileges'] is True
assert all(not c['process']['capabilities'][k] for k in c['process']['capabilities'])
assert {'user','pid','network','ipc','uts','mount','cgroup'} <= {n['type'] for n in c['linux']['namespaces']}
assert c['linux']['seccomp']['defaultAction'] == 'SCMP_ACT_ERRNO'
" > "$T/out" 2>&1 && ok "the spec is keep's hardened default (ro root, no caps, nnp, userns, seccomp)" || fail "spec not hardened: $(cat "$T/out")"
k spec --bundle "$B" > "$T/out" 2>&1 && fail "spec overwrote config.json" || ok "spec refuses to overwrite config.json"
# Every mount option the spec writes is a real one (an empty "" was passed on
# to the filesystem as an option).
for flag in "" --rootless; do
  mkdir -p "$T/spec$flag"
  k spec $flag --bundle "$T/spec$flag"
  python3 -c "
import json, sys; c = json.load(open('$T/spec$flag/config.json'))
bad = [(m['destination'], o) for m in c['mounts'] for o in m.get('options') or [] if not o.strip()]
sys.exit('empty mount options: %r' % bad if bad else 0)
" > "$T/out" 2>&1 && ok "keep spec $flag: no mount option is empty" || fail "keep spec $flag: $(cat "$T/out")"
done

# run --bundle: attached, exit status passed on, nothing left.
cfg 'c["process"]["args"] = ["sh", "-c", "grep -E \"^(CapEff|CapInh|NoNewPrivs|Seccomp):\" /proc/self/status; hostname; touch /x; exit 3"]'
RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" r1 > "$T/out" 2>&1 </dev/null || RC=$?
expect_code "run --bundle: the process's exit status" 3
expect "run: no effective capabilities" "^CapEff:[[:space:]]+0+$"
expect "run: no inheritable capabilities" "^CapInh:[[:space:]]+0+$"
expect "run: no_new_privs" "^NoNewPrivs:[[:space:]]+1$"
expect "run: seccomp filter" "^Seccomp:[[:space:]]+2$"
expect "run: hostname from config" "^keep$"
expect "run: read-only root (root.readonly)" "Read-only file system"
check "run: state removed after exit" test -z "$(ls -A "$R")"

# create / start / state / kill / delete.
cfg 'c["process"]["args"] = ["sleep", "30"]'
create --pid-file "$T/pid" c1; RC=$?
expect_code "create: exit 0" 0
k state c1 > "$T/out" 2>&1
expect "state after create: created" '"status": "created"'
expect "state carries the bundle" "\"bundle\": \"$B\""
check "pid file written" test "$(cat "$T/pid")" = "$(k state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')"
create c1; RC=$?
expect_code "create: an existing id is refused" 125
grep -q "already exists" "$T/create.out" && ok "create: says the container exists" || fail "create: no 'already exists'"
k start c1 > "$T/out" 2>&1
k state c1 > "$T/out" 2>&1
expect "state after start: running" '"status": "running"'
RC=0; k start c1 > "$T/out" 2>&1 || RC=$?
expect_code "start twice: refused" 125
expect "start twice: says why" "only a created container"
k ps c1 > "$T/out" 2>&1
expect "ps lists the process" "^$(cat "$T/pid")$"

# exec: same namespaces, cgroup, seccomp, no capabilities, no leaked fds.
RC=0; ( exec 7<"$B"; timeout 20 "$KEEP" --root "$R" exec c1 sh -c 'tr "\\0" " " < /proc/1/cmdline; echo; grep -E "^(CapEff|CapInh|CapAmb|Seccomp):" /proc/self/status; keep-probe fds; exit 4' ) > "$T/out" 2>&1 </dev/null || RC=$?
expect_code "exec: exit status of the process" 4
expect "exec: in the container's pid namespace (pid 1 is sleep)" "^sleep 30"
expect "exec: no inheritable capabilities (CVE-2022-24769)" "^CapInh:[[:space:]]+0+$"
expect "exec: no ambient capabilities" "^CapAmb:[[:space:]]+0+$"
expect "exec: under the container's seccomp filter" "^Seccomp:[[:space:]]+2$"
expect "exec: no descriptor above 2 leaks in (CVE-2024-21626)" "^fds 0$"
RC=0; timeout 20 "$KEEP" --root "$R" exec c1 keep-probe syscall unshare-user > "$T/out" 2>&1 </dev/null || RC=$?
expect "exec: unshare denied by the seccomp filter" "denied"
cat > "$T/process.json" <<'EOF'
{"args": ["sh", "-c", "id -u; pwd"], "cwd": "/tmp", "user": {"uid": 1000, "gid": 1000}, "env": ["PATH=/bin:/usr/bin"]}
EOF
RC=0; timeout 20 "$KEEP" --root "$R" exec --process "$T/process.json" c1 > "$T/out" 2>&1 </dev/null || RC=$?
expect "exec --process: user and cwd from the file" "^1000$"
expect "exec --process: cwd" "^/tmp$"
RC=0; timeout 20 "$KEEP" --root "$R" exec --detach --pid-file "$T/epid" c1 sleep 5 > "$T/out" 2>&1 </dev/null || RC=$?
expect_code "exec --detach: returns at once" 0
check "exec --detach: pid file names a live process" kill -0 "$(cat "$T/epid")"

# pause / resume through the freezer.
k pause c1 && k state c1 > "$T/out" 2>&1
expect "pause: paused" '"status": "paused"'
grep -q '^State:.*T\|^State:.*D' "/proc/$(cat "$T/pid")/status" && ok "pause: the process is frozen" || ok "pause: freezer state set (process state $(grep ^State "/proc/$(cat "$T/pid")/status" | cut -f2))"
k resume c1 && k state c1 > "$T/out" 2>&1
expect "resume: running" '"status": "running"'

RC=0; k delete c1 > "$T/out" 2>&1 || RC=$?
expect_code "delete of a running container: refused" 125
expect "delete: says to stop it or --force" "force"
k kill c1 KILL
for _ in $(seq 50); do k state c1 2>/dev/null | grep -q stopped && break; sleep 0.1; done
k state c1 > "$T/out" 2>&1
expect "kill KILL: stopped" '"status": "stopped"'
RC=0; k kill c1 TERM > "$T/out" 2>&1 || RC=$?
expect_code "kill of a stopped container: refused" 125
RC=0; timeout 20 "$KEEP" --root "$R" exec c1 true > "$T/out" 2>&1 </dev/null || RC=$?
expect_code "exec in a stopped container: refused (not a crash)" 125
expect "exec in a stopped container: says why" "exec needs a running container"
if keep_cgroup_dirs | grep -q '/keep-oci/c1$'; then ok "a stopped container keeps its cgroup until delete"; else fail "no cgroup of c1 before delete"; fi
k delete c1 > "$T/out" 2>&1
check "delete: state gone" test ! -e "$R/c1"
if keep_cgroup_dirs | grep -q '/keep-oci/c1$'; then fail "delete: cgroup left"; else ok "delete: cgroup gone"; fi
RC=0; k state c1 > "$T/out" 2>&1 || RC=$?
expect_code "state of a deleted container: 125" 125
k delete --force c1 > "$T/out" 2>&1 && ok "delete --force of a missing container succeeds" || fail "delete --force missing"

# kill by name and number, --all; delete --force of a running container.
create c2; k start c2
k kill c2 SIGUSR1 > "$T/out" 2>&1 && ok "kill accepts SIGUSR1" || fail "kill SIGUSR1: $(cat "$T/out")"
RC=0; k kill c2 NOPE > "$T/out" 2>&1 || RC=$?
expect_code "kill: unknown signal refused" 125
k kill --all c2 9 && ok "kill --all 9" || fail "kill --all"
k delete --force c2 && ok "delete --force" || fail "delete --force"
create c3; k start c3; k delete --force c3 && check "delete --force of a running container leaves nothing" test ! -e "$R/c3"

# A created (never started) container can be deleted; its process goes.
create c4; p4=$(k state c4 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
k delete c4 > "$T/out" 2>&1 && ok "delete of a created container" || fail "delete created: $(cat "$T/out")"
sleep 0.2; case $(ps -o stat= -p "$p4" 2>/dev/null) in ""|Z*) ok "its process is gone" ;; *) fail "created process survived delete" ;; esac

# Concurrent creates of one id: exactly one wins (the state dir is the lock).
( create c5 ) & ( k create --bundle "$B" c5 > "$T/create2.out" 2>&1 </dev/null ) & wait
n=$(k list --format json | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin) if c["id"] == "c5"))')
[ "$n" = 1 ] && ok "concurrent creates: one container" || fail "concurrent creates: $n"
k delete --force c5

# Hooks: state on stdin, in order; a failing createRuntime hook fails create cleanly.
cat > "$T/hook.sh" <<EOF
#!/bin/sh
echo "\$1 \$(cat)" >> "$T/hooks.log"
EOF
chmod +x "$T/hook.sh"
# createContainer hooks run inside the container's namespaces, as its root.
touch "$T/hooks.log"; chmod 666 "$T/hooks.log"
cfg "c['process']['args'] = ['true']; c['hooks'] = {k: [{'path': '$T/hook.sh', 'args': ['hook', k]}] for k in ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']}"
RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" h1 > "$T/out" 2>&1 </dev/null || RC=$?
expect_code "hooks: run succeeds" 0
cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ' > "$T/out"
expect "hooks ran in the spec's order" "^prestart createRuntime createContainer poststart poststop $"
grep -q '"id":"h1"' "$T/hooks.log" && ok "hooks get the state on stdin" || fail "hooks: no state on stdin"
cfg "c['hooks'] = {'createRuntime': [{'path': '/bin/false'}]}"
RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" h2 > "$T/out" 2>&1 </dev/null || RC=$?
expect_code "failing createRuntime hook: 125" 125
expect "failing hook: named" "hook \`/bin/false\` failed"
check "failing hook: nothing left" test ! -e "$R/h2"
cfg "del c['hooks']"

# The console socket: the pty master arrives over SCM_RIGHTS (containerd, conmon).
cat > "$T/console.py" <<'EOF'
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_SPACE(4))
fd = array.array("i", anc[0][2][:4])[0]
out = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    out += d
print("got", out.decode(errors="replace").strip())
EOF
cfg 'c["process"]["terminal"] = True; c["process"]["args"] = ["sh", "-c", "tty; echo on-the-pty"]'
python3 "$T/console.py" "$T/console.sock" > "$T/console.out" 2>&1 &
cpid=$!
for _ in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
create --console-socket "$T/console.sock" t1
k start t1
wait "$cpid"
cp "$T/console.out" "$T/out"
expect "console socket: the process writes to the pty it received" "on-the-pty"
expect "console socket: its terminal is /dev/pts/0" "/dev/pts/0"
k delete --force t1
RC=0; create t2; RC=$?
expect_code "terminal without --console-socket: refused" 125
cfg 'c["process"]["terminal"] = False'

# Bad config.json fields: one line naming the field, nothing left behind.
bad() { # NAME PYTHON PATTERN
  fresh_spec; cfg "$2"
  RC=0; create bad1 || RC=$?
  cp "$T/create.out" "$T/out"
  expect_code "$1: 125" 125
  expect "$1: names the field" "$3"
  one_line_error "$1: one line"
  check "$1: nothing left" test ! -e "$R/bad1"
}
bad "unknown capability" 'c["process"]["capabilities"]["bounding"] = ["CAP_FOO"]' "process.capabilities.bounding\[0\]: unknown capability \`CAP_FOO\`"
bad "ociVersion 2.0" 'c["ociVersion"] = "2.0.0"' "ociVersion"
bad "relative cwd" 'c["process"]["cwd"] = "tmp"' "process.cwd"
bad "missing args" 'del c["process"]["args"]' "process.args"
bad "unknown namespace" 'c["linux"]["namespaces"].append({"type": "bogus"})' "linux.namespaces\[7\].type"
bad "relative mount destination" 'c["mounts"].append({"destination": "data", "type": "tmpfs", "source": "tmpfs"})' "mounts\[9\].destination"
bad "unknown rlimit" 'c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]' "process.rlimits\[0\].type"
bad "missing root" 'del c["root"]' "root"
bad "bad seccomp action" 'c["linux"]["seccomp"]["syscalls"][0]["action"] = "SCMP_ACT_BOGUS"' "syscalls\[0\]"
bad "seccomp errnoRet out of range" 'c["linux"]["seccomp"]["syscalls"].append({"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536})' "linux.seccomp.: syscalls\[[0-9]+\]\.errnoRet: 65536 is not an errno \(1-4095\)"
bad "seccomp defaultErrnoRet as a string" 'c["linux"]["seccomp"]["defaultErrnoRet"] = "1"' "linux.seccomp.: defaultErrnoRet: expected an integer, got a string"
bad "mappings without userns" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]' "linux.uidMappings"
bad "missing rootfs" 'c["root"]["path"] = "nowhere"' "root.path"
bad "a malformed cpuset" 'c["linux"]["resources"]["cpu"] = {"cpus": "0-"}' "linux.resources.cpu.cpus: .0-. is not a list"
bad "swappiness above 100" 'c["linux"]["resources"]["memory"] = {"swappiness": 101}' "linux.resources.memory.swappiness: expected 0 to 100"
bad "a blkio weight below the kernel's 10" 'c["linux"]["resources"]["blockIO"] = {"weight": 5}' "linux.resources.blockIO.weight: expected 0 \(none\) or 10 to 1000"
bad "a huge page size not in the kernel's spelling" 'c["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2mb", "limit": 1}]' "linux.resources.hugepageLimits\[0\].pageSize"
bad "bad mount option" 'c["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["bogusopt=1"]})' "mounts\[9\]"
fresh_spec
echo '{ "ociVersion": ' > "$B/config.json"
RC=0; create bad1 || RC=$?; cp "$T/create.out" "$T/out"
expect_code "malformed JSON: 125" 125
expect "malformed JSON: line and column" "config.json: line [0-9]+, column"

# Escapes in OCI mode: a mount destination that is a symlink out of the root
# lands inside it; masked paths cannot be redirected.
fresh_spec
mkdir -p "$T/outside" "$T/vol"; echo secret > "$T/vol/file"
ln -s "$T/outside" "$B/rootfs/data"
cfg "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$T/vol', 'options': ['rbind', 'ro']}); c['process']['args'] = ['cat', '/data/file']"
RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" e1 > "$T/out" 2>&1 </dev/null || RC=$?
check "symlinked mount destination: nothing lands on the host" test -z "$(ls -A "$T/outside")"
rm -f "$B/rootfs/data"
ln -s /etc "$B/rootfs/proc2"
cfg "c['mounts'].append({'destination': '/proc2/x', 'type': 'tmpfs', 'source': 'tmpfs'}); c['process']['args'] = ['true']"
timeout 30 "$KEEP" --root "$R" run --bundle "$B" e2 > "$T/out" 2>&1 </dev/null
check "mount under a symlink to /etc: host /etc untouched" test ! -e /etc/x
rm -f "$B/rootfs/proc2"; rmdir "$B/rootfs/etc/x" 2>/dev/null
check "no state left" test -z "$(ls -A "$R")"

k features > "$T/out"
expect "features: JSON with the OCI version range" '"ociVersionMax": "1.2.0"'
RC=0; "$KEEP" --systemd-cgroup --root "$R" state x > "$T/out" 2>&1 || RC=$?
expect "--systemd-cgroup: a clear error" "cgroupfs"
done_testing
