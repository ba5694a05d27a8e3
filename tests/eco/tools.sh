#!/bin/sh
# SPDX-License-Identifier: MIT
# tools.sh: the command's conventions and the report converters, checked
# on real runs of tests/eco/progs/eco_prog.c under leakscope.
#
# Usage: tools.sh CASE
#   help         --help on every command (exit 0), -V/--version
#   untraceable  `run` refuses a static and a set-uid program
#   sarif        SARIF 2.1.0: valid, located in the program's sources,
#                fingerprints as partialFingerprints and stable across runs
#   junit        JUnit XML: one failed case per group
#   suppress     `leakscope suppress` rules, fed back, suppress exactly
#                their groups; a frame rule (#0:) keeps a sibling group
#   diff         two dumps of a growing service: the grower first
# Environment (set by CMakeLists.txt): CLI, PROG, STATIC_PROG, PROG_SRC,
# SRC_ROOT, VALIDATE (validate_json.py), REPORT_SCHEMA, SARIF_SCHEMA.
# Every JSON report made here is checked against the report schema.
set -eu

case=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-eco.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() { printf 'tools.sh %s: FAILED: %s\n' "$case" "$*" >&2; exit 1; }
skip() { printf 'tools.sh %s: SKIPPED: %s\n' "$case" "$*"; exit 77; }
marker() { grep -n "LEAK:$1 " "$PROG_SRC" | cut -d: -f1; }
# check_reports FILE...: every line a valid leakscope report.
check_reports() { python3 "$VALIDATE" "$REPORT_SCHEMA" --lines "$@" || fail "report schema: $*"; }
# leaks OUT [run options]: the leaks mode's exit report, JSON, no reachability
# (every block listed, one group per stack).
leaks() {
  out=$1; shift
  "$CLI" run --format json --output "$out" --no-reachability "$@" -- "$PROG" leaks ||
    fail "eco_prog leaks exited $?"
  check_reports "$out"
}
py() { python3 -c "$@"; }

case $case in
help)
  for cmd in run dump sarif junit diff suppress; do
    "$CLI" "$cmd" --help >help.out 2>help.err || fail "leakscope $cmd --help exited $?"
    head -n 1 help.out | grep -q "^usage: " || fail "leakscope $cmd --help: no usage line: $(cat help.out)"
    grep -q "leakscope $cmd" help.out || fail "leakscope $cmd --help does not show $cmd: $(cat help.out)"
    [ ! -s help.err ] || fail "leakscope $cmd --help wrote to stderr: $(cat help.err)"
    "$CLI" "$cmd" -h >/dev/null || fail "leakscope $cmd -h exited $?"
  done
  "$CLI" --help | grep -q "^usage:" || fail "leakscope --help"
  for v in -V --version; do
    [ "$("$CLI" $v)" = "leakscope $VERSION" ] || fail "leakscope $v printed '$("$CLI" $v)'"
  done
  set +e
  "$CLI" frobnicate >/dev/null 2>&1; rc=$?
  set -e
  [ $rc = 2 ] || fail "unknown command exited $rc, not 2"
  ;;

untraceable)
  set +e
  "$CLI" run -- "$STATIC_PROG" >out 2>err; rc=$?
  set -e
  [ $rc = 8 ] || fail "static program: exit $rc, not 8 ($(cat err))"
  grep -q "statically linked" err || fail "static program: message was '$(cat err)'"
  [ ! -s out ] || fail "the static program ran: $(cat out)"
  set +e
  "$CLI" run --error-exitcode 9 -- "$STATIC_PROG" >out 2>err; rc=$?
  set -e
  [ $rc = 9 ] || fail "static program under --error-exitcode 9: exit $rc"
  # A dynamic program still runs, and the refusal looks programs up on PATH.
  PATH="$(dirname "$PROG"):$PATH" "$CLI" run --output /dev/null -- "$(basename "$PROG")" clean ||
    fail "a dynamic program found on PATH was not run"
  set +e
  PATH="$(dirname "$STATIC_PROG"):$PATH" "$CLI" run -- "$(basename "$STATIC_PROG")" 2>err; rc=$?
  set -e
  [ $rc = 8 ] || fail "static program found on PATH: exit $rc"
  # Set-uid to another user: only root can make one.
  [ "$(id -u)" = 0 ] || skip "static refused; the set-uid case needs root"
  cp "$PROG" suid_prog
  chown nobody suid_prog && chmod 4755 suid_prog
  chmod 755 "$tmp"
  set +e
  "$CLI" run --error-exitcode 7 -- ./suid_prog clean 2>err; rc=$?
  set -e
  [ $rc = 7 ] || fail "set-uid program: exit $rc ($(cat err))"
  grep -q "is set-uid" err || fail "set-uid program: message was '$(cat err)'"
  ;;

