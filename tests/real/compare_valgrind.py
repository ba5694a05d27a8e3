#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs everyday commands under leakscope and under Valgrind and checks
that every group leakscope reports is one Valgrind reports too (issue 12):
memory groups against Valgrind's definitely, indirectly and possibly lost
records, fd groups (fds other than 0-2) against its open descriptors.

    compare_valgrind.py --lib build/libleakscope.so [--only NAME ...] [--markdown]

Each command runs in a fresh temporary directory holding a few input
files, with every child process followed (leakscope's exec following,
valgrind --trace-children=yes). A leakscope group matches a Valgrind record
when their allocation stacks agree on the first three frames of the
program (allocator and syscall-wrapper frames dropped): the same function
names, or, for frames without a name, the same module and offset
(Valgrind loads a PIE executable at 0x108000). Frames neither side names
match anything. Prints one row per command; the exit status is 1 when a
leakscope group has no Valgrind counterpart, 77 when valgrind (or, with
--only, a command) is missing. --leakscope-only skips Valgrind and
compares leakscope's group counts with the ones a comparison run stored
(--expect NAME=D/I/P/FD; 0/0/0/0 when not given).
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

VALGRIND_PIE_BASE = 0x108000

# name, argv (run with /bin/sh -c when a string)
COMMANDS = [
    ("ls", ["ls", "-la", "."]),
    ("cp", ["cp", "a.txt", "copy.txt"]),
    ("sort", ["sort", "-o", "sorted.txt", "words.txt"]),
    ("date", ["date", "+%Y"]),
    ("id", ["id"]),
    ("find", ["find", ".", "-name", "*.txt"]),
    ("grep", ["grep", "-r", "beta", "."]),
    ("tar", ["tar", "cf", "out.tar", "a.txt", "words.txt"]),
    ("mawk", ["mawk", "{ n += NF } END { print n }", "words.txt"]),
    ("sed", ["sed", "s/a/b/g", "words.txt"]),
    ("wc", ["wc", "-l", "words.txt"]),
    ("cat", ["cat", "a.txt", "words.txt"]),
    ("bash -c", ["bash", "-c", "x=$(echo hi); echo $x | tr a-z A-Z; exec 3>f.out; echo ok >&3"]),
    ("python3 -c", ["python3", "-c",
                    "import ctypes, ctypes.util, json; "
                    "libc = ctypes.CDLL(ctypes.util.find_library('c')); "
                    "print(libc.strlen(b'abc'), json.dumps({'a': [1, 2]}))"]),
    ("perl -e", ["perl", "-e", "my %h = map { $_ => 1 } 1..100; print scalar(keys %h), qq(\\n)"]),
    ("git --version", ["git", "--version"]),
    ("sqlite3", ["sqlite3", ":memory:", "create table t(x); insert into t values (1),(2); select sum(x) from t;"]),
    ("make -v", ["make", "-v"]),
    ("gcc -c", ["gcc", "-c", "t.c", "-o", "t.o"]),
    ("curl --version", ["curl", "--version"]),
    ("head", ["head", "-n", "2", "words.txt"]),
    ("uniq", ["uniq", "words.txt"]),
    ("env", ["env"]),
    ("gdb --batch", ["gdb", "--batch", "-ex", "quit"]),
    ("cc1", ["cc1", "-quiet", "t.c", "-o", "t.s"]),  # gcc's compiler proper, found with gcc
]

ALLOC_FUNCS = {
    "malloc", "calloc", "realloc", "free", "reallocarray", "memalign", "posix_memalign",
    "aligned_alloc", "valloc", "pvalloc", "strdup", "strndup",
    "operator new(unsigned long)", "operator new[](unsigned long)", "operator new",
    "operator new[]", "Znwm", "Znam", "libc_malloc", "libc_calloc", "libc_realloc",
}


# libc's own frames between a descriptor-creating call and the program
FD_WRAPPERS = {
    "open", "open64", "openat", "openat64", "creat", "fopen", "fopen64", "fdopen", "freopen",
    "pipe", "pipe2", "socket", "socketpair", "accept", "accept4", "dup", "dup2", "dup3",
    "opendir", "fdopendir", "epoll_create", "epoll_create1", "eventfd", "timerfd_create",
    "signalfd", "inotify_init", "inotify_init1", "memfd_create", "tmpfile", "tmpfile64",
    "mkstemp", "mkostemp", "popen", "fcntl", "fcntl64",
}


