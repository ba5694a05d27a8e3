# SPDX-License-Identifier: MIT
# cache_service.py: a web-worker-like loop whose module-level cache grows
# on every request, while the rest of each request's memory is released.
# Dump it twice with --diff (see README.md).
import os
import sys
import time

cache = {}


def render(request_id):
    page = bytearray(8192)  # request-scoped: released when the request ends
    return len(page)


def handle(request_id):
    cache[request_id] = bytearray(4096)  # the bug: kept forever
    return render(request_id)


def main():
    print("pid", os.getpid(), flush=True)
    deadline = time.monotonic() + (float(sys.argv[1]) if len(sys.argv) > 1 else 30)
    request_id = 0
    while time.monotonic() < deadline:
        for _ in range(50):
            handle(request_id)
            request_id += 1
        time.sleep(0.05)


main()
