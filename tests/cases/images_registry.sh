#!/usr/bin/env bash
# keep pull from a real registry (Debian's docker-registry on 127.0.0.1; images
# pushed with skopeo): trust policy (reject, GPG signedBy with signatures made
# by skopeo --sign-by, sigstoreSigned), shared layers fetched once, HTTPS with
# basic auth, and a registry that lies (tests/data/fakeregistry.py).
. "$SRCDIR/tests/lib.sh"
need_client docker-registry docker-registry
need_client skopeo skopeo
need_client gpg-agent gpg-agent
need_client zstd zstd
mkroot
image_test_setup
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  GNUPGHOME="$T/gnupg" gpgconf --kill all 2>/dev/null
}
trap cleanup EXIT

start_registry() { # NAME PORT [extra yaml]
  mkdir -p "$T/$1"
  cat > "$T/$1/config.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $T/$1/data
http:
  addr: 127.0.0.1:$2
${3:-}
YML
  docker-registry serve "$T/$1/config.yml" >"$T/$1/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do curl -sk "http${4:-}://127.0.0.1:$2/v2/" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "# registry $1 did not start"; sed 's/^/#   /' "$T/$1/log" | tail -5
}
PORT=$(free_port); REG=127.0.0.1:$PORT
start_registry plain "$PORT"
push() { skopeo copy -q --dest-tls-verify=false "$@" >"$T/push.log" 2>&1 || { echo "# push failed"; sed 's/^/#   /' "$T/push.log"; }; }

$MK "$ROOTFS" "$T/img.tar" keep.test/busybox:latest --format oci
$MK "$ROOTFS" "$T/other.tar" keep.test/other:latest --format oci --env OTHER=1
push "oci-archive:$T/img.tar" "docker://$REG/busybox:latest"
push "oci-archive:$T/img.tar" "docker://$REG/busybox:second"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$T/accept.json"
echo '{"default":[{"type":"reject"}]}' > "$T/reject.json"

k pull --policy "$T/reject.json" "$REG/busybox:latest"
expect_code "a policy that rejects: pull refused" 125
expect "the refusal names the policy" "trust policy .*reject.json. rejects"
one_line_error "the refusal is one line"
if [ -z "$(ls -A "$KEEP_STORE/blobs/sha256" 2>/dev/null)" ]; then ok "refused before any blob was fetched"; else fail "blobs were fetched"; fi

k pull --policy "$T/accept.json" "$REG/busybox:latest"
expect "pull from the local registry" "^Pulled $REG/busybox:latest \(sha256:[0-9a-f]{64}\)"
krun "$REG/busybox:latest" sh -c 'echo pulled-and-running; keep-probe write /etc/x'
expect "run the pulled image" "^pulled-and-running$"
expect "with every defence on (read-only root)" "EROFS|Read-only"
before=$(grep -c 'GET /v2/busybox/blobs' "$T/plain/log")
k pull --policy "$T/accept.json" "$REG/busybox:second"
after=$(grep -c 'GET /v2/busybox/blobs' "$T/plain/log")
expect "a second tag pulls" "^Pulled"
if [ "$before" = "$after" ]; then ok "a second pull of shared layers fetches no blob"; else fail "blob GETs $before -> $after"; fi
digest=$("$KEEP" images --format json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["tag"]=="latest"][0]["digest"])')
rm -rf "$KEEP_STORE"
k pull --policy "$T/accept.json" "$REG/busybox@$digest"
expect "pull by digest" "^Pulled $REG/busybox@$digest"
krun "$REG/busybox@$digest" echo pinned
expect "run by digest" "^pinned$"
# Docker schema 2 manifests (what `docker push` writes).
skopeo copy -q --dest-tls-verify=false --format v2s2 "oci-archive:$T/img.tar" "docker://$REG/v2s2:1" >"$T/push.log" 2>&1
k pull --policy "$T/accept.json" "$REG/v2s2:1"
expect "a Docker schema 2 image pulls" "^Pulled $REG/v2s2:1"
krun "$REG/v2s2:1" echo v2s2-runs
expect "and runs" "^v2s2-runs$"
# Two pulls of one image at once into one store: both succeed, the store stays whole.
rm -rf "$KEEP_STORE"
"$KEEP" pull -q --policy "$T/accept.json" "$REG/busybox:latest" >"$T/p1" 2>&1 & p1=$!
"$KEEP" pull -q --policy "$T/accept.json" "$REG/busybox:latest" >"$T/p2" 2>&1 & p2=$!
r1=0; r2=0; wait $p1 || r1=$?; wait $p2 || r2=$?
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && "$KEEP" verify >/dev/null 2>&1; then ok "concurrent pulls of the same blobs: both succeed, verify clean"
else fail "concurrent pulls: $r1 $r2"; cat "$T/p1" "$T/p2" | sed 's/^/#   /'; fi
# A full disk: a 1 MiB store and a 3 MiB layer of random bytes.
python3 -c 'import os, tarfile, io, sys
with tarfile.open(sys.argv[1], "w") as t:
    d = os.urandom(3 << 20); ti = tarfile.TarInfo("noise"); ti.size = len(d); t.addfile(ti, io.BytesIO(d))' "$T/noise.tar"
