#!/usr/bin/env bash
# rootless
# No network unless asked: loopback only, the host's services unreachable.
. "$SRCDIR/tests/lib.sh"
mkroot
krun "$ROOTFS" keep-probe netifs
expect "loopback is up" "^netif lo up$"
if [ "$(wc -l < "$T/out")" -eq 1 ]; then ok "no other interface"; else fail "interfaces: $(tr '\n' ' ' < "$T/out")"; fi
port=$((20000 + RANDOM % 20000))
busybox nc -l -p $port -s 127.0.0.1 >/dev/null 2>&1 & nc=$!
sleep 0.3
krun "$ROOTFS" keep-probe connect 127.0.0.1 $port
expect "a host listener on 127.0.0.1 is unreachable" "connect denied ECONNREFUSED"
krun "$ROOTFS" keep-probe connect 10.255.255.1 80
expect "no route out" "connect denied ENETUNREACH"
kill $nc 2>/dev/null; wait $nc 2>/dev/null
krun --network host "$ROOTFS" keep-probe netifs
expect "--network host shows the host's interfaces" "^netif lo"
# In its own network namespace a process with no capability binds port 80
# (net.ipv4.ip_unprivileged_port_start=0 there, as Docker sets it); with the
# host's network it cannot, and the host's setting is never touched.
host_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
krun -u 1000 "$ROOTFS" sh -c 'grep ^CapEff /proc/self/status; httpd -p 80 && echo bound-80'
expect "no capability at all" "^CapEff:.0000000000000000$"
expect "port 80 bound without NET_BIND_SERVICE, in its own network namespace" "^bound-80$"
if ! rootless; then
  krun -u 1000 --network host "$ROOTFS" sh -c 'httpd -p 80 && echo bound-80'
  expect_not "with the host's network: port 80 stays privileged" "bound-80"
fi
check "the host's ip_unprivileged_port_start is unchanged" test "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$host_start"
done_testing
