#!/usr/bin/env bash
# A busy host: many `keep run` at once with `keep gc` looping beside them,
# many `create` of one id at once, several pulls of one image into one store.
# None may fail, none may be killed, and nothing may be left behind.
# rootless
. "$SRCDIR/tests/lib.sh"
mkroot

# gc in a loop while containers start and stop: each container sleeps long
# enough to be seen by several gc passes, then exits 7.
# Started directly (not through a function) so that $! is the loop itself.
gc_cmd=(sh -c 'while :; do "$0" gc >/dev/null 2>&1; done' "$KEEP")
if rootless; then
  setpriv --reuid="$KEEP_AS" --regid="$KEEP_AS" --init-groups --reset-env "${gc_cmd[@]}" &
else
  "${gc_cmd[@]}" &
fi
gc_loop=$!
rounds=4 width=24
for r in $(seq "$rounds"); do
  pids=()
  for i in $(seq "$width"); do
    as_test_user timeout 60 "$KEEP" run "${rootless_run_flags[@]}" "$ROOTFS" /bin/sh -c 'sleep 0.3; exit 7' \
      >"$T/run.$r.$i" 2>&1 </dev/null &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    rc=0; wait "${pids[$i]}" || rc=$?
    echo "$rc" > "$T/rc.$r.$((i + 1))"
  done
done
kill "$gc_loop"; wait "$gc_loop" 2>/dev/null
bad=0
for f in "$T"/rc.*; do
  if [ "$(cat "$f")" != 7 ]; then
    bad=$((bad + 1))
    echo "# ${f##*/}: exit $(cat "$f"): $(head -c 300 "$T/run.${f##*/rc.}")"
  fi
done
if [ "$bad" -eq 0 ]; then ok "$((rounds * width)) concurrent runs beside a gc loop: every one exits 7"; else fail "$bad of $((rounds * width)) runs failed or were killed"; fi

if ! rootless; then
  # Many creates of one id at once: exactly one wins, the others say so.
  oci_test_setup
  k spec --bundle "$B" >/dev/null
  cfg 'c["process"]["args"] = ["sleep", "30"]'
  pids=()
  for i in $(seq 12); do
    "$KEEP" --root "$R" create --bundle "$B" same >"$T/create.$i" 2>&1 </dev/null &
    pids+=($!)
  done
  won=0 lost=0 other=0
  for i in "${!pids[@]}"; do
    rc=0; wait "${pids[$i]}" || rc=$?
    if [ "$rc" -eq 0 ]; then won=$((won + 1))
    elif grep -q "already exists" "$T/create.$((i + 1))"; then lost=$((lost + 1))
    else other=$((other + 1)); echo "# create $((i + 1)): exit $rc: $(head -c 300 "$T/create.$((i + 1))")"; fi
  done
  if [ "$won" -eq 1 ] && [ "$lost" -eq 11 ]; then ok "12 creates of one id at once: one created, 11 told it exists"
  else fail "12 creates of one id: $won created, $lost refused, $other failed otherwise"; fi
  k state same > "$T/out" 2>&1
  expect "the winner is created" '"status": "created"'
  k delete --force same
  check "delete --force: the id is gone" test ! -e "$R/same"

  # Several pulls of one image into one store at once.
  need_client docker-registry docker-registry
  need_client skopeo skopeo
  image_test_setup
  local_registry_with_image
  pids=()
  for i in 1 2 3 4; do
    "$KEEP" pull --policy "$T/accept.json" "$REG/busybox:latest" >"$T/pull.$i" 2>&1 </dev/null &
    pids+=($!)
  done
  bad=0
  for i in "${!pids[@]}"; do
    rc=0; wait "${pids[$i]}" || rc=$?
    [ "$rc" -eq 0 ] || { bad=$((bad + 1)); echo "# pull $((i + 1)): exit $rc: $(head -c 300 "$T/pull.$((i + 1))")"; }
  done
  if [ "$bad" -eq 0 ]; then ok "4 pulls of one image into one store at once: all succeed"; else fail "$bad of 4 pulls failed"; fi
  RC=0; "$KEEP" verify >"$T/out" 2>&1 || RC=$?
  expect_code "keep verify: clean after the concurrent pulls" 0
  krun "$REG/busybox:latest" /bin/true
  expect_code "the pulled image runs" 0
fi
done_testing
