#!/usr/bin/env bash
# rootless
# AppArmor: keep's own profile by default where the host has AppArmor, shown
# alone stopping what the other layers were switched off for (mount, raw
# sockets, /proc/sys, ptrace and signals outside the container); keep exec
# under the same profile; --security-opt apparmor=PROFILE|unconfined (WEAKER,
# in keep inspect); process.apparmorProfile of an OCI config.  Where the host
# has no AppArmor nothing changes, and a named profile is refused; SELinux
# labels are refused where the host has no SELinux.
. "$SRCDIR/tests/lib.sh"
mkroot
k() { kas "$KEEP" "$@"; }
jcheck() { cp "$T/out" "$T/json"; check "$1" python3 -c "import json; d=json.load(open('$T/json'))
$2"; }
aa_host() { [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /sys/kernel/security/apparmor ]; }
se_host() { [ -e /sys/fs/selinux/enforce ]; }
AA=keep-default-v1
# Only AppArmor stands between the probe and the call: no seccomp filter,
# no Landlock domain, the capability the call needs.
alone=(--security-opt seccomp=unconfined --security-opt landlock=off)

# --- on any host ---
krun --security-opt "apparmor=bad name" "$ROOTFS" true
expect_code "a profile name with a space: 125" 125
expect "a profile name with a space: named" "apparmor= .bad name."
one_line_error "a profile name with a space: one line"
krun --security-opt apparmor=keep-no-such-profile "$ROOTFS" true
expect_code "an unknown profile: 125" 125
if aa_host; then
  expect "an unknown profile: named" "keep-no-such-profile"
else
  expect "an unknown profile: AppArmor is not enabled here" \
    "apparmor= .keep-no-such-profile.: AppArmor is not enabled on this host"
fi
one_line_error "an unknown profile: one line"
k features
jcheck "keep features: AppArmor and SELinux as the host has them" "
assert d['linux']['apparmor']['enabled'] == $(aa_host && echo True || echo False), d['linux']['apparmor']
assert d['linux']['selinux']['enabled'] == $(se_host && echo True || echo False), d['linux']['selinux']"

if ! rootless; then
  # OCI configs: each label refused by name where its LSM is missing.
  B=$T/bundle R=$T/state
  mkdir -p "$B"
  "$SRCDIR/tools/mkrootfs.sh" "$B/rootfs" --probe "$PROBE" --chown 1000000000 >/dev/null
  chmod 755 "$B"
  "$KEEP" spec --bundle "$B" >/dev/null
  cp "$B/config.json" "$T/config.orig"
  oci_run() { # ID: run --bundle attached, output in $T/out
    RC=0
    timeout 30 "$KEEP" --root "$R" run --bundle "$B" "$1" >"$T/out" 2>&1 </dev/null || RC=$?
  }
  cfg() { cp "$T/config.orig" "$B/config.json"; python3 - "$B/config.json" "$1" <<'PY'
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p))
exec(code)
json.dump(c, open(p, "w"), indent=1)
PY
  }
  if ! se_host; then
    cfg 'c["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"'
    oci_run se1
    expect_code "linux.mountLabel without SELinux: refused" 125
    expect "linux.mountLabel without SELinux: named" "linux.mountLabel: SELinux is not enabled on this host"
    one_line_error "linux.mountLabel without SELinux: one line"
    cfg 'c["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"'
    oci_run se2
    expect_code "process.selinuxLabel without SELinux: refused" 125
    expect "process.selinuxLabel without SELinux: named" "process.selinuxLabel: SELinux is not enabled on this host"
    one_line_error "process.selinuxLabel without SELinux: one line"
  fi
  cfg 'c["process"]["selinuxLabel"] = "container_t"'
  oci_run se3
  expect_code "a malformed process.selinuxLabel: refused" 125
  expect "a malformed process.selinuxLabel: named" "process.selinuxLabel .container_t."
  cfg 'c["process"]["apparmorProfile"] = "keep-no-such-profile"'
  oci_run aa0
  expect_code "an unknown process.apparmorProfile: refused" 125
  expect "an unknown process.apparmorProfile: named" "process.apparmorProfile .keep-no-such-profile."
  one_line_error "an unknown process.apparmorProfile: one line"
