#!/usr/bin/env bash
# Run every libFuzzer harness (or those named) for SECONDS each, on a copy
# of its seed corpus (new inputs stay in a temporary directory, never in
# the tree).  Builds build-fuzz first (clang, -Dfuzz=true) when needed.
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]      default 60 s, all
# Environment: KEEP_FUZZ_BUILD (build directory, default build-fuzz),
# KEEP_FUZZ_RSS_MB (memory limit per harness, default 2048),
# KEEP_FUZZ_PENDING=1 (also check the invariants awaiting a fix).
# Exits non-zero when a harness crashes, leaks, hits undefined behaviour or
# breaks an invariant; the input that does it is printed with the command
# that replays it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in ''|*[!0-9]*) echo "usage: $0 [SECONDS] [HARNESS...]" >&2; exit 2 ;; esac
build=${KEEP_FUZZ_BUILD:-$top/build-fuzz}
rss=${KEEP_FUZZ_RSS_MB:-2048}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$top" -Dfuzz=true -Db_lundef=false > "$build.log" 2>&1 \
    || { cat "$build.log"; exit 1; }
fi
ninja -C "$build" > "$build.log" 2>&1 || { cat "$build.log"; exit 1; }

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for d in "$here"/corpus/*/; do names+=("$(basename "$d")"); done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/keep-fuzz.XXXXXX")
passed=0
failed=0
printf '%-18s %10s %10s %8s  %s\n' harness runs exec/s corpus result
for name in "${names[@]}"; do
  exe="$build/tests/fuzz/fuzz-${name//_/-}"
  if [ ! -x "$exe" ] || [ ! -d "$here/corpus/$name" ]; then
    echo "no harness or corpus named \`$name\`" >&2
    failed=$((failed + 1))
    continue
  fi
  mkdir -p "$work/$name/corpus" "$work/$name/artifacts" "$work/$name/tmp"
  cp "$here/corpus/$name"/* "$work/$name/corpus/"
  dict=()
  [ -f "$here/dict/$name.dict" ] && dict=("-dict=$here/dict/$name.dict")
  rc=0
  (cd "$work/$name" && TMPDIR="$work/$name/tmp" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$exe" -max_total_time="$secs" -rss_limit_mb="$rss" -timeout=30 -print_final_stats=1 \
      -artifact_prefix="$work/$name/artifacts/" "${dict[@]}" corpus) > "$work/$name/log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name/log" | tail -1)
  entries=$(find "$work/$name/corpus" -type f | wc -l)
  crashes=$(find "$work/$name/artifacts" -type f | sort)
  if [ "$rc" -eq 0 ] && [ -z "$crashes" ]; then
    passed=$((passed + 1))
    printf '%-18s %10s %10s %8s  %s\n' "$name" "${runs:-?}" "${speed:-?}" "$entries" ok
  else
    failed=$((failed + 1))
    printf '%-18s %10s %10s %8s  %s\n' "$name" "${runs:-?}" "${speed:-?}" "$entries" "FAILED (exit $rc)"
    grep -E '==INVARIANT==|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' \
      "$work/$name/log" | head -5 | sed 's/^/    /'
    for c in $crashes; do
      echo "    input: $c"
      echo "    replay: $exe $c"
    done
    echo "    log: $work/$name/log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
rm -rf "$work"