$MK "$ROOTFS" "$T/noise-img.tar" keep.test/noise:1 --format oci --layer-tar "$T/noise.tar"
push "oci-archive:$T/noise-img.tar" "docker://$REG/noise:1"
mkdir -p "$T/tiny"; mount -t tmpfs -o size=1m tmpfs "$T/tiny"
RC=0; KEEP_STORE="$T/tiny/store" "$KEEP" pull --policy "$T/accept.json" "$REG/noise:1" >"$T/out" 2>&1 || RC=$?
expect_code "a full disk: the pull fails" 125
expect "a full disk: says so" "No space left on device"
if [ -z "$(KEEP_STORE="$T/tiny/store" "$KEEP" images -q 2>/dev/null)" ] && \
   KEEP_STORE="$T/tiny/store" "$KEEP" verify >/dev/null 2>&1; then ok "a full disk: no image filed, what is stored verifies"
else fail "a full disk left an inconsistent store"; fi
umount "$T/tiny"
k pull --policy "$T/accept.json" "$REG/nosuch:latest"
expect "an unknown repository: a clear error" "has no manifest .latest. for .nosuch."

# GPG "simple signing": skopeo signs into a lookaside store, keep verifies.
gpg_signing_key
mkdir -p "$T/regd" "$T/sigs"
printf 'default-docker:\n  sigstore: file://%s\n  sigstore-staging: file://%s\n' "$T/sigs" "$T/sigs" > "$T/regd/default.yaml"
skopeo copy -q --dest-tls-verify=false --registries.d "$T/regd" --sign-by "$FPR" \
  "oci-archive:$T/img.tar" "docker://$REG/signed:1" >"$T/push.log" 2>&1 || sed 's/^/#   /' "$T/push.log"
