# SPDX-License-Identifier: MIT
# py_objects.py: a cache that grows by small objects only (under 512
# bytes: pymalloc's, never malloc's). With LEAKSCOPE_PYTHON_OBJECTS=1 a
# dump with LEAKSCOPE_DIFF=1 must show the objects at the cache's line.
import lsdump


class Entry:
    __slots__ = ("request",)

    def __init__(self, request):
        self.request = request


cache = []


def handle(request):
    cache.append(Entry(request))  # /* LEAK:entry */
    scratch = [Entry(request) for _ in range(3)]  # /* LEAK:scratch */
    return len(scratch)


def serve(first, n):
    for request in range(first, first + n):
        handle(request)


serve(0, 10)
lsdump.dump()
serve(10, 50)
lsdump.dump()
