# SPDX-License-Identifier: MIT
# py_threads.py: a handler that starts a thread per request and never
# joins it, and one whose threads are joined. A dump names the Python
# line that started the running threads and nothing for the joined ones.
import threading

import lsdump

stop = threading.Event()
started = []


def leak_threads(n):
    for _ in range(n):
        t = threading.Thread(target=stop.wait)
        t.start()  # /* LEAK:running */
        started.append(t)


def joined_threads(n):
    threads = [threading.Thread(target=len, args=((),)) for _ in range(n)]
    for t in threads:
        t.start()  # /* LEAK:joined */
    for t in threads:
        t.join()


joined_threads(2)
leak_threads(4)
lsdump.dump()
stop.set()
for t in started:
    t.join()