fi

if ! aa_host; then
  krun "$ROOTFS" true
  expect_code "no AppArmor here: keep run works as before" 0
  krun --security-opt apparmor=unconfined "$ROOTFS" true
  expect_code "no AppArmor here: apparmor=unconfined asks for nothing, and runs" 0
  krun -d --name aa-none "$ROOTFS" sleep 30
  k inspect aa-none
  jcheck "no AppArmor here: inspect says none, nothing weakened by it" "
d = d[0]['Defences']
assert d['apparmor'] == 'none' and not any('apparmor' in w for w in d['weakened']), d"
  k rm -f aa-none
  skip "keep's profile in real containers" "this host has no AppArmor (tests/vm/run.sh boots one that has)"
  done_testing
  exit
fi

# --- keep's profile, by default ---
krun "$ROOTFS" cat /proc/self/attr/current
expect "the container runs under keep's profile, enforced" "^$AA \(enforce\)$"
if ! rootless; then
  check "keep loaded its profile" grep -q "^$AA (enforce)$" /sys/kernel/security/apparmor/profiles
fi
krun --cap-add SYS_ADMIN "${alone[@]}" "$ROOTFS" keep-probe syscall mount
expect "mount with CAP_SYS_ADMIN and no filter: AppArmor refuses it" "^syscall-mount denied EACCES$"
krun --cap-add SYS_ADMIN "${alone[@]}" "$ROOTFS" keep-probe syscall umount
expect "umount with CAP_SYS_ADMIN and no filter: AppArmor refuses it" "^syscall-umount denied EACCES$"
krun --cap-add SYS_ADMIN "${alone[@]}" --security-opt apparmor=unconfined "$ROOTFS" keep-probe syscall mount
expect "the same mount unconfined succeeds: AppArmor alone stopped it" "^syscall-mount ok$"
krun --cap-add NET_RAW "${alone[@]}" "$ROOTFS" keep-probe syscall socket-raw
expect "a raw socket with CAP_NET_RAW: refused" "^syscall-socket-raw denied EACCES$"
krun --cap-add NET_RAW "${alone[@]}" "$ROOTFS" keep-probe syscall socket-packet
expect "a packet socket with CAP_NET_RAW: refused" "^syscall-socket-packet denied EACCES$"
krun --cap-add NET_RAW "${alone[@]}" --security-opt apparmor=unconfined "$ROOTFS" keep-probe syscall socket-raw
expect "the same raw socket unconfined succeeds" "^syscall-socket-raw ok$"
krun "$ROOTFS" keep-probe open-write /proc/sys/kernel/hostname
expect "/proc/sys/kernel/hostname cannot be opened for writing" "^open-write denied"
krun "$ROOTFS" keep-probe read /proc/sysrq-trigger
expect "/proc/sysrq-trigger: not even read" "^read denied"
krun "$ROOTFS" keep-probe read /proc/kcore
expect "/proc/kcore: not even read" "^read denied"
# ptrace and signals: among the container's processes only, not its init.
krun --cap-add SYS_PTRACE "${alone[@]}" "$ROOTFS" sh -c 'sleep 10 & keep-probe ptrace-pid $!; keep-probe ptrace-pid 1; kill $!'
expect "ptrace of a process under the same profile: allowed" "^ptrace ok$"
expect "ptrace of keep's init (not under the profile): refused" "^ptrace denied EACCES$"
krun "${alone[@]}" "$ROOTFS" keep-probe kill 1 0
expect "a signal to keep's init: refused" "^kill denied EACCES$"

