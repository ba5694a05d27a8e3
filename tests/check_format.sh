#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/check_format.sh <source root>: fails, listing each file, if a
# tracked C or C++ file differs from what clang-format makes of it with
# the tree's .clang-format (test programs opt out in their own
# .clang-format: their statements must stay on their LEAK-marked lines).
# Exits 77 (skipped) when clang-format is not installed or the tree is
# not a git checkout. Fix with:
#   git ls-files '*.c' '*.h' '*.cpp' | xargs clang-format -i
root=${1:-.}
cd "$root" || exit 2
command -v clang-format >/dev/null 2>&1 || { echo "skip: no clang-format"; exit 77; }
files=$(git ls-files '*.c' '*.h' '*.cpp' 2>/dev/null) || { echo "skip: not a git checkout"; exit 77; }
[ -n "$files" ] || { echo "skip: not a git checkout"; exit 77; }
# --dry-run --Werror: one process for the tree, a warning per change
if ! out=$(clang-format --dry-run --Werror $files 2>&1); then
  echo "not formatted with .clang-format:"
  echo "$out" | grep -E '^[^ ].*: (error|warning):' | cut -d: -f1 | sort -u
  exit 1
fi
echo "ok: every C file follows .clang-format"
