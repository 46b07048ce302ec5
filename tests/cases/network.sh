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
done_testing
