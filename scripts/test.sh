#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the whole test suite from a fresh clone: installs the missing Debian
# packages (as root; otherwise prints the apt-get line), builds into
# build/ with tests on, and runs every CTest test. .ci/run calls this.
set -e
cd "$(dirname "$0")/.."
LS_EXTRA_PACKAGES="${LS_EXTRA_PACKAGES:-}"
. scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSCOPE_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest -j"$(nproc)" --output-on-failure "$@"
