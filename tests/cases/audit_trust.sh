#!/usr/bin/env bash
# keep audit image, CIS 4.5 (content trust): the store records on what basis
# each image was accepted, and the audit reports it.  An image pulled under
# a signedBy policy (signed with keep sign into a lookaside store) passes;
# one the policy let in unsigned, or loaded from an archive, is flagged; a
# store with no record (made before records) reads as unknown, never signed.
. "$SRCDIR/tests/lib.sh"
need_client docker-registry docker-registry
need_client skopeo skopeo
need_client gpg-agent gpg-agent
mkroot
image_test_setup
local_registry_with_image
trap 'kill $_registry_pid 2>/dev/null; wait $_registry_pid 2>/dev/null; GNUPGHOME="$T/gnupg" gpgconf --kill all 2>/dev/null' EXIT

# trust_is IMAGE LEVEL WORDS: keep audit image finds 4.5 at LEVEL, its
# detail holding WORDS.
trust_is() {
  k audit image --format json "$1"
  cp "$T/out" "$T/audit.json"
  python3 - "$T/audit.json" "$2" "$3" <<'PY'
import json, sys
f = [x for x in json.load(open(sys.argv[1])) if x["id"] == "4.5"]
assert len(f) == 1 and f[0]["level"] == sys.argv[2] and sys.argv[3] in f[0]["detail"], f
PY
}

k pull --policy "$T/accept.json" "$REG/busybox:latest"
check "insecureAcceptAnything: 4.5 warn, the policy named" trust_is "$REG/busybox:latest" warn "accepts anything"
expect_code "and the audit fails at warn" 1

# Signed: keep sign writes a simple signature into a lookaside store; a
# fresh store pulls it under a policy that requires it.
gpg_signing_key
mkdir -p "$T/regd" "$T/sigs"
printf 'default-docker:\n  lookaside: file://%s\n  lookaside-staging: file://%s\n' "$T/sigs" "$T/sigs" > "$T/regd/default.yaml"
k sign --sign-by "$FPR" --registries.d "$T/regd" "$REG/busybox:latest"
expect "keep sign into the lookaside store" "^Signed $REG/busybox:latest"
rm -rf "$KEEP_STORE"
k pull --policy "$T/signed.json" --registries.d "$T/regd" "$REG/busybox:latest"
expect "signedBy: the signed image pulls" "^Pulled $REG/busybox:latest"
check "signed: 4.5 pass, naming signedBy and the key" trust_is "$REG/busybox:latest" pass "signedBy, key \`$T/key.gpg\`"
check "the record names the policy's scope" grep -q "scope \`$REG\`" "$T/audit.json"
# The same bytes pulled again through a policy that accepts anything: they
# were signed, and stay so.
k pull --policy "$T/accept.json" "$REG/busybox:latest"
check "pulled again unsigned: still 4.5 pass" trust_is "$REG/busybox:latest" pass "signedBy"
# By digest, the same record (it is the manifest's).
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$KEEP_STORE/refs.json" "$REG/busybox:latest")
check "by its digest: 4.5 pass" trust_is "$digest" pass "signedBy"

# A store from before trust records: unknown, a warning, never signed.
mv "$KEEP_STORE/trust" "$T/trust.saved"
check "no record: 4.5 warn, unknown" trust_is "$REG/busybox:latest" warn "unknown"
# A record renamed to claim a signature it does not describe: unknown too.
mkdir "$KEEP_STORE/trust"
cp "$T/trust.saved/${digest#sha256:}.accept-anything" "$KEEP_STORE/trust/${digest#sha256:}.signed"
check "an accept-anything record renamed .signed: unknown, not signed" trust_is "$REG/busybox:latest" warn "unknown"
rm -rf "$KEEP_STORE/trust"; mv "$T/trust.saved" "$KEEP_STORE/trust"

# Loaded from an archive: nothing checked a signature.  (The archive the
# registry was filled from holds the same bytes, which stay signed: its
# manifest is the one a key signed.)
k load -i "$T/img.tar"
check "the pushed archive, loaded: its signed record stands" trust_is keep.test/busybox:latest pass "signedBy"
$MK "$ROOTFS" "$T/own.tar" keep.test/own:1 --format oci --env OWN=1
k load -i "$T/own.tar"
check "an archive of its own, loaded: 4.5 warn, the archive named" trust_is keep.test/own:1 warn "loaded from \`$T/own.tar\`"

# gc removes the records of what it removes, and keeps the rest.
ldig=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keep.test/own:1"])' "$KEEP_STORE/refs.json")
check "the loaded image has its record" test -e "$KEEP_STORE/trust/${ldig#sha256:}.loaded"
k rmi keep.test/own:1
k gc
check "gc: the removed image's record is gone" test ! -e "$KEEP_STORE/trust/${ldig#sha256:}.loaded"
check "gc: the kept image's records stay" test -e "$KEEP_STORE/trust/${digest#sha256:}.signed"
# No policy file anywhere (the host's hidden in a mount namespace of the
# test's own): a digest the user pinned is accepted on that basis alone.
if [ -e /etc/containers ]; then
  mkdir -p "$T/home"
  RC=0; KEEP_STORE="$T/store2" HOME="$T/home" unshare -m --propagation private sh -c \
    'mount -t tmpfs none /etc/containers && exec "$0" pull "$1"' "$KEEP" "$REG/busybox@$digest" >"$T/out" 2>&1 || RC=$?
  expect_code "no policy: pulled by digest" 0
  KEEP_STORE="$T/store2" check "pinned with no policy: 4.5 warn, the digest the only check" trust_is "$REG/busybox@$digest" warn "pulled by digest with no trust policy"
fi
done_testing
