#!/usr/bin/env bash
# rootless
# Secrets reach the container's process and nothing else: `keep secret`
# keeps them in the caller's own store (0700, values 0600), and
# `keep run --secret` puts them on a read-only, nosuid, nodev, noexec tmpfs
# at /run/secrets, mode 0400 and owned by the process's user.  The value is
# never in the environment, the state directory, config.json or the logs,
# and nothing of it outlives the container.
. "$SRCDIR/tests/lib.sh"
mkroot
S=$T/store
mkdir -p "$S"
if rootless; then chown "$KEEP_AS" "$S"; fi
# ks ARGS...: keep ARGS as the case's user, with its store in $S.
ks() { kas env KEEP_STORE="$S" "$KEEP" "$@"; }
kr() { ks run "${rootless_run_flags[@]}" "$@"; }
VALUE="keep-secret-$RANDOM$RANDOM-value"
printf '%s' "$VALUE" > "$T/value"
printf '#!/bin/sh\necho ran\n' > "$T/script"
chmod 644 "$T/value" "$T/script"

# create / ls / inspect / rm
ks secret create db "$T/value"
expect_code "create: exit 0" 0
check "the store's secrets directory is 0700" test "$(stat -c %a "$S/secrets")" = 700
check "a value is 0600" test "$(stat -c %a "$S/secrets/db")" = 600
check "a value is the file's content" cmp -s "$S/secrets/db" "$T/value"
RC=0; as_test_user env KEEP_STORE="$S" "$KEEP" secret create fromstdin - < "$T/value" > "$T/out" 2>&1 || RC=$?
expect_code "create from stdin" 0
check "stdin's value stored" cmp -s "$S/secrets/fromstdin" "$T/value"
ks secret create script "$T/script"
ks secret create db "$T/script"
expect_code "create over an existing secret: 125" 125
one_line_error "create over an existing secret: one line"
check "an existing secret is not replaced" cmp -s "$S/secrets/db" "$T/value"
ks secret ls
expect "ls names them" "^db +[0-9]+ B"
ks secret ls --format json
cp "$T/out" "$T/json"
check "ls --format json parses" python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert sorted(e["name"] for e in v)==["db","fromstdin","script"], v' "$T/json"
ks secret inspect db
cp "$T/out" "$T/json"
check "inspect: name, size, created" python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert v[0]["name"]=="db" and v[0]["size"]==len(sys.argv[2]) and v[0]["created"].endswith("Z"), v' "$T/json" "$VALUE"
cp "$T/json" "$T/out"
expect_not "inspect never shows the value" "$VALUE"
expect_not "inspect shows no hash of it" "sha256|digest"
ks secret rm fromstdin
check "rm removes the value" test ! -e "$S/secrets/fromstdin"
ks secret inspect fromstdin
expect_code "inspect of a removed secret: 125" 125
one_line_error "inspect of a removed secret: one line"

for bad in ../x a/b .hidden 'a b' "$(printf 'a%.0s' $(seq 65))"; do
  ks secret create "$bad" "$T/value"
  expect_code "bad name \`${bad:0:12}\`: 125" 125
  one_line_error "bad name \`${bad:0:12}\`: one line"
done
check "bad names made nothing" test "$(ls -A "$S/secrets" | sort | tr '\n' ' ')" = "db script "
ks secret rm db ../x
expect_code "rm with one bad name: 125" 125
check "rm with one bad name removed nothing" test -e "$S/secrets/db"

# In the container: where, who, how
kr --secret db "$ROOTFS" sh -c 'cat /run/secrets/db; echo; stat -c "%a %u:%g" /run/secrets/db; id -u'
expect_code "run --secret: exit 0" 0
expect "the value is at /run/secrets/db" "^$VALUE\$"
expect "mode 0400, owned by the process's user (root)" "^400 0:0\$"
kr -u 1000:1000 --secret db "$ROOTFS" sh -c 'stat -c "%a %u:%g" /run/secrets/db; cat /run/secrets/db'
expect "owned by the process's user (-u 1000)" "^400 1000:1000"
expect "which reads it" "$VALUE"
kr -u 1000:1000 --secret db,target=conf/pw,uid=0,gid=1000,mode=0440 --secret source=db,target=/run/secrets/again "$ROOTFS" \
  sh -c 'stat -c "%n %a %u:%g" /run/secrets/conf/pw /run/secrets/again; cat /run/secrets/conf/pw'
