#!/usr/bin/env bash
# keep audit image on a 60 MB image of ~3,600 files (the host's
# /usr/lib/python3 on the busybox root) whose dpkg database lists 200
# packages, against a synthetic database of 60,000 OSV records.
#   sudo bench/audit.sh            (BENCH_RUNS=N to change the run count)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench/audit.sh: run as root" >&2; exit 1; }
. "$src/bench/lib.sh"
bench_setup hyperfine
work=$(mktemp -d /tmp/keep-bench-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$src/tools/mkrootfs.sh" "$work/rootfs" >/dev/null
mkdir -p "$work/rootfs/usr/lib" "$work/rootfs/var/lib/dpkg"
cp -a /usr/lib/python3 "$work/rootfs/usr/lib/"
printf 'ID=debian\nVERSION_ID="12"\n' > "$work/rootfs/etc/os-release"
python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
with open(w + "/rootfs/var/lib/dpkg/status", "w") as f:
    for i in range(200):
        f.write("Package: pkg%d\nStatus: install ok installed\nVersion: 1.%d-1\n\n" % (i, i))
os.makedirs(w + "/osv")
for i in range(60000):
    rec = {"id": "DSA-%d" % i, "aliases": ["CVE-2026-%d" % i], "affected": [{"package": {"ecosystem": "Debian:12",
           "name": "pkg%d" % (i % 4000)}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
           {"fixed": "1.%d-1" % (i % 300)}]}]}]}
    with open("%s/osv/DSA-%d.json" % (w, i), "w") as f:
        json.dump(rec, f)
PY
export KEEP_STORE=$work/store
python3 "$src/tools/mkimage.py" "$work/rootfs" "$work/img.tar" bench/audit:1 --user 1000 --format oci >/dev/null
"$keep" load -i "$work/img.tar" >/dev/null
files=$(find "$work/rootfs" | wc -l); size=$(du -sm "$work/rootfs" | cut -f1)
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/audit.json" -i \
  -n "keep audit image (${size} MB, ${files} files, 60000 OSV records)" \
  "$keep audit image --vuln-db $work/osv bench/audit:1" >/dev/null
python3 - "$work/audit.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("| %s | %.0f ms |" % (r["command"], r["median"] * 1000))
PY
