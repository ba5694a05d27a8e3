#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/sanitize.sh: the unit tests (ctest -L unit: table, depot, config,
# out, suppress, fdtable, and the test support's own) built and run with
# AddressSanitizer + UndefinedBehaviorSanitizer, then with ThreadSanitizer
# (the table, depot and fdtable tests are the concurrent ones). Uses
# LEAKSCOPE_SANITIZE, which instruments the core objects and the unit
# tests only (a sanitizer runtime cannot be preloaded under another
# program, so the preload tests are not run here), and compiles in the
# core's LS_DEBUG_ASSERT invariant checks (src/debug.h), first of them the
# table's key state machine.
#
#   tests/sanitize.sh [BUILD_ROOT]     default: /tmp/leakscope-sanitize
#   SANITIZERS="thread" tests/sanitize.sh    only one of them
#
# Exits non-zero if any build or test fails. TSan runs with address-space
# randomisation off (setarch -R): the TSan of GCC 12 aborts with
# "unexpected memory mapping" under the kernel's default mmap randomness.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/tmp/leakscope-sanitize}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$root"
status=0

for s in ${SANITIZERS:-address thread}; do
  b=$root/$s
  echo "== $s: configuring $b"
  cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSCOPE_BUILD_TESTS=ON \
    -DLEAKSCOPE_SANITIZE="$s" -DLEAKSCOPE_BUILD_BENCH=OFF -DLEAKSCOPE_BUILD_EXAMPLES=OFF \
    >"$b.configure.log" 2>&1 || { cat "$b.configure.log"; exit 1; }
  # Only what `ctest -L unit` runs: test unit_X is target test_X, and a
  # test of another area labelled unit (python_layout_311) is test_<name>.
  targets=$(cd "$b" && ctest -L unit -N 2>/dev/null |
    sed -n 's|^ *Test *#[0-9]*: \(unit_\)\{0,1\}\([A-Za-z0-9_]*\).*|test_\2|p' | sort -u)
  # ... that are built targets (a unit-labelled script test has none).
  known=$(cmake --build "$b" --target help 2>/dev/null | sed -n 's|^\.\.\. \([A-Za-z0-9_]*\).*|\1|p')
  targets=$(for t in $targets; do if echo "$known" | grep -qx "$t"; then echo "$t"; fi; done)
  [ -n "$targets" ] || { echo "no unit tests found in $b"; exit 1; }
  echo "== $s: building $(echo $targets)"
  # shellcheck disable=SC2086
  cmake --build "$b" -j"$jobs" --target $targets >"$b.build.log" 2>&1 ||
    { tail -50 "$b.build.log"; exit 1; }
  echo "== $s: ctest -L unit"
  run="ctest -L unit --output-on-failure"
  if [ "$s" = thread ] && command -v setarch >/dev/null; then
    run="setarch $(uname -m) -R $run"
  fi
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
  (cd "$b" && $run) || status=1
done
exit $status
