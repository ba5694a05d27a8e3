#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/check_atomics.sh <source root>: fails, listing each offending line,
# if product code (src/, cli/, include/) names an atomic operation or a
# memory order anywhere but src/atomic.h. Every atomic goes through
# atomic.h's macros, whose names carry the order (and whose uses carry
# their pairing in a comment). Types (_Atomic, atomic_bool) are allowed.
root=${1:-.}
cd "$root" || exit 2
hits=$(grep -rnE --include='*.c' --include='*.h' \
  '__atomic_|__sync_|memory_order|(^|[^A-Za-z0-9_])atomic_(load|store|exchange|compare_exchange|fetch|init|thread_fence|signal_fence|flag_)[a-z_]*[[:space:]]*\(' \
  src cli include | grep -v '^src/atomic\.h:')
if [ -n "$hits" ]; then
  echo "raw atomic operations outside src/atomic.h (use its ls_atomic_* macros):"
  echo "$hits"
  exit 1
fi
echo "ok: no raw atomic operations outside src/atomic.h"
