#!/usr/bin/env bash
# Fetch the signature fixtures of containers/image (valid, expired, corrupt,
# unknown-key GPG signatures; cosign signatures) from Debian's
# golang-github-containers-image-dev package: its files only, unpacked into
# a cache directory, nothing built or installed.  Prints the fixtures path.
set -uo pipefail
dir=${KEEP_FIXTURES_CACHE:-/var/tmp/keep-test-fixtures}
sub=usr/share/gocode/src/github.com/containers/image/signature/fixtures
if [ ! -d "$dir/$sub" ]; then
  mkdir -p "$dir" && cd "$dir" &&
    apt-get download -qq golang-github-containers-image-dev >/dev/null 2>&1 &&
    dpkg -x golang-github-containers-image-dev_*.deb . && rm -f golang-github-containers-image-dev_*.deb ||
    { echo "fetch-fixtures: could not download golang-github-containers-image-dev" >&2; exit 1; }
fi
echo "$dir/$sub"
