#!/usr/bin/env bash
# Start-to-exit of /bin/true in a container: keep against crun, runc and
# bubblewrap, beside the physical floors (fork+exec, unshare), in one run.
# Medians from hyperfine, ratios, and the runtime's peak RSS.
#   sudo bench/run.sh            (BENCH_RUNS=N to change the run count)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-50}
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: run as root (crun and runc need it)" >&2; exit 1; }

. "$src/bench/lib.sh"
bench_setup crun runc bubblewrap hyperfine time

work=$(mktemp -d /tmp/keep-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
"$src/tools/mkrootfs.sh" "$work/rootfs" >/dev/null

# One config.json for all three OCI runtimes: crun's own default.
mkdir -p "$work/plain" "$work/hard"
cp -a "$work/rootfs" "$work/plain/rootfs"
(cd "$work/plain" && crun spec && python3 - <<'EOF'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open("config.json", "w"))
EOF
)
# keep's hardened default (user namespace, seccomp, limits, read-only root),
# given to crun too: the same defences, compared like for like.
"$src/tools/mkrootfs.sh" "$work/hard/rootfs" --chown 1000000000 >/dev/null
(cd "$work/hard" && "$keep" spec && python3 - <<'EOF'
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["/bin/true"]
json.dump(c, open("config.json", "w"))
EOF
)

# crun refuses a cgroup v1 host with a cgroup2 mount at .../unified (this
# hybrid layout): every row runs in one mount namespace without it.
inner=$work/inner.sh
cat > "$inner" <<EOF
set -e
umount /sys/fs/cgroup/unified 2>/dev/null || true
hyperfine -N --warmup 5 --runs $runs --export-json $work/start.json \\
  -n "fork+exec (floor)" "$work/rootfs/bin/true" \\
  -n "unshare, 7 namespaces (floor)" "unshare --user --map-root-user --pid --mount --net --ipc --uts --cgroup --fork $work/rootfs/bin/true" \\
  -n "keep run (all defaults)" "$keep run $work/rootfs /bin/true" \\
  -n "bwrap --unshare-all" "bwrap --unshare-all --die-with-parent --ro-bind $work/rootfs / --proc /proc --dev /dev /bin/true" \\
  -n "keep run --bundle (crun's spec)" "$keep --root $work/state-k run --bundle $work/plain kb" \\
  -n "crun run (crun's spec)" "crun --root $work/state-c run --bundle $work/plain cb" \\
  -n "runc run (crun's spec)" "runc --root $work/state-r run --bundle $work/plain rb" \\
  -n "keep run --bundle (keep's hardened spec)" "$keep --root $work/state-k run --bundle $work/hard kh" \\
  -n "crun run (keep's hardened spec)" "crun --root $work/state-c run --bundle $work/hard ch" \\
  -n "runc run (keep's hardened spec)" "runc --root $work/state-r run --bundle $work/hard rh" >&2
rss() { for i in 1 2 3 4 5; do /usr/bin/time -f %M "\$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 3p; }
echo "keep run (all defaults)=\$(rss $keep run $work/rootfs /bin/true)"
echo "keep run --bundle (crun's spec)=\$(rss $keep --root $work/state-k run --bundle $work/plain kb)"
echo "crun run (crun's spec)=\$(rss crun --root $work/state-c run --bundle $work/plain cb)"
echo "runc run (crun's spec)=\$(rss runc --root $work/state-r run --bundle $work/plain rb)"
echo "keep run --bundle (keep's hardened spec)=\$(rss $keep --root $work/state-k run --bundle $work/hard kh)"
echo "crun run (keep's hardened spec)=\$(rss crun --root $work/state-c run --bundle $work/hard ch)"
echo "bwrap --unshare-all=\$(rss bwrap --unshare-all --die-with-parent --ro-bind $work/rootfs / --proc /proc --dev /dev /bin/true)"
EOF
unshare -m --propagation private sh "$inner" > "$work/rss.txt"

mkdir -p "$src/bench/results"
python3 - "$work/start.json" "$work/rss.txt" <<'EOF' | tee "$src/bench/results/start.md"
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
med = {k: sorted(r["times"])[len(r["times"]) // 2] * 1000 for k, r in res.items()}
def ref(name):
    return med["crun run (keep's hardened spec)"] if "hardened" in name else med["crun run (crun's spec)"]
print("| start-to-exit of /bin/true | median ms | vs crun, same config | peak RSS KiB |")
print("|---|---:|---:|---:|")
for name, m in med.items():
    ratio = f"{m / ref(name):.2f}x" if "run (" in name or "--bundle" in name else "—"
    print(f"| {name} | {m:.2f} | {ratio} | {rss.get(name, '—')} |")
EOF
