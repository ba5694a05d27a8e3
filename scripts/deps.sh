#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes sure the Debian packages leakscope builds and tests with are
# installed. As root it installs what is missing; otherwise it prints the
# exact apt-get line and fails. Sourced by quickstart.sh and test.sh.
# Extra packages can be passed in LS_EXTRA_PACKAGES.

ls_packages="cmake make gcc g++ pkg-config libunwind-dev libdw-dev libcmocka-dev $LS_EXTRA_PACKAGES"

ls_missing=""
for p in $ls_packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    ls_missing="$ls_missing $p"
done

if [ -n "$ls_missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "leakscope: installing:$ls_missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $ls_missing >/dev/null ||
      { echo "leakscope: apt-get install failed" >&2; exit 1; }
  else
    echo "leakscope: missing Debian packages. Run:" >&2
    echo "  sudo apt-get install -y$ls_missing" >&2
    exit 1
  fi
fi
