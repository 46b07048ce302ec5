# Shared by the benchmarks: install the peers, build keep for release.
#   bench_setup PACKAGE...   sets $keep (the binary to measure)
bench_setup() {
  "$src/tools/install-deps.sh"
  local need=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  [ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  local build=$src/build-bench
  [ -f "$build/build.ninja" ] || meson setup "$build" "$src" --buildtype=release >/dev/null
  ninja -C "$build" >/dev/null
  keep=${KEEP:-$build/src/keep}
}
