#!/usr/bin/env bash
# rootless
# keep's networks: containers reach only the containers of a network they
# share, by name; never the host behind the bridge, other networks, the
# outside (unless --egress) or the cloud metadata address; no address
# spoofing; nothing left when they are gone.  The whole case runs in a
# network namespace of its own: no packet reaches a real interface.
. "$SRCDIR/tests/lib.sh"
if [ -z "${KEEP_TEST_NETNS:-}" ]; then
  exec unshare --net env KEEP_TEST_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
command -v nft >/dev/null || skip_all "needs nft (package nftables) to read the rules back"
mkroot
# The store of network definitions: the case's own, for root or the user.
KSTORE="$T/store"
mkdir -p "$KSTORE" && chown "${KEEP_AS:-root}" "$KSTORE"
K() { kas env KEEP_STORE="$KSTORE" "$KEEP" "$@"; }
krun() { K run "${rootless_run_flags[@]}" "$@"; }
kin() { as_test_user env KEEP_STORE="$KSTORE" "$KEEP" "$@"; }
# pasta (a normal user's egress) opens /dev/net/tun: the distributions'
# mode is 0666, this host may have it 0600.
if rootless && [ -c /dev/net/tun ]; then chmod 0666 /dev/net/tun; fi
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

K network create app; expect_code "network create" 0
K network create other; expect_code "a second network" 0
K network create out --egress; expect_code "an egress network" 0
K network create app; expect_code "the same name twice is refused" 125
expect "one line naming it" "network .app. already exists"
K network create bad/name; expect_code "a bad name is refused" 125
K network create x --subnet 10.213.0.0/24; expect_code "an overlapping subnet is refused" 125
expect "naming the network it overlaps" "overlaps network .app."
K network create y --egress --internal; expect_code "--egress with --internal is refused" 125
K network ls -q
check "ls lists them" test "$(tr '\n' ' ' < "$T/out")" = "app other out "
krun --network nosuch "$ROOTFS" true; expect_code "an unknown network is refused" 125
expect "naming it" "network .nosuch. does not exist"
krun --ip 10.213.0.9 "$ROOTFS" true; expect_code "--ip without --network is refused" 125
krun --network app --ip 10.99.0.9 "$ROOTFS" true; expect_code "--ip outside the subnet is refused" 125

# A server on `app`, found by name and alias from another container on it.
krun -d --name db --network app --network-alias database "$ROOTFS" \
  sh -c 'while true; do echo hello-from-db | nc -l -p 5432; done'
expect_code "a detached server on app" 0
db_ip=$(kin inspect db | jget 'd[0]["NetworkSettings"]["Networks"]["app"]["IPAddress"]')
db_id=$(kin inspect db | jget 'd[0]["Id"]')
check "inspect shows its address" test -n "$db_ip"
sleep 0.3
krun --network app "$ROOTFS" sh -c 'cat /etc/hosts; nc -w 2 db 5432 </dev/null'
expect "same network, by name ✓" "^hello-from-db"
expect "/etc/hosts names it and its alias" "^$db_ip db database"
krun --network app "$ROOTFS" sh -c 'nc -w 2 database 5432 </dev/null'
expect "same network, by alias ✓" "^hello-from-db"
krun --network other "$ROOTFS" keep-probe connect "$db_ip" 5432
expect "another network ✗" "connect denied"
krun "$ROOTFS" keep-probe connect "$db_ip" 5432
expect "no network ✗" "connect denied ENETUNREACH"
krun --network other --network app "$ROOTFS" sh -c 'nc -w 2 db 5432 </dev/null'
expect "a container on two networks reaches both" "^hello-from-db"

# connect / disconnect a running container.
krun -d --name solo --network other "$ROOTFS" sh -c 'while true; do echo hello-from-solo | nc -l -p 6000; done'
K network connect app solo; expect_code "network connect" 0
krun --network app "$ROOTFS" sh -c 'nc -w 2 solo 6000 </dev/null'
expect "a connected container is reached by name on its new network" "^hello-from-solo"
K network connect app solo; expect_code "connecting twice is refused" 125
K network disconnect app solo; expect_code "network disconnect" 0
krun --network app "$ROOTFS" sh -c 'nc -w 2 solo 6000 </dev/null; grep -c solo /etc/hosts'
expect "after disconnect its name is gone from the network" "^0$"
K network disconnect app solo; expect_code "disconnecting twice is refused" 125
K rm -f solo

# "The internet": a peer namespace behind the host, with the metadata address.
ip netns add keep-t-inet 2>/dev/null || true
ip link add inet0 type veth peer name inet1 netns keep-t-inet
ip addr add 198.51.100.1/24 dev inet0 && ip link set inet0 up
ip -n keep-t-inet addr add 198.51.100.2/24 dev inet1
ip -n keep-t-inet addr add 169.254.169.254/32 dev inet1
ip -n keep-t-inet link set inet1 up && ip -n keep-t-inet link set lo up
ip route add default via 198.51.100.2
ip -n keep-t-inet route add default via 198.51.100.1
# The host: an address of its own, and a service on it.
# A second host address (a veth pair: the dummy driver may be absent).
ip link add hostif type veth peer name hostif1 && ip addr add 192.0.2.1/24 dev hostif && ip link set hostif up && ip link set hostif1 up
(while true; do echo host-service | busybox nc -l -p 7777; done) >/dev/null 2>&1 & host_nc=$!
sleep 0.2
krun --network app "$ROOTFS" keep-probe connect 192.0.2.1 7777
expect "the host behind the bridge ✗ (no route)" "connect denied"
krun --network out "$ROOTFS" keep-probe connect 192.0.2.1 7777
expect "the host's own address from an egress network ✗" "connect denied"
gw=$(kin network inspect out | jget 'd[0]["gateway"]')
krun --network out "$ROOTFS" keep-probe connect "$gw" 7777
expect "the host at the gateway address ✗" "connect denied"

