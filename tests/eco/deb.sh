#!/bin/sh
# SPDX-License-Identifier: MIT
# deb.sh: builds the Debian package from a build tree (cpack -G DEB),
# installs it with dpkg -i, runs the installed `leakscope run` on a leaking
# program and checks its report, then purges the package and checks that
# nothing of it is left.
#
# Usage: deb.sh BUILD_DIR. Root only: it installs into /usr. Without root,
# or with a leakscope package already installed, it skips (exit 77) and
# says why. Runs of this test from several build trees at once take turns
# (flock), as they share the system's package database.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
skip() { printf 'deb.sh: SKIPPED: %s\n' "$*"; exit 77; }
fail() { printf 'deb.sh: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "installing a package needs root (run the suite as root to test it)"
command -v dpkg >/dev/null || skip "no dpkg: not a Debian system"
command -v cpack >/dev/null || skip "no cpack"

exec 9>/tmp/leakscope-deb-test.lock
flock 9
dpkg-query -W -f='${Status}' leakscope 2>/dev/null | grep -q "install ok installed" &&
  skip "a leakscope package is already installed; not touching it"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-deb.XXXXXX")
installed=0
cleanup() {
  [ $installed = 0 ] || dpkg --purge leakscope >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# dpkg takes the package database's lock; another dpkg or apt-get of the
# machine may hold it for a while.
dpkg_retry() {
  i=0
  until dpkg "$@" >"$tmp/dpkg.log" 2>&1; do
    grep -q "lock" "$tmp/dpkg.log" || { cat "$tmp/dpkg.log" >&2; return 1; }
    i=$((i + 1)); [ $i -lt 120 ] || { cat "$tmp/dpkg.log" >&2; return 1; }
    sleep 1
  done
}

printf '== cpack -G DEB\n'
(cd "$build" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log" >&2; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/pkg/leakscope_*.deb)
dpkg-deb --field "$deb" Package Version Architecture Depends
dpkg-deb --info "$deb" | grep "Depends:.*libunwind" >/dev/null || fail "the package does not depend on libunwind"
dpkg-deb --contents "$deb" | grep "/usr/bin/leakscope$" >/dev/null || fail "no /usr/bin/leakscope in the package"
# Only the installation: no test, example or benchmark program.
! dpkg-deb --contents "$deb" | grep -E "tests/|examples/|bench" || fail "the package holds build-tree files"

printf '== dpkg -i %s\n' "$(basename "$deb")"
dpkg_retry -i "$deb" || fail "dpkg -i"
installed=1
for f in /usr/bin/leakscope /usr/bin/leakscope-flamegraph /usr/include/leakscope.h \
         /usr/share/man/man1/leakscope.1 /usr/share/man/man3/leakscope.3 \
         /usr/share/bash-completion/completions/leakscope \
         /usr/share/leakscope/leakscope-report.schema.json; do
  [ -e "$f" ] || fail "$f not installed"
done
[ "$(/usr/bin/leakscope --version)" = "leakscope $(dpkg-query -W -f='${Version}' leakscope)" ] ||
  fail "installed version: $(/usr/bin/leakscope --version)"
pc=$(dpkg -L leakscope | grep '/leakscope.pc$')
grep -q '^prefix=/usr$' "$pc" || fail "$pc: $(grep prefix= "$pc")"

printf '== /usr/bin/leakscope run on a leaking program\n'
cat >"$tmp/leak.c" <<'C'
#include <stdlib.h>
#include <string.h>
static char *volatile keep;
int main(void) {
  keep = malloc(48);
  keep = NULL; /* lost (listed: the run has no reachability scan) */
  return 0;
}
C
cc -g -O0 -o "$tmp/leak" "$tmp/leak.c"
set +e
/usr/bin/leakscope run --format json --output "$tmp/r.json" --error-exitcode 3 --no-reachability \
  -- "$tmp/leak"
rc=$?
set -e
[ $rc = 3 ] || fail "the installed leakscope run exited $rc, not 3"
grep -q '"memory_bytes":48,' "$tmp/r.json" || fail "report: $(cat "$tmp/r.json")"
grep -q '"file":"[^"]*leak.c","line":5' "$tmp/r.json" || fail "no leak.c:5 frame: $(cat "$tmp/r.json")"
python3 "$(dirname "$0")/validate_json.py" /usr/share/leakscope/leakscope-report.schema.json \
  --lines "$tmp/r.json" || [ $? = 77 ] || fail "report schema"
# man finds the installed pages.
if command -v man >/dev/null; then
  man -w leakscope >/dev/null 2>&1 || fail "man -w leakscope"
fi

printf '== dpkg --purge leakscope\n'
files=$(dpkg -L leakscope | grep -v '/$')
dpkg_retry --purge leakscope || fail "dpkg --purge"
installed=0
dpkg-query -W -f='${Status}' leakscope 2>/dev/null | grep -q "installed" &&
  fail "still installed after purge"
for f in $files; do
  [ -d "$f" ] || [ ! -e "$f" ] || fail "$f left after purge"
done
echo "deb.sh: ok"
