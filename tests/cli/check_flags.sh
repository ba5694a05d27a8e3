#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/cli/check_flags.sh LEAKSCOPE_BIN: every `leakscope run` flag sets the
# variable and value it always did. The flags are generated from the flags
# column of LS_OPTIONS (src/config.h); this table is the tool's interface
# as docs/cli.md states it, written out independently of that column. Each
# flag is checked by running env(1) under the tool and reading what it got.
cli=$1
dir=$(mktemp -d) || exit 2
trap 'rm -rf "$dir"' EXIT
fails=0

# expect "<flags>" "<VARIABLE=value>": runs `leakscope run <flags> env`.
expect() {
  # shellcheck disable=SC2086 # the flags are words on purpose
  env -u LEAKSCOPE_SUPPRESSIONS LEAKSCOPE_OUTPUT="$dir/r.%p" \
    "$cli" run $1 --output "$dir/r.%p" -- env > "$dir/env" 2> "$dir/err"
  if ! grep -qxF "$2" "$dir/env"; then
    echo "FAIL: 'leakscope run $1' should set $2; got: $(grep "^${2%%=*}=" "$dir/env")"
    fails=$((fails + 1))
  fi
}

# usage "<args>" "<stderr text>": exit status 2 and the message.
usage() {
  # shellcheck disable=SC2086
  "$cli" run $1 > /dev/null 2> "$dir/err"
  rc=$?
  if [ $rc -ne 2 ] || ! grep -qF "$2" "$dir/err"; then
    echo "FAIL: 'leakscope run $1' should exit 2 saying '$2'; got $rc: $(cat "$dir/err")"
    fails=$((fails + 1))
  fi
}

expect "--format json" "LEAKSCOPE_FORMAT=json"
expect "--format=folded" "LEAKSCOPE_FORMAT=folded"
expect "--depth 7" "LEAKSCOPE_DEPTH=7"
expect "--unwind fp" "LEAKSCOPE_UNWIND=fp"
expect "--unwind=libunwind" "LEAKSCOPE_UNWIND=libunwind"
expect "--signal USR1" "LEAKSCOPE_SIGNAL=USR1"
expect "--interval 3600" "LEAKSCOPE_INTERVAL=3600"
expect "--min-age 3" "LEAKSCOPE_MIN_AGE=3"
expect "--diff" "LEAKSCOPE_DIFF=1"
expect "--error-exitcode 9" "LEAKSCOPE_EXITCODE=9"
expect "--no-follow" "LEAKSCOPE_FOLLOW_EXEC=0"
expect "--reachability" "LEAKSCOPE_REACHABILITY=1"
expect "--no-reachability" "LEAKSCOPE_REACHABILITY=0"
expect "--show-reachable" "LEAKSCOPE_SHOW_REACHABLE=1"
expect "--show-below-main" "LEAKSCOPE_SHOW_BELOW_MAIN=1"
expect "--sample 524288" "LEAKSCOPE_SAMPLE=524288"
expect "--verbose" "LEAKSCOPE_VERBOSE=1"
expect "--gen-suppressions" "LEAKSCOPE_GEN_SUPPRESSIONS=1"
expect "--baseline base.json" "LEAKSCOPE_BASELINE=base.json"
expect "--sort growth" "LEAKSCOPE_SORT=growth"
expect "--top 5" "LEAKSCOPE_TOP=5"
expect "--folded-lines" "LEAKSCOPE_FOLDED_LINES=1"
expect "--no-python" "LEAKSCOPE_PYTHON=0"
expect "--python-objects" "LEAKSCOPE_PYTHON_OBJECTS=1"
expect "--show-std-fds" "LEAKSCOPE_SHOW_STD_FDS=1"
expect "--python-view python" "LEAKSCOPE_PYTHON_VIEW=python"
expect "--suppressions a.supp --suppressions=b.supp" "LEAKSCOPE_SUPPRESSIONS=a.supp:b.supp"
expect "--output $dir/x" "LEAKSCOPE_OUTPUT=$dir/r.%p" # the later --output wins

usage "--diff=1 env" "option --diff takes no value"
usage "--depth" "option --depth needs a value"
usage "--depth 0 env" "invalid value '0' for --depth: expected"
usage "--format xml env" "invalid value 'xml' for --format: expected"
usage "--sort bogus env" "invalid value 'bogus' for --sort: expected"
usage "--bogus env" "run: unknown option '--bogus'"

# --help lists every flag with its variable.
"$cli" --help > "$dir/help"
for word in "--output FILE" "--format text|json|folded" "--no-follow" "[LEAKSCOPE_FOLLOW_EXEC=0]" \
  "--suppressions FILE" "[LEAKSCOPE_MIN_AGE]" "--no-reachability" "[LEAKSCOPE_REACHABILITY=0]"; do
  grep -qF -- "$word" "$dir/help" || { echo "FAIL: --help lacks '$word'"; fails=$((fails + 1)); }
done

[ $fails -eq 0 ] && echo "ok: every run flag sets its variable" && exit 0
exit 1
