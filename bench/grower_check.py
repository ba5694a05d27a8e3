#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# grower_check.py: reads the JSON Lines dumps of bench_grower (periodic,
# LEAKSCOPE_DIFF=1) and says, dump by dump, where the leaking line
# (leak_site) ranks among the heap groups by growth since the first dump,
# and from which dump on it is the top grower.
#
#   grower_check.py REPORT.json [INTERVAL_S]
#
# Prints one line per dump, then a summary line:
#   top_grower_from_dump=K time_s=T   (K = 0: never, or not at the last dump)
import json
import sys


def group_key(g):
    # function:line of the first frames: the churn's four call sites are
    # four groups (tail calls put them all in main, at different lines)
    return tuple("%s:%s" % (f.get("function", f.get("address", "?")), f.get("line", "?"))
                 for f in g.get("stack", [])[:6])


def main():
    path = sys.argv[1]
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    dumps = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if r.get("trigger") in ("periodic", "signal"):
                by = {}
                for g in r.get("leaks", []):
                    if g.get("kind") == "memory":
                        k = group_key(g)
                        by[k] = by.get(k, 0) + g.get("bytes", 0)
                dumps.append((r, by))
    if len(dumps) < 2:
        print("fewer than two dumps: nothing to compare", file=sys.stderr)
        print("top_grower_from_dump=0 time_s=-")
        return
    first = dumps[0][1]
    top_from = 0
    for i, (r, by) in enumerate(dumps[1:], start=2):
        growth = {k: by.get(k, 0) - first.get(k, 0) for k in set(by) | set(first)}
        ranked = sorted(growth.items(), key=lambda kv: -kv[1])
        leak = [k for k in growth if any(f.startswith("leak_site:") for f in k)]
        leak_growth = max((growth[k] for k in leak), default=0)
        rank = 1 + sum(1 for k, v in ranked if v > leak_growth) if leak_growth > 0 else 0
        estimated = any(g.get("estimated") for g in r.get("leaks", []))
        top = ranked[0][0][:3] if ranked else ()
        print("dump %d (t=%.0f s): leak_site growth %d bytes, rank %s; top grower %s %d bytes%s"
              % (i, i * interval, leak_growth, rank or "-", "/".join(top),
                 ranked[0][1] if ranked else 0, " (estimates)" if estimated else ""))
        if rank == 1:
            top_from = top_from or i
        else:
            top_from = 0
    print("top_grower_from_dump=%d time_s=%s" % (top_from, "%.0f" % (top_from * interval) if top_from else "-"))


main()