push "oci-archive:$T/img.tar" "docker://$REG/signed:retagged"
push "oci-archive:$T/other.tar" "docker://$REG/signed:other"
rm -rf "$KEEP_STORE"
k pull --policy "$T/signed.json" --registries.d "$T/regd" "$REG/signed:1"
expect "signedBy: a signed image pulls" "^Pulled $REG/signed:1"
k pull --policy "$T/signed.json" --registries.d "$T/regd" "$REG/busybox:latest"
expect_code "signedBy: an unsigned image is refused" 125
expect "signedBy: says no signature was found" "no signature found"
k pull --policy "$T/signed.json" --registries.d "$T/regd" "$REG/signed:retagged"
expect_code "signedBy: the signature names another tag: refused" 125
expect "signedBy: says the identity does not match" "does not match"
# Move the good signature to the other image's digest.
odig=$(skopeo inspect --tls-verify=false "docker://$REG/signed:other" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
sigdir=$(ls -d "$T"/sigs/signed@sha256=* | head -1)
mkdir -p "$T/sigs/signed@sha256=${odig#sha256:}"; cp "$sigdir/signature-1" "$T/sigs/signed@sha256=${odig#sha256:}/"
k pull --policy "$T/signed.json" --registries.d "$T/regd" "$REG/signed:other"
expect_code "a signature for another digest: refused" 125
expect "says which manifest it was for" "signature is for manifest sha256:"
gpg --batch --passphrase '' --quick-gen-key "stranger <s@keep.invalid>" ed25519 sign never >/dev/null 2>&1
gpg --export "stranger" > "$T/stranger.gpg"
sed "s|$T/key.gpg|$T/stranger.gpg|" "$T/signed.json" > "$T/stranger.json"
k pull --policy "$T/stranger.json" --registries.d "$T/regd" "$REG/signed:1"
expect_code "a signature by a key the policy does not name: refused" 125
expect "says the key is unknown" "key the policy does not name"
if [ "$(find "$KEEP_STORE/tmp" -mindepth 1 | wc -l)" -eq 0 ]; then ok "refused pulls leave no temporary files"; else fail "tmp litter"; fi

# keep sign: a signature keep writes, which keep's signedBy policy and skopeo
# both verify.
k pull --policy "$T/accept.json" "$REG/busybox:latest"
mkdir -p "$T/regd2" "$T/sigs2"
printf 'default-docker:\n  lookaside: file://%s\n  lookaside-staging: file://%s\n' "$T/sigs2" "$T/sigs2" > "$T/regd2/default.yaml"
k sign --sign-by "$FPR" --registries.d "$T/regd2" "$REG/busybox:latest"
expect "keep sign: into the lookaside store" \
  "^Signed $REG/busybox:latest \(sha256:[0-9a-f]{64}\): $T/sigs2/busybox@sha256=[0-9a-f]{64}/signature-1$"
rm -rf "$KEEP_STORE"
k pull --policy "$T/signed.json" --registries.d "$T/regd2" "$REG/busybox:latest"
expect "keep sign: a signedBy policy accepts it" "^Pulled $REG/busybox:latest"
skopeo inspect --raw --tls-verify=false "docker://$REG/busybox:latest" > "$T/bb-manifest.json"
RC=0; skopeo standalone-verify "$T/bb-manifest.json" "$REG/busybox:latest" "$FPR" \
  "$(ls "$T"/sigs2/busybox@sha256=*/signature-1)" >"$T/out" 2>&1 || RC=$?
expect "keep sign: skopeo verifies it" "Signature verified"
k sign --sign-by "$FPR" --registries.d "$T/regd2" "$REG/busybox:latest"
expect "keep sign: a second signature is added beside the first" "/signature-2$"
k sign --sign-by "$FPR" --output "$T/bb.sig" "$REG/busybox:latest"
RC=0; skopeo standalone-verify "$T/bb-manifest.json" "$REG/busybox:latest" "$FPR" "$T/bb.sig" >"$T/out" 2>&1 || RC=$?
expect "keep sign --output: skopeo verifies the file" "Signature verified"
k sign --sign-by 0000000000000000000000000000000000000000 --output "$T/none.sig" "$REG/busybox:latest"
expect_code "keep sign: an unknown key: refused" 125
expect "keep sign: says the key is missing" "no secret key .0000000000000000000000000000000000000000."
one_line_error "keep sign: an unknown key: one line"
if [ ! -e "$T/none.sig" ] && ! ls "$T" | grep -q 'none.sig.tmp'; then ok "keep sign: a failed signing writes nothing"; else fail "keep sign left a file"; fi
k sign --sign-by "$FPR" --output "$T/none.sig" "$REG/nosuch:1"
expect_code "keep sign: an image not in the store: refused" 125
one_line_error "keep sign: an image not in the store: one line"

# Sigstore (cosign format): an attachment tagged sha256-<hex>.sig, signed
# with an ECDSA key by openssl.
openssl ecparam -name prime256v1 -genkey -noout -out "$T/cosign.key" 2>/dev/null
openssl ec -in "$T/cosign.key" -pubout -out "$T/cosign.pub" 2>/dev/null
push "oci-archive:$T/img.tar" "docker://$REG/cosigned:1"
cdig=$(skopeo inspect --tls-verify=false "docker://$REG/cosigned:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
python3 - "$T" "$REG/cosigned:1" "$cdig" <<'PY'
import base64, hashlib, json, os, subprocess, sys
t, ref, digest = sys.argv[1:4]
payload = json.dumps({"critical": {"identity": {"docker-reference": ref}, "image": {"docker-manifest-digest": digest},
                      "type": "cosign container image signature"}, "optional": None}).encode()
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", t + "/cosign.key"], input=payload,
                     stdout=subprocess.PIPE, check=True).stdout
lay = os.path.join(t, "sigimg"); os.makedirs(lay + "/blobs/sha256", exist_ok=True)
def put(data):
    d = hashlib.sha256(data).hexdigest(); open(lay + "/blobs/sha256/" + d, "wb").write(data); return "sha256:" + d
cfg = b"{}"
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": put(payload),
                "size": len(payload), "annotations": {"dev.cosignproject.cosign/signature": base64.b64encode(sig).decode()}}]}).encode()
tag = "sha256-" + digest.split(":")[1] + ".sig"
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": put(man), "size": len(man), "annotations": {"org.opencontainers.image.ref.name": tag}}]},
    open(lay + "/index.json", "w"))
