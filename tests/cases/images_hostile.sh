#!/usr/bin/env bash
# Hostile images: every one refused with a clear error, nothing written
# outside the store, and the store still consistent (no tag, no layer
# directory, no temporary litter, `keep verify` clean).
. "$SRCDIR/tests/lib.sh"
mkroot
image_test_setup
OUT="$T/outside"; mkdir -p "$OUT"; echo untouched > "$OUT/marker"
passwd_sum=$(sha256sum /etc/passwd)

store_consistent() { # NAME
  local layers tmp
  layers=$(find "$KEEP_STORE/layers" -mindepth 2 -maxdepth 2 -type d ! -name .empty ! -name .rw 2>/dev/null | wc -l)
  tmp=$(find "$KEEP_STORE/tmp" -mindepth 1 2>/dev/null | wc -l)
  if [ "$layers" -eq "$1" ] && [ "$tmp" -eq 0 ] && "$KEEP" verify >/dev/null 2>&1; then ok "$2: store consistent"
  else fail "$2: store: $layers layers (want $1), $tmp temporary files"; fi
}

# Each hostile layer sits on top of a good base layer.
k load <("$MK" "$ROOTFS" /dev/stdout keep.test/base:1 --format oci)
$MK "$ROOTFS" "$T/base.tar" keep.test/base:1 --format oci; k load "$T/base.tar"
check "a good base image loads" test "$RC" -eq 0
for kind in dotdot absolute symlink-write symlink-write-rel symlink-parent hardlink-out hardlink-abs \
            hardlink-via-symlink huge uid-out-of-range; do
  $LAYER "$kind" "$T/$kind.tar" "$OUT"
  $MK "$ROOTFS" "$T/img-$kind.tar" "keep.test/$kind:1" --format oci --layer-tar "$T/$kind.tar"
  k load "$T/img-$kind.tar"
  expect_code "$kind: load refused" 125
  one_line_error "$kind: one-line error"
  k images
  expect_not "$kind: no tag filed" "keep.test/$kind"
  store_consistent 1 "$kind"
done
k load "$T/img-dotdot.tar"; expect "dotdot: the error names the entry" "entry .*\.\./.*: .*\.\.. is refused"
k load "$T/img-absolute.tar"; expect "absolute: the error says why" "absolute names are refused"
k load "$T/img-symlink-write.tar"; expect "symlink then write through it: refused" "passes through a symlink"
k load "$T/img-hardlink-out.tar"; expect "hardlink out of the root: refused" "hardlink target"
k load "$T/img-huge.tar"; expect "huge declared size: a truncated tar" "[Tt]runcated|premature|read its data"
if [ "$(ls -A "$OUT")" = marker ] && [ "$(cat "$OUT/marker")" = untouched ]; then ok "nothing written outside"; else fail "outside changed: $(ls -A "$OUT")"; fi
if [ "$(sha256sum /etc/passwd)" = "$passwd_sum" ]; then ok "/etc/passwd untouched"; else fail "/etc/passwd changed"; fi

# Archive-level lies.
python3 - "$T/base.tar" "$T/bad-blob.tar" <<'PY'
import sys, tarfile, io
src, dst = sys.argv[1:3]
with tarfile.open(src) as s, tarfile.open(dst, "w") as d:
    for m in s.getmembers():
        data = s.extractfile(m).read() if m.isfile() else None
        if data is not None and m.name.startswith("blobs/") and data[:2] == b"\x1f\x8b":
            data = data[:-1] + bytes([data[-1] ^ 1])   # one bit flipped in the layer
        if data is not None:
            m.size = len(data); d.addfile(m, io.BytesIO(data))
PY
k load "$T/bad-blob.tar"
expect_code "a blob whose content does not match its digest: refused" 125
expect "the error names the mismatch" "does not match its digest"
python3 - "$T/base.tar" "$T/missing-blob.tar" <<'PY'
import sys, tarfile, io
src, dst = sys.argv[1:3]
with tarfile.open(src) as s, tarfile.open(dst, "w") as d:
    for m in s.getmembers():
        data = s.extractfile(m).read()
        if m.name.startswith("blobs/") and data[:2] == b"\x1f\x8b":
            continue                                    # drop the layer
        d.addfile(m, io.BytesIO(data))
PY
rm -rf "$KEEP_STORE"
k load "$T/missing-blob.tar"
expect_code "a manifest naming a missing blob: refused" 125
expect "the error names the missing blob" "missing from the archive"
$MK "$ROOTFS" "$T/arm.tar" keep.test/arm:1 --format oci --index arm64
k load "$T/arm.tar"
expect_code "an index with no manifest for this platform: refused" 125
expect "the error names the platform" "no manifest for platform linux/amd64"
k load --platform linux/arm64 "$T/arm.tar"
expect "--platform picks the other manifest" "Loaded image"
echo "not a tar" > "$T/junk.tar"
k load "$T/junk.tar"
expect_code "not an archive: refused" 125
one_line_error "not an archive: one-line error"
k load "$T/nonexistent.tar"
expect "a missing file is named" "nonexistent.tar"
k run keep.test/arm:1 true
# arm64 binaries do not run here; what matters is that nothing odd happened.
if [ "$(find "$KEEP_STORE/tmp" -mindepth 1 | wc -l)" -eq 0 ]; then ok "no temporary litter"; else fail "tmp litter"; fi
done_testing
