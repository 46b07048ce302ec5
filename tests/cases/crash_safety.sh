#!/usr/bin/env bash
# Killed at any step, keep leaves nothing that `keep gc` or `delete --force`
# cannot remove.  KEEP_FAULT_KILL_AT=STEP makes keep SIGKILL itself on
# reaching STEP (src/lib/core/fault.h); for each named step of `keep run`, OCI
# create and delete, and `keep pull`, in turn: kill there, clean up, and
# require no state, cgroup, mount, process or memfd of keep afterwards, and
# the same id usable again.
# rootless
. "$SRCDIR/tests/lib.sh"
mkroot

# What a container of keep can leave on the host.  Other processes' entries
# are filtered by taking the difference against a snapshot from before.
leftovers() {
  {
    ls -A /run/keep 2>/dev/null | grep -E '^[0-9a-f]{64}$' | sed 's|^|/run/keep/|'
    ls -A "/tmp/keep-$(id -u "${KEEP_AS:-root}")" 2>/dev/null | grep -E '^[0-9a-f]{64}$' | sed 's|^|state |'
    keep_cgroup_dirs
    grep -F "$T" /proc/self/mountinfo | awk '{print "mount " $5}'
    pgrep -f '^keep-init' | sed 's/^/process keep-init /'
    # The sealed copy of keep: a memfd that only a live keep may hold.
    ls -l /proc/[0-9]*/fd 2>/dev/null | grep -F 'memfd:keep' | sed 's/^/memfd /'
  } | sort
}
# settle: the container dies with its keep (parent-death signal);
# allow the kernel a moment to deliver it.
settle() {
  for _ in $(seq 50); do pgrep -f '^keep-init' >/dev/null || break; sleep 0.05; done
}

# keep run: every step from the state directory to the cgroup's removal.
for step in run-state run-cgroup run-cloned run-ready run-exited run-cgroup-removed; do
  if rootless && [ "$step" = run-cgroup-removed ]; then continue; fi
  before=$(leftovers)
  RC=0
  as_test_user env KEEP_FAULT_KILL_AT=$step timeout 30 "$KEEP" run "${rootless_run_flags[@]}" "$ROOTFS" /bin/sh -c 'sleep 0.2' \
    >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "run killed at $step: killed (137)" 137
  settle
  as_test_user "$KEEP" gc >"$T/gc.out" 2>&1 || { fail "gc after $step"; sed 's/^/#   /' "$T/gc.out"; }
  left=$(comm -13 <(echo "$before") <(leftovers) | tr '\n' ' ')
  if [ -z "${left// /}" ]; then ok "run killed at $step: gc leaves nothing"; else fail "run killed at $step: left $left"; fi
done
RC=0; as_test_user timeout 30 "$KEEP" run "${rootless_run_flags[@]}" "$ROOTFS" /bin/true >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "keep runs normally after the kills" 0