sarif)
  leaks r1.json
  leaks r2.json
  "$CLI" sarif --source-root "$SRC_ROOT" r1.json >r1.sarif || fail "sarif exited $?"
  "$CLI" sarif --source-root "$SRC_ROOT" --output r2.sarif r2.json || fail "sarif --output exited $?"
  python3 "$VALIDATE" "$SARIF_SCHEMA" r1.sarif r2.sarif || fail "SARIF schema"
  rel=${PROG_SRC#"$SRC_ROOT"/}
  py '
import json, sys
rel, lines = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
def results(path):
    return json.load(open(path))["runs"][0]["results"]
one, two = results("r1.sarif"), results("r2.sarif")
rep = json.load(open("r1.json"))
assert len(one) == len(rep["leaks"]) == 4, (len(one), len(rep["leaks"]))
want = {}   # startLine -> result
for r in one:
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": rel, "uriBaseId": "%SRCROOT%"}, loc
    want.setdefault(loc["region"]["startLine"], []).append(r)
    assert r["ruleId"] in ("memory-not-released", "fd-not-closed"), r["ruleId"]
    rules = json.load(open("r1.sarif"))["runs"][0]["tool"]["driver"]["rules"]
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert len(r["partialFingerprints"]["leakscope/v1"]) == 16
# make_record is frame #0 of two groups; strdup and open are called from main.
assert len(want[int(lines["make_record"])]) == 2, want.keys()
assert [r["ruleId"] for r in want[int(lines["open"])]] == ["fd-not-closed"]
assert int(lines["strdup"]) in want, (lines, want.keys())
assert "leaked name" not in json.dumps(one)
fps = lambda rs: sorted(r["partialFingerprints"]["leakscope/v1"] for r in rs)
assert len(set(fps(one))) == 4, fps(one)
# Addresses differ between the runs (ASLR); fingerprints do not.
assert fps(one) == fps(two), (fps(one), fps(two))
print("sarif ok:", len(one), "results")
' "$rel" make_record="$(marker make_record)" open="$(marker open)" strdup="$(marker strdup)" ||
    fail "SARIF content"
  ;;

junit)
  leaks r.json
  "$CLI" junit r.json >r.xml || fail "junit exited $?"
  py '
import json, xml.etree.ElementTree as ET
rep = json.load(open("r.json"))
root = ET.parse("r.xml").getroot()
assert root.tag == "testsuites" and root.get("failures") == "4", root.attrib
suite = root.find("testsuite")
cases = suite.findall("testcase")
assert len(cases) == 4 == int(suite.get("tests")) == int(suite.get("failures"))
names = [c.get("name") for c in cases]
assert sum("make_record" in n for n in names) == 2, names
assert all(c.find("failure") is not None for c in cases)
assert "bytes in" in cases[0].find("failure").get("message")
print("junit ok:", names)
' || fail "JUnit content"
  # A clean run: one passing case.
  "$CLI" run --format json --output c.json -- "$PROG" clean
  check_reports c.json
  "$CLI" junit c.json | py '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
assert root.get("failures") == "0" and len(root.iter("testcase").__next__().attrib) > 0
assert [c.get("name") for c in root.iter("testcase")] == ["no leaks"]
' || fail "JUnit of a clean run"
  ;;

