#!/bin/sh
# SPDX-License-Identifier: MIT
# One command from a fresh clone: installs the missing Debian packages (as
# root; otherwise prints the apt-get line), builds leakscope into build/,
# and runs it on the bundled leaking example.
set -e
cd "$(dirname "$0")/.."
. scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "leakscope: built build/leakscope and build/libleakscope.so"
echo "leakscope: running: build/leakscope run -- build/examples/leaky"
echo
build/leakscope run -- build/examples/leaky
