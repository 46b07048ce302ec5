#!/usr/bin/env bash
# rootless
# -p: a host port relayed to the container's loopback, on 127.0.0.1 unless
# an address is given (then WEAKER, and said by inspect); it works with no
# network at all; a web server and its database on a private network, the
# web server answering on a loopback port.  In a network namespace of the
# case's own: no packet reaches a real interface.
. "$SRCDIR/tests/lib.sh"
if [ -z "${KEEP_TEST_NETNS:-}" ]; then
  exec unshare --net env KEEP_TEST_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
# A second host address (a veth pair: the dummy driver may be absent).
ip link add hostif type veth peer name hostif1 && ip addr add 192.0.2.1/24 dev hostif && ip link set hostif up && ip link set hostif1 up
mkroot
export KEEP_STORE="$T/store"
mkdir -p "$KEEP_STORE" && chown "${KEEP_AS:-root}" "$KEEP_STORE"
if rootless && [ -c /dev/net/tun ]; then chmod 0666 /dev/net/tun; fi
K() { kas env KEEP_STORE="$KEEP_STORE" "$KEEP" "$@"; }
get() { as_test_user busybox nc -w 2 "$1" "$2" </dev/null 2>&1; }
base=$((20000 + RANDOM % 20000))
# answers ADDR PORT WANT: the port gives WANT within 5 s (a busy host
# starts the container's server late).
answers() {
  local i
  for i in $(seq 25); do
    [ "$(busybox nc -w 2 "$1" "$2" </dev/null 2>/dev/null)" = "$3" ] && return 0
    sleep 0.2
  done
  return 1
}
serve() { echo "while true; do echo $1 | nc -l -p ${2:-80}; done"; }

K run -d --name web1 -p "$base:80" "${rootless_run_flags[@]}" "$ROOTFS" sh -c "$(serve hello-web)"
expect_code "run -d -p HOST:CTR" 0
sleep 0.3
check "the port answers on 127.0.0.1 ✓" answers 127.0.0.1 $base hello-web
if get 192.0.2.1 "$base" | grep -q hello-web; then fail "not on another host address"; else ok "not on another host address ✗"; fi
K run -p "$base:80" "${rootless_run_flags[@]}" "$ROOTFS" true
expect_code "a port in use is refused" 125
expect "in one line naming it" "127\.0\.0\.1:$base"
K inspect web1
expect "inspect shows the port" "127\.0\.0\.1:$base->80/tcp"
expect_not "loopback is not WEAKER" "-p beyond loopback"
K run -d --name web2 -p "0.0.0.0:$((base + 1)):80" "${rootless_run_flags[@]}" "$ROOTFS" sh -c "$(serve wide)"
sleep 0.3
check "-p 0.0.0.0: reachable on another host address" answers 192.0.2.1 $((base + 1)) wide
K inspect web2
expect "inspect says WEAKER for 0.0.0.0" "-p beyond loopback: 0\.0\.0\.0:$((base + 1))->80/tcp"
# Only the published port: the container's other listeners stay unreachable.
K run -d --name two -p "$((base + 2)):80" "${rootless_run_flags[@]}" "$ROOTFS" \
  sh -c "$(serve published) & $(serve private 81)"
sleep 0.3
check "the published port ✓" answers 127.0.0.1 $((base + 2)) published
if busybox nc -w 1 127.0.0.1 81 </dev/null 2>/dev/null | grep -q private; then fail "an unpublished port"; else
  ok "an unpublished port of the container ✗"; fi
K run -p "$((base + 3)):80/udp" "${rootless_run_flags[@]}" "$ROOTFS" true
expect_code "udp is accepted" 0
K run -p "80" "$ROOTFS" true
expect_code "a bare port is refused" 125
K run --network host -p "$((base + 4)):80" "$ROOTFS" true
expect_code "-p with --network host is refused" 125

# kill -9 of the monitor: the container and its forwarder go, the port frees.
mon=$(pgrep -f "keep-monitor .*$(as_test_user "$KEEP" inspect web1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')")
kill -9 "$mon"
for _ in $(seq 30); do busybox nc -w 1 127.0.0.1 "$base" </dev/null >/dev/null 2>&1 || break; sleep 0.1; done
if busybox nc -w 1 127.0.0.1 "$base" </dev/null 2>/dev/null | grep -q hello; then fail "the port closes when the monitor is killed"; else
  ok "the port closes when the monitor is killed"; fi
check "no keep-portfwd of web1 is left" sh -c "! pgrep -f keep-portfwd -P $mon"

# A web server and its database, detached, on a private network, the web
# server answering on a loopback port: root and rootless. a web server and its database, detached, on a
K network create shop
K run -d --name db --network shop "${rootless_run_flags[@]}" "$ROOTFS" sh -c "$(serve db-row 5432)"
K run -d --name web --network shop "${rootless_run_flags[@]}" -p "$((base + 5)):80" "$ROOTFS" \
  sh -c 'while true; do nc -w 2 db 5432 </dev/null | nc -l -p 80; done'
sleep 0.5
check "web answers on 127.0.0.1 with what db gave it" answers 127.0.0.1 $((base + 5)) db-row
db_ip=$(as_test_user env KEEP_STORE="$KEEP_STORE" "$KEEP" inspect db | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]["shop"]["IPAddress"])')
K run "${rootless_run_flags[@]}" "$ROOTFS" keep-probe connect "$db_ip" 5432
expect "nothing else reaches db" "connect denied"
check "the host does not reach db" sh -c "! busybox nc -w 1 $db_ip 5432 </dev/null"
K rm -f web db
K network rm shop
check "no bridge left" sh -c '! ip -o link | grep -E "kb-|kv-"'
K rm -f web1 web2 two
as_test_user "$KEEP" gc >/dev/null 2>&1
# This namespace's listeners: only the case's own forwarders could be here.
for _ in $(seq 30); do ss -Hltunp | grep -q keep-portfwd || break; sleep 0.1; done
check "no forwarder left" sh -c '! ss -Hltunp | grep keep-portfwd'
# keep audit run says what -p costs (CIS 5.14).
K audit run -- -p "0.0.0.0:$((base + 6)):80" "$ROOTFS" true
expect "audit: -p beyond loopback is a warning" "^5\.14 +warn .*0\.0\.0\.0:$((base + 6))->80/tcp: beyond loopback"
K audit run -- -p "$((base + 6)):80" "$ROOTFS" true
expect "audit: -p on 127.0.0.1 passes" "^5\.14 +pass"
done_testing
