#!/usr/bin/env bash
# What `keep spec` describes is what `keep run` does: one script, run inside
# a `keep run` container with every default and inside a container of
# `keep spec`'s config.json, must print the same thing: masked and read-only
# paths, /dev, capabilities, seccomp, no_new_privs, rlimits, mounts and their
# options, the uid and gid maps, what is writable.
. "$SRCDIR/tests/lib.sh"
mkroot
cat > "$T/probe.sh" <<'SH'
for p in /proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list \
         /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap \
         /sys/kernel/security /sys/kernel/debug /proc/sys/kernel/ostype /proc/sysrq-trigger /proc/bus /proc/fs /proc/irq; do
  printf '%s %s\n' "$p" "$(cat $p 2>&1 | head -c 40 | wc -c) $(ls $p 2>/dev/null | wc -l) $( (echo x > $p) 2>&1 | sed 's/.*: //')"
done
ls -l /dev | awk '{print $1, $NF}'
grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status
echo "ulimit $(ulimit -c) $(ulimit -n) $(ulimit -Hn)"
cat /proc/self/uid_map /proc/self/gid_map
awk '$5 == "/" {print $5, $6; next} {print $5, $6, $(NF-2), $(NF)}' /proc/self/mountinfo | sort
echo "uid $(id -u) gid $(id -g)"
for d in / /tmp /run /dev /dev/shm /proc/sys /sys; do (touch $d/.w && echo "$d writable") 2>&1 | sed 's/.*: //'; done
SH
cp "$T/probe.sh" "$ROOTFS/probe.sh"
krun "$ROOTFS" sh /probe.sh
expect_code "the probe runs under keep run" 0
cp "$T/out" "$T/run.out"

mkdir -p "$T/b"
"$SRCDIR/tools/mkrootfs.sh" "$T/b/rootfs" --probe "$PROBE" --chown 1000000000 >/dev/null
cp "$T/probe.sh" "$T/b/rootfs/probe.sh"
(cd "$T/b" && "$KEEP" spec)
python3 - "$T/b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["sh", "/probe.sh"]
json.dump(c, open(sys.argv[1], "w"))
PY
RC=0; timeout 30 "$KEEP" --root "$T/state" run --bundle "$T/b" parity >"$T/out" 2>&1 </dev/null || RC=$?
expect_code "the probe runs in keep spec's container" 0
cp "$T/out" "$T/spec.out"
if diff "$T/run.out" "$T/spec.out" > "$T/diff"; then
  ok "keep run and keep spec's container are the same from inside ($(wc -l < "$T/run.out") lines compared)"
else
  fail "keep run and keep spec differ (< keep run, > keep spec)"; sed 's/^/#   /' "$T/diff"
fi
grep -q '^/proc/interrupts 0 ' "$T/spec.out" && ok "keep spec masks /proc/interrupts too" || fail "keep spec leaves /proc/interrupts readable"
# keep run starts from keep spec's document: while it runs, its state holds
# that document, with keep spec's defaults as they are and the flags on top.
timeout 30 "$KEEP" run --cap-add NET_RAW -v "$T/b:/vol" "$ROOTFS" sleep 6 >/dev/null 2>&1 &
bg=$!; doc=
# Ours by its volume, however long the start takes (seconds in an emulated
# guest), once the container runs (its state directory has its final name).
for _ in $(seq 100); do
  sleep 0.2
  doc=$(grep -l "\"$T/b\"" /run/keep/*/config.json 2>/dev/null | head -1)
  [ -n "$doc" ] && [ -s "$(dirname "$doc")/state.json" ] && break
done
if [ -n "$doc" ] && python3 - "$doc" "$T/b/config.json" > "$T/out" 2>&1 <<'PY'
import json, sys
run, spec = (json.load(open(p)) for p in sys.argv[1:3])
for path in (["linux", "maskedPaths"], ["linux", "readonlyPaths"], ["linux", "namespaces"],
             ["process", "rlimits"], ["process", "noNewPrivileges"], ["root", "readonly"]):
    a, b = run, spec
    for k in path:
        a, b = a[k], b[k]
    assert a == b, (path, a, b)
n = len(spec["mounts"])
assert [m["destination"] for m in run["mounts"][:n]] == [m["destination"] for m in spec["mounts"]]
assert run["mounts"][n]["destination"] == "/vol" and "ro" in run["mounts"][n]["options"], run["mounts"][n:]
assert run["process"]["capabilities"]["bounding"] == ["CAP_NET_RAW"]
assert run["process"]["capabilities"]["inheritable"] == [] and run["process"]["capabilities"]["ambient"] == []
assert run["annotations"]["run.keep.seccomp"] == "default" and run["annotations"]["run.keep.landlock"] == "on"
print("same document")
PY
then ok "keep run's config.json is keep spec's with the flags applied"; else fail "keep run's config.json: ${doc:-none found}"; sed 's/^/#   /' "$T/out" | tail -5; fi
wait $bg
done_testing
