#!/usr/bin/env bash
# Image work: pull + verify + unpack from a local registry, keep against
# `skopeo copy` + `umoci unpack` on the same images; a second pull of shared
# layers; and start-to-exit from a 1 MB image against a 1 GB one.  Each
# preparation ends with `sync`, so no run pays for the previous one's
# writeback.  keep syncs its store before it names a layer or a tag; the
# peers do not sync at all.
#   sudo bench/images.sh            (BENCH_RUNS=N to change the run count)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-10}
[ "$(id -u)" -eq 0 ] || { echo "bench/images.sh: run as root" >&2; exit 1; }

. "$src/bench/lib.sh"
bench_setup skopeo umoci docker-registry hyperfine

work=$(mktemp -d /tmp/keep-bench-img.XXXXXX)
reg_pid=
cleanup() { [ -z "$reg_pid" ] || kill "$reg_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work"
"$src/tools/mkrootfs.sh" "$work/rootfs" >/dev/null

# Images: the small busybox root (1 layer, ~1 MB); a "python" image of the
# host's /usr/lib/python3 (~60 MB, thousands of files) on top of it; and one
# carrying a 1 GB file, for the start-time comparison.
python3 - "$work" <<'PY'
import io, os, sys, tarfile
w = sys.argv[1]
with tarfile.open(w + "/python.tar", "w") as t:
    t.add("/usr/lib/python3", arcname="usr/lib/python3")
with tarfile.open(w + "/big.tar", "w") as t:
    ti = tarfile.TarInfo("big.bin"); ti.size = 1 << 30
    class Zero(io.RawIOBase):
        def readable(self): return True
        def readinto(self, b): n = len(b); b[:n] = bytes(n); return n
    t.addfile(ti, io.BufferedReader(Zero(), 1 << 20))
PY
mk() { python3 "$src/tools/mkimage.py" "$work/rootfs" "$work/$1.oci.tar" "bench/$1:1" --format oci "${@:2}"; }
mk small
mk python --layer-tar "$work/python.tar"
mk big --layer-tar "$work/big.tar"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/reg.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
reg=127.0.0.1:$port
for i in small python big; do
  skopeo copy -q --dest-tls-verify=false "oci-archive:$work/$i.oci.tar" "docker://$reg/$i:1"
  skopeo copy -q --dest-tls-verify=false "oci-archive:$work/$i.oci.tar" "docker://$reg/$i:2"
done
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"

export KEEP_STORE=$work/store
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/pull.json" \
  --prepare "sh -c 'rm -rf $work/store; sync'" \
  -n "keep pull small (pull+verify+unpack)" "$keep pull -q --policy $work/policy.json $reg/small:1" \
  --prepare "sh -c 'rm -rf $work/oci $work/bundle; sync'" \
  -n "skopeo copy + umoci unpack small" "sh -c 'skopeo copy -q --src-tls-verify=false docker://$reg/small:1 oci:$work/oci:small && umoci unpack --image $work/oci:small $work/bundle >/dev/null'" \
  --prepare "sh -c 'rm -rf $work/store; sync'" \
  -n "keep pull python (pull+verify+unpack)" "$keep pull -q --policy $work/policy.json $reg/python:1" \
  --prepare "sh -c 'rm -rf $work/oci $work/bundle; sync'" \
  -n "skopeo copy + umoci unpack python" "sh -c 'skopeo copy -q --src-tls-verify=false docker://$reg/python:1 oci:$work/oci:python && umoci unpack --image $work/oci:python $work/bundle >/dev/null'" \
  --prepare "sh -c 'rm -rf $work/store && $keep pull -q --policy $work/policy.json $reg/python:1 >/dev/null; sync'" \
  -n "keep pull python, layers already there (2nd tag)" "$keep pull -q --policy $work/policy.json $reg/python:2" \
  >/dev/null

# Start-to-exit: 1 MB against 1 GB image, layers already unpacked.
rm -rf "$work/store"
"$keep" pull -q --policy "$work/policy.json" "$reg/small:1" >/dev/null
"$keep" pull -q --policy "$work/policy.json" "$reg/big:1" >/dev/null
hyperfine -N --warmup 3 --runs $((runs * 4)) --export-json "$work/start.json" \
  -n "keep run small image /bin/true" "$keep run $reg/small:1 /bin/true" \
  -n "keep run 1 GB image /bin/true" "$keep run $reg/big:1 /bin/true" \
  -n "keep run ROOTFS /bin/true" "$keep run $work/rootfs /bin/true" >/dev/null 2>&1

python3 - "$work/pull.json" "$work/start.json" <<'PY'
import json, sys
rows = []
for f in sys.argv[1:]:
    rows += [(r["command"], r["median"] * 1000) for r in json.load(open(f))["results"]]
m = dict(rows)
print("| what | median ms |")
print("|---|---:|")
for name, ms in rows:
    print("| %s | %.1f |" % (name, ms))
for size in ("small", "python"):
    k = m["keep pull %s (pull+verify+unpack)" % size]; p = m["skopeo copy + umoci unpack %s" % size]
    print("\n%s: keep %.1f ms, skopeo+umoci %.1f ms: keep is %.1fx faster" % (size, k, p, p / k))
s, b = m["keep run small image /bin/true"], m["keep run 1 GB image /bin/true"]
print("start: 1 GB image %.1f ms vs 1 MB image %.1f ms (%.2fx)" % (b, s, b / s))
PY
