#!/usr/bin/env bash
# Lists an image, a config.json or a command line can carry are handled in
# time linear in their length, and bounded: above the bound keep refuses in
# one line naming the list, before anything exists.
. "$SRCDIR/tests/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to build the images"
mkroot
image_test_setup
# cpu COMMAND...: the user+system seconds COMMAND and everything it waited for took.
cpu() { local TIMEFORMAT='%U %S'; { time "$@"; } 2>"$T/time"; awk '{print $1 + $2}' "$T/time"; }

# 32,000 variables, the last -e overriding one in its place: keep compared
# every variable with every other (1.8 s of CPU here before).
$MK "$ROOTFS" "$T/env32k.tar" keep.test/env32k:1 --format oci --cmd env --env-count 32000
k load "$T/env32k.tar"
secs=$(cpu krun -e VAR5=over keep.test/env32k:1)
expect_code "32,000 image variables: the container runs" 0
expect "-e overrides an image variable" "^VAR5=over$"
expect "the last image variable is there" "^VAR31999=value31999$"
if [ "$(grep -c '^VAR' "$T/out")" -eq 32000 ]; then ok "no variable lost or doubled"; else fail "$(grep -c '^VAR' "$T/out") VAR lines"; fi
if awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }'; then ok "32,000 variables cost $secs s of CPU"; else fail "32,000 variables cost $secs s of CPU"; fi

# Above the bound an image does not even enter the store.
$MK "$ROOTFS" "$T/env40k.tar" keep.test/env40k:1 --format oci --cmd true --env-count 40000
k load "$T/env40k.tar"
expect_code "40,000 image variables: load refused, 125" 125
one_line_error "40,000 image variables: one line"
expect "40,000 image variables: names config.Env" "config\.Env: 40001 entries, more than keep accepts \(32768\)"
k images
expect_not "40,000 image variables: not in the store" "env40k"

seq -f 'V%g=x' 1 40000 > "$T/big.env"
krun --env-file "$T/big.env" "$ROOTFS" true
expect_code "--env-file of 40,000 lines: 125" 125
one_line_error "--env-file of 40,000 lines: one line"
expect "--env-file of 40,000 lines: names the file and line" "big.env.:32769: more than 32768 environment variables"

# config.json: the same bounds, named by field.
mkdir -p "$T/ob"
"$KEEP" spec --bundle "$T/ob"
python3 - "$T/ob/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["env"] = ["V%d=x" % i for i in range(40000)]
json.dump(c, open(sys.argv[1], "w"))
PY
k --root "$T/state" run --bundle "$T/ob" big1
expect_code "config.json with 40,000 env entries: 125" 125
one_line_error "config.json with 40,000 env entries: one line"
expect "config.json with 40,000 env entries: names the field" "process\.env: 40000 entries, more than keep accepts"
done_testing
