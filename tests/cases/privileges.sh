#!/usr/bin/env bash
# rootless
# No capabilities, no_new_privs, chosen user, a fresh environment, rlimits.
. "$SRCDIR/tests/lib.sh"
mkroot

krun "$ROOTFS" grep -E '^(Cap|NoNewPrivs)' /proc/self/status
for s in CapInh CapPrm CapEff CapBnd CapAmb; do expect "$s empty" "^$s:\s+0000000000000000$"; done
expect "no_new_privs set" "^NoNewPrivs:\s+1$"
krun --cap-add NET_RAW "$ROOTFS" grep -E '^Cap' /proc/self/status
expect "--cap-add NET_RAW: only that bit effective" "^CapEff:\s+0000000000002000$"
expect "--cap-add NET_RAW: only that bit in the bounding set" "^CapBnd:\s+0000000000002000$"
expect "--cap-add: inheritable still empty" "^CapInh:\s+0000000000000000$"
expect "--cap-add: ambient still empty" "^CapAmb:\s+0000000000000000$"
krun --cap-add cap_chown,Kill "$ROOTFS" grep CapEff /proc/self/status
expect "capability names in any spelling" "CapEff:\s+0000000000000021$"
krun --cap-add NET_WIZARD "$ROOTFS" true
expect_code "unknown capability: 125" 125
expect "unknown capability named" "unknown capability .NET_WIZARD."

krun --user 1000:1000 "$ROOTFS" id
expect "--user 1000:1000" "^uid=1000.*gid=1000"
krun --user app "$ROOTFS" sh -c 'id -u; echo $HOME'
expect "--user by name from the container's /etc/passwd" "^1000$"
expect "HOME from the container's /etc/passwd" "^/home/app$"
krun --user nosuch "$ROOTFS" true
expect_code "unknown user: 125" 125
expect "unknown user named" "user .nosuch. not found"
krun --user 1000 "$ROOTFS" grep CapEff /proc/self/status
expect "non-root user: no capabilities" "0000000000000000"

export SECRET_TEST=leaked
printf 'FROM_FILE=1\n# comment\n\nOTHER=two words\n' > "$T/env"; chmod 644 "$T/env"
krun -e FOO=bar --env-file "$T/env" "$ROOTFS" env
expect_not "the caller's environment does not leak" "SECRET_TEST"
expect "-e passes a variable" "^FOO=bar$"
expect "--env-file passes variables" "^OTHER=two words$"
expect "PATH is set" "^PATH=/usr/local/sbin:"
krun --env-file "$T/missing" "$ROOTFS" true
expect_code "missing env file: 125" 125
unset SECRET_TEST

krun "$ROOTFS" sh -c 'ulimit -c; ulimit -n'
expect "core dumps off" "^0$"
expect "nofile 1024" "^1024$"
krun "$ROOTFS" grep -E '^(Seccomp|NoNewPrivs):' /proc/1/status
expect "PID 1 (keep's init) is not readable or is confined too" "(Permission denied|^NoNewPrivs:\s+1$)"
done_testing
