# The guest's kernel and initramfs, from Debian packages.  Sourced by
# tests/vm/run.sh.
#   guest_kernel: Debian's current linux-image-amd64 kernel, downloaded and
#     unpacked (never installed: the host's /boot stays as it is) once per
#     package version into $KEEP_VM_CACHE (/var/cache/keep-guest); sets
#     KERNEL (vmlinuz), MODULES (its /lib/modules/VERSION tree) and KVER.
#   guest_initrd FILE INIT: busybox-static, the virtio, 9p, overlay and
#     ext4 modules with their dependencies, and INIT as /init.
CACHE=${KEEP_VM_CACHE:-/var/cache/keep-guest}
# What the first stage loads, in an order modules.dep completes.
GUEST_MODULES=(virtio_pci 9pnet_virtio 9p overlay virtio_blk crc32c_generic ext4)

guest_kernel() {
  local pkg ver dir tmp
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || { echo "tests/vm: no linux-image-amd64 package known to apt" >&2; return 1; }
  ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ {print $2; exit}')
  dir=$CACHE/${pkg}_$ver
  if [ ! -f "$dir/ready" ]; then
    mkdir -p "$CACHE" || return 1
    tmp=$(mktemp -d "$CACHE/.new.XXXXXX") || return 1
    # apt's sandbox user cannot write there: download as root, quietly.
    if ! (cd "$tmp" && apt-get download -qq "$pkg=$ver" >/dev/null 2>&1 && dpkg-deb -x ./*.deb root &&
      rm -f ./*.deb); then
      echo "tests/vm: cannot download or unpack $pkg $ver" >&2
      rm -rf "$tmp"; return 1
    fi
    local kv
    kv=$(ls "$tmp/root/lib/modules")
    # The package has no modules.dep (depmod runs at install): busybox makes one.
    busybox depmod -b "$tmp/root" "$kv" || { rm -rf "$tmp"; return 1; }
    rm -rf "$dir"
    mv "$tmp" "$dir" && touch "$dir/ready"
  fi
  KVER=$(ls "$dir/root/lib/modules")
  KERNEL=$dir/root/boot/vmlinuz-$KVER
  MODULES=$dir/root/lib/modules/$KVER
}

# add_module DIR PATH: PATH (as modules.dep names it) after its dependencies.
add_module() {
  local d=$1 f=$2 dep
  grep -qx "$f" "$d/modules.list" && return 0
  for dep in $(grep -E "^$f:" "$MODULES/modules.dep" | cut -d: -f2); do
    add_module "$d" "$dep" || return 1
  done
  mkdir -p "$d/modules/${f%/*}" && cp "$MODULES/$f" "$d/modules/$f" && echo "$f" >> "$d/modules.list"
}

guest_initrd() {
  local out=$1 init=$2 d m f
  d=$(mktemp -d) || return 1
  mkdir -p "$d/bin" "$d/modules" "$d/proc" "$d/sys" "$d/dev"
  cp /bin/busybox "$d/bin/busybox" && cp "$init" "$d/init" || { rm -rf "$d"; return 1; }
  : > "$d/modules.list"
  for m in "${GUEST_MODULES[@]}"; do
    f=$(grep -oE "^[^:]*/$m\.ko:" "$MODULES/modules.dep") || { echo "tests/vm: no module $m" >&2; rm -rf "$d"; return 1; }
    add_module "$d" "${f%:}" || { rm -rf "$d"; return 1; }
  done
  (cd "$d" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$out"
  local rc=$?
  rm -rf "$d"
  return $rc
}
