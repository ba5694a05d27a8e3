# SPDX-License-Identifier: MIT
# lsdump.py: asks the library for a report from inside the program, as
# `leakscope dump PID` does from outside (the dump signal), and waits until
# the report is in LEAKSCOPE_OUTPUT. Opens no fd while it waits (os.stat
# only), so the dump it asks for shows none of its own.
import os
import signal
import time


def dump():
    path = os.environ["LEAKSCOPE_OUTPUT"]

    def size():
        try:
            return os.stat(path).st_size
        except FileNotFoundError:
            return 0

    before = size()
    os.kill(os.getpid(), signal.SIGUSR2)
    deadline = time.monotonic() + 30
    while size() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    # the reporter writes a report with one write(2); wait for it to settle
    last = -1
    while size() != last and time.monotonic() < deadline:
        last = size()
        time.sleep(0.05)
