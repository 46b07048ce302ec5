#!/usr/bin/env bash
# Device rules hold (linux.resources.devices: the devices cgroup on v1, an
# eBPF filter on v2): a node the container has but the rules do not allow
# cannot be opened, one they allow can, and a deny-all still leaves the
# default /dev nodes usable.  As the conformance suite runs: real root.
. "$SRCDIR/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
oci_test_setup
"$SRCDIR/tools/mkrootfs.sh" "$T/plainroot" --probe "$PROBE" >/dev/null
orun() { RC=0; timeout 30 "$KEEP" --root "$R" run --bundle "$B" "$1" >"$T/out" 2>&1 </dev/null || RC=$?; }
# dev RULES: a container with the host's /dev/kmsg (1:11) bound in as
# /dev/kkmsg (linux.devices nodes are always allowed, as in runc and crun;
# a bound node is not), the given device rules, and a probe opening it for
# writing (which needs no privilege), then for reading, then /dev/null.
dev() {
  rm -f "$B/config.json"
  k spec --bundle "$B"
  cfg 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None)
c["root"]["path"] = "'"$T/plainroot"'"
c["mounts"].append({"destination": "/dev/kkmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind"]})
c["linux"]["resources"] = {"devices": '"$1"'}
c["process"]["args"] = ["sh", "-c", "keep-probe open-write /dev/kkmsg; keep-probe read /dev/kkmsg; keep-probe read /dev/null"]'
}
line() { sed -n "${1}p" "$T/out"; }

dev '[{"allow": False, "access": "rwm"}]'
orun d1
expect_code "deny-all: the container runs" 0
if [ "$(line 1)" = "open-write denied EPERM" ] && [ "$(line 2)" = "read denied EPERM" ]; then
  ok "deny-all: a node the rules do not allow is refused (EPERM)"
else
  fail "deny-all: a node the rules do not allow is refused"; sed 's/^/#   /' "$T/out"
fi
if [ "$(line 3)" = "read ok" ]; then ok "deny-all: the default nodes still open"; else fail "deny-all: the default nodes still open"; sed 's/^/#   /' "$T/out"; fi

dev '[{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
orun d2
if [ "$(line 1)" = "open-write ok" ]; then ok "a write rule: opening for writing allowed"; else fail "a write rule: opening for writing allowed"; sed 's/^/#   /' "$T/out"; fi
if [ "$(line 2)" = "read denied EPERM" ]; then ok "a write rule: reading still refused (EPERM)"; else fail "a write rule: reading still refused"; sed 's/^/#   /' "$T/out"; fi
done_testing