suppress)
  leaks r.json
  "$CLI" suppress r.json >all.supp || fail "suppress exited $?"
  [ "$(grep -c '^leak:#0:' all.supp)" = 3 ] || fail "expected 3 leak rules: $(cat all.supp)"
  [ "$(grep -c '^fd:#0:' all.supp)" = 1 ] || fail "expected 1 fd rule: $(cat all.supp)"
  leaks all.json --suppressions all.supp
  py '
import json
s = json.load(open("all.json"))["summary"]
assert s["groups"] == 0 and s["memory_bytes"] == 0 and s["fds"] == 0, s
assert len(s["suppressed"]) == 4 and all(x["groups"] == 1 for x in s["suppressed"]), s
' || fail "the generated rules, fed back, did not suppress every group: $(cat all.supp)"
  # One rule alone: exactly its group goes. load_users and load_groups share
  # frame #0 (make_record); the rule of one must keep the other.
  grep '^leak:#0:^make_record\$;^load_users\$' all.supp >one.supp ||
    fail "no rule for the load_users group: $(cat all.supp)"
  leaks one.json --suppressions one.supp
  py '
import json
before = json.load(open("r.json"))
after = json.load(open("one.json"))
key = lambda g: (g["kind"], g["bytes"], g["count"], tuple(f["function"] for f in g["stack"]))
gone = set(map(key, before["leaks"])) - set(map(key, after["leaks"]))
assert len(after["leaks"]) == len(before["leaks"]) - 1, (before["summary"], after["summary"])
assert [g[3][:2] for g in gone] == [("make_record", "load_users")], gone
assert after["summary"]["suppressed"][0]["groups"] == 1
assert any(g["stack"][1]["function"] == "load_groups" for g in after["leaks"])
' || fail "one generated rule did not suppress exactly its group"
  # An anchored rule on the allocating frame alone takes both make_record
  # groups and nothing else; the same pattern unanchored would too, but
  # "main" unanchored takes every group and anchored on #0 only main's own.
  printf 'leak:#0:^make_record$\nfd:#0:^main$\n' >anchor.supp
  leaks anchor.json --suppressions anchor.supp
  py '
import json
r = json.load(open("anchor.json"))
assert [g["stack"][0]["function"] for g in r["leaks"]] != [] and \
       all(g["stack"][0]["function"] != "make_record" for g in r["leaks"]), r["leaks"]
assert r["summary"]["groups"] == 1 and r["summary"]["fds"] == 0, r["summary"]
' || fail "frame #0 anchored rules"
  ;;

diff)
  "$CLI" run --format json --output svc.%p.json -- "$PROG" service >svc.out &
  pid=$!
  i=0
  until grep -q ready svc.out 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 500 ] || { kill $pid; fail "the service did not start"; }
    sleep 0.02
  done
  "$CLI" dump "$pid" >d1.json || { kill $pid; fail "dump 1 exited $?"; }
  sleep 1
  "$CLI" dump "$pid" >d2.json || { kill $pid; fail "dump 2 exited $?"; }
  kill $pid
  wait $pid || true
  check_reports d1.json d2.json
  "$CLI" diff d1.json d2.json >diff.txt || fail "diff exited $?"
  cat diff.txt
  # The first group listed is the grower, named by its frame; the big
  # stable block did not grow and is not listed.
  first=$(grep -n '^+' diff.txt | head -n 1 | cut -d: -f1)
  sed -n "$((first + 1))p" diff.txt | grep -q "#0 serve_one (.*eco_prog.c:$(marker grower))" ||
    fail "the first group is not the grower"
  ! grep -q "100000" diff.txt || fail "the stable group is listed"
  "$CLI" diff --all d1.json d2.json | grep -q "+0 bytes in +0 blocks (100000 -> 100000 bytes" ||
    fail "--all does not list the stable group"
  [ "$("$CLI" diff --all --top 1 d1.json d2.json | grep -c '^[+-]')" = 1 ] || fail "--top 1"
  ;;

*)
  echo "usage: $0 help|untraceable|sarif|junit|suppress|diff" >&2
  exit 2
  ;;
esac
echo "tools.sh $case: ok"
