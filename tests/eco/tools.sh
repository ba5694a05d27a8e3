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
#   fingerprint  the library's "fingerprint" of each group equals what the
#                CLI computes from the group's frames, and is stable
#   baseline     --baseline: a run fails only on the leak its baseline
#                lacks; baseline groups are marked (JSON, text); sarif
#                baselineState and junit verdicts follow the baseline
#   growth       --sort growth: a service's second dump lists the small
#                fast grower above the big stable block; `leakscope diff
#                --sort growth|size`; --top N; --folded-lines
#   gensupp      --gen-suppressions: each group's rule, fed back,
#                suppresses exactly that group (two sites in one function)
# Environment (set by CMakeLists.txt): CLI, PROG, STATIC_PROG, PROG_SRC,
# SRC_ROOT, VALIDATE (validate_json.py), REPORT_SCHEMA, SARIF_SCHEMA.
# Every JSON report made here is checked against the report schema.
set -eu

case=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-eco.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() { printf 'tools.sh %s: FAILED: %s\n' "$case" "$*" >&2; exit 1; }
. "$(dirname "$0")/service.sh"
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
  grep "^leak:#0:^make_record (\\*eco_prog.c:$(marker make_record))\\\$;^load_users\\\$" all.supp >one.supp ||
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
  two_dumps json --format json
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

fingerprint)
  leaks r1.json
  leaks r2.json
  # The report without its fingerprint fields: the CLI computes them from
  # the frames (src/fingerprint.h), which must give the library's values.
  py '
import json
for name in ("r1", "r2"):
    rep = json.load(open(name + ".json"))
    for g in rep["leaks"]:
        del g["fingerprint"]
    json.dump(rep, open(name + ".bare.json", "w"))
'
  for r in r1 r2; do
    "$CLI" sarif $r.json >$r.sarif || fail "sarif $r exited $?"
    "$CLI" sarif $r.bare.json >$r.bare.sarif || fail "sarif $r.bare exited $?"
  done
  py '
import json
def lib(name):
    return [g["fingerprint"] for g in json.load(open(name + ".json"))["leaks"]]
def cli(name):
    return [r["partialFingerprints"]["leakscope/v1"]
            for r in json.load(open(name + ".sarif"))["runs"][0]["results"]]
one, two = lib("r1"), lib("r2")
assert len(one) == 4 and len(set(one)) == 4, one
assert all(len(f) == 16 and int(f, 16) >= 0 for f in one), one
assert cli("r1.bare") == one, (cli("r1.bare"), one)   # computed == written
assert cli("r1") == one                                 # the field is used
assert sorted(two) == sorted(one), (one, two)           # stable across runs
print("fingerprint ok:", one)
' || fail "fingerprints: library and CLI disagree, or unstable"
  ;;

baseline)
  rule=$(marker extra)
  leaks base.json
  # The same program with one more leak: fails, naming only that one.
  set +e
  "$CLI" run --format json --output new.json --no-reachability --baseline base.json \
    --error-exitcode 9 -- "$PROG" new; rc=$?
  set -e
  [ $rc = 9 ] || fail "a new leak against the baseline: exit $rc, not 9"
  check_reports new.json
  py '
