#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the whole test suite from a fresh clone: installs the missing Debian
# packages (as root; otherwise prints the apt-get line), builds into
# build/ with tests on, runs every CTest test, then the tests that run
# programs under the library once more with the frame-pointer unwinder
# (LEAKSCOPE_UNWIND=fp): reports must be the same in both modes; last, the
# unit tests built with sanitizers (tests/sanitize.sh). Every pass runs
# even when an earlier one failed; the failures are listed at the end.
# .ci/run calls this. Arguments are passed to the first ctest run.
set -e
cd "$(dirname "$0")/.."
# The real-program tests (tests/real) run these tools; the fuzz targets
# need clang's libFuzzer; the reachability comparisons need valgrind (and
# gdb, one of the programs compared); the start-up tests run under
# libfaketime; the schema checks (tests/eco) python3-jsonschema, the
# pprof checks golang-go (go tool pprof; about 40 s of apt-get here).
# Missing ones would only be skipped, but CI must run them.
LS_EXTRA_PACKAGES="python3 perl git sqlite3 curl clang libclang-rt-14-dev valgrind gdb faketime python3-jsonschema golang-go"
. scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSCOPE_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"
# From here every pass runs whatever the passes before it found; the
# failed ones are listed at the end, and the exit status is non-zero if
# there was one.
set +e
failed=""
run_pass() {
  name=$1
  shift
  echo "leakscope: pass: $name"
  if ! "$@"; then
    failed="$failed
  $name"
  fi
}
cd build
run_pass "all tests" ctest -j"$(nproc)" --output-on-failure "$@"
run_pass "LEAKSCOPE_UNWIND=fp" env LEAKSCOPE_UNWIND=fp ctest -j"$(nproc)" --output-on-failure \
  -L 'preload|fd|api'
cd ..
run_pass "unit tests under ASan+UBSan and TSan" sh tests/sanitize.sh build/sanitize
if [ -n "$failed" ]; then
  echo "leakscope: FAILED passes:$failed"
  exit 1
fi
echo "leakscope: every pass succeeded"
