#!/usr/bin/env bash
# Build a small root filesystem from Debian's busybox-static.
#   tools/mkrootfs.sh DEST [--probe PATH] [--chown BASE]
# --probe PATH  copy a static binary to DEST/usr/bin/keep-probe
# --chown BASE  shift every owner by BASE (so the container's root, mapped
#               to host uid BASE, owns the tree)
set -euo pipefail

die() { echo "mkrootfs: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: mkrootfs.sh DEST [--probe PATH] [--chown BASE]"
dest=$1; shift
probe="" chown_base=""
while [ $# -gt 0 ]; do
  case $1 in
    --probe) probe=$(realpath "$2"); shift 2 ;;
    --chown) chown_base=$2; shift 2 ;;
    *) die "unknown option \`$1'" ;;
  esac
done
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || die "$busybox missing: apt-get install busybox-static"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] ||
  die "$busybox is not static: apt-get install busybox-static"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then die "\`$dest' exists and is not empty"; fi

umask 022
mkdir -p "$dest"
cd "$dest"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp run root home/app var/tmp mnt data srv opt
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
# One process for all the links (perl-base is on every Debian system).
bin/busybox --list | perl -ne 'chomp; symlink("busybox", "bin/$_") unless $_ eq "busybox"' 
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > etc/group <<'G'
root:x:0:
tty:x:5:
app:x:1000:
nogroup:x:65534:
G
cat > etc/os-release <<'O'
NAME="keep demo rootfs"
ID=keep-demo
PRETTY_NAME="keep demo root filesystem (busybox)"
O
if [ -n "$probe" ]; then cp "$probe" usr/bin/keep-probe; chmod 755 usr/bin/keep-probe; fi
chown 1000:1000 home/app 2>/dev/null || true
if [ -n "$chown_base" ]; then
  # One chown per owner, not per file: forks are what costs in a slow guest.
  find . -printf '%U %G\n' | sort -u | while read -r u g; do
    find . -uid "$u" -gid "$g" -print0 | xargs -0 -r chown -h "$((chown_base + u)):$((chown_base + g))"
  done
fi
