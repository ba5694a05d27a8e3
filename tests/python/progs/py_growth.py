# SPDX-License-Identifier: MIT
# py_growth.py: a cache that grows on every request, and request-scoped
# work that is released. A dump with LEAKSCOPE_DIFF=1 after the requests
# must attribute the growth to the cache's line and nothing to the rest.
import lsdump

cache = {}


def handle(request):
    cache[request] = bytearray(4000)  # /* LEAK:cache */
    scratch = [bytearray(6000) for _ in range(3)]  # /* LEAK:scratch */
    return len(scratch)


def serve(first, n):
    for request in range(first, first + n):
        handle(request)


serve(0, 10)  # warm-up: whatever the first requests set up
lsdump.dump()
serve(10, 50)
lsdump.dump()