# --- keep exec: the container's profile ---
krun -d --name aa-exec "$ROOTFS" sleep 30
k exec aa-exec cat /proc/self/attr/current
expect "keep exec runs under the container's profile" "^$AA \(enforce\)$"
k exec aa-exec keep-probe read /proc/kcore
expect "keep exec: the profile holds" "^read denied"
k inspect aa-exec
jcheck "inspect: keep's profile, nothing weakened by it" "
d = d[0]['Defences']
assert d['apparmor'] == '$AA' and not any('apparmor' in w for w in d['weakened']), d"
k rm -f aa-exec

# --- apparmor=unconfined: WEAKER ---
krun --security-opt apparmor=unconfined "$ROOTFS" cat /proc/self/attr/current
expect "apparmor=unconfined: unconfined" "^unconfined$"
krun -d --name aa-unc --security-opt apparmor=unconfined "$ROOTFS" sleep 30
k inspect aa-unc
jcheck "inspect: apparmor=unconfined is weakened" "
d = d[0]['Defences']
assert d['apparmor'] == 'unconfined' and any('apparmor=unconfined' in w for w in d['weakened']), d"
k exec aa-unc cat /proc/self/attr/current
expect "keep exec of an unconfined container: unconfined" "^unconfined$"
k rm -f aa-unc

if rootless; then
  done_testing
  exit
fi

# --- a profile of the host's own: apparmor=PROFILE and process.apparmorProfile ---
printf 'profile keep-test-aa flags=(attach_disconnected) {\n  file,\n  capability,\n  network,\n  signal,\n  ptrace,\n  deny /etc/passwd r,\n}\n' > "$T/aa.profile"
check "a test profile loads" apparmor_parser -r -K "$T/aa.profile"
krun --security-opt apparmor=keep-test-aa "$ROOTFS" sh -c 'cat /proc/self/attr/current; keep-probe read /etc/passwd'
expect "apparmor=PROFILE: the container runs under it" "^keep-test-aa \(enforce\)$"
expect "apparmor=PROFILE: its rules hold" "^read denied EACCES$"
cfg 'c["process"]["apparmorProfile"] = "keep-test-aa"; c["process"]["args"] = ["cat", "/proc/self/attr/current"]'
oci_run aa1
expect "run --bundle: process.apparmorProfile is honoured" "^keep-test-aa \(enforce\)$"
cfg 'c["process"]["apparmorProfile"] = "keep-test-aa"; c["process"]["args"] = ["sleep", "30"]'
RC=0; "$KEEP" --root "$R" create --bundle "$B" aa2 >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "create with process.apparmorProfile" 0
"$KEEP" --root "$R" start aa2
RC=0; "$KEEP" --root "$R" exec aa2 cat /proc/self/attr/current >"$T/out" 2>&1 </dev/null || RC=$?
expect "exec: the container's process.apparmorProfile" "^keep-test-aa \(enforce\)$"
printf '{"args": ["cat", "/proc/self/attr/current"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "apparmorProfile": "%s"}' "$AA" > "$T/p.json"
RC=0; "$KEEP" --root "$R" exec --process "$T/p.json" aa2 >"$T/out" 2>&1 </dev/null || RC=$?
expect "exec --process: the process's own apparmorProfile" "^$AA \(enforce\)$"
"$KEEP" --root "$R" delete --force aa2
cfg 'c["process"]["args"] = ["cat", "/proc/self/attr/current"]'
oci_run aa3
expect "keep spec's config names keep's profile" "^$AA \(enforce\)$"
cfg 'c["process"]["args"] = ["cat", "/proc/self/attr/current"]; del c["process"]["apparmorProfile"]'
oci_run aa4
expect "a config without apparmorProfile: the config decides" "^unconfined$"
check "the test profile unloads" apparmor_parser -R "$T/aa.profile"
krun --security-opt apparmor=keep-test-aa "$ROOTFS" true
expect_code "a profile no longer loaded: refused" 125
one_line_error "a profile no longer loaded: one line"

done_testing