# OCI create and delete, killed at each step: delete --force cleans up and
# the id can be created again.
if ! rootless; then
  oci_test_setup
  k spec --bundle "$B" >/dev/null
  cfg 'c["process"]["args"] = ["sleep", "30"]'
  for step in create-state create-cgroup create-spawned create-saved; do
    before=$(leftovers)
    RC=0; KEEP_FAULT_KILL_AT=$step timeout 30 "$KEEP" --root "$R" create --bundle "$B" c1 >"$T/out" 2>&1 </dev/null || RC=$?
    expect_code "create killed at $step: killed (137)" 137
    settle
    RC=0; k delete --force c1 >"$T/out" 2>&1 || RC=$?
    expect_code "create killed at $step: delete --force" 0
    left=$(comm -13 <(echo "$before") <(leftovers) | tr '\n' ' ')
    [ -e "$R/c1" ] && left="$left $R/c1"
    if [ -z "${left// /}" ]; then ok "create killed at $step: delete leaves nothing"; else fail "create killed at $step: left $left"; fi
    RC=0; k create --bundle "$B" c1 >"$T/out" 2>&1 </dev/null || RC=$?
    expect_code "create killed at $step: the id can be created again" 0
    k delete --force c1 >/dev/null 2>&1
  done
  # start and exec, killed half-way: delete --force still removes all.
  k create --bundle "$B" c3 >/dev/null 2>&1 </dev/null
  RC=0; KEEP_FAULT_KILL_AT=start-marked "$KEEP" --root "$R" start c3 >"$T/out" 2>&1 || RC=$?
  expect_code "start killed after marking the container started: killed (137)" 137
  k create --bundle "$B" c4 >/dev/null 2>&1 </dev/null && k start c4
  RC=0; KEEP_FAULT_KILL_AT=exec-spawned "$KEEP" --root "$R" exec c4 sleep 30 >"$T/out" 2>&1 </dev/null || RC=$?
  expect_code "exec killed once its process is spawned: killed (137)" 137
  before=$(leftovers)
  RC=0; { k delete --force c3 && k delete --force c4; } >"$T/out" 2>&1 || RC=$?
  expect_code "delete --force of both" 0
  if [ ! -e "$R/c3" ] && [ ! -e "$R/c4" ] && ! keep_cgroup_dirs | grep -q '/keep-oci/c[34]$' \
     && ! pgrep -f '^sleep 30$' >/dev/null; then
    ok "start and exec killed: delete leaves no state, cgroup or process"
  else
    fail "start and exec killed: something is left"; { ls -d "$R"/c[34]; keep_cgroup_dirs | grep '/keep-oci/c[34]$'; } 2>&1 | sed 's/^/#   /'
  fi
  for step in delete-killed delete-cgroup; do
    before=$(leftovers)
    k create --bundle "$B" c2 >/dev/null 2>&1 </dev/null && k start c2
    RC=0; KEEP_FAULT_KILL_AT=$step "$KEEP" --root "$R" delete --force c2 >"$T/out" 2>&1 || RC=$?
    expect_code "delete killed at $step: killed (137)" 137
    RC=0; k delete --force c2 >"$T/out" 2>&1 || RC=$?
    expect_code "delete killed at $step: a second delete --force" 0
    left=$(comm -13 <(echo "$before") <(leftovers) | tr '\n' ' ')
    [ -e "$R/c2" ] && left="$left $R/c2"
    if [ -z "${left// /}" ]; then ok "delete killed at $step: nothing left"; else fail "delete killed at $step: left $left"; fi
  done
fi

# keep pull from a local registry, killed after the config, after a layer
# and before the tag: gc reclaims what was half-fetched, verify stays clean,
# and the pull then completes.
if ! rootless; then
  need_client docker-registry docker-registry
  need_client skopeo skopeo
  image_test_setup
  k() { RC=0; "$KEEP" "$@" >"$T/out" 2>&1 </dev/null || RC=$?; }
  local_registry_with_image
  for step in pull-config pull-layer pull-commit; do
    RC=0; KEEP_FAULT_KILL_AT=$step "$KEEP" pull --policy "$T/accept.json" "$REG/busybox:latest" \
      >"$T/out" 2>&1 || RC=$?
    expect_code "pull killed at $step: killed (137)" 137
    k images; expect_not "pull killed at $step: no tag" "busybox"
    k gc; k verify; expect_code "pull killed at $step: gc, then verify is clean" 0
    find "$KEEP_STORE/tmp" -mindepth 1 > "$T/out"
    if [ -s "$T/out" ]; then fail "pull killed at $step: temporary files left"; sed 's/^/#   /' "$T/out"; else ok "pull killed at $step: no temporary file left"; fi
  done
  k pull --policy "$T/accept.json" "$REG/busybox:latest"; expect_code "the pull then completes" 0
  krun "$REG/busybox:latest" /bin/true; expect_code "and its image runs" 0
  k verify; expect_code "verify: clean" 0
fi
done_testing
