#!/usr/bin/env bash
# keep trace on three workloads: the size of the learned profile (calls it
# allows) against keep's default profile and Docker's (containers-common's
# seccomp.json, the same list as moby's default.json; calls allowed without
# an added capability, on x86), and the time of a traced run against an
# untraced one (both with every default defence on).
#   sudo bench/trace.sh            (BENCH_RUNS=N to change the run count)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-10}
[ "$(id -u)" -eq 0 ] || { echo "bench/trace.sh: run as root" >&2; exit 1; }
. "$src/bench/lib.sh"
bench_setup hyperfine golang-github-containers-common
work=$(mktemp -d /tmp/keep-bench-trace.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$src/tools/mkrootfs.sh" "$work/rootfs" >/dev/null
chmod 755 "$work"

# Python: the host's interpreter, its libraries and its standard library.
py=$(readlink -f /usr/bin/python3 2>/dev/null || true)
if [ -x "$py" ]; then
  mkdir -p "$work/rootfs/usr/bin" "$work/rootfs/usr/lib"
  cp "$py" "$work/rootfs/usr/bin/python3"
  ldd "$py" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$work/rootfs$(dirname "$lib")"
    cp -L "$lib" "$work/rootfs$lib"
  done
  cp -a "/usr/lib/$(basename "$py")" "$work/rootfs/usr/lib/"
fi

declare -A cmd
cmd[shell script]='for f in /etc/passwd /etc/group; do wc -l $f; done | sort | head -1; mkdir -p /tmp/w && echo x > /tmp/w/f && cat /tmp/w/f; sleep 0.01 & wait; id -u'
cmd[busybox httpd, one request]='mkdir -p /tmp/www && echo hello > /tmp/www/index.html && httpd -p 127.0.0.1:8080 -h /tmp/www && wget -qO- http://127.0.0.1:8080/index.html'
order=("shell script" "busybox httpd, one request")
if [ -x "$work/rootfs/usr/bin/python3" ]; then
  cmd[python3 one-liner]='python3 -c "import json, hashlib; print(json.dumps({\"h\": hashlib.sha256(b\"x\").hexdigest()}))"'
  order+=("python3 one-liner")
fi

docker_count=$(python3 - /usr/share/containers/seccomp.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
ours = {"amd64", "x86", "x32", "386"}
names = set()
for r in p["syscalls"]:
    inc = r.get("includes") or {}
    if r["action"] != "SCMP_ACT_ALLOW" or inc.get("caps") or (inc.get("arches") and not ours & set(inc["arches"])):
        continue
    names |= set(r["names"])
print(len(names))
PY
)

echo "| workload | learned profile | keep's default | Docker's default | untraced | traced | ratio |"
echo "|---|---|---|---|---|---|---|"
i=0
for w in "${order[@]}"; do
  i=$((i + 1))
  c=${cmd[$w]}
  # Three traces merged: a run may not take every path (busybox wget polls
  # only when its read would block, which the traced, slower run may never see).
  for _ in 1 2 3; do
    merge=(); [ -f "$work/p$i.json" ] && merge=(--merge "$work/p$i.json")
    "$keep" trace -o "$work/p$i.json" "${merge[@]}" "$work/rootfs" /bin/sh -c "$c" >/dev/null 2>"$work/trace$i.err" ||
      { cat "$work/trace$i.err" >&2; exit 1; }
  done
  learned=$(grep -o '[0-9]* system calls allowed' "$work/trace$i.err" | cut -d' ' -f1)
  default=$(grep -o "keep's default allows [0-9]*" "$work/trace$i.err" | grep -o '[0-9]*$')
  for _ in 1 2 3; do
    "$keep" run --log-denied --security-opt seccomp="$work/p$i.json" "$work/rootfs" /bin/sh -c "$c" >/dev/null \
      2>"$work/rerun$i.err" && ! grep -q 'seccomp denied' "$work/rerun$i.err" ||
      { echo "bench/trace.sh: $w does not rerun under its profile:" >&2; cat "$work/rerun$i.err" >&2; exit 1; }
  done
  printf '%s\n' "$c" > "$work/rootfs/bench$i.sh"
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/t$i.json" \
    -n untraced "$keep run $work/rootfs /bin/sh /bench$i.sh" \
    -n traced "$keep trace -o $work/q$i.json $work/rootfs /bin/sh /bench$i.sh" >/dev/null
  python3 - "$work/t$i.json" "$w" "$learned" "$default" "$docker_count" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
w, learned, default, docker = sys.argv[2:6]
print("| %s | %s | %s | %s | %.1f ms | %.1f ms | %.2fx |" % (w, learned, default, docker, r["untraced"], r["traced"],
      r["traced"] / r["untraced"]))
PY
done
