#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh: installs a leakscope build tree into a temporary prefix, then
# builds and runs the consumer of this directory against that copy twice:
# through the CMake package (find_package with CMAKE_PREFIX_PATH) and
# through pkg-config (PKG_CONFIG_PATH and the Makefile). Each build must
# resolve to the temporary prefix, never to the build tree or a system
# copy, and each program must get exact counts from the API.
#
# Usage: run.sh BUILD_DIR
# Environment: CMAKE (default cmake), CC (default cc), MAKE (default
# make), KEEP=1 to keep the temporary directory for a look afterwards.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cmake=${CMAKE:-cmake}
make=${MAKE:-make}
export CC="${CC:-cc}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-install.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  trap 'echo "run.sh: kept $tmp"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi
prefix=$tmp/prefix

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'run.sh: FAILED: %s\n' "$*" >&2; exit 1; }

# Fails unless path lies inside the temporary prefix.
in_prefix() {
  case "$2" in
    "$prefix"/*) ;;
    *) fail "$1 is $2, outside the installation $prefix" ;;
  esac
}

step "install $build into $prefix"
"$cmake" --install "$build" --prefix "$prefix"

lib=$(find "$prefix" -name libleakscope.so | head -n 1)
pc=$(find "$prefix" -name leakscope.pc | head -n 1)
[ -n "$lib" ] || fail "no libleakscope.so under $prefix"
[ -n "$pc" ] || fail "no leakscope.pc under $prefix"
[ -x "$prefix/bin/leakscope" ] || fail "no bin/leakscope under $prefix"
libdir=$(dirname "$lib")

# normalised WHAT PATH...: fails when a path has "." or ".." components
# (pkg-config variables and RUNPATH entries must be plain absolute paths).
normalised() {
  what=$1; shift
  for p in "$@"; do
    case "/$p/" in
      */../*|*/./*) fail "$what holds a path that is not normalised: $p" ;;
    esac
  done
}
# runpath FILE: its RUNPATH/RPATH entries, one per line.
runpath() {
  readelf -d "$1" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p' | tr ':' '\n'
}

step "what else the installation carries"
for f in share/man/man1/leakscope.1 share/man/man3/leakscope.3 \
         share/bash-completion/completions/leakscope share/leakscope/leakscope-report.schema.json; do
  [ -f "$prefix/$f" ] || fail "no $f under $prefix"
done
[ -x "$prefix/bin/leakscope-flamegraph" ] || fail "no bin/leakscope-flamegraph under $prefix"
printf 'main;f 10\n' | python3 "$prefix/bin/leakscope-flamegraph" | grep -q "<svg" ||
  fail "bin/leakscope-flamegraph drew no SVG"
for elf in "$prefix/bin/leakscope" "$lib"; do
  normalised "RUNPATH of $elf" $(runpath "$elf")
done

# The programs load the installed library, and only what each run asks
# for is preloaded. Their exit reports are not what is checked here.
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset LD_PRELOAD || true
export LEAKSCOPE_OUTPUT=/dev/null

# run_consumers DIR: the linked program, and the shim-only program
# without leakscope, preloaded by hand, and started by the installed CLI.
run_consumers() {
  normalised "RUNPATH of $1/consumer" $(runpath "$1/consumer")
  loaded=$(ldd "$1/consumer" | sed -n 's/.*libleakscope[^ ]* => \([^ ]*\).*/\1/p')
  in_prefix "the libleakscope $1/consumer loads" "$loaded"
  "$1/consumer" active || fail "$1/consumer active"
  "$1/consumer_api" inactive || fail "$1/consumer_api inactive"
  LD_PRELOAD="$lib" "$1/consumer_api" active || fail "LD_PRELOAD=$lib $1/consumer_api active"
  "$prefix/bin/leakscope" run -- "$1/consumer_api" active ||
    fail "$prefix/bin/leakscope run $1/consumer_api active"
}

step "CMake: find_package(leakscope CONFIG) with CMAKE_PREFIX_PATH=$prefix"
"$cmake" -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=Debug
found=$(sed -n 's/^leakscope_DIR:PATH=//p' "$tmp/cmake/CMakeCache.txt")
in_prefix "leakscope_DIR" "$found"
"$cmake" --build "$tmp/cmake"
run_consumers "$tmp/cmake"
"$cmake" --build "$tmp/cmake" --target test
if [ -x "$tmp/cmake/consumer_cmocka" ]; then
  "$tmp/cmake/consumer_cmocka" 2>"$tmp/cmocka.err" || {
    cat "$tmp/cmocka.err" >&2
    fail "consumer_cmocka"
  }
  grep -q "leakscope: test leaked 10 bytes in 1 blocks and 0 fds" "$tmp/cmocka.err" ||
    { cat "$tmp/cmocka.err" >&2; fail "consumer_cmocka: the teardown printed no leak report"; }
else
  echo "cmocka not found: consumer_cmocka not built"
fi

step "pkg-config with PKG_CONFIG_PATH=$(dirname "$pc")"
export PKG_CONFIG_PATH="$(dirname "$pc")"
for pkg in leakscope leakscope-api; do
  printf '%s: %s\n' "$pkg" "$(pkg-config --cflags --libs "$pkg")"
  in_prefix "$pkg's includedir" "$(pkg-config --variable=includedir "$pkg")"
  in_prefix "$pkg's libdir" "$(pkg-config --variable=libdir "$pkg")"
  normalised "$pkg.pc" $(pkg-config --cflags --libs "$pkg" | sed 's/-[IL]//g; s/ -l[^ ]*//g') \
    "$(pkg-config --variable=includedir "$pkg")" "$(pkg-config --variable=libdir "$pkg")"
done
mkdir "$tmp/make"
"$make" -C "$tmp/make" -f "$here/Makefile" SRCDIR="$here"
run_consumers "$tmp/make"

step "ok: the installation works through CMake and pkg-config"