import json, sys
r = json.load(open("new.json"))
fresh = [g for g in r["leaks"] if not g["in_baseline"]]
assert len(r["leaks"]) == 5 and r["summary"]["leak_groups"] == 5, r["summary"]
assert r["summary"]["baseline_leak_groups"] == 4, r["summary"]
assert len(fresh) == 1, fresh
f0 = fresh[0]["stack"][0]
assert (f0["function"], f0["line"], fresh[0]["bytes"]) == ("extra_leak", int(sys.argv[1]), 7), f0
' "$rule" || fail "baseline marks in the JSON report"
  # The baseline's own leaks only: passes. The same run without the
  # baseline fails (the gate is not a no-op).
  "$CLI" run --output same.txt --no-reachability --baseline base.json --error-exitcode 9 \
    -- "$PROG" leaks || fail "only baseline leaks: exit $?, not 0"
  grep -q "^baseline: 4 of 4 leak groups known (LEAKSCOPE_BASELINE), 0 new$" same.txt ||
    fail "text headline: $(cat same.txt)"
  [ "$(grep -c ', in the baseline, ' same.txt)" = 4 ] || fail "text notes: $(cat same.txt)"
  set +e
  "$CLI" run --output /dev/null --no-reachability --error-exitcode 9 -- "$PROG" leaks; rc=$?
  # The environment variable works as the flag does; a baseline that
  # cannot be read is one warning, and then every leak counts.
  LEAKSCOPE_BASELINE=base.json LEAKSCOPE_EXITCODE=9 LEAKSCOPE_OUTPUT=/dev/null \
    LEAKSCOPE_REACHABILITY=0 "$CLI" run -- "$PROG" new; rc_env=$?
  "$CLI" run --output /dev/null --no-reachability --baseline no-such.json --error-exitcode 9 \
    -- "$PROG" leaks 2>bad.err; rc_bad=$?
  set -e
  [ $rc = 9 ] || fail "without the baseline: exit $rc, not 9"
  [ $rc_env = 9 ] || fail "LEAKSCOPE_BASELINE and a new leak: exit $rc_env, not 9"
  [ $rc_bad = 9 ] || fail "unreadable baseline: exit $rc_bad, not 9"
  [ "$(grep -c 'leakscope: warning: cannot read LEAKSCOPE_BASELINE' bad.err)" = 1 ] ||
    fail "unreadable baseline: $(cat bad.err)"
  LEAKSCOPE_BASELINE=base.json LEAKSCOPE_EXITCODE=9 LEAKSCOPE_OUTPUT=/dev/null \
    LEAKSCOPE_REACHABILITY=0 "$CLI" run -- "$PROG" leaks || fail "LEAKSCOPE_BASELINE: exit $?"
  # The converters: SARIF baselineState and JUnit verdicts, from the marks
  # of a baseline run (new.json) or from --baseline on a plain report.
  "$CLI" run --format json --output plain.json --no-reachability -- "$PROG" new
  check_reports plain.json
  "$CLI" sarif new.json >marked.sarif || fail "sarif of the baseline run exited $?"
  "$CLI" sarif --baseline base.json plain.json >given.sarif || fail "sarif --baseline exited $?"
  "$CLI" sarif plain.json >none.sarif || fail "sarif exited $?"
  "$CLI" junit --baseline base.json plain.json >given.xml || fail "junit --baseline exited $?"
  "$CLI" junit new.json >marked.xml || fail "junit of the baseline run exited $?"
  python3 "$VALIDATE" "$SARIF_SCHEMA" marked.sarif given.sarif || fail "SARIF schema"
  py '
import json, sys, xml.etree.ElementTree as ET
line = int(sys.argv[1])
for name in ("marked.sarif", "given.sarif"):
    res = json.load(open(name))["runs"][0]["results"]
    states = sorted(r["baselineState"] for r in res)
    assert states == ["new"] + ["unchanged"] * 4, (name, states)
    new = [r for r in res if r["baselineState"] == "new"][0]
    assert new["locations"][0]["physicalLocation"]["region"]["startLine"] == line, new
res = json.load(open("none.sarif"))["runs"][0]["results"]
assert all("baselineState" not in r for r in res), res
for name in ("given.xml", "marked.xml"):
    root = ET.parse(name).getroot()
    assert root.get("failures") == "1", (name, root.attrib)
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert len(failed) == 1 and failed[0].startswith("extra_leak ("), (name, failed)
    known = [c for c in root.iter("testcase") if c.find("system-out") is not None]
    assert len(known) == 4 and all("in the baseline" in c.find("system-out").text for c in known)
print("converters with a baseline ok")
' "$rule" || fail "converters with a baseline"
  ;;

gensupp)
  a=$(marker site_a) b=$(marker site_b) c=$(marker site_c)
  leaks all.json --gen-suppressions
  "$CLI" run --output all.txt --no-reachability --gen-suppressions -- "$PROG" sites ||
    fail "sites exited $?"
  "$CLI" run --format json --output sites.json --no-reachability --gen-suppressions \
    -- "$PROG" sites || fail "sites exited $?"
  check_reports sites.json
  # The text report prints the same rules as the JSON one, one per group.
  grep '^  suppression: ' all.txt | sed 's/^  suppression: //' >text.rules
  py '
import json
rules = [g["suppression"] for g in json.load(open("sites.json"))["leaks"]]
text = open("text.rules").read().splitlines()
assert len(rules) == 3 and sorted(rules) == sorted(text), (rules, text)
for i, r in enumerate(rules):
    open("rule%d.supp" % i, "w").write("# generated\n" + r + "\n")
'
  # Each rule alone, fed back: exactly its group goes.
  for i in 0 1 2; do
    leaks_out=one$i.json
    "$CLI" run --format json --output $leaks_out --no-reachability --suppressions rule$i.supp \
      -- "$PROG" sites || fail "sites with rule $i exited $?"
    check_reports $leaks_out
  done
  py '
import json, sys
lines = dict(zip("abc", map(int, sys.argv[1:4])))
site = lambda g: (g["stack"][0]["function"], g["stack"][0]["line"], g["bytes"])
want = {("two_sites", lines["a"], 11), ("two_sites", lines["b"], 22), ("other_site", lines["c"], 33)}
before = json.load(open("sites.json"))
assert set(map(site, before["leaks"])) == want, list(map(site, before["leaks"]))
for i, g in enumerate(before["leaks"]):
    after = json.load(open("one%d.json" % i))
    left = set(map(site, after["leaks"]))
    assert left == want - {site(g)}, (g["suppression"], left)
    sup = after["summary"]["suppressed"]
    assert len(sup) == 1 and sup[0]["groups"] == 1 and sup[0]["bytes"] == g["bytes"], sup