def is_libc_internal(name):
    return bool(name) and (name in FD_WRAPPERS or name.startswith("IO_"))


def setup_dir(d):
    with open(os.path.join(d, "a.txt"), "w") as f:
        f.write("alpha\nbeta\ngamma\n")
    with open(os.path.join(d, "words.txt"), "w") as f:
        f.write("pear apple\nfig\nfig\nbeta kiwi\n")
    with open(os.path.join(d, "t.c"), "w") as f:
        f.write("int add(int a, int b) { return a + b; }\n")


def clean_env(home):
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC", "HOME": home}


def norm_func(name):
    if not name:
        return None
    name = name.strip()
    # glibc's internal aliases: __GI___tsearch, __tsearch and tsearch are one
    if name.startswith("__GI_"):
        name = name[5:]
    return name.lstrip("_") or name


def frame_keys_ls(fr):
    """A leakscope JSON frame -> the set of keys it may match."""
    fn = norm_func(fr.get("function"))
    if fn:
        return {"f:" + fn.split("(")[0]}
    mod = os.path.basename(fr.get("module") or "?")
    off = fr.get("offset")
    keys = {"m:" + mod}
    if off:
        keys.add("o:%s+%x" % (mod, int(off, 16)))
    return keys


def frame_keys_vg(line):
    """A Valgrind 'at/by 0x...: fn (where)' line -> (function, keys)."""
    m = re.search(r"(?:at|by) 0x([0-9A-Fa-f]+): (.*)$", line)
    if not m:
        return None, set()
    addr = int(m.group(1), 16)
    rest = m.group(2)
    inmod = re.search(r"\(in ([^)]*)\)\s*$", rest)
    fn = rest
    if inmod:
        fn = rest[:inmod.start()].strip()
    else:
        fn = re.sub(r"\s*\([^()]*:\d+\)\s*$", "", rest).strip()
    if fn in ("???", ""):
        mod = os.path.basename(inmod.group(1)) if inmod else "?"
        keys = {"m:" + mod, "o:%s+%x" % (mod, addr)}
        if addr >= VALGRIND_PIE_BASE:
            keys.add("o:%s+%x" % (mod, addr - VALGRIND_PIE_BASE))
        return None, keys
    fn = norm_func(fn)
    return fn, {"f:" + fn.split("(")[0]}


def compatible(a, b):
    """Two frames' key sets agree: same name, same module+offset, or one
    side knows only the module, which the other's frame shares."""
    if a & b:
        return True
    fa = [k for k in a if k.startswith("f:")]
    fb = [k for k in b if k.startswith("f:")]
    if fa or fb:
        return not (fa and fb)  # a name on one side only: no evidence either way
    return False


def stacks_match(ls_frames, vg_frames, depth=3):
    n = min(depth, len(ls_frames), len(vg_frames))
    if n == 0:
        return False
    named_equal = 0
    for i in range(n):
        if not compatible(ls_frames[i], vg_frames[i]):
            return False
        if ls_frames[i] & vg_frames[i]:
            named_equal += 1
    return named_equal > 0


