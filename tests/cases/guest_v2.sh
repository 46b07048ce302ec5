#!/usr/bin/env bash
# The host-dependent cases again on a cgroup v2 + AppArmor host: Debian's own
# kernel in a qemu guest on this machine's root (tests/vm/run.sh, its
# default set of cases).  Each of the guest's results is one result here.
. "$SRCDIR/tests/lib.sh"
[ -z "${KEEP_VM_GUEST:-}" ] || skip_all "already in the guest of tests/vm"
[ -z "${KEEP_TESTS_NO_VM:-}" ] || skip_all "KEEP_TESTS_NO_VM is set"
[ "$(id -u)" -eq 0 ] || skip_all "the guest needs root (kernel cache, 9p export of /)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"

RC=0
"$SRCDIR/tests/vm/run.sh" --srcdir "$SRCDIR" --build "${KEEP%/src/keep}" > "$T/vm" 2> "$T/vm.err" || RC=$?
# 2: no guest to be had (no kernel package, no build): say why and skip.
[ "$RC" -ne 2 ] || skip_all "$(tail -n1 "$T/vm.err")"
sed 's/^/# /' "$T/vm.err"
# Each result named after its case ("# CASE.sh [as USER]" comes first); the
# runner's own lines ("ok - CASE.sh: ...", unnumbered) name it already.
c=guest
while IFS= read -r line; do
  case $line in
    "ok - "* | "not ok - "*) n=guest ;;
    *) n=$c ;;
  esac
  case $line in
    "ok "*"# SKIP "*) d=${line#ok*- }; skip "$n: ${d%% # SKIP *}" "${d#* # SKIP }" ;;
    "ok "*) ok "$n: ${line#ok*- }" ;;
    "not ok "*) fail "$n: ${line#not ok*- }" ;;
    "# "*.sh | "# "*.sh" as "*) c="guest ${line#\# }"; echo "$line" ;;
    "#"*) echo "$line" ;;
    *" passed, "*" failed"*) echo "# guest: $line" ;;
  esac
done < "$T/vm"
[ "$RC" -eq 0 ] || grep -q '^not ok' "$T/vm" || fail "tests/vm/run.sh exited $RC"
done_testing
