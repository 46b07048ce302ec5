#!/usr/bin/env bash
# Networking: TCP throughput (iperf3, one stream) and round-trip latency
# (bench/pingpong.c, 1 byte each way) between two containers on a keep network
# and through a published port (keep-portfwd), beside the floors (host
# loopback, a bare veth pair between two namespaces, a plain bridge with no
# rules) and beside Podman's bridge (netavark) and Docker's bridge (its own
# dockerd), rootful and rootless; then the start time of a container on a
# network, or with -p, against one with none.  In one run, as ratios.
# Everything runs in a network namespace the script makes (each peer in one of
# its own below it): no packet leaves for a real interface.
#   sudo bench/net.sh          (BENCH_ROUNDS=N rounds over all rows, default 3;
#                               BENCH_SECS=N iperf3 seconds, default 2;
#                               BENCH_RTT=N round trips, default 10000;
#                               BENCH_RUNS=N starts per row, default 20)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench/net.sh: run as root" >&2; exit 1; }

if [ -z "${KEEP_BENCH_NETNS:-}" ]; then
  # Peers are installed while the real network is still reachable.
  . "$src/bench/lib.sh"
  bench_setup iperf3 musl-tools podman netavark runc docker.io passt slirp4netns uidmap hyperfine
  exec unshare --net --mount --propagation private env KEEP_BENCH_NETNS=1 KEEP="$keep" bash "$0" "$@"
fi
keep=$KEEP
secs=${BENCH_SECS:-2}
rounds=${BENCH_ROUNDS:-3}
rtts=${BENCH_RTT:-10000}
runs=${BENCH_RUNS:-20}
user=keeptest # the unprivileged user tests/run makes (subordinate ids 200000+)
ip link set lo up

work=$(mktemp -d /tmp/keep-bench-net.XXXXXX)
chmod 755 "$work"
export KEEP_STORE=$work/store
R=$work/rootfs
holders=() servers=() dockerd_pid=''
say() { echo "# ${SECONDS}s $*" >&2; }

# --- a network namespace per floor and per peer, each held by a sleeping process
# mkns NAME: sets $NAME (the namespace's path) and $NAME_pid (its holder).
mkns() {
  unshare --net sleep infinity &
  holders+=($!)
  eval "$1=/proc/$!/ns/net ${1}_pid=$!"
  for _ in $(seq 50); do [ "$(readlink "/proc/$!/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
  nsenter --net="/proc/$!/ns/net" ip link set lo up
}
in_ns() { local ns=$1; shift; nsenter --net="$ns" "$@"; }

S=$work/podman
pn=
P() {
  nsenter --net="$pn" podman --root "$S/root" --runroot "$S/runroot" --tmpdir "$S/tmp" --network-config-dir "$S/net" \
    --runtime runc --cgroup-manager cgroupfs --events-backend file "$@"
}
# This host's root lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set.
LIM=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
D() { docker -H "unix://$work/docker.sock" "$@"; }
Uc=(setpriv --reuid="$user" --regid="$user" --init-groups --reset-env env KEEP_STORE="$work/ustore" XDG_RUNTIME_DIR="$work/uxdg" PATH="$work/bin:/usr/sbin:/usr/bin:/sbin:/bin")
U() { "${Uc[@]}" "$@"; }
UP() { U podman --root "$work/up/root" --runroot "$work/up/run" --tmpdir "$work/up/tmp" --network-config-dir "$work/up/net" --runtime runc \
  --cgroup-manager cgroupfs --events-backend file "$@"; }

# killtree PID: PID and every process below it, children first.
killtree() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do killtree "$c"; done; kill "$1" 2>/dev/null; }
cleanup() {
  set +e
  local p
  for p in "${servers[@]}"; do killtree "$p"; done
  "$keep" ps -aq --no-trunc 2>/dev/null | xargs -r "$keep" rm -f >/dev/null 2>&1
  "$keep" network rm nbench nbempty >/dev/null 2>&1
  for p in $(U "$keep" ps -aq --no-trunc 2>/dev/null); do U "$keep" rm -f "$p" >/dev/null 2>&1; done
  [ -z "$pn" ] || P rm -af -t 0 >/dev/null 2>&1
  [ -z "$pn" ] || P network rm -f nbench >/dev/null 2>&1
  [ -z "$pn" ] || P rmi -af >/dev/null 2>&1
  UP rm -af -t 0 >/dev/null 2>&1
  UP rmi -af >/dev/null 2>&1
  # Rootless Podman's pause process (it holds the user's namespaces).
  [ ! -s "$work/up/tmp/pause.pid" ] || kill "$(cat "$work/up/tmp/pause.pid")" 2>/dev/null
  if [ -n "$dockerd_pid" ]; then
    D ps -aq 2>/dev/null | xargs -r docker -H "unix://$work/docker.sock" rm -f >/dev/null 2>&1
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 200); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for p in "${holders[@]}"; do kill "$p" 2>/dev/null; done
  grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# --- the root: busybox, iperf3 with the libraries it links, pingpong (static)