open(lay + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
open(t + "/sigtag", "w").write(tag)
PY
push "oci:$T/sigimg:$(cat "$T/sigtag")" "docker://$REG/cosigned:$(cat "$T/sigtag")"
cat > "$T/cosign.json" <<JSON
{"default":[{"type":"reject"}],
 "transports":{"docker":{"$REG/cosigned":[{"type":"sigstoreSigned","keyPath":"$T/cosign.pub"}]}}}
JSON
k pull --policy "$T/cosign.json" "$REG/cosigned:1"
expect "sigstoreSigned: a cosign-signed image pulls" "^Pulled $REG/cosigned:1"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/other.key" 2>/dev/null
openssl ec -in "$T/other.key" -pubout -out "$T/other.pub" 2>/dev/null
sed "s|$T/cosign.pub|$T/other.pub|" "$T/cosign.json" > "$T/cosign-other.json"
k pull --policy "$T/cosign-other.json" "$REG/cosigned:1"
expect_code "sigstoreSigned: another key: refused" 125
expect "sigstoreSigned: says the signature does not verify" "does not verify with the key"
sed "s|$REG/cosigned|$REG/busybox|" "$T/cosign.json" > "$T/cosign-busybox.json"
k pull --policy "$T/cosign-busybox.json" "$REG/busybox:latest"
expect_code "sigstoreSigned: no signature attached: refused" 125

# HTTPS with basic auth: the CA comes from --cert-dir, never a downgrade.
SPORT=$(free_port); SREG=127.0.0.1:$SPORT
mkdir -p "$T/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/certs/key.pem" -out "$T/certs/ca.crt" 2>/dev/null
python3 -W ignore -c 'import crypt,sys; print("tester:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' > "$T/htpasswd"
start_registry secure "$SPORT" "  tls:
    certificate: $T/certs/ca.crt
    key: $T/certs/key.pem
auth:
  htpasswd:
    realm: keep-test
    path: $T/htpasswd" s
skopeo copy -q --dest-cert-dir "$T/certs" --dest-creds tester:s3cret "oci-archive:$T/img.tar" \
  "docker://$SREG/busybox:latest" >"$T/push.log" 2>&1 || sed 's/^/#   /' "$T/push.log"
rm -rf "$KEEP_STORE"
k pull --policy "$T/accept.json" "$SREG/busybox:latest"
expect_code "HTTPS with an unknown CA: refused" 125
expect "never downgraded to plain HTTP" "https://$SREG"
expect_not "no http:// attempt" "http://$SREG"
k pull --policy "$T/accept.json" --cert-dir "$T/certs" "$SREG/busybox:latest"
expect_code "HTTPS without credentials: refused" 125
expect "says access was denied" "access denied"
k pull --policy "$T/accept.json" --cert-dir "$T/certs" --creds tester:s3cret "$SREG/busybox:latest"
expect "HTTPS + basic auth with --creds" "^Pulled $SREG/busybox:latest"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$SREG" "$(printf tester:s3cret | base64)" > "$T/auth.json"
rm -rf "$KEEP_STORE"
k pull --policy "$T/accept.json" --cert-dir "$T/certs" --authfile "$T/auth.json" "$SREG/busybox:latest"
expect "HTTPS + basic auth from a docker-style auth file" "^Pulled $SREG/busybox:latest"

# Hostile layers pulled: unpacked as they download, refused all the same.
OUT="$T/outside"; mkdir -p "$OUT"; echo untouched > "$OUT/marker"
for kind in dotdot symlink-write hardlink-out; do
  $LAYER "$kind" "$T/$kind.tar" "$OUT"
  $MK "$ROOTFS" "$T/img-$kind.tar" "keep.test/$kind:1" --format oci --layer-tar "$T/$kind.tar"
  push "oci-archive:$T/img-$kind.tar" "docker://$REG/$kind:1"
  k pull --policy "$T/accept.json" "$REG/$kind:1"
  expect_code "pulled $kind layer: refused" 125
  one_line_error "pulled $kind layer: one-line error"
  left=$(find "$KEEP_STORE/layers" -mindepth 2 -maxdepth 2 -name '.tmp-*')
  if [ -z "$left" ]; then ok "pulled $kind layer: nothing half-unpacked left"; else fail "pulled $kind: left $left"; fi
done
if [ "$(ls -A "$OUT")" = marker ] && [ "$(cat "$OUT/marker")" = untouched ]; then ok "pulled hostile layers: nothing written outside"
else fail "outside changed: $(ls -A "$OUT")"; fi
"$KEEP" images > "$T/out" 2>&1
expect_not "pulled hostile layers: no tag filed" "dotdot|symlink-write|hardlink-out"

# Rootless: a user pulls into their own store; the layer is unpacked, as it
# downloads, by the user, and a hostile one is refused the same way.
if id keeptest >/dev/null 2>&1; then
  mkdir -p "$T/upull"; chown keeptest "$T/upull"
  upull() { RC=0; timeout 60 setpriv --reuid=keeptest --regid=keeptest --init-groups --reset-env \
    env KEEP_STORE="$T/upull/store" HOME=/home/keeptest PATH=/usr/bin:/bin "$KEEP" pull --policy "$T/accept.json" "$@" \
    >"$T/out" 2>&1 </dev/null || RC=$?; }
  upull "$REG/busybox:latest"
  expect "rootless: pull into the user's store" "^Pulled $REG/busybox:latest"
  ldir=$(find "$T/upull/store/layers" -mindepth 2 -maxdepth 2 -type d | head -1)
  check "rootless: the layer belongs to the user" test "$(stat -c %U "$ldir/bin")" = keeptest
  upull "$REG/dotdot:1"
  expect_code "rootless: a pulled hostile layer is refused" 125
  left=$(find "$T/upull/store/layers" -mindepth 2 -maxdepth 2 -name '.tmp-*')
  if [ -z "$left" ]; then ok "rootless: nothing half-unpacked left"; else fail "rootless: left $left"; fi
else
  skip "rootless pull" "no keeptest user (tests/run creates it)"
fi

# A registry that lies.
mkdir -p "$T/layout"; tar -xf "$T/img.tar" -C "$T/layout"
fake() { # MODE: start tests/data/fakeregistry.py, set FREG
  rm -f "$T/fport"
  python3 "$SRCDIR/tests/data/fakeregistry.py" "$T/layout" "$T/fport" "$1" 2>"$T/fake-$1.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$T/fport" ] && break; sleep 0.1; done
  FREG=127.0.0.1:$(cat "$T/fport")
}
for mode in corrupt oversize missing lying-digest truncate; do
  rm -rf "$KEEP_STORE"
  fake "$mode"
  k pull --policy "$T/accept.json" "$FREG/busybox:latest"
  expect_code "$mode: refused" 125
  case $mode in
    corrupt) expect "$mode: content does not match its digest" "does not match its digest" ;;
    oversize) expect "$mode: more bytes than declared" "more bytes than the manifest declares" ;;
    missing) expect "$mode: the missing blob is named" "has no blob sha256:" ;;
    lying-digest) expect "$mode: the header disagrees with the content" "Docker-Content-Digest says" ;;
    truncate) expect "$mode: a truncated download" "cut short \(truncated\)" ;;
  esac
  one_line_error "$mode: one-line error"
  "$KEEP" images > "$T/out" 2>&1
  expect_not "$mode: no image filed" "busybox"
  if [ -z "$(ls -A "$KEEP_STORE/blobs/sha256" | grep -vxF -f <(ls "$T/layout/blobs/sha256"))" ]; then
    ok "$mode: only verified blobs in the store"; else fail "$mode: an unverified blob was stored"; fi
  left=$(find "$KEEP_STORE/layers" -mindepth 2 -maxdepth 2 ! -name .empty ! -name .rw 2>/dev/null)
  if [ -z "$left" ]; then ok "$mode: no layer directory, whole or half-unpacked"; else fail "$mode: left $left"; fi
