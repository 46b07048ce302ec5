#!/usr/bin/env bash
# rootless
# Published ports: keep-portfwd relays a host port into a stand-in container
# (a process in a network namespace with only loopback, made by `unshare
# --net`; rootless, `unshare --user --map-root-user --net` as the test user)
# through keep_portfwd_start (tests/ports-driver.c).  The whole case runs in
# a network namespace of its own: no packet reaches a real interface.
if [ -z "${PORTS_OWN_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "# skip: needs root to make the test's own network namespace"; exit 77; }
  PORTS_OWN_NETNS=1 exec timeout -k 5 180 unshare --net bash "$0" "$@"
fi
. "$SRCDIR/tests/lib.sh"
DRIVER=${KEEP%/src/keep}/tests/ports-driver
PY=/usr/bin/python3
[ -x "$DRIVER" ] || skip_all "no $DRIVER (build the tests)"
[ -x "$PY" ] || skip_all "python3 is needed for the echo servers and clients"
ip link set lo up
# Another address of this host, which a port published on 127.0.0.1 must not
# answer on: on a dummy interface, or on lo where the kernel has no dummy.
if ip link add kp0 type dummy 2>/dev/null; then
  ip addr add 10.77.0.1/24 dev kp0 && ip link set kp0 up
else
  ip addr add 10.77.0.1/32 dev lo
fi
have_v6=false
[ -e /proc/sys/net/ipv6 ] && ip -6 addr show dev lo | grep -q '::1' && have_v6=true
# As the test user, the way a normal user's keep runs (exec'd, so $! is the process itself).
runas=() userns_flag=()
if rootless; then
  runas=(setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups --reset-env)
  userns_flag=(--userns)
fi

mkdir -m 777 "$T/u" # where the stand-in, maybe the test user, says it is ready
# The container's side: a TCP and a UDP echo server on 127.0.0.1:80.
cat > "$T/echo.py" <<'PY'
import socket, sys, threading
def serve(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)
def udp(s):
    while True:
        d, a = s.recvfrom(65536)
        s.sendto(d, a)
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 80)); t.listen(64)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 80))
threading.Thread(target=udp, args=(u,), daemon=True).start()
open(sys.argv[1], "w").close()
while True:
    c, _ = t.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# The host's side: a client that says what it saw, in one word or two.
cat > "$T/client.py" <<'PY'
import os, socket, sys, threading
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if mode == "echo":
        n = int(sys.argv[4]); data = os.urandom(n)
        s = socket.create_connection((host, port), timeout=10)
        def send():
            s.sendall(data); s.shutdown(socket.SHUT_WR)   # half-close: the answer still comes
        threading.Thread(target=send).start()
        got = bytearray()
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            got += d
        print("echo intact %d" % n if bytes(got) == data else "echo corrupt %d of %d" % (len(got), n))
    elif mode == "connect":
        s = socket.create_connection((host, port), timeout=5)
        d = s.recv(100)
        print("eof" if not d else "data")
    elif mode == "udp":
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3); s.connect((host, port))
        for i in range(3):
            s.send(b"ping-%d" % i)
            print("udp %s" % s.recv(100).decode())
    elif mode == "udp-from":   # from 127.0.0.1 to another address: the reply must come from that one
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.bind(("127.0.0.1", 0)); s.sendto(b"hi", (host, port))
        d, src = s.recvfrom(100)
        print("udp reply from %s" % src[0])
    elif mode == "flood":
        conns, served, reset = [], 0, 0
        for i in range(int(sys.argv[4])):
            try:   # the reset may come before connect() returns
                c = socket.create_connection((host, port), timeout=3)
                conns.append(c)
                c.sendall(b"x")
                if c.recv(10) == b"x":
                    served += 1
                else:
                    reset += 1
            except (ConnectionResetError, BrokenPipeError):
                reset += 1
        print("served %d reset %d" % (served, reset))
    elif mode == "bind":
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port)); print("bind ok")
except ConnectionRefusedError:
    print("refused")
except ConnectionResetError:
    print("reset")
except OSError as e:
    print("error %s" % e)
PY
client() { timeout 20 "$PY" "$T/client.py" "$@" > "$T/out" 2>&1; }