"$src/tools/mkrootfs.sh" "$R" >/dev/null
for f in /usr/bin/iperf3 $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do cp -L --parents "$f" "$R/"; done
mkdir -p "$work/bin"
musl-gcc -O2 -static -o "$work/bin/pingpong" "$src/bench/pingpong.c"
cp "$work/bin/pingpong" "$R/usr/bin/pingpong"
export PATH=$work/bin:$PATH
SERVE='pingpong -s 7000 & exec iperf3 -s -p 5201'

# --- results: one row per path, measured in rounds (every row once per
# round, so a busy moment of the machine spreads over all rows alike)
declare -A cmd hostv iportv pportv gbps rtt rtt99 floor why g_all r_all r99_all
rows=()
# measure ROW FLOOR HOST IPERF-PORT PING-PORT CLIENT-PREFIX...: a row whose
# clients run through the prefix (a container run, nsenter, or `env` for the
# host); its servers are up already.
measure() {
  local row=$1
  rows+=("$row") floor[$row]=$2
  cmd[$row]=$(printf '%q ' "${@:6}") hostv[$row]=$3 iportv[$row]=$4 pportv[$row]=$5
}
# one_round ROW: one iperf3 run and one ping-pong run of the row.
one_round() {
  local row=$1 out pre=${cmd[$1]} host=${hostv[$1]} ip=${iportv[$1]} pp=${pportv[$1]}
  if ! out=$(eval "$pre iperf3 -c $host -p $ip -t $secs -J" 2>&1); then
    why[$row]="iperf3: $(echo "$out" | grep -m1 -E 'error|Error|refused' || echo "$out" | tail -1)"
    say "$row: ${why[$row]}"
    return 0
  fi
  g_all[$row]+=" $(echo "$out" | python3 -c 'import json,sys
t=sys.stdin.read(); d=json.loads(t[t.index("{"):t.rindex("}")+1]); print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))')"
  if out=$(eval "$pre pingpong $host $pp $rtts" 2>&1 | tail -1) && [[ $out =~ ^[0-9.]+\ [0-9.]+$ ]]; then
    r_all[$row]+=" ${out% *}" r99_all[$row]+=" ${out#* }"
  else
    why[$row]="pingpong: $out"
  fi
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {if (NR) printf "%.2f", NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
skip_row() { rows+=("$1") floor[$1]=$2 why[$1]=$3; say "$1: skipped: $3"; }
# wait_tcp HOST PORT [PREFIX...]: until the ping-pong server answers there (5 s
# at most; a relay may accept before the server behind it listens), then a
# moment for iperf3 beside it (probing iperf3 itself would cost it a test).
wait_tcp() {
  local i
  for i in $(seq 50); do
    if "${@:3}" timeout 2 pingpong "$1" "$2" 1 >/dev/null 2>&1; then sleep 0.3; return 0; fi
    sleep 0.1
  done
  return 1
}
# bg_serve [NS]: both servers on the host or in NS, in the background (no
# function between & and the process, so that $! is the server's own pid).
bg_serve() {
  if [ $# -eq 0 ]; then sh -c "$SERVE" >/dev/null 2>&1 & else nsenter --net="$1" sh -c "$SERVE" >/dev/null 2>&1 & fi
  servers+=($!)
}

# --- floors
bg_serve
wait_tcp 127.0.0.1 7000
measure "host loopback" - 127.0.0.1 5201 7000 env

mkns va; mkns vb
ip link add nbva type veth peer name nbvb
ip link set nbva netns "$va_pid"; ip link set nbvb netns "$vb_pid"
in_ns "$va" ip addr add 10.250.1.1/24 dev nbva; in_ns "$va" ip link set nbva up
in_ns "$vb" ip addr add 10.250.1.2/24 dev nbvb; in_ns "$vb" ip link set nbvb up
bg_serve "$vb"
wait_tcp 10.250.1.2 7000 in_ns "$va"
measure "veth pair, two namespaces" - 10.250.1.2 5201 7000 in_ns "$va"

mkns ba; mkns bb
ip link add nbbr type bridge; ip link set nbbr up
i=0
for n in ba bb; do
  i=$((i + 1))
  ip link add nb$n type veth peer name nb${n}c
  ip link set nb$n master nbbr; ip link set nb$n up
  pid=${n}_pid
  ip link set nb${n}c netns "${!pid}"
  in_ns "${!n}" ip addr add 10.250.2.$i/24 dev nb${n}c; in_ns "${!n}" ip link set nb${n}c up
done
bg_serve "$bb"
wait_tcp 10.250.2.2 7000 in_ns "$ba"
measure "bridge, no rules" "veth pair, two namespaces" 10.250.2.2 5201 7000 in_ns "$ba"

# --- keep, rootful
"$keep" network create nbench >/dev/null
"$keep" run -d --name nbsrv --network nbench "$R" sh -c "$SERVE" >/dev/null
sleep 0.5
measure "keep network" "veth pair, two namespaces" nbsrv 5201 7000 "$keep" run --network nbench "$R"
"$keep" run -d --name nbpub -p 127.0.0.1:15201:5201 -p 127.0.0.1:17000:7000 "$R" sh -c "$SERVE" >/dev/null
wait_tcp 127.0.0.1 17000
measure "keep -p (keep-portfwd)" "host loopback" 127.0.0.1 15201 17000 env

# --- Podman (netavark), rootful, in a namespace of its own
podman_ok=
if mkns pn && mkdir -p "$S" && tar -C "$R" -c . | P import - localhost/keepbench:latest >/dev/null 2>"$work/err"; then
  if P network create --subnet 10.250.3.0/24 nbench >/dev/null 2>"$work/err" &&
    P run -d --name srv --network nbench "${LIM[@]}" keepbench sh -c "$SERVE" >/dev/null 2>"$work/err"; then
    podman_ok=1
    ip=$(P inspect -f '{{(index .NetworkSettings.Networks "nbench").IPAddress}}' srv)
    measure "podman bridge (netavark)" "veth pair, two namespaces" "$ip" 5201 7000 \
      P run --rm --network nbench "${LIM[@]}" keepbench
  else
    skip_row "podman bridge (netavark)" "veth pair, two namespaces" "$(tail -1 "$work/err")"
  fi
  if P run -d --name pub -p 127.0.0.1:25201:5201 -p 127.0.0.1:27000:7000 "${LIM[@]}" keepbench \
    sh -c "$SERVE" >/dev/null 2>"$work/err" && wait_tcp 127.0.0.1 27000 in_ns "$pn"; then
    measure "podman -p" "host loopback" 127.0.0.1 25201 27000 in_ns "$pn"
  else
    skip_row "podman -p" "host loopback" "$(tail -1 "$work/err")"
  fi
else
  skip_row "podman bridge (netavark)" "veth pair, two namespaces" "podman import: $(tail -1 "$work/err")"
  skip_row "podman -p" "host loopback" "podman import failed"
fi

# --- Docker: its own dockerd (and containerd) in a namespace of its own
mkns dn
nsenter --net="$dn" dockerd --data-root "$work/docker" --exec-root "$work/dexec" --pidfile "$work/docker.pid" \
  -H "unix://$work/docker.sock" --bip 10.250.4.1/24 >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 100); do D version >/dev/null 2>&1 && break; sleep 0.2; done
if ! D version >/dev/null 2>&1; then
  r="dockerd did not start: $(tail -1 "$work/dockerd.log")"
  skip_row "docker bridge" "veth pair, two namespaces" "$r"; skip_row "docker -p (docker-proxy)" "host loopback" "$r"
elif ! tar -C "$R" -c . | D import - keepbench:latest >/dev/null 2>"$work/err"; then
  r="docker import: $(tail -1 "$work/err")"
  skip_row "docker bridge" "veth pair, two namespaces" "$r"; skip_row "docker -p (docker-proxy)" "host loopback" "$r"
else
  if D network create --subnet 10.250.5.0/24 nbench >/dev/null 2>"$work/err" &&
    D run -d --name srv --network nbench keepbench sh -c "$SERVE" >/dev/null 2>"$work/err"; then
    ip=$(D inspect -f '{{(index .NetworkSettings.Networks "nbench").IPAddress}}' srv)
    measure "docker bridge" "veth pair, two namespaces" "$ip" 5201 7000 \
      D run --rm --network nbench keepbench
  else
    skip_row "docker bridge" "veth pair, two namespaces" "$(tail -1 "$work/err")"
  fi
  if D run -d --name pub -p 127.0.0.1:35201:5201 -p 127.0.0.1:37000:7000 keepbench sh -c "$SERVE" >/dev/null 2>"$work/err" &&
    wait_tcp 127.0.0.1 37000 in_ns "$dn"; then
    measure "docker -p (docker-proxy)" "host loopback" 127.0.0.1 35201 37000 in_ns "$dn"
  else
    skip_row "docker -p (docker-proxy)" "host loopback" "$(tail -1 "$work/err")"
  fi
fi

# --- rootless: keep -p, pasta alone, podman rootless (slirp4netns + rootlessport)
if id "$user" >/dev/null 2>&1 && grep -q "^$user:" /etc/subuid; then
  mkdir -p "$work/ustore" "$work/uxdg" "$work/up"
  chown "$user:" "$work/ustore" "$work/uxdg" "$work/up"
  chmod 700 "$work/uxdg"
  if U "$keep" run -d --cgroups=off --name upub -p 127.0.0.1:45201:5201 -p 127.0.0.1:47000:7000 "$R" \
    sh -c "$SERVE" >/dev/null 2>"$work/err" && wait_tcp 127.0.0.1 47000; then
    measure "keep -p, rootless" "host loopback" 127.0.0.1 45201 47000 env
  else
    skip_row "keep -p, rootless" "host loopback" "$(tail -1 "$work/err")"
  fi
  # pasta needs a route to copy into its namespace: a veth whose far end is
  # in a namespace of ours, with nothing behind it.
  mkns un
  ip link add nbup type veth peer name nbupx; ip link set nbupx netns "$un_pid"; in_ns "$un" ip link set nbupx up
  ip addr add 10.250.6.1/24 dev nbup; ip link set nbup up; ip route add default via 10.250.6.2 2>/dev/null || true
  # This pasta takes no address in -t: it binds every address of our
  # namespace, all of them local.
  "${Uc[@]}" pasta -f -q -t 55201:5201 -t 57000:7000 -u none -T none -U none -- sh -c "$SERVE" \
    >"$work/pasta.log" 2>&1 &
  servers+=($!)
  if wait_tcp 127.0.0.1 57000; then
    measure "pasta -t, rootless (no container)" "host loopback" 127.0.0.1 55201 57000 env
  else
    skip_row "pasta -t, rootless (no container)" "host loopback" "$(tail -1 "$work/pasta.log")"
  fi
  if tar -C "$R" -c . | UP import - localhost/keepbench:latest >/dev/null 2>"$work/err" &&
    UP run -d --name pub -p 127.0.0.1:65201:5201 -p 127.0.0.1:62000:7000 keepbench \
      sh -c "$SERVE" >/dev/null 2>>"$work/err" && wait_tcp 127.0.0.1 62000; then
    measure "podman -p, rootless (rootlessport)" "host loopback" 127.0.0.1 65201 62000 env
  else
    skip_row "podman -p, rootless (rootlessport)" "host loopback" "$(tail -1 "$work/err")"
  fi
else
  skip_row "keep -p, rootless" "host loopback" "no user $user with subordinate ids (tests/run makes one)"
fi

# --- the rounds; each figure is the median of the rounds
for round in $(seq "$rounds"); do
  for r in "${rows[@]}"; do [ -n "${why[$r]:-}" ] || one_round "$r"; done
  say "round $round done"
done
for r in "${rows[@]}"; do
  [ -z "${why[$r]:-}" ] || continue
  gbps[$r]=$(median <<<"${g_all[$r]}") rtt[$r]=$(median <<<"${r_all[$r]}") rtt99[$r]=$(median <<<"${r99_all[$r]}")
  say "$r: ${gbps[$r]} Gbit/s (${g_all[$r]} ), ${rtt[$r]} µs (${r_all[$r]} )"
done

# --- start time: none; a network another container keeps up; a network of
# its own (its bridge and rules made, then removed as it leaves); -p
start=$work/start.json
"$keep" run -d --name nbidle --network nbench "$R" sleep 3600 >/dev/null
"$keep" network create nbempty >/dev/null
hyperfine -N -w 3 -r "$runs" --export-json "$start" \
  -n "keep run (no network)" "$keep run $R true" \
  -n "keep run --network (joins a running one)" "$keep run --network nbench $R true" \
  -n "keep run --network (alone on it)" "$keep run --network nbempty $R true" \
  -n "keep run -p" "$keep run -p 127.0.0.1:18080:80 $R true" >/dev/null 2>"$work/err" ||
  say "hyperfine: $(tail -1 "$work/err")"

# --- the table
{
  echo "| path | floor | TCP Gbit/s | / floor | RTT median µs | floor / RTT | RTT p99 µs |"
  echo "|---|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do
    f=${floor[$r]}
    if [ -z "${gbps[$r]:-}" ]; then echo "| $r | | skipped: ${why[$r]} | | | | |"; continue; fi
    if [ "$f" = - ]; then
      echo "| $r | (floor) | ${gbps[$r]} | | ${rtt[$r]:-?} | | ${rtt99[$r]:-?} |"
    else
      awk -v r="$r" -v f="$f" -v g="${gbps[$r]}" -v fg="${gbps[$f]:-0}" -v t="${rtt[$r]:-0}" -v ft="${rtt[$f]:-0}" \
        -v t99="${rtt99[$r]:-?}" 'BEGIN {
        printf "| %s | %s | %.2f | %s | %.1f | %s | %s |\n", r, f, g, (fg > 0 ? sprintf("%.2fx", g / fg) : "?"), t,
          (t > 0 && ft > 0 ? sprintf("%.2fx", ft / t) : "?"), t99 }'
    fi
  done
  echo
  echo "Ratios: 1.00x is the floor; below 1 is slower (less throughput, longer round trips)."
  echo "Each figure is the median of $rounds rounds (each: iperf3 ${secs} s, one stream; ${rtts} round trips); $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  if [ -s "$start" ]; then
    python3 - "$start" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
cpu0 = r[0]["user"] + r[0]["system"]
print("| start to exit of `true` | median ms | mean ms | above no network | CPU ms (user+sys, mean) | CPU above no network |")
print("|---|---|---|---|---|---|")
for x in r:
    cpu = x["user"] + x["system"]
    print("| %s | %.1f | %.1f | %s | %.1f | %s |" % (x["command"], x["median"] * 1e3, x["mean"] * 1e3,
          "" if x is r[0] else "%+.1f ms" % ((x["median"] - base) * 1e3), cpu * 1e3,
          "" if x is r[0] else "%+.1f ms" % ((cpu - cpu0) * 1e3)))
PY
  fi
} | tee "$src/bench/results/net.md"
