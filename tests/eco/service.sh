# SPDX-License-Identifier: MIT
# tests/eco/service.sh: sourced by tools.sh and pprof.sh (which define
# fail, CLI and PROG).
# two_dumps EXT [run options]: runs `eco_prog service` under
# `leakscope run --output svc.%p.EXT [run options]`, waits until it says
# ready, takes two dumps a second apart into d1.EXT and d2.EXT, and ends it.
two_dumps() {
  ext=$1; shift
  "$CLI" run --output "svc.%p.$ext" "$@" -- "$PROG" service >svc.out &
  pid=$!
  i=0
  until grep -q ready svc.out 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 500 ] || { kill $pid; fail "the service did not start"; }
    sleep 0.02
  done
  "$CLI" dump "$pid" >"d1.$ext" || { kill $pid; fail "dump 1 exited $?"; }
  sleep 1
  "$CLI" dump "$pid" >"d2.$ext" || { kill $pid; fail "dump 2 exited $?"; }
  kill $pid
  wait $pid || true
}