def parse_valgrind(path):
    """Loss records and open fds of one valgrind log."""
    records, fds = [], []
    cur = None
    with open(path, errors="replace") as f:
        lines = [re.sub(r"^==\d+== ?", "", l.rstrip("\n")) for l in f]
    kinds = {"definitely lost": "definite", "indirectly lost": "indirect",
             "possibly lost": "possible"}
    for line in lines:
        m = re.match(r"([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes in ([\d,]+) blocks are "
                     r"(definitely lost|indirectly lost|possibly lost|still reachable)", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            direct = m.group(2)
            cur = {"kind": kinds.get(m.group(5), "reachable"),
                   "bytes": int(direct.replace(",", "")) if direct else total,
                   "blocks": int(m.group(4).replace(",", "")), "frames": [], "fd": None}
            records.append(cur)
            continue
        m = re.match(r"Open (?:file|AF_\w+ socket) descriptor (\d+):?", line)
        if m:
            cur = {"kind": "fd", "fd": int(m.group(1)), "frames": [], "inherited": False}
            fds.append(cur)
            continue
        if cur is not None and "<inherited from parent>" in line:
            cur["inherited"] = True
            continue
        if cur is not None and re.match(r"\s*(at|by) 0x", line):
            fn, keys = frame_keys_vg(line)
            cur.setdefault("names", []).append(fn)
            cur["frames"].append(keys)
            continue
        if cur is not None and line.strip() == "":
            cur = None
    for r in records + fds:
        # drop the allocator (memory) or the syscall wrapper (fds) at the top
        names = r.get("names", [])
        k = 0
        if r["kind"] == "fd":
            k = 1 if r["frames"] else 0  # the system call's wrapper
            while k < len(names) and is_libc_internal(names[k]):
                k += 1
        while k < len(names) and names[k] and names[k].split("(")[0] in ALLOC_FUNCS:
            k += 1
        r["frames"] = r["frames"][k:]
    return records, fds


def parse_leakscope(path):
    groups = []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                rep = json.loads(line)
            except ValueError:
                continue
            if rep.get("trigger") not in ("exit", None):
                continue
            for g in rep.get("leaks", []):
                frames = [frame_keys_ls(fr) for fr in g.get("stack", [])]
                # leakscope starts at the allocator's caller; a wrapper such
                # as strdup may still be on top
                while frames and any(k.startswith("f:") and (k[2:] in ALLOC_FUNCS or (
                        g["kind"] != "memory" and is_libc_internal(k[2:]))) for k in frames[0]):
                    frames = frames[1:]
                if g["kind"] == "memory":
                    if g.get("reachability") in (None, "reachable"):
                        continue
                    groups.append({"kind": g["reachability"], "bytes": g["bytes"],
                                   "blocks": g["count"], "frames": frames, "stack": g.get("stack", [])})
                else:
                    nums = [n for n in g.get("fds", []) if n > 2]
                    if nums:
                        groups.append({"kind": "fd", "fds": nums, "frames": frames,
                                       "resource": g.get("resource"), "stack": g.get("stack", [])})
    return groups


def describe(g):
    fr = g["stack"][:3]
    names = []
    for f in fr:
        names.append(f.get("function") or "%s+%s" % (os.path.basename(f.get("module") or "?"),
                                                    f.get("offset")))
    what = ("%s %d B/%d" % (g["kind"], g["bytes"], g["blocks"])) if g["kind"] != "fd" else \
        "fd %s %s" % (g.get("resource"), g["fds"])
    return "%s at %s" % (what, " < ".join(names))


def run_one(name, argv, lib, tmp_root, timeout, leakscope_only):
    work = tempfile.mkdtemp(prefix="cmp-", dir=tmp_root)
    setup_dir(work)
    home = os.path.join(work, "home")
    os.mkdir(home)
    out = os.path.join(work, "out")
    os.mkdir(out)
    env = clean_env(home)
    ls_env = dict(env, LD_PRELOAD=lib, LEAKSCOPE_FORMAT="json",
                  LEAKSCOPE_OUTPUT=os.path.join(out, "ls.%p"))
    subprocess.run(argv, cwd=work, env=ls_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=timeout)
    # indirect records too: with the default kinds Valgrind folds them into
    # the definite record of their clique's leader
    vg = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible",
          "--track-fds=yes", "--trace-children=yes",
          "--child-silent-after-fork=yes", "--log-file=" + os.path.join(out, "vg.%p")] + argv
    for f in ("copy.txt", "sorted.txt", "out.tar", "f.out", "t.o"):
        try:
            os.unlink(os.path.join(work, f))
        except FileNotFoundError:
            pass
    if not leakscope_only:
        subprocess.run(vg, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout * 20)
    ours = []
    for p in sorted(glob.glob(os.path.join(out, "ls.*"))):
        ours += parse_leakscope(p)
    records, fds = [], []
    for p in sorted(glob.glob(os.path.join(out, "vg.*"))):
        r, f = parse_valgrind(p)
        records += r
        fds += [x for x in f if x["fd"] > 2 and not x["inherited"]]
    lost = [r for r in records if r["kind"] in ("definite", "indirect", "possible")]
    unmatched, class_diff = [], []
    for g in ours:
        pool = fds if g["kind"] == "fd" else lost
        hits = [r for r in pool if stacks_match(g["frames"], r["frames"])]
        if not hits:
            unmatched.append(g)
        elif g["kind"] != "fd" and not any(r["kind"] == g["kind"] for r in hits):
            class_diff.append((g, sorted({r["kind"] for r in hits})))
    shutil.rmtree(work, ignore_errors=True)

    def count(items, kind):
        return sum(1 for x in items if x["kind"] == kind)

    return {
        "name": name,
        "ls": {k: count(ours, k) for k in ("definite", "indirect", "possible", "unclassified", "fd")},
        "vg": {k: count(lost, k) for k in ("definite", "indirect", "possible")} | {"fd": len(fds)},
        "unmatched": unmatched, "class_diff": class_diff,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--leakscope-only", action="store_true",
                    help="no valgrind run: the stored expectation is that Valgrind reports "
                         "nothing for these commands, so every leakscope group is a mismatch")
    ap.add_argument("--expect", nargs="*", default=[], metavar="NAME=D/I/P/FD",
                    help="with --leakscope-only: the group counts Valgrind reported for NAME "
                         "(stored from a comparison run); leakscope must report exactly these")
    args = ap.parse_args()
    expect = dict(e.split("=", 1) for e in args.expect)
    if args.expect:
        args.only = list(expect)
    if not args.leakscope_only and not shutil.which("valgrind"):
        print("valgrind is not installed: skipped")
        return 77
    lib = os.path.abspath(args.lib)
    tmp_root = tempfile.mkdtemp(prefix="ls-vg-compare-")
    rows = []
    for name, argv in COMMANDS:
        if args.only and name not in args.only and argv[0] not in args.only:
            continue
        if argv[0] == "cc1" and shutil.which("gcc"):
            path = subprocess.run(["gcc", "-print-prog-name=cc1"], capture_output=True,
                                  text=True).stdout.strip()
            argv = [path] + argv[1:]
        if not shutil.which(argv[0]):
            print("%s: not installed, skipped" % argv[0], file=sys.stderr)
            if args.only:
                return 77
            continue
        rows.append(run_one(name, argv, lib, tmp_root, args.timeout, args.leakscope_only))
        r = rows[-1]
        print("%-16s leakscope d/i/p/u/fd %s  valgrind d/i/p/fd %s  not in valgrind: %d" % (
            r["name"], "/".join(str(r["ls"][k]) for k in ("definite", "indirect", "possible", "unclassified", "fd")),
            "/".join(str(r["vg"][k]) for k in ("definite", "indirect", "possible", "fd")),
            len(r["unmatched"])), file=sys.stderr)
    shutil.rmtree(tmp_root, ignore_errors=True)
    bad = 0
    if args.markdown:
        print("| command | leakscope groups: definite / indirect / possible / fds | "
              "Valgrind records: definite / indirect / possible / fds | leakscope groups Valgrind does not report |")
        print("|---|---|---|---|")
    for r in rows:
        ls = "%d / %d / %d / %d" % (r["ls"]["definite"], r["ls"]["indirect"], r["ls"]["possible"], r["ls"]["fd"])
        if r["ls"]["unclassified"]:
            ls += " (+%d unclassified)" % r["ls"]["unclassified"]
        vg = "%d / %d / %d / %d" % (r["vg"]["definite"], r["vg"]["indirect"], r["vg"]["possible"], r["vg"]["fd"])
        if args.leakscope_only:
            # no valgrind run: the stored counts are the expectation
            got = "%d/%d/%d/%d" % (r["ls"]["definite"], r["ls"]["indirect"], r["ls"]["possible"],
                                   r["ls"]["fd"])
            want = expect.get(r["name"], "0/0/0/0")
            ok = got == want and not r["ls"]["unclassified"]
            print("%-16s leakscope %s, stored Valgrind %s: %s" % (r["name"], got, want,
                                                               "ok" if ok else "MISMATCH"))
            bad += 0 if ok else 1
            continue
        miss = "; ".join(describe(g) for g in r["unmatched"]) or "none"
        bad += len(r["unmatched"])
        if args.markdown:
            print("| `%s` | %s | %s | %s |" % (r["name"], ls, vg, miss))
        else:
            print("%-16s %-22s %-18s %s" % (r["name"], ls, vg, miss))
        for g, kinds in r["class_diff"]:
            print("    class differs: leakscope %s, valgrind %s" % (describe(g), "/".join(kinds)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
