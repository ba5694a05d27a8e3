#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""flamegraph.py: a small, dependency-free flame graph (SVG) writer for
leakscope's folded reports (LEAKSCOPE_FORMAT=folded).

It exists because flamegraph.pl and inferno are not packaged for every
system we test on (Debian 12 has neither); with either at hand, use it
instead (docs/flamegraph.md). The input is the usual "root;...;leaf weight"
lines. leakscope specifics handled here:
  - A file may hold several reports, each ending with a line
    "# leakscope: end of report N (pid P)". Summing them would count a leak
    once per report, so by default only the last one is drawn (--report).
  - Memory lines weigh bytes, fd lines ("[fd:<resource>];...") weigh a
    count of descriptors. The two are never drawn together (--kind).
Lines that are neither (comments, blank) are skipped.

Usage: flamegraph.py [--kind memory|fd] [--report last|all|N]
                     [--title T] [--width PX] [--inverted] [FILE...] > out.svg
"""
import argparse
import hashlib
import html
import re
import sys

LINE = re.compile(r"^(.*\S)\s+(\d+)$")
END = re.compile(r"^# leakscope: end of report (\d+) \(pid (\d+)\)")

FRAME_H = 17
FONT = 12
CHAR_W = FONT * 0.59  # average glyph width of a sans-serif font at FONT px
PAD_TOP, PAD_BOTTOM, PAD_SIDE = 48, 28, 10


def read_reports(lines):
    """Splits the input into reports: lists of (frames, weight)."""
    reports, current = [], []
    for raw in lines:
        line = raw.rstrip("\n")
        if END.match(line):
            reports.append(current)
            current = []
            continue
        m = LINE.match(line)
        if not m or line.startswith("#"):
            continue
        current.append((m.group(1).split(";"), int(m.group(2))))
    if current:  # an unterminated report: a file read while being written
        reports.append(current)
    return reports


class Node:
    __slots__ = ("name", "weight", "children")

    def __init__(self, name):
        self.name, self.weight, self.children = name, 0, {}

    def add(self, frames, weight):
        self.weight += weight
        if frames:
            child = self.children.get(frames[0])
            if child is None:
                child = self.children[frames[0]] = Node(frames[0])
            child.add(frames[1:], weight)

    def depth(self):
        return 1 + max((c.depth() for c in self.children.values()), default=0)


def color(name):
    """Stable warm colour per name (flamegraph.pl's "hot" palette); fd
    resources in blue so they stand out when drawn."""
    v = int(hashlib.md5(name.encode()).hexdigest()[:4], 16) / 0xFFFF
    if name.startswith("[fd:"):
        return "rgb(%d,%d,%d)" % (80 + 40 * v, 140 + 50 * v, 220)
    return "rgb(%d,%d,%d)" % (205 + 50 * v, 230 * v * 0.8, 55 * v)


def render(root, title, unit, width, inverted):
    depth = root.depth() - 1  # the synthetic root is not drawn
    height = PAD_TOP + depth * FRAME_H + PAD_BOTTOM
    scale = (width - 2 * PAD_SIDE) / root.weight if root.weight else 0
    out = [
        '<?xml version="1.0" standalone="no"?>',
        '<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" '
        'xmlns="http://www.w3.org/2000/svg">' % (width, height, width, height),
        '<rect x="0" y="0" width="100%" height="100%" fill="#f8f8f0"/>',
        '<text x="%d" y="24" font-family="Verdana,sans-serif" font-size="17" '
        'text-anchor="middle">%s</text>' % (width // 2, html.escape(title)),
        '<text x="%d" y="%d" font-family="Verdana,sans-serif" font-size="%d" fill="#555">'
        "total: %s %s; width = %s, root at the %s</text>"
        % (PAD_SIDE, height - 9, FONT, f"{root.weight:,}", unit, unit,
           "top" if inverted else "bottom"),
    ]

    def draw(node, x, level):
        for child in sorted(node.children.values(), key=lambda c: c.name):
            w = child.weight * scale
            if w >= 0.3:
                if inverted:
                    y = PAD_TOP + level * FRAME_H
                else:
                    y = PAD_TOP + (depth - 1 - level) * FRAME_H
                pct = 100.0 * child.weight / root.weight
                label = child.name
                fits = int((w - 6) / CHAR_W)
                if fits < len(label):
                    label = label[: fits - 2] + ".." if fits > 3 else ""
                out.append(
                    '<g><title>%s (%s %s, %.2f%%)</title>'
                    '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" rx="2"/>'
                    % (html.escape(child.name), f"{child.weight:,}", unit, pct,
                       x, y, max(w - 0.5, 0.1), FRAME_H - 1, color(child.name)))
                if label:
                    out.append(
                        '<text x="%.1f" y="%d" font-family="Verdana,sans-serif" '
                        'font-size="%d">%s</text>' % (x + 3, y + FRAME_H - 5, FONT,
                                                     html.escape(label)))
                out.append("</g>")
                draw(child, x, level + 1)
            x += w

    draw(root, PAD_SIDE, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="folded reports (default: stdin)")
    ap.add_argument("--kind", choices=("memory", "fd"), default="memory",
                    help="memory (bytes, default) or fd (descriptor counts)")
    ap.add_argument("--report", default="last",
                    help="which report of the file: last (default), all (summed) or N (1-based)")
    ap.add_argument("--title", default=None)
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--inverted", action="store_true", help="icicle graph: root at the top")
    args = ap.parse_args(argv)

    lines = []
    for name in args.files or ["-"]:
        with (sys.stdin if name == "-" else open(name, encoding="utf-8", errors="replace")) as f:
            lines.extend(f)
    reports = read_reports(lines)
    if not reports:
        sys.exit("flamegraph.py: no folded report in the input")
    if args.report == "last":
        chosen = reports[-1]
    elif args.report == "all":
        chosen = [entry for r in reports for entry in r]
    else:
        n = int(args.report)
        if not 1 <= n <= len(reports):
            sys.exit("flamegraph.py: the input has %d reports" % len(reports))
        chosen = reports[n - 1]

    root = Node("all")
    for frames, weight in chosen:
        if frames[0].startswith("[fd:") == (args.kind == "fd"):
            root.add(frames, weight)
    if not root.weight:
        sys.exit("flamegraph.py: no %s leaks in the chosen report" % args.kind)
    unit = "bytes" if args.kind == "memory" else "fds"
    title = args.title or ("Leaked memory" if args.kind == "memory" else "Leaked descriptors")
    sys.stdout.write(render(root, title, unit, args.width, args.inverted))


if __name__ == "__main__":
    main(sys.argv[1:])
