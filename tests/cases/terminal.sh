#!/usr/bin/env bash
# rootless
# -t gives a pty of the container's own devpts; -i passes stdin; otherwise stdin is empty.
. "$SRCDIR/tests/lib.sh"
mkroot
if rootless; then pre="setpriv --reuid=$KEEP_AS --regid=$KEEP_AS --init-groups --reset-env"; k="$KEEP run --cgroups=off"; else pre=""; k="$KEEP run"; fi

timeout 30 script -qec "$pre $k -t $ROOTFS tty" /dev/null > "$T/out" 2>&1
expect "-t: the workload's terminal is the container's /dev/pts/0" "/dev/pts/0"
printf 'echo from-stdin-$((40+2))\nexit 7\n' | timeout 30 script -qec "$pre $k -it $ROOTFS sh" /dev/null > "$T/out" 2>&1; RC=$?
expect "-it: an interactive shell reads the terminal" "from-stdin-42"
echo hello-through-stdin | timeout 30 $pre $k -i "$ROOTFS" cat > "$T/out" 2>&1
expect "-i: stdin passed through" "^hello-through-stdin$"
echo should-not-arrive | timeout 30 $pre $k "$ROOTFS" cat > "$T/out" 2>&1
expect_not "without -i stdin is empty" "should-not-arrive"
timeout 30 $pre $k "$ROOTFS" sh -c 'echo out; echo err >&2' > "$T/o1" 2> "$T/o2"
if [ "$(cat "$T/o1")" = out ] && grep -q '^err$' "$T/o2"; then ok "stdout and stderr passed through apart"; else fail "streams mixed"; fi
done_testing