print("gen-suppressions ok:", [g["suppression"] for g in before["leaks"]])
' "$a" "$b" "$c" || fail "a generated rule did not suppress exactly its group"
  # `leakscope suppress` makes the same rules from a report without them.
  py '
import json
rep = json.load(open("sites.json"))
for g in rep["leaks"]:
    del g["suppression"]
json.dump(rep, open("bare.json", "w"))
'
  "$CLI" suppress bare.json | grep -v '^#' >cli.rules || fail "suppress exited $?"
  sort text.rules >a.sorted && sort cli.rules >b.sorted
  cmp -s a.sorted b.sorted || fail "leakscope suppress and --gen-suppressions differ: $(cat text.rules cli.rules)"
  # The rules of the leaks mode, all fed back: nothing left.
  py '
import json
open("leaks.supp", "w").write("".join(g["suppression"] + "\n" for g in json.load(open("all.json"))["leaks"]))
'
  leaks none.json --suppressions leaks.supp
  py '
import json
s = json.load(open("none.json"))["summary"]
assert s["groups"] == 0 and len(s["suppressed"]) == 4, s
' || fail "the leaks mode rules did not suppress every group: $(cat leaks.supp)"
  ;;

growth)
  two_dumps json --format json --diff --sort growth
  check_reports d1.json d2.json
  # The first dump's growth is everything (grew from zero), so the big
  # block leads; in the second only the grower grew, and it leads.
  py '
import json, sys
grower = int(sys.argv[1])
d1, d2 = json.load(open("d1.json")), json.load(open("d2.json"))
top = lambda r: (r["leaks"][0]["stack"][0]["function"], r["leaks"][0]["stack"][0]["line"], r["leaks"][0]["bytes"])
assert d1["leaks"][0]["bytes"] == 100000, top(d1)
assert top(d2)[:2] == ("serve_one", grower), top(d2)
assert d2["leaks"][0]["growth"]["count"] > 0, d2["leaks"][0]["growth"]
assert any(g["bytes"] == 100000 and g["growth"]["bytes"] == 0 for g in d2["leaks"][1:]), d2["leaks"]
' "$(marker grower)" || fail "--sort growth: the grower is not first"
  "$CLI" diff --sort growth d1.json d2.json >g.txt || fail "diff --sort growth exited $?"
  first=$(grep -n '^+' g.txt | head -n 1 | cut -d: -f1)
  sed -n "$((first + 1))p" g.txt | grep -q "#0 serve_one (.*eco_prog.c:$(marker grower))" ||
    fail "diff --sort growth: the first group is not the grower: $(cat g.txt)"
  "$CLI" diff --sort size --all --top 1 d1.json d2.json | grep -q "+0 bytes in +0 blocks (100000 -> 100000 bytes" ||
    fail "diff --sort size: the big block is not first"
  set +e
  "$CLI" diff --sort bogus d1.json d2.json 2>bad.err; rc=$?
  set -e
  [ $rc = 2 ] && grep -q "invalid value 'bogus' for --sort" bad.err || fail "--sort bogus: exit $rc"
  # --top 2 of the three sites groups: two listed, all counted, and the
  # exit status still counts every leak.
  set +e
  "$CLI" run --format json --output top.json --no-reachability --top 2 --error-exitcode 9 \
    -- "$PROG" sites; rc=$?
  set -e
  [ $rc = 9 ] || fail "--top 2: exit $rc, not 9"
  check_reports top.json
  py '
import json
r = json.load(open("top.json"))
assert [g["bytes"] for g in r["leaks"]] == [33, 22], r["leaks"]
s = r["summary"]
assert s["groups"] == 3 and s["top"] == 2 and s["memory_bytes"] == 66, s
' || fail "--top 2"
  # Folded stacks with file:line keep the two sites of two_sites apart.
  "$CLI" run --format folded --output plain.folded --no-reachability -- "$PROG" sites
  "$CLI" run --format folded --output lines.folded --no-reachability --folded-lines -- "$PROG" sites
  [ "$(grep -c '^main;two_sites 11$' plain.folded)" = 1 ] || fail "folded: $(cat plain.folded)"
  for site in "site_a 11" "site_b 22"; do
    set -- $site
    grep -q "^main:eco_prog.c:[0-9]*;two_sites:eco_prog.c:$(marker $1) $2\$" lines.folded ||
      fail "--folded-lines: no line for $1: $(cat lines.folded)"
  done
  grep -q "^main:eco_prog.c:[0-9]*;other_site:eco_prog.c:$(marker site_c) 33\$" lines.folded ||
    fail "--folded-lines: other_site: $(cat lines.folded)"
  ;;

*)
  echo "usage: $0 help|untraceable|sarif|junit|suppress|diff|fingerprint|baseline|growth|gensupp" >&2
  exit 2
  ;;
esac
echo "tools.sh $case: ok"
