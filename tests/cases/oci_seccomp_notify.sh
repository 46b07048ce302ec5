#!/usr/bin/env bash
# SCMP_ACT_NOTIFY in config.json: during create keep sends the container
# process state and the seccomp listener to linux.seccomp.listenerPath, and a
# real agent (tests/agent/seccomp_agent.c) answers the container's calls.
. "$SRCDIR/tests/lib.sh"
oci_test_setup
AGENT=$(dirname "$PROBE")/keep-seccomp-agent
[ -x "$AGENT" ] || skip_all "keep-seccomp-agent is not built"
SOCK=$T/agent.sock
fresh() { rm -f "$B/config.json"; k spec --bundle "$B"; }
# notify PYTHON-ARGS: the config's profile sends mkdir, mkdirat and rmdir to the agent.
notify='s = c["linux"]["seccomp"]
s["listenerPath"] = "'"$SOCK"'"
s["listenerMetadata"] = "keep-test-metadata"
s["syscalls"].append({"names": ["mkdir", "mkdirat", "rmdir"], "action": "SCMP_ACT_NOTIFY"})'
start_agent() {
  rm -rf "$T/agent" "$SOCK"
  mkdir "$T/agent"
  "$AGENT" "$SOCK" "$T/agent" 2>"$T/agent/stderr" &
  AGENT_PID=$!
  for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
  fail "the agent did not come up"
}
# left_behind ID: nothing of a failed create may remain (its processes and
# mounts: the runner's own check after the case).
left_behind() {
  [ -e "$R/$1" ] && echo "state dir $R/$1"
  ls -d /sys/fs/cgroup/keep-oci/"$1" /sys/fs/cgroup/*/keep-oci/"$1" 2>/dev/null
  true
}
wait_stopped() {
  for _ in $(seq 100); do
    k state "$1" 2>/dev/null | grep -q '"stopped"' && return 0
    sleep 0.1
  done
  return 1
}

# The agent's answers reach the container: a fake success for mkdir (nothing
# is created), EXDEV for rmdir; and the state it got during create.
fresh
cfg "$notify"'
c["process"]["args"] = ["sh", "-c", "mkdir /tmp/made; echo mkdir=$?; test -e /tmp/made || echo made-absent; rmdir /tmp; echo rmdir=$?"]'
start_agent
RC=0; timeout 30 "$KEEP" --root "$R" create --bundle "$B" n1 >"$T/n1.out" 2>&1 </dev/null || RC=$?
cp "$T/n1.out" "$T/out"
expect_code "create with a notify profile" 0
pid=$(k state n1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
python3 - "$T/agent/state.json" "$pid" "$B" > "$T/out" 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
assert s["ociVersion"], s
assert s["fds"] == ["seccompFd"], s
assert s["pid"] == pid, (s["pid"], pid)
assert s["metadata"] == "keep-test-metadata", s
st = s["state"]
assert st["status"] == "creating", st
assert st["id"] == "n1" and st["pid"] == pid and st["bundle"] == sys.argv[3], st
print("state-ok")
PY
expect "the agent got ociVersion, fds, pid, metadata and the creating state" "^state-ok$"
check "one fd came with it" test "$(cat "$T/agent/fds")" = 1
RC=0; k start n1 >"$T/out" 2>&1 || RC=$?
expect_code "start" 0
wait_stopped n1 || fail "n1 did not stop"
cp "$T/n1.out" "$T/out"
expect "mkdir: the agent's fake success" "^mkdir=0$"
expect "mkdir: nothing was created" "^made-absent$"
expect "rmdir: the agent's EXDEV" "rmdir: .*(cross-device|Invalid)"
expect "rmdir failed" "^rmdir=1$"
wait "$AGENT_PID"; arc=$?
check "the agent ends once the container is gone" test "$arc" -eq 0
cp "$T/agent/log" "$T/out"
expect "the agent saw the container's mkdir" "^mkdir [0-9]+$"
k delete n1 >/dev/null 2>&1

# listenerPath with no notify rule: ignored (runtime-spec).
fresh
cfg 's = c["linux"]["seccomp"]; s["listenerPath"] = "'"$T/nobody.sock"'"; s["listenerMetadata"] = "m"
c["process"]["args"] = ["echo", "plain"]'
RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" n2 >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "listenerPath without SCMP_ACT_NOTIFY: ignored" 0
expect "and the container ran" "^plain$"

# Refused before anything exists, each with one line naming the problem.
refused() { # NAME ID PATTERN
  RC=0; timeout 30 "$KEEP" --root "$R" create --bundle "$B" "$2" >"$T/out" 2>&1 </dev/null || RC=$?
  if [ "$RC" -ne 0 ]; then ok "$1: refused"; else fail "$1: accepted"; k delete --force "$2" >/dev/null 2>&1; fi
  expect "$1: the error says why" "$3"
  one_line_error "$1: one line"
  local lb; lb=$(left_behind "$2")
  [ -z "$lb" ] && ok "$1: nothing left behind" || fail "$1: left behind: $lb"
}
fresh
cfg "$notify"'
del s["listenerPath"]; del s["listenerMetadata"]'
refused "SCMP_ACT_NOTIFY without listenerPath" n3 "SCMP_ACT_NOTIFY needs listenerPath"
fresh
cfg 'c["linux"]["seccomp"]["listenerMetadata"] = "m"'
refused "listenerMetadata without listenerPath" n4 "listenerMetadata is set without listenerPath"
fresh
cfg "$notify"'
s["listenerPath"] = "'"$T/nobody.sock"'"'
refused "an unreachable listenerPath" n5 "listenerPath.*$T/nobody.sock"
# A socket nobody accepts on any more: the connection is refused.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/dead.sock"
fresh
cfg "$notify"'
s["listenerPath"] = "'"$T/dead.sock"'"'
refused "a listenerPath nobody listens on" n6 "listenerPath.*$T/dead.sock.*refused"
fresh
cfg "$notify"'
s["syscalls"].append({"names": ["setresuid"], "action": "SCMP_ACT_NOTIFY"})'
refused "notify on a call keep's init makes (setresuid)" n7 "SCMP_ACT_NOTIFY on .setresuid. is refused"
fresh
cfg "$notify"'
s["defaultAction"] = "SCMP_ACT_NOTIFY"'
refused "SCMP_ACT_NOTIFY as defaultAction" n8 "cannot be the default action"

# exec cannot hand a new listener over, so it refuses rather than run a
# process without the notify rules.
fresh
cfg "$notify"'
c["process"]["args"] = ["sleep", "30"]'
start_agent
RC=0; timeout 30 "$KEEP" --root "$R" run --detach --bundle "$B" n9 >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "a notify container runs detached" 0
RC=0; timeout 30 "$KEEP" --root "$R" exec n9 true >"$T/out" 2>&1 </dev/null || RC=$?
[ "$RC" -ne 0 ] && ok "exec into it: refused" || fail "exec into it: ran"
expect "exec: the error says why" "SCMP_ACT_NOTIFY.*exec"
one_line_error "exec: one line"
k delete --force n9 >/dev/null 2>&1
wait "$AGENT_PID" 2>/dev/null

RC=0; k features >"$T/out" 2>&1 || RC=$?
expect "features lists SCMP_ACT_NOTIFY" "SCMP_ACT_NOTIFY"
done_testing
