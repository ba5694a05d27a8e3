#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/check_errno.sh <source root>: fails, listing each offending line,
# if library code (src/) saves errno by hand (`int saved = errno; ...
# errno = saved;`) instead of with LS_KEEP_ERRNO() from src/common.h,
# which puts it back on every way out of the block (a hand-written save
# misses the early return someone adds later).
root=${1:-.}
cd "$root" || exit 2
hits=$(grep -rnE --include='*.c' --include='*.h' \
  '(^|[^A-Za-z0-9_])int[[:space:]]+[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=[[:space:]]*errno[[:space:]]*;' \
  src | grep -v '^src/common\.h:')
if [ -n "$hits" ]; then
  echo "hand-written errno saves in src/ (use LS_KEEP_ERRNO() from src/common.h):"
  echo "$hits"
  exit 1
fi
echo "ok: every errno save in src/ is LS_KEEP_ERRNO()"
