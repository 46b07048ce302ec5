#!/usr/bin/env bash
# rootless
# Detached containers with no daemon: run -d, ps, logs, exec, stop, start,
# restart, kill, rm, wait, inspect; the monitor; restart policies; crash safety.
. "$SRCDIR/tests/lib.sh"
mkroot
k() { kas "$KEEP" "$@"; }
# jcheck NAME PYTHON: PYTHON with d = the JSON keep just printed.
jcheck() { cp "$T/out" "$T/json"; check "$1" python3 -c "import json; d=json.load(open('$T/json'))
$2"; }
# gone PID: exited (a zombie the host's init has not reaped yet counts).
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# Only this case's containers are removed at the end, whatever happened.
cleanup() { for n in svc-web svc-once svc-fail svc-always svc-rot svc-dead svc-rm svc-ll svc-tty svc-in svc-httpd; do k rm -f "$n"; done; }
trap cleanup EXIT

# --- run -d: the id comes back, the container outlives keep run ---
krun -d --name svc-web "$ROOTFS" sh -c 'echo hello; echo oops >&2; while :; do sleep 1; done'
expect_code "run -d: exit 0" 0
expect "run -d: prints the 64-digit id" "^[0-9a-f]{64}$"
id=$(cat "$T/out")
sleep 0.5
k ps
expect "ps: the running container, by name" "svc-web"
expect "ps: its status" "Up "
k ps -q
expect "ps -q: the short id" "^${id:0:12}$"
k ps --format json
jcheck "ps --format json: parses, state running" "
assert [c for c in d if c['Names']=='svc-web' and c['State']=='running' and c['Id']=='$id']"
krun -d --name svc-web "$ROOTFS" true
expect_code "a taken name: refused" 125
expect "a taken name: says by whom" "name .svc-web. is taken"

# --- logs: stdout and stderr apart, timestamps ---
RC=0
if rootless; then as_test_user "$KEEP" logs svc-web >"$T/lo" 2>"$T/le" || RC=$?; else "$KEEP" logs svc-web >"$T/lo" 2>"$T/le" || RC=$?; fi
check "logs: stdout on stdout" grep -qx hello "$T/lo"
check "logs: stderr on stderr" grep -qx oops "$T/le"
k logs -t svc-web
expect "logs -t: RFC 3339 timestamps" "^20[0-9-]+T[0-9:.]+Z hello$"

# --- exec: the container's defences, from inside ---
k exec svc-web keep-probe syscall mount
expect "exec: seccomp applies (mount denied)" "syscall-mount denied"
k exec svc-web sh -c 'grep -E "^(NoNewPrivs|CapEff|CapInh|CapAmb)" /proc/self/status'
expect "exec: no_new_privs" "NoNewPrivs:.1"
expect "exec: no capabilities" "CapEff:.0000000000000000"
k exec svc-web keep-probe write /etc/passwd
expect "exec: the root is read-only" "write denied"
k exec svc-web keep-probe kill 1 15
expect "exec: Landlock scopes it (cannot signal PID 1)" "kill denied EPERM"
if ! rootless; then
  k exec -d svc-web keep-probe sleep 9
  xp=$(pgrep -f "^keep-probe sleep 9$" | head -1)
  check "exec: in the container's cgroup" grep -q "keep/$id" "/proc/$xp/cgroup"
  kill -9 "$xp"
fi
k exec svc-web sh -c 'exit 7'
expect_code "exec: its exit code" 7
k exec -e FOO=bar -w /tmp svc-web sh -c 'echo $FOO; pwd'
expect "exec -e -w: env and cwd" "bar"
k exec svc-web keep-probe fds
expect_not "exec: no descriptor of keep's leaks in" "fd [3-9]"

# exec -t: a terminal of the container's own devpts, relayed; -it with stdin.
RC=0
as_test_user timeout 30 script -qec "$KEEP exec -t svc-web sh -c 'tty; exit 4'" /dev/null </dev/null >"$T/out" 2>&1 || RC=$?
expect_code "exec -t: the exit code through the terminal" 4
expect "exec -t: the process has a terminal" "/dev/pts/[0-9]"
RC=0
printf 'echo typed-$((6*7))\nexit 6\n' | as_test_user timeout 30 script -qec "$KEEP exec -it svc-web sh" /dev/null >"$T/out" 2>&1 || RC=$?
expect_code "exec -it: stdin reaches the shell" 6
expect "exec -it: its output comes back" "typed-42"

# run -d -it, then attach: output, input, the detach keys, the exit code.
krun -d -it --name svc-tty "$ROOTFS" sh
RC=0
(sleep 1; printf 'echo hello-$((2+3))\n'; sleep 0.5; printf '\020\021') |
  as_test_user timeout 30 script -qec "$KEEP attach svc-tty" /dev/null >"$T/out" 2>&1 || RC=$?
expect_code "attach, then ctrl-p ctrl-q: exit 0" 0
expect "attach: the shell's output, through the terminal" "hello-5"
k ps
expect "detached: the container runs on" "svc-tty"
(sleep 1; printf 'exit 7\n') | as_test_user timeout 30 script -qec "$KEEP attach svc-tty; echo attach-rc=\$?" /dev/null >"$T/out" 2>&1
expect "attach ends with the container, with its exit code" "attach-rc=7"
k logs svc-tty
expect "a -t container's output is in its log too" "hello-5"
krun -d -i --name svc-in "$ROOTFS" sh -c 'read x; echo got-$x; exit 3'
RC=0
echo abc | as_test_user timeout 30 "$KEEP" attach svc-in >"$T/out" 2>&1 || RC=$?
expect "attach to -d -i: stdin reaches the container" "^got-abc$"
expect_code "attach to -d -i: its exit code" 3
RC=0
echo xyz | as_test_user timeout 30 "$KEEP" start -a svc-in >"$T/out" 2>&1 || RC=$?
expect "start -a: started again and attached" "^got-xyz$"
expect_code "start -a: the exit code" 3
k attach --detach-keys bogus-key svc-tty
expect_code "attach --detach-keys bogus: refused" 125

# exec under --security-opt landlock=RULES: the container's own rules, not keep's.
printf 'read /\nexec /\nwrite /tmp\n' > "$T/rules"; chmod 644 "$T/rules"
krun -d --name svc-ll --security-opt "landlock=$T/rules" "$ROOTFS" sleep 30
k exec svc-ll sh -c 'echo x > /tmp/x && echo wrote-tmp; echo x > /run/x && echo wrote-run'
expect "exec under landlock=RULES: writes where the rules allow" "^wrote-tmp$"
expect_not "exec under landlock=RULES: nowhere else (not /run, which keep's own rules allow)" "wrote-run"
k rm -f svc-ll

# --- inspect ---
k inspect svc-web
jcheck "inspect: state, pid, defences, nothing weakened" "
d=d[0]
assert d['Id']=='$id' and d['Name']=='svc-web' and d['State']['Running'] and d['State']['Pid']>0
assert d['State']['Pid'] in d['State']['Pids']
assert d['Defences']['seccomp']=='default' and d['Defences']['readOnlyRoot']
assert all(w.startswith('--cgroups=off') for w in d['Defences']['weakened']) if '$KEEP_AS' else d['Defences']['weakened']==[]
assert d['HostConfig']['LogConfig']['Config']=={'max-size':10485760,'max-file':3}"
krun -d --name svc-rm --read-write --security-opt seccomp=unconfined -v "$T:/data:rw" "$ROOTFS" sleep 30
k inspect svc-rm
jcheck "inspect: the weakened defences, by flag" "
w=' '.join(d[0]['Defences']['weakened'])
assert 'seccomp=unconfined' in w and '--read-write' in w and '/data' in w, w"
k rm svc-rm
expect_code "rm of a running container: refused" 125
expect "rm of a running container: says how" "keep rm -f"
k rm -f svc-rm
expect_code "rm -f: kills and removes" 0

# --- the monitor: not in the container, not dumpable, survives SIGHUP ---
k inspect svc-web
pid=$(python3 -c "import json;print(json.load(open('$T/out'))[0]['State']['Pid'])")
mon=$(awk '{print $4}' "/proc/$pid/stat")
check "monitor: the init's parent is keep-monitor" grep -qx keep-monitor "/proc/$mon/comm"
check "monitor: not in the container's pid namespace" test "$(readlink /proc/$mon/ns/pid)" != "$(readlink /proc/$pid/ns/pid)"
check "monitor: not dumpable (cannot be ptraced or read)" test "$(stat -c %U /proc/$mon/mem)" = root
kill -HUP "$mon"; sleep 0.3
check "monitor: survives SIGHUP" kill -0 "$mon"
k exec svc-web keep-probe kill "$mon" 9
expect "the container cannot signal its monitor" "kill denied"

# --- stop, wait, start, restart ---
k stop -t 5 svc-web
expect_code "stop: exit 0" 0
k ps -a
expect "ps -a: exited with SIGTERM's status" "Exited \(143\)"
k wait svc-web
expect "wait: the exit code" "^143$"
k start svc-web
expect_code "start: again" 0
sleep 0.3
k inspect svc-web
jcheck "start: same id, running" "
d=d[0]; assert d['Id']=='$id' and d['State']['Running']"
k restart -t 1 svc-web
expect_code "restart" 0
k kill -s TERM svc-web
k wait svc-web
expect "kill -s TERM: the container got it" "^143$"
k rm svc-web
expect_code "rm: a stopped container" 0
k ps -a
expect_not "rm: gone from ps -a" "svc-web"

# --- --rm, restart policies ---
krun -d --rm --name svc-once "$ROOTFS" true
sleep 1
k ps -a
expect_not "--rm: removed when it exits" "svc-once"
krun -d --name svc-fail --restart on-failure:2 "$ROOTFS" sh -c 'exit 3'
sleep 2.5
k inspect svc-fail
jcheck "on-failure:2 restarts twice, then stays exited" "
s=d[0]['State']
assert s['Status']=='exited' and s['RestartCount']==2 and s['ExitCode']==3, s"
krun -d --name svc-always --restart always "$ROOTFS" sh -c 'echo run; sleep 0.2'
sleep 1.5
k stop svc-always
k inspect svc-always
jcheck "always: restarted until stopped, then stays stopped" "
s=d[0]['State']
assert s['Status']=='exited' and s['RestartCount']>=2, s"
k logs svc-always
check "always: one log across restarts" test "$(grep -c run "$T/out")" -ge 2

# --- logs are bounded: 8 MB written, at most max-size x max-file kept ---
krun -d --name svc-rot --log-opt max-size=64k --log-opt max-file=2 "$ROOTFS" sh -c \
  'i=0; while [ $i -lt 4000 ]; do echo "line $i padding padding padding padding padding padding"; i=$((i+1)); done'
k wait svc-rot
k inspect svc-rot
dir=$(python3 -c "import json,os;print(os.path.dirname(json.load(open('$T/out'))[0]['LogPath']))")
total=$(cat "$dir"/ctr.log* | wc -c)
check "rotation: at most 2 files of 64 kB" test "$total" -le $((2 * 65536)) -a ! -e "$dir/ctr.log.2"
k logs --tail 1 svc-rot
expect "rotation: the last line is kept" "^line 3999 "
k logs svc-rot
cp "$T/out" "$T/lines"
check "logs: read across the rotated file, in order" python3 -c "
n=[int(l.split()[1]) for l in open('$T/lines')]; assert n==sorted(n) and n[-1]==3999, n[:3]"

# --- a full disk never stops the container: lines are dropped and counted ---
if ! rootless; then
  # The state (and so the log) on a 192 kB tmpfs, in a mount namespace of
  # this test's own: the container writes 2 MB.
  cat > "$T/full.sh" <<'EOS'
set -e
mount -t tmpfs -o size=192k,mode=0700 keep-full /run/keep
"$KEEP" run -d --name svc-full --log-opt max-size=1m "$ROOTFS" sh -c \
  'i=0; while [ $i -lt 20000 ]; do echo "line $i padding padding padding padding padding padding padding"; i=$((i+1)); done' >/dev/null
"$KEEP" wait svc-full > "$T/full-wait"
"$KEEP" inspect svc-full
"$KEEP" rm svc-full >/dev/null
EOS
  RC=0; ROOTFS=$ROOTFS timeout 120 unshare -m --propagation private bash "$T/full.sh" >"$T/out" 2>"$T/full-err" || RC=$?
  expect_code "full disk: the container ran to its end" 0
  jcheck "full disk: dropped lines are counted, the exit is recorded" "
s=d[0]['State']; assert s['LogDropped'] > 0 and s['ExitCode'] == 0 and s['Status'] == 'exited', s"
  check "full disk: exit code 0" grep -qx 0 "$T/full-wait"
fi

# --- a web server: run, watched, entered, stopped, started, removed ---
krun -d --name svc-httpd "$ROOTFS" httpd -f -v -p 8080 -h /etc
sleep 0.5
k exec svc-httpd wget -qO- http://127.0.0.1:8080/passwd
expect "web server: answers inside its network namespace" "^root:"
k logs svc-httpd
expect "web server: its log has the request" "response:200"
k stop svc-httpd
k start svc-httpd
sleep 0.5
k exec svc-httpd wget -qO- http://127.0.0.1:8080/passwd
expect "web server: answers again after stop and start" "^root:"
k rm -f svc-httpd
expect_code "web server: removed" 0

# --- bad input: one line, nothing left ---
for bad in "--restart sometimes" "--log-opt max-size=1" "--log-opt colour=red" "--name -x" "--stop-signal SIGNOPE" "-d --log-denied"; do
  # shellcheck disable=SC2086
  krun $bad "$ROOTFS" true
  expect_code "keep run $bad: refused" 125
  one_line_error "keep run $bad: one line"
done
k logs nosuchcontainer
expect "logs of an unknown container: names it" "no container .nosuchcontainer."

# --- crash safety: the monitor killed, keep run -d killed mid-start ---
krun -d --name svc-dead "$ROOTFS" sleep 30
k inspect svc-dead
pid=$(python3 -c "import json;print(json.load(open('$T/out'))[0]['State']['Pid'])")
mon=$(awk '{print $4}' "/proc/$pid/stat")
kill -9 "$mon"; sleep 0.5
check "monitor killed: its container dies with it" gone "$pid"
k ps -a
expect "monitor killed: ps says dead" "Dead"
k rm svc-dead
expect_code "monitor killed: rm removes what is left" 0
for step in run-state run-cgroup run-cloned run-ready; do
  RC=0
  as_test_user env KEEP_FAULT_KILL_AT=$step timeout 30 "$KEEP" run -d "${rootless_run_flags[@]}" "$ROOTFS" sleep 30 >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "run -d killed at $step: fails" 125
  as_test_user "$KEEP" gc >/dev/null 2>&1
done
k ps -a -q
check "after the kills and gc: no container left" test ! -s "$T/out"
done_testing
