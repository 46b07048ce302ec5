#!/usr/bin/env bash
# rootless
# Volume sources are resolved without following symlinks, in any component:
# a directory another container can write (a shared :rw volume) must not be
# able to turn a sibling's volume into the host's root by swapping a
# component for a symlink while the sibling starts.
. "$SRCDIR/tests/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed for the swapping loop"
mkroot
mkdir -p "$T/real/tmp"; echo real > "$T/real/f"; echo real > "$T/real/tmp/f"
chmod -R a+rX "$T/real"
# Only the host's root shows this file: a container that sees it got `/`.
echo host > "$T/hostmarker"; chmod 644 "$T/hostmarker"
marker=${T#/}/hostmarker

krun -v "$T/real:/data" "$ROOTFS" cat /data/f
expect "a real directory is mounted" "^real$"

ln -s / "$T/rootlink"
krun -v "$T/rootlink:/data" "$ROOTFS" cat "/data/$marker"
expect_code "a symlink source: 125" 125
one_line_error "a symlink source: one line"
expect "a symlink source: names the link and its target" "volume source .$T/rootlink. passes through the symlink .$T/rootlink. -> ./."
expect_not "a symlink source: the host root is not seen" "^host$"

ln -s "$T/real" "$T/reallink"
krun -v "$T/reallink/tmp:/data" "$ROOTFS" cat /data/f
expect_code "a source whose parent is a symlink: 125" 125
one_line_error "a source whose parent is a symlink: one line"
expect "a source whose parent is a symlink: names the link" "passes through the symlink .$T/reallink. -> .$T/real."

krun -v "$T/real/../real/f:/etc/group" "$ROOTFS" cat /etc/group
expect "a file source with .. and no symlink is mounted" "^real$"

# The race: a loop exchanges `d` between a real directory and a symlink to
# `/` while containers start with -v .../d:/data and -v .../d/tmp:/data.
mkdir -p "$T/shared/d/tmp"; echo real > "$T/shared/d/tmp/f"; chmod -R a+rX "$T/shared"
ln -s / "$T/shared/swap"
python3 - "$T/shared/d" "$T/shared/swap" <<'PY' &
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
while True:
    libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
PY
racer=$!
host=0 started=0 refused=0 other=0
for i in $(seq 1 40); do
  if [ $((i % 2)) -eq 0 ]; then src=$T/shared/d see=/data/$marker; else src=$T/shared/d/tmp see=/data/${marker#tmp/}; fi
  krun -v "$src:/data" "$ROOTFS" sh -c "cat $see 2>/dev/null; echo started"
  if grep -q '^host$' "$T/out"; then host=$((host + 1)); fi
  if grep -q '^started$' "$T/out"; then started=$((started + 1));
  elif grep -q 'passes through \|No such file\|changed while' "$T/out"; then refused=$((refused + 1));
  else other=$((other + 1)); sed 's/^/#   /' "$T/out" | head -3; fi
done
kill "$racer"; wait "$racer" 2>/dev/null
echo "# race: $started started, $refused refused, $other other, $host saw the host root"
if [ "$host" -eq 0 ]; then ok "race: no start saw the host's root ($started started, $refused refused)"; else fail "race: $host of 40 starts saw the host's root"; fi
if [ "$other" -eq 0 ]; then ok "race: every start either ran or was refused by name"; else fail "race: $other starts failed otherwise"; fi
done_testing
