#!/bin/sh
# SPDX-License-Identifier: MIT
# pprof.sh: every profile leakscope writes with --format pprof is read by
# `go tool pprof` (Debian's golang-go), with the expected top function and
# values.
#
# Usage: pprof.sh CASE
#   exit     the exit report of eco_prog leaks: inuse_space, inuse_objects
#            and open_fds top functions and totals, labels (-tags)
#   inline   an always-inlined helper: one Location, two Lines (-raw), both
#            functions in -traces
#   dump     two `leakscope dump`s of a growing service, and
#            `-diff_base` putting the grower on top
# Environment (CMakeLists.txt): CLI, PROG, PROG_SRC. Skips (77) without go.
set -eu

case=$1
command -v go >/dev/null || { echo "pprof.sh: SKIPPED: no go (apt-get install golang-go)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-pprof.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# go wants a writable home for its caches; the test must not use the user's.
export HOME="$tmp" GOCACHE="$tmp/gocache" GOPATH="$tmp/go" GOFLAGS=-mod=mod
fail() { printf 'pprof.sh %s: FAILED: %s\n' "$case" "$*" >&2; exit 1; }
. "$(dirname "$0")/service.sh"
marker() { grep -n "LEAK:$1 " "$PROG_SRC" | cut -d: -f1; }
pprof() { go tool pprof "$@" 2>pprof.err || { cat pprof.err >&2; fail "go tool pprof $*"; }; }
# first_row FILE: the first row of a -top listing: "flat flat% sum% cum cum% name".
first_row() { sed -n '/^ *flat  *flat%/{n;p;q}' "$1"; }

case $case in
exit)
  "$CLI" run --format pprof --output p.pb --no-reachability -- "$PROG" leaks || fail "run exited $?"
  pprof -top -sample_index=inuse_space p.pb >space.txt
  cat space.txt
  # make_record is frame #0 of two groups: 100 + 40 bytes; strdup 12.
  grep -q "Showing nodes accounting for 152B, 100% of 152B total" space.txt || fail "inuse_space total"
  first_row space.txt | grep -Eq "^ *140B .* make_record$" || fail "inuse_space top: $(first_row space.txt)"
  grep -Eq "^ *12B .* strdup$" space.txt || fail "strdup's 12 bytes"
  pprof -top -sample_index=inuse_objects p.pb >objects.txt
  first_row objects.txt | grep -Eq "^ *2 .* make_record$" || fail "inuse_objects top: $(first_row objects.txt)"
  pprof -top -sample_index=open_fds p.pb >fds.txt
  grep -q "accounting for 1, 100% of 1 total" fds.txt || fail "open_fds total: $(cat fds.txt)"
  first_row fds.txt | grep -Eq "^ *1 .* main$" || fail "open_fds top: $(first_row fds.txt)"
  # Labels: kind, resource, path and fd number of the open file.
  pprof -tags -sample_index=open_fds p.pb >tags.txt
  grep -q "/dev/null" tags.txt && grep -q "file" tags.txt || fail "labels: $(cat tags.txt)"
  pprof -top -sample_index=inuse_space -tagfocus=kind=memory p.pb | grep -q "of 152B total" ||
    fail "-tagfocus kind=memory"
  # Lines: the leak's file:line as the source marks it.
  pprof -lines -top -sample_index=inuse_space p.pb >lines.txt
  grep -q "make_record .*eco_prog.c:$(marker make_record)" lines.txt || fail "-lines: $(cat lines.txt)"
  # The program's mapping carries its build id.
  id=$(readelf -n "$PROG" | sed -n 's/.*Build ID: //p')
  pprof -raw p.pb | grep -q "$id" || fail "no build id $id in the mappings"
  ;;

inline)
  "$CLI" run --format pprof --output p.pb --no-reachability -- "$PROG" inline || fail "run exited $?"
  pprof -raw p.pb >raw.txt
  cat raw.txt
  # One location holds both frames: inline_alloc (inlined) then load_inline.
  awk '/inline_alloc/ { getline next_line; print next_line }' raw.txt | grep -q "load_inline .*eco_prog.c:$(marker load_inline)" ||
    fail "inline_alloc and load_inline are not two Lines of one Location"
  pprof -traces p.pb >traces.txt
  grep -q "inline_alloc" traces.txt && grep -q "load_inline" traces.txt || fail "-traces: $(cat traces.txt)"
  pprof -top -sample_index=inuse_space p.pb | grep -q "of 33B total" || fail "33 bytes"
  ;;

dump)
  two_dumps pb --format pprof
  pprof -top -sample_index=inuse_space d1.pb >d1.txt
  first_row d1.txt | grep -Eq " main$" || fail "dump 1: the stable 100000 bytes of main first: $(first_row d1.txt)"
  pprof -top -sample_index=inuse_space -diff_base d1.pb d2.pb >diff.txt
  cat diff.txt
  first_row diff.txt | grep -Eq "^ *[0-9.]+[kK]?B .* serve_one$" || fail "-diff_base: the grower is not first"
  ! grep -q "100000\|97.66kB" diff.txt || fail "the stable block shows in the diff"
  ;;

*)
  echo "usage: $0 exit|inline|dump" >&2
  exit 2
  ;;
esac
echo "pprof.sh $case: ok"