# standin: a process with only loopback, serving echo on its 127.0.0.1:80; SP its pid.
standin() {
  rm -f "$T/u/ready"
  local userns=()
  if rootless; then userns=(--user --map-root-user); fi
  "${runas[@]}" unshare "${userns[@]}" --net sh -c "ip link set lo up && exec $PY $T/echo.py $T/u/ready" &
  SP=$!
  for _ in $(seq 50); do [ -e "$T/u/ready" ] && return 0; sleep 0.1; done
  return 1
}
# publish OUT SPEC...: the driver in the background, output in $T/OUT; DP its
# pid, FWD the forwarder's, HP the first port's host port.
publish() {
  local out=$T/$1; shift
  "${runas[@]}" "$DRIVER" "${userns_flag[@]}" "$SP" "$@" > "$out" 2>&1 &
  DP=$!
  for _ in $(seq 50); do grep -q '^forwarder [0-9]' "$out" 2>/dev/null && break; sleep 0.1; done
  FWD=$(awk '$1 == "forwarder" && $2 != "exited" {print $2}' "$out")
  HP=$(sed -n 's/^port .*:\([0-9]*\)->.*/\1/p' "$out" | head -1)
  [ -n "$FWD" ]
}
gone_within() { # SECONDS PID: the pid exits in time (a zombie left to
  local i     # a slow reaper counts as gone)
  for i in $(seq $(($1 * 10))); do
    [ "$(awk '{print $3}' "/proc/$2/stat" 2>/dev/null || echo X)" = Z ] && return 0
    kill -0 "$2" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

check "stand-in container with only loopback" standin
publish drv :80 :80/udp || { fail "forwarder started"; sed 's/^/#   /' "$T/drv"; done_testing; exit; }
ok "forwarder started: $(grep -c '^port' "$T/drv") ports"
FWD1=$FWD DP1=$DP HP1=$HP
UP=$(sed -n 's/^port .*:\([0-9]*\)->80\/udp.*/\1/p' "$T/drv")
cp "$T/drv" "$T/out"
expect "any host port: the kernel chose one, on 127.0.0.1" "^port 127\.0\.0\.1:[1-9][0-9]*->80/tcp$"
expect_not "127.0.0.1 is not weaker" "weaker"

# What the forwarder is: in the container's network namespace, no
# capability, no_new_privs, its own name, nothing of its parent's open.
cat "/proc/$FWD/status" > "$T/out"
expect "named keep-portfwd" "^Name:.keep-portfwd$"
expect "no effective capability" "^CapEff:.0000000000000000$"
expect "no permitted capability" "^CapPrm:.0000000000000000$"
expect "empty bounding set" "^CapBnd:.0000000000000000$"
expect "no_new_privs" "^NoNewPrivs:.1$"
if rootless; then expect "runs as the user" "^Uid:.$(id -u keeptest)[[:space:]]"; fi
check "inside the stand-in's network namespace" test "$(readlink "/proc/$FWD/ns/net")" = "$(readlink "/proc/$SP/ns/net")"
check "still in the host's mount namespace, nothing more shared" test "$(readlink "/proc/$FWD/ns/mnt")" = "$(readlink /proc/self/ns/mnt)"
ls -l "/proc/$FWD/fd" | awk 'NR > 1 {print $NF}' > "$T/fds"
check "only its own fds open: /dev/null, epoll, the pidfd, the 2 host sockets" \
  sh -c "! grep -Ev '^(/dev/null|anon_inode:\[(eventpoll|pidfd)\]|socket:\[[0-9]+\])\$' $T/fds && test \$(grep -c socket $T/fds) -eq 2"
if rootless; then
  # Not dumpable: the user who owns it cannot read its memory or environment.
  check "not dumpable: its /proc files are root's, not the user's" test "$(stat -c %U "/proc/$FWD/environ")" = root
  check "...the user cannot read its environment" sh -c "! ${runas[*]} cat /proc/$FWD/environ"
fi

client echo 127.0.0.1 "$HP" 11
expect "TCP echo through 127.0.0.1:$HP" "^echo intact 11$"
client echo 127.0.0.1 "$HP" 1048576
expect "1 MB round trip intact, with a half-close" "^echo intact 1048576$"
client udp 127.0.0.1 "$UP"
expect "UDP echo through 127.0.0.1:$UP" "^udp ping-2$"
client echo 10.77.0.1 "$HP" 11
expect "not reachable on the host's other address" "^refused$"
client udp 10.77.0.1 "$UP"
expect_not "UDP not reachable on the host's other address" "^udp ping"

# Nothing listens on the container's port 81: the client is reset.
publish drv81 :81 || fail "second forwarder started"
client connect 127.0.0.1 "$HP"
expect "refused in the container: the client's connection is reset" "^(reset|eof)$"
kill "$FWD"; wait "$DP" 2>/dev/null

# A port in use fails the start, in one line naming it.
used=$(sed -n 's/^port .*:\([0-9]*\)->80\/tcp.*/\1/p' "$T/drv")
RC=0; "${runas[@]}" "$DRIVER" "${userns_flag[@]}" "$SP" "127.0.0.1:$used:80" > "$T/out" 2>&1 || RC=$?
expect_code "a port in use: the start fails" 125
expect "...naming 127.0.0.1:$used" "^keep: bind \`127\.0\.0\.1:$used/tcp\`: Address already in use"
one_line_error "...in one line"
if rootless; then
  # Without its user namespace, a normal user cannot enter the container's
  # network namespace: the forwarder's failure fails the start.
  RC=0; "${runas[@]}" "$DRIVER" "$SP" :80 > "$T/out" 2>&1 || RC=$?
  expect_code "rootless without the user namespace: the start fails" 125
  expect "...saying why" "setns into the container's network namespace: Operation not permitted"
  one_line_error "...in one line"
fi

# A flood cannot exhaust the forwarder's fds: with room for 64 (6 a
# connection), connections past the bound are reset, and once the flood
# ends it serves again.
runas_saved=("${runas[@]}")
runas=(prlimit --nofile=64:64 "${runas[@]}")
publish drvflood :80 || fail "forwarder with 64 fds started"
runas=("${runas_saved[@]}")
client flood 127.0.0.1 "$HP" 40
expect "a flood of 40 connections: some served, the rest reset" "^served [1-9][0-9]* reset [1-9][0-9]*$"
check "...its fds stay within the limit" test "$(ls "/proc/$FWD/fd" | wc -l)" -le 64
client echo 127.0.0.1 "$HP" 100000
expect "...and after the flood it serves again" "^echo intact 100000$"
kill "$FWD"; wait "$DP" 2>/dev/null

# Other addresses: 0.0.0.0 is weaker and answers everywhere; [::] is IPv6
# only (IPV6_V6ONLY), so 127.0.0.1 is not served by it.
publish drvany 0.0.0.0::80 0.0.0.0::80/udp || fail "0.0.0.0 forwarder started"
cp "$T/drvany" "$T/out"
expect "0.0.0.0 is shown weaker" "^port 0\.0\.0\.0:[0-9]+->80/tcp weaker$"
client echo 10.77.0.1 "$HP" 11
expect "0.0.0.0: reachable on the host's other address" "^echo intact 11$"
UP=$(sed -n 's/^port .*:\([0-9]*\)->80\/udp.*/\1/p' "$T/drvany")
client udp-from 10.77.0.1 "$UP"
expect "0.0.0.0/udp: the reply comes from the address the client wrote to" "^udp reply from 10\.77\.0\.1$"
kill "$FWD"; wait "$DP" 2>/dev/null
if $have_v6; then
  publish drv6 "[::1]::80" || fail "[::1] forwarder started"
  client echo ::1 "$HP" 65536
  expect "[::1]: TCP echo" "^echo intact 65536$"
  kill "$FWD"; wait "$DP" 2>/dev/null
  publish drv6any "[::]::80" || fail "[::] forwarder started"
  client echo ::1 "$HP" 11
  expect "[::]: reachable over IPv6" "^echo intact 11$"
  client echo 127.0.0.1 "$HP" 11
  expect "[::] binds IPv6 only: 127.0.0.1 not served" "^refused$"
  kill "$FWD"; wait "$DP" 2>/dev/null
else
  skip "IPv6 published ports" "no IPv6 loopback here"
fi

# The container's init exits: so does the forwarder, within a second, and
# the port is free again.
kill "$SP"
check "the stand-in exits: the forwarder exits within 1 s" gone_within 1 "$FWD1"
wait "$DP1" 2>/dev/null
cp "$T/drv" "$T/out"
expect "...with status 0" "^forwarder exited 0$"
client bind 127.0.0.1 "$HP1"
expect "...and the port is free" "^bind ok$"
wait "$SP" 2>/dev/null

# The parent (keep) dies: so does the forwarder.
check "a second stand-in" standin
publish drvk :80 || fail "forwarder started again"
kill -9 "$DP"
check "the parent killed: the forwarder exits" gone_within 1 "$FWD"
client connect 127.0.0.1 "$HP"
expect "...and the port is closed" "^refused$"
kill "$SP"; wait "$SP" 2>/dev/null
done_testing
