#!/usr/bin/env bash
# Install what building and testing keep needs, from Debian packages.
#   tools/install-deps.sh            install (as root)
#   tools/install-deps.sh --check    exit 1 when something is missing
set -euo pipefail
packages=(
  build-essential meson ninja-build pkg-config
  libseccomp-dev libjansson-dev libmnl-dev libnftables-dev libarchive-dev libssl-dev libcurl4-openssl-dev libyaml-dev libgpgme-dev libmd0 gpg zstd musl-tools
  busybox-static uidmap util-linux iproute2 procps passwd bsdextrautils file perl python3 openssl curl
  # pasta: a normal user's --egress networks go out through it; nft: the network tests read rules back
  passt nftables
  # apparmor_parser: keep loads its AppArmor profile with it; test-lsm compiles the profile
  apparmor
  # man pages (doc/*.scd) and the completion tests
  scdoc bash-completion zsh
  # tests/fuzz: clang, its libFuzzer and sanitizer runtimes, llvm-symbolizer
  clang libclang-rt-dev llvm
  # tests/vm: the cgroup v2 + AppArmor guest (its kernel is downloaded, not installed)
  qemu-system-x86
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${1:-}" = --check ]; then
  [ ${#missing[@]} -eq 0 ] || { echo "missing packages: ${missing[*]}" >&2; exit 1; }
  exit 0
fi
[ ${#missing[@]} -gt 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run it as root (sudo $0 or su -c $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
