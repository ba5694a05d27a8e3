#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the whole test suite from a fresh clone: installs the missing Debian
# packages (as root; otherwise prints the apt-get line), builds into
# build/ with tests on, runs every CTest test, then the tests that run
# programs under the library once more with the frame-pointer unwinder
# (LEAKSCOPE_UNWIND=fp): reports must be the same in both modes; last, the
# unit tests built with sanitizers (tests/sanitize.sh).
# .ci/run calls this. Arguments are passed to the first ctest run.
set -e
cd "$(dirname "$0")/.."
# The real-program tests (tests/real) run these tools; the fuzz targets
# need clang's libFuzzer; the schema checks (tests/eco) python3-jsonschema.
# Missing ones would only be skipped, but CI must run them.
LS_EXTRA_PACKAGES="python3 perl git sqlite3 curl clang libclang-rt-14-dev python3-jsonschema"
. scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSCOPE_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest -j"$(nproc)" --output-on-failure "$@"
echo "leakscope: again with LEAKSCOPE_UNWIND=fp"
LEAKSCOPE_UNWIND=fp ctest -j"$(nproc)" --output-on-failure -L 'preload|fd|api'
cd ..
echo "leakscope: unit tests under ASan+UBSan and TSan"
sh tests/sanitize.sh build/sanitize