ip netns exec keep-t-inet sh -c 'while true; do echo internet | busybox nc -l -p 80; done' >/dev/null 2>&1 & inet_nc=$!
sleep 0.2
krun --network app "$ROOTFS" keep-probe connect 198.51.100.2 80
expect "egress ✗ by default" "connect denied ENETUNREACH"
krun --network out "$ROOTFS" sh -c 'nc -w 2 198.51.100.2 80 </dev/null'
expect "egress ✓ with --egress" "^internet"
krun --network out "$ROOTFS" cat /etc/resolv.conf
expect_not "an egress network's resolv.conf has no loopback nameserver" "nameserver (127\.|::1)"
krun --network app "$ROOTFS" sh -c 'cat /etc/resolv.conf 2>/dev/null || true'
expect_not "a network without egress gets no keep resolv.conf" "^# keep"
krun --network out "$ROOTFS" keep-probe connect 169.254.169.254 80
expect "the metadata address ✗ even with --egress" "connect denied"

# Spoofing: with NET_ADMIN a container may give itself another address or
# MAC; the bridge takes from its port only what comes from its own.
krun -d --name sink --network app "$ROOTFS" keep-probe udp-listen 9999
sleep 0.3
sink_ip=$(kin inspect sink | jget 'd[0]["NetworkSettings"]["Networks"]["app"]["IPAddress"]')
krun --cap-add NET_ADMIN --network app "$ROOTFS" sh -c \
  "ip addr add 10.213.0.200/24 dev eth0 && keep-probe udp-from 10.213.0.200 $sink_ip 9999; sleep 0.5"
expect "a datagram from a spoofed address was sent" "udp-from ok"
krun --cap-add NET_ADMIN --cap-add NET_RAW --network app "$ROOTFS" sh -c \
  "ip link set eth0 address 02:6b:0a:d5:00:c8 && keep-probe udp-from 0.0.0.0 $sink_ip 9999; sleep 0.5"
expect "a datagram from a spoofed MAC was sent" "udp-from ok"
krun --network app "$ROOTFS" keep-probe udp-from 0.0.0.0 "$sink_ip" 9999
sleep 0.5
K logs sink
expect_not "a spoofed source address ✗" "from 10.213.0.200"
if [ "$(grep -c '^from 0.0.0.0' "$T/out")" -eq 1 ]; then ok "a spoofed MAC ✗, its own address and MAC ✓"; else
  fail "a spoofed MAC ✗, its own address and MAC ✓"; sed 's/^/#   /' "$T/out"; fi
krun --network app "$ROOTFS" sh -c 'grep -c . /proc/net/if_inet6 2>/dev/null || echo 0'
expect "no IPv6 address on the container's side" "^1$"

# Nothing left.
pkill -P "$host_nc"; pkill -P "$inet_nc"; kill "$host_nc" "$inet_nc" 2>/dev/null; wait "$host_nc" "$inet_nc" 2>/dev/null
K network rm app; expect_code "network rm while containers are on it is refused" 125
expect "saying so" "has [0-9]+ containers? on it"
K rm -f db sink
# kill -9: the container's monitor and the container die at once; keep gc
# then removes its record, and with the last member the network's bridge,
# rules (and a normal user's holder and pasta).
krun -d --name victim --network app "$ROOTFS" sleep 60
victim=$(kin inspect victim | jget 'd[0]["Id"]')
pkill -9 -f "keep-monitor .*$victim"
for _ in $(seq 30); do kin inspect victim | grep -q '"Running": true' || break; sleep 0.1; done
K gc
expect_code "keep gc after kill -9" 0
K network inspect app
expect "no container left on the network" '"containers": \[\]'
K rm -f victim
K network rm app; expect_code "network rm" 0
K network rm other out
check "no bridge or veth left" sh -c '! ip -o link | grep -E "kb-|kv-"'
check "keep's nftables tables are gone" sh -c '! nft list tables | grep -q keep'
if rootless; then
  for _ in $(seq 20); do pgrep -u "$KEEP_AS" -x 'keep-netns|pasta|pasta.avx2' >/dev/null || break; sleep 0.1; done
  check "the user's network holder and pasta are gone" sh -c "! pgrep -u $KEEP_AS -x 'keep-netns|pasta|pasta.avx2'"
else
  check "no hosts file left" sh -c "! ls /run/keep-hosts/$db_id* /run/keep-hosts/$victim* 2>/dev/null"
fi
ip netns del keep-t-inet
done_testing