expect "custom target, uid, gid, mode" "^/run/secrets/conf/pw 440 0:1000\$"
expect "the group reads it" "$VALUE"
expect "an absolute target below /run/secrets" "^/run/secrets/again 400 1000:1000\$"
kr --secret db,target=/etc/passwd "$ROOTFS" true
expect_code "a target outside /run/secrets: 125" 125
one_line_error "a target outside /run/secrets: one line"
kr --secret db,mode=4755 "$ROOTFS" true
expect_code "a setuid mode: 125" 125
one_line_error "a setuid mode: one line"

kr --secret db "$ROOTFS" sh -c 'grep " /run/secrets " /proc/self/mountinfo'
expect "the tmpfs is read-only, nosuid, nodev, noexec" " /run/secrets ro,nosuid,nodev,noexec"
kr --secret db "$ROOTFS" sh -c 'echo x > /run/secrets/db && echo WROTE; rm /run/secrets/db && echo REMOVED; touch /run/secrets/new && echo CREATED; chmod 777 /run/secrets/db && echo CHMOD; cat /run/secrets/db'
expect_not "not writable, removable, extensible or chmod-able" "WROTE|REMOVED|CREATED|CHMOD"
expect "still the value" "$VALUE"
kr --secret script,mode=0500 "$ROOTFS" sh -c '/run/secrets/script; echo "exit $?"'
expect_not "a secret never executes (noexec)" "^ran"
expect "exec refused" "exit 126"
kr --secret db "$ROOTFS" sh -c 'cat /proc/*/environ | tr "\0" "\n" | grep -c -- "$0"; env | grep -c -- "$0"' "$VALUE"
expect "in no /proc/*/environ of the container" "^0$"
kr --secret db --secret script "$ROOTFS" keep-probe fds
expect "no descriptor of the store reaches the process" "^fds 0$"

# While it runs: nowhere but in the container (state, config.json, store, logs)
mkdir -p "$T/sync"; chmod 777 "$T/sync"
state_dirs=(/run/keep)
if rootless; then state_dirs=("/tmp/keep-$(id -u "$KEEP_AS")"); fi
mounts_before=$(grep -c ' - tmpfs secrets ' /proc/self/mountinfo)
( kr -v "$T/sync:/sync:rw" --secret db "$ROOTFS" sh -c \
    'cat /run/secrets/db > /dev/null && touch /sync/ready; while [ ! -e /sync/go ]; do usleep 50000; done' ) &
runner=$!
for _ in $(seq 200); do [ -e "$T/sync/ready" ] && break; sleep 0.05; done
check "the container is running" test -e "$T/sync/ready"
RC=0; grep -rlsF -D skip -- "$VALUE" "${state_dirs[@]}" > "$T/out" 2>&1 || RC=$?
expect_code "not in the state directories (config.json, state files)" 1
RC=0; grep -rlsF -D skip --exclude=db -- "$VALUE" "$S" > "$T/out" 2>&1 || RC=$?
expect_code "not in the store but in its own file" 1
RC=0; grep -rlsF -D skip --exclude=value -- "$VALUE" "$T" > "$T/out" 2>&1 || RC=$?
grep -v "^$S/secrets/db\$" "$T/out" > "$T/out2"; mv "$T/out2" "$T/out"
expect_not "not in the bundle, the rootfs or the logs" "."
touch "$T/sync/go"
wait $runner
check "after exit: no secrets tmpfs left on the host" test "$(grep -c ' - tmpfs secrets ' /proc/self/mountinfo)" = "$mounts_before"
check "after exit: no temp file in the store" test "$(ls -A "$S/secrets" | sort | tr '\n' ' ')" = "db script "

# Refused before anything exists, in one line
kr --secret nosuch "$ROOTFS" true
expect_code "a missing secret: 125" 125
one_line_error "a missing secret: one line"
expect "a missing secret: named" "nosuch"
ln -s db "$S/secrets/link"
kr --secret link "$ROOTFS" true
expect_code "a value that is a symlink: 125" 125
one_line_error "a value that is a symlink: one line"
expect "a value that is a symlink: said" "symlink"
rm "$S/secrets/link"
chmod 644 "$S/secrets/db"
kr --secret db "$ROOTFS" cat /run/secrets/db
expect_code "a world-readable value: 125" 125
one_line_error "a world-readable value: one line"
expect_not "a world-readable value: never shown" "$VALUE"
chmod 600 "$S/secrets/db"
chmod 755 "$S/secrets"
kr --secret db "$ROOTFS" cat /run/secrets/db
expect_code "a store others may enter: 125" 125
one_line_error "a store others may enter: one line"
expect "a store others may enter: how to fix it" "chmod 700"
chmod 700 "$S/secrets"
done_testing
