#!/usr/bin/env bash
# Man pages and shell completion: every page builds with scdoc without a
# warning, every long flag a command's --help lists is in its page, the
# completions parse and complete commands, flags and a running container's
# name, and `meson install` puts them where bash, zsh and man look.
. "$SRCDIR/tests/lib.sh"
DOC=$SRCDIR/doc
COMP=$SRCDIR/completions

# --- the pages build, silently ---
if command -v scdoc >/dev/null; then
  mkdir -p "$T/man"
  for f in "$DOC"/*.scd; do
    page=$(basename "$f" .scd)
    if scdoc <"$f" >"$T/man/$page" 2>"$T/out" && [ ! -s "$T/out" ] && [ -s "$T/man/$page" ]; then
      ok "scdoc $page: builds without a warning"
    else
      fail "scdoc $page: builds without a warning"
      sed 's/^/#   /' "$T/out" | head -5
    fi
  done
else
  skip "scdoc builds every page" "scdoc is not installed (apt-get install scdoc)"
fi

# --- each long flag of `keep CMD --help` is in the page that documents CMD ---
# page_has PAGE FLAG: the page's source names FLAG as a whole word.
page_has() {
  local re=${2//./\\.}
  grep -Eq -- "(^|[^a-z0-9-])${re}([^a-z0-9.-]|\$)" "$DOC/$1.1.scd"
}
# flags_in_page PAGE HELP-ARGS...: the help of `keep HELP-ARGS`, parsed for --flags.
flags_in_page() {
  local page=$1; shift
  local what="keep $*"
  if ! "$KEEP" "$@" >"$T/help" 2>&1 </dev/null || ! grep -q '^Usage' "$T/help"; then
    echo "# $what: no --help to parse (exit status or no Usage line); not checked"
    return
  fi
  if [ ! -f "$DOC/$page.1.scd" ]; then
    fail "$what: has a page ($page.1.scd)"
    return
  fi
  local missing=() flag
  for flag in $(grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' "$T/help" | sort -u); do
    page_has "$page" "$flag" || missing+=("$flag")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    ok "$what: $page(1) names every long flag of its help"
  else
    fail "$what: $page(1) lacks ${missing[*]}"
  fi
}
flags_in_page keep --help
for c in run ps logs exec stop start restart kill rm wait inspect pull load images rmi sign gc audit seccomp \
  spec secret trace attach network; do
  flags_in_page "keep-$c" "$c" --help
done
for c in create state delete pause resume list features; do
  flags_in_page keep-oci "$c" --help
done
flags_in_page keep-oci run --bundle . --help
flags_in_page keep-images image --help
flags_in_page keep-images verify --help
flags_in_page keep-rmi image rm --help

# --- the completions parse ---
check "bash -n keep.bash" bash -n "$COMP/keep.bash"
if command -v zsh >/dev/null; then
  check "zsh -n _keep" zsh -n "$COMP/_keep"
else
  skip "zsh -n _keep" "zsh is not installed"
fi

# --- bash completion: commands, flags, a running container ---
# complete LINE: what _keep offers at the end of LINE (keep being $KEEP).
complete_line() {
  bash -c '
    . "$1"
    COMP_LINE=$2 COMP_POINT=${#2}
    read -ra COMP_WORDS <<<"$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _keep
    printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP/keep.bash" "$1" >"$T/out" 2>&1
}
complete_line "$KEEP ru"
expect "bash: keep ru -> run" "^run$"
complete_line "$KEEP run --net"
expect "bash: keep run --net -> --network" "^--network$"
complete_line "$KEEP run --network "
expect "bash: keep run --network -> none, host" "^host$"
complete_line "$KEEP run --log-opt max-s"
expect "bash: --log-opt -> max-size=" "^max-size=$"
complete_line "$KEEP audit --format "
expect "bash: audit --format -> sarif" "^sarif$"

mkroot
trap '"$KEEP" rm -f doc-test >/dev/null 2>&1' EXIT
krun -d --name doc-test "$ROOTFS" sleep 30
expect_code "keep run -d --name doc-test" 0
id=$(head -c 12 "$T/out")
complete_line "$KEEP stop "
expect "bash: keep stop <TAB> lists doc-test" "^doc-test$"
expect "bash: keep stop <TAB> lists its id" "^$id$"
complete_line "$KEEP logs doc-"
expect "bash: keep logs doc- -> doc-test" "^doc-test$"
kas "$KEEP" rm -f doc-test
expect_code "keep rm -f doc-test" 0

# --- meson install puts everything where it belongs ---
BUILD=$(dirname "$(dirname "$KEEP")")
if meson install -C "$BUILD" --no-rebuild --destdir "$T/inst" >"$T/out" 2>&1; then
  ok "meson install --destdir"
else
  fail "meson install --destdir"
  sed 's/^/#   /' "$T/out" | tail -5
fi
installed() { [ -n "$(find "$T/inst" -path "*/$1" -type f)" ]; }
for p in bin/keep libexec/keep/keep-images libexec/keep/keep-monitor share/bash-completion/completions/keep \
  share/zsh/vendor-completions/_keep; do
  check "installed: $p" installed "$p"
done
if command -v scdoc >/dev/null; then
  for f in "$DOC"/*.scd; do
    page=$(basename "$f" .scd)
    if ! installed "man/man1/$page"; then
      missing_page=$page
      break
    fi
  done
  if [ -z "${missing_page:-}" ]; then
    ok "installed: every page in man/man1"
  else
    fail "installed: man/man1/$missing_page (reconfigure the build now that scdoc is there: meson setup --reconfigure)"
  fi
else
  skip "installed: man pages" "scdoc is not installed"
fi
done_testing
