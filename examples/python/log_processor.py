# SPDX-License-Identifier: MIT
# log_processor.py: a service that opens every log file it processes and
# never closes it. Run it, then dump it (see README.md).
import os
import sys
import tempfile
import time

open_logs = []  # the bug: every file stays referenced, so it stays open


def process(path):
    f = open(path)  # opened here, never closed
    open_logs.append(f)
    return sum(1 for _ in f)


def main():
    directory = tempfile.mkdtemp(prefix="logs-")
    for i in range(20):
        with open(os.path.join(directory, "app-%02d.log" % i), "w") as out:
            out.write("line\n" * (i + 1))
    lines = 0
    for name in sorted(os.listdir(directory)):
        lines += process(os.path.join(directory, name))
    print("processed", lines, "lines; pid", os.getpid(), flush=True)
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 30)


main()
