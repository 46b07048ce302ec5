#!/usr/bin/env bash
# 100 detached containers: keep run -d against podman run -d (with runc;
# crun refuses this host's cgroup layout), in one run.  Time to start all
# 100, host memory (PSS) of what each tool leaves running per container,
# and time to remove all 100.
#   sudo bench/services.sh           (BENCH_N=N containers, default 100)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_N:-100}
[ "$(id -u)" -eq 0 ] || { echo "bench/services.sh: run as root (podman with runc needs it)" >&2; exit 1; }

. "$src/bench/lib.sh"
bench_setup podman runc bc

work=$(mktemp -d /tmp/keep-bench.XXXXXX)
S=$work/podman
p() {
  podman --root "$S/root" --runroot "$S/runroot" --tmpdir "$S/tmp" --runtime runc --cgroup-manager cgroupfs \
    --events-backend file "$@"
}
cleanup() {
  "$keep" ps -aq --no-trunc 2>/dev/null | grep . | xargs -r "$keep" rm -f >/dev/null 2>&1 || true
  p rm -af -t 0 >/dev/null 2>&1 || true
  p system reset -f >/dev/null 2>&1 || true
  grep " $S" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
"$src/tools/mkrootfs.sh" "$work/rootfs" >/dev/null
python3 "$src/tools/mkimage.py" "$work/rootfs" "$work/image.tar" keep.bench/busybox:latest
p load -i "$work/image.tar" >/dev/null 2>&1
# This host's root lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set.
LIM=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

now() { date +%s.%N; }
# Sum of Pss (kB) of the processes whose pids are given.
pss() { local t=0 p v; for p in "$@"; do v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0); t=$((t + ${v:-0})); done; echo "$t"; }

t0=$(now)
for i in $(seq "$n"); do "$keep" run -d "$work/rootfs" sleep 3600 >/dev/null; done
t1=$(now)
sleep 1
keep_mon=$(pss $(pgrep -x keep-monitor))
keep_init=$(pss $(pgrep -f '^keep-init'))
t2=$(now)
"$keep" ps -aq --no-trunc | xargs "$keep" rm -f >/dev/null
t3=$(now)

t4=$(now)
for i in $(seq "$n"); do p run -d --network none "${LIM[@]}" keep.bench/busybox:latest sleep 3600 >/dev/null; done
t5=$(now)
sleep 1
conmon=$(pss $(pgrep -x conmon))
t6=$(now)
p rm -af -t 0 >/dev/null
t7=$(now)

awk -v n="$n" -v ks="$(echo "$t1 - $t0" | bc)" -v kr="$(echo "$t3 - $t2" | bc)" \
    -v ps="$(echo "$t5 - $t4" | bc)" -v pr="$(echo "$t7 - $t6" | bc)" \
    -v km="$keep_mon" -v ki="$keep_init" -v cm="$conmon" 'BEGIN {
  printf "| %d detached containers | keep run -d | podman run -d (runc) | keep / podman |\n", n
  printf "|---|---|---|---|\n"
  printf "| start all | %.2f s (%.1f ms each) | %.2f s (%.1f ms each) | %.2fx |\n", ks, ks * 1000 / n, ps, ps * 1000 / n, ks / ps
  printf "| remove all | %.2f s | %.2f s | %.2fx |\n", kr, pr, kr / pr
  printf "| monitor PSS per container | %d kB (keep-monitor) | %d kB (conmon) | %.2fx |\n", km / n, cm / n, km / cm
  printf "| + the container'"'"'s PID 1 | %d kB (keep-init) | none (no --init) | |\n", ki / n
  printf "| total PSS per container | %d kB | %d kB | %.2fx |\n", (km + ki) / n, cm / n, (km + ki) / cm
}' | tee "$src/bench/results/services.md"