done
# The truncated download left a partial file; the next pull resumes it.
fake good
k pull --policy "$T/accept.json" "$FREG/busybox:latest"
expect "a pull after a truncated one succeeds" "^Pulled"
if grep -q 'range=bytes=[1-9]' "$T/fake-good.log"; then ok "it resumed the partial download (HTTP Range)"; else fail "no Range request"; sed 's/^/#   /' "$T/fake-good.log"; fi
if [ "$(find "$KEEP_STORE/tmp" -mindepth 1 | wc -l)" -eq 0 ]; then ok "no partial file left after the resumed pull"; else fail "tmp litter"; fi
rm -rf "$KEEP_STORE"
fake bearer
k pull --policy "$T/accept.json" "$FREG/busybox:latest"
expect "bearer-token auth: the token service is asked, then the registry" "^Pulled"
if grep -q '^/token?' "$T/fake-bearer.log"; then ok "bearer-token auth: a token was fetched"; else fail "no token request"; fi
$MK "$ROOTFS" "$T/arm.tar" keep.test/busybox:latest --format oci --index arm64
rm -rf "$T/layout"; mkdir -p "$T/layout"; tar -xf "$T/arm.tar" -C "$T/layout"
fake good
k pull --policy "$T/accept.json" "$FREG/busybox:latest"
expect_code "an index with no manifest for this platform: refused" 125
expect "names the platform and the way out" "no manifest for platform linux/amd64.*--platform"
done_testing
